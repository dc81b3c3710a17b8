"""Idempotency keys on every backend (memory, SQLite, PostgreSQL).

A keyed call stores its key with its effect; a repeat with the same arguments returns
the original result and writes nothing; other arguments are a ``ConflictError`` naming
the key. ``purge_idempotency_keys`` forgets keys older than a retention.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from nictbw.domain.entities import User
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.idempotency import MAX_IDEMPOTENCY_KEY_LENGTH
from nictbw.workflows import (
    Grant,
    create_and_issue_instance,
    issue_instances,
    pending_events,
    purge_idempotency_keys,
    register_user,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    submit_winning_number,
)
from tests.contract.helpers import (
    ATTENDANCE,
    LIMITED,
    TRIGGER,
    UowFactory,
    World,
    add_draw_type,
    add_users,
    build_world,
    complete_line,
    snapshot,
    user_with_card,
)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


@pytest.fixture
def alice(world: World) -> User:
    return add_users(world, "alice")[0]


def _state(world: World) -> tuple[Any, ...]:
    with world.factory() as uow:
        events = pending_events(uow, limit=10_000)
    return snapshot(world.factory), [e.id for e in events]


def _issue(world: World, user: User, prefix: str, key: str | None, **more: Any) -> Any:
    with world.factory() as uow:
        instance = create_and_issue_instance(
            uow,
            user,
            world.d(prefix),
            rng=random.Random(1),
            clock=world.clock,
            idempotency_key=key,
            **more,
        )
        uow.commit()
    return instance


def test_a_repeated_issue_returns_the_first_instance_and_writes_nothing(
    world: World, alice: User
) -> None:
    first = _issue(world, alice, TRIGGER, "req-1", nft_origin="o-1")
    before = _state(world)
    again = _issue(world, alice, TRIGGER, "req-1", nft_origin="o-1")
    assert again == first
    assert _state(world) == before
    with world.factory() as uow:
        assert uow.definitions.get(world.d(TRIGGER).id).minted_count == 1  # type: ignore[arg-type,union-attr]


def test_an_issue_without_key_issues_again(world: World, alice: User) -> None:
    first = _issue(world, alice, "C01", None)
    second = _issue(world, alice, "C01", None)
    assert first.id != second.id


def test_a_key_reused_with_other_arguments_is_a_conflict_naming_it(
    world: World, alice: User
) -> None:
    _issue(world, alice, "C01", "req-2")
    before = _state(world)
    with pytest.raises(ConflictError, match="req-2"):
        _issue(world, alice, "C02", "req-2")
    with pytest.raises(ConflictError, match="req-2"):
        _issue(world, alice, "C01", "req-2", nft_origin="other")
    assert _state(world) == before


def test_keys_are_per_workflow(world: World, alice: User) -> None:
    _issue(world, alice, "C01", "shared")
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        number = submit_winning_number(
            uow, draw_type, "abc", clock=world.clock, idempotency_key="shared"
        )
        uow.commit()
    assert number.id is not None


def test_a_rolled_back_call_leaves_its_key_free(world: World, alice: User) -> None:
    with world.factory() as uow:
        create_and_issue_instance(
            uow, alice, world.d("C01"), clock=world.clock, idempotency_key="req-3"
        )
        uow.rollback()
    again = _issue(world, alice, "C02", "req-3")
    assert again.definition_id == world.d("C02").id


def test_a_failed_keyed_call_changes_nothing_and_keeps_no_key(world: World, alice: User) -> None:
    _issue(world, alice, LIMITED, None)
    _issue(world, alice, LIMITED, None)
    before = _state(world)
    with pytest.raises(ConflictError, match="supply"):
        _issue(world, alice, LIMITED, "req-4")
    assert _state(world) == before
    assert _issue(world, alice, "C01", "req-4").id is not None


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("", "blank"),
        ("   ", "blank"),
        ("k" * (MAX_IDEMPOTENCY_KEY_LENGTH + 1), "longer than 200"),
        ("bad\x00key", "NUL"),
        ("tab\tkey", "control"),
        (12, "must be a string"),
    ],
)
def test_bad_keys_are_refused_before_anything_is_written(
    world: World, alice: User, key: Any, match: str
) -> None:
    before = _state(world)
    with pytest.raises(ValidationError, match=match):
        _issue(world, alice, "C01", key)
    with world.factory() as uow, pytest.raises(ValidationError, match=match):
        issue_instances(uow, [Grant(alice, world.d("C01"), idempotency_key=key)])
    assert _state(world) == before


def test_the_longest_key_is_accepted(world: World, alice: User) -> None:
    key = "k" * MAX_IDEMPOTENCY_KEY_LENGTH
    first = _issue(world, alice, "C01", key)
    assert _issue(world, alice, "C01", key) == first


# ---------------------------------------------------------------------------- bulk grants


def _grants(world: World, users: list[User], keys: list[str | None], prefix: str = "C01") -> Any:
    with world.factory() as uow:
        out = issue_instances(
            uow,
            [
                Grant(user, world.d(prefix), idempotency_key=key)
                for user, key in zip(users, keys, strict=True)
            ],
            rng=random.Random(5),
            clock=world.clock,
        )
        uow.commit()
    return out


def test_repeated_grants_replay_and_new_ones_issue(world: World) -> None:
    alice, bob, carol = add_users(world, "alice", "bob", "carol")
    first = _grants(world, [alice, bob], ["g-a", "g-b"])
    before = _state(world)
    assert _grants(world, [alice, bob], ["g-a", "g-b"]) == first
    assert _state(world) == before
    mixed = _grants(world, [bob, carol, alice], ["g-b", "g-c", None])
    assert mixed[0] == first[1]
    assert mixed[1].user_id == carol.id
    assert mixed[2].user_id == alice.id
    assert mixed[2].id not in {i.id for i in first}


def test_a_key_given_twice_in_one_batch_issues_once(world: World, alice: User) -> None:
    out = _grants(world, [alice, alice], ["dup", "dup"])
    assert out[0] == out[1]
    with world.factory() as uow:
        assert len(uow.instances.list_for_user(alice.id)) == 1  # type: ignore[arg-type]


def test_a_key_given_twice_in_one_batch_with_other_arguments_is_refused(
    world: World, alice: User
) -> None:
    before = _state(world)
    with world.factory() as uow, pytest.raises(ConflictError, match="dup"):
        issue_instances(
            uow,
            [
                Grant(alice, world.d("C01"), idempotency_key="dup"),
                Grant(alice, world.d("C02"), idempotency_key="dup"),
            ],
            clock=world.clock,
        )
    assert _state(world) == before


def test_a_grant_replays_a_single_issue_with_the_same_key(world: World, alice: User) -> None:
    single = _issue(world, alice, "C01", "same")
    (granted,) = _grants(world, [alice], ["same"])
    assert granted == single


def test_a_conflicting_grant_refuses_the_whole_batch(world: World) -> None:
    alice, bob = add_users(world, "alice", "bob")
    _grants(world, [alice], ["taken"])
    before = _state(world)
    with pytest.raises(ConflictError, match="taken"):
        _grants(world, [bob, bob], [None, "taken"])
    assert _state(world) == before


# ------------------------------------------------------------------ other keyed workflows


def _register(world: World, key: str | None, nickname: str = "Dana") -> User:
    with world.factory() as uow:
        user = register_user(
            uow,
            User(in_app_id="dana", nickname=nickname),
            password="secret",
            email="dana@city.example",
            chain=world.chain,
            clock=world.clock,
            idempotency_key=key,
        )
        uow.commit()
    return user


def test_a_repeated_registration_returns_the_user_without_calling_the_chain(
    world: World,
) -> None:
    first = _register(world, "signup-1")
    calls = world.chain.calls
    before = _state(world)
    again = _register(world, "signup-1")
    assert again == first
    assert world.chain.calls == calls
    assert _state(world) == before
    with pytest.raises(ConflictError, match="signup-1"):
        _register(world, "signup-1", nickname="Other")


def test_a_repeated_winning_number_is_stored_once(world: World) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        uow.commit()

    def submit(value: str) -> Any:
        with world.factory() as uow:
            number = submit_winning_number(
                uow, draw_type, value, clock=world.clock, idempotency_key="wn"
            )
            uow.commit()
        return number

    first = submit("abc")
    assert submit("abc") == first
    with world.factory() as uow:
        assert len(uow.winning_numbers.list()) == 1
    with pytest.raises(ConflictError, match="'wn'"):
        submit("abd")


def test_a_repeated_draw_returns_the_first_outcome_and_writes_nothing(world: World) -> None:
    user, card = user_with_card(world, "alice", trigger_origin="o-alice")
    with world.factory() as uow:
        complete_line(uow, world, user, card, (3, 4, 5), origin_tag="a")
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "abc", clock=world.clock)
        uow.commit()

    def run(limit: int) -> Any:
        with world.factory() as uow:
            outcome = run_bingo_prize_draw(
                uow, draw_type, limit=limit, clock=world.clock, idempotency_key="draw-1"
            )
            uow.commit()
        return outcome

    first = run(2)
    before = _state(world)
    world.clock.advance(timedelta(minutes=5))
    again = run(2)
    assert list(again) == list(first)
    assert (again.eligible, again.evaluated, again.threshold) == (
        first.eligible,
        first.evaluated,
        first.threshold,
    )
    assert again.winning_number == first.winning_number
    assert _state(world) == before
    with pytest.raises(ConflictError, match="draw-1"):
        run(3)


def test_a_repeated_attendance_draw_replays(world: World, alice: User) -> None:
    _issue(world, alice, ATTENDANCE, None, nft_origin="att-1")
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "abc", clock=world.clock)
        uow.commit()

    def run() -> Any:
        with world.factory() as uow:
            outcome = run_final_attendance_prize_draw(
                uow,
                draw_type,
                attendance_definition_id=world.d(ATTENDANCE).id,
                clock=world.clock,
                idempotency_key="att",
            )
            uow.commit()
        return outcome

    first = run()
    before = _state(world)
    assert list(run()) == list(first)
    assert len(first) == 1
    assert _state(world) == before


# ------------------------------------------------------------------------------- purge


def test_purge_forgets_old_keys_only(world: World, alice: User) -> None:
    _issue(world, alice, "C01", "old")
    world.clock.advance(timedelta(days=2))
    _issue(world, alice, "C02", "new")
    with world.factory() as uow:
        purged = purge_idempotency_keys(uow, world.clock.now() - timedelta(days=1))
        uow.commit()
    assert purged == 1
    with world.factory() as uow:
        assert uow.idempotency_keys.get("issue_instance", "old") is None
        assert uow.idempotency_keys.get("issue_instance", "new") is not None
    again = _issue(world, alice, "C01", "old")
    assert again.serial_number == 1  # a new call: the key was forgotten


def test_purge_refuses_a_naive_or_missing_time(world: World) -> None:
    with world.factory() as uow:
        with pytest.raises(ValidationError):
            purge_idempotency_keys(uow, None)  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            purge_idempotency_keys(uow, world.clock.now().replace(tzinfo=None))


def test_claim_many_returns_the_stored_records_only(world: World) -> None:
    from nictbw.domain.idempotency import IdempotencyRecord

    now = world.clock.now()

    def record(key: str, fp: str = "f") -> IdempotencyRecord:
        return IdempotencyRecord(workflow="w", key=key, fingerprint=fp, created_at=now)

    with world.factory() as uow:
        assert uow.idempotency_keys.claim_many([record("a"), record("b")]) == {}
        uow.idempotency_keys.complete_many("w", {"a": {"x": 1}})
        uow.commit()
    with world.factory() as uow:
        found = uow.idempotency_keys.claim_many([record("a", "g"), record("c")])
        assert set(found) == {"a"}
        assert found["a"].fingerprint == "f"
        assert found["a"].result == {"x": 1}
        assert uow.idempotency_keys.get("w", "c") is not None
        assert uow.idempotency_keys.get("w", "b") is not None
        assert uow.idempotency_keys.get("w", "b").result is None  # type: ignore[union-attr]
        assert uow.idempotency_keys.get("other", "a") is None
