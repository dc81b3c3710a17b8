"""Draw exports read page by page from storage, on every backend."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from nictbw.adapters.beacon import FakeBeacon
from nictbw.app.workflows import exports
from nictbw.domain.entities import PrizeDrawSnapshot, PrizeDrawType
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.export import VerifyPolicy, verify_document
from nictbw.workflows import (
    export_draw,
    run_final_attendance_prize_draw,
    run_prize_draw_batch,
    run_sealed_prize_draw,
    seal_prize_draw,
    submit_winning_number,
    write_draw_export,
)
from tests.contract.helpers import (
    ATTENDANCE,
    UowFactory,
    World,
    add_draw_type,
    build_world,
    issue,
    register,
)

USERS = 7


@pytest.fixture
def drawn(uow_factory: UowFactory) -> tuple[World, PrizeDrawType, int]:
    """Seven attendance badges drawn once (threshold 0.3)."""
    world = build_world(uow_factory)
    with world.factory() as uow:
        for position in range(USERS):
            user = register(uow, world, f"user{position}")
            issue(uow, world, user, ATTENDANCE, origin=f"origin-{position}", seed=position)
        draw_type = add_draw_type(uow, world, "final", threshold=0.3)
        number = submit_winning_number(uow, draw_type, "Lucky-7", clock=world.clock)
        run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=world.d(ATTENDANCE).id,
            winning_number=number,
            clock=world.clock,
        )
        uow.commit()
    assert number.id is not None
    return world, draw_type, number.id


def test_pages_cover_the_draw_in_instance_order(
    drawn: tuple[World, PrizeDrawType, int],
) -> None:
    world, draw_type, number_id = drawn
    assert draw_type.id is not None
    with world.factory() as uow:
        stored = uow.draw_results.list_for_draw_type(draw_type.id, number_id)
        pages = []
        after = None
        while page := uow.draw_results.page_for_draw(draw_type.id, number_id, after=after, size=3):
            pages.append(page)
            after = (page[-1].nft_instance_id, page[-1].id)
        other = uow.draw_results.page_for_draw(draw_type.id, number_id + 99, after=None, size=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    flat = [r for p in pages for r in p]
    assert flat == sorted(stored, key=lambda r: (r.nft_instance_id, r.id))
    assert other == []


def test_an_export_read_in_small_pages_is_the_same_and_verifies(
    drawn: tuple[World, PrizeDrawType, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, _draw_type, number_id = drawn
    with world.factory() as uow:
        whole = export_draw(uow, "final", winning_number_id=number_id, clock=world.clock)
    monkeypatch.setattr(exports, "PAGE_SIZE", 2)
    seen: list[tuple[int, int | None]] = []
    with world.factory() as uow:
        buffer = io.StringIO()
        totals = write_draw_export(
            uow,
            "final",
            buffer,
            winning_number_id=number_id,
            clock=world.clock,
            progress=lambda done, total: seen.append((done, total)),
        )
    paged = json.loads(buffer.getvalue())
    assert paged == whole
    assert totals.candidate_count == USERS == len(paged["candidates"])
    assert seen[-1] == (USERS, USERS)
    assert [c["instance_id"] for c in paged["candidates"]] == sorted(
        c["instance_id"] for c in paged["candidates"]
    )
    assert verify_document(paged).ok


def test_an_export_refused_writes_nothing(drawn: tuple[World, PrizeDrawType, int]) -> None:
    world, _draw_type, _number_id = drawn
    buffer = io.StringIO()
    with world.factory() as uow, pytest.raises(NotFoundError, match="does not exist"):
        write_draw_export(uow, "final", buffer, winning_number_id=12345, clock=world.clock)
    assert buffer.getvalue() == ""


def _sealed_attendance(
    uow_factory: UowFactory, threshold: float
) -> tuple[World, PrizeDrawType, FakeBeacon, PrizeDrawSnapshot]:
    """Three attendance badges and a draw type, sealed on a fake beacon (not yet run)."""
    world = build_world(uow_factory)
    with world.factory() as uow:
        for position in range(3):
            user = register(uow, world, f"early{position}")
            issue(uow, world, user, ATTENDANCE, origin=f"early-{position}", seed=position)
        draw_type = add_draw_type(uow, world, "final", threshold=threshold)
        uow.commit()
    genesis = int(world.clock.now().timestamp()) - 300
    beacon = FakeBeacon(world.clock, seed=4, period=30, genesis_time=genesis)
    with world.factory() as uow:
        sealed = seal_prize_draw(
            uow,
            draw_type,
            beacon=beacon,
            clock=world.clock,
            attendance_definition_id=world.d(ATTENDANCE).id,
        )
        uow.commit()
    return world, draw_type, beacon, sealed


def test_an_operators_draw_is_not_bound_to_a_sealed_snapshot(uow_factory: UowFactory) -> None:
    """A sealed snapshot fixes the candidates of its own sealed run only: a later draw on a
    submitted number, over other candidates, exports without it and verifies."""
    world, draw_type, _beacon, sealed = _sealed_attendance(uow_factory, 0.3)
    attendance = world.d(ATTENDANCE)
    world.clock.advance(timedelta(minutes=5))
    with world.factory() as uow:
        late = register(uow, world, "late")
        issue(uow, world, late, ATTENDANCE, origin="late-0", seed=9)
        number = submit_winning_number(uow, draw_type, "Lucky-7", clock=world.clock)
        run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=attendance.id,
            winning_number=number,
            clock=world.clock,
        )
        uow.commit()
    with world.factory() as uow:
        document = export_draw(uow, "final", winning_number_id=number.id, clock=world.clock)
    assert sealed.candidate_count == 3
    assert document["candidate_count"] == 4
    assert document["snapshot"] is None
    report = verify_document(document)
    assert report.ok, report.problems
    assert not report.sealed


def test_a_sealed_winning_number_is_refused_by_every_other_draw(uow_factory: UowFactory) -> None:
    """Only the sealed run evaluates a sealed number: a batch draw on it would add candidates
    outside the sealed set, so it is refused and changes nothing."""
    world, draw_type, beacon, sealed = _sealed_attendance(uow_factory, 0.3)
    attendance = world.d(ATTENDANCE)
    assert sealed.beacon_round_at is not None
    world.clock.set(sealed.beacon_round_at + timedelta(seconds=1))
    with world.factory() as uow:
        run_sealed_prize_draw(uow, sealed, beacon=beacon, clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        before = len(uow.draw_results.list())
        instances = uow.instances.list()
        with pytest.raises(ValidationError, match="derived for the sealed draw"):
            run_prize_draw_batch(uow, draw_type, instances=instances, clock=world.clock)
        with pytest.raises(ValidationError, match="derived for the sealed draw"):
            run_final_attendance_prize_draw(
                uow, draw_type, attendance_definition_id=attendance.id, clock=world.clock
            )
        assert len(uow.draw_results.list()) == before


def test_a_sealed_draw_keeps_a_candidate_transferred_after_sealing(
    uow_factory: UowFactory,
) -> None:
    """The sealed set is the draw: a badge that changes hands after sealing still competes
    for the user who held it, and the export verifies whole."""
    world, _draw_type, beacon, sealed = _sealed_attendance(uow_factory, 0.0)
    with world.factory() as uow:
        moved = uow.instances.list()[0]
        moved.status = "transferred"
        uow.instances.update(moved)
        uow.commit()
    assert sealed.beacon_round_at is not None
    world.clock.set(sealed.beacon_round_at + timedelta(seconds=1))
    with world.factory() as uow:
        outcome = run_sealed_prize_draw(uow, sealed, beacon=beacon, clock=world.clock)
        uow.commit()
    assert (outcome.eligible, outcome.ineligible) == (3, 0)
    with world.factory() as uow:
        document = export_draw(uow, "final", clock=world.clock)
    report = verify_document(document, policy=VerifyPolicy(public_key=beacon.info().public_key))
    assert report.ok, report.problems
    assert report.sealed
