"""The fast batch paths give exactly what the one-at-a-time paths give.

Performance work replaced per-row code on the hot paths by column-wise code: the draw
engine scores a batch as columns, the SQL adapter sends bulk writes as driver-level SQL
with each column's bind processor applied by hand, the in-memory tables insert and
replace whole batches, and a ranked draw with a limit prunes its ranking after every
batch. Each test here pins one of them to its reference.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nictbw.app.workflows.draws as draws_module
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.adapters.memory.table import Index, Table, UniqueKey, make_copier
from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, open_database
from nictbw.domain.engine import PrizeDrawEngine
from nictbw.domain.entities import (
    Admin,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    User,
)
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.ranking import rank_with_ties
from nictbw.domain.scoring import sha256_hex_proximity
from nictbw.workflows import (
    create_nft_definition,
    create_prize_draw_type,
    issue_instances,
    register_admin,
    run_bingo_prize_draw,
    submit_winning_number,
)

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ALGORITHM = "sha256_hex_proximity"

origins = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40
).filter(lambda text: text.strip() != "")


# -- the engine's columnar evaluation ---------------------------------------------------


@settings(max_examples=150)
@given(
    batch=st.lists(origins, max_size=30),
    winning=st.none() | origins,
    threshold=st.none() | st.floats(min_value=0.0, max_value=0.8999999999999999),
)
def test_columnar_evaluation_equals_evaluating_one_candidate_at_a_time(
    batch: list[str], winning: str | None, threshold: float | None
) -> None:
    engine = PrizeDrawEngine()
    ids = list(range(1, len(batch) + 1))
    columns = engine.evaluate_columns(
        ids, batch, algorithm_key=ALGORITHM, winning_value=winning, threshold=threshold
    )
    singles = [
        engine.evaluate_one(
            i, origin, algorithm_key=ALGORITHM, winning_value=winning, threshold=threshold
        )
        for i, origin in zip(ids, batch, strict=True)
    ]
    assert columns.results() == singles
    assert [repr(r.score) for r in columns.results()] == [repr(r.score) for r in singles]


def test_columnar_scores_are_the_reference_scorer_on_normalised_inputs() -> None:
    engine = PrizeDrawEngine()
    columns = engine.evaluate_columns(
        [1, 2], ["  ABC ", "abz"], algorithm_key=ALGORITHM, winning_value="ABD", threshold=0.7
    )
    assert columns.draw_numbers == ["abc", "abz"]
    assert columns.scores == [sha256_hex_proximity(d, "abd").score for d in ("abc", "abz")]
    assert columns.outcomes == ["win", "win"]


def test_columnar_evaluation_names_the_instance_of_a_bad_origin() -> None:
    engine = PrizeDrawEngine()
    with pytest.raises(ValidationError, match="instance 8"):
        engine.evaluate_columns(
            [7, 8], ["abc", "   "], algorithm_key=ALGORITHM, winning_value="w", threshold=None
        )


def test_columnar_evaluation_refuses_columns_of_different_lengths() -> None:
    with pytest.raises(ValidationError, match="2 instance ids but 1 origins"):
        PrizeDrawEngine().evaluate_columns(
            [1, 2], ["a"], algorithm_key=ALGORITHM, winning_value="w", threshold=None
        )


# -- SQL bulk writes store what single-row writes store ---------------------------------


@pytest.fixture
def sqlite_uow(tmp_path: Path) -> Iterator[SqlAlchemyUnitOfWork]:
    engine = open_database(f"sqlite:///{tmp_path / 'identity.db'}")
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            yield uow
    finally:
        engine.dispose()


def _stored_text(uow: SqlAlchemyUnitOfWork, table: str, row_id: int | None) -> dict[str, Any]:
    """The row exactly as SQLite holds it: each value with its storage type, unprocessed."""
    result = uow.connection.exec_driver_sql(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
    row = result.one()
    return {
        name: (type(value).__name__, value) for name, value in zip(result.keys(), row, strict=True)
    }


def _instance(user_id: int, definition_id: int, serial: int) -> NFTInstance:
    return NFTInstance(
        user_id=user_id,
        definition_id=definition_id,
        serial_number=serial,
        unique_instance_id=f"BULK-{serial:012d}",
        acquired_at=NOW.astimezone(timezone(timedelta(hours=9))),
        nft_origin=f"origin-{serial}",
        blockchain_nft_id=10**12,
        blockchain_created_at=NOW.replace(microsecond=0),
        blockchain_updated_at=NOW.replace(microsecond=123456),
        other_meta={"name": "Café", "list": [1, 2]},
    )


def _catalogue(uow: SqlAlchemyUnitOfWork) -> tuple[int, int]:
    """A stored user and definition: their ids."""
    user = uow.users.add(User(in_app_id="u", created_at=NOW, updated_at=NOW))
    admin = uow.admins.add(Admin(password_hash="x", created_at=NOW, updated_at=NOW))
    definition = uow.definitions.add(
        NFTDefinition(
            prefix="BULK",
            shared_key="k",
            name="n",
            created_by_admin_id=admin.id,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    assert user.id is not None
    assert definition.id is not None
    return user.id, definition.id


def test_bulk_instance_insert_stores_exactly_what_a_single_insert_stores(
    sqlite_uow: SqlAlchemyUnitOfWork,
) -> None:
    uow = sqlite_uow
    user_id, definition_id = _catalogue(uow)
    single = uow.instances.add(_instance(user_id, definition_id, 0))
    bulk = [_instance(user_id, definition_id, serial) for serial in (1, 2)]
    uow.instances.add_many(bulk)

    def comparable(instance: NFTInstance) -> dict[str, Any]:
        row = _stored_text(uow, "nft_instances", instance.id)
        for varying in ("id", "serial_number", "unique_instance_id", "nft_origin"):
            del row[varying]
        return row

    assert comparable(single)["acquired_at"] == ("str", "2026-05-01 09:00:00.000000")
    assert comparable(bulk[0]) == comparable(single)
    assert comparable(bulk[1]) == comparable(single)


def test_bulk_result_upsert_stores_exactly_what_a_single_insert_stores(
    sqlite_uow: SqlAlchemyUnitOfWork,
) -> None:
    uow = sqlite_uow
    user_id, definition_id = _catalogue(uow)
    draw_type = uow.draw_types.add(
        PrizeDrawType(internal_name="t", algorithm_key=ALGORITHM, created_at=NOW, updated_at=NOW)
    )
    instances = [_instance(user_id, definition_id, serial) for serial in (0, 1)]
    uow.instances.add_many(instances)

    def result(instance: NFTInstance) -> PrizeDrawResult:
        assert instance.id is not None
        assert draw_type.id is not None
        return PrizeDrawResult(
            draw_type_id=draw_type.id,
            user_id=instance.user_id,
            definition_id=instance.definition_id,
            nft_instance_id=instance.id,
            draw_number="abc",
            threshold_used=1,  # an int: stored as the float column stores it
            evaluated_at=NOW + timedelta(microseconds=5),
        )

    single = uow.draw_results.add(result(instances[0]))
    upserted = result(instances[1])
    uow.draw_results.upsert_many([upserted])

    def comparable(stored: PrizeDrawResult) -> dict[str, Any]:
        row = _stored_text(uow, "prize_draw_results", stored.id)
        del row["id"], row["nft_instance_id"]
        return row

    assert comparable(single)["threshold_used"] == ("float", 1.0)
    assert comparable(upserted) == comparable(single)


# -- in-memory tables: bulk insert and replace behave like row-by-row writes ------------


def _user_table() -> Table[User]:
    return Table(
        "users",
        copy=make_copier(User),
        not_null=("created_at",),
        uniques=(UniqueKey("email", attrgetter("email")),),
        indexes={"nickname": Index(attrgetter("nickname"))},
    )


def test_bulk_insert_raises_the_error_of_the_first_failing_row() -> None:
    table = _user_table()
    rows = [
        User(email="a@x.y", created_at=NOW),
        User(email="b@x.y", created_at=NOW),
        User(email="a@x.y", created_at=None),  # null first, then a taken email
        User(email="b@x.y", created_at=NOW),
    ]
    with pytest.raises(ValidationError, match=r"users.created_at must not be null \(row 3\)"):
        table.insert_many(rows, [])
    assert table.rows == {}
    assert table.next_id == 1


def test_bulk_replace_of_two_rows_swapping_keys_fails_like_successive_replaces() -> None:
    table = _user_table()
    journal: list[Any] = []
    first, second = User(email="a@x.y", created_at=NOW), User(email="b@x.y", created_at=NOW)
    table.insert_many([first, second], journal)
    swapped = [
        User(id=first.id, email="b@x.y", created_at=NOW),
        User(id=second.id, email="a@x.y", created_at=NOW),
    ]
    with pytest.raises(ConflictError, match=r"'b@x\.y' is already taken"):
        table.replace_many(swapped, journal)
    assert [table.rows[i].email for i in (1, 2)] == ["a@x.y", "b@x.y"]


def test_bulk_replace_of_one_row_twice_keeps_the_last_and_undoes_completely() -> None:
    table = _user_table()
    journal: list[Any] = []
    table.insert_many([User(email="a@x.y", nickname="old", created_at=NOW)], journal)
    mark = len(journal)
    table.replace_many(
        [
            User(id=1, email="c@x.y", nickname="mid", created_at=NOW),
            User(id=1, email="d@x.y", nickname="new", created_at=NOW),
        ],
        journal,
    )
    assert table.rows[1].email == "d@x.y"
    assert table.owner("email", "d@x.y") == 1
    assert table.indexes["nickname"].ids("new") == [1]
    while len(journal) > mark:
        journal.pop()()
    assert table.rows[1].nickname == "old"
    assert table.owners("email") == {"a@x.y": 1}
    assert table.indexes["nickname"].members == {"old": 1}


@settings(max_examples=100)
@given(st.lists(st.one_of(st.none(), st.integers(0, 3)), max_size=40))
def test_index_add_many_equals_adding_one_by_one(keys: list[int | None]) -> None:
    bulk, single = Index(lambda row: row), Index(lambda row: row)
    ids = list(range(1, len(keys) + 1))
    bulk.add_many(keys, ids)
    for key, row_id in zip(keys, ids, strict=True):
        single.add(key, row_id)
    assert bulk.members == single.members


# -- a ranked draw prunes per batch, and still ranks like ranking everything -----------


def _draw_population(uow: InMemoryUnitOfWork, clock: FixedClock) -> PrizeDrawType:
    """Thirty users, each holding a pass and nine venues (so every card is complete), and
    a draw type without threshold (every result is ranked) with a winning number."""
    admin = register_admin(uow, Admin(email="a@x.y", password_hash="h"), clock=clock)

    def define(prefix: str, *, trigger: bool = False) -> NFTDefinition:
        spec = NFTDefinition(
            prefix=prefix,
            shared_key=prefix,
            name=prefix,
            triggers_bingo_card=trigger,
            bingo_random_candidate=not trigger,
            created_by_admin_id=admin.id,
        )
        return create_nft_definition(uow, spec, clock=clock)

    badges = [define("PASS", trigger=True), *(define(f"V{n}") for n in range(9))]
    grants: list[tuple[User, NFTDefinition, str]] = []
    for n in range(30):
        user = uow.users.add(User(in_app_id=f"u{n}", created_at=NOW, updated_at=NOW))
        grants.extend((user, badge, f"origin-{n}-{k}") for k, badge in enumerate(badges))
    issue_instances(uow, grants, rng=random.Random(3), clock=clock)
    draw_type = create_prize_draw_type(
        uow, PrizeDrawType(internal_name="line", algorithm_key=ALGORITHM), clock=clock
    )
    # The hash of "win-2" lies in the lowest twentieth: draw numbers hashing above 0.65
    # of the range score exactly 0.0, which makes ties.
    submit_winning_number(uow, draw_type, "WIN-2", clock=clock)
    return draw_type


def test_ranked_draw_pruned_per_batch_equals_ranking_all_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(draws_module, "BATCH_SIZE", 7)
    clock = FixedClock(NOW)
    with InMemoryUnitOfWork(InMemoryStore()) as uow:
        draw_type = _draw_population(uow, clock)
        assert draw_type.id is not None
        everything = run_bingo_prize_draw(uow, draw_type, clock=clock)
        scored = sum(1 for r in everything if r.similarity_score)
        for limit in (1, 5, 40, scored + 1):
            ranked = run_bingo_prize_draw(uow, draw_type, clock=clock, limit=limit)
            stored = uow.draw_results.list_for_draw_type(draw_type.id)
            assert [r.id for r in ranked] == [r.id for r in rank_with_ties(stored, limit)]
    assert len(everything) == 270  # eight venues and the pass on each card
    assert len(ranked) > scored + 1  # the cutoff fell among the 0.0 scores: ties kept
