"""The outbox: domain events appended in the transaction of their change, and read back.

Workflows call the builders below with what they changed and append the events with
one bulk call (``uow.events.append_many``: one statement per chunk on SQL storage), so
a rolled-back workflow leaves no event and a committed one leaves all of its events.
Other workflows (and hosts) record one event with :func:`record_event`. A consumer
reads :func:`pending_events` in id order, delivers them and calls
:func:`mark_events_delivered`: at-least-once delivery (see ``docs/events.md``).
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

from nictbw.app.workflows._bingo_path import BingoBatch
from nictbw.app.workflows.common import atomic, now_from
from nictbw.domain.bingo import newly_completed_lines, unlocked_mask
from nictbw.domain.entities import (
    CELL_UNLOCKED,
    OUTCOME_WIN,
    BingoCard,
    DrawResultColumns,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawSnapshot,
)
from nictbw.domain.events import DomainEvent, EventType, validate_event, validate_event_page
from nictbw.domain.outcomes import DrawOutcome
from nictbw.ports import Clock, UnitOfWork

_idx = attrgetter("idx")
_ISSUED = EventType.BADGE_ISSUED
_TRANSFERRED = EventType.BADGE_TRANSFERRED
_CREATED = EventType.CARD_CREATED
_UNLOCKED = EventType.CELL_UNLOCKED
_LINE = EventType.LINE_COMPLETED
_EXPIRED = EventType.CARD_EXPIRED


def record_event(
    uow: UnitOfWork,
    type: EventType | str,
    *,
    user_id: int | None = None,
    payload: dict[str, Any],
    clock: Clock | None = None,
) -> DomainEvent:
    """Append one validated event to the outbox in the caller's transaction; returns it
    with its id. ``ValidationError`` naming the value: unknown type, payload not a small
    JSON object or naming a secret (see :func:`nictbw.domain.events.validate_event`)."""
    now = now_from(clock)
    kind = validate_event(type, payload, user_id, now)
    event = DomainEvent(type=kind, occurred_at=now, user_id=user_id, payload=dict(payload))
    with atomic(uow):
        return uow.events.append(event)


def pending_events(
    uow: UnitOfWork, *, after_id: int | None = None, limit: int = 100
) -> list[DomainEvent]:
    """Up to ``limit`` undelivered events with id above ``after_id``, ascending id."""
    validate_event_page(after_id, limit)
    return uow.events.pending(after_id=after_id, limit=limit)


def mark_events_delivered(
    uow: UnitOfWork, ids: Collection[int], *, clock: Clock | None = None
) -> int:
    """Mark events delivered now (those already delivered keep their time); how many were
    newly marked. The caller commits, after it has delivered them."""
    now = now_from(clock)
    wanted = list(ids)
    if not wanted:
        return 0
    with atomic(uow):
        return uow.events.mark_delivered(wanted, now)


def _event(
    kind: EventType, now: datetime, user_id: int | None, payload: dict[str, Any]
) -> DomainEvent:
    return DomainEvent(type=kind, occurred_at=now, user_id=user_id, payload=payload)


def card_events(
    card: BingoCard, before: int | None, now: datetime, *, created: bool
) -> list[DomainEvent]:
    """The events of one card a workflow created or changed.

    A created card gives one ``CardCreated`` whose ``unlocked`` lists the cells it was
    laid out with already unlocked (no ``CellUnlocked`` for those); a changed card gives
    ``CellUnlocked`` per cell unlocked since the mask ``before``. Then ``LineCompleted``
    per line completed since (since nothing, for a new card).
    """
    cells = card.cells
    after = 0
    for cell in cells:
        if cell.state == CELL_UNLOCKED:
            after |= 1 << cell.idx
    user_id, card_id = card.user_id, card.id
    events: list[DomainEvent] = []
    if created:
        before = 0
        events.append(
            _event(
                _CREATED,
                now,
                user_id,
                {
                    "card_id": card_id,
                    "center_definition_id": card.center_definition_id,
                    "expiry": None if card.expiry is None else card.expiry.isoformat(),
                    "unlocked": [idx for idx in range(9) if after >> idx & 1],
                },
            )
        )
    elif before is None:
        return events
    else:
        fresh = after & ~before
        if fresh:
            for cell in sorted((c for c in cells if fresh >> c.idx & 1), key=_idx):
                events.append(
                    _event(
                        _UNLOCKED,
                        now,
                        user_id,
                        {
                            "card_id": card_id,
                            "idx": cell.idx,
                            "definition_id": cell.target_definition_id,
                            "instance_id": cell.matched_nft_instance_id,
                        },
                    )
                )
    for line in newly_completed_lines(before, after):
        events.append(
            _event(
                _LINE,
                now,
                user_id,
                {
                    "card_id": card_id,
                    "line": [idx for idx in range(9) if line >> idx & 1],
                    "card_completed": card.completed_at is not None,
                },
            )
        )
    return events


def expired_events(cards: Iterable[BingoCard], now: datetime) -> list[DomainEvent]:
    """``CardExpired`` for each card noticed expired."""
    return [
        _event(
            _EXPIRED,
            now,
            card.user_id,
            {
                "card_id": card.id,
                "expiry": None if card.expiry is None else card.expiry.isoformat(),
            },
        )
        for card in cards
    ]


def issued_events(instances: Iterable[NFTInstance], now: datetime) -> list[DomainEvent]:
    """``BadgeIssued`` for each new stored instance."""
    return [
        DomainEvent(
            type=_ISSUED,
            occurred_at=now,
            user_id=instance.user_id,
            payload={
                "instance_id": instance.id,
                "definition_id": instance.definition_id,
                "serial_number": instance.serial_number,
                "unique_instance_id": instance.unique_instance_id,
            },
        )
        for instance in instances
    ]


def append_issuing_events(
    uow: UnitOfWork, new: Sequence[NFTInstance], batch: BingoBatch, now: datetime
) -> None:
    """Append, with one bulk call, the events of an issuing pipeline run: cards noticed
    expired, badges issued, then per card created or changed its creation, cells
    unlocked and lines completed."""
    events = expired_events(batch.expired, now)
    events += issued_events(new, now)
    for card in batch.stored_new:
        events += card_events(card, 0, now, created=True)
    before = batch.unlocked_before
    for card in batch.stored_changed:
        mask = before.get(id(card))
        if mask is not None:
            events += card_events(card, mask, now, created=False)
    if events:
        uow.events.append_many(events)


def transferred_events(
    moves: Iterable[tuple[NFTInstance, int | None]], now: datetime
) -> list[DomainEvent]:
    """``BadgeTransferred`` for each (instance, new holder's user id or None when unknown);
    the event's user is the previous holder."""
    return [
        _event(
            _TRANSFERRED,
            now,
            instance.user_id,
            {
                "instance_id": instance.id,
                "definition_id": instance.definition_id,
                "to_user_id": to_user_id,
            },
        )
        for instance, to_user_id in moves
    ]


def sealed_event(snapshot: PrizeDrawSnapshot, now: datetime) -> DomainEvent:
    """``DrawSealed`` of a sealed snapshot: what an operator publishes before round R."""
    at = snapshot.beacon_round_at
    return _event(
        EventType.DRAW_SEALED,
        now,
        None,
        {
            "snapshot_id": snapshot.id,
            "draw_type_id": snapshot.draw_type_id,
            "candidate_count": snapshot.candidate_count,
            "candidates_sha256": snapshot.candidates_sha256,
            "beacon_round": snapshot.beacon_round,
            "beacon_round_at": None if at is None else at.isoformat(),
        },
    )


def _prize_won(
    now: datetime,
    user_id: int,
    draw_type_id: int | None,
    winning_number_id: int | None,
    result_id: int | None,
    instance_id: int,
    rank: int | None,
) -> DomainEvent:
    """The ``PrizeWon`` event of one winning result (``rank`` None: unranked)."""
    return DomainEvent(
        type=EventType.PRIZE_WON,
        occurred_at=now,
        user_id=user_id,
        payload={
            "draw_type_id": draw_type_id,
            "winning_number_id": winning_number_id,
            "result_id": result_id,
            "instance_id": instance_id,
            "rank": rank,
        },
    )


def _won(result: PrizeDrawResult, now: datetime, rank: int | None) -> DomainEvent:
    return _prize_won(
        now,
        result.user_id,
        result.draw_type_id,
        result.winning_number_id,
        result.id,
        result.nft_instance_id,
        rank,
    )


def append_draw_events(
    uow: UnitOfWork,
    draw_type_id: int,
    outcome: DrawOutcome,
    now: datetime,
    kind: str,
) -> None:
    """``DrawRun`` of a ranked draw, then ``PrizeWon`` per ranked result (rank from 1)."""
    number = outcome.winning_number
    events = [
        _event(
            EventType.DRAW_RUN,
            now,
            None,
            {
                "kind": kind,
                "draw_type_id": draw_type_id,
                "winning_number_id": number.id,
                "threshold": outcome.threshold,
                "eligible": outcome.eligible,
                "evaluated": outcome.evaluated,
                "winners": len(outcome),
            },
        )
    ]
    events += [_won(result, now, rank) for rank, result in enumerate(outcome, 1)]
    uow.events.append_many(events)


def append_evaluation_events(
    uow: UnitOfWork,
    draw_type_id: int,
    winning_number_id: int | None,
    results: Sequence[PrizeDrawResult],
    now: datetime,
    kind: str,
) -> None:
    """``DrawRun`` of an unranked evaluation, then ``PrizeWon`` per winning result."""
    wins = [r for r in results if r.outcome == OUTCOME_WIN]
    events = [
        _event(
            EventType.DRAW_RUN,
            now,
            None,
            {
                "kind": kind,
                "draw_type_id": draw_type_id,
                "winning_number_id": winning_number_id,
                "evaluated": len(results),
                "winners": len(wins),
            },
        )
    ]
    events += [_won(result, now, None) for result in wins]
    uow.events.append_many(events)


def append_wins(
    uow: UnitOfWork,
    columns: DrawResultColumns,
    ids: Sequence[int],
    rows: Sequence[int],
    now: datetime,
) -> None:
    """``PrizeWon`` for the winning ``rows`` of one stored batch (its result columns,
    ``ids`` the stored id of each row), unranked, with one bulk call (none when no row
    won): the events ``_won`` gives for those results, without building them."""
    users, instances = columns.user_ids, columns.nft_instance_ids
    draw_type_id, number_id = columns.draw_type_id, columns.winning_number_id
    events = [
        _prize_won(now, users[row], draw_type_id, number_id, ids[row], instances[row], None)
        for row in rows
    ]
    if events:
        uow.events.append_many(events)


def append_run(
    uow: UnitOfWork,
    draw_type_id: int,
    winning_number_id: int | None,
    evaluated: int,
    wins: int,
    now: datetime,
    kind: str,
) -> None:
    """``DrawRun`` of an unranked evaluation whose wins were appended batch by batch."""
    payload = {
        "kind": kind,
        "draw_type_id": draw_type_id,
        "winning_number_id": winning_number_id,
        "evaluated": evaluated,
        "winners": wins,
    }
    uow.events.append(_event(EventType.DRAW_RUN, now, None, payload))


def user_card_events(
    cards: Sequence[BingoCard],
    before: dict[int, int],
    created: Sequence[BingoCard],
    expired: Sequence[BingoCard],
    now: datetime,
) -> builtins.list[DomainEvent]:
    """The events of bringing one user's cards up to date (``update_user_bingo_info``)."""
    events = expired_events(expired, now)
    for card in created:
        events += card_events(card, 0, now, created=True)
    for card in cards:
        mask = before.get(id(card))
        if mask is not None and unlocked_mask(card) != mask:
            events += card_events(card, mask, now, created=False)
    return events


__all__ = [
    "append_draw_events",
    "append_evaluation_events",
    "append_issuing_events",
    "append_run",
    "append_wins",
    "card_events",
    "expired_events",
    "issued_events",
    "mark_events_delivered",
    "pending_events",
    "record_event",
    "sealed_event",
    "transferred_events",
    "user_card_events",
]
