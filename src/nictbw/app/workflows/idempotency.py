"""Idempotency keys of the workflows a service retries (see :mod:`nictbw.domain.idempotency`).

A workflow given an ``idempotency_key`` claims it, with the fingerprint of its arguments,
before its effect and inside its transaction; it records a reference to its result
(ids) before returning. The claim is the lock: on PostgreSQL a concurrent call with the
same key waits for the first one's transaction, then replays its result (or, when it
rolled back, claims the key itself), so however many writers race, one effect happens.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final

from nictbw.app.workflows.common import atomic
from nictbw.domain.entities import (
    PrizeDrawEvaluation,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.idempotency import (
    IdempotencyRecord,
    SequenceDigest,
    arguments_fingerprint,
    check_replay,
    expand_id_ranges,
    id_ranges,
    validate_idempotency_key,
)
from nictbw.domain.messages import shown
from nictbw.domain.outcomes import DrawOutcome
from nictbw.domain.validation import validate_aware
from nictbw.ports import UnitOfWork

ISSUE: Final = "issue_instance"
"""Keys of ``create_and_issue_instance`` and of each grant of ``issue_instances`` (one
namespace: a grant and a single issue with the same arguments are the same request)."""
REGISTER_USER: Final = "register_user"
SUBMIT_WINNING_NUMBER: Final = "submit_winning_number"
BINGO_DRAW: Final = "run_bingo_prize_draw"
ATTENDANCE_DRAW: Final = "run_final_attendance_prize_draw"
SINGLE_DRAW: Final = "run_prize_draw"
BATCH_DRAW: Final = "run_prize_draw_batch"
BATCH_SUMMARY: Final = "run_prize_draw_batch_summary"
SEALED_DRAW: Final = "run_sealed_prize_draw"

SECRET_WORDS: Final = ("password", "token", "hash", "secret")
"""Argument names left out of fingerprints: a hash of a secret is no place to keep one."""


def public_arguments(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` without the entries whose name holds one of :data:`SECRET_WORDS`."""
    return {
        name: value
        for name, value in values.items()
        if not any(word in name.lower() for word in SECRET_WORDS)
    }


def fingerprint(workflow: str, arguments: Mapping[str, Any]) -> str:
    """The fingerprint of a call of ``workflow`` with ``arguments`` (secrets left out)."""
    return arguments_fingerprint(workflow, public_arguments(arguments))


def claim_keys(
    uow: UnitOfWork,
    workflow: str,
    keyed: Mapping[str, str],
    now: datetime,
) -> dict[str, dict[str, Any]]:
    """Claim ``keyed`` (key -> fingerprint) for ``workflow``; the stored results of the keys
    already used, by key. ``ConflictError`` naming a key first used with other arguments."""
    if not keyed:
        return {}
    records = [
        IdempotencyRecord(workflow=workflow, key=key, fingerprint=fp, created_at=now)
        for key, fp in keyed.items()
    ]
    stored = uow.idempotency_keys.claim_many(records)
    return {key: check_replay(record, keyed[key]) for key, record in stored.items()}


def claim_key(
    uow: UnitOfWork, workflow: str, key: str | None, arguments: Mapping[str, Any], now: datetime
) -> dict[str, Any] | None:
    """Claim one key (nothing without a key); the stored result when it was used before."""
    if key is None:
        return None
    return claim_keys(uow, workflow, {key: fingerprint(workflow, arguments)}, now).get(key)


def complete_keys(uow: UnitOfWork, workflow: str, results: Mapping[str, dict[str, Any]]) -> None:
    """Record the result references of keys this call claimed."""
    if results:
        uow.idempotency_keys.complete_many(workflow, results)


@contextmanager
def keyed_call(uow: UnitOfWork, key: str | None) -> Iterator[None]:
    """The block a keyed call runs in: one savepoint (claim, effect, result reference)
    with a key, nothing extra without one."""
    if key is None:
        yield
        return
    with atomic(uow):
        yield


def check_key(key: object) -> str | None:
    """A validated optional key (``ValidationError`` naming it)."""
    return validate_idempotency_key(key)


def purge_idempotency_keys(uow: UnitOfWork, older_than: datetime) -> int:
    """Delete the idempotency keys stored before ``older_than`` (the retention a service
    chooses: a retry after that is a new call); how many were deleted."""
    moment = validate_aware(older_than, "older_than")
    if moment is None:
        raise ValidationError("older_than is required")
    with atomic(uow):
        return uow.idempotency_keys.purge(moment)


def draw_arguments(
    draw_type: PrizeDrawType,
    winning_number: PrizeDrawWinningNumber | None,
    threshold: float | None,
    limit: int | None,
    cap: int | None,
    **more: Any,
) -> dict[str, Any]:
    """What a ranked draw's fingerprint covers: the draw type, the winning number given
    (``None``: the one in effect), threshold, limit, cap and ``more``."""
    return {
        "draw_type_id": draw_type.id,
        "winning_number_id": getattr(winning_number, "id", None),
        "threshold": threshold,
        "limit": limit,
        "max_wins_per_user": cap,
        **more,
    }


def complete_draw(uow: UnitOfWork, workflow: str, key: str | None, outcome: DrawOutcome) -> None:
    """Record a keyed draw's outcome: its number, figures and ranked result ids."""
    if key is None:
        return
    reference = {
        "winning_number_id": outcome.winning_number.id,
        "threshold": outcome.threshold,
        "eligible": outcome.eligible,
        "ineligible": outcome.ineligible,
        "evaluated": outcome.evaluated,
        "ranked": [result.id for result in outcome],
    }
    complete_keys(uow, workflow, {key: reference})


def replayed_outcome(uow: UnitOfWork, stored: dict[str, Any]) -> DrawOutcome:
    """The outcome a keyed draw returned, read back: its number and its ranked results."""
    (number_id,) = stored_ids([stored], "winning_number_id")
    number = uow.winning_numbers.get(number_id)
    ranked_ids = stored.get("ranked")
    if number is None or not isinstance(ranked_ids, list):
        raise NotFoundError(f"winning number {number_id} of a stored draw is gone")
    ranked = results_in_order(uow, stored_ids([{"id": i} for i in ranked_ids], "id"))
    return DrawOutcome(
        ranked,
        winning_number=number,
        threshold=stored.get("threshold"),
        eligible=int(stored.get("eligible", 0)),
        ineligible=int(stored.get("ineligible", 0)),
        evaluated=int(stored.get("evaluated", 0)),
    )


def results_in_order(uow: UnitOfWork, ids: Sequence[int]) -> list[PrizeDrawResult]:
    """The stored results ``ids`` in that order (``NotFoundError`` naming missing ones)."""
    found = uow.draw_results.get_many(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"results {missing[:10]} of a stored draw are gone")
    return [found[i] for i in ids]


def evaluation_reference(
    evaluations: Sequence[PrizeDrawEvaluation], threshold: float | None
) -> dict[str, Any]:
    """What a keyed evaluation run stores: its threshold and its result ids (as runs)."""
    return {
        "threshold": threshold,
        "results": id_ranges(e.result.id for e in evaluations if e.result.id is not None),
    }


def replayed_evaluations(uow: UnitOfWork, stored: dict[str, Any]) -> list[PrizeDrawEvaluation]:
    """The evaluations a keyed run returned, read back from their stored results."""
    threshold = stored.get("threshold")
    if threshold is not None and not isinstance(threshold, (int, float)):
        raise ValidationError(f"stored idempotency result has threshold {shown(threshold)}")
    results = results_in_order(uow, expand_id_ranges(stored.get("results")))
    return [
        PrizeDrawEvaluation(
            result=result,
            draw_number=result.draw_number,
            threshold=threshold,
            similarity=result.similarity_score,
        )
        for result in results
    ]


def check_same_instances(
    workflow: str,
    key: str,
    stored: dict[str, Any],
    instance_ids: Iterable[Any] | None,
) -> None:
    """Refuse (``ConflictError`` naming the key) a repeat whose given instance ids (of
    the instances or the ids it was given; None: neither) are not, id for id and in
    order, those of the first call; reads them through once."""
    digest: str | None = None
    if instance_ids is not None:
        running = SequenceDigest()
        for instance_id in instance_ids:
            running.add(instance_id)
        digest = running.hexdigest()
    if digest != stored.get("instances"):
        raise ConflictError(
            f"idempotency_key {shown(key)} of {workflow} was first used with other instances"
        )


def stored_ids(results: Sequence[dict[str, Any]], name: str) -> list[int]:
    """The ``name`` ids of stored results (a malformed one is a ``ValidationError``)."""
    ids: list[int] = []
    for result in results:
        value = result.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"stored idempotency result {result!r} has no {name}")
        ids.append(value)
    return ids


__all__ = [
    "ATTENDANCE_DRAW",
    "BATCH_DRAW",
    "BATCH_SUMMARY",
    "BINGO_DRAW",
    "ISSUE",
    "REGISTER_USER",
    "SEALED_DRAW",
    "SINGLE_DRAW",
    "SUBMIT_WINNING_NUMBER",
    "check_key",
    "check_same_instances",
    "claim_key",
    "claim_keys",
    "complete_draw",
    "complete_keys",
    "draw_arguments",
    "evaluation_reference",
    "fingerprint",
    "keyed_call",
    "public_arguments",
    "purge_idempotency_keys",
    "replayed_evaluations",
    "replayed_outcome",
    "results_in_order",
    "stored_ids",
]
