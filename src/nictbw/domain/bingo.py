"""Bingo rules (domain-rules.md §5): candidates, card layout, unlocking, completion, expiry.

Pure functions over the entities of :mod:`nictbw.domain.entities`. Time (``now``) and
randomness (``rng``) are parameters; nothing here reads a clock or a global generator.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Final

from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CARD_EXPIRED,
    CELL_LOCKED,
    CENTER_IDX,
    INSTANCE_SUCCEEDED,
    WINNING_LINES,
    BingoCard,
    BingoCell,
    NFTDefinition,
    NFTInstance,
)
from nictbw.domain.errors import ValidationError
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.values import is_storable_utc

CARD_CELL_COUNT = 9
OUTER_POSITIONS: tuple[int, ...] = (0, 1, 2, 3, 5, 6, 7, 8)
"""The non-centre idx values, in the order ``layout_card`` shuffles them."""
MIN_CANDIDATES = len(OUTER_POSITIONS)
"""Candidate definitions a card needs: one per outer cell (§5.2)."""

LINE_MASKS: Final[tuple[int, ...]] = tuple(sum(1 << idx for idx in line) for line in WINNING_LINES)
"""Each winning line (§5.6) as a bitmask over cell idx: bit ``idx`` set for its three cells.
Adapters that compute completed lines in storage build their query from these."""


def covered_by_lines(unlocked: int) -> int:
    """The cells (bits by idx) on the lines complete in the mask ``unlocked`` of unlocked idx."""
    covered = 0
    for line in LINE_MASKS:
        if unlocked & line == line:
            covered |= line
    return covered


COVERED_BY_LINES: Final[tuple[int, ...]] = tuple(
    covered_by_lines(mask) for mask in range(1 << CARD_CELL_COUNT)
)
""":func:`covered_by_lines` of every 9-bit mask, indexed by the mask."""


def _utc_now(now: datetime) -> datetime:
    """``now`` as aware UTC; a naive or missing value is a ``ValidationError``."""
    value = ensure_utc(now, "now")
    if value is None:
        raise ValidationError("now must be a datetime, got None")
    return value


def card_expiry(issued_at: datetime, lifetime_seconds: int, prefix: str) -> datetime:
    """``issued_at`` + the lifetime; ``ValidationError`` when that leaves the storable range."""
    try:
        expiry = issued_at + timedelta(seconds=lifetime_seconds)
    except OverflowError:
        expiry = None
    if expiry is None or not is_storable_utc(expiry):
        raise ValidationError(
            f"a card centred on '{prefix}' issued at {issued_at.isoformat()} with a lifetime "
            f"of {lifetime_seconds} seconds would expire beyond the storable range"
        )
    return expiry


def bingo_candidate_ids(
    definitions: Iterable[NFTDefinition],
    center_id: int,
    *,
    included: Collection[int] | None = None,
    excluded: Collection[int] | None = None,
) -> list[int]:
    """Ids that may fill a non-centre cell of a card centred on ``center_id`` (§5.2 step 1).

    Active definitions with ``bingo_random_candidate``, minus the centre and ``excluded``,
    intersected with ``included`` when given (an empty ``included`` leaves none); ascending.
    Definitions without an id (not stored) are never candidates.
    """
    excluded_ids = set(excluded) if excluded is not None else set()
    included_ids = set(included) if included is not None else None
    ids = {
        definition.id
        for definition in definitions
        if definition.id is not None
        and definition.is_bingo_candidate
        and definition.id != center_id
        and definition.id not in excluded_ids
        and (included_ids is None or definition.id in included_ids)
    }
    return sorted(ids)


def earliest_issued(instances: Iterable[NFTInstance]) -> NFTInstance | None:
    """The instance issued first: lowest ``serial_number``, then lowest ``id``; None if empty."""
    return min(instances, key=lambda instance: instance.issue_order, default=None)


def held_by_definition(instances: Iterable[NFTInstance]) -> dict[int, NFTInstance]:
    """Per definition id, the earliest issued ``succeeded`` instance among ``instances``."""
    held: dict[int, NFTInstance] = {}
    for instance in instances:
        if instance.status != INSTANCE_SUCCEEDED:
            continue
        current = held.get(instance.definition_id)
        if current is None or instance.issue_order < current.issue_order:
            held[instance.definition_id] = instance
    return held


def _held_instance(held: Mapping[int, NFTInstance], definition_id: int) -> NFTInstance | None:
    """The held ``succeeded`` instance of ``definition_id``, if any."""
    instance = held.get(definition_id)
    if instance is None or instance.status != INSTANCE_SUCCEEDED:
        return None
    return instance


def layout_card(
    rng: random.Random,
    *,
    user_id: int,
    center: NFTDefinition,
    definitions: Iterable[NFTDefinition],
    held: Mapping[int, NFTInstance],
    now: datetime,
    included: Collection[int] | None = None,
    excluded: Collection[int] | None = None,
) -> BingoCard:
    """Lay out a new card centred on ``center`` for ``user_id`` (§5.2).

    Draws ``rng.sample(candidates, 8)`` then shuffles the eight outer positions; no other
    ``rng`` call is made. Cells whose target is in ``held`` (definition id -> the user's
    earliest issued ``succeeded`` instance) start unlocked; a card whose nine cells all
    start unlocked is ``completed`` at once. Fewer than 8 candidates -> ``ValidationError``.
    """
    at = _utc_now(now)
    if center.id is None:
        raise ValidationError(f"centre definition {center.prefix!r} has no id; store it first")
    candidates = bingo_candidate_ids(definitions, center.id, included=included, excluded=excluded)
    needed = MIN_CANDIDATES
    if len(candidates) < needed:
        raise ValidationError(
            f"cannot lay out a bingo card centred on {center.prefix!r}: "
            f"{len(candidates)} candidate definitions, {needed} needed"
        )
    chosen = rng.sample(candidates, needed)
    positions = list(OUTER_POSITIONS)
    rng.shuffle(positions)

    targets = dict(zip(positions, chosen, strict=True))
    targets[CENTER_IDX] = center.id
    cells: list[BingoCell] = []
    for idx in range(CARD_CELL_COUNT):
        cell = BingoCell(idx=idx, target_definition_id=targets[idx])
        instance = _held_instance(held, cell.target_definition_id)
        if instance is not None:
            cell.unlock(instance.id, cell.target_definition_id, at)
        cells.append(cell)

    expiry = None
    if center.card_lifetime_seconds is not None:
        expiry = card_expiry(at, center.card_lifetime_seconds, center.prefix)
    card = BingoCard(
        user_id=user_id,
        center_definition_id=center.id,
        issued_at=at,
        expiry=expiry,
        state=CARD_ACTIVE,
        cells=cells,
    )
    apply_completion(card, at)
    return card


def apply_completion(card: BingoCard, now: datetime) -> bool:
    """Complete a card that is active at ``now`` with all nine cells unlocked.

    Sets state ``completed`` and ``completed_at = now``; returns True when the card changed.
    A card already completed, or expired (stored or effectively at ``now``), is left alone.
    """
    at = _utc_now(now)
    if card.effective_state(at) != CARD_ACTIVE or not card.is_full:
        return False
    card.state = CARD_COMPLETED
    card.completed_at = at
    return True


def expire_if_due(card: BingoCard, now: datetime) -> bool:
    """Store ``expired`` on an active card whose expiry is at or before ``now`` (§5.5).

    Returns True when the card changed; completed and expired cards are terminal.
    """
    at = _utc_now(now)
    if card.state == CARD_ACTIVE and card.effective_state(at) == CARD_EXPIRED:
        card.state = CARD_EXPIRED
        return True
    return False


def _unlock_matching(card: BingoCard, held: Mapping[int, NFTInstance], at: datetime) -> int:
    """Unlock the locked cells of ``card`` whose target is in ``held``; the count unlocked."""
    if card.effective_state(at) != CARD_ACTIVE:
        return 0
    unlocked = 0
    for cell in sorted(card.cells, key=lambda c: c.idx):
        if cell.is_unlocked:
            continue
        instance = _held_instance(held, cell.target_definition_id)
        if instance is None:
            continue
        cell.unlock(instance.id, cell.target_definition_id, at)
        unlocked += 1
    apply_completion(card, at)
    return unlocked


def unlock_for_instance(card: BingoCard, instance: NFTInstance, now: datetime) -> int:
    """Unlock the cells of ``card`` that ``instance`` targets, then check completion (§5.4).

    Only when the card is effectively active at ``now`` and the instance is ``succeeded``;
    unlocked cells are never re-matched. Returns the number of cells unlocked.
    """
    at = _utc_now(now)
    return _unlock_matching(card, {instance.definition_id: instance}, at)


def unlock_held(card: BingoCard, held: Mapping[int, NFTInstance], now: datetime) -> int:
    """Unlock every locked cell whose target is in ``held``, then check completion (§4.6).

    ``held`` maps definition id to the user's earliest issued ``succeeded`` instance (see
    :func:`held_by_definition`). Returns the number of cells unlocked; 0 unless the card is
    effectively active at ``now``.
    """
    at = _utc_now(now)
    return _unlock_matching(card, held, at)


def unlocked_mask(card: BingoCard) -> int:
    """The card's unlocked cells as a bitmask over idx (bit ``idx`` set when unlocked)."""
    return card.unlocked_mask


def newly_completed_lines(before: int, after: int) -> list[int]:
    """The :data:`LINE_MASKS` complete in the unlocked mask ``after`` but not in ``before``."""
    return [line for line in LINE_MASKS if after & line == line and before & line != line]


def release_instance(
    card: BingoCard, instance_id: int, held: Mapping[int, NFTInstance], now: datetime
) -> bool:
    """Take back from ``card`` what a withdrawn (revoked) instance gave it.

    Each cell matched by ``instance_id`` is matched instead to the user's held instance
    of its target (``held`` as :func:`held_by_definition` gives it, without the withdrawn
    instance), keeping its unlock time, or locked again when there is none. A completed
    card that is no longer full becomes active again, and expired when past its expiry
    at ``now``. So the card ends as a card laid out with ``held`` would be. Returns True
    when the card changed.
    """
    at = _utc_now(now)
    changed = False
    for cell in card.cells:
        if cell.matched_nft_instance_id != instance_id:
            continue
        replacement = _held_instance(held, cell.target_definition_id)
        if replacement is not None and replacement.id != instance_id:
            cell.matched_nft_instance_id = replacement.id
            cell.definition_id = cell.target_definition_id
        else:
            cell.state = CELL_LOCKED
            cell.definition_id = None
            cell.matched_nft_instance_id = None
            cell.unlocked_at = None
        changed = True
    if changed and card.state == CARD_COMPLETED and not card.is_full:
        card.state = CARD_ACTIVE
        card.completed_at = None
        expire_if_due(card, at)
    return changed


def line_instance_ids(card: BingoCard) -> tuple[int, ...]:
    """The instance ids matched on the card's completed lines, ascending (whatever its
    state or the order of its cells); cells unlocked without a matched instance give none."""
    covered = COVERED_BY_LINES[unlocked_mask(card)]
    if not covered:
        return ()
    return tuple(
        sorted(
            cell.matched_nft_instance_id
            for cell in card.cells
            if covered >> cell.idx & 1 and cell.matched_nft_instance_id is not None
        )
    )


LineEntry = tuple[str, datetime | None, tuple[int, ...]]
"""A card as its completed lines count: (stored state, expiry, :func:`line_instance_ids`)."""


def line_entry(card: BingoCard) -> LineEntry:
    """The card's :data:`LineEntry`."""
    return (card.state, card.expiry, line_instance_ids(card))


def live_line_instance_ids(entries: Iterable[LineEntry], now: datetime) -> list[int]:
    """Instance ids matched on completed lines of cards active or completed at ``now``
    (§5.6), the cards given as their :func:`line_entry`.

    One entry per instance however many lines or cards it is on, ascending. Cells unlocked
    without a matched instance give no entry. The caller filters eligibility.
    """
    at = _utc_now(now)
    live = [
        matched
        for state, expiry, matched in entries
        # The card's effective state (``BingoCard.effective_state``) is active or completed.
        if state == CARD_COMPLETED or (state == CARD_ACTIVE and (expiry is None or at < expiry))
    ]
    return sorted(set().union(*live))


def completed_line_instance_ids(cards: Iterable[BingoCard], now: datetime) -> list[int]:
    """:func:`live_line_instance_ids` of the ``cards`` themselves: the instance ids matched on
    completed lines of cards active or completed at ``now`` (§5.6), each once, ascending."""
    return live_line_instance_ids(map(line_entry, cards), now)


__all__ = [
    "COVERED_BY_LINES",
    "LINE_MASKS",
    "MIN_CANDIDATES",
    "OUTER_POSITIONS",
    "apply_completion",
    "bingo_candidate_ids",
    "completed_line_instance_ids",
    "covered_by_lines",
    "earliest_issued",
    "expire_if_due",
    "held_by_definition",
    "layout_card",
    "line_entry",
    "line_instance_ids",
    "live_line_instance_ids",
    "newly_completed_lines",
    "release_instance",
    "unlock_for_instance",
    "unlock_held",
    "unlocked_mask",
]
