"""Prize draws: the shared draw setup, single evaluation, bingo-line and attendance draws,
top-N (§4.10, §4.12-4.14); batch draws (§4.11) build on the same setup in
:mod:`nictbw.app.workflows.batch_draws`.

Every kind of draw run shares one setup (draw type, winning number, threshold,
authority), one eligibility rule and one store-and-rank step, all here. Each appends its
events and honours its idempotency key around them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import compress, repeat
from operator import eq

from nictbw.app.workflows._authority import authorise
from nictbw.app.workflows._gcpause import collector_paused
from nictbw.app.workflows.common import (
    atomic,
    logger,
    now_from,
    open_draw_type,
    registry_or_default,
    resolve_winning_number,
    stored_draw_type,
    stored_instance,
)
from nictbw.app.workflows.idempotency import (
    ATTENDANCE_DRAW,
    BINGO_DRAW,
    SINGLE_DRAW,
    check_key,
    claim_key,
    complete_draw,
    complete_keys,
    draw_arguments,
    evaluation_reference,
    keyed_call,
    replayed_evaluations,
    replayed_outcome,
)
from nictbw.app.workflows.outbox import (
    append_draw_events,
    append_evaluation_events,
)
from nictbw.domain.engine import PrizeDrawEngine, resolve_threshold
from nictbw.domain.entities import (
    OUTCOME_WIN,
    Admin,
    CandidateColumns,
    DrawCandidate,
    DrawResultColumns,
    NFTInstance,
    PrizeDrawEvaluation,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.outcomes import DrawOutcome
from nictbw.domain.permissions import Operation
from nictbw.domain.ranking import (
    FROM_DRAW_TYPE,
    CapDefault,
    rank_with_cap,
    rankable_rows,
    ranking_key,
    resolve_cap,
    validate_limit,
)
from nictbw.domain.scoring import AlgorithmRegistry, ProximityScores, ScoringAlgorithm
from nictbw.domain.sealing import SEALED_METADATA_KEY
from nictbw.ports import Clock, UnitOfWork

BATCH_SIZE = 20_000


class _DrawSetup:
    """What every evaluation of a draw type needs, resolved and checked before any write."""

    def __init__(
        self,
        uow: UnitOfWork,
        draw_type: PrizeDrawType,
        winning_number: PrizeDrawWinningNumber | None,
        threshold: object,
        registry: AlgorithmRegistry | None,
        clock: Clock | None,
        *,
        require_number: bool,
        sealed_run: bool = False,
    ) -> None:
        self.now = now_from(clock)
        self.draw_type = open_draw_type(uow, draw_type)
        self.winning_number = resolve_winning_number(uow, self.draw_type, winning_number, self.now)
        number = self.winning_number
        record = None if number is None else (number.metadata or {}).get(SEALED_METADATA_KEY)
        if not sealed_run and number is not None and record is not None:
            snapshot = record.get("snapshot_id") if isinstance(record, dict) else None
            raise ValidationError(
                f"winning number {number.id} of draw type '{self.draw_type.internal_name}' was "
                f"derived for the sealed draw of snapshot {snapshot}: only that sealed run "
                f"evaluates it (nictbw draw run --sealed {snapshot}); submit a new winning "
                "number for any other draw"
            )
        if self.winning_number is None and require_number:
            raise ValidationError(
                f"draw type '{self.draw_type.internal_name}' has no winning number in effect at "
                f"{self.now.isoformat()}"
            )
        self.engine = PrizeDrawEngine(registry_or_default(registry))
        self.algorithm: ScoringAlgorithm = self.engine.algorithm(self.draw_type.algorithm_key)
        self.threshold = resolve_threshold(
            threshold, self.draw_type.default_threshold, self.algorithm
        )

    @property
    def winning_value(self) -> str | None:
        return None if self.winning_number is None else self.winning_number.value

    def evaluate(
        self, uow: UnitOfWork, candidates: Iterable[CandidateColumns]
    ) -> Iterator[StoredBatch]:
        """Score the candidate columns batch by batch (at most ``BATCH_SIZE`` rows), store
        each batch with one upsert, yield it.

        The engine scores a batch column by column and the batch is stored from those
        columns (``upsert_columns``): no object is built per candidate here; a caller
        builds :class:`PrizeDrawResult` objects only for the rows it keeps.
        """
        draw_type_id = self.draw_type.id
        assert draw_type_id is not None
        number_id = None if self.winning_number is None else self.winning_number.id
        for whole in candidates:
            for start in range(0, len(whole), BATCH_SIZE):
                batch = (
                    whole if len(whole) <= BATCH_SIZE else whole.slice(start, start + BATCH_SIZE)
                )
                yield self._store(uow, batch, draw_type_id, number_id)

    def _store(
        self, uow: UnitOfWork, batch: CandidateColumns, draw_type_id: int, number_id: int | None
    ) -> StoredBatch:
        instance_ids = batch.instance_ids
        scored = self.engine.evaluate_columns(
            instance_ids,
            batch.origin_texts(),
            algorithm_key=self.algorithm.key,
            winning_value=self.winning_value,
            threshold=self.threshold,
            draw_numbers=batch.draw_numbers,
        )
        columns = DrawResultColumns(
            draw_type_id=draw_type_id,
            winning_number_id=number_id,
            winning_top_digits=scored.winning_top_digits,
            threshold_used=self.threshold,
            evaluated_at=self.now,
            user_ids=batch.user_ids,
            definition_ids=batch.definition_ids,
            nft_instance_ids=instance_ids,
            draw_numbers=scored.draw_numbers,
            similarity_scores=scored.scores,
            draw_top_digits=scored.draw_top_digits,
            outcomes=scored.outcomes,
        )
        return StoredBatch(columns, uow.draw_results.upsert_columns(columns))


class StoredBatch:
    """One stored batch of a draw: its result columns and each row's stored id."""

    __slots__ = ("columns", "ids")

    def __init__(self, columns: DrawResultColumns, ids: list[int]) -> None:
        self.columns = columns
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def results(self, rows: Iterable[int] | None = None) -> list[PrizeDrawResult]:
        """The results of ``rows`` (default: every row), with their ids, in that order."""
        ids = self.ids
        if rows is None:
            every = self.columns.results()
            for result, result_id in zip(every, ids, strict=True):
                result.id = result_id
            return every
        row_result = self.columns.result
        return [row_result(row, ids[row]) for row in rows]

    def rows_with_outcome(self, outcome: str) -> list[int]:
        """The rows whose outcome is ``outcome``, in row order."""
        outcomes = self.columns.outcomes
        return list(compress(range(len(outcomes)), map(eq, outcomes, repeat(outcome))))

    def best_rows(self, top: int) -> list[int]:
        """The scored rows that can rank among the best ``top`` (ties kept): every row
        scoring at least the ``top``-th best score of the batch, in row order (for
        proximity scores, every row scored, the cutoff comes from the hash values)."""
        column = self.columns.similarity_scores
        if column is None:
            return []
        if isinstance(column, ProximityScores):
            return column.best_rows(list(range(len(column))), top)
        scores = list(column)  # each score computed once, then read by plain indexing
        scored = [row for row, score in enumerate(scores) if score is not None]
        return rankable_rows(scored, scores, (), top, None)


def _require_eligible(candidate: DrawCandidate, unique_id: str | None = None) -> None:
    if not candidate.is_draw_eligible:
        label = f" ({unique_id})" if unique_id else ""
        reason = "has no nft_origin" if candidate.nft_origin is None else f"is {candidate.status}"
        raise ValidationError(
            f"instance {candidate.instance_id}{label} {reason}; it is not eligible for draws"
        )


def _eligible_only(pool: CandidateColumns, what: str) -> CandidateColumns:
    if pool.all_eligible():
        return pool
    rows = pool.eligible_rows()
    keep = set(rows)
    left_out = [pool.instance_ids[r] for r in range(len(pool)) if r not in keep]
    logger.warning("%s: %d ineligible instance(s) left out: %s", what, len(left_out), left_out)
    return pool.take(rows)


def _evaluation(result: PrizeDrawResult, threshold: float | None) -> PrizeDrawEvaluation:
    return PrizeDrawEvaluation(
        result=result,
        draw_number=result.draw_number,
        threshold=threshold,
        similarity=result.similarity_score,
    )


def run_prize_draw(
    uow: UnitOfWork,
    instance: NFTInstance,
    draw_type: PrizeDrawType,
    winning_number: PrizeDrawWinningNumber | None = None,
    *,
    threshold: float | None = None,
    registry: AlgorithmRegistry | None = None,
    clock: Clock | None = None,
    admin: Admin | None = None,
    idempotency_key: str | None = None,
) -> PrizeDrawEvaluation:
    """Evaluate one instance in ``draw_type`` and store the result (§4.10).

    Without a winning number in effect the stored result is ``pending``. With
    ``idempotency_key`` a repeat with the same arguments returns the first evaluation
    (its stored result read back) and writes nothing; other arguments: ``ConflictError``.
    """
    key = check_key(idempotency_key)
    authorise(uow, admin, Operation.RUN_DRAWS)
    stored = stored_instance(uow, instance)
    candidate = DrawCandidate.of(stored)
    _require_eligible(candidate, stored.unique_instance_id)
    setup = _DrawSetup(
        uow, draw_type, winning_number, threshold, registry, clock, require_number=False
    )
    arguments = draw_arguments(
        setup.draw_type, winning_number, threshold, None, None, instance_id=stored.id
    )
    with atomic(uow):
        replay = claim_key(uow, SINGLE_DRAW, key, arguments, setup.now)
        if replay is not None:
            return replayed_evaluations(uow, replay)[0]
        results = next(setup.evaluate(uow, [CandidateColumns.of([candidate])])).results()
        _evaluation_events(uow, setup, results, "single evaluation")
        evaluation = _evaluation(results[0], setup.threshold)
        if key is not None:
            complete_keys(
                uow, SINGLE_DRAW, {key: evaluation_reference([evaluation], setup.threshold)}
            )
    return evaluation


def _evaluation_events(
    uow: UnitOfWork, setup: _DrawSetup, results: Sequence[PrizeDrawResult], kind: str
) -> None:
    assert setup.draw_type.id is not None
    number_id = None if setup.winning_number is None else setup.winning_number.id
    append_evaluation_events(uow, setup.draw_type.id, number_id, results, setup.now, kind)


def _ranked_draw(
    uow: UnitOfWork,
    setup: _DrawSetup,
    pool: CandidateColumns,
    limit: int | None,
    what: str,
    cap: int | None = None,
) -> DrawOutcome:
    """Evaluate and store every eligible candidate of ``pool``; rank the results (only
    wins with a threshold, at most ``cap`` per user) into a ``DrawOutcome``.

    With a ``limit`` the ranking is cut after every batch: a result below the cutoff of
    the first ``limit`` (ties kept, at most ``cap`` per user) can never rise above it, so
    memory stays bounded by the limit and one batch, whatever the number of candidates.
    """
    candidates = _eligible_only(pool, what)
    ranked: list[PrizeDrawResult] = []
    evaluated = 0
    assert setup.winning_number is not None and setup.draw_type.id is not None
    with atomic(uow):
        if candidates:
            for batch in setup.evaluate(uow, [candidates]):
                evaluated += len(batch)
                rows = (
                    list(range(len(batch)))
                    if setup.threshold is None
                    else batch.rows_with_outcome(OUTCOME_WIN)
                )
                columns = batch.columns
                scores, users = columns.similarity_scores, columns.user_ids
                ranked.extend(batch.results(rankable_rows(rows, scores, users, limit, cap)))
                if limit is not None:
                    ranked = rank_with_cap(ranked, limit, cap)
            ranked = rank_with_cap(ranked, limit, cap)
        outcome = DrawOutcome(
            ranked,
            winning_number=setup.winning_number,
            threshold=setup.threshold,
            eligible=len(candidates),
            ineligible=len(pool) - len(candidates),
            evaluated=evaluated,
        )
        append_draw_events(uow, setup.draw_type.id, outcome, setup.now, what)
    return outcome


def run_bingo_prize_draw(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    *,
    winning_number: PrizeDrawWinningNumber | None = None,
    threshold: float | None = None,
    registry: AlgorithmRegistry | None = None,
    limit: int | None = None,
    clock: Clock | None = None,
    admin: Admin | None = None,
    max_wins_per_user: int | CapDefault | None = FROM_DRAW_TYPE,
    idempotency_key: str | None = None,
) -> DrawOutcome:
    """Draw among every instance on a completed bingo line (§4.12); ranked, ties kept.

    With a threshold in use only winning results are ranked; without one, all. A user
    keeps at most ``max_wins_per_user`` ranked results (default: the draw type's cap).
    The ``DrawOutcome`` is that ranking, with the counts, threshold and winning number used.
    With ``idempotency_key`` a repeat with the same arguments returns the first run's
    outcome and writes nothing; other arguments: ``ConflictError``.
    """
    key = check_key(idempotency_key)
    authorise(uow, admin, Operation.RUN_DRAWS)
    checked_limit = validate_limit(limit, allow_none=True)
    setup = _DrawSetup(
        uow, draw_type, winning_number, threshold, registry, clock, require_number=True
    )
    cap = resolve_cap(max_wins_per_user, setup.draw_type.max_wins_per_user)
    arguments = draw_arguments(setup.draw_type, winning_number, threshold, checked_limit, cap)
    with collector_paused(), keyed_call(uow, key):
        replay = claim_key(uow, BINGO_DRAW, key, arguments, setup.now)
        if replay is not None:
            return replayed_outcome(uow, replay)
        pool = uow.bingo_cards.completed_line_candidate_columns(setup.now)
        outcome = _ranked_draw(uow, setup, pool, checked_limit, "bingo draw", cap)
        complete_draw(uow, BINGO_DRAW, key, outcome)
        return outcome


def run_final_attendance_prize_draw(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    *,
    attendance_definition_id: int | None,
    winning_number: PrizeDrawWinningNumber | None = None,
    threshold: float | None = None,
    registry: AlgorithmRegistry | None = None,
    limit: int | None = None,
    clock: Clock | None = None,
    admin: Admin | None = None,
    max_wins_per_user: int | CapDefault | None = FROM_DRAW_TYPE,
    idempotency_key: str | None = None,
) -> DrawOutcome:
    """Draw among every eligible instance of the attendance definition (§4.13).

    A user keeps at most ``max_wins_per_user`` ranked results (default: the type's cap).
    Returns the ranking as a ``DrawOutcome``, like ``run_bingo_prize_draw`` (and, like
    it, replays the first run's outcome for a repeated ``idempotency_key``).
    """
    key = check_key(idempotency_key)
    authorise(uow, admin, Operation.RUN_DRAWS)
    if attendance_definition_id is None:
        raise ValidationError("attendance_definition_id is required")
    if isinstance(attendance_definition_id, bool) or not isinstance(attendance_definition_id, int):
        raise ValidationError(
            f"attendance_definition_id must be an int, got {attendance_definition_id!r}"
        )
    checked_limit = validate_limit(limit, allow_none=True)
    setup = _DrawSetup(
        uow, draw_type, winning_number, threshold, registry, clock, require_number=True
    )
    cap = resolve_cap(max_wins_per_user, setup.draw_type.max_wins_per_user)
    if uow.definitions.get(attendance_definition_id) is None:
        raise NotFoundError(f"definition {attendance_definition_id} does not exist")
    arguments = draw_arguments(
        setup.draw_type,
        winning_number,
        threshold,
        checked_limit,
        cap,
        attendance_definition_id=attendance_definition_id,
    )
    with collector_paused(), keyed_call(uow, key):
        replay = claim_key(uow, ATTENDANCE_DRAW, key, arguments, setup.now)
        if replay is not None:
            return replayed_outcome(uow, replay)
        pool = CandidateColumns.of(
            uow.instances.candidates_for_definition(attendance_definition_id)
        )
        outcome = _ranked_draw(uow, setup, pool, checked_limit, "attendance draw", cap)
        complete_draw(uow, ATTENDANCE_DRAW, key, outcome)
        return outcome


def select_top_prize_draw_results(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    winning_number: PrizeDrawWinningNumber | None = None,
    *,
    limit: int,
    include_pending: bool = True,
    with_ties: bool = False,
    clock: Clock | None = None,
    max_wins_per_user: int | CapDefault | None = FROM_DRAW_TYPE,
) -> list[PrizeDrawResult]:
    """The top ``limit`` stored results of a draw type and winning number (§4.14).

    With a cap in force (``max_wins_per_user``, default the draw type's) a user keeps at
    most that many results; the ranking reads growing prefixes until the cut is certain.
    """
    stored = stored_draw_type(uow, draw_type)
    checked_limit = validate_limit(limit, allow_none=False)
    assert checked_limit is not None and stored.id is not None
    cap = resolve_cap(max_wins_per_user, stored.max_wins_per_user)
    now: datetime = now_from(clock)
    number = resolve_winning_number(uow, stored, winning_number, now)
    if number is None or number.id is None:
        raise ValidationError(
            f"draw type '{stored.internal_name}' has no winning number in effect "
            f"at {now.isoformat()}"
        )
    if cap is None:
        return uow.draw_results.top(
            stored.id,
            number.id,
            limit=checked_limit,
            include_pending=include_pending,
            with_ties=with_ties,
        )
    return _top_with_cap(
        uow, stored.id, number.id, checked_limit, cap, include_pending, with_ties=with_ties
    )


def _top_with_cap(
    uow: UnitOfWork,
    draw_type_id: int,
    number_id: int,
    limit: int,
    cap: int,
    include_pending: bool,
    *,
    with_ties: bool,
) -> list[PrizeDrawResult]:
    """The capped top ``limit``: read the top ``n`` (ties kept), widen ``n`` until the
    capped ranking of that prefix holds ``limit`` results or the prefix is everything.

    A prefix ending on a score boundary contains every result that could rank before
    the capped cutoff, so its capped ranking is the ranking of all results.
    """
    size = limit
    while True:
        prefix = uow.draw_results.top(
            draw_type_id, number_id, limit=size, include_pending=include_pending, with_ties=True
        )
        ranked = rank_with_cap(prefix, limit, cap)
        if len(ranked) >= limit or len(prefix) < size:
            break
        size *= 4
    ranked.sort(key=ranking_key)
    return ranked if with_ties else ranked[:limit]
