"""Batch draws (§4.11): many instances evaluated and stored set-based, streamed in
batches; every evaluation returned, or only a summary in memory bounded by one batch.

Both share the draw setup and eligibility rule of :mod:`nictbw.app.workflows.draws` and
honour an idempotency key whose stored reference stays small however big the draw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from attrs import define, frozen

from nictbw.app.workflows._authority import authorise
from nictbw.app.workflows._gcpause import collector_paused
from nictbw.app.workflows.common import atomic
from nictbw.app.workflows.draws import (
    BATCH_SIZE,
    _DrawSetup,
    _eligible_only,
    _evaluation,
    _evaluation_events,
    _require_eligible,
)
from nictbw.app.workflows.idempotency import (
    BATCH_DRAW,
    BATCH_SUMMARY,
    check_key,
    check_same_instances,
    claim_key,
    complete_keys,
    draw_arguments,
    evaluation_reference,
    replayed_evaluations,
    results_in_order,
    stored_ids,
)
from nictbw.app.workflows.outbox import append_run, append_wins
from nictbw.domain.entities import (
    OUTCOME_LOSE,
    OUTCOME_PENDING,
    OUTCOME_WIN,
    Admin,
    CandidateColumns,
    DrawCandidate,
    NFTInstance,
    PrizeDrawEvaluation,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.idempotency import SequenceDigest
from nictbw.domain.permissions import Operation
from nictbw.domain.ranking import rank_with_cap, validate_limit
from nictbw.domain.scoring import AlgorithmRegistry
from nictbw.ports import Clock, UnitOfWork


@frozen
class BatchDrawSummary:
    """What a batch draw did, without its results: counts and the best ``top`` results.

    ``top`` holds the best scored results in ranking order (similarity desc, instance id
    asc; every result tying the last kept score too), at most ``top`` of them plus ties.
    """

    evaluated: int
    wins: int
    losses: int
    pending: int
    threshold: float | None
    winning_number: PrizeDrawWinningNumber
    top: list[PrizeDrawResult]


def _batch_candidates(
    uow: UnitOfWork,
    setup: _DrawSetup,
    instances: Iterable[NFTInstance] | None,
    instance_ids: Iterable[int] | None,
    digest: SequenceDigest | None,
) -> Iterable[CandidateColumns]:
    """The candidates of a batch run, as columns; the ids of given instances or ids are
    added to ``digest`` (when there is one) as they are read."""
    if instance_ids is not None:
        return _id_columns(uow, instance_ids, digest)
    if instances is None:
        pool = uow.bingo_cards.completed_line_candidate_columns(setup.now)
        return [_eligible_only(pool, "batch draw")]
    return _explicit_columns(uow, instances, digest)


def _one_source(instances: object, instance_ids: object) -> None:
    """Refuse a call given both instances and instance ids (``ValidationError``)."""
    if instances is not None and instance_ids is not None:
        raise ValidationError("give instances or instance_ids, not both")


def _batch_arguments(
    setup: _DrawSetup,
    winning_number: PrizeDrawWinningNumber | None,
    threshold: float | None,
    instances: Iterable[NFTInstance] | None,
    instance_ids: Iterable[int] | None,
    **more: object,
) -> dict[str, object]:
    """What a batch run's fingerprint covers (whether instances, ids or neither were
    given); the given instances or ids themselves are checked by their digest
    (:func:`check_same_instances`), not held for the fingerprint."""
    if instance_ids is not None:
        given = "given ids"
    else:
        given = "given" if instances is not None else "completed lines"
    return draw_arguments(
        setup.draw_type, winning_number, threshold, None, None, instances=given, **more
    )


@define
class _BatchKey:
    """A batch run's idempotency key and the running digest of the instances it was
    given (read once, so kept as a digest rather than in the fingerprint)."""

    workflow: str
    key: str | None
    digest: SequenceDigest | None

    @classmethod
    def of(
        cls,
        workflow: str,
        key: str | None,
        instances: Iterable[NFTInstance] | None,
        instance_ids: Iterable[int] | None,
    ) -> _BatchKey:
        """The key of a call; a digest only for a keyed call given instances or ids."""
        wanted = key is not None and (instances is not None or instance_ids is not None)
        return cls(workflow, key, SequenceDigest() if wanted else None)

    def claim(
        self,
        uow: UnitOfWork,
        arguments: dict[str, object],
        now: datetime,
        instances: Iterable[NFTInstance] | None,
        instance_ids: Iterable[int] | None,
    ) -> dict[str, Any] | None:
        """The first call's stored result when this is a repeat (its given instances or
        ids checked to be the first call's: ``ConflictError`` otherwise); else ``None``."""
        replay = claim_key(uow, self.workflow, self.key, arguments, now)
        if replay is not None:
            assert self.key is not None
            given: Iterable[object] | None = instance_ids
            if given is None and instances is not None:
                given = (getattr(instance, "id", None) for instance in instances)
            check_same_instances(self.workflow, self.key, replay, given)
        return replay

    def complete(self, uow: UnitOfWork, reference: dict[str, Any]) -> None:
        """Store the result reference of a keyed call, with its instances' digest."""
        if self.key is None:
            return
        reference["instances"] = None if self.digest is None else self.digest.hexdigest()
        complete_keys(uow, self.workflow, {self.key: reference})


def run_prize_draw_batch(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    *,
    winning_number: PrizeDrawWinningNumber | None = None,
    instances: Iterable[NFTInstance] | None = None,
    threshold: float | None = None,
    registry: AlgorithmRegistry | None = None,
    clock: Clock | None = None,
    instance_ids: Iterable[int] | None = None,
    admin: Admin | None = None,
    idempotency_key: str | None = None,
) -> list[PrizeDrawEvaluation]:
    """Evaluate many instances and store the results set-based (§4.11).

    ``instances=None`` takes every eligible instance on a completed bingo line. Given
    ``instances`` are read as they come (any iterable, a generator too) and drawn as
    given: their ids are checked stored, their status and origin are not read again.
    Every evaluation is returned; a caller who only wants counts and the best results
    calls ``run_prize_draw_batch_summary``, whose memory does not grow with the draw.
    ``instance_ids`` (instead of ``instances``) draws the stored instances with those
    ids, read from storage a chunk at a time (ids as given: an unknown one is a
    ``NotFoundError``, an ineligible one a ``ValidationError``), with no entity loaded.

    With ``idempotency_key`` a repeat with the same arguments (the same instances, id for
    id and in order) returns the first run's evaluations, their stored results read
    back, and writes nothing; other arguments: ``ConflictError``.
    """
    key = check_key(idempotency_key)
    authorise(uow, admin, Operation.RUN_DRAWS)
    setup = _DrawSetup(
        uow, draw_type, winning_number, threshold, registry, clock, require_number=True
    )
    _one_source(instances, instance_ids)
    arguments = _batch_arguments(setup, winning_number, threshold, instances, instance_ids)
    keyed = _BatchKey.of(BATCH_DRAW, key, instances, instance_ids)
    with collector_paused():
        evaluations: list[PrizeDrawEvaluation] = []
        with atomic(uow):
            replay = keyed.claim(uow, arguments, setup.now, instances, instance_ids)
            if replay is not None:
                return replayed_evaluations(uow, replay)
            candidates = _batch_candidates(uow, setup, instances, instance_ids, keyed.digest)
            for batch in setup.evaluate(uow, candidates):
                evaluations.extend(_evaluation(r, setup.threshold) for r in batch.results())
            _evaluation_events(uow, setup, [e.result for e in evaluations], "batch evaluation")
            keyed.complete(uow, evaluation_reference(evaluations, setup.threshold))
        return evaluations


def run_prize_draw_batch_summary(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    *,
    winning_number: PrizeDrawWinningNumber | None = None,
    instances: Iterable[NFTInstance] | None = None,
    threshold: float | None = None,
    registry: AlgorithmRegistry | None = None,
    clock: Clock | None = None,
    instance_ids: Iterable[int] | None = None,
    top: int = 100,
    admin: Admin | None = None,
    idempotency_key: str | None = None,
) -> BatchDrawSummary:
    """``run_prize_draw_batch`` that returns a :class:`BatchDrawSummary` instead of every
    evaluation: it stores the same results, in batches, and keeps only the counts and
    the best ``top`` results, so memory is bounded by one batch and ``top`` whatever
    the number of instances (a generator of ``instances`` or ``instance_ids`` is read as
    it goes).

    With ``idempotency_key`` a repeat with the same arguments returns the first run's
    summary (its best results read back) and writes nothing; other: ``ConflictError``.
    """
    key = check_key(idempotency_key)
    authorise(uow, admin, Operation.RUN_DRAWS)
    checked_top = validate_limit(top, allow_none=False)
    assert checked_top is not None
    setup = _DrawSetup(
        uow, draw_type, winning_number, threshold, registry, clock, require_number=True
    )
    _one_source(instances, instance_ids)
    arguments = _batch_arguments(
        setup, winning_number, threshold, instances, instance_ids, top=checked_top
    )
    keyed = _BatchKey.of(BATCH_SUMMARY, key, instances, instance_ids)
    counts = {OUTCOME_WIN: 0, OUTCOME_LOSE: 0, OUTCOME_PENDING: 0}
    best: list[PrizeDrawResult] = []
    evaluated = 0
    with collector_paused(), atomic(uow):
        replay = keyed.claim(uow, arguments, setup.now, instances, instance_ids)
        if replay is not None:
            return _replayed_summary(uow, replay)
        candidates = _batch_candidates(uow, setup, instances, instance_ids, keyed.digest)
        for batch in setup.evaluate(uow, candidates):
            evaluated += len(batch)
            for outcome, count in Counter(batch.columns.outcomes).items():
                counts[outcome] = counts.get(outcome, 0) + count
            best.extend(batch.results(batch.best_rows(checked_top)))
            best = rank_with_cap(best, checked_top, None)
            wins = batch.rows_with_outcome(OUTCOME_WIN)
            append_wins(uow, batch.columns, batch.ids, wins, setup.now)
        assert setup.draw_type.id is not None
        number_id = None if setup.winning_number is None else setup.winning_number.id
        append_run(
            uow,
            setup.draw_type.id,
            number_id,
            evaluated,
            counts[OUTCOME_WIN],
            setup.now,
            "batch evaluation",
        )
        assert setup.winning_number is not None
        summary = BatchDrawSummary(
            evaluated=evaluated,
            wins=counts[OUTCOME_WIN],
            losses=counts[OUTCOME_LOSE],
            pending=counts[OUTCOME_PENDING],
            threshold=setup.threshold,
            winning_number=setup.winning_number,
            top=best,
        )
        keyed.complete(uow, _summary_reference(summary))
    return summary


def _summary_reference(summary: BatchDrawSummary) -> dict[str, Any]:
    return {
        "winning_number_id": summary.winning_number.id,
        "threshold": summary.threshold,
        "evaluated": summary.evaluated,
        "wins": summary.wins,
        "losses": summary.losses,
        "pending": summary.pending,
        "top": [result.id for result in summary.top],
    }


def _replayed_summary(uow: UnitOfWork, stored: dict[str, Any]) -> BatchDrawSummary:
    """The summary a keyed batch run returned, read back: counts as stored, the best
    results from the store."""
    number_id, evaluated, wins, losses, pending = (
        stored_ids([stored], name)[0]
        for name in ("winning_number_id", "evaluated", "wins", "losses", "pending")
    )
    number = uow.winning_numbers.get(number_id)
    if number is None:
        raise NotFoundError(f"winning number {number_id} of a stored draw is gone")
    top_ids = stored.get("top")
    if not isinstance(top_ids, list):
        raise ValidationError(f"stored idempotency result {stored!r} has no top")
    threshold = stored.get("threshold")
    return BatchDrawSummary(
        evaluated=evaluated,
        wins=wins,
        losses=losses,
        pending=pending,
        threshold=None if threshold is None else float(threshold),
        winning_number=number,
        top=results_in_order(uow, stored_ids([{"id": i} for i in top_ids], "id")),
    )


EXPLICIT_CHUNK = BATCH_SIZE
"""Given instances checked stored per chunk of this many (one id-only query per 1,000),
and scored as one batch of at most ``BATCH_SIZE``."""


T = TypeVar("T")


def _checked_id(instance_id: object) -> int:
    """A given instance id, refused (``ValidationError`` naming it) unless an int."""
    if isinstance(instance_id, bool) or not isinstance(instance_id, int):
        raise ValidationError(f"instance id must be an int, got {instance_id!r}")
    return instance_id


def _instance_id(instance: NFTInstance) -> int:
    """The id of a given instance: ``NotFoundError`` when it has none."""
    instance_id = getattr(instance, "id", None)
    if instance_id is None:
        raise NotFoundError(f"instance {instance!r} is not stored")
    return _checked_id(instance_id)


def _distinct_chunks(
    items: Iterable[T], id_of: Callable[[T], int], digest: SequenceDigest | None
) -> Iterator[list[T]]:
    """``items`` in chunks of at most ``EXPLICIT_CHUNK``, each id once in first-seen
    order, read lazily (``id_of`` gives an item's checked id); every id read, repeats
    included, is added to ``digest`` (a keyed call's record of what it was given)."""
    seen: set[int] = set()
    iterator = iter(items)
    while True:
        chunk: list[T] = []
        for item in iterator:
            item_id = id_of(item)
            if digest is not None:
                digest.add(item_id)
            if item_id in seen:
                continue
            seen.add(item_id)
            chunk.append(item)
            if len(chunk) >= EXPLICIT_CHUNK:
                break
        if not chunk:
            return
        yield chunk


def _explicit_columns(
    uow: UnitOfWork, instances: Iterable[NFTInstance], digest: SequenceDigest | None
) -> Iterator[CandidateColumns]:
    """The given instances as candidate columns, each once in first-seen order, a chunk
    at a time, read lazily: per chunk the ids are checked stored (``NotFoundError``),
    then each is checked eligible (``ValidationError``), in order. Nothing is read again,
    and no object is made per instance."""
    for chunk in _distinct_chunks(instances, _instance_id, digest):
        stored = uow.instances.existing_ids([i.id for i in chunk if i.id is not None])
        for instance in chunk:
            if instance.id not in stored:
                raise NotFoundError(f"instance {instance.id} does not exist")
        columns = CandidateColumns.of_instances(chunk)
        _require_all_eligible(columns, [instance.unique_instance_id for instance in chunk])
        yield columns


def _id_columns(
    uow: UnitOfWork, instance_ids: Iterable[int], digest: SequenceDigest | None
) -> Iterator[CandidateColumns]:
    """The stored instances with ``instance_ids`` as candidate columns, each once in
    first-seen order, a chunk at a time, read lazily: per chunk one read of the candidate
    columns; the first id of the chunk that is not stored is a ``NotFoundError``, then
    each ineligible instance a ``ValidationError``, in order."""
    for chunk in _distinct_chunks(instance_ids, _checked_id, digest):
        columns = uow.instances.candidate_columns_of(chunk)
        if len(columns) != len(chunk):
            stored = set(columns.instance_ids)
            missing = next(i for i in chunk if i not in stored)
            raise NotFoundError(f"instance {missing} does not exist")
        _require_all_eligible(columns)
        yield columns


def _require_all_eligible(
    columns: CandidateColumns, unique_ids: Sequence[str | None] | None = None
) -> None:
    """``ValidationError`` for the first ineligible row of ``columns`` (named with its
    unique id from ``unique_ids`` when given); nothing when every row is eligible."""
    if columns.all_eligible():
        return
    rows = zip(
        columns.instance_ids,
        columns.user_ids,
        columns.definition_ids,
        columns.nft_origins,
        columns.statuses,
        strict=True,
    )
    for position, row in enumerate(rows):
        _require_eligible(DrawCandidate(*row), unique_ids[position] if unique_ids else None)


__all__ = [
    "EXPLICIT_CHUNK",
    "BatchDrawSummary",
    "run_prize_draw_batch",
    "run_prize_draw_batch_summary",
]
