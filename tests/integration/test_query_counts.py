"""Workflows are set-based: their statement counts do not grow with the data (§10.14).

For each SQL backend the same population is built twice, with 10 and with 1,000 users,
through the workflows (``issue_instances`` gives every user a card and completes its
middle row). Each workflow is then measured with ``count_statements`` in a unit of work
that is rolled back, so every measurement sees the same data:

- ``issue_instances`` of one grant per user (10 vs 1,000 grants), once creating a card
  for every user and once unlocking a cell on every user's card;
- ``run_bingo_prize_draw`` and ``run_prize_draw_batch(instances=None)`` over every
  user's completed line;
- ``bingo_cards_json`` (for a user with one card and for one with two) and
  ``update_user_bingo_info`` (a missing card, pre-unlocked cells) for one user among 10
  or 1,000.

Each user's completed line holds one eligible instance (the centre, minted with an
origin) and two without origin (left out), so every draw stores one result per user
and both sizes fit one chunk of ``DEFAULT_CHUNK_SIZE`` (1,000) rows: bulk reads and
writes send one statement per chunk, so beyond 1,000 rows a statement is added per
further chunk, and on SQLite one more for the whole draw (see
``test_a_draw_adds_one_upsert_per_further_chunk_of_results``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest
from attrs import define

from nictbw.adapters.beacon import FakeBeacon
from nictbw.domain.entities import CENTER_IDX, NFTDefinition, PrizeDrawType, User
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    bingo_cards_json,
    bingo_cards_json_many,
    issue_instances,
    run_bingo_prize_draw,
    run_prize_draw_batch,
    run_prize_draw_batch_summary,
    run_sealed_prize_draw,
    seal_prize_draw,
    submit_winning_number,
    update_bingo_info_many,
    update_user_bingo_info,
)
from tests.conftest import postgres_url_or_skip
from tests.contract.helpers import (
    TIMED_TRIGGER,
    TRIGGER,
    World,
    add_definition,
    add_draw_type,
    build_world,
    register,
)
from tests.sql_backends import (
    SqlUowFactory,
    count_statements,
    postgres_uow_factory,
    sqlite_uow_factory,
)

SIZES: Final = (10, 1000)
MIDDLE_ROW: Final = (3, 4, 5)
LATE: Final = "LATE"
"""A definition every user holds that only becomes a card trigger afterwards."""

Counts = tuple[int, int]
"""(statements sent, data statements: without BEGIN/SAVEPOINT/RELEASE/COMMIT/ROLLBACK)."""


@define
class Population:
    """A committed store of ``size`` users, each with a card whose middle row is complete,
    and a collector."""

    world: World
    users: list[User]
    late: NFTDefinition
    draw_type: PrizeDrawType
    collector: User
    """One more user, holding two cards (and no eligible instance)."""


def build_population(factory: SqlUowFactory, size: int) -> Population:
    """Register ``size`` users and give each the trigger (with an origin, hence a card and
    one eligible instance), the two other middle-row badges of that card (without origin)
    and ``LATE``; then make ``LATE`` a trigger, submit a winning number and register a
    collector holding two cards."""
    world = build_world(factory)
    with factory() as uow:
        users = [register(uow, world, f"user{n:04d}") for n in range(size)]
        late = add_definition(uow, world.admin, world.clock, LATE, bingo_random_candidate=False)
        uow.commit()
    with factory() as uow:
        trigger = [(user, world.d(TRIGGER), f"origin-{user.in_app_id}") for user in users]
        issue_instances(uow, trigger, rng=random.Random(1), clock=world.clock)
        uow.commit()
    with factory() as uow:
        cards = {card.user_id: card for card in uow.bingo_cards.list()}
        definitions = {d.id: d for d in uow.definitions.list()}
        partners = []
        for user in users:
            assert user.id is not None
            card = cards[user.id]
            for idx in MIDDLE_ROW:
                cell = card.cell_at(idx)
                if idx != CENTER_IDX and cell is not None:
                    partners.append((user, definitions[cell.target_definition_id], None))
            partners.append((user, late, None))
        issue_instances(uow, partners, rng=random.Random(2), clock=world.clock)
        late.triggers_bingo_card = True
        uow.definitions.update(late)
        draw_type = add_draw_type(uow, world, threshold=0.3)
        submit_winning_number(uow, draw_type, "ABD", clock=world.clock)
        uow.commit()
    with factory() as uow:
        collector = register(uow, world, "collector")
        two_cards = [(collector, world.d(prefix), None) for prefix in (TRIGGER, TIMED_TRIGGER)]
        issue_instances(uow, two_cards, rng=random.Random(6), clock=world.clock)
        uow.commit()
    return Population(world=world, users=users, late=late, draw_type=draw_type, collector=collector)


def measure(factory: SqlUowFactory, action: Callable[[UnitOfWork], Any]) -> tuple[Counts, Any]:
    """The statements ``action`` sends in a fresh unit of work (rolled back afterwards)."""
    with factory() as uow:
        with count_statements(factory.engine) as log:
            answer = action(uow)
        uow.rollback()
    return (len(log), len(log.data())), answer


def measure_warm(
    factory: SqlUowFactory, warm: Callable[[UnitOfWork], Any], action: Callable[[UnitOfWork], Any]
) -> tuple[Counts, Any]:
    """The statements ``action`` sends after ``warm`` ran in the same unit of work (so the
    catalogue is already read and the user already up to date); rolled back afterwards."""
    with factory() as uow:
        warm(uow)
        with count_statements(factory.engine) as log:
            answer = action(uow)
        uow.rollback()
    return (len(log), len(log.data())), answer


def card_grants(population: Population) -> list[tuple[User, NFTDefinition, str]]:
    """One timed trigger per user: a new card for every user."""
    world = population.world
    return [(u, world.d(TIMED_TRIGGER), f"park-{u.in_app_id}") for u in population.users]


def unlock_grants(factory: SqlUowFactory, population: Population) -> list[Any]:
    """Per user the badge of a locked cell of its card: one unlock on every card."""
    with factory() as uow:
        cards = {card.user_id: card for card in uow.bingo_cards.list()}
        definitions = {d.id: d for d in uow.definitions.list()}
    grants = []
    for user in population.users:
        assert user.id is not None
        locked = next(c for c in cards[user.id].cells if not c.is_unlocked)
        grants.append((user, definitions[locked.target_definition_id], None))
    return grants


def measure_population(factory: SqlUowFactory, size: int) -> dict[str, tuple[Counts, Any]]:
    """Every workflow of the module docstring measured on a population of ``size`` users."""
    population = build_population(factory, size)
    world, draw_type, first = population.world, population.draw_type, population.users[0]
    collector = population.collector
    new_cards, unlocks = card_grants(population), unlock_grants(factory, population)
    with factory() as uow:
        drawn = [i for i in uow.instances.list() if i.nft_origin is not None]
    return {
        "issue_instances (a new card each)": measure(
            factory,
            lambda uow: len(
                issue_instances(uow, new_cards, rng=random.Random(3), clock=world.clock)
            ),
        ),
        "issue_instances (an unlock each)": measure(
            factory,
            lambda uow: len(issue_instances(uow, unlocks, rng=random.Random(4), clock=world.clock)),
        ),
        "run_bingo_prize_draw": measure(
            factory,
            lambda uow: len(run_bingo_prize_draw(uow, draw_type, limit=10, clock=world.clock)),
        ),
        "run_prize_draw_batch(instances=None)": measure(
            factory, lambda uow: len(run_prize_draw_batch(uow, draw_type, clock=world.clock))
        ),
        "run_prize_draw_batch(instances=...)": measure(
            factory,
            lambda uow: len(
                run_prize_draw_batch(uow, draw_type, instances=iter(drawn), clock=world.clock)
            ),
        ),
        "run_prize_draw_batch_summary": measure(
            factory,
            lambda uow: (
                run_prize_draw_batch_summary(
                    uow, draw_type, instances=iter(drawn), clock=world.clock, top=5
                ).evaluated
            ),
        ),
        "run_prize_draw_batch(instance_ids=...)": measure(
            factory,
            lambda uow: len(
                run_prize_draw_batch(
                    uow, draw_type, instance_ids=[i.id for i in drawn], clock=world.clock
                )
            ),
        ),
        "run_prize_draw_batch_summary(instance_ids=...)": measure(
            factory,
            lambda uow: (
                run_prize_draw_batch_summary(
                    uow, draw_type, instance_ids=(i.id for i in drawn), clock=world.clock, top=5
                ).evaluated
            ),
        ),
        "bingo_cards_json": measure(
            factory, lambda uow: len(bingo_cards_json(uow, first, clock=world.clock))
        ),
        "bingo_cards_json (two cards)": measure(
            factory, lambda uow: len(bingo_cards_json(uow, collector, clock=world.clock))
        ),
        "update_user_bingo_info": measure(
            factory,
            lambda uow: update_user_bingo_info(uow, first, rng=random.Random(5), clock=world.clock),
        ),
        "update_user_bingo_info (nothing to do)": measure_warm(
            factory,
            lambda uow: update_user_bingo_info(uow, first, rng=random.Random(5), clock=world.clock),
            lambda uow: update_user_bingo_info(uow, first, rng=random.Random(5), clock=world.clock),
        ),
        "bingo_cards_json (catalogue read)": measure_warm(
            factory,
            lambda uow: bingo_cards_json(uow, collector, clock=world.clock),
            lambda uow: len(bingo_cards_json(uow, first, clock=world.clock)),
        ),
        "update_bingo_info_many": measure(
            factory,
            lambda uow: update_bingo_info_many(
                uow, population.users, rng=random.Random(5), clock=world.clock
            ),
        ),
        "update_bingo_info_many (nothing to do)": measure_warm(
            factory,
            lambda uow: update_bingo_info_many(
                uow, population.users, rng=random.Random(5), clock=world.clock
            ),
            lambda uow: update_bingo_info_many(
                uow, population.users, rng=random.Random(5), clock=world.clock
            ),
        ),
        "bingo_cards_json_many": measure(
            factory,
            lambda uow: sum(
                len(cards)
                for _, cards in bingo_cards_json_many(uow, population.users, clock=world.clock)
            ),
        ),
        "run_bingo_prize_draw (capped)": measure(
            factory,
            lambda uow: len(
                run_bingo_prize_draw(
                    uow, draw_type, limit=10, clock=world.clock, max_wins_per_user=1
                )
            ),
        ),
        **measure_sealed(factory, population),
    }


def measure_sealed(factory: SqlUowFactory, population: Population) -> dict[str, Any]:
    """``seal_prize_draw`` (rolled back), then, on a committed seal, ``run_sealed_prize_draw``
    once the round is published. Measured last: it moves the clock."""
    world, draw_type = population.world, population.draw_type
    beacon = FakeBeacon(
        world.clock, seed=31, period=30, genesis_time=int(world.clock.now().timestamp()) - 90
    )
    found = {
        "seal_prize_draw": measure(
            factory,
            lambda uow: (
                seal_prize_draw(uow, draw_type, beacon=beacon, clock=world.clock).candidate_count
            ),
        )
    }
    with factory() as uow:
        sealed = seal_prize_draw(uow, draw_type, beacon=beacon, clock=world.clock)
        uow.commit()
    assert sealed.beacon_round_at is not None
    world.clock.set(sealed.beacon_round_at)
    found["run_sealed_prize_draw"] = measure(
        factory,
        lambda uow: len(
            run_sealed_prize_draw(uow, sealed, beacon=beacon, limit=10, clock=world.clock)
        ),
    )
    return found


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def counts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[int, dict[str, tuple[Counts, Any]]]:
    """Per size, per workflow: (statement counts, what the workflow answered)."""
    backend = str(request.param)
    found: dict[int, dict[str, tuple[Counts, Any]]] = {}
    for size in SIZES:
        if backend == "sqlite":
            folder: Path = tmp_path_factory.mktemp(f"counts-{size}")
            with sqlite_uow_factory(folder) as factory:
                found[size] = measure_population(factory, size)
        else:
            with postgres_uow_factory(postgres_url_or_skip()) as factory:
                found[size] = measure_population(factory, size)
    print(f"\nstatements per workflow on {backend} (all / data), 10 vs 1,000 users:")
    for name in found[SIZES[0]]:
        row = "  ".join(
            f"{found[size][name][0][0]:>3} / {found[size][name][0][1]:>3}" for size in SIZES
        )
        print(f"  {name:<40} {row}")
    return found


def assert_same_count(counts: dict[int, dict[str, tuple[Counts, Any]]], name: str) -> None:
    small, large = (counts[size][name][0] for size in SIZES)
    assert small == large, f"{name}: {small} statements for 10 users, {large} for 1,000"


def answers(counts: dict[int, dict[str, tuple[Counts, Any]]], name: str) -> list[Any]:
    return [counts[size][name][1] for size in SIZES]


def test_issue_instances_creating_a_card_per_grant_is_set_based(counts: Any) -> None:
    assert_same_count(counts, "issue_instances (a new card each)")
    assert answers(counts, "issue_instances (a new card each)") == list(SIZES)


def test_issue_instances_unlocking_a_cell_per_grant_is_set_based(counts: Any) -> None:
    assert_same_count(counts, "issue_instances (an unlock each)")
    assert answers(counts, "issue_instances (an unlock each)") == list(SIZES)


def test_run_bingo_prize_draw_is_set_based(counts: Any) -> None:
    assert_same_count(counts, "run_bingo_prize_draw")
    small, large = answers(counts, "run_bingo_prize_draw")
    assert 1 <= small <= 10
    assert large >= 10


def test_run_prize_draw_batch_without_instances_is_set_based(counts: Any) -> None:
    assert_same_count(counts, "run_prize_draw_batch(instances=None)")
    assert answers(counts, "run_prize_draw_batch(instances=None)") == list(SIZES)


def test_bingo_cards_json_is_set_based(counts: Any) -> None:
    assert_same_count(counts, "bingo_cards_json")
    assert answers(counts, "bingo_cards_json") == [1, 1]


def test_bingo_cards_json_sends_as_many_statements_for_two_cards_as_for_one(counts: Any) -> None:
    assert_same_count(counts, "bingo_cards_json (two cards)")
    assert answers(counts, "bingo_cards_json (two cards)") == [2, 2]
    for size in SIZES:
        assert (
            counts[size]["bingo_cards_json (two cards)"][0] == counts[size]["bingo_cards_json"][0]
        )


def test_a_capped_bingo_draw_is_set_based(counts: Any) -> None:
    assert_same_count(counts, "run_bingo_prize_draw (capped)")
    assert answers(counts, "run_bingo_prize_draw (capped)") == answers(
        counts, "run_bingo_prize_draw"
    )


def test_sealing_and_running_a_sealed_draw_are_set_based(counts: Any) -> None:
    assert_same_count(counts, "seal_prize_draw")
    assert answers(counts, "seal_prize_draw") == list(SIZES)
    assert_same_count(counts, "run_sealed_prize_draw")
    small, large = answers(counts, "run_sealed_prize_draw")
    assert 1 <= small <= 10
    assert large >= 10


def test_update_user_bingo_info_is_set_based(counts: Any) -> None:
    assert_same_count(counts, "update_user_bingo_info")
    (cards, cells), same = answers(counts, "update_user_bingo_info")
    assert (cards, cells) == same
    assert cards == 1
    assert cells >= 2


def batch_draw(population: Population) -> Callable[[UnitOfWork], int]:
    """A batch draw over the completed lines of ``population``; answers its length."""

    def draw(uow: UnitOfWork) -> int:
        world = population.world
        return len(run_prize_draw_batch(uow, population.draw_type, clock=world.clock))

    return draw


@pytest.mark.parametrize(
    "sql_backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_draw_adds_one_upsert_per_further_chunk_of_results(
    sql_backend: str, tmp_path: Path
) -> None:
    url = postgres_url_or_skip() if sql_backend == "postgres" else None
    chunks: dict[int, Counts] = {}
    for chunk_size in (100, 40):
        if url is None:
            opened = sqlite_uow_factory(tmp_path / str(chunk_size), chunk_size=chunk_size)
        else:
            opened = postgres_uow_factory(url, chunk_size=chunk_size)
        (tmp_path / str(chunk_size)).mkdir()
        with opened as factory:
            population = build_population(factory, 100)
            chunks[chunk_size], evaluated = measure(factory, batch_draw(population))
            assert evaluated == 100
    # 100 results: one chunk of 100, three chunks of 40 (two more upserts; on SQLite, a
    # first run, two appends after one read that finds only the first chunk stored).
    assert chunks[40][1] == chunks[100][1] + 2 + (url is None), chunks


def data_statements(counts: dict[int, dict[str, tuple[Counts, Any]]], name: str) -> int:
    """The data statements of ``name`` (the same for every size, checked)."""
    assert_same_count(counts, name)
    return counts[SIZES[0]][name][0][1]


def test_bingo_cards_json_sends_at_most_two_statements(counts: Any) -> None:
    # The cards joined with their cells, then the catalogue of the unit of work.
    assert data_statements(counts, "bingo_cards_json") == 2
    assert data_statements(counts, "bingo_cards_json (two cards)") == 2
    # Once the catalogue was read in the unit of work: the cards only.
    assert data_statements(counts, "bingo_cards_json (catalogue read)") == 1
    assert answers(counts, "bingo_cards_json (catalogue read)") == [1, 1]


def test_update_user_bingo_info_with_nothing_to_do_sends_at_most_three_statements(
    counts: Any, request: pytest.FixtureRequest
) -> None:
    # The lock (PostgreSQL only), the user's instances, its cards; nothing written.
    postgres = "postgres" in request.node.callspec.id
    found = data_statements(counts, "update_user_bingo_info (nothing to do)")
    assert found == (3 if postgres else 2)
    assert answers(counts, "update_user_bingo_info (nothing to do)") == [(0, 0), (0, 0)]


def test_the_bulk_card_workflows_send_a_constant_number_of_statements(
    counts: Any, request: pytest.FixtureRequest
) -> None:
    postgres = "postgres" in request.node.callspec.id
    lock = 1 if postgres else 0
    # Per chunk: the user check, the lock, the instances, the cards (the catalogue was
    # read by the first call in this unit of work).
    assert data_statements(counts, "update_bingo_info_many (nothing to do)") == 3 + lock
    assert answers(counts, "update_bingo_info_many (nothing to do)") == [(0, 0), (0, 0)]
    # ... plus the catalogue, the writes of the new cards (insert, cells, their ids) and
    # their events (one insert into the outbox).
    assert data_statements(counts, "update_bingo_info_many") == 3 + lock + 1 + 3 + 1
    created = [cards for cards, _cells in answers(counts, "update_bingo_info_many")]
    assert created == list(SIZES)
    # The user check and the cards with their cells per chunk; the catalogue once.
    assert data_statements(counts, "bingo_cards_json_many") == 3
    assert answers(counts, "bingo_cards_json_many") == list(SIZES)


def test_a_batch_draw_of_given_instances_does_not_read_them_again(counts: Any) -> None:
    # The draw type and its winning number, one id-only check per 1,000 instances, one
    # upsert per chunk of results and its events (the batch draw: one insert of its run
    # and wins; the summary: the wins per chunk of results, then the run): the
    # instances given are not read again.
    expected = {"run_prize_draw_batch(instances=...)": 5, "run_prize_draw_batch_summary": 6}
    for name, statements in expected.items():
        assert data_statements(counts, name) == statements
        assert answers(counts, name) == list(SIZES)


def test_a_batch_draw_of_given_ids_reads_their_columns_once_per_chunk(counts: Any) -> None:
    # As for given instances, with the id-only check replaced by one read of the
    # candidate columns per 1,000 ids: the same statements at every size.
    expected = {
        "run_prize_draw_batch(instance_ids=...)": 5,
        "run_prize_draw_batch_summary(instance_ids=...)": 6,
    }
    for name, statements in expected.items():
        assert data_statements(counts, name) == statements
        assert answers(counts, name) == list(SIZES)
