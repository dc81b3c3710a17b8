"""SQLAlchemy Core tables of nictbw (domain-rules.md §2), on one named ``MetaData``.

Columns carry the entity field names. The winning number's ``metadata`` column is
reached as ``prize_draw_winning_numbers.c.metadata_``. Unique indexes back the rules
"one succeeded instance per origin" and "one result per (instance, draw type, winning
number)".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

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
from nictbw.domain.entities import (
    CardState,
    CellState,
    DefinitionStatus,
    InstanceStatus,
    Outcome,
    SnapshotScope,
)
from nictbw.domain.events import EventType

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


IN_LIST_MAX: Final = 2
"""The longest list of values a CHECK states as ``IN (...)``. A longer one is written as
``=`` comparisons joined by ``OR`` (the same values accepted): in a CHECK, SQLite
evaluates an ``IN`` list of three or more values by building a temporary index for
every row inserted (measured with ``sqlite3`` alone: about 0.4 µs a row for three values,
1.4 µs for the 13 event types, as much as storing the row), while comparisons and
two-value lists cost nothing measurable (``bench/events_cost.py``, docs/performance.md)."""


def one_of_condition(column: str, values: Sequence[str]) -> str:
    """The CHECK condition accepting exactly ``values`` in ``column`` (see ``IN_LIST_MAX``)."""
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= IN_LIST_MAX:
        return f"{column} IN ({', '.join(quoted)})"
    return " OR ".join(f"{column} = {value}" for value in quoted)


def _one_of(column: str, kind: type[StrEnum], *, name: str) -> CheckConstraint:
    """The CHECK over the values of the domain's ``kind``, in declaration order."""
    return CheckConstraint(one_of_condition(column, [m.value for m in kind]), name=name)


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
    Column("status", String(20), nullable=False, server_default=DefinitionStatus.ACTIVE.value),
    Column("triggers_bingo_card", Boolean, nullable=False, server_default=false()),
    Column("bingo_random_candidate", Boolean, nullable=False, server_default=true()),
    Column("card_lifetime_seconds", Integer, nullable=True),
    Column("is_dummy", Boolean, nullable=False, server_default=false()),
    Column("is_public", Boolean, nullable=False, server_default=true()),
    Column("created_by_admin_id", Integer, ForeignKey("admins.id"), nullable=True),
    *_timestamps(),
    Column("imported_extra", JSONText(), nullable=True),
    CheckConstraint("max_supply IS NULL OR max_supply >= 0", name="max_supply_not_negative"),
    CheckConstraint("minted_count >= 0", name="minted_count_not_negative"),
    _one_of("status", DefinitionStatus, name="status_known"),
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
    Column("status", String(20), nullable=False, server_default=InstanceStatus.SUCCEEDED.value),
    Column("nft_origin", String(255), nullable=True),
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
    _one_of("status", InstanceStatus, name="status_known"),
)


class Trim(FunctionElement[str]):
    """``trim(x)``, spelt ``TRIM(BOTH FROM x)`` on PostgreSQL as the catalogue prints it,
    so that Alembic finds the index below equal to the one it reflects."""

    type = String()
    name = "trim"
    inherit_cache = True


@compiles(Trim)
def _compile_trim(element: Trim, compiler: SQLCompiler, **kw: Any) -> str:
    return f"trim({compiler.process(element.clauses, **kw)})"


@compiles(Trim, "postgresql")
def _compile_trim_postgresql(element: Trim, compiler: SQLCompiler, **kw: Any) -> str:
    return f"TRIM(BOTH FROM {compiler.process(element.clauses, **kw)})"


ORIGIN_KEY = func.lower(Trim(nft_instances.c.nft_origin))
"""``lower(trim(nft_origin))``: :func:`nictbw.domain.scoring.origin_key` in SQL."""


class SucceededMark(FunctionElement[bool]):
    """``(status = 'succeeded' OR NULL)``: true for a ``succeeded`` instance, NULL for
    any other. Not a ``CASE``: PostgreSQL prints that on several lines, and Alembic could
    not find the index below equal to the one it reflects. The status column is its
    clause, so the index is known to read it (``unchanged.maintained_columns``)."""

    type = Boolean()
    name = "succeeded_mark"
    inherit_cache = True


@compiles(SucceededMark)
def _compile_succeeded_mark(element: SucceededMark, compiler: SQLCompiler, **kw: Any) -> str:
    status = compiler.process(element.clauses, **kw)
    return f"({status} = '{InstanceStatus.SUCCEEDED}' OR NULL)"


SUCCEEDED_MARK = SucceededMark(nft_instances.c.status)

ORIGIN_SPELLING = func.coalesce(
    func.nullif(nft_instances.c.nft_origin, ORIGIN_KEY), literal_column("''")
)
"""Empty when the origin is in key form (as the chain's are), else the origin itself."""

Index("uq_nft_instances_origin_key", ORIGIN_KEY, SUCCEEDED_MARK, ORIGIN_SPELLING, unique=True)
"""The one index on origins. Unique: NULLs never collide, so only ``succeeded`` rows
(their mark true) compete, and as (key, spelling) gives the origin back, two of them
collide exactly when their origins are equal: one succeeded instance per origin. Its
leading column serves the lookups by draw number (collision checks) and by origin (sync)."""

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
    Column("state", String(20), nullable=False, server_default=CardState.ACTIVE.value),
    Column("bingo_reward_claimed", Boolean, nullable=False, server_default=false()),
    Column("unlocked_mask", Integer, nullable=False, server_default=text("0")),
    UniqueConstraint("user_id", "center_definition_id"),
    _one_of("state", CardState, name="state_known"),
    CheckConstraint(
        f"(state = '{CardState.COMPLETED}' AND completed_at IS NOT NULL)"
        f" OR (state <> '{CardState.COMPLETED}' AND completed_at IS NULL)",
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
    Column("state", String(20), nullable=False, server_default=CellState.LOCKED.value),
    Column("unlocked_at", UTCDateTime(), nullable=True),
    UniqueConstraint("bingo_card_id", "idx"),
    UniqueConstraint("bingo_card_id", "target_definition_id"),
    CheckConstraint("idx >= 0 AND idx <= 8", name="idx_in_grid"),
    _one_of("state", CellState, name="state_known"),
    CheckConstraint(
        f"(state = '{CellState.UNLOCKED}' AND unlocked_at IS NOT NULL)"
        f" OR (state <> '{CellState.UNLOCKED}' AND unlocked_at IS NULL)",
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
    Column("max_wins_per_user", Integer, nullable=True),
    Column("retired_at", UTCDateTime(), nullable=True),
    CheckConstraint(
        "default_threshold IS NULL OR (default_threshold >= 0 AND default_threshold <= 1)",
        name="default_threshold_in_unit_interval",
    ),
    CheckConstraint(
        "max_wins_per_user IS NULL OR max_wins_per_user >= 1",
        name="max_wins_per_user_positive",
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
    Column("beacon_chain_hash", String(64), nullable=True),
    Column("beacon_public_key", String(192), nullable=True),
    Column("beacon_scheme", String(64), nullable=True),
    Column("beacon_round", BigInteger, nullable=True),
    Column("beacon_round_at", UTCDateTime(), nullable=True),
    Column("max_wins_per_user", Integer, nullable=True),
    _one_of("scope", SnapshotScope, name="scope_known"),
    CheckConstraint(
        "(beacon_round IS NULL) = (beacon_chain_hash IS NULL) "
        "AND (beacon_round IS NULL) = (beacon_public_key IS NULL) "
        "AND (beacon_round IS NULL) = (beacon_scheme IS NULL) "
        "AND (beacon_round IS NULL) = (beacon_round_at IS NULL)",
        name="beacon_all_or_none",
    ),
    CheckConstraint(
        f"(scope = '{SnapshotScope.ATTENDANCE}') = (attendance_definition_id IS NOT NULL)",
        name="attendance_scope_has_definition",
    ),
    CheckConstraint("candidate_count >= 0", name="candidate_count_not_negative"),
    CheckConstraint(
        "max_wins_per_user IS NULL OR (max_wins_per_user >= 1 AND beacon_round IS NOT NULL)",
        name="sealed_cap_positive",
    ),
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
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("definition_id", Integer, ForeignKey("nft_definitions.id"), nullable=False),
    Column("nft_instance_id", Integer, ForeignKey("nft_instances.id"), nullable=False),
    Column("draw_number", String(255), nullable=False),
    Column("similarity_score", Double, nullable=True),
    Column("draw_top_digits", String(10), nullable=True),
    Column("winning_top_digits", String(10), nullable=True),
    Column("threshold_used", Double, nullable=True),
    Column("outcome", String(20), nullable=False, server_default=Outcome.PENDING.value),
    Column("evaluated_at", UTCDateTime(), nullable=False),
    _one_of("outcome", Outcome, name="outcome_known"),
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

domain_events = Table(
    "domain_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(40), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("payload", JSONText(), nullable=False),
    Column("delivered_at", UTCDateTime(), nullable=True),
    _one_of("type", EventType, name="type_known"),
)
"""The outbox. ``user_id`` has no foreign key: an event outlives what it tells about."""

Index(
    "ix_domain_events_pending",
    domain_events.c.id,
    sqlite_where=domain_events.c.delivered_at.is_(None),
    postgresql_where=domain_events.c.delivered_at.is_(None),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("workflow", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("result", JSONText(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("admin_id", Integer, ForeignKey("admins.id"), nullable=False, index=True),
    Column("action", String(50), nullable=False),
    Column("entity_type", String(50), nullable=False),
    Column("entity_id", Integer, nullable=True),
    Column("before", JSONText(), nullable=True),
    Column("after", JSONText(), nullable=True),
)
"""The append-only audit log of the admin workflows (never updated, never deleted)."""

Index("ix_audit_log_entity", audit_log.c.entity_type, audit_log.c.entity_id)

__all__ = [
    "NAMING_CONVENTION",
    "ORIGIN_KEY",
    "SCORED_RESULT_KEY",
    "UNSCORED_RESULT_KEY",
    "admins",
    "audit_log",
    "bingo_cards",
    "bingo_cells",
    "domain_events",
    "idempotency_keys",
    "metadata",
    "nft_definitions",
    "nft_instances",
    "prize_draw_results",
    "prize_draw_snapshots",
    "prize_draw_types",
    "prize_draw_winning_numbers",
    "users",
]
