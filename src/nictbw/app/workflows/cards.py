"""Bingo cards of a user: bringing them up to date and rendering them (§4.6, §4.7)."""

from __future__ import annotations

import json
import random
from typing import Any

from nictbw.app.workflows._bingo_path import BingoBatch
from nictbw.app.workflows.common import (
    atomic,
    lock_users,
    now_from,
    rng_or_none,
    stored_user,
)
from nictbw.app.workflows.outbox import user_card_events
from nictbw.domain.bingo import (
    expire_if_due,
    held_by_definition,
    layout_card,
    unlock_held,
    unlocked_mask,
)
from nictbw.domain.entities import CARD_ACTIVE, BingoCard, User
from nictbw.ports import Clock, UnitOfWork


def update_user_bingo_info(
    uow: UnitOfWork,
    user: User,
    *,
    rng: random.Random | None = None,
    clock: Clock | None = None,
) -> tuple[int, int]:
    """Ensure the user has every card its trigger badges give and every cell it earned.

    Returns ``(cards_created, cells_unlocked)``; cells unlocked at generation count too.
    ``(0, 0)`` when everything was up to date.
    """
    rng = rng_or_none(rng)
    stored = stored_user(uow, user)
    assert stored.id is not None
    now = now_from(clock)
    lock_users(uow, [stored.id])
    catalogue = uow.definitions.list()
    by_id = {d.id: d for d in catalogue}
    held = held_by_definition(uow.instances.list_for_user(stored.id))
    checker = BingoBatch(uow, [], now, catalogue)
    cards = uow.bingo_cards.list_for_user(stored.id)
    centres = {c.center_definition_id for c in cards}
    needed = [
        by_id[definition_id]
        for definition_id in sorted(held)
        if by_id[definition_id].triggers_bingo_card and definition_id not in centres
    ]
    for definition in needed:
        checker.check_can_generate(definition)
    layout_rng = rng if rng is not None else random.Random()
    new_cards: list[BingoCard] = []
    cells_unlocked = 0
    for definition in needed:
        card = layout_card(
            layout_rng,
            user_id=stored.id,
            center=definition,
            definitions=catalogue,
            held=held,
            now=now,
        )
        cells_unlocked += sum(1 for cell in card.cells if cell.is_unlocked)
        new_cards.append(card)
    changed: list[BingoCard] = []
    expired: list[BingoCard] = []
    before: dict[int, int] = {}
    for card in cards:
        mask = unlocked_mask(card)
        touched = expire_if_due(card, now)
        if touched:
            expired.append(card)
        if card.state == CARD_ACTIVE:
            got = unlock_held(card, held, now)
            cells_unlocked += got
            touched = touched or got > 0
            if got:
                before[id(card)] = mask
        if touched:
            changed.append(card)
    if new_cards or changed:  # an up-to-date user costs no savepoint round trips
        with atomic(uow):
            if new_cards:
                uow.bingo_cards.add_many(new_cards)
            if changed:
                uow.bingo_cards.update_many(changed)
            events = user_card_events(changed, before, new_cards, expired, now)
            if events:
                uow.events.append_many(events)
    return len(new_cards), cells_unlocked


def bingo_cards_json(
    uow: UnitOfWork,
    user: User,
    *,
    compact: bool = False,
    clock: Clock | None = None,
) -> list[dict[str, Any]]:
    """The user's cards with cells as JSON-ready data, ordered by issue time then id (§4.7).

    Read-only; three queries on SQL storage (cards, cells, definitions).
    """
    stored = stored_user(uow, user)
    assert stored.id is not None
    now = now_from(clock)
    cards = sorted(
        uow.bingo_cards.list_for_user(stored.id),
        key=lambda c: (c.issued_at is None, c.issued_at, c.id or 0),
    )
    wanted: set[int] = set()
    for card in cards:
        for cell in card.cells:
            wanted.add(cell.target_definition_id)
            if cell.definition_id is not None:
                wanted.add(cell.definition_id)
    definitions = uow.definitions.get_many(wanted) if wanted else {}
    return [card.to_json(compact, now=now, definitions=definitions) for card in cards]


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
