"""Domain events and the outbox on every backend (memory, SQLite, PostgreSQL).

Workflows append their events in the transaction of their change; the outbox hands
pending events out in id order until they are marked delivered (at least once).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from nictbw.adapters.beacon import FakeBeacon
from nictbw.domain.entities import CENTER_IDX, User
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.events import MAX_EVENT_PAYLOAD_CHARS, DomainEvent, EventType
from nictbw.workflows import (
    issue_instances,
    mark_events_delivered,
    pending_events,
    record_event,
    run_bingo_prize_draw,
    seal_prize_draw,
    submit_winning_number,
    sync_nft_instances_from_chain,
    update_user_bingo_info,
)
from tests.contract.helpers import (
    LIMITED,
    TIMED_TRIGGER,
    TRIGGER,
    UowFactory,
    World,
    add_draw_type,
    add_users,
    build_world,
    card_centred_on,
    complete_line,
    issue,
    register,
    user_with_card,
)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _pending(world: World, *, after_id: int | None = None, limit: int = 1000) -> list[DomainEvent]:
    with world.factory() as uow:
        return pending_events(uow, after_id=after_id, limit=limit)


def _types(events: list[DomainEvent]) -> list[str]:
    return [str(e.type) for e in events]


def _drain(world: World) -> None:
    with world.factory() as uow:
        mark_events_delivered(
            uow, [e.id for e in pending_events(uow, limit=10_000)], clock=world.clock
        )
        uow.commit()


def test_a_new_world_has_no_events(world: World) -> None:
    assert _pending(world) == []


def test_issuing_a_trigger_badge_records_the_issue_and_the_card(world: World) -> None:
    (alice,) = add_users(world, "alice")
    with world.factory() as uow:
        instance = issue(uow, world, alice, TRIGGER)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        uow.commit()
    events = _pending(world)
    assert _types(events) == ["BadgeIssued", "CardCreated"]
    issued, created = events
    assert all(e.user_id == alice.id for e in events)
    assert all(e.occurred_at == world.clock.now() for e in events)
    assert issued.payload == {
        "instance_id": instance.id,
        "definition_id": world.d(TRIGGER).id,
        "serial_number": 0,
        "unique_instance_id": instance.unique_instance_id,
    }
    assert created.payload == {
        "card_id": card.id,
        "center_definition_id": world.d(TRIGGER).id,
        "expiry": None,
        "unlocked": [CENTER_IDX],
    }
    ids = [e.id for e in events]
    assert ids == sorted(ids)
    assert len(set(ids)) == 2


def test_a_card_laid_out_over_held_badges_lists_them_as_unlocked(world: World) -> None:
    (alice,) = add_users(world, "alice")
    with world.factory() as uow:
        for n, prefix in enumerate(("C01", "C02", "C03")):
            issue(uow, world, alice, prefix, seed=n)
        uow.commit()
    _drain(world)
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        uow.commit()
    events = _pending(world)
    created = next(e for e in events if e.type == EventType.CARD_CREATED)
    held = sorted(c.idx for c in card.cells if c.is_unlocked)
    assert created.payload["unlocked"] == held
    assert len(held) > 1  # the centre and the held candidates on the card
    assert EventType.CELL_UNLOCKED not in {e.type for e in events}


def test_completing_a_line_records_its_cells_and_the_line(world: World) -> None:
    alice, card = user_with_card(world, "alice")
    _drain(world)
    line = (3, 4, 5)
    with world.factory() as uow:
        complete_line(uow, world, alice, card, line, origin_tag="a")
        uow.commit()
    events = _pending(world)
    lines = [e for e in events if e.type == EventType.LINE_COMPLETED]
    assert len(lines) == 1
    assert lines[0].payload == {"card_id": card.id, "line": [3, 4, 5], "card_completed": False}
    assert lines[0].user_id == alice.id
    cells = sorted(e.payload["idx"] for e in events if e.type == EventType.CELL_UNLOCKED)
    assert cells == [3, 5]
    assert _types(events).count("BadgeIssued") == 2


def test_an_expired_card_is_recorded_when_noticed(world: World) -> None:
    (alice,) = add_users(world, "alice")
    with world.factory() as uow:
        issue(uow, world, alice, TIMED_TRIGGER)
        card = card_centred_on(uow, alice, world.d(TIMED_TRIGGER))
        uow.commit()
    _drain(world)
    world.clock.advance(timedelta(hours=2))
    with world.factory() as uow:
        update_user_bingo_info(uow, alice, rng=random.Random(1), clock=world.clock)
        uow.commit()
    events = _pending(world)
    assert _types(events) == ["CardExpired"]
    assert events[0].payload["card_id"] == card.id
    assert events[0].user_id == alice.id


def test_update_user_bingo_info_records_nothing_when_up_to_date(world: World) -> None:
    user_with_card(world, "alice")
    _drain(world)
    with world.factory() as uow:
        alice = uow.users.list()[0]
        assert update_user_bingo_info(uow, alice, clock=world.clock) == (0, 0)
        uow.commit()
    assert _pending(world) == []


def test_a_rolled_back_workflow_leaves_no_event(world: World) -> None:
    (alice,) = add_users(world, "alice")
    _drain(world)
    with world.factory() as uow:
        issue(uow, world, alice, TRIGGER)
        assert len(pending_events(uow)) == 2  # visible inside the transaction
        uow.rollback()
        assert pending_events(uow) == []
    assert _pending(world) == []


def test_a_failed_workflow_leaves_no_event(world: World) -> None:
    (alice,) = add_users(world, "alice")
    _drain(world)
    grants = [(alice, world.d(LIMITED), None)] * 3  # supply 2
    with world.factory() as uow:
        with pytest.raises(ConflictError, match="supply"):
            issue_instances(uow, grants, rng=random.Random(0), clock=world.clock)
        uow.commit()
    assert _pending(world) == []


def test_bulk_issue_records_one_issue_event_per_instance_in_grant_order(world: World) -> None:
    users = add_users(world, "alice", "bob", "carol")
    _drain(world)
    with world.factory() as uow:
        instances = issue_instances(
            uow, [(u, world.d("C01"), None) for u in users], rng=random.Random(3), clock=world.clock
        )
        uow.commit()
    events = _pending(world)
    assert _types(events) == ["BadgeIssued"] * 3
    assert [e.payload["instance_id"] for e in events] == [i.id for i in instances]
    assert [e.user_id for e in events] == [u.id for u in users]


def test_pending_pages_in_id_order_and_delivered_events_are_not_seen_again(world: World) -> None:
    (alice,) = add_users(world, "alice")
    with world.factory() as uow:
        for n in range(5):
            record_event(uow, "BadgeRevoked", user_id=alice.id, payload={"n": n}, clock=world.clock)
        uow.commit()
    first = _pending(world, limit=2)
    assert [e.payload["n"] for e in first] == [0, 1]
    rest = _pending(world, after_id=first[-1].id, limit=10)
    assert [e.payload["n"] for e in rest] == [2, 3, 4]
    with world.factory() as uow:
        assert mark_events_delivered(uow, [e.id for e in first], clock=world.clock) == 2
        assert mark_events_delivered(uow, [e.id for e in first], clock=world.clock) == 0
        uow.commit()
    assert [e.payload["n"] for e in _pending(world)] == [2, 3, 4]


def test_unmarked_events_are_delivered_again(world: World) -> None:
    with world.factory() as uow:
        record_event(
            uow, EventType.DEFINITION_CHANGED, payload={"definition_id": 1}, clock=world.clock
        )
        uow.commit()
    with world.factory() as uow:
        seen = pending_events(uow)
        mark_events_delivered(uow, [e.id for e in seen], clock=world.clock)
        # the consumer crashes before committing
    again = _pending(world)
    assert [e.id for e in again] == [e.id for e in seen]
    assert again[0].delivered_at is None


def test_marking_delivered_stamps_the_time(world: World) -> None:
    with world.factory() as uow:
        event = record_event(uow, "DrawRun", payload={"x": 1}, clock=world.clock)
        assert event.id is not None
        mark_events_delivered(uow, [event.id], clock=world.clock)
        uow.commit()
    assert _pending(world) == []


def test_ids_increase_across_transactions(world: World) -> None:
    ids = []
    for n in range(3):
        with world.factory() as uow:
            ids.append(record_event(uow, "DrawRun", payload={"n": n}, clock=world.clock).id)
            uow.commit()
    assert ids == sorted(ids)
    assert len(set(ids)) == 3


@pytest.mark.parametrize(
    ("kind", "payload", "match"),
    [
        ("Nope", {}, "'Nope'"),
        (7, {}, "7"),
        ("DrawRun", ["x"], "JSON object"),
        ("DrawRun", {"password": "x"}, "'password'"),
        ("DrawRun", {"user": {"fcm_token": "x"}}, "'fcm_token'"),
        ("DrawRun", {"x": "y" * MAX_EVENT_PAYLOAD_CHARS}, "characters"),
        ("DrawRun", {"x": float("nan")}, "plain JSON"),
        ("DrawRun", {"x": object()}, "plain JSON"),
    ],
)
def test_record_event_refuses_bad_events_and_changes_nothing(
    world: World, kind: Any, payload: Any, match: str
) -> None:
    with world.factory() as uow:
        with pytest.raises(ValidationError, match=match):
            record_event(uow, kind, payload=payload, clock=world.clock)
        assert pending_events(uow) == []


def test_record_event_refuses_a_bad_user_id(world: World) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match="user_id"):
        record_event(uow, "DrawRun", user_id=2**40, payload={}, clock=world.clock)


@pytest.mark.parametrize(("after_id", "limit"), [(None, 0), (None, True), ("1", 10), (2**40, 1)])
def test_pending_refuses_bad_pages(world: World, after_id: Any, limit: Any) -> None:
    with world.factory() as uow, pytest.raises(ValidationError):
        pending_events(uow, after_id=after_id, limit=limit)


def _line_winners(world: World, names: list[str]) -> list[User]:
    users = []
    for n, name in enumerate(names):
        user, card = user_with_card(world, name, trigger_origin=f"origin-{name}", seed=n)
        with world.factory() as uow:
            complete_line(uow, world, user, card, (3, 4, 5), origin_tag=name, seed=10 * n)
            uow.commit()
        users.append(user)
    return users


def test_a_bingo_draw_records_the_run_and_each_ranked_winner(world: World) -> None:
    users = _line_winners(world, ["alice", "bob"])
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "abc", clock=world.clock)
        uow.commit()
    _drain(world)
    with world.factory() as uow:
        outcome = run_bingo_prize_draw(uow, draw_type, limit=10, clock=world.clock)
        uow.commit()
    events = _pending(world)
    assert _types(events) == ["DrawRun"] + ["PrizeWon"] * len(outcome)
    run = events[0].payload
    assert run["draw_type_id"] == draw_type.id
    assert run["winners"] == len(outcome) == run["evaluated"] == 6  # no threshold: all ranked
    assert run["evaluated"] == outcome.evaluated
    won = events[1:]
    assert [e.payload["result_id"] for e in won] == [r.id for r in outcome]
    assert [e.payload["rank"] for e in won] == list(range(1, 7))
    assert {e.user_id for e in won} == {u.id for u in users}


def test_sealing_a_draw_records_the_commitment(world: World) -> None:
    _line_winners(world, ["alice"])
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        uow.commit()
    _drain(world)
    beacon = FakeBeacon(clock=world.clock)
    with world.factory() as uow:
        snapshot = seal_prize_draw(uow, draw_type, beacon=beacon, clock=world.clock)
        uow.commit()
    (event,) = _pending(world)
    assert event.type == EventType.DRAW_SEALED
    assert event.payload["snapshot_id"] == snapshot.id
    assert event.payload["candidates_sha256"] == snapshot.candidates_sha256
    assert event.payload["beacon_round"] == snapshot.beacon_round


def test_a_sync_transfer_records_the_previous_holders_loss(world: World) -> None:
    alice, bob = add_users(world, "alice", "bob")
    answer = world.chain.mint(
        app="nictbw",
        name="Badge C01",
        additional_info={"prefix": "C01"},
        recipient_paymail=alice.paymail,
    )
    origin = answer["nft_information"]["nft_origin"]
    with world.factory() as uow:
        sync_nft_instances_from_chain(uow, alice, chain=world.chain, clock=world.clock)
        uow.commit()
    _drain(world)
    world.chain.transfer(origin, "bob")
    with world.factory() as uow:
        sync_nft_instances_from_chain(uow, bob, chain=world.chain, clock=world.clock)
        uow.commit()
    events = _pending(world)
    assert sorted(_types(events)) == ["BadgeIssued", "BadgeTransferred"]
    moved = next(e for e in events if e.type == EventType.BADGE_TRANSFERRED)
    assert moved.user_id == alice.id
    assert moved.payload["to_user_id"] == bob.id


def test_events_never_carry_secrets(world: World) -> None:
    with world.factory() as uow:
        alice = register(uow, world, "alice")
        issue(uow, world, alice, TRIGGER)
        uow.commit()
    text = repr([e.payload for e in _pending(world)])
    for secret in ("secret", "password", "token"):
        assert secret not in text


def test_revoking_a_badge_records_it_for_its_holder(world: World) -> None:
    from nictbw.workflows import revoke_instance

    (alice,) = add_users(world, "alice")
    with world.factory() as uow:
        instance = issue(uow, world, alice, "C01")
        uow.commit()
    _drain(world)
    with world.factory() as uow:
        revoke_instance(uow, instance, admin=world.admin, reason="fraud", clock=world.clock)
        uow.commit()
    revoked = [e for e in _pending(world) if e.type == EventType.BADGE_REVOKED]
    assert len(revoked) == 1
    assert revoked[0].user_id == alice.id
    assert revoked[0].payload["instance_id"] == instance.id
