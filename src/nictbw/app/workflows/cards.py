"""Bingo cards of a user: bringing them up to date and rendering them (§4.6, §4.7).

Each per-user workflow has a bulk twin for jobs over every user: it reads the cards and
instances of a chunk of users in one statement each, so its statement count grows with
the number of chunks, not of users. The catalogue of definitions is read once per unit
of work (``DefinitionRepository.catalogue``); one user's cards JSON reads only the
definitions its cells show that the unit of work has not read yet (``catalogue_among``).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from nictbw.app.workflows._bingo_path import BingoBatch
from nictbw.app.workflows._gcpause import collector_paused
from nictbw.app.workflows.common import (
    atomic,
    lock_users,
    now_from,
    rng_or_none,
    user_id_of,
)
from nictbw.app.workflows.outbox import user_card_events
from nictbw.domain.bingo import (
    expire_if_due,
    held_by_definition,
    layout_card,
    unlock_held,
    unlocked_mask,
)
from nictbw.domain.entities import (
    CARD_ACTIVE,
    BingoCard,
    NFTDefinition,
    NFTInstance,
    TargetJson,
    User,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.values import check_id
from nictbw.ports import Clock, UnitOfWork

DEFAULT_USER_CHUNK: Final = 1000
"""Users per chunk of the bulk card workflows."""


class _Catalogue:
    """The unit of work's catalogue, read when first needed, with a layout checker sharing
    its candidates; a user with nothing to lay out needs its held definitions alone."""

    def __init__(self, uow: UnitOfWork, now: datetime, *, whole: bool = False) -> None:
        """``whole``: read the whole catalogue now (a job over many users needs it)."""
        self._uow = uow
        self._now = now
        self._definitions: Sequence[NFTDefinition] | None = None
        self._by_id: Mapping[int, NFTDefinition] | None = None
        self._checker: BingoBatch | None = None
        if whole:
            self._by_id = {d.id: d for d in self.definitions if d.id is not None}

    @property
    def definitions(self) -> Sequence[NFTDefinition]:
        """Every definition (``DefinitionRepository.catalogue``)."""
        if self._definitions is None:
            self._definitions = self._uow.definitions.catalogue()
        return self._definitions

    @property
    def by_id(self) -> Mapping[int, NFTDefinition]:
        """Every definition by id."""
        if self._by_id is None:
            self._by_id = {d.id: d for d in self.definitions if d.id is not None}
        return self._by_id

    def among(self, ids: Collection[int]) -> Mapping[int, NFTDefinition]:
        """The definitions by id, those among ``ids`` at least: the whole catalogue once it
        is read, else only those (``DefinitionRepository.catalogue_among``)."""
        if self._by_id is not None:
            return self._by_id
        return self._uow.definitions.catalogue_among(ids)

    @property
    def checker(self) -> BingoBatch:
        """The layout checker, made when a card is first needed."""
        if self._checker is None:
            self._checker = BingoBatch(self._uow, [], self._now, self.definitions)
        return self._checker


def _plan_user(
    catalogue: _Catalogue,
    user_id: int,
    held: Mapping[int, NFTInstance],
    cards: Sequence[BingoCard],
    now: datetime,
    rng: random.Random,
    seen: _Seen,
) -> tuple[list[BingoCard], list[BingoCard], int]:
    """The cards a user lacks, laid out, and its stored cards that changed (expired or
    unlocked); ``(new, changed, cells_unlocked)``. Nothing is written; what the events
    need (cards noticed expired, unlocked masks before) goes to ``seen``."""
    centres = {c.center_definition_id for c in cards}
    held_ids = sorted(held)
    by_id = catalogue.among(held_ids)
    needed = [
        by_id[definition_id]
        for definition_id in held_ids
        if by_id[definition_id].triggers_bingo_card and definition_id not in centres
    ]
    for definition in needed:
        catalogue.checker.check_can_generate(definition)
    new_cards: list[BingoCard] = []
    cells_unlocked = 0
    for definition in needed:
        card = layout_card(
            rng,
            user_id=user_id,
            center=definition,
            definitions=catalogue.definitions,
            held=held,
            now=now,
        )
        cells_unlocked += sum(1 for cell in card.cells if cell.is_unlocked)
        new_cards.append(card)
    changed: list[BingoCard] = []
    for card in cards:
        mask = unlocked_mask(card)
        touched = expire_if_due(card, now)
        if touched:
            seen.expired.append(card)
        if card.state == CARD_ACTIVE:
            got = unlock_held(card, held, now)
            cells_unlocked += got
            touched = touched or got > 0
            if got:
                seen.before[id(card)] = mask
        if touched:
            changed.append(card)
    return new_cards, changed, cells_unlocked


class _Seen:
    """What the events of a card update need: cards noticed expired, and the unlocked
    masks (by ``id(card)``) of cards before cells were unlocked on them."""

    def __init__(self) -> None:
        self.expired: list[BingoCard] = []
        self.before: dict[int, int] = {}


def _write(
    uow: UnitOfWork,
    new_cards: list[BingoCard],
    changed: list[BingoCard],
    seen: _Seen,
    now: datetime,
) -> None:
    if new_cards:
        uow.bingo_cards.add_many(new_cards)
    if changed:
        uow.bingo_cards.update_many(changed)
    events = user_card_events(changed, seen.before, new_cards, seen.expired, now)
    if events:
        uow.events.append_many(events)


def _require_user(uow: UnitOfWork, user_id: int) -> None:
    if uow.users.get(user_id) is None:
        raise NotFoundError(f"user {user_id} does not exist")


def update_user_bingo_info(
    uow: UnitOfWork,
    user: User,
    *,
    rng: random.Random | None = None,
    clock: Clock | None = None,
) -> tuple[int, int]:
    """Ensure the user has every card its trigger badges give and every cell it earned.

    Returns ``(cards_created, cells_unlocked)``; cells unlocked at generation count too.
    ``(0, 0)`` when everything was up to date. On SQL storage a user with nothing to do
    costs the user lock (PostgreSQL only), its instances and its cards: at most three
    statements, plus one for the definitions it holds that the unit of work has not read
    yet (the whole catalogue only when a card is laid out).
    """
    rng = rng_or_none(rng)
    user_id = user_id_of(user)
    now = now_from(clock)
    lock_users(uow, [user_id])
    instances = uow.instances.list_for_user(user_id)
    cards = uow.bingo_cards.list_for_user(user_id)
    if not instances and not cards:
        _require_user(uow, user_id)  # nothing stored for it: does it exist at all?
        return 0, 0
    catalogue = _Catalogue(uow, now)
    layout_rng = rng if rng is not None else random.Random()
    seen = _Seen()
    new_cards, changed, cells = _plan_user(
        catalogue, user_id, held_by_definition(instances), cards, now, layout_rng, seen
    )
    if new_cards or changed:  # an up-to-date user costs no savepoint round trips
        with atomic(uow):
            _write(uow, new_cards, changed, seen, now)
    return len(new_cards), cells


def _checked_ids(users: Iterable[int | User]) -> list[int]:
    """The distinct user ids, in first-seen order, each checked storable."""
    seen: set[int] = set()
    ordered: list[int] = []
    for item in users:
        user_id = user_id_of(item) if isinstance(item, User) else item
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise ValidationError(f"user id must be an int, got {user_id!r}")
        if user_id not in seen:
            seen.add(user_id)
            ordered.append(user_id)
    for user_id in ordered:
        check_id(user_id, "user id")
    return ordered


def _check_chunk(uow: UnitOfWork, chunk: Sequence[int]) -> None:
    """``NotFoundError`` naming the first id of ``chunk`` that is not a stored user."""
    found = uow.users.get_many(chunk)
    for user_id in chunk:
        if user_id not in found:
            raise NotFoundError(f"user {user_id} does not exist")


def _check_chunk_size(chunk: int) -> int:
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValidationError(f"chunk must be a positive int, got {chunk!r}")
    return chunk


def update_bingo_info_many(
    uow: UnitOfWork,
    user_ids: Iterable[int | User],
    *,
    chunk: int = DEFAULT_USER_CHUNK,
    rng: random.Random | None = None,
    clock: Clock | None = None,
) -> tuple[int, int]:
    """``update_user_bingo_info`` for many users (ids or stored users), in order.

    Gives what calling it user by user in the same order gives (same ``rng`` use), with
    a constant number of statements per ``chunk`` of users: the user check, the lock
    (PostgreSQL), their instances, their cards, and the bulk writes of that chunk; the
    catalogue is read once. Returns the totals ``(cards_created, cells_unlocked)``. All
    or nothing: an unknown user or a card that cannot be laid out changes nothing.
    """
    rng = rng_or_none(rng)
    size = _check_chunk_size(chunk)
    ordered = _checked_ids(user_ids)
    now = now_from(clock)
    layout_rng = rng if rng is not None else random.Random()
    created = unlocked = 0
    catalogue: _Catalogue | None = None
    with collector_paused(), atomic(uow):
        for start in range(0, len(ordered), size):
            part = ordered[start : start + size]
            _check_chunk(uow, part)
            lock_users(uow, part)
            instances: dict[int, list[NFTInstance]] = defaultdict(list)
            for instance in uow.instances.list_for_users(part):
                instances[instance.user_id].append(instance)
            cards: dict[int, list[BingoCard]] = defaultdict(list)
            for card in uow.bingo_cards.list_for_users(part):
                cards[card.user_id].append(card)
            if catalogue is None:
                catalogue = _Catalogue(uow, now, whole=True)
            new_cards: list[BingoCard] = []
            changed: list[BingoCard] = []
            seen = _Seen()
            for user_id in part:
                if not instances.get(user_id) and not cards.get(user_id):
                    continue
                new, touched, cells = _plan_user(
                    catalogue,
                    user_id,
                    held_by_definition(instances[user_id]),
                    cards[user_id],
                    now,
                    layout_rng,
                    seen,
                )
                new_cards.extend(new)
                changed.extend(touched)
                created += len(new)
                unlocked += cells
            _write(uow, new_cards, changed, seen, now)
    return created, unlocked


def _card_order(card: BingoCard) -> tuple[bool, datetime | None, int]:
    return (card.issued_at is None, card.issued_at, card.id or 0)


def _cards_json(
    cards: list[BingoCard],
    compact: bool,
    now: datetime,
    *,
    definitions: Mapping[int, NFTDefinition] | None = None,
    targets: TargetJson | None = None,
) -> list[dict[str, Any]]:
    """The cards' JSON in issue order; target definitions from ``targets`` (rendered once
    for many users) or ``definitions`` (rendered per cell: one user's cards seldom
    repeat a definition, so remembering renderings would cost more than it saves)."""
    cards.sort(key=_card_order)
    return [
        card.to_json(compact, now=now, definitions=definitions, targets=targets) for card in cards
    ]


def bingo_cards_json(
    uow: UnitOfWork,
    user: User,
    *,
    compact: bool = False,
    clock: Clock | None = None,
) -> list[dict[str, Any]]:
    """The user's cards with cells as JSON-ready data, ordered by issue time then id (§4.7).

    Read-only; on SQL storage at most two statements: the cards joined with their cells,
    then the definitions the cells show that this unit of work has not read yet
    (``catalogue_among``) or, for a user without cards, whether the user exists.
    """
    user_id = user_id_of(user)
    now = now_from(clock)
    cards = uow.bingo_cards.list_for_user(user_id)
    if not cards:
        _require_user(uow, user_id)
        return []
    shown = {cell.shown_definition_id for card in cards for cell in card.cells}
    definitions = uow.definitions.catalogue_among(shown)
    return _cards_json(cards, compact, now, definitions=definitions)


def bingo_cards_json_many(
    uow: UnitOfWork,
    user_ids: Iterable[int | User],
    *,
    chunk: int = DEFAULT_USER_CHUNK,
    compact: bool = False,
    clock: Clock | None = None,
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """``(user id, bingo_cards_json of that user)`` for many users (ids or stored users),
    in the order given, each user once.

    Produced chunk by chunk (``chunk`` users), so memory holds one chunk of cards and
    their JSON; per chunk two statements (the user check and the cards with their
    cells), plus the catalogue once. ``NotFoundError`` for an id that is not a stored
    user, raised when its chunk is reached.
    """
    size = _check_chunk_size(chunk)
    ordered = _checked_ids(user_ids)
    now = now_from(clock)
    return _cards_json_chunks(uow, ordered, size, compact, now)


def _cards_json_chunks(
    uow: UnitOfWork, ordered: list[int], size: int, compact: bool, now: datetime
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    # The catalogue's JSON is rendered once per definition for the whole call.
    targets: TargetJson | None = None
    for start in range(0, len(ordered), size):
        part = ordered[start : start + size]
        # A chunk is read and rendered with the collector paused (when switched on), then
        # handed out: the pause never spans the caller's code between two users.
        with collector_paused():
            _check_chunk(uow, part)
            cards: dict[int, list[BingoCard]] = defaultdict(list)
            for card in uow.bingo_cards.list_for_users(part):
                cards[card.user_id].append(card)
            if targets is None and cards:
                targets = TargetJson(_Catalogue(uow, now).by_id, compact)
            rendered: list[tuple[int, list[dict[str, Any]]]] = []
            for user_id in part:
                found = cards.pop(user_id, None)
                if not found or targets is None:
                    rendered.append((user_id, []))
                else:
                    rendered.append((user_id, _cards_json(found, compact, now, targets=targets)))
        yield from rendered


def bingo_cards_json_str(
    uow: UnitOfWork,
    user: User,
    *,
    compact: bool = False,
    clock: Clock | None = None,
) -> str:
    """``bingo_cards_json`` as JSON text: non-ASCII kept, separators ``", "`` and ``": "``."""
    data = bingo_cards_json(uow, user, compact=compact, clock=clock)
    return json.dumps(data, ensure_ascii=False, separators=(", ", ": "))
