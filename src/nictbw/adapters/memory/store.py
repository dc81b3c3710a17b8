"""The in-memory store: one table per aggregate with the constraints of domain-rules.md §2."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from datetime import datetime
from operator import attrgetter

from nictbw.adapters.memory.columnar import RESULT_KEY, ResultOwners, ResultTable
from nictbw.adapters.memory.mirror import ColumnMirror
from nictbw.adapters.memory.table import ForeignKey, Index, Table, UniqueKey, make_copier
from nictbw.domain.bingo import line_entry
from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CELL_UNLOCKED,
    INSTANCE_SUCCEEDED,
    SNAPSHOT_ATTENDANCE,
    Admin,
    AuditEntry,
    BingoCard,
    BingoCell,
    CardState,
    CellState,
    DefinitionStatus,
    InstanceStatus,
    NFTDefinition,
    NFTInstance,
    Outcome,
    PrizeDrawResult,
    PrizeDrawSnapshot,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    SnapshotScope,
    User,
)
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.events import DomainEvent
from nictbw.domain.idempotency import IdempotencyRecord
from nictbw.domain.scoring import origin_key

DEFINITION_STATUSES = frozenset(status.value for status in DefinitionStatus)
INSTANCE_STATUSES = frozenset(status.value for status in InstanceStatus)
CARD_STATES = frozenset(state.value for state in CardState)
CELL_STATES = frozenset(state.value for state in CellState)
OUTCOMES = frozenset(outcome.value for outcome in Outcome)
SNAPSHOT_SCOPES = frozenset(scope.value for scope in SnapshotScope)
LIVE_CARD_STATES = frozenset((CARD_ACTIVE, CARD_COMPLETED))
"""The stored card states whose completed lines may count in a draw."""

copy_cell = make_copier(BingoCell)
_copy_card_fields = make_copier(BingoCard, skip=("cells",))


def copy_card(card: BingoCard) -> BingoCard:
    """A copy of a card and of each of its cells."""
    copied = _copy_card_fields(card)
    copied.cells = [copy_cell(cell) for cell in card.cells]
    return copied


def _one_of(table: str, column: str, allowed: frozenset[str], value: object) -> None:
    if value not in allowed:
        raise ValidationError(f"{table}.{column} {value!r} is not one of {sorted(allowed)}")


def _check_definition(row: NFTDefinition) -> None:
    _one_of("nft_definitions", "status", DEFINITION_STATUSES, row.status)
    if row.minted_count < 0:
        raise ValidationError(f"nft_definitions.minted_count {row.minted_count} is negative")
    if row.max_supply is not None and row.max_supply < 0:
        raise ValidationError(f"nft_definitions.max_supply {row.max_supply} is negative")
    if row.card_lifetime_seconds is not None and row.card_lifetime_seconds <= 0:
        raise ValidationError(
            f"nft_definitions.card_lifetime_seconds {row.card_lifetime_seconds} is not positive"
        )


def _check_instance(row: NFTInstance) -> None:
    _one_of("nft_instances", "status", INSTANCE_STATUSES, row.status)


def _check_draw_type(row: PrizeDrawType) -> None:
    threshold = row.default_threshold
    if threshold is not None and not (0.0 <= threshold <= 1.0):
        raise ValidationError(f"prize_draw_types.default_threshold {threshold!r} is outside [0, 1]")
    cap = row.max_wins_per_user
    if cap is not None and cap < 1:
        raise ValidationError(f"prize_draw_types.max_wins_per_user {cap!r} is below 1")


def _check_snapshot(row: PrizeDrawSnapshot) -> None:
    _one_of("prize_draw_snapshots", "scope", SNAPSHOT_SCOPES, row.scope)
    if (row.scope == SNAPSHOT_ATTENDANCE) != (row.attendance_definition_id is not None):
        raise ValidationError(
            "prize_draw_snapshots.attendance_definition_id must be set exactly for the "
            f"attendance scope, got scope {row.scope!r} and {row.attendance_definition_id!r}"
        )
    if row.candidate_count < 0:
        raise ValidationError(
            f"prize_draw_snapshots.candidate_count {row.candidate_count} is negative"
        )
    beacon = (row.beacon_chain_hash, row.beacon_public_key, row.beacon_scheme, row.beacon_round)
    if len({value is None for value in (*beacon, row.beacon_round_at)}) != 1:
        raise ValidationError(
            "prize_draw_snapshots beacon fields must be all set or all null, got "
            f"beacon_round {row.beacon_round!r} and beacon_chain_hash {row.beacon_chain_hash!r}"
        )
    cap = row.max_wins_per_user
    if cap is not None and (cap < 1 or row.beacon_round is None):
        raise ValidationError(
            f"prize_draw_snapshots.max_wins_per_user {cap!r} must be >= 1 and only on a "
            "sealed snapshot"
        )


def _check_winning_number(row: PrizeDrawWinningNumber) -> None:
    start, end = row.effective_at, row.expires_at
    if start is not None and end is not None and not end > start:
        raise ValidationError(
            f"prize_draw_winning_numbers.expires_at {end.isoformat()} is not after "
            f"effective_at {start.isoformat()}"
        )


def _check_result(row: PrizeDrawResult) -> None:
    _one_of("prize_draw_results", "outcome", OUTCOMES, row.outcome)


def _succeeded_origin(row: NFTInstance) -> Hashable | None:
    if row.status == INSTANCE_SUCCEEDED and row.nft_origin is not None:
        return row.nft_origin
    return None


result_key: Callable[[PrizeDrawResult], Hashable] = attrgetter(
    "nft_instance_id", "draw_type_id", "winning_number_id"
)
"""The result identity; a missing winning number is a key value of its own (§2.9)."""


CANDIDATES = "candidate columns"
"""The :class:`ColumnMirror` of the instances table."""

LINES = "completed lines"
"""The index of cards by :func:`line_entry` (cards holding a completed line only): a draw
reads the instances on completed lines from it without walking cards or cells."""


def _lines_key(card: BingoCard) -> Hashable | None:
    entry = line_entry(card)
    return entry if entry[2] and entry[0] in LIVE_CARD_STATES else None


def _key(column: str) -> UniqueKey:
    return UniqueKey(column, attrgetter(column))


def _index(column: str) -> Index:
    return Index(attrgetter(column))


def _origin_key(instance: NFTInstance) -> str | None:
    """The collision key of an instance's origin (``lower(trim(nft_origin))`` in SQL)."""
    origin = instance.nft_origin
    return None if origin is None else origin_key(origin)


class InMemoryStore:
    """The shared state of the in-memory adapter: tables, indexes, id sequences and a lock.

    Units of work on one store see each other's committed changes; the store lock makes
    them take turns (one writer at a time).
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.next_cell_id = 1
        self.events: dict[int, DomainEvent] = {}
        """The outbox: events by id, in append order (stored with ``id`` unset)."""
        self.delivered_events: dict[int, datetime] = {}
        """When each delivered event was marked delivered, by id."""
        self.next_event_id = 1
        self.idempotency_keys: dict[tuple[str, str], IdempotencyRecord] = {}
        """Idempotency keys by (workflow, key)."""
        self.users: Table[User] = Table(
            "users",
            copy=make_copier(User),
            not_null=(
                "password_provided",
                "initial_reward_claimed",
                "is_test_user",
                "created_at",
                "updated_at",
            ),
            datetimes=("created_at", "updated_at"),
            uniques=(_key("in_app_id"), _key("email"), _key("paymail"), _key("on_chain_id")),
        )
        self.admins: Table[Admin] = Table(
            "admins",
            copy=make_copier(Admin),
            not_null=("password_hash", "created_at", "updated_at"),
            datetimes=("created_at", "updated_at"),
            uniques=(_key("email"),),
        )
        self.definitions: Table[NFTDefinition] = Table(
            "nft_definitions",
            copy=make_copier(NFTDefinition, json_fields=("imported_extra",)),
            not_null=(
                "prefix",
                "shared_key",
                "name",
                "nft_type",
                "minted_count",
                "status",
                "triggers_bingo_card",
                "bingo_random_candidate",
                "is_dummy",
                "is_public",
                "created_at",
                "updated_at",
            ),
            datetimes=("created_at", "updated_at"),
            json_fields=("imported_extra",),
            checks=(_check_definition,),
            foreign_keys=(ForeignKey("created_by_admin_id", self.admins),),
            uniques=(_key("prefix"),),
        )
        self.instances: Table[NFTInstance] = Table(
            "nft_instances",
            copy=make_copier(NFTInstance, json_fields=("other_meta",)),
            not_null=(
                "user_id",
                "definition_id",
                "serial_number",
                "unique_instance_id",
                "acquired_at",
                "status",
            ),
            datetimes=("acquired_at", "blockchain_created_at", "blockchain_updated_at"),
            json_fields=("other_meta",),
            checks=(_check_instance,),
            foreign_keys=(
                ForeignKey("user_id", self.users),
                ForeignKey("definition_id", self.definitions),
            ),
            uniques=(
                UniqueKey(
                    "(definition_id, serial_number)",
                    lambda row: (row.definition_id, row.serial_number),
                ),
                _key("unique_instance_id"),
                UniqueKey("nft_origin of a succeeded instance", _succeeded_origin),
            ),
            indexes={
                "user_id": _index("user_id"),
                "definition_id": _index("definition_id"),
                "nft_origin": _index("nft_origin"),
                "origin_key": Index(_origin_key),
                CANDIDATES: ColumnMirror(),
            },
        )
        self.bingo_cards: Table[BingoCard] = Table(
            "bingo_cards",
            copy=copy_card,
            not_null=(
                "user_id",
                "center_definition_id",
                "issued_at",
                "state",
                "bingo_reward_claimed",
            ),
            datetimes=("issued_at", "start_time", "completed_at", "expiry"),
            checks=(self._check_card,),
            foreign_keys=(
                ForeignKey("user_id", self.users),
                ForeignKey("center_definition_id", self.definitions),
            ),
            uniques=(
                UniqueKey(
                    "(user_id, center_definition_id)",
                    lambda row: (row.user_id, row.center_definition_id),
                ),
            ),
            indexes={"user_id": _index("user_id"), LINES: Index(_lines_key)},
            on_id=_own_cells,
        )
        self.draw_types: Table[PrizeDrawType] = Table(
            "prize_draw_types",
            copy=make_copier(PrizeDrawType),
            not_null=("internal_name", "algorithm_key", "created_at", "updated_at"),
            datetimes=("created_at", "updated_at"),
            checks=(_check_draw_type,),
            uniques=(_key("internal_name"),),
        )
        self.winning_numbers: Table[PrizeDrawWinningNumber] = Table(
            "prize_draw_winning_numbers",
            copy=make_copier(PrizeDrawWinningNumber, json_fields=("metadata",)),
            not_null=("draw_type_id", "value", "created_at"),
            datetimes=("effective_at", "expires_at", "created_at"),
            json_fields=("metadata",),
            checks=(_check_winning_number,),
            foreign_keys=(ForeignKey("draw_type_id", self.draw_types),),
            indexes={"draw_type_id": _index("draw_type_id")},
        )
        self.draw_snapshots: Table[PrizeDrawSnapshot] = Table(
            "prize_draw_snapshots",
            copy=make_copier(PrizeDrawSnapshot),
            not_null=(
                "draw_type_id",
                "scope",
                "candidate_count",
                "candidates_sha256",
                "created_at",
            ),
            datetimes=("created_at", "beacon_round_at"),
            checks=(_check_snapshot,),
            foreign_keys=(
                ForeignKey("draw_type_id", self.draw_types),
                ForeignKey("attendance_definition_id", self.definitions),
            ),
            indexes={"draw_type_id": _index("draw_type_id")},
        )
        self.draw_results = ResultTable(
            "prize_draw_results",
            copy=make_copier(PrizeDrawResult),
            not_null=(
                "draw_type_id",
                "user_id",
                "definition_id",
                "nft_instance_id",
                "draw_number",
                "outcome",
                "evaluated_at",
            ),
            datetimes=("evaluated_at",),
            checks=(_check_result,),
            foreign_keys=(
                ForeignKey("draw_type_id", self.draw_types),
                ForeignKey("winning_number_id", self.winning_numbers),
                ForeignKey("user_id", self.users),
                ForeignKey("definition_id", self.definitions),
                ForeignKey("nft_instance_id", self.instances),
            ),
            uniques=(UniqueKey(RESULT_KEY, result_key, ResultOwners()),),
            indexes={
                "draw_type_id": _index("draw_type_id"),
                "draw_type_and_number": Index(attrgetter("draw_type_id", "winning_number_id")),
            },
        )

        self.audit_log: Table[AuditEntry] = Table(
            "audit_log",
            copy=make_copier(AuditEntry, json_fields=("before", "after")),
            not_null=("at", "admin_id", "action", "entity_type"),
            datetimes=("at",),
            json_fields=("before", "after"),
            foreign_keys=(ForeignKey("admin_id", self.admins),),
        )

    def _check_card(self, card: BingoCard) -> None:
        """CHECKs of the card and its cells, the cells' UNIQUE keys and foreign keys."""
        _one_of("bingo_cards", "state", CARD_STATES, card.state)
        if (card.state == CARD_COMPLETED) != (card.completed_at is not None):
            raise ValidationError(
                f"bingo_cards row {card.id}: state {card.state!r} and completed_at "
                f"{card.completed_at!r} disagree (completed exactly when completed_at is set)"
            )
        idxs: set[int] = set()
        targets: set[int] = set()
        for cell in card.cells:
            self._check_cell(cell)
            if cell.idx in idxs:
                raise ConflictError(
                    f"bingo_cells (bingo_card_id, idx) {(card.id, cell.idx)!r} is already taken"
                )
            if cell.target_definition_id in targets:
                raise ConflictError(
                    "bingo_cells (bingo_card_id, target_definition_id) "
                    f"{(card.id, cell.target_definition_id)!r} is already taken"
                )
            idxs.add(cell.idx)
            targets.add(cell.target_definition_id)

    def _check_cell(self, cell: BingoCell) -> None:
        for column in ("idx", "target_definition_id", "state"):
            if getattr(cell, column) is None:
                raise ValidationError(f"bingo_cells.{column} must not be null (cell {cell.id})")
        _one_of("bingo_cells", "state", CELL_STATES, cell.state)
        if not 0 <= cell.idx <= 8:
            raise ValidationError(f"bingo_cells.idx {cell.idx} is outside 0..8")
        if (cell.state == CELL_UNLOCKED) != (cell.unlocked_at is not None):
            raise ValidationError(
                f"bingo_cells row {cell.id}: state {cell.state!r} and unlocked_at "
                f"{cell.unlocked_at!r} disagree (unlocked exactly when unlocked_at is set)"
            )
        definitions = self.definitions.rows
        for column in ("target_definition_id", "definition_id"):
            value = getattr(cell, column)
            if value is not None and value not in definitions:
                raise ConflictError(
                    f"bingo_cells.{column} {value!r} references no nft_definitions row"
                )
        matched = cell.matched_nft_instance_id
        if matched is not None and matched not in self.instances.rows:
            raise ConflictError(
                f"bingo_cells.matched_nft_instance_id {matched!r} references no nft_instances row"
            )


def _own_cells(card: BingoCard) -> None:
    """Point every cell of a card being stored at the card."""
    for cell in card.cells:
        cell.bingo_card_id = card.id
