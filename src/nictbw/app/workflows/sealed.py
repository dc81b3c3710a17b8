"""Sealed draws: the candidates and a future beacon round are fixed first; the winning
value is then derived from that round, so nobody (the operator included) can choose it.

``seal_prize_draw`` takes the snapshot of ``snapshot_prize_draw`` and, in the same row,
commits to the beacon (chain hash, public key, scheme) and to round R, the first round
published at least ``margin`` after now. ``run_sealed_prize_draw`` waits for nothing: it
refuses before R is published, then fetches and verifies R, derives the winning value
(:func:`nictbw.domain.sealing.sealed_winning_value`), submits it with the beacon record
in its metadata and evaluates exactly the snapshot's candidates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from nictbw.app.workflows._authority import authorise
from nictbw.app.workflows._gcpause import collector_paused
from nictbw.app.workflows.catalogue import submit_winning_number
from nictbw.app.workflows.common import atomic, now_from, stored_draw_type
from nictbw.app.workflows.draws import _DrawSetup, _ranked_draw
from nictbw.app.workflows.idempotency import (
    SEALED_DRAW,
    check_key,
    claim_key,
    complete_draw,
    keyed_call,
    replayed_outcome,
)
from nictbw.app.workflows.outbox import sealed_event
from nictbw.app.workflows.snapshots import prepare_snapshot, store_snapshot
from nictbw.domain.beacon import BeaconInfo, BeaconRound, verify_beacon
from nictbw.domain.entities import (
    INSTANCE_SUCCEEDED,
    OUTCOME_PENDING,
    OUTCOME_WIN,
    Admin,
    CandidateColumns,
    PrizeDrawResult,
    PrizeDrawSnapshot,
    PrizeDrawType,
    PrizeDrawWinningNumber,
)
from nictbw.domain.errors import (
    BeaconError,
    BeaconRoundNotPublishedError,
    ConflictError,
    NoCandidatesError,
    NotFoundError,
    ValidationError,
)
from nictbw.domain.outcomes import DrawOutcome
from nictbw.domain.permissions import Operation
from nictbw.domain.ranking import (
    FROM_DRAW_TYPE,
    CapDefault,
    rank_with_cap,
    resolve_cap,
    validate_cap,
    validate_limit,
)
from nictbw.domain.scoring import AlgorithmRegistry, derive_draw_number
from nictbw.domain.sealing import (
    SEALED_DRAW_VERSION,
    SEALED_METADATA_KEY,
    sealed_winning_value,
    sealing_round,
)
from nictbw.domain.snapshots import candidate_set_digest
from nictbw.ports import Clock, RandomnessBeacon, UnitOfWork

DEFAULT_MARGIN_PERIODS = 2
METADATA_KEY = SEALED_METADATA_KEY

CANDIDATE_CHUNK = 20_000
"""Instances read at a time when a sealed draw reads its candidates back."""


def seal_prize_draw(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    *,
    beacon: RandomnessBeacon,
    attendance_definition_id: int | None = None,
    margin: timedelta | None = None,
    registry: AlgorithmRegistry | None = None,
    clock: Clock | None = None,
    max_wins_per_user: int | CapDefault | None = FROM_DRAW_TYPE,
    admin: Admin | None = None,
) -> PrizeDrawSnapshot:
    """Snapshot the draw's candidates and commit to beacon round R and the winner cap;
    returns the snapshot.

    The pool is that of :func:`snapshot_prize_draw` (bingo lines, or the eligible
    instances of ``attendance_definition_id``); an empty pool is refused
    (``NoCandidatesError``, nothing stored). R is the first round published at least
    ``margin`` (default two beacon periods; must be positive) after now. The cap the
    draw will rank with is ``max_wins_per_user`` (default: the draw type's current cap;
    None: no cap) and is stored on the snapshot: the run cannot change it. The returned
    snapshot's id, ``candidates_sha256``, ``beacon_round``, ``beacon_round_at``,
    ``max_wins_per_user`` and ``seal_digest`` are the line an operator publishes before R.
    """
    authorise(uow, admin, Operation.RUN_DRAWS)
    stored = stored_draw_type(uow, draw_type)
    cap = resolve_cap(max_wins_per_user, stored.max_wins_per_user)
    info = beacon.info()
    if margin is None:
        margin = timedelta(seconds=DEFAULT_MARGIN_PERIODS * info.period)
    if not isinstance(margin, timedelta) or margin <= timedelta(0):
        raise ValidationError(f"margin must be a positive timedelta, got {margin!r:.80}")
    now = now_from(clock)
    round_number = sealing_round(info, now, margin)
    prepared, snapshot = prepare_snapshot(uow, draw_type, attendance_definition_id, registry, now)
    if not len(prepared):
        pool = (
            "no badge on a completed bingo line"
            if attendance_definition_id is None
            else f"no eligible badge of definition {attendance_definition_id}"
        )
        raise NoCandidatesError(
            f"draw type {stored.internal_name!r} has no candidates to seal ({pool}); "
            "nothing was sealed"
        )
    snapshot.max_wins_per_user = cap
    snapshot.beacon_chain_hash = info.chain_hash
    snapshot.beacon_public_key = info.public_key
    snapshot.beacon_scheme = info.scheme
    snapshot.beacon_round = round_number
    snapshot.beacon_round_at = info.time_of(round_number)
    with atomic(uow):
        store_snapshot(uow, prepared, snapshot)
        uow.events.append_many([sealed_event(snapshot, now)])
    return snapshot


def run_sealed_prize_draw(
    uow: UnitOfWork,
    snapshot: PrizeDrawSnapshot,
    *,
    beacon: RandomnessBeacon,
    limit: int | None = None,
    threshold: float | None = None,
    registry: AlgorithmRegistry | None = None,
    clock: Clock | None = None,
    admin: Admin | None = None,
    max_wins_per_user: int | CapDefault | None = FROM_DRAW_TYPE,
    idempotency_key: str | None = None,
) -> DrawOutcome:
    """Run a sealed draw: round R's verified randomness decides; returns the ranking.

    The ranking uses the winner cap committed at sealing (the snapshot's
    ``max_wins_per_user``); an explicit ``max_wins_per_user`` that differs from it is
    refused (``ConflictError`` naming both), so the cap cannot be chosen after R is public.

    Refuses (``BeaconRoundNotPublishedError``) before R is published and
    (``BeaconError``) when the beacon is not the committed one or R does not verify.
    Evaluates exactly the snapshot's stored candidates (``ConflictError`` when they were
    replaced since), stores the results under the derived winning number and ranks them
    as :func:`run_bingo_prize_draw` does (``limit``, ties, the committed cap). Run
    again, it reads the stored results back and changes nothing. With
    ``idempotency_key`` a repeat with the same arguments replays the first run's outcome
    without asking the beacon; other arguments: ``ConflictError`` naming the key.
    """
    key = check_key(idempotency_key)
    authorise(uow, admin, Operation.RUN_DRAWS)
    sealed = _stored_sealed(uow, snapshot)
    draw_type = stored_draw_type(uow, _draw_type_ref(sealed))
    checked_limit = validate_limit(limit, allow_none=True)
    cap = committed_cap(sealed, max_wins_per_user)
    now = now_from(clock)
    arguments = {
        "snapshot_id": sealed.id,
        "limit": checked_limit,
        "threshold": threshold,
        "max_wins_per_user": cap,
    }
    with keyed_call(uow, key):
        replay = claim_key(uow, SEALED_DRAW, key, arguments, now)
        if replay is not None:
            return replayed_outcome(uow, replay)
        outcome = _sealed_outcome(
            uow, sealed, draw_type, beacon, checked_limit, cap, threshold, registry, clock, now
        )
        complete_draw(uow, SEALED_DRAW, key, outcome)
        return outcome


def _sealed_outcome(
    uow: UnitOfWork,
    sealed: PrizeDrawSnapshot,
    draw_type: PrizeDrawType,
    beacon: RandomnessBeacon,
    checked_limit: int | None,
    cap: int | None,
    threshold: float | None,
    registry: AlgorithmRegistry | None,
    clock: Clock | None,
    now: datetime,
) -> DrawOutcome:
    info = _committed_info(sealed, beacon.info())
    assert sealed.beacon_round is not None and sealed.beacon_round_at is not None
    if now < sealed.beacon_round_at:
        raise BeaconRoundNotPublishedError(sealed.beacon_round, sealed.beacon_round_at)
    beacon_round = beacon.get(sealed.beacon_round)
    if beacon_round.round != sealed.beacon_round:
        raise BeaconError(
            f"the beacon answered round {beacon_round.round} for round {sealed.beacon_round}"
        )
    verify_beacon(info, beacon_round)
    value = sealed_winning_value(
        info.chain_hash, beacon_round.round, beacon_round.randomness, sealed.candidates_sha256
    )
    setup = _DrawSetup(
        uow, draw_type, None, threshold, registry, clock, require_number=False, sealed_run=True
    )
    existing = _existing_number(uow, draw_type, sealed)
    if existing is not None:
        if existing.value != value:
            raise ConflictError(
                f"winning number {existing.id} of snapshot {sealed.id} has value "
                f"{existing.value!r}, not the derived {value!r}"
            )
        assert existing.id is not None and draw_type.id is not None
        stored = uow.draw_results.list_for_draw_type(draw_type.id, existing.id)
        return DrawOutcome(
            rank_with_cap(_rankable(stored, setup.threshold), checked_limit, cap),
            winning_number=existing,
            threshold=setup.threshold,
            eligible=len(stored),
            ineligible=sealed.candidate_count - len(stored),
            evaluated=0,
        )
    candidates = _snapshot_candidates(uow, sealed)
    with collector_paused(), atomic(uow):
        number = submit_winning_number(
            uow,
            draw_type,
            value,
            metadata={METADATA_KEY: _beacon_record(sealed, info, beacon_round)},
            effective_at=sealed.beacon_round_at,
            clock=clock,
        )
        setup.winning_number = number
        return _ranked_draw(uow, setup, candidates, checked_limit, "sealed draw", cap)


def committed_cap(
    snapshot: PrizeDrawSnapshot, override: int | CapDefault | None = FROM_DRAW_TYPE
) -> int | None:
    """The winner cap a sealed snapshot committed to; ``ConflictError`` when ``override``
    (unless ``FROM_DRAW_TYPE``, meaning "the committed one") names another cap."""
    if override is FROM_DRAW_TYPE:
        return snapshot.max_wins_per_user
    asked = validate_cap(override)
    if asked != snapshot.max_wins_per_user:
        raise ConflictError(
            f"snapshot {snapshot.id} was sealed with max_wins_per_user "
            f"{snapshot.max_wins_per_user!r}; the cap {asked!r} asked for now differs, and a "
            "sealed draw's cap cannot change after sealing"
        )
    return asked


def _stored_sealed(uow: UnitOfWork, snapshot: PrizeDrawSnapshot) -> PrizeDrawSnapshot:
    snapshot_id = getattr(snapshot, "id", None)
    if snapshot_id is None:
        raise NotFoundError(f"snapshot {snapshot!r:.80} is not stored (id is None)")
    if isinstance(snapshot_id, bool) or not isinstance(snapshot_id, int):
        raise ValidationError(f"snapshot id must be an int, got {snapshot_id!r}")
    found = uow.draw_snapshots.get(snapshot_id)
    if found is None:
        raise NotFoundError(f"snapshot {snapshot_id} does not exist")
    if not found.is_sealed:
        raise ValidationError(
            f"snapshot {snapshot_id} is not sealed to a beacon round; take it with seal_prize_draw"
        )
    return found


def _draw_type_ref(snapshot: PrizeDrawSnapshot) -> PrizeDrawType:
    return PrizeDrawType(id=snapshot.draw_type_id, internal_name="", algorithm_key="")


def _committed_info(snapshot: PrizeDrawSnapshot, info: BeaconInfo) -> BeaconInfo:
    """The beacon's info, checked against the chain the snapshot committed to."""
    committed = (snapshot.beacon_chain_hash, snapshot.beacon_public_key, snapshot.beacon_scheme)
    offered = (info.chain_hash, info.public_key, info.scheme)
    if committed != offered:
        raise BeaconError(
            f"snapshot {snapshot.id} is sealed to chain {snapshot.beacon_chain_hash} "
            f"({snapshot.beacon_scheme}); the beacon given is chain {info.chain_hash} "
            f"({info.scheme}) or has another public key"
        )
    assert snapshot.beacon_round is not None
    if info.time_of(snapshot.beacon_round) != snapshot.beacon_round_at:
        raise BeaconError(
            f"snapshot {snapshot.id} expects round {snapshot.beacon_round} at "
            f"{snapshot.beacon_round_at}, the beacon schedules it at "
            f"{info.time_of(snapshot.beacon_round).isoformat()}"
        )
    return info


def _existing_number(
    uow: UnitOfWork, draw_type: PrizeDrawType, snapshot: PrizeDrawSnapshot
) -> PrizeDrawWinningNumber | None:
    """The winning number an earlier run of this sealed snapshot submitted, if any."""
    assert draw_type.id is not None
    for number in uow.winning_numbers.list_for_draw_type(draw_type.id):
        record = (number.metadata or {}).get(METADATA_KEY)
        if isinstance(record, dict) and record.get("snapshot_id") == snapshot.id:
            return number
    return None


def _rankable(results: list[PrizeDrawResult], threshold: float | None) -> list[PrizeDrawResult]:
    if threshold is None:
        return results
    return [r for r in results if r.outcome == OUTCOME_WIN]


def _snapshot_candidates(uow: UnitOfWork, snapshot: PrizeDrawSnapshot) -> CandidateColumns:
    """The snapshot's candidates as columns, read back from its stored pending results
    (their instances per chunk of :data:`CANDIDATE_CHUNK`, so the draw never holds them all).

    They are the pending results of the draw type stamped with the snapshot's time; their
    digest must still be the snapshot's (a later snapshot of the same draw type replaces
    them: ``ConflictError``, seal again). Origins come from the instances and must still
    give the stored draw numbers.

    Each candidate competes as it stood when sealed (eligible, for the user who then held
    it): a transfer or a revocation after sealing does not change a sealed draw, since
    otherwise whoever can revoke a badge could remove a winner once the round is public.
    """
    pending = [
        r
        for r in uow.draw_results.list_for_draw_type(snapshot.draw_type_id)
        if r.winning_number_id is None
        and r.outcome == OUTCOME_PENDING
        and r.evaluated_at == snapshot.created_at
    ]
    digest = candidate_set_digest((r.nft_instance_id, r.user_id, r.draw_number) for r in pending)
    if digest != snapshot.candidates_sha256 or len(pending) != snapshot.candidate_count:
        raise ConflictError(
            f"the stored candidates of snapshot {snapshot.id} no longer match its digest "
            f"{snapshot.candidates_sha256} ({len(pending)} found, {snapshot.candidate_count} "
            "sealed); they were replaced since sealing: seal the draw again"
        )
    pending.sort(key=lambda r: r.nft_instance_id)
    columns = CandidateColumns([], [], [], [], [])
    for start in range(0, len(pending), CANDIDATE_CHUNK):
        chunk = pending[start : start + CANDIDATE_CHUNK]
        instances = uow.instances.get_many([r.nft_instance_id for r in chunk])
        for result in chunk:
            instance = instances.get(result.nft_instance_id)
            origin = None if instance is None else instance.nft_origin
            if origin is None or derive_draw_number(origin) != result.draw_number:
                raise ConflictError(
                    f"instance {result.nft_instance_id} of snapshot {snapshot.id} no longer "
                    f"has the origin behind draw number {result.draw_number!r}"
                )
            columns.instance_ids.append(result.nft_instance_id)
            columns.user_ids.append(result.user_id)
            columns.definition_ids.append(result.definition_id)
            columns.nft_origins.append(origin)
            columns.statuses.append(INSTANCE_SUCCEEDED)
    return columns


def _beacon_record(
    snapshot: PrizeDrawSnapshot, info: BeaconInfo, beacon_round: BeaconRound
) -> dict[str, Any]:
    """What the winning number's metadata carries: every input of the derivation."""
    assert snapshot.beacon_round_at is not None
    return {
        "version": SEALED_DRAW_VERSION,
        "snapshot_id": snapshot.id,
        "candidates_sha256": snapshot.candidates_sha256,
        "chain_hash": info.chain_hash,
        "public_key": info.public_key,
        "scheme": info.scheme,
        "period": info.period,
        "genesis_time": info.genesis_time,
        "round": beacon_round.round,
        "round_at": snapshot.beacon_round_at.isoformat(),
        "randomness": beacon_round.randomness,
        "signature": beacon_round.signature,
        "previous_signature": beacon_round.previous_signature,
        "max_wins_per_user": snapshot.max_wins_per_user,
    }


__all__ = [
    "DEFAULT_MARGIN_PERIODS",
    "committed_cap",
    "run_sealed_prize_draw",
    "seal_prize_draw",
]
