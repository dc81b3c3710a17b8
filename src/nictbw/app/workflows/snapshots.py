"""Fixing a draw's candidate set before its winning number exists (auditable draws)."""

from __future__ import annotations

from datetime import datetime

from attrs import define

from nictbw.app.workflows._authority import authorise
from nictbw.app.workflows.common import (
    atomic,
    logger,
    now_from,
    open_draw_type,
    registry_or_default,
)
from nictbw.domain.engine import PrizeDrawEngine, resolve_threshold
from nictbw.domain.entities import (
    OUTCOME_PENDING,
    SNAPSHOT_ATTENDANCE,
    SNAPSHOT_BINGO,
    Admin,
    CandidateColumns,
    DrawResultColumns,
    PrizeDrawSnapshot,
    PrizeDrawType,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.permissions import Operation
from nictbw.domain.scoring import AlgorithmRegistry, derive_draw_number
from nictbw.domain.snapshots import candidate_set_digest
from nictbw.ports import Clock, UnitOfWork

CHUNK = 20_000


def snapshot_prize_draw(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    *,
    attendance_definition_id: int | None = None,
    registry: AlgorithmRegistry | None = None,
    clock: Clock | None = None,
    admin: Admin | None = None,
) -> PrizeDrawSnapshot:
    """Store the eligible candidates of a draw as ``pending`` results and their digest.

    Without ``attendance_definition_id`` the candidates are those of the bingo-line draw
    (instances on completed lines at now), else every eligible instance of that
    definition. Run it before the winning number is submitted: a later export carries
    the snapshot, and ``verify`` proves the draw used exactly this set.
    """
    authorise(uow, admin, Operation.RUN_DRAWS)
    prepared, snapshot = prepare_snapshot(
        uow, draw_type, attendance_definition_id, registry, now_from(clock)
    )
    store_snapshot(uow, prepared, snapshot)
    return snapshot


@define
class PreparedSnapshot:
    """A draw's eligible candidates as columns, their draw numbers and the threshold of
    their pending results: what :func:`store_snapshot` stores, chunk by chunk."""

    draw_type_id: int
    pool: CandidateColumns
    draw_numbers: list[str]
    threshold: float | None
    now: datetime

    def __len__(self) -> int:
        return len(self.draw_numbers)

    def pending_columns(self, start: int, stop: int) -> DrawResultColumns:
        """The pending results of rows ``start`` to ``stop`` as columns (no object per row)."""
        pool = self.pool
        stop = min(stop, len(self))
        return DrawResultColumns(
            draw_type_id=self.draw_type_id,
            winning_number_id=None,
            winning_top_digits=None,
            threshold_used=self.threshold,
            evaluated_at=self.now,
            user_ids=pool.user_ids[start:stop],
            definition_ids=pool.definition_ids[start:stop],
            nft_instance_ids=pool.instance_ids[start:stop],
            draw_numbers=self.draw_numbers[start:stop],
            similarity_scores=None,
            draw_top_digits=None,
            outcomes=[OUTCOME_PENDING] * (stop - start),
        )


def prepare_snapshot(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    attendance_definition_id: int | None,
    registry: AlgorithmRegistry | None,
    now: datetime,
) -> tuple[PreparedSnapshot, PrizeDrawSnapshot]:
    """Read and check a draw's candidates (as columns); the pending results to store and
    the snapshot.

    Writes nothing: :func:`store_snapshot` does.
    """
    stored = open_draw_type(uow, draw_type)
    assert stored.id is not None
    algorithm = PrizeDrawEngine(registry_or_default(registry)).algorithm(stored.algorithm_key)
    threshold = resolve_threshold(None, stored.default_threshold, algorithm)
    if attendance_definition_id is None:
        scope = SNAPSHOT_BINGO
        candidates = uow.bingo_cards.completed_line_candidate_columns(now)
    else:
        if isinstance(attendance_definition_id, bool) or not isinstance(
            attendance_definition_id, int
        ):
            raise ValidationError(
                f"attendance_definition_id must be an int, got {attendance_definition_id!r}"
            )
        if uow.definitions.get(attendance_definition_id) is None:
            raise NotFoundError(f"definition {attendance_definition_id} does not exist")
        scope = SNAPSHOT_ATTENDANCE
        candidates = CandidateColumns.of(
            uow.instances.candidates_for_definition(attendance_definition_id)
        )
    rows = candidates.eligible_rows()
    if len(rows) != len(candidates):
        kept = set(rows)
        left_out = [i for row, i in enumerate(candidates.instance_ids) if row not in kept]
        logger.warning(
            "%s snapshot: %d ineligible instance(s) left out: %s", scope, len(left_out), left_out
        )
    pool = candidates.take(rows) if len(rows) != len(candidates) else candidates
    numbers = [derive_draw_number(origin) for origin in pool.nft_origins]
    prepared = PreparedSnapshot(stored.id, pool, numbers, threshold, now)
    snapshot = PrizeDrawSnapshot(
        draw_type_id=stored.id,
        scope=scope,
        attendance_definition_id=attendance_definition_id,
        candidate_count=len(prepared),
        candidates_sha256=candidate_set_digest(
            zip(pool.instance_ids, pool.user_ids, numbers, strict=True)
        ),
        created_at=now,
    )
    return prepared, snapshot


def store_snapshot(
    uow: UnitOfWork, prepared: PreparedSnapshot, snapshot: PrizeDrawSnapshot
) -> None:
    """Store the pending results (in chunks) and the snapshot row, atomically."""
    with atomic(uow):
        for start in range(0, len(prepared), CHUNK):
            uow.draw_results.upsert_columns(prepared.pending_columns(start, start + CHUNK))
        uow.draw_snapshots.add(snapshot)
