"""The seeded event simulation (nictbw.app.simulation) on the in-memory adapter."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from nictbw.adapters.beacon import FakeBeacon
from nictbw.adapters.beacon.fake import fake_key_pair
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.simulation import (
    ATTENDANCE_DRAW,
    BINGO_DRAW,
    CATALOGUE,
    DatabaseNotEmptyError,
    SimulationSettings,
    event,
    run_simulation,
)
from nictbw.domain.entities import Admin
from nictbw.domain.errors import ValidationError
from nictbw.domain.sealing import sealed_winning_value
from nictbw.ports import UnitOfWork
from nictbw.workflows import register_admin

SMALL = SimulationSettings(users=40, days=3, seed=5)
PHASES = ("setup", "registration", "issuance", "sync", "bingo", "draws", "report", "total")

UowFactory = Callable[[], UnitOfWork]


def _memory() -> UowFactory:
    store = InMemoryStore()
    return lambda: InMemoryUnitOfWork(store)


def _without_timings(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "timings"}


@pytest.fixture(scope="module")
def run() -> tuple[dict[str, Any], UowFactory]:
    factory = _memory()
    return run_simulation(factory, SMALL), factory


def test_same_seed_gives_the_same_report(run: tuple[dict[str, Any], UowFactory]) -> None:
    report, _ = run
    again = run_simulation(_memory(), SMALL)
    assert _without_timings(again) == _without_timings(report)


def test_blocks_of_registration_issuance_and_sync_do_not_change_the_report(
    run: tuple[dict[str, Any], UowFactory], monkeypatch: pytest.MonkeyPatch
) -> None:
    report, _ = run
    monkeypatch.setattr(event, "REGISTRATION_BLOCK", 7)
    monkeypatch.setattr(event, "ISSUANCE_BLOCK", 11)
    monkeypatch.setattr(event, "SYNC_BLOCK", 2)
    blocked = run_simulation(_memory(), SMALL)
    assert _without_timings(blocked) == _without_timings(report)


def test_another_seed_gives_another_report(run: tuple[dict[str, Any], UowFactory]) -> None:
    report, _ = run
    other = run_simulation(_memory(), SimulationSettings(users=40, days=3, seed=6))
    assert _without_timings(other) != _without_timings(report)


def test_report_is_json_ready_with_timings_apart(run: tuple[dict[str, Any], UowFactory]) -> None:
    import json

    report, _ = run
    assert json.loads(json.dumps(report)) == report
    assert tuple(report["timings"]) == PHASES
    assert all(seconds >= 0 for seconds in report["timings"].values())


def test_timings_come_from_the_given_timer() -> None:
    ticks = itertools.count()
    report = run_simulation(
        _memory(), SimulationSettings(users=5, days=1), timer=lambda: float(next(ticks))
    )
    assert report["timings"]["total"] > 0
    assert all(float(s).is_integer() for s in report["timings"].values())


def test_report_counts_match_the_store(run: tuple[dict[str, Any], UowFactory]) -> None:
    report, factory = run
    with factory() as uow:
        users = uow.users.list()
        definitions = uow.definitions.list()
        instances = uow.instances.list()
        cards = uow.bingo_cards.list()
    counts = report["counts"]
    assert counts["users"] == len(users) == SMALL.users
    assert counts["definitions"] == len(definitions) == len(CATALOGUE) + 1
    assert counts["instances"] == len(instances)
    assert counts["cards"] == len(cards)
    assert counts["instances_succeeded"] + counts["instances_transferred"] == len(instances)
    assert sum(report["lines_per_card"].values()) == len(cards)


def test_every_badge_is_issued_day_by_day_or_created_by_sync(
    run: tuple[dict[str, Any], UowFactory],
) -> None:
    report, _ = run
    assert len(report["issued_per_day"]) == SMALL.days
    assert (
        sum(report["issued_per_day"]) + report["sync"]["created"] == (report["counts"]["instances"])
    )


def test_every_issued_badge_is_minted_on_the_chain(
    run: tuple[dict[str, Any], UowFactory],
) -> None:
    report, factory = run
    with factory() as uow:
        instances = uow.instances.list()
    assert all(instance.nft_origin is not None for instance in instances)
    assert report["counts"]["minted_on_chain"] == len({i.nft_origin for i in instances})


def test_wallet_users_are_synced_every_evening(run: tuple[dict[str, Any], UowFactory]) -> None:
    report, _ = run
    wallets = report["counts"]["wallet_users"]
    assert wallets == round(SMALL.users * SMALL.wallet_share)
    assert report["sync"]["runs"] == wallets * SMALL.days
    assert report["sync"]["updated"] > 0


def test_partner_nfts_are_created_by_sync_with_their_definition(
    run: tuple[dict[str, Any], UowFactory],
) -> None:
    report, factory = run
    assert report["sync"]["definitions_created"] == ["PARTNER-CAFE"]
    with factory() as uow:
        partner = uow.definitions.get_by_prefix("PARTNER-CAFE")
        assert partner is not None
        assert partner.created_by_admin_id is None


def test_swapped_nfts_end_transferred(run: tuple[dict[str, Any], UowFactory]) -> None:
    report, _ = run
    assert report["counts"]["instances_transferred"] == report["sync"]["transferred"] > 0


def test_the_catalogue_has_enough_bingo_candidates(run: tuple[dict[str, Any], UowFactory]) -> None:
    _, factory = run
    with factory() as uow:
        definitions = uow.definitions.list()
    assert sum(1 for d in definitions if d.is_bingo_candidate) >= 8
    assert sum(1 for d in definitions if d.triggers_bingo_card) >= 2


def test_draw_winners_are_winning_results_ranked_within_the_limit(
    run: tuple[dict[str, Any], UowFactory],
) -> None:
    report, _ = run
    for name, limit in ((BINGO_DRAW, SMALL.bingo_limit), (ATTENDANCE_DRAW, SMALL.attendance_limit)):
        draw = report["draws"][name]
        winners = draw["winners"]
        scores = [w["similarity"] for w in winners]
        assert winners, name
        assert len(winners) <= limit
        assert scores == sorted(scores, reverse=True)
        assert all(w["outcome"] == "win" and w["similarity"] >= draw["threshold"] for w in winners)
        assert [w["rank"] for w in winners] == list(range(1, len(winners) + 1))


def test_attendance_winners_hold_the_final_day_badge(
    run: tuple[dict[str, Any], UowFactory],
) -> None:
    report, _ = run
    winners = report["draws"][ATTENDANCE_DRAW]["winners"]
    assert all(w["unique_id"].startswith("FINAL-DAY-") for w in winners)


def test_draws_are_sealed_on_a_beacon_round_after_their_snapshot(
    run: tuple[dict[str, Any], UowFactory],
) -> None:
    report, factory = run
    with factory() as uow:
        snapshots = {
            t.internal_name: uow.draw_snapshots.list_for_draw_type(t.id or 0)
            for t in uow.draw_types.list()
        }
    for name in (BINGO_DRAW, ATTENDANCE_DRAW):
        draw = report["draws"][name]
        beacon = draw["beacon"]
        (taken,) = snapshots[name]
        assert taken.is_sealed
        assert taken.beacon_round == beacon["round"]
        assert taken.created_at is not None
        assert taken.beacon_round_at is not None
        assert taken.beacon_round_at > taken.created_at
        assert beacon["public_key"] == fake_key_pair(SMALL.seed)[1]
        # the number is no choice of the simulation: it is the round's derivation
        randomness = FakeBeacon(
            FixedClock(taken.beacon_round_at),
            seed=SMALL.seed,
            genesis_time=int(taken.created_at.timestamp()),
        ).get(beacon["round"])
        assert draw["winning_number"] == sealed_winning_value(
            beacon["chain_hash"], beacon["round"], randomness.randomness, taken.candidates_sha256
        )
    assert (
        report["draws"][BINGO_DRAW]["winning_number"]
        != (report["draws"][ATTENDANCE_DRAW]["winning_number"])
    )


def test_winning_numbers_stay_in_effect_after_the_event(
    run: tuple[dict[str, Any], UowFactory],
) -> None:
    _, factory = run
    later = datetime(2030, 1, 1, tzinfo=UTC)
    with factory() as uow:
        for draw_type in uow.draw_types.list():
            assert draw_type.id is not None
            assert uow.winning_numbers.latest_in_effect(draw_type.id, later) is not None


def test_progress_hears_every_phase_and_day() -> None:
    events: list[str] = []

    class Recorder:
        def start_phase(self, name: str, total: int) -> None:
            events.append(f"start {name}")

        def advance(self, amount: int = 1) -> None:
            events.append("step")

        def end_phase(self) -> None:
            events.append("end")

    run_simulation(_memory(), SimulationSettings(users=8, days=2), progress=Recorder())
    started = [e.removeprefix("start ") for e in events if e.startswith("start")]
    assert started == [
        "setup",
        "registration",
        "day 1",
        "sync 1",
        "day 2",
        "sync 2",
        "bingo cards",
        "draws",
    ]
    assert events.count("end") == len(started)


def test_a_simulation_refuses_a_database_that_holds_data() -> None:
    factory = _memory()
    with factory() as uow:
        register_admin(uow, Admin(email="x@example.org", password_hash="x"))
        uow.commit()
    with pytest.raises(DatabaseNotEmptyError, match=r"already holds nictbw data \(1 admins\)"):
        run_simulation(factory, SimulationSettings(users=3, days=1))
    with factory() as uow:
        assert uow.users.list() == []


def test_a_second_simulation_on_the_same_store_is_refused(
    run: tuple[dict[str, Any], UowFactory],
) -> None:
    _, factory = run
    with pytest.raises(DatabaseNotEmptyError):
        run_simulation(factory, SMALL)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"users": 0}, "users must be an int in"),
        ({"days": 0}, "days must be an int in"),
        ({"days": 61}, "days must be an int in"),
        ({"users": True}, "users must be an int in"),
        ({"wallet_share": 1.5}, "wallet_share"),
        ({"bingo_limit": 0}, "bingo_limit"),
        ({"start": datetime(2025, 1, 1)}, "start must be timezone-aware"),
    ],
)
def test_settings_out_of_range_are_refused(changes: dict[str, Any], message: str) -> None:
    settings = SimulationSettings(**changes)
    with pytest.raises(ValidationError, match=message):
        run_simulation(_memory(), settings)


def test_a_single_user_single_day_event_runs() -> None:
    report = run_simulation(_memory(), SimulationSettings(users=1, days=1, seed=1))
    assert report["counts"]["users"] == 1
    assert report["sync"]["runs"] == 0
