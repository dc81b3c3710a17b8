"""Idempotency keys under concurrent writers (8 threads, one key): exactly one effect.

On PostgreSQL (READ COMMITTED) the key's claim is the lock: the racing calls wait for
the first transaction, then replay its result. SQLite's ``BEGIN IMMEDIATE`` makes the
writers take turns. Every worker must get the same answer, and the store must hold one
effect and its events once.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Final

import pytest

from nictbw.domain.entities import NFTInstance
from nictbw.workflows import (
    Grant,
    create_and_issue_instance,
    issue_instances,
    pending_events,
    run_prize_draw_batch_summary,
    submit_winning_number,
)
from tests.contract.helpers import (
    TRIGGER,
    add_draw_type,
    add_users,
    build_world,
    complete_line,
    user_with_card,
)
from tests.integration.test_concurrency import Outcome, in_transaction, run_workers
from tests.sql_backends import SqlUowFactory

WORKERS: Final = 8
BACKENDS: Final = [pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"]


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_racing_issues_with_one_key_issue_one_badge(store: SqlUowFactory) -> None:
    world = build_world(store)
    (alice,) = add_users(world, "alice")
    outcome = Outcome()
    answers: list[NFTInstance] = []

    def job(worker: int) -> None:
        def work(uow: Any) -> NFTInstance:
            return create_and_issue_instance(
                uow,
                alice,
                world.d(TRIGGER),
                nft_origin="origin-race",
                rng=random.Random(worker),
                clock=world.clock,
                idempotency_key="race-1",
            )

        found = in_transaction(store, work, outcome)
        assert found is not None
        with outcome.lock:
            answers.append(found)

    run_workers(WORKERS, job, outcome)
    assert not outcome.conflicts, outcome.conflicts
    assert len({a.id for a in answers}) == 1
    assert len(answers) == WORKERS
    with store() as uow:
        assert alice.id is not None
        assert len(uow.instances.list_for_user(alice.id)) == 1
        assert len(uow.bingo_cards.list_for_user(alice.id)) == 1
        definition = uow.definitions.get_by_prefix(TRIGGER)
        assert definition is not None
        assert definition.minted_count == 1
        kinds = Counter(str(e.type) for e in pending_events(uow, limit=1000))
    assert kinds["BadgeIssued"] == 1
    assert kinds["CardCreated"] == 1


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_racing_batches_sharing_keys_issue_each_key_once(store: SqlUowFactory) -> None:
    world = build_world(store)
    users = add_users(world, "u0", "u1", "u2", "u3")
    outcome = Outcome()
    answers: dict[str, set[int | None]] = {f"k{n}": set() for n in range(len(users))}

    def job(worker: int) -> None:
        order = list(range(len(users)))
        random.Random(worker).shuffle(order)
        grants = [Grant(users[n], world.d("C01"), idempotency_key=f"k{n}") for n in order]

        def work(uow: Any) -> list[NFTInstance]:
            return issue_instances(uow, grants, rng=random.Random(worker), clock=world.clock)

        found = in_transaction(store, work, outcome)
        assert found is not None
        with outcome.lock:
            for n, instance in zip(order, found, strict=True):
                answers[f"k{n}"].add(instance.id)

    run_workers(WORKERS, job, outcome)
    assert not outcome.conflicts, outcome.conflicts
    assert all(len(ids) == 1 for ids in answers.values()), answers
    with store() as uow:
        definition = uow.definitions.get_by_prefix("C01")
        assert definition is not None
        assert definition.minted_count == len(users)
        assert len(uow.instances.list()) == len(users)


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_racing_winning_numbers_with_one_key_store_one(store: SqlUowFactory) -> None:
    world = build_world(store)
    with store() as uow:
        draw_type = add_draw_type(uow, world)
        uow.commit()
    outcome = Outcome()
    ids: set[int | None] = set()

    def job(worker: int) -> None:
        found = in_transaction(
            store,
            lambda uow: submit_winning_number(
                uow, draw_type, "abc", clock=world.clock, idempotency_key="wn-race"
            ),
            outcome,
        )
        assert found is not None
        with outcome.lock:
            ids.add(found.id)

    run_workers(WORKERS, job, outcome)
    assert len(ids) == 1
    with store() as uow:
        assert len(uow.winning_numbers.list()) == 1


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_racing_batch_draws_with_one_key_run_once(store: SqlUowFactory) -> None:
    world = build_world(store)
    user, card = user_with_card(world, "ana", trigger_origin="ana-trigger")
    with store() as uow:
        complete_line(uow, world, user, card, (1, 4, 7), origin_tag="ana")
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "abc", clock=world.clock)
        uow.commit()
    outcome = Outcome()
    answers: list[Any] = []

    def job(worker: int) -> None:
        found = in_transaction(
            store,
            lambda uow: run_prize_draw_batch_summary(
                uow, draw_type, clock=world.clock, idempotency_key="batch-race"
            ),
            outcome,
        )
        assert found is not None
        with outcome.lock:
            answers.append(found)

    run_workers(WORKERS, job, outcome)
    assert not outcome.conflicts, outcome.conflicts
    assert len(answers) == WORKERS
    assert all(answer == answers[0] for answer in answers)
    assert answers[0].evaluated == 3
    with store() as uow:
        kinds = Counter(str(e.type) for e in pending_events(uow, limit=1000))
        assert len(uow.draw_results.list()) == 3
    assert kinds["DrawRun"] == 1
