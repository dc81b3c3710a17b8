"""Fixing a draw's candidate set before its winning number exists (auditable draws)."""

from __future__ import annotations

from datetime import datetime
from itertools import islice

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
    PrizeDrawResult,
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
    results, snapshot = prepare_snapshot(
        uow, draw_type, attendance_definition_id, registry, now_from(clock)
    )
    store_snapshot(uow, results, snapshot)
    return snapshot


def prepare_snapshot(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    attendance_definition_id: int | None,
    registry: AlgorithmRegistry | None,
    now: datetime,
) -> tuple[list[PrizeDrawResult], PrizeDrawSnapshot]:
    """Read and check a draw's candidates; build their pending results and the snapshot.

    Writes nothing: :func:`store_snapshot` does.
    """
    stored = open_draw_type(uow, draw_type)
    assert stored.id is not None
    algorithm = PrizeDrawEngine(registry_or_default(registry)).algorithm(stored.algorithm_key)
    threshold = resolve_threshold(None, stored.default_threshold, algorithm)
    if attendance_definition_id is None:
        scope = SNAPSHOT_BINGO
        candidates = uow.bingo_cards.completed_line_candidates(now)
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
        candidates = uow.instances.candidates_for_definition(attendance_definition_id)
    eligible = [c for c in candidates if c.is_draw_eligible]
    if len(eligible) != len(candidates):
        left_out = [c.instance_id for c in candidates if not c.is_draw_eligible]
        logger.warning(
            "%s snapshot: %d ineligible instance(s) left out: %s", scope, len(left_out), left_out
        )
    results = [
        PrizeDrawResult(
            draw_type_id=stored.id,
            winning_number_id=None,
            user_id=c.user_id,
            definition_id=c.definition_id,
            nft_instance_id=c.instance_id,
            draw_number=derive_draw_number(c.nft_origin),
            threshold_used=threshold,
            outcome=OUTCOME_PENDING,
            evaluated_at=now,
        )
        for c in eligible
    ]
    snapshot = PrizeDrawSnapshot(
        draw_type_id=stored.id,
        scope=scope,
        attendance_definition_id=attendance_definition_id,
        candidate_count=len(results),
        candidates_sha256=candidate_set_digest(
            (r.nft_instance_id, r.user_id, r.draw_number) for r in results
        ),
        created_at=now,
    )
    return results, snapshot


def store_snapshot(
    uow: UnitOfWork, results: list[PrizeDrawResult], snapshot: PrizeDrawSnapshot
) -> None:
    """Store the pending results (in chunks) and the snapshot row, atomically."""
    with atomic(uow):
        iterator = iter(results)
        while chunk := list(islice(iterator, CHUNK)):
            uow.draw_results.upsert_many(chunk)
        uow.draw_snapshots.add(snapshot)
