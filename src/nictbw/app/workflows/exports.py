"""Draw export workflows: write one draw (a draw type and one of its winning numbers) as
an export document anyone can re-check offline (format in :mod:`nictbw.domain.export`).

Results are read in keyset pages of ``PAGE_SIZE`` (three bulk look-ups per page for
instances, users and definitions) and written as they come, so memory does not grow with
the number of candidates. Everything that can be refused is checked before the first
byte is written. Read-only.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final, TextIO

import attrs

from nictbw.app.workflows.common import now_from
from nictbw.app.workflows.sealed import METADATA_KEY
from nictbw.domain.entities import (
    PrizeDrawResult,
    PrizeDrawSnapshot,
    PrizeDrawType,
    PrizeDrawWinningNumber,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.export import (
    SET_DIGEST_KEY,
    ExportTotals,
    JsonObject,
    ProgressCallback,
    sealed_block,
    write_export,
)
from nictbw.domain.export.format import EXPORT_FORMAT
from nictbw.domain.ranking import FROM_DRAW_TYPE, CapDefault, resolve_cap, validate_limit
from nictbw.domain.scoring import normalize_winning_value
from nictbw.domain.timeutil import iso
from nictbw.ports import Clock, UnitOfWork

PAGE_SIZE: Final = 5000
"""Results read from storage per page."""


@attrs.frozen
class _Plan:
    draw_type: PrizeDrawType
    number: PrizeDrawWinningNumber
    threshold: float | None
    count: int
    limit: int | None
    now: datetime
    cap: int | None = None


def _pages(uow: UnitOfWork, plan: _Plan) -> Iterator[list[PrizeDrawResult]]:
    assert plan.draw_type.id is not None and plan.number.id is not None
    after: tuple[int, int] | None = None
    while True:
        page = uow.draw_results.page_for_draw(
            plan.draw_type.id, plan.number.id, after=after, size=PAGE_SIZE
        )
        if not page:
            return
        yield page
        last = page[-1]
        assert last.id is not None
        after = (last.nft_instance_id, last.id)


def _plan(
    uow: UnitOfWork,
    draw_type_name: str,
    winning_number_id: int | None,
    limit: int | None,
    clock: Clock | None,
    max_wins_per_user: int | CapDefault | None,
) -> _Plan:
    checked_limit = validate_limit(limit, allow_none=True)
    now = now_from(clock)
    draw_type = uow.draw_types.get_by_internal_name(draw_type_name)
    if draw_type is None or draw_type.id is None:
        known = ", ".join(sorted(t.internal_name for t in uow.draw_types.list())) or "none"
        raise NotFoundError(f"draw type {draw_type_name!r} does not exist (known: {known})")
    number = _winning_number(uow, draw_type.id, draw_type_name, winning_number_id, now)
    cap = resolve_cap(max_wins_per_user, draw_type.max_wins_per_user)
    plan = _Plan(draw_type, number, None, 0, checked_limit, now, cap)
    thresholds: set[float | None] = set()
    count = 0
    for page in _pages(uow, plan):
        count += len(page)
        thresholds.update(r.threshold_used for r in page)
    if not count:
        raise ValidationError(
            f"no results stored for draw type {draw_type_name!r} and winning number "
            f"{number.id}; run the draw first"
        )
    if len(thresholds) > 1:
        shown = ", ".join(repr(t) for t in sorted(thresholds, key=lambda t: (t is None, t or 0)))
        raise ValidationError(
            f"results of draw type {draw_type_name!r} for winning number {number.id} used "
            f"several thresholds ({shown}); run the draw again before exporting it"
        )
    return attrs.evolve(plan, threshold=next(iter(thresholds)), count=count)


def _candidates(uow: UnitOfWork, plan: _Plan) -> Iterator[JsonObject]:
    for page in _pages(uow, plan):
        instances = uow.instances.get_many({r.nft_instance_id for r in page})
        users = uow.users.get_many({r.user_id for r in page})
        definitions = uow.definitions.get_many({r.definition_id for r in page})
        for result in page:
            instance = instances.get(result.nft_instance_id)
            user = users.get(result.user_id)
            definition = definitions.get(result.definition_id)
            yield {
                "result_id": result.id,
                "instance_id": result.nft_instance_id,
                "unique_instance_id": instance.unique_instance_id if instance else None,
                "user_id": result.user_id,
                "user": user.in_app_id if user else None,
                "definition_id": result.definition_id,
                "definition_prefix": definition.prefix if definition else None,
                "nft_origin": instance.nft_origin if instance else None,
                "draw_number": result.draw_number,
                "similarity": result.similarity_score,
                "draw_top_digits": result.draw_top_digits,
                "winning_top_digits": result.winning_top_digits,
                "threshold_used": result.threshold_used,
                "outcome": result.outcome,
                "evaluated_at": iso(result.evaluated_at),
            }


def _header(plan: _Plan) -> JsonObject:
    draw_type, number = plan.draw_type, plan.number
    return {
        "draw_type": {
            "internal_name": draw_type.internal_name,
            "display_name": draw_type.display_name,
            "algorithm_key": draw_type.algorithm_key,
            "default_threshold": draw_type.default_threshold,
        },
        "threshold": plan.threshold,
        "limit": plan.limit,
        "max_wins_per_user": plan.cap,
        "winning_number": {
            "id": number.id,
            "value": number.value,
            "normalized_value": normalize_winning_value(number.value),
            "metadata": number.metadata,
            "effective_at": iso(number.effective_at),
            "expires_at": iso(number.expires_at),
            "created_at": iso(number.created_at),
        },
        "exported_at": iso(plan.now),
        "candidate_count": plan.count,
    }


def write_draw_export(
    uow: UnitOfWork,
    draw_type_name: str,
    out: TextIO,
    *,
    winning_number_id: int | None = None,
    limit: int | None = None,
    clock: Clock | None = None,
    progress: ProgressCallback | None = None,
    max_wins_per_user: int | CapDefault | None = FROM_DRAW_TYPE,
) -> ExportTotals:
    """Write the export of one draw (``draw_type_name`` and one of its winning numbers) to
    ``out`` in constant memory; the totals written.

    ``winning_number_id`` None takes the winning number in effect at the clock's now.
    Unknown draw type or winning number -> ``NotFoundError``; a winning number of another
    draw type, no results, or results that used different thresholds ->
    ``ValidationError``, raised before anything is written. ``progress(done, total)`` is
    called while candidates are written. The winners are ranked with the draw type's
    ``max_wins_per_user`` unless overridden (None: no cap). A sealed draw's export
    carries its snapshot and the beacon round its winning value was derived from.
    Read-only.
    """
    plan = _plan(uow, draw_type_name, winning_number_id, limit, clock, max_wins_per_user)
    record = (plan.number.metadata or {}).get(METADATA_KEY)
    sealed = None
    taken: PrizeDrawSnapshot | None
    if isinstance(record, dict):
        sealed = sealed_block(record)
        taken = _sealed_snapshot(uow, plan, sealed["snapshot_id"])
    else:
        taken = _snapshot_before(uow, plan.draw_type, plan.number)
    return write_export(
        out,
        _header(plan),
        _candidates(uow, plan),
        _snapshot_json(taken),
        sealed=sealed,
        progress=progress,
    )


def export_draw(
    uow: UnitOfWork,
    draw_type_name: str,
    *,
    winning_number_id: int | None = None,
    limit: int | None = None,
    clock: Clock | None = None,
    max_wins_per_user: int | CapDefault | None = FROM_DRAW_TYPE,
) -> JsonObject:
    """The export document of one draw as a dict (see :func:`write_draw_export`, whose
    rules and errors apply; the document is held in memory). Read-only."""
    buffer = io.StringIO()
    write_draw_export(
        uow,
        draw_type_name,
        buffer,
        winning_number_id=winning_number_id,
        limit=limit,
        clock=clock,
        max_wins_per_user=max_wins_per_user,
    )
    document: JsonObject = json.loads(buffer.getvalue())
    assert document["format"] == EXPORT_FORMAT
    return document


def _snapshot_before(
    uow: UnitOfWork, draw_type: PrizeDrawType, number: PrizeDrawWinningNumber
) -> PrizeDrawSnapshot | None:
    """The latest unsealed snapshot of the draw type taken before ``number`` was created.

    A sealed snapshot belongs to the sealed draw run from it, never to a number an
    operator submitted.
    """
    assert draw_type.id is not None
    earlier = [
        s
        for s in uow.draw_snapshots.list_for_draw_type(draw_type.id)
        if not s.is_sealed
        and s.created_at is not None
        and number.created_at is not None
        and s.created_at < number.created_at
    ]
    return max(earlier, key=lambda s: (s.created_at, s.id or 0), default=None)


def _sealed_snapshot(uow: UnitOfWork, plan: _Plan, snapshot_id: int) -> PrizeDrawSnapshot:
    """The snapshot a sealed winning number names; it must be a sealed one of the draw type."""
    found = uow.draw_snapshots.get(snapshot_id)
    if found is None or found.draw_type_id != plan.draw_type.id or not found.is_sealed:
        raise ValidationError(
            f"winning number {plan.number.id} names snapshot {snapshot_id}, which is not a "
            f"sealed snapshot of draw type {plan.draw_type.internal_name!r}"
        )
    return found


def _snapshot_json(snapshot: PrizeDrawSnapshot | None) -> JsonObject | None:
    if snapshot is None:
        return None
    return {
        "id": snapshot.id,
        "scope": snapshot.scope,
        "attendance_definition_id": snapshot.attendance_definition_id,
        "candidate_count": snapshot.candidate_count,
        SET_DIGEST_KEY[EXPORT_FORMAT]: snapshot.candidates_sha256,
        "created_at": iso(snapshot.created_at),
    }


def _winning_number(
    uow: UnitOfWork,
    draw_type_id: int,
    draw_type_name: str,
    winning_number_id: int | None,
    now: Any,
) -> PrizeDrawWinningNumber:
    if winning_number_id is None:
        number = uow.winning_numbers.latest_in_effect(draw_type_id, now)
        if number is None:
            known = [n.id for n in uow.winning_numbers.list_for_draw_type(draw_type_id)]
            raise ValidationError(
                f"draw type {draw_type_name!r} has no winning number in effect at "
                f"{iso(now)}; choose one by id (known: {known or 'none'})"
            )
        return number
    if isinstance(winning_number_id, bool) or not isinstance(winning_number_id, int):
        raise ValidationError(f"winning number id must be an int, got {winning_number_id!r}")
    found = uow.winning_numbers.get(winning_number_id)
    if found is None:
        raise NotFoundError(f"winning number {winning_number_id} does not exist")
    if found.draw_type_id != draw_type_id:
        raise ValidationError(
            f"winning number {winning_number_id} belongs to another draw type than "
            f"{draw_type_name!r}"
        )
    return found


__all__ = ["PAGE_SIZE", "export_draw", "write_draw_export"]
