"""Legacy databases for the import tests, built from legacy-schema.md with SQLAlchemy Core.

The tables are declared here, apart from the importer's own reader, with the legacy
constraints (v0.x: one instance per user and definition, results unique per definition;
v1.x: unique instance ids, results unique per instance). :func:`populate` writes one
small event database holding the awkward cases the schema page names and returns the
rows it wrote (legacy column names) with the rows the importer must leave out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Double,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
)

from nictbw.domain.scoring import sha256_hex_proximity

T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

DEFINITION_EXTRA_FIELDS = (
    "template_id",
    "condition_id",
    "distributes_coupons",
    "bingo_period_id",
    "bingo_is_center",
    "bingo_force_include",
    "can_be_center",
    "allow_bingo_duplicates",
    "bingo_group_id",
)
"""Legacy definition columns nictbw has no field for: kept in ``imported_extra``."""


def _ts(name: str, nullable: bool = True) -> Column[Any]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def legacy_metadata(generation: str) -> MetaData:
    """Every in-scope legacy table of ``generation`` (``"v0"``/``"v1"``), with constraints."""
    v0 = generation == "v0"
    defs = "nfts" if v0 else "nft_definitions"
    inst = "user_nft_ownership" if v0 else "nft_instances"
    def_col = "nft_id" if v0 else "definition_id"
    md = MetaData()
    Table("alembic_version", md, Column("version_num", String(32), primary_key=True))
    Table(
        "users",
        md,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("in_app_id", String(100), unique=True),
        Column("email", String(100), unique=True),
        Column("password_hash", String(255)),
        Column("password_provided", Boolean, nullable=False),
        Column("nickname", String(50)),
        Column("paymail", String(255), unique=True),
        Column("on_chain_id", String(255)),
        Column("fcm_token", String(255)),
        Column("initial_reward_claimed", Boolean, nullable=False),
        Column("is_test_user", Boolean, nullable=False),
        _ts("created_at", False),
        _ts("updated_at", False),
    )
    Table(
        "admins",
        md,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("email", String(100), unique=True),
        Column("password_hash", String(255), nullable=False),
        Column("name", String(50)),
        Column("role", String(50)),
        _ts("created_at", False),
        _ts("updated_at", False),
    )
    Table(
        defs,
        md,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("template_id", BigInteger),
        Column("prefix", String(100), nullable=False, unique=True),
        Column("shared_key", String(255), nullable=False),
        Column("name", String(100), nullable=False),
        Column("nft_type", String(50), nullable=False),
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
        Column("minted_count", Integer, nullable=False),
        Column("status", String(50), nullable=False),
        Column("triggers_bingo_card", Boolean, nullable=False),
        Column("distributes_coupons", Boolean, nullable=False),
        Column("bingo_period_id", Integer),
        Column("bingo_is_center", Boolean, nullable=False),
        Column("bingo_force_include", Boolean, nullable=False),
        Column("is_dummy", Boolean, nullable=False),
        Column("can_be_center", Boolean, nullable=False),
        Column("bingo_random_candidate", Boolean, nullable=False),
        Column("allow_bingo_duplicates", Boolean, nullable=False),
        Column("is_public", Boolean, nullable=False),
        Column("bingo_group_id", Integer),
        Column("store_name", String(255)),
        Column("latitude", Double),
        Column("longitude", Double),
        Column("created_by_admin_id", BigInteger, ForeignKey("admins.id"), nullable=False),
        _ts("created_at", False),
        _ts("updated_at", False),
    )
    instance_columns: list[Any] = [
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("user_id", BigInteger, ForeignKey("users.id"), nullable=False),
        Column(def_col, BigInteger, ForeignKey(f"{defs}.id"), nullable=False),
        Column("bingo_period_id", Integer),
        Column("serial_number", Integer, nullable=False),
        Column("unique_nft_id" if v0 else "unique_instance_id", String(255), nullable=False),
        _ts("acquired_at", False),
        Column("status", String(20), nullable=False),
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
    if v0:
        instance_columns.append(UniqueConstraint("user_id", "nft_id", name="uq_user_nft_once"))
    else:
        instance_columns.append(Column("raw_tx_data", LargeBinary))
        instance_columns.append(
            UniqueConstraint("unique_instance_id", name="uq_nft_instance_unique_id")
        )
    Table(inst, md, *instance_columns)
    Table(
        "bingo_cards",
        md,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        Column("period_id", Integer),
        _ts("issued_at", False),
        _ts("start_time"),
        Column("issuance_month", String(7)),
        _ts("completed_at"),
        _ts("expiry"),
        Column("state", String(20), nullable=False),
        Column("bingo_reward_claimed", Boolean, nullable=False),
        CheckConstraint("state IN ('active', 'completed', 'expired')"),
    )
    Table(
        "bingo_cells",
        md,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column(
            "bingo_card_id",
            BigInteger,
            ForeignKey("bingo_cards.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("idx", Integer, nullable=False),
        Column(
            "target_template_id" if v0 else "target_definition_id",
            BigInteger,
            ForeignKey(f"{defs}.id"),
            nullable=False,
        ),
        Column("nft_id" if v0 else "definition_id", BigInteger, ForeignKey(f"{defs}.id")),
        Column(
            "matched_ownership_id" if v0 else "matched_nft_instance_id",
            BigInteger,
            ForeignKey(f"{inst}.id"),
        ),
        Column("state", String(20), nullable=False),
        _ts("unlocked_at"),
        UniqueConstraint("bingo_card_id", "idx", name="uq_bingo_card_idx"),
        CheckConstraint("idx >= 0 AND idx <= 8"),
        CheckConstraint("state IN ('locked', 'unlocked')"),
    )
    Table(
        "prize_draw_types",
        md,
        Column("id", Integer, primary_key=True),
        Column("internal_name", String(100), nullable=False, unique=True),
        Column("display_name", String(255)),
        Column("description", Text),
        Column("algorithm_key", String(100), nullable=False),
        Column("default_threshold", Double),
        _ts("created_at", False),
        _ts("updated_at", False),
    )
    Table(
        "prize_draw_winning_numbers",
        md,
        Column("id", Integer, primary_key=True),
        Column(
            "draw_type_id",
            Integer,
            ForeignKey("prize_draw_types.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("value", String(255), nullable=False),
        _ts("created_at", False),
    )
    Table(
        "prize_draw_results",
        md,
        Column("id", Integer, primary_key=True),
        Column("event_id", Integer),
        Column(
            "draw_type_id",
            Integer,
            ForeignKey("prize_draw_types.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column(
            "winning_number_id",
            Integer,
            ForeignKey("prize_draw_winning_numbers.id", ondelete="SET NULL"),
        ),
        Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        Column(def_col, BigInteger, ForeignKey(f"{defs}.id", ondelete="CASCADE"), nullable=False),
        Column(
            "ownership_id" if v0 else "nft_instance_id",
            BigInteger,
            ForeignKey(f"{inst}.id", ondelete="SET NULL"),
            nullable=v0,
        ),
        Column("draw_number", String(255), nullable=False),
        Column("similarity_score", Double),
        Column("draw_top_digits", String(10)),
        Column("winning_top_digits", String(10)),
        Column("threshold_used", Double),
        Column("outcome", String(20), nullable=False),
        _ts("evaluated_at", False),
        UniqueConstraint(
            def_col if v0 else "nft_instance_id",
            "draw_type_id",
            name="uq_prize_draw_result_unique" if v0 else "uq_prize_draw_result_instance",
        ),
    )
    return md


@dataclass
class LegacyData:
    """What :func:`populate` wrote, by v1.x table name, with legacy column names, and
    the (legacy table, id) -> reason fragment of every row the import must leave out."""

    generation: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: dict[tuple[str, int], str] = field(default_factory=dict)
    table_names: dict[str, str] = field(default_factory=dict)

    def by_id(self, table: str) -> dict[int, dict[str, Any]]:
        """The written rows of ``table`` by id."""
        return {row["id"]: row for row in self.rows[table]}

    def kept(self, table: str) -> list[dict[str, Any]]:
        """The written rows of ``table`` the import must keep."""
        name = self.table_names[table]
        return [row for row in self.rows[table] if (name, row["id"]) not in self.skipped]


def _user(uid: int, **changes: Any) -> dict[str, Any]:
    row = {
        "id": uid,
        "in_app_id": f"app-{uid}",
        "email": f"user{uid}@example.org",
        "password_hash": f"plain-hash-{uid}",
        "password_provided": uid % 2 == 0,
        "nickname": f"nick{uid}",
        "paymail": f"user{uid}@pay.example",
        "on_chain_id": f"chain-{uid}",
        "fcm_token": None,
        "initial_reward_claimed": uid == 1,
        "is_test_user": False,
        "created_at": T0 + timedelta(minutes=uid),
        "updated_at": T0 + timedelta(minutes=uid, seconds=30),
    }
    row.update(changes)
    return row


def _definition(did: int, **changes: Any) -> dict[str, Any]:
    row = {
        "id": did,
        "template_id": None,
        "prefix": f"D{did}",
        "shared_key": f"key-{did}",
        "name": f"Badge {did}",
        "nft_type": "default",
        "category": "expo",
        "subcategory": None,
        "description": f"description {did}",
        "promotional_text": None,
        "store_url": None,
        "image_url": f"https://img.example/{did}.png",
        "local_image_path": None,
        "qr_image_url": None,
        "condition_id": None,
        "max_supply": None,
        "minted_count": 1,
        "status": "active",
        "triggers_bingo_card": did == 1,
        "distributes_coupons": True,
        "bingo_period_id": None,
        "bingo_is_center": False,
        "bingo_force_include": False,
        "is_dummy": False,
        "can_be_center": True,
        "bingo_random_candidate": True,
        "allow_bingo_duplicates": True,
        "is_public": True,
        "bingo_group_id": None,
        "store_name": None,
        "latitude": 35.5 + did,
        "longitude": 139.25,
        "created_by_admin_id": 1,
        "created_at": T0,
        "updated_at": T0 + timedelta(hours=1),
    }
    row.update(changes)
    return row


def _instance(iid: int, user: int, definition: int, serial: int, **changes: Any) -> dict[str, Any]:
    row = {
        "id": iid,
        "user_id": user,
        "definition_id": definition,
        "bingo_period_id": None,
        "serial_number": serial,
        "unique_instance_id": f"D{definition}-{iid:012d}",
        "acquired_at": T0 + timedelta(hours=2, minutes=iid),
        "status": "succeeded",
        "blockchain_nft_id": 1000 + iid,
        "nft_origin": f"tx{iid:04d}_0",
        "current_nft_location": f"tx{iid:04d}_0",
        "blockchain_name": f"Badge {definition}",
        "sub_type": None,
        "blockchain_created_at": T0 + timedelta(hours=3),
        "blockchain_updated_at": None,
        "transaction_id": f"tx{iid:04d}",
        "contract_address": None,
        "token_id": None,
        "nft_id_hash": None,
        "user_claim_hash": None,
        "other_meta": None,
        "error_message": None,
        "raw_tx_data": None,
    }
    row.update(changes)
    return row


def _scored(
    rid: int,
    instance: dict[str, Any],
    draw_type: int,
    winning: int | None,
    value: str,
    threshold: float | None,
) -> dict[str, Any]:
    """A result scored the way the old code did: the raw winning value, not normalised."""
    draw_number = instance["nft_origin"].strip().lower()
    computed = sha256_hex_proximity(draw_number, value)
    outcome = "pending"
    if threshold is not None:
        outcome = "win" if computed.score >= threshold else "lose"
    return {
        "id": rid,
        "event_id": None,
        "draw_type_id": draw_type,
        "winning_number_id": winning,
        "user_id": instance["user_id"],
        "definition_id": instance["definition_id"],
        "nft_instance_id": instance["id"],
        "draw_number": draw_number,
        "similarity_score": computed.score,
        "draw_top_digits": computed.draw_top_digits,
        "winning_top_digits": computed.winning_top_digits,
        "threshold_used": threshold,
        "outcome": outcome,
        "evaluated_at": T0 + timedelta(days=1, minutes=rid),
    }


def populate(connection: Connection, generation: str, *, sqlite: bool) -> LegacyData:
    """Create the tables of ``generation`` and write the event database; returns it.

    On SQLite, timestamps are written naive (UTC) and a few rows only SQLite can hold are
    added (a NUL byte, an orphan instance, the old foreign keys being unenforced).
    """
    v0 = generation == "v0"
    md = legacy_metadata(generation)
    md.create_all(connection)
    names = {
        "users": "users",
        "admins": "admins",
        "definitions": "nfts" if v0 else "nft_definitions",
        "instances": "user_nft_ownership" if v0 else "nft_instances",
        "bingo_cards": "bingo_cards",
        "bingo_cells": "bingo_cells",
        "draw_types": "prize_draw_types",
        "winning_numbers": "prize_draw_winning_numbers",
        "results": "prize_draw_results",
    }
    data = LegacyData(generation=generation, table_names=names)
    skip = data.skipped
    admins = [
        {
            "id": 1,
            "email": "boss@example.org",
            "password_hash": "adminhash",
            "name": "Boss",
            "role": "owner",
            "created_at": T0,
            "updated_at": T0,
        },
        {
            "id": 2,
            "email": None,
            "password_hash": "second",
            "name": None,
            "role": None,
            "created_at": T0,
            "updated_at": T0 + timedelta(seconds=1),
        },
    ]
    users = [
        _user(1),
        _user(2, email=" Alice@Example.ORG ", on_chain_id=None, paymail=None),
        _user(3, email="", nickname=None, password_hash=None),
        _user(4, in_app_id=None),
        _user(5, on_chain_id="chain-1"),
    ]
    skip[("users", 5)] = "duplicate on_chain_id"
    if sqlite:
        users.append(_user(6, nickname="bad\x00nick"))
        skip[("users", 6)] = "NUL"
    definitions = [_definition(did) for did in range(1, 10)]
    definitions[0].update(minted_count=3 if not v0 else 2, max_supply=100)
    definitions[1].update(minted_count=5, template_id=7, bingo_period_id=3, bingo_group_id=2)
    definitions[2].update(minted_count=0)
    definitions.append(_definition(10, status="retired", minted_count=0))
    skip[(names["definitions"], 10)] = "status"
    inst = [
        _instance(1, 1, 1, 0, nft_origin="ABC"),
        _instance(2, 1, 2, 0, nft_origin="TxB_0", other_meta=json.dumps({"app": "old"})),
        _instance(3, 1, 3, 0, error_message="mint retried", nft_id_hash="h" * 64),
        _instance(4, 1, 4, 0),
        _instance(5, 1, 5, 0, status="transferred"),
        *[_instance(i, 1, i, 0) for i in range(6, 10)],
        _instance(
            10,
            2,
            1,
            1,
            nft_origin=None,
            current_nft_location=None,
            blockchain_nft_id=None,
            transaction_id=None,
        ),
        _instance(12, 5, 6, 1),
    ]
    skip[(names["instances"], 12)] = "user 5 was not imported"
    if not v0:
        inst.append(_instance(11, 1, 1, 2, nft_origin="TXE_0", raw_tx_data=b"\x01\x02raw"))
    if sqlite:
        inst.append(_instance(13, 999, 4, 1))
        skip[(names["instances"], 13)] = "orphan: user 999"
    inst.sort(key=lambda row: row["id"])
    cards = [
        {
            "id": 1,
            "user_id": 1,
            "period_id": None,
            "issued_at": T0 + timedelta(hours=4),
            "start_time": None,
            "issuance_month": "2025-03",
            "completed_at": None,
            "expiry": T0 + timedelta(days=30),
            "state": "active",
            "bingo_reward_claimed": False,
        },
        {
            "id": 2,
            "user_id": 2,
            "period_id": 4,
            "issued_at": T0 + timedelta(hours=5),
            "start_time": None,
            "issuance_month": None,
            "completed_at": None,
            "expiry": None,
            "state": "active",
            "bingo_reward_claimed": False,
        },
        {
            "id": 3,
            "user_id": 1,
            "period_id": None,
            "issued_at": T0 + timedelta(hours=6),
            "start_time": None,
            "issuance_month": None,
            "completed_at": None,
            "expiry": None,
            "state": "expired",
            "bingo_reward_claimed": False,
        },
    ]
    skip[("bingo_cards", 2)] = "broken unlock link"
    skip[("bingo_cards", 3)] = "duplicate card centre"
    layout = {0: 2, 1: 3, 2: 5, 3: 4, 4: 1, 5: 6, 6: 7, 7: 8, 8: 9}
    unlocked = {0: 2, 1: 3, 2: 5, 4: 1}  # idx -> matched instance (top row complete)
    cells: list[dict[str, Any]] = []
    for card in cards:
        for idx, target in layout.items():
            matched = None
            if card["id"] == 1:
                matched = unlocked.get(idx)
            elif card["id"] == 2 and idx == 4:
                matched = 1  # an instance of another user: a broken unlock link
            cells.append(
                {
                    "id": 100 * card["id"] + idx,
                    "bingo_card_id": card["id"],
                    "idx": idx,
                    "target_definition_id": target,
                    "definition_id": target if matched else None,
                    "matched_nft_instance_id": matched,
                    "state": "unlocked" if matched else "locked",
                    "unlocked_at": T0 + timedelta(hours=7, minutes=idx) if matched else None,
                }
            )
    draw_types = [
        {
            "id": 1,
            "internal_name": "weekly",
            "display_name": "Weekly",
            "description": None,
            "algorithm_key": "sha256_hex_proximity",
            "default_threshold": 0.5,
            "created_at": T0,
            "updated_at": T0,
        },
        {
            "id": 2,
            "internal_name": "mystery",
            "display_name": None,
            "description": None,
            "algorithm_key": "no_such_algorithm",
            "default_threshold": None,
            "created_at": T0,
            "updated_at": T0,
        },
    ]
    skip[("prize_draw_types", 2)] = "no_such_algorithm"
    winning = [
        {"id": 1, "draw_type_id": 1, "value": "ABD ", "created_at": T0 + timedelta(days=1)},
        {"id": 2, "draw_type_id": 1, "value": "abd", "created_at": T0 + timedelta(days=2)},
        {"id": 4, "draw_type_id": 2, "value": "x", "created_at": T0 + timedelta(days=2)},
    ]
    skip[("prize_draw_winning_numbers", 4)] = "draw type 2 was not imported"
    by_id = {row["id"]: row for row in inst}
    results = [
        _scored(1, by_id[1], 1, 2, "abd", 0.5),
        _scored(2, by_id[2], 1, 1, "ABD ", 0.5),  # old code: raw value, not normalised
        _scored(3, by_id[3], 1, None, "gone", 0.5),  # its winning number was deleted
        {
            **_scored(4, by_id[4], 1, None, "x", None),
            "similarity_score": None,
            "draw_top_digits": None,
            "winning_top_digits": None,
        },
        _scored(5, by_id[12], 1, 2, "abd", 0.5),
    ]
    skip[("prize_draw_results", 5)] = "user 5 was not imported"
    data.rows = {
        "admins": admins,
        "users": users,
        "definitions": definitions,
        "instances": inst,
        "bingo_cards": cards,
        "bingo_cells": cells,
        "draw_types": draw_types,
        "winning_numbers": winning,
        "results": results,
    }
    for kind, rows in data.rows.items():
        table = md.tables[names[kind]]
        connection.execute(
            insert(table),
            [_to_legacy(table, row, generation, naive=sqlite) for row in rows],
        )
    return data


_V0_RENAMES = {
    "user_nft_ownership": {"definition_id": "nft_id", "unique_instance_id": "unique_nft_id"},
    "bingo_cells": {
        "target_definition_id": "target_template_id",
        "definition_id": "nft_id",
        "matched_nft_instance_id": "matched_ownership_id",
    },
    "prize_draw_results": {"definition_id": "nft_id", "nft_instance_id": "ownership_id"},
}


def _to_legacy(
    table: Table, row: dict[str, Any], generation: str, *, naive: bool
) -> dict[str, Any]:
    renames = _V0_RENAMES.get(table.name, {}) if generation == "v0" else {}
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = renames.get(key, key)
        if name not in table.c:
            continue
        if isinstance(value, datetime):
            value = (
                value.replace(tzinfo=None)
                if naive
                else value.astimezone(timezone(timedelta(hours=9)))
            )
        out[name] = value
    return out


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
