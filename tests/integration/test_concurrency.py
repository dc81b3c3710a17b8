"""Concurrent writers on the SQL adapter (domain-rules.md §3.2, §5.3-5.4, §7.5, §8.5, §10.4).

Worker threads each open their own units of work (their own pooled connections) on one
store and run workflows at the same time. Backends:

- ``postgres``: READ COMMITTED; workflows lock the users they change, definitions are
  locked by the conditional increment, results are upserted; no worker may see an error
  other than the ones a rule asks for (supply exhausted).
- ``sqlite``: transactions begin ``IMMEDIATE``, so writers wait for the single write
  lock; no conflict is expected either.
- ``sqlite-deferred``: the default ``BEGIN``; a writer whose snapshot went stale is
  refused with ``ConflictError`` and the worker retries the whole transaction.

Afterwards the store is read through a fresh unit of work: serials are 0..n-1 per
definition with ``minted_count`` n, unique ids are unique, supply is never exceeded, no
user has two cards with one centre, no unlock is lost, one result per result key, and
concurrent syncs leave what one sync leaves.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import pytest
from attrs import asdict
from sqlalchemy import Connection

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.adapters.sqlalchemy.engine import SQLITE_BEGIN_OPTION
from nictbw.app.workflows._issuing import store_new_instances
from nictbw.domain.entities import (
    CARD_COMPLETED,
    CARD_EXPIRED,
    CELL_LOCKED,
    CELL_UNLOCKED,
    INSTANCE_SUCCEEDED,
    NFTDefinition,
    NFTInstance,
    User,
)
from nictbw.domain.errors import ConflictError
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    create_and_issue_instance,
    issue_instances,
    run_bingo_prize_draw,
    submit_winning_number,
    sync_nft_instances_from_chain,
    update_user_bingo_info,
)
from tests.conftest import postgres_url_or_skip
from tests.contract.helpers import (
    CANDIDATES,
    TIMED_TRIGGER,
    TRIGGER,
    UowFactory,
    World,
    add_definition,
    add_draw_type,
    add_users,
    build_world,
    snapshot,
)
from tests.sql_backends import SqlUowFactory, postgres_uow_factory, sqlite_uow_factory

T = TypeVar("T")

WORKERS: Final = 8
ISSUES_PER_WORKER: Final = {"postgres": 120, "sqlite": 60, "sqlite-deferred": 30}
MAX_ATTEMPTS: Final = 100
"""Whole-transaction attempts of a worker before the test gives up (deferred SQLite)."""
CAPPED_SUPPLY: Final = 40

BACKENDS: Final = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    "sqlite",
    "sqlite-deferred",
]
WAITING_BACKENDS: Final = [pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"]


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlUowFactory]:
    """Units of work on a clean store of the backend named by the test's parameter."""
    backend = str(request.param)
    if backend == "postgres":
        with postgres_uow_factory(postgres_url_or_skip()) as factory:
            yield factory
        return
    with sqlite_uow_factory(tmp_path) as factory:
        if backend == "sqlite":
            immediate = factory.engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            yield SqlUowFactory(immediate)
        else:
            yield factory


# -- running workers ----------------------------------------------------------------------


class Outcome:
    """What the workers of a test saw, shared between threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.conflicts: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.failures: list[BaseException] = []

    def conflict(self, exc: ConflictError) -> None:
        with self.lock:
            self.conflicts[_kind(exc)] += 1

    def refusal(self, exc: ConflictError) -> None:
        with self.lock:
            self.refused[_kind(exc)] += 1


def _kind(exc: BaseException) -> str:
    message = str(exc)
    if "exhausted" in message:
        return "supply exhausted"
    if "concurrent change" in message:
        return "concurrent change"
    return message[:80]


def in_transaction(
    factory: UowFactory,
    work: Callable[[UnitOfWork], T],
    outcome: Outcome,
    *,
    final: Callable[[ConflictError], bool] = lambda exc: False,
) -> T | None:
    """Run ``work`` in a unit of work and commit, retrying the whole transaction on a
    ``ConflictError`` (with jittered backoff) unless ``final`` says it is an answer.

    Returns ``work``'s result, or ``None`` when a final refusal was recorded.
    """
    for attempt in range(MAX_ATTEMPTS):
        try:
            with factory() as uow:
                result = work(uow)
                uow.commit()
            return result
        except ConflictError as exc:
            if final(exc):
                outcome.refusal(exc)
                return None
            outcome.conflict(exc)
            time.sleep(random.uniform(0, 0.001 * 2 ** min(attempt, 6)))
    raise AssertionError(f"a transaction still conflicted after {MAX_ATTEMPTS} attempts")


def run_workers(count: int, job: Callable[[int], None], outcome: Outcome) -> None:
    """Run ``job(worker)`` in ``count`` threads started together; re-raise the first failure."""
    barrier = threading.Barrier(count)

    def body(worker: int) -> None:
        try:
            barrier.wait()
            job(worker)
        except BaseException as exc:  # reported by the main thread
            with outcome.lock:
                outcome.failures.append(exc)

    threads = [threading.Thread(target=body, args=(w,)) for w in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if outcome.failures:
        raise outcome.failures[0]


def expect_no_conflict(backend: str, outcome: Outcome) -> None:
    """Waiting backends never refuse a writer; deferred SQLite refuses only stale writers."""
    if backend == "sqlite-deferred":
        assert set(outcome.conflicts) <= {"concurrent change"}, outcome.conflicts
    else:
        assert not outcome.conflicts, outcome.conflicts


# -- checking the store -------------------------------------------------------------------


def assert_serials_dense(
    definitions: Sequence[NFTDefinition], instances: Sequence[NFTInstance]
) -> None:
    serials: dict[int | None, list[int]] = defaultdict(list)
    for instance in instances:
        serials[instance.definition_id].append(instance.serial_number)
    for definition in definitions:
        issued = sorted(serials[definition.id])
        assert issued == list(range(len(issued))), (definition.prefix, issued)
        assert definition.minted_count == len(issued), definition.prefix
        if definition.max_supply is not None:
            assert definition.minted_count <= definition.max_supply, definition.prefix


def assert_store_consistent(factory: UowFactory) -> dict[str, list[Any]]:
    """The issuance and bingo invariants, read through a fresh unit of work."""
    state = snapshot(factory)
    definitions, instances, cards = state["definitions"], state["instances"], state["bingo_cards"]
    assert_serials_dense(definitions, instances)
    unique_ids = Counter(i.unique_instance_id for i in instances)
    assert all(n == 1 for n in unique_ids.values()), unique_ids.most_common(3)
    centres = Counter((card.user_id, card.center_definition_id) for card in cards)
    assert all(n == 1 for n in centres.values()), centres.most_common(3)
    held: dict[int, set[int]] = defaultdict(set)
    for instance in instances:
        if instance.status == INSTANCE_SUCCEEDED:
            held[instance.user_id].add(instance.definition_id)
    for card in cards:
        if card.state == CARD_EXPIRED:
            continue
        lost = [
            cell.idx
            for cell in card.cells
            if cell.state == CELL_LOCKED and cell.target_definition_id in held[card.user_id]
        ]
        assert not lost, f"card {card.id} of user {card.user_id} lost unlocks at idx {lost}"
        full = all(cell.state == CELL_UNLOCKED for cell in card.cells)
        assert (card.state == CARD_COMPLETED) == full, card
    return state


# -- issuance -----------------------------------------------------------------------------


@pytest.mark.stress
@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_concurrent_issuance_keeps_serials_dense_and_unique_ids_unique(
    store: SqlUowFactory, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["store"]
    world = build_world(store)
    users = add_users(world, *(f"visitor{n:02d}" for n in range(20)))
    prefixes = (TRIGGER, TIMED_TRIGGER, *CANDIDATES)
    issues = ISSUES_PER_WORKER[backend]
    outcome = Outcome()
    issued = Counter[str]()

    def job(worker: int) -> None:
        pick = random.Random(worker)
        for k in range(issues):
            user, prefix = pick.choice(users), pick.choice(prefixes)

            def work(uow: UnitOfWork, user: User = user, prefix: str = prefix, k: int = k) -> None:
                # Every worker's k-th issue draws the same unique-id candidates.
                create_and_issue_instance(
                    uow, user, world.d(prefix), rng=random.Random(k), clock=world.clock
                )

            in_transaction(store, work, outcome)
            with outcome.lock:
                issued[prefix] += 1

    run_workers(WORKERS, job, outcome)

    state = assert_store_consistent(store)
    assert len(state["instances"]) == WORKERS * issues
    by_prefix = {d.prefix: d.minted_count for d in state["definitions"] if d.minted_count}
    assert by_prefix == dict(issued)
    expect_no_conflict(backend, outcome)


@pytest.mark.stress
@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_concurrent_issuance_never_exceeds_max_supply_and_losers_write_nothing(
    store: SqlUowFactory, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["store"]
    world = build_world(store)
    with store() as uow:
        capped = add_definition(
            uow,
            world.admin,
            world.clock,
            "CAPPED",
            max_supply=CAPPED_SUPPLY,
            bingo_random_candidate=False,
        )
        uow.commit()
    users = add_users(world, *(f"fan{n}" for n in range(WORKERS)))
    outcome = Outcome()
    granted: list[int] = []

    def job(worker: int) -> None:
        user = users[worker]
        for k in range(10):
            grants = [(user, capped, None), (user, world.d(CANDIDATES[k % 3]), None)]

            def work(uow: UnitOfWork, grants: list[Any] = grants) -> int:
                return len(issue_instances(uow, grants, clock=world.clock))

            count = in_transaction(store, work, outcome, final=lambda exc: "exhausted" in str(exc))
            if count is not None:
                with outcome.lock:
                    granted.append(count)

    run_workers(WORKERS, job, outcome)

    state = assert_store_consistent(store)
    minted = {d.prefix: d.minted_count for d in state["definitions"]}
    assert minted["CAPPED"] == CAPPED_SUPPLY
    assert outcome.refused == {"supply exhausted": WORKERS * 10 - CAPPED_SUPPLY}
    assert len(state["instances"]) == sum(granted) == 2 * CAPPED_SUPPLY
    assert sum(minted[prefix] for prefix in CANDIDATES[:3]) == CAPPED_SUPPLY
    expect_no_conflict(backend, outcome)


@pytest.mark.postgres
def test_a_unique_id_taken_by_a_concurrent_transaction_is_redrawn() -> None:
    with postgres_uow_factory(postgres_url_or_skip()) as factory:
        world = build_world(factory)
        first, second = add_users(world, "first", "second")
        badge = world.d(CANDIDATES[0])
        issued: list[NFTInstance] = []
        failures: list[BaseException] = []

        def issue_second() -> None:
            try:
                with factory() as uow:
                    issued.append(
                        create_and_issue_instance(
                            uow, second, badge, rng=random.Random(3), clock=world.clock
                        )
                    )
                    uow.commit()
            except BaseException as exc:
                failures.append(exc)

        with factory() as uow:
            winner = create_and_issue_instance(
                uow, first, badge, rng=random.Random(3), clock=world.clock
            )
            waiting = threading.Thread(target=issue_second)
            waiting.start()
            # The second issuance drew the same candidate, checked it free (ours is not
            # committed) and now waits for the definition row we hold.
            wait_until_blocked_by(uow.connection)
            uow.commit()
        waiting.join(timeout=30)

    assert not failures, failures
    (loser,) = issued
    assert loser.unique_instance_id != winner.unique_instance_id
    assert loser.unique_instance_id.startswith(f"{badge.prefix}-")
    assert (winner.serial_number, loser.serial_number) == (0, 1)


def wait_until_blocked_by(holder: Connection) -> None:
    """Wait (at most 10 s) until another PostgreSQL session waits for a lock ``holder`` has."""
    pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    query = "SELECT count(*) FROM pg_stat_activity WHERE %(pid)s = ANY(pg_blocking_pids(pid))"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with holder.engine.connect() as observer:
            if observer.exec_driver_sql(query, {"pid": pid}).scalar():
                return
        time.sleep(0.02)
    raise AssertionError(f"no session ever waited for a lock held by backend {pid}")


class _AlwaysTaken:
    """Instances whose ``add_many`` is always refused, every id it was given then stored."""

    def __init__(self) -> None:
        self.attempts: list[list[str]] = []

    def add_many(self, instances: Sequence[NFTInstance]) -> None:
        self.attempts.append([i.unique_instance_id for i in instances])
        raise ConflictError("Key (unique_instance_id) already exists")

    def existing_unique_ids(self, candidates: Any) -> set[str]:
        tried = {uid for attempt in self.attempts for uid in attempt}
        return {c for c in candidates if c in tried}


def test_redrawing_unique_ids_taken_meanwhile_gives_up_after_32_attempts() -> None:
    uow = InMemoryUnitOfWork(InMemoryStore())
    refusing = _AlwaysTaken()
    uow.instances = refusing  # type: ignore[assignment]
    instance = NFTInstance(
        user_id=1, definition_id=1, serial_number=0, unique_instance_id="EXPO-000000000000"
    )
    with pytest.raises(ConflictError, match="after 32 attempts"):
        store_new_instances(uow, [instance], random.Random(1))
    assert len(refusing.attempts) == 32
    tried = [ids[0] for ids in refusing.attempts]
    assert len(set(tried)) == 32
    assert all(uid.startswith("EXPO-") and len(uid) == 17 for uid in tried)


def test_an_insert_refused_for_another_reason_is_not_retried() -> None:
    uow = InMemoryUnitOfWork(InMemoryStore())
    refusing = _AlwaysTaken()
    refusing.existing_unique_ids = lambda candidates: set()  # type: ignore[method-assign]
    uow.instances = refusing  # type: ignore[assignment]
    instance = NFTInstance(
        user_id=1, definition_id=1, serial_number=0, unique_instance_id="EXPO-000000000000"
    )
    with pytest.raises(ConflictError, match="already exists"):
        store_new_instances(uow, [instance], random.Random(1))
    assert len(refusing.attempts) == 1


# -- bingo --------------------------------------------------------------------------------


@pytest.mark.stress
@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_concurrent_issuance_to_one_user_keeps_one_card_per_centre_and_every_unlock(
    store: SqlUowFactory, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["store"]
    world = build_world(store)
    holders = add_users(world, "ann", "ben")
    prefixes = (TRIGGER, TIMED_TRIGGER, *CANDIDATES)
    outcome = Outcome()

    def job(worker: int) -> None:
        pick = random.Random(100 + worker)
        for k in range(12):
            user, prefix = holders[k % 2], pick.choice(prefixes)

            def work(uow: UnitOfWork, user: User = user, prefix: str = prefix, k: int = k) -> None:
                create_and_issue_instance(
                    uow,
                    user,
                    world.d(prefix),
                    rng=random.Random(worker * 100 + k),
                    clock=world.clock,
                )

            def refresh(uow: UnitOfWork, user: User = user) -> tuple[int, int]:
                return update_user_bingo_info(uow, user, clock=world.clock)

            in_transaction(store, work, outcome)
            if k % 4 == 3:
                in_transaction(store, refresh, outcome)

    run_workers(WORKERS, job, outcome)

    assert_store_consistent(store)
    for user in holders:
        with store() as uow:
            assert update_user_bingo_info(uow, user, clock=world.clock) == (0, 0)
    expect_no_conflict(backend, outcome)


# -- draws --------------------------------------------------------------------------------


def users_with_completed_lines(world: World, count: int) -> list[User]:
    """Commit ``count`` users each holding the trigger and every candidate, with origins:
    every card is complete, every instance eligible."""
    users = add_users(world, *(f"player{n:02d}" for n in range(count)))
    grants = [
        (user, world.d(prefix), f"{user.in_app_id}-{prefix}")
        for user in users
        for prefix in (TRIGGER, *CANDIDATES)
    ]
    with world.factory() as uow:
        issue_instances(uow, grants, rng=random.Random(9), clock=world.clock)
        uow.commit()
    return users


@pytest.mark.stress
@pytest.mark.parametrize("store", WAITING_BACKENDS, indirect=True)
def test_concurrent_runs_of_one_bingo_draw_store_one_result_per_key(
    store: SqlUowFactory,
) -> None:
    world = build_world(store)
    users_with_completed_lines(world, 30)
    with store() as uow:
        draw_type = add_draw_type(uow, world, threshold=0.3)
        numbers = [
            submit_winning_number(uow, draw_type, value, clock=world.clock)
            for value in ("ABD", "xyz")
        ]
        uow.commit()
    with store() as uow:
        eligible = len(uow.bingo_cards.completed_line_candidates(world.clock.now()))
    outcome = Outcome()
    rankings: dict[int, list[list[dict[str, Any]]]] = defaultdict(list)

    def job(worker: int) -> None:
        for round_ in range(6):
            number = numbers[round_ % 2]
            with store() as uow:
                results = run_bingo_prize_draw(
                    uow, draw_type, winning_number=number, limit=5, clock=world.clock
                )
                uow.commit()
            with outcome.lock:
                rankings[round_ % 2].append([asdict(r) for r in results])

    run_workers(2, job, outcome)

    state = assert_store_consistent(store)
    results = state["draw_results"]
    keys = Counter((r.nft_instance_id, r.draw_type_id, r.winning_number_id) for r in results)
    assert eligible == 30 * 9
    assert len(keys) == len(results) == 2 * eligible
    for runs in rankings.values():
        assert len(runs) == 6
        assert runs[0]
        assert all(run == runs[0] for run in runs)


# -- sync ---------------------------------------------------------------------------------


def mint_to(chain: FakeChain, user: User, prefixes: Sequence[str]) -> None:
    """Mint one NFT per prefix to ``user`` on ``chain``."""
    for prefix in prefixes:
        chain.mint(
            app="nictbw",
            name=f"Badge {prefix}",
            additional_info={"prefix": prefix},
            recipient_paymail=user.paymail,
        )


def one_sync_reference(prefixes: Sequence[str], rng_seed: int) -> dict[str, list[Any]]:
    """The state one sync leaves, computed on the in-memory adapter."""
    memory = InMemoryStore()
    world = build_world(lambda: InMemoryUnitOfWork(memory), chain_seed=5)
    (user,) = add_users(world, "syncer")
    mint_to(world.chain, user, prefixes)
    with world.factory() as uow:
        sync_nft_instances_from_chain(
            uow, user, chain=world.chain, rng=random.Random(rng_seed), clock=world.clock
        )
        uow.commit()
    return snapshot(world.factory)


@pytest.mark.stress
@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_concurrent_syncs_of_one_user_leave_what_one_sync_leaves(
    store: SqlUowFactory, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["store"]
    prefixes = [TRIGGER, *CANDIDATES, "ONCHAIN-1", "ONCHAIN-2", TRIGGER]
    world = build_world(store, chain_seed=5)
    (user,) = add_users(world, "syncer")
    mint_to(world.chain, user, prefixes)
    outcome = Outcome()
    reports: list[Any] = []

    def job(worker: int) -> None:
        def work(uow: UnitOfWork) -> Any:
            return sync_nft_instances_from_chain(
                uow, user, chain=world.chain, rng=random.Random(17), clock=world.clock
            )

        report = in_transaction(store, work, outcome)
        with outcome.lock:
            reports.append(report)

    run_workers(4, job, outcome)

    assert_store_consistent(store)
    assert sorted(r.created for r in reports) == [0, 0, 0, len(prefixes)]
    assert all(r.unchanged == len(prefixes) for r in reports if r.created == 0)
    assert snapshot(store) == one_sync_reference(prefixes, rng_seed=17)
    expect_no_conflict(backend, outcome)
