"""Sealed draws: candidates and a future beacon round fixed first, the number derived from
the round; and the per-user winner cap. On every backend."""

from __future__ import annotations

import copy
import inspect
from datetime import timedelta
from typing import Any

import pytest

from nictbw.adapters.beacon import FakeBeacon
from nictbw.adapters.clock import FixedClock
from nictbw.domain.beacon import verify_beacon
from nictbw.domain.engine import outcome_for
from nictbw.domain.entities import (
    OUTCOME_PENDING,
    PrizeDrawResult,
    PrizeDrawSnapshot,
    PrizeDrawType,
    User,
)
from nictbw.domain.errors import (
    BeaconError,
    BeaconRoundNotPublishedError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from nictbw.domain.export import (
    UNSEALED_WARNING,
    VerifyPolicy,
    candidate_rows_digest,
    rank_candidates,
    verify_document,
)
from nictbw.domain.export.sealed import (
    ARITHMETIC_TOPICS,
    SEALED_TOPICS,
    TOPIC_CANDIDATES,
    TOPIC_PUBLIC_KEY,
    TOPIC_RANKING,
    TOPIC_ROUND_TIME,
    TOPIC_WINNING_VALUE,
)
from nictbw.domain.scoring import DEFAULT_SCORING_REGISTRY, normalize_winning_value
from nictbw.domain.sealing import SEALED_DRAW_VERSION, sealed_winning_value
from nictbw.workflows import (
    create_prize_draw_type,
    export_draw,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    run_sealed_prize_draw,
    seal_prize_draw,
    select_top_prize_draw_results,
    snapshot_prize_draw,
    submit_winning_number,
)
from tests.contract.helpers import (
    ALGORITHM,
    ATTENDANCE,
    UowFactory,
    World,
    add_draw_type,
    build_world,
    complete_line,
    issue,
    register,
    snapshot,
    user_with_card,
)

MIDDLE_COLUMN = (1, 4, 7)
PERIOD = 30


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _beacon(clock: FixedClock, seed: int = 11) -> FakeBeacon:
    """A fake beacon whose genesis lies five minutes before the world's start."""
    genesis = int(clock.now().timestamp()) - 300
    return FakeBeacon(clock, seed=seed, period=PERIOD, genesis_time=genesis)


def _user_on_a_line(world: World, name: str, seed: int) -> User:
    user, card = user_with_card(world, name, trigger_origin=f"{name}-trigger", seed=seed)
    with world.factory() as uow:
        complete_line(uow, world, user, card, MIDDLE_COLUMN, origin_tag=name, seed=seed + 10)
        uow.commit()
    return user


@pytest.fixture
def bingo(world: World) -> tuple[World, PrizeDrawType, FakeBeacon]:
    """Two users with a completed line (three instances each), a type without threshold."""
    _user_on_a_line(world, "ana", 1)
    _user_on_a_line(world, "ben", 2)
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, "lines")
        uow.commit()
    return world, draw_type, _beacon(world.clock)


def _seal(
    world: World, draw_type: PrizeDrawType, beacon: FakeBeacon, **kwargs: Any
) -> PrizeDrawSnapshot:
    with world.factory() as uow:
        sealed = seal_prize_draw(uow, draw_type, beacon=beacon, clock=world.clock, **kwargs)
        uow.commit()
    return sealed


def _run(
    world: World, sealed: PrizeDrawSnapshot, beacon: FakeBeacon, **kwargs: Any
) -> list[PrizeDrawResult]:
    with world.factory() as uow:
        ranked = run_sealed_prize_draw(uow, sealed, beacon=beacon, clock=world.clock, **kwargs)
        uow.commit()
    return ranked


def test_seal_commits_to_the_first_round_two_periods_ahead(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    now = world.clock.now()
    sealed = _seal(world, draw_type, beacon)
    info = beacon.info()
    assert sealed.beacon_round == info.first_round_at_or_after(now + timedelta(seconds=60))
    assert sealed.beacon_round_at == info.time_of(sealed.beacon_round)
    assert sealed.beacon_round_at >= now + timedelta(seconds=2 * PERIOD)
    assert sealed.beacon_round_at - timedelta(seconds=PERIOD) < now + timedelta(seconds=60)
    assert (sealed.beacon_chain_hash, sealed.beacon_public_key, sealed.beacon_scheme) == (
        info.chain_hash,
        info.public_key,
        info.scheme,
    )
    with world.factory() as uow:
        assert uow.draw_snapshots.get(sealed.id) == sealed
        pending = uow.draw_results.list_for_draw_type(draw_type.id)
    assert sealed.is_sealed
    assert sealed.candidate_count == len(pending) == 6
    assert {r.outcome for r in pending} == {OUTCOME_PENDING}


def test_seal_refuses_a_margin_that_is_not_positive(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    before = snapshot(world.factory)
    for margin in (timedelta(0), timedelta(seconds=-1), 60):
        with world.factory() as uow, pytest.raises(ValidationError, match="margin"):
            seal_prize_draw(uow, draw_type, beacon=beacon, margin=margin, clock=world.clock)
    assert snapshot(world.factory) == before


def test_run_refuses_before_the_round_is_published_and_changes_nothing(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    sealed = _seal(world, draw_type, beacon)
    before = snapshot(world.factory)
    world.clock.set(sealed.beacon_round_at - timedelta(seconds=1))
    with world.factory() as uow, pytest.raises(BeaconRoundNotPublishedError) as caught:
        run_sealed_prize_draw(uow, sealed, beacon=beacon, clock=world.clock)
    assert caught.value.publish_at == sealed.beacon_round_at
    assert sealed.beacon_round_at.isoformat() in str(caught.value)
    assert snapshot(world.factory) == before


def test_run_derives_the_number_from_the_round_and_is_idempotent(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    sealed = _seal(world, draw_type, beacon)
    world.clock.set(sealed.beacon_round_at + timedelta(seconds=5))
    ranked = _run(world, sealed, beacon)
    beacon_round = beacon.get(sealed.beacon_round)
    expected = sealed_winning_value(
        sealed.beacon_chain_hash,
        sealed.beacon_round,
        beacon_round.randomness,
        sealed.candidates_sha256,
    )
    with world.factory() as uow:
        (number,) = uow.winning_numbers.list_for_draw_type(draw_type.id)
        stored = uow.draw_results.list_for_draw_type(draw_type.id, number.id)
    assert number.value == expected
    record = number.metadata["sealed_draw"]
    assert record["version"] == SEALED_DRAW_VERSION
    assert (record["snapshot_id"], record["round"]) == (sealed.id, sealed.beacon_round)
    assert record["randomness"] == beacon_round.randomness
    assert record["signature"] == beacon_round.signature
    assert len(ranked) == len(stored) == 6
    assert {r.winning_number_id for r in ranked} == {number.id}
    before = snapshot(world.factory)
    world.clock.advance(timedelta(hours=1))
    again = _run(world, sealed, beacon)
    assert snapshot(world.factory) == before
    assert [(r.id, r.similarity_score) for r in again] == [
        (r.id, r.similarity_score) for r in ranked
    ]


def test_a_badge_issued_after_sealing_is_not_in_the_draw(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    sealed = _seal(world, draw_type, beacon)
    with world.factory() as uow:
        sealed_ids = {r.nft_instance_id for r in uow.draw_results.list_for_draw_type(draw_type.id)}
    world.clock.advance(timedelta(seconds=10))
    _user_on_a_line(world, "cyd", 3)
    world.clock.set(sealed.beacon_round_at)
    ranked = _run(world, sealed, beacon)
    assert {r.nft_instance_id for r in ranked} == sealed_ids


def test_a_later_snapshot_replacing_the_candidates_is_refused(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    sealed = _seal(world, draw_type, beacon)
    world.clock.advance(timedelta(seconds=10))
    with world.factory() as uow:
        snapshot_prize_draw(uow, draw_type, clock=world.clock)
        uow.commit()
    world.clock.set(sealed.beacon_round_at)
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ConflictError, match="seal the draw again"):
        run_sealed_prize_draw(uow, sealed, beacon=beacon, clock=world.clock)
    assert snapshot(world.factory) == before


def test_run_refuses_another_beacon_an_unsealed_or_unknown_snapshot(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    sealed = _seal(world, draw_type, beacon)
    with world.factory() as uow:
        plain = snapshot_prize_draw(uow, draw_type, clock=world.clock)
        uow.commit()
    world.clock.set(sealed.beacon_round_at)
    before = snapshot(world.factory)
    other = _beacon(world.clock, seed=12)
    with world.factory() as uow:
        with pytest.raises(BeaconError, match="sealed to chain"):
            run_sealed_prize_draw(uow, sealed, beacon=other, clock=world.clock)
        with pytest.raises(ValidationError, match="not sealed"):
            run_sealed_prize_draw(uow, plain, beacon=beacon, clock=world.clock)
        ghost = type(sealed)(
            id=10_000,
            draw_type_id=draw_type.id,
            scope="bingo",
            candidate_count=0,
            candidates_sha256="0" * 64,
        )
        with pytest.raises(NotFoundError, match="10000"):
            run_sealed_prize_draw(uow, ghost, beacon=beacon, clock=world.clock)
    assert snapshot(world.factory) == before


def test_grinding_gives_the_operator_no_input(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    """Trying values until a chosen candidate wins is impossible: the operator submits no
    value, and a number of their own in effect at run time changes nothing."""
    world, draw_type, beacon = bingo
    sealed = _seal(world, draw_type, beacon)
    with world.factory() as uow:
        for attempt in range(3):
            submit_winning_number(uow, draw_type, f"chosen-{attempt}", clock=world.clock)
        uow.commit()
    world.clock.set(sealed.beacon_round_at + timedelta(minutes=7))
    ranked = _run(world, sealed, beacon)
    beacon_round = beacon.get(sealed.beacon_round)
    verify_beacon(beacon.info(), beacon_round)
    derived = sealed_winning_value(
        beacon.info().chain_hash,
        sealed.beacon_round,
        beacon_round.randomness,
        sealed.candidates_sha256,
    )
    with world.factory() as uow:
        used = uow.winning_numbers.get(ranked[0].winning_number_id)
    assert used is not None
    assert used.value == derived
    # The same candidates and the same round give the same winner, whoever runs it, when.
    twin = FakeBeacon(world.clock, seed=11, period=PERIOD, genesis_time=beacon.info().genesis_time)
    assert twin.get(sealed.beacon_round) == beacon_round


def test_sealed_attendance_draw(world: World) -> None:
    attendance = world.d(ATTENDANCE)
    with world.factory() as uow:
        for n, name in enumerate(("ana", "ben", "cyd")):
            user = register(uow, world, name)
            issue(uow, world, user, ATTENDANCE, origin=f"att-{name}", seed=n)
        draw_type = add_draw_type(uow, world, "final-day", threshold=0.0)
        uow.commit()
    beacon = _beacon(world.clock)
    sealed = _seal(world, draw_type, beacon, attendance_definition_id=attendance.id)
    assert (sealed.scope, sealed.candidate_count) == ("attendance", 3)
    world.clock.set(sealed.beacon_round_at)
    ranked = _run(world, sealed, beacon, limit=2)
    assert len(ranked) >= 2
    scores = [r.similarity_score for r in ranked]
    assert scores == sorted(scores, reverse=True)


# -- the winner cap -------------------------------------------------------------------


def test_create_draw_type_validates_the_cap(world: World) -> None:
    before = snapshot(world.factory)
    for bad in (0, -1, True, "1", 1.0, 2**31):
        with world.factory() as uow, pytest.raises(ValidationError, match="max_wins_per_user"):
            create_prize_draw_type(
                uow,
                PrizeDrawType(internal_name="x", algorithm_key=ALGORITHM, max_wins_per_user=bad),
                clock=world.clock,
            )
    assert snapshot(world.factory) == before
    with world.factory() as uow:
        made = create_prize_draw_type(
            uow,
            PrizeDrawType(internal_name="capped", algorithm_key=ALGORITHM, max_wins_per_user=2),
            clock=world.clock,
        )
        uow.commit()
    with world.factory() as uow:
        assert uow.draw_types.get(made.id).max_wins_per_user == 2


def _capped_type(world: World, cap: int | None) -> PrizeDrawType:
    with world.factory() as uow:
        draw_type = create_prize_draw_type(
            uow,
            PrizeDrawType(internal_name="capped", algorithm_key=ALGORITHM, max_wins_per_user=cap),
            clock=world.clock,
        )
        uow.commit()
    return draw_type


def test_the_cap_limits_each_users_ranked_results(world: World) -> None:
    _user_on_a_line(world, "ana", 1)
    _user_on_a_line(world, "ben", 2)
    draw_type = _capped_type(world, 1)
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, "final-42", clock=world.clock)
        capped = run_bingo_prize_draw(uow, draw_type, winning_number=number, clock=world.clock)
        lifted = run_bingo_prize_draw(
            uow, draw_type, winning_number=number, clock=world.clock, max_wins_per_user=None
        )
        two = run_bingo_prize_draw(
            uow, draw_type, winning_number=number, clock=world.clock, max_wins_per_user=2
        )
        top_capped = select_top_prize_draw_results(
            uow, draw_type, number, limit=3, clock=world.clock
        )
        top_lifted = select_top_prize_draw_results(
            uow, draw_type, number, limit=3, clock=world.clock, max_wins_per_user=None
        )
        uow.commit()
    assert len(lifted) == 6
    assert len(capped) == 2
    assert len({r.user_id for r in capped}) == 2
    assert [r.id for r in capped] == [
        r.id for r in lifted if r.id == next(x.id for x in lifted if x.user_id == r.user_id)
    ]
    assert len(two) == 4
    assert [r.id for r in top_capped] == [r.id for r in capped]
    assert [r.id for r in top_lifted] == [r.id for r in lifted[:3]]


def test_the_cap_applies_to_attendance_and_sealed_draws(world: World) -> None:
    attendance = world.d(ATTENDANCE)
    with world.factory() as uow:
        for n, name in enumerate(("ana", "ben")):
            user = register(uow, world, name)
            for k in range(3):
                issue(uow, world, user, ATTENDANCE, origin=f"att-{name}-{k}", seed=10 * n + k)
        uow.commit()
    draw_type = _capped_type(world, 1)
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, "final-42", clock=world.clock)
        ranked = run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=attendance.id,
            winning_number=number,
            clock=world.clock,
        )
        uow.commit()
    assert len(ranked) == 2
    assert len({r.user_id for r in ranked}) == 2
    beacon = _beacon(world.clock)
    sealed = _seal(world, draw_type, beacon, attendance_definition_id=attendance.id)
    world.clock.set(sealed.beacon_round_at)
    assert len(_run(world, sealed, beacon)) == 2
    assert len(_run(world, sealed, beacon, max_wins_per_user=3)) == 6


def test_draws_refuse_a_bad_cap_override(world: World) -> None:
    _user_on_a_line(world, "ana", 1)
    draw_type = _capped_type(world, None)
    with world.factory() as uow:
        number = submit_winning_number(uow, draw_type, "final-42", clock=world.clock)
        uow.commit()
    before = snapshot(world.factory)
    for bad in (0, False, "2"):
        with world.factory() as uow, pytest.raises(ValidationError, match="max_wins_per_user"):
            run_bingo_prize_draw(
                uow,
                draw_type,
                winning_number=number,
                clock=world.clock,
                max_wins_per_user=bad,
            )
        with world.factory() as uow, pytest.raises(ValidationError, match="max_wins_per_user"):
            select_top_prize_draw_results(
                uow,
                draw_type,
                number,
                limit=1,
                clock=world.clock,
                max_wins_per_user=bad,
            )
    assert snapshot(world.factory) == before


# --- sealed exports, verified offline ---------------------------------------------------------


def _sealed_export(
    world: World, draw_type: PrizeDrawType, beacon: FakeBeacon, **kwargs: Any
) -> dict[str, Any]:
    sealed = _seal(world, draw_type, beacon)
    world.clock.set(sealed.beacon_round_at + timedelta(seconds=1))
    _run(world, sealed, beacon)
    world.clock.advance(timedelta(minutes=1))
    with world.factory() as uow:
        return export_draw(uow, draw_type.internal_name, clock=world.clock, **kwargs)


def _trust(beacon: FakeBeacon) -> VerifyPolicy:
    return VerifyPolicy(public_key=beacon.info().public_key)


def test_a_sealed_export_verifies_offline_topic_by_topic(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    document = _sealed_export(world, draw_type, beacon)
    assert document["format"] == "nictbw.draw-export/3"
    block = document["sealed"]
    assert block["beacon"]["public_key"] == beacon.info().public_key
    assert block["snapshot_id"] == document["snapshot"]["id"]
    report = verify_document(copy.deepcopy(document), policy=_trust(beacon))
    assert report.problems == ()
    assert report.sealed
    assert report.warnings == ()
    assert [f.topic for f in report.findings] == [*SEALED_TOPICS, *ARITHMETIC_TOPICS]
    assert all(f.ok for f in report.findings)
    assert report.snapshot_digest == document["snapshot"]["candidate_set_sha256"]


def test_a_sealed_export_of_an_unknown_beacon_fails_unless_its_key_is_trusted(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    document = _sealed_export(world, draw_type, beacon)
    report = verify_document(copy.deepcopy(document))
    assert {f.topic for f in report.findings if not f.ok} == {TOPIC_PUBLIC_KEY}
    other = VerifyPolicy(public_key=FakeBeacon(world.clock, seed=99).info().public_key)
    assert not verify_document(copy.deepcopy(document), policy=other).ok


def test_expect_snapshot_compares_the_published_digest(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    document = _sealed_export(world, draw_type, beacon)
    digest = document["snapshot"]["candidate_set_sha256"]
    trusted = VerifyPolicy(public_key=beacon.info().public_key, expect_snapshot=digest)
    assert verify_document(copy.deepcopy(document), policy=trusted).ok
    wrong = VerifyPolicy(public_key=beacon.info().public_key, expect_snapshot="0" * 64)
    report = verify_document(copy.deepcopy(document), policy=wrong)
    assert [f.topic for f in report.findings if not f.ok] == [TOPIC_CANDIDATES]


def test_a_round_too_close_to_the_snapshot_fails_the_margin(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    world, draw_type, beacon = bingo
    document = _sealed_export(world, draw_type, beacon)
    strict = VerifyPolicy(public_key=beacon.info().public_key, min_margin=timedelta(hours=1))
    report = verify_document(copy.deepcopy(document), policy=strict)
    assert [f.topic for f in report.findings if not f.ok] == [TOPIC_ROUND_TIME]


def _rescored(document: dict[str, Any], value: str) -> dict[str, Any]:
    """The export an operator would forge to pass ``value`` off as the winning number:
    every score, outcome, winner and digest recomputed for it."""
    forged = copy.deepcopy(document)
    algorithm = DEFAULT_SCORING_REGISTRY.get(forged["draw_type"]["algorithm_key"])
    normalized = normalize_winning_value(value)
    forged["winning_number"].update(value=value, normalized_value=normalized)
    for row in forged["candidates"]:
        scored = algorithm.evaluate(row["draw_number"], normalized)
        row.update(
            similarity=scored.score,
            draw_top_digits=scored.draw_top_digits,
            winning_top_digits=scored.winning_top_digits,
            outcome=outcome_for(scored.score, forged["threshold"]),
        )
    forged["winners"] = rank_candidates(
        forged["candidates"], forged["threshold"], forged["limit"], forged["max_wins_per_user"]
    )
    forged["candidate_rows_sha256"] = candidate_rows_digest(forged["candidates"])
    return forged


def test_grinding_a_sealed_draw_is_caught_by_verify(
    bingo: tuple[World, PrizeDrawType, FakeBeacon],
) -> None:
    """The attack of issue 11: try values until a chosen candidate wins. The sealed
    workflows take no value at all, and an export whose number was swapped for a chosen
    one (every score, winner and digest recomputed to match) fails on the derivation."""
    assert not [
        name
        for name in inspect.signature(run_sealed_prize_draw).parameters
        if "number" in name or "value" in name
    ]
    assert not [
        name
        for name in inspect.signature(seal_prize_draw).parameters
        if "number" in name or "value" in name
    ]
    world, draw_type, beacon = bingo
    document = _sealed_export(world, draw_type, beacon)
    policy = _trust(beacon)
    target = max(document["candidates"], key=lambda c: c["instance_id"])
    tries = 0
    forged = document
    for attempt in range(200):
        tries += 1
        forged = _rescored(document, f"try-{attempt}")
        if forged["winners"][0]["instance_id"] == target["instance_id"]:
            break
    assert forged["winners"][0]["instance_id"] == target["instance_id"], tries
    assert verify_document(copy.deepcopy(forged), policy=VerifyPolicy()).problems
    # the forged export is consistent in everything but the derivation of its number
    report = verify_document(copy.deepcopy(forged), policy=policy)
    assert [f.topic for f in report.findings if not f.ok] == [TOPIC_WINNING_VALUE]
    # the same forgery passes as an unsealed draw, with the warning that says so
    unsealed = dict(forged, sealed=None)
    plain = verify_document(copy.deepcopy(unsealed), policy=policy)
    assert plain.ok
    assert plain.warnings == (UNSEALED_WARNING,)


def test_an_export_carries_and_recomputes_the_cap(world: World) -> None:
    _user_on_a_line(world, "ana", 1)
    _user_on_a_line(world, "ben", 2)
    draw_type = _capped_type(world, 1)
    beacon = _beacon(world.clock)
    document = _sealed_export(world, draw_type, beacon)
    assert document["max_wins_per_user"] == 1
    users = [w["user"] for w in document["winners"]]
    assert len(users) == len(set(users)) == 2
    assert verify_document(copy.deepcopy(document), policy=_trust(beacon)).ok
    uncapped = dict(copy.deepcopy(document), max_wins_per_user=None)
    report = verify_document(uncapped, policy=_trust(beacon))
    assert [f.topic for f in report.findings if not f.ok] == [TOPIC_RANKING]
    with world.factory() as uow:
        lifted = export_draw(
            uow, draw_type.internal_name, clock=world.clock, max_wins_per_user=None
        )
    assert lifted["max_wins_per_user"] is None
    assert len(lifted["winners"]) == 6
    assert verify_document(lifted, policy=_trust(beacon)).ok
