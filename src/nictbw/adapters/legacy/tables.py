"""The legacy tables nictbw reads, declared with SQLAlchemy Core for both generations.

Only the columns the importer reads are declared (a ``SELECT`` needs no more). Column
names differ between v0.x and v1.x (legacy-schema.md); :func:`legacy_tables` declares a
generation's tables under their own names, and the reader labels every column with the
v1.x name so the importer sees one shape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class LegacyTimestamp(TypeDecorator[Any]):
    """A legacy timestamp read as an aware UTC datetime.

    SQLite holds naive UTC text (``2024-01-01 12:00:00.000000``); PostgreSQL holds
    ``timestamptz``. Text that does not parse is returned unchanged, so the importer
    can report the row instead of failing the whole read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                return value
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            return value.astimezone(UTC)
        return value


@frozen
class LegacyTables:
    """The tables of one legacy generation; ``columns[table][v1_name]`` is its own name."""

    generation: str
    users: Table
    admins: Table
    definitions: Table
    instances: Table
    bingo_cards: Table
    bingo_cells: Table
    draw_types: Table
    winning_numbers: Table
    results: Table
    names: dict[str, dict[str, str]]

    def col(self, table: Table, v1_name: str) -> Column[Any]:
        """The column of ``table`` known as ``v1_name`` in v1.x."""
        own = self.names.get(table.name, {}).get(v1_name, v1_name)
        return table.c[own]


def _ts(name: str, nullable: bool = True) -> Column[Any]:
    return Column(name, LegacyTimestamp(), nullable=nullable)


def legacy_tables(generation: str, *, raw_tx_data: bool = False) -> LegacyTables:
    """Declare the tables of ``generation`` (``"v0"`` or ``"v1"``) on a fresh ``MetaData``;
    ``raw_tx_data`` adds that column (present from v1.2.0 on) to the instances table."""
    v0 = generation == "v0"
    md = MetaData()
    users = Table(
        "users",
        md,
        Column("id", BigInteger, primary_key=True),
        Column("in_app_id", String(100)),
        Column("email", String(100)),
        Column("password_hash", String(255)),
        Column("password_provided", Boolean),
        Column("nickname", String(50)),
        Column("paymail", String(255)),
        Column("on_chain_id", String(255)),
        Column("fcm_token", String(255)),
        Column("initial_reward_claimed", Boolean),
        Column("is_test_user", Boolean),
        _ts("created_at"),
        _ts("updated_at"),
    )
    admins = Table(
        "admins",
        md,
        Column("id", BigInteger, primary_key=True),
        Column("email", String(100)),
        Column("password_hash", String(255)),
        Column("name", String(50)),
        Column("role", String(50)),
        _ts("created_at"),
        _ts("updated_at"),
    )
    definitions = Table(
        "nfts" if v0 else "nft_definitions",
        md,
        Column("id", BigInteger, primary_key=True),
        Column("template_id", BigInteger),
        Column("prefix", String(100)),
        Column("shared_key", String(255)),
        Column("name", String(100)),
        Column("nft_type", String(50)),
        Column("category", String(50)),
        Column("subcategory", String(50)),
        Column("description", Text),
        Column("promotional_text", Text),
        Column("store_url", String(512)),
        Column("image_url", String(255)),
        Column("local_image_path", String(255)),
        Column("qr_image_url", String(255)),
        Column("condition_id", BigInteger),
        Column("max_supply", Integer),
        Column("minted_count", Integer),
        Column("status", String(50)),
        Column("triggers_bingo_card", Boolean),
        Column("distributes_coupons", Boolean),
        Column("bingo_period_id", Integer),
        Column("bingo_is_center", Boolean),
        Column("bingo_force_include", Boolean),
        Column("is_dummy", Boolean),
        Column("can_be_center", Boolean),
        Column("bingo_random_candidate", Boolean),
        Column("allow_bingo_duplicates", Boolean),
        Column("is_public", Boolean),
        Column("bingo_group_id", Integer),
        Column("store_name", String(255)),
        Column("latitude", Double),
        Column("longitude", Double),
        Column("created_by_admin_id", BigInteger),
        _ts("created_at"),
        _ts("updated_at"),
    )
    instance_columns: list[Column[Any]] = [
        Column("id", BigInteger, primary_key=True),
        Column("user_id", BigInteger),
        Column("nft_id" if v0 else "definition_id", BigInteger),
        Column("bingo_period_id", Integer),
        Column("serial_number", Integer),
        Column("unique_nft_id" if v0 else "unique_instance_id", String(255)),
        _ts("acquired_at"),
        Column("status", String(20)),
        Column("blockchain_nft_id", BigInteger),
        Column("nft_origin", String(255)),
        Column("current_nft_location", String(255)),
        Column("blockchain_name", String(100)),
        Column("sub_type", String(50)),
        _ts("blockchain_created_at"),
        _ts("blockchain_updated_at"),
        Column("transaction_id", String(255)),
        Column("contract_address", String(255)),
        Column("token_id", String(255)),
        Column("nft_id_hash", String(64)),
        Column("user_claim_hash", String(64)),
        Column("other_meta", Text),
        Column("error_message", Text),
    ]
    if raw_tx_data:
        instance_columns.append(Column("raw_tx_data", LargeBinary))
    instances = Table("user_nft_ownership" if v0 else "nft_instances", md, *instance_columns)
    bingo_cards = Table(
        "bingo_cards",
        md,
        Column("id", BigInteger, primary_key=True),
        Column("user_id", BigInteger),
        Column("period_id", Integer),
        _ts("issued_at"),
        _ts("start_time"),
        Column("issuance_month", String(7)),
        _ts("completed_at"),
        _ts("expiry"),
        Column("state", String(20)),
        Column("bingo_reward_claimed", Boolean),
    )
    bingo_cells = Table(
        "bingo_cells",
        md,
        Column("id", BigInteger, primary_key=True),
        Column("bingo_card_id", BigInteger),
        Column("idx", Integer),
        Column("target_template_id" if v0 else "target_definition_id", BigInteger),
        Column("nft_id" if v0 else "definition_id", BigInteger),
        Column("matched_ownership_id" if v0 else "matched_nft_instance_id", BigInteger),
        Column("state", String(20)),
        _ts("unlocked_at"),
    )
    draw_types = Table(
        "prize_draw_types",
        md,
        Column("id", Integer, primary_key=True),
        Column("internal_name", String(100)),
        Column("display_name", String(255)),
        Column("description", Text),
        Column("algorithm_key", String(100)),
        Column("default_threshold", Double),
        _ts("created_at"),
        _ts("updated_at"),
    )
    winning_numbers = Table(
        "prize_draw_winning_numbers",
        md,
        Column("id", Integer, primary_key=True),
        Column("draw_type_id", Integer),
        Column("value", String(255)),
        _ts("created_at"),
    )
    results = Table(
        "prize_draw_results",
        md,
        Column("id", Integer, primary_key=True),
        Column("draw_type_id", Integer),
        Column("winning_number_id", Integer),
        Column("user_id", BigInteger),
        Column("nft_id" if v0 else "definition_id", BigInteger),
        Column("ownership_id" if v0 else "nft_instance_id", BigInteger),
        Column("draw_number", String(255)),
        Column("similarity_score", Double),
        Column("draw_top_digits", String(10)),
        Column("winning_top_digits", String(10)),
        Column("threshold_used", Double),
        Column("outcome", String(20)),
        _ts("evaluated_at"),
    )
    names: dict[str, dict[str, str]] = {}
    if v0:
        names = {
            "user_nft_ownership": {
                "definition_id": "nft_id",
                "unique_instance_id": "unique_nft_id",
            },
            "bingo_cells": {
                "target_definition_id": "target_template_id",
                "definition_id": "nft_id",
                "matched_nft_instance_id": "matched_ownership_id",
            },
            "prize_draw_results": {"definition_id": "nft_id", "nft_instance_id": "ownership_id"},
        }
    return LegacyTables(
        generation=generation,
        users=users,
        admins=admins,
        definitions=definitions,
        instances=instances,
        bingo_cards=bingo_cards,
        bingo_cells=bingo_cells,
        draw_types=draw_types,
        winning_numbers=winning_numbers,
        results=results,
        names=names,
    )


__all__ = ["LegacyTables", "LegacyTimestamp", "legacy_tables"]
