"""SQLAlchemy Core tables of nictbw (domain-rules.md §2), on one named ``MetaData``.

Columns carry the entity field names. The winning number's ``metadata`` column is
reached as ``prize_draw_winning_numbers.c.metadata_``. Partial unique indexes back the
rules "one succeeded instance per origin" and "one result per (instance, draw type,
winning number)".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
    text,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from nictbw.adapters.sqlalchemy.types import JSONText, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _timestamps() -> tuple[Column[datetime], Column[datetime]]:
    return (
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    )


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("in_app_id", String(100), nullable=True, unique=True),
    Column("email", String(100), nullable=True, unique=True),
    Column("password_hash", String(255), nullable=True),
    Column("password_provided", Boolean, nullable=False, server_default=false()),
    Column("nickname", String(50), nullable=True),
    Column("paymail", String(255), nullable=True, unique=True),
    Column("on_chain_id", String(255), nullable=True, unique=True),
    Column("fcm_token", String(255), nullable=True),
    Column("initial_reward_claimed", Boolean, nullable=False, server_default=false()),
    Column("is_test_user", Boolean, nullable=False, server_default=false()),
    *_timestamps(),
)

admins = Table(
    "admins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(100), nullable=True, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("name", String(50), nullable=True),
    Column("role", String(50), nullable=True),
    *_timestamps(),
)

nft_definitions = Table(
    "nft_definitions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("prefix", String(100), nullable=False, unique=True),
    Column("shared_key", String(255), nullable=False),
    Column("name", String(100), nullable=False),
    Column("nft_type", String(50), nullable=False, server_default="default"),
    Column("category", String(50), nullable=True),
    Column("subcategory", String(50), nullable=True),
    Column("description", Text, nullable=True),
    Column("promotional_text", Text, nullable=True),
    Column("store_url", String(512), nullable=True),
    Column("image_url", String(255), nullable=True),
    Column("qr_image_url", String(255), nullable=True),
    Column("local_image_path", String(255), nullable=True),
    Column("store_name", String(255), nullable=True),
    Column("latitude", Double, nullable=True),
    Column("longitude", Double, nullable=True),
    Column("max_supply", Integer, nullable=True),
    Column("minted_count", Integer, nullable=False, server_default=text("0")),
    Column("status", String(20), nullable=False, server_default="active"),
    Column("triggers_bingo_card", Boolean, nullable=False, server_default=false()),
    Column("bingo_random_candidate", Boolean, nullable=False, server_default=true()),
    Column("card_lifetime_seconds", Integer, nullable=True),
    Column("is_dummy", Boolean, nullable=False, server_default=false()),
    Column("is_public", Boolean, nullable=False, server_default=true()),
    Column("created_by_admin_id", Integer, ForeignKey("admins.id"), nullable=True),
    *_timestamps(),
    CheckConstraint("max_supply IS NULL OR max_supply >= 0", name="max_supply_not_negative"),
    CheckConstraint("minted_count >= 0", name="minted_count_not_negative"),
    CheckConstraint("status IN ('active', 'inactive')", name="status_known"),
    CheckConstraint(
        "card_lifetime_seconds IS NULL OR card_lifetime_seconds > 0",
        name="card_lifetime_positive",
    ),
)

nft_instances = Table(
    "nft_instances",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("definition_id", Integer, ForeignKey("nft_definitions.id"), nullable=False),
    Column("serial_number", Integer, nullable=False),
    Column("unique_instance_id", String(255), nullable=False, unique=True),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("status", String(20), nullable=False, server_default="succeeded"),
    Column("nft_origin", String(255), nullable=True, index=True),
    Column("blockchain_nft_id", BigInteger, nullable=True),
    Column("current_nft_location", String(255), nullable=True),
    Column("blockchain_name", String(100), nullable=True),
    Column("sub_type", String(50), nullable=True),
    Column("blockchain_created_at", UTCDateTime(), nullable=True),
    Column("blockchain_updated_at", UTCDateTime(), nullable=True),
    Column("transaction_id", String(255), nullable=True),
    Column("contract_address", String(255), nullable=True),
    Column("token_id", String(255), nullable=True),
    Column("other_meta", JSONText(), nullable=True),
    UniqueConstraint("definition_id", "serial_number"),
    CheckConstraint("status IN ('succeeded', 'transferred')", name="status_known"),
)

Index(
    "uq_nft_instances_succeeded_origin",
    nft_instances.c.nft_origin,
    unique=True,
    sqlite_where=nft_instances.c.status == literal_column("'succeeded'"),
    postgresql_where=nft_instances.c.status == literal_column("'succeeded'"),
)


class _Trim(FunctionElement[str]):
    """``trim(x)``, spelt ``TRIM(BOTH FROM x)`` on PostgreSQL as the catalogue prints it,
    so that Alembic finds the index below equal to the one it reflects."""

    type = String()
    name = "trim"
    inherit_cache = True


@compiles(_Trim)
def _compile_trim(element: _Trim, compiler: SQLCompiler, **kw: Any) -> str:
    return f"trim({compiler.process(element.clauses, **kw)})"


@compiles(_Trim, "postgresql")
def _compile_trim_postgresql(element: _Trim, compiler: SQLCompiler, **kw: Any) -> str:
    return f"TRIM(BOTH FROM {compiler.process(element.clauses, **kw)})"


ORIGIN_KEY = func.lower(_Trim(nft_instances.c.nft_origin))
"""``lower(trim(nft_origin))``: :func:`nictbw.domain.scoring.origin_key` in SQL."""

Index("ix_nft_instances_origin_key", ORIGIN_KEY)
"""Serves lookups of stored origins by draw number (collision checks)."""

bingo_cards = Table(
    "bingo_cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("center_definition_id", Integer, ForeignKey("nft_definitions.id"), nullable=False),
    Column("period_id", Integer, nullable=True),
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("start_time", UTCDateTime(), nullable=True),
    Column("issuance_month", String(7), nullable=True),
    Column("completed_at", UTCDateTime(), nullable=True),
    Column("expiry", UTCDateTime(), nullable=True),
    Column("state", String(20), nullable=False, server_default="active"),
    Column("bingo_reward_claimed", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("user_id", "center_definition_id"),
    CheckConstraint("state IN ('active', 'completed', 'expired')", name="state_known"),
    CheckConstraint(
        "(state = 'completed' AND completed_at IS NOT NULL)"
        " OR (state <> 'completed' AND completed_at IS NULL)",
        name="completed_iff_completed_at",
    ),
)

bingo_cells = Table(
    "bingo_cells",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "bingo_card_id", Integer, ForeignKey("bingo_cards.id", ondelete="CASCADE"), nullable=False
    ),
    Column("idx", Integer, nullable=False),
    Column("target_definition_id", Integer, ForeignKey("nft_definitions.id"), nullable=False),
    Column("definition_id", Integer, ForeignKey("nft_definitions.id"), nullable=True),
    Column(
        "matched_nft_instance_id",
        Integer,
        ForeignKey("nft_instances.id"),
        nullable=True,
        index=True,
    ),
    Column("state", String(20), nullable=False, server_default="locked"),
    Column("unlocked_at", UTCDateTime(), nullable=True),
    UniqueConstraint("bingo_card_id", "idx"),
    UniqueConstraint("bingo_card_id", "target_definition_id"),
    CheckConstraint("idx >= 0 AND idx <= 8", name="idx_in_grid"),
    CheckConstraint("state IN ('locked', 'unlocked')", name="state_known"),
    CheckConstraint(
        "(state = 'unlocked' AND unlocked_at IS NOT NULL)"
        " OR (state <> 'unlocked' AND unlocked_at IS NULL)",
        name="unlocked_iff_unlocked_at",
    ),
)

prize_draw_types = Table(
    "prize_draw_types",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("internal_name", String(100), nullable=False, unique=True),
    Column("display_name", String(255), nullable=True),
    Column("description", Text, nullable=True),
    Column("algorithm_key", String(100), nullable=False),
    Column("default_threshold", Double, nullable=True),
    *_timestamps(),
    CheckConstraint(
        "default_threshold IS NULL OR (default_threshold >= 0 AND default_threshold <= 1)",
        name="default_threshold_in_unit_interval",
    ),
)

prize_draw_winning_numbers = Table(
    "prize_draw_winning_numbers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "draw_type_id",
        Integer,
        ForeignKey("prize_draw_types.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("value", String(255), nullable=False),
    Column("metadata", JSONText(), nullable=True, key="metadata_"),
    Column("effective_at", UTCDateTime(), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint(
        "effective_at IS NULL OR expires_at IS NULL OR expires_at > effective_at",
        name="expires_after_effective",
    ),
)

prize_draw_snapshots = Table(
    "prize_draw_snapshots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "draw_type_id",
        Integer,
        ForeignKey("prize_draw_types.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("scope", String(20), nullable=False),
    Column("attendance_definition_id", Integer, ForeignKey("nft_definitions.id"), nullable=True),
    Column("candidate_count", Integer, nullable=False),
    Column("candidates_sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    CheckConstraint("scope IN ('bingo', 'attendance')", name="scope_known"),
    CheckConstraint(
        "(scope = 'attendance') = (attendance_definition_id IS NOT NULL)",
        name="attendance_scope_has_definition",
    ),
    CheckConstraint("candidate_count >= 0", name="candidate_count_not_negative"),
)

prize_draw_results = Table(
    "prize_draw_results",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "draw_type_id",
        Integer,
        ForeignKey("prize_draw_types.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "winning_number_id",
        Integer,
        ForeignKey("prize_draw_winning_numbers.id"),
        nullable=True,
    ),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("definition_id", Integer, ForeignKey("nft_definitions.id"), nullable=False),
    Column("nft_instance_id", Integer, ForeignKey("nft_instances.id"), nullable=False),
    Column("draw_number", String(255), nullable=False),
    Column("similarity_score", Double, nullable=True),
    Column("draw_top_digits", String(10), nullable=True),
    Column("winning_top_digits", String(10), nullable=True),
    Column("threshold_used", Double, nullable=True),
    Column("outcome", String(20), nullable=False, server_default="pending", index=True),
    Column("evaluated_at", UTCDateTime(), nullable=False),
    CheckConstraint("outcome IN ('win', 'lose', 'pending')", name="outcome_known"),
)

Index(
    "ix_prize_draw_results_draw_type_winning_number",
    prize_draw_results.c.draw_type_id,
    prize_draw_results.c.winning_number_id,
)

SCORED_RESULT_KEY = ("nft_instance_id", "draw_type_id", "winning_number_id")
"""Key of results evaluated against a winning number (partial unique index)."""

UNSCORED_RESULT_KEY = ("nft_instance_id", "draw_type_id")
"""Key of results evaluated without a winning number (partial unique index)."""

Index(
    "uq_prize_draw_results_scored_key",
    *(prize_draw_results.c[name] for name in SCORED_RESULT_KEY),
    unique=True,
    sqlite_where=prize_draw_results.c.winning_number_id.is_not(None),
    postgresql_where=prize_draw_results.c.winning_number_id.is_not(None),
)
Index(
    "uq_prize_draw_results_unscored_key",
    *(prize_draw_results.c[name] for name in UNSCORED_RESULT_KEY),
    unique=True,
    sqlite_where=prize_draw_results.c.winning_number_id.is_(None),
    postgresql_where=prize_draw_results.c.winning_number_id.is_(None),
)

__all__ = [
    "NAMING_CONVENTION",
    "ORIGIN_KEY",
    "SCORED_RESULT_KEY",
    "UNSCORED_RESULT_KEY",
    "admins",
    "bingo_cards",
    "bingo_cells",
    "metadata",
    "nft_definitions",
    "nft_instances",
    "prize_draw_results",
    "prize_draw_snapshots",
    "prize_draw_types",
    "prize_draw_winning_numbers",
    "users",
]
