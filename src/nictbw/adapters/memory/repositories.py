"""The repositories of the in-memory adapter, one per aggregate (ports/repositories.py).

Writes go straight to the store's tables and leave an undo record in the unit of work's
journal; each repository method is one "statement": when it fails, what it already did
is undone before the error propagates, so a failed add or update changes nothing.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Hashable, Sequence
from datetime import datetime
from functools import partial
from operator import attrgetter
from typing import TypeVar

from nictbw.adapters.memory.store import RESULT_KEY, result_key
from nictbw.adapters.memory.table import normalise_datetimes
from nictbw.adapters.memory.transaction import Transaction
from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CELL_UNLOCKED,
    OUTCOME_PENDING,
    WINNING_LINES,
    Admin,
    BingoCard,
    DrawCandidate,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
    normalize_email,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.values import INT64_MAX, check_int_range, check_lookup_keys
from nictbw.ports.repositories import (
    AdminRepository,
    BingoCardRepository,
    DefinitionRepository,
    DrawResultRepository,
    DrawTypeRepository,
    InstanceRepository,
    UserRepository,
    WinningNumberRepository,
)

_Stored = TypeVar("_Stored", User, NFTDefinition, NFTInstance)


def _covered_by_lines(unlocked: int) -> int:
    """The cells (as bits by idx) on the winning lines complete in the mask ``unlocked``."""
    covered = 0
    for line in WINNING_LINES:
        bits = sum(1 << idx for idx in line)
        if unlocked & bits == bits:
            covered |= bits
    return covered


COVERED_BY_LINES: tuple[int, ...] = tuple(_covered_by_lines(mask) for mask in range(1 << 9))
"""For each 9-bit mask of unlocked cells, the bits of the cells on completed lines."""
_by_idx = attrgetter("idx")


def _require_new(entity: object, label: str) -> None:
    entity_id = getattr(entity, "id", None)
    if entity_id is not None:
        raise ValidationError(f"{label} {entity_id} is already stored; add takes new entities only")


class InMemoryUserRepository(UserRepository):
    """Users in the in-memory store."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, user: User) -> User:
        """Store a copy of a new user and set its ``id``."""
        _require_new(user, "user")
        with self._tx.statement() as journal:
            table = self._tx.store.users
            row = table.prepare(user)
            table.insert_many([row], journal)
        user.id = row.id
        return user

    def get(self, user_id: int) -> User | None:
        """A copy of the user, or ``None``."""
        return self._tx.tables().users.read(user_id)

    def get_many(self, ids: Collection[int]) -> dict[int, User]:
        """Copies of the stored users among ``ids``, by id."""
        check_lookup_keys(ids, "user id")
        return _by_id(self._tx.tables().users.read_many(ids))

    def list(self) -> builtins.list[User]:
        """Every user, ascending id."""
        return self._tx.tables().users.read_all()

    def _by_key(self, column: str, value: str | None) -> User | None:
        table = self._tx.tables().users
        owner = table.owner(column, value) if value is not None else None
        return None if owner is None else table.read(owner)

    def get_by_in_app_id(self, in_app_id: str) -> User | None:
        """The user with this exact ``in_app_id``."""
        return self._by_key("in_app_id", in_app_id)

    def get_by_paymail(self, paymail: str) -> User | None:
        """The user with this exact paymail."""
        return self._by_key("paymail", paymail)

    def get_by_email(self, email: str) -> User | None:
        """The user with this email, trimmed and lower-cased first."""
        return self._by_key("email", normalize_email(email))

    def get_by_on_chain_id(self, on_chain_id: str) -> User | None:
        """The user with this exact chain username."""
        return self._by_key("on_chain_id", on_chain_id)

    def update(self, user: User) -> None:
        """Write every field of a stored user."""
        with self._tx.statement() as journal:
            table = self._tx.store.users
            table.replace(table.prepare(user), journal)


class InMemoryAdminRepository(AdminRepository):
    """Admins in the in-memory store."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, admin: Admin) -> Admin:
        """Store a copy of a new admin and set its ``id``."""
        _require_new(admin, "admin")
        with self._tx.statement() as journal:
            table = self._tx.store.admins
            row = table.prepare(admin)
            table.insert_many([row], journal)
        admin.id = row.id
        return admin

    def get(self, admin_id: int) -> Admin | None:
        """A copy of the admin, or ``None``."""
        return self._tx.tables().admins.read(admin_id)

    def list(self) -> builtins.list[Admin]:
        """Every admin, ascending id."""
        return self._tx.tables().admins.read_all()

    def get_by_email(self, email: str) -> Admin | None:
        """The admin with this email, trimmed and lower-cased first."""
        table = self._tx.tables().admins
        key = normalize_email(email)
        owner = table.owner("email", key) if key is not None else None
        return None if owner is None else table.read(owner)


class InMemoryDefinitionRepository(DefinitionRepository):
    """NFT definitions in the in-memory store."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, definition: NFTDefinition) -> NFTDefinition:
        """Store a copy of a new definition and set its ``id``."""
        _require_new(definition, "definition")
        with self._tx.statement() as journal:
            table = self._tx.store.definitions
            row = table.prepare(definition)
            table.insert_many([row], journal)
        definition.id = row.id
        return definition

    def get(self, definition_id: int) -> NFTDefinition | None:
        """A copy of the definition, or ``None``."""
        return self._tx.tables().definitions.read(definition_id)

    def get_many(self, ids: Collection[int]) -> dict[int, NFTDefinition]:
        """Copies of the stored definitions among ``ids``, by id."""
        check_lookup_keys(ids, "definition id")
        return _by_id(self._tx.tables().definitions.read_many(ids))

    def list(self) -> builtins.list[NFTDefinition]:
        """Every definition, ascending id."""
        return self._tx.tables().definitions.read_all()

    def get_by_prefix(self, prefix: str) -> NFTDefinition | None:
        """The definition with this exact prefix."""
        table = self._tx.tables().definitions
        owner = table.owner("prefix", prefix)
        return None if owner is None else table.read(owner)

    def get_many_by_prefix(self, prefixes: Collection[str]) -> dict[str, NFTDefinition]:
        """The stored definitions among ``prefixes``, by prefix."""
        check_lookup_keys(prefixes, "prefix")
        table = self._tx.tables().definitions
        found: dict[str, NFTDefinition] = {}
        for prefix in prefixes:
            owner = table.owner("prefix", prefix)
            if owner is not None and prefix not in found:
                found[prefix] = table.copy(table.rows[owner])
        return found

    def update(self, definition: NFTDefinition) -> None:
        """Write every field of a stored definition but ``minted_count``."""
        with self._tx.statement() as journal:
            table = self._tx.store.definitions
            row = table.prepare(definition)
            stored = table.rows.get(row.id) if row.id is not None else None
            if stored is not None:
                row.minted_count = stored.minted_count
            table.replace(row, journal)

    def reserve_serials(
        self, definition_id: int, count: int, *, enforce_supply: bool
    ) -> int | None:
        """Add ``count`` to ``minted_count`` (capped by ``max_supply`` if enforced); old value."""
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValidationError(f"serial count {count!r} must be an int >= 0")
        check_lookup_keys((definition_id, count), "reserve_serials argument")
        with self._tx.statement() as journal:
            table = self._tx.store.definitions
            stored = table.rows.get(definition_id)
            if stored is None:
                raise NotFoundError(f"definition {definition_id!r} is not stored")
            minted = stored.minted_count
            if (
                enforce_supply
                and stored.max_supply is not None
                and minted + count > stored.max_supply
            ):
                return None
            row = table.copy(stored)
            row.minted_count = minted + count
            table.replace(row, journal)
        return minted


class InMemoryInstanceRepository(InstanceRepository):
    """NFT instances in the in-memory store."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, instance: NFTInstance) -> NFTInstance:
        """Store a copy of a new instance and set its ``id``."""
        self.add_many([instance])
        return instance

    def add_many(self, instances: Sequence[NFTInstance]) -> None:
        """Store copies of new instances, all or none; ids in order."""
        for instance in instances:
            _require_new(instance, "instance")
        with self._tx.statement() as journal:
            table = self._tx.store.instances
            rows = table.prepare_many(instances)
            table.insert_many(rows, journal)
        for instance, row in zip(instances, rows, strict=True):
            instance.id = row.id

    def get(self, instance_id: int) -> NFTInstance | None:
        """A copy of the instance, or ``None``."""
        return self._tx.tables().instances.read(instance_id)

    def get_many(self, ids: Collection[int]) -> dict[int, NFTInstance]:
        """Copies of the stored instances among ``ids``, by id."""
        check_lookup_keys(ids, "instance id")
        return _by_id(self._tx.tables().instances.read_many(ids))

    def list(self) -> builtins.list[NFTInstance]:
        """Every instance, ascending id."""
        return self._tx.tables().instances.read_all()

    def _list_by(self, index: str, keys: Collection[Hashable]) -> builtins.list[NFTInstance]:
        table = self._tx.tables().instances
        return table.read_many(table.indexes[index].ids_of_many(keys))

    def list_for_user(self, user_id: int) -> builtins.list[NFTInstance]:
        """The user's instances, ascending id."""
        table = self._tx.tables().instances
        return table.read_many(table.indexes["user_id"].ids(user_id))

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[NFTInstance]:
        """The instances of these users, ascending id."""
        return self._list_by("user_id", user_ids)

    def list_for_definition(self, definition_id: int) -> builtins.list[NFTInstance]:
        """The definition's instances, ascending id."""
        table = self._tx.tables().instances
        return table.read_many(table.indexes["definition_id"].ids(definition_id))

    def list_by_origins(self, origins: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance whose origin is among ``origins``, ascending id."""
        return self._list_by("nft_origin", origins)

    def list_by_origin_keys(self, keys: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance whose origin key (trimmed, lower-cased) is among ``keys``."""
        return self._list_by("origin_key", keys)

    def existing_unique_ids(self, candidates: Collection[str]) -> set[str]:
        """The candidates already used as ``unique_instance_id``."""
        check_lookup_keys(candidates, "unique_instance_id")
        owners = self._tx.tables().instances.owners("unique_instance_id")
        return {candidate for candidate in candidates if candidate in owners}

    def candidates_for_definition(self, definition_id: int) -> builtins.list[DrawCandidate]:
        """Draw candidates of every instance of the definition, ascending id."""
        table = self._tx.tables().instances
        rows = table.rows
        return [_candidate(rows[i]) for i in table.indexes["definition_id"].ids(definition_id)]

    def update(self, instance: NFTInstance) -> None:
        """Write every field of a stored instance."""
        self.update_many([instance])

    def update_many(self, instances: Sequence[NFTInstance]) -> None:
        """Write every field of stored instances, in order, all or none."""
        with self._tx.statement() as journal:
            table = self._tx.store.instances
            table.replace_many(table.prepare_many(instances), journal)


class InMemoryBingoCardRepository(BingoCardRepository):
    """Bingo cards, each stored with its nine cells."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _prepare(self, card: BingoCard) -> BingoCard:
        row = self._tx.store.bingo_cards.prepare(card)
        for cell in row.cells:
            normalise_datetimes(cell, ("unlocked_at",))
        return row

    def add(self, card: BingoCard) -> BingoCard:
        """Store a copy of a new card with its cells; sets card and cell ids."""
        self.add_many([card])
        return card

    def add_many(self, cards: Sequence[BingoCard]) -> None:
        """Store copies of new cards with their cells, all or none; sets every id."""
        for card in cards:
            _require_new(card, "bingo card")
            for cell in card.cells:
                _require_new(cell, "bingo cell")
        with self._tx.statement() as journal:
            store = self._tx.store
            rows = [self._prepare(card) for card in cards]
            next_cell_id = store.next_cell_id
            for row in rows:
                for cell in row.cells:
                    cell.id = next_cell_id
                    next_cell_id += 1
            store.bingo_cards.insert_many(rows, journal)
            journal.append(partial(setattr, store, "next_cell_id", store.next_cell_id))
            store.next_cell_id = next_cell_id
        for card, row in zip(cards, rows, strict=True):
            card.id = row.id
            for cell, stored_cell in zip(card.cells, row.cells, strict=True):
                cell.id = stored_cell.id
                cell.bingo_card_id = row.id
            row.cells.sort(key=_by_idx)

    def get(self, card_id: int) -> BingoCard | None:
        """A copy of the card and its cells, or ``None``."""
        return self._tx.tables().bingo_cards.read(card_id)

    def list(self) -> builtins.list[BingoCard]:
        """Every card with its cells, ascending id."""
        return self._tx.tables().bingo_cards.read_all()

    def list_for_user(self, user_id: int) -> builtins.list[BingoCard]:
        """The user's cards with cells, ascending id."""
        table = self._tx.tables().bingo_cards
        return table.read_many(table.indexes["user_id"].ids(user_id))

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[BingoCard]:
        """The cards with cells of all these users, ascending id."""
        table = self._tx.tables().bingo_cards
        return table.read_many(table.indexes["user_id"].ids_of_many(user_ids))

    def update(self, card: BingoCard) -> None:
        """Write the card's fields and each of its cells."""
        self.update_many([card])

    def update_many(self, cards: Sequence[BingoCard]) -> None:
        """Write many cards and their cells, in order, all or none.

        Every cell given must be a stored cell of that card (``NotFoundError``); stored
        cells missing from ``card.cells`` keep their stored values.
        """
        with self._tx.statement() as journal:
            table = self._tx.store.bingo_cards
            rows: builtins.list[BingoCard] = []
            missing: NotFoundError | None = None
            for card in cards:
                try:
                    rows.append(self._merged_row(card))
                except NotFoundError as error:
                    missing = error
                    break
            # Written in order up to the first card that cannot be: the error raised is
            # the one writing the cards one by one would raise first.
            table.replace_many(rows, journal)
            if missing is not None:
                raise missing
            for row in rows:
                row.cells.sort(key=_by_idx)

    def _merged_row(self, card: BingoCard) -> BingoCard:
        """The stored row ``card`` becomes: its fields, its cells merged into the stored ones."""
        stored = self._tx.store.bingo_cards.rows.get(card.id) if card.id is not None else None
        if stored is None:
            raise NotFoundError(f"bingo card {card.id!r} is not stored")
        row = self._prepare(card)
        cells = {cell.id: cell for cell in stored.cells}
        for cell in row.cells:
            if cell.id not in cells:
                raise NotFoundError(f"bingo cell {cell.id!r} is not a cell of card {card.id}")
            cell.bingo_card_id = card.id
            cells[cell.id] = cell
        row.cells = builtins.list(cells.values())
        return row

    def completed_line_candidates(self, now: datetime) -> builtins.list[DrawCandidate]:
        """Matched instances on completed lines of cards active or completed at ``now``.

        Per live card, the unlocked cells give a 9-bit mask and ``COVERED_BY_LINES`` the
        cells on its completed lines; their matched instances are collected once each.
        """
        at = ensure_utc(now, "now")
        assert at is not None
        store = self._tx.tables()
        covered_by_lines = COVERED_BY_LINES
        matched: set[int] = set()
        for card in store.bingo_cards.rows.values():
            state = card.state
            if state != CARD_COMPLETED and (
                state != CARD_ACTIVE or (card.expiry is not None and at >= card.expiry)
            ):
                continue
            mask = 0
            for cell in card.cells:
                if cell.state == CELL_UNLOCKED:
                    mask |= 1 << cell.idx
            covered = covered_by_lines[mask]
            if covered:
                for cell in card.cells:
                    if covered >> cell.idx & 1 and cell.matched_nft_instance_id is not None:
                        matched.add(cell.matched_nft_instance_id)
        rows = store.instances.rows
        return [_candidate(rows[i]) for i in sorted(matched)]


class InMemoryDrawTypeRepository(DrawTypeRepository):
    """Prize draw types in the in-memory store."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, draw_type: PrizeDrawType) -> PrizeDrawType:
        """Store a copy of a new draw type and set its ``id``."""
        _require_new(draw_type, "draw type")
        with self._tx.statement() as journal:
            table = self._tx.store.draw_types
            row = table.prepare(draw_type)
            table.insert_many([row], journal)
        draw_type.id = row.id
        return draw_type

    def get(self, draw_type_id: int) -> PrizeDrawType | None:
        """A copy of the draw type, or ``None``."""
        return self._tx.tables().draw_types.read(draw_type_id)

    def list(self) -> builtins.list[PrizeDrawType]:
        """Every draw type, ascending id."""
        return self._tx.tables().draw_types.read_all()

    def get_by_internal_name(self, internal_name: str) -> PrizeDrawType | None:
        """The draw type with this exact internal name."""
        table = self._tx.tables().draw_types
        owner = table.owner("internal_name", internal_name)
        return None if owner is None else table.read(owner)


class InMemoryWinningNumberRepository(WinningNumberRepository):
    """Winning numbers in the in-memory store."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, winning_number: PrizeDrawWinningNumber) -> PrizeDrawWinningNumber:
        """Store a copy of a new winning number and set its ``id``."""
        _require_new(winning_number, "winning number")
        with self._tx.statement() as journal:
            table = self._tx.store.winning_numbers
            row = table.prepare(winning_number)
            table.insert_many([row], journal)
        winning_number.id = row.id
        return winning_number

    def get(self, winning_number_id: int) -> PrizeDrawWinningNumber | None:
        """A copy of the winning number, or ``None``."""
        return self._tx.tables().winning_numbers.read(winning_number_id)

    def list(self) -> builtins.list[PrizeDrawWinningNumber]:
        """Every winning number, ascending id."""
        return self._tx.tables().winning_numbers.read_all()

    def list_for_draw_type(self, draw_type_id: int) -> builtins.list[PrizeDrawWinningNumber]:
        """The draw type's winning numbers, ascending id."""
        table = self._tx.tables().winning_numbers
        return table.read_many(table.indexes["draw_type_id"].ids(draw_type_id))

    def latest_in_effect(self, draw_type_id: int, at: datetime) -> PrizeDrawWinningNumber | None:
        """The number in effect at ``at`` with the newest ``created_at``, then the highest id."""
        moment = ensure_utc(at, "at")
        assert moment is not None
        table = self._tx.tables().winning_numbers
        rows = table.rows
        best: PrizeDrawWinningNumber | None = None
        for row_id in table.indexes["draw_type_id"].ids(draw_type_id):
            row = rows[row_id]
            if not row.in_effect(moment):
                continue
            if best is None or (row.created_at, row_id) > (best.created_at, best.id):
                best = row
        return None if best is None else table.copy(best)


class InMemoryDrawResultRepository(DrawResultRepository):
    """Prize draw results in the in-memory store."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, result: PrizeDrawResult) -> PrizeDrawResult:
        """Store a copy of a new result and set its ``id``."""
        _require_new(result, "draw result")
        with self._tx.statement() as journal:
            table = self._tx.store.draw_results
            row = table.prepare(result)
            table.insert_many([row], journal)
        result.id = row.id
        return result

    def get(self, result_id: int) -> PrizeDrawResult | None:
        """A copy of the result, or ``None``."""
        return self._tx.tables().draw_results.read(result_id)

    def list(self) -> builtins.list[PrizeDrawResult]:
        """Every result, ascending id."""
        return self._tx.tables().draw_results.read_all()

    def list_for_draw_type(
        self, draw_type_id: int, winning_number_id: int | None = None
    ) -> builtins.list[PrizeDrawResult]:
        """The draw type's results (of ``winning_number_id`` only, when given), ascending id."""
        table = self._tx.tables().draw_results
        if winning_number_id is None:
            ids = table.indexes["draw_type_id"].ids(draw_type_id)
        else:
            ids = table.indexes["draw_type_and_number"].ids((draw_type_id, winning_number_id))
        return table.read_many(ids)

    def upsert_many(self, results: Sequence[PrizeDrawResult]) -> None:
        """Insert or overwrite by (instance, draw type, winning number); sets each ``id``.

        Keys not stored yet are inserted in one bulk step (ids in input order); the other
        results then overwrite their rows in input order, so a key given twice ends with
        its last result.
        """
        with self._tx.statement() as journal:
            table = self._tx.store.draw_results
            owners = table.owners(RESULT_KEY)
            rows = table.prepare_many(results)
            keys = builtins.list(map(result_key, rows))
            fresh: dict[Hashable, PrizeDrawResult] = {}
            overwrites: builtins.list[tuple[Hashable, PrizeDrawResult]] = []
            for key, row in zip(keys, rows, strict=True):
                if key in owners or key in fresh:
                    overwrites.append((key, row))
                else:
                    row.id = None
                    fresh[key] = row
            table.insert_many(builtins.list(fresh.values()), journal)
            stored = table.rows
            for key, row in overwrites:
                holder = owners[key]
                row.id = holder
                row.draw_type_id = stored[holder].draw_type_id
            table.replace_many([row for _, row in overwrites], journal)
        for result, row in zip(results, rows, strict=True):
            result.id = row.id

    def top(
        self,
        draw_type_id: int,
        winning_number_id: int,
        *,
        limit: int,
        include_pending: bool = True,
        with_ties: bool = False,
    ) -> builtins.list[PrizeDrawResult]:
        """Scored results by similarity desc, instance id, id; the first ``limit`` (+ ties)."""
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValidationError(f"limit {limit!r} must be an int >= 1")
        check_int_range(limit, "limit", minimum=1, maximum=INT64_MAX)
        table = self._tx.tables().draw_results
        rows = table.rows
        scored = [
            rows[i]
            for i in table.indexes["draw_type_and_number"].ids((draw_type_id, winning_number_id))
            if rows[i].similarity_score is not None
            and (include_pending or rows[i].outcome != OUTCOME_PENDING)
        ]
        scored.sort(key=_rank_key)
        chosen = scored[:limit]
        if with_ties and len(scored) > limit:
            cutoff = chosen[-1].similarity_score
            for row in scored[limit:]:
                if row.similarity_score != cutoff:
                    break
                chosen.append(row)
        return [table.copy(row) for row in chosen]


def _rank_key(row: PrizeDrawResult) -> tuple[float, int, int]:
    assert row.similarity_score is not None and row.id is not None
    return (-row.similarity_score, row.nft_instance_id, row.id)


def _candidate(row: NFTInstance) -> DrawCandidate:
    assert row.id is not None
    return DrawCandidate(
        instance_id=row.id,
        user_id=row.user_id,
        definition_id=row.definition_id,
        nft_origin=row.nft_origin,
        status=row.status,
    )


def _by_id(rows: list[_Stored]) -> dict[int, _Stored]:
    return {row.id: row for row in rows if row.id is not None}
