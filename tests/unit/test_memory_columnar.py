"""The in-memory adapter's columnar parts: results stored as segments of columns, the
column mirror of instances and the index of cards by completed lines. Each must read
exactly as the rows it stands for, after writes and after rollbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.adapters.memory.columnar import SegmentedRows
from nictbw.domain.entities import (
    CELL_UNLOCKED,
    INSTANCE_REVOKED,
    OUTCOME_LOSE,
    OUTCOME_WIN,
    BingoCard,
    BingoCell,
    CandidateColumns,
    DrawResultColumns,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.scoring import ProximityScores, TopDigits, known_draw_number

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
USERS, DEFINITIONS = 3, 9


@attrs.define
class World:
    store: InMemoryStore
    instances: list[int]
    draw_type_id: int
    number_id: int

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)


@pytest.fixture
def world() -> World:
    return new_world()


def new_world() -> World:
    """Three users, nine definitions, 27 instances, a draw type and its winning number."""
    store = InMemoryStore()
    with InMemoryUnitOfWork(store) as uow:
        users = [User(in_app_id=f"u{n}", created_at=T0, updated_at=T0) for n in range(USERS)]
        for u in users:
            uow.users.add(u)
        definitions = [
            NFTDefinition(prefix=f"D{n}", shared_key="k", name="n", created_at=T0, updated_at=T0)
            for n in range(DEFINITIONS)
        ]
        for d in definitions:
            uow.definitions.add(d)
        user_ids = [u.id for u in users if u.id is not None]
        definition_ids = [d.id for d in definitions if d.id is not None]
        instances = [
            NFTInstance(
                user_id=user_ids[n % USERS],
                definition_id=definition_ids[n // USERS],
                serial_number=n + 1,
                unique_instance_id=f"I-{n}",
                acquired_at=T0,
                nft_origin=f"{n:x}_0",
            )
            for n in range(27)
        ]
        uow.instances.add_many(instances)
        draw_type = uow.draw_types.add(
            PrizeDrawType(
                internal_name="t",
                algorithm_key="sha256_hex_proximity",
                created_at=T0,
                updated_at=T0,
            )
        )
        assert draw_type.id is not None
        number = uow.winning_numbers.add(
            PrizeDrawWinningNumber(draw_type_id=draw_type.id, value="abc", created_at=T0)
        )
        uow.commit()
    assert number.id is not None
    return World(store, [i.id for i in instances if i.id is not None], draw_type.id, number.id)


def columns(world: World, rows: int, *, lazy: bool = False) -> DrawResultColumns:
    with world.uow() as uow:
        stored = [uow.instances.get(i) for i in world.instances[:rows]]
    values = [n * 7919 for n in range(rows)]
    return DrawResultColumns(
        draw_type_id=world.draw_type_id,
        winning_number_id=world.number_id,
        winning_top_digits="0123456789",
        threshold_used=0.5,
        evaluated_at=T0,
        user_ids=[i.user_id for i in stored if i is not None],
        definition_ids=[i.definition_id for i in stored if i is not None],
        nft_instance_ids=world.instances[:rows],
        draw_numbers=[f"d{n}" for n in range(rows)],
        similarity_scores=ProximityScores(values, 5) if lazy else [n / 100 for n in range(rows)],
        draw_top_digits=TopDigits(values) if lazy else [f"{n:010d}" for n in range(rows)],
        outcomes=[OUTCOME_WIN if n % 2 else OUTCOME_LOSE for n in range(rows)],
    )


@pytest.mark.parametrize("lazy", [False, True])
def test_a_stored_segment_reads_as_its_rows(world: World, lazy: bool) -> None:
    given = columns(world, 20, lazy=lazy)
    with world.uow() as uow:
        ids = uow.draw_results.upsert_columns(given)
        uow.commit()
    expected = [given.result(row, result_id) for row, result_id in enumerate(ids)]
    with world.uow() as uow:
        results = uow.draw_results
        assert results.list_for_draw_type(world.draw_type_id) == expected
        assert results.list() == expected
        assert results.get(ids[3]) == expected[3]
        assert results.get_many(ids[:2]) == {ids[0]: expected[0], ids[1]: expected[1]}
        page = results.page_for_draw(world.draw_type_id, world.number_id, after=None, size=5)
        assert page == expected[:5]
        copy = results.get(ids[3])
        assert copy is not None
        copy.outcome = OUTCOME_LOSE
        assert results.get(ids[3]) == expected[3]


def test_overwriting_a_segment_row_and_rolling_back(world: World) -> None:
    given = columns(world, 10)
    with world.uow() as uow:
        ids = uow.draw_results.upsert_columns(given)
        uow.commit()
    changed = attrs.evolve(given.result(4, ids[4]), outcome=OUTCOME_WIN, similarity_score=0.9)
    with world.uow() as uow:
        uow.draw_results.update(changed)
        again = uow.draw_results.upsert_columns(columns(world, 10))
        assert again == ids
        uow.draw_results.update(changed)
        assert uow.draw_results.get(ids[4]) == changed
        assert len(uow.draw_results.list()) == 10
        uow.rollback()
        assert uow.draw_results.get(ids[4]) == given.result(4, ids[4])


def test_a_rolled_back_segment_leaves_nothing(world: World) -> None:
    with world.uow() as uow:
        first = uow.draw_results.upsert_columns(columns(world, 12))
        uow.rollback()
        assert uow.draw_results.list() == []
        assert uow.draw_results.list_for_draw_type(world.draw_type_id) == []
        assert uow.draw_results.upsert_columns(columns(world, 12)) == first
        uow.commit()
    with world.uow() as uow:
        assert len(uow.draw_results.list()) == 12


def test_a_batch_repeating_a_key_takes_the_row_by_row_path(world: World) -> None:
    given = columns(world, 6)
    twice = attrs.evolve(
        given,
        nft_instance_ids=[*given.nft_instance_ids[:5], given.nft_instance_ids[0]],
    )
    with world.uow() as uow:
        ids = uow.draw_results.upsert_columns(twice)
        assert ids[0] == ids[5]
        assert len(uow.draw_results.list()) == 5


def test_segmented_rows_behave_as_a_mapping() -> None:
    rows = SegmentedRows()
    result = PrizeDrawResult(
        draw_type_id=1, user_id=1, definition_id=1, nft_instance_id=1, draw_number="x"
    )
    rows[1] = result
    assert list(rows) == [1]
    assert len(rows) == 1
    del rows[1]
    assert 1 not in rows
    assert len(rows) == 0
    with pytest.raises(KeyError):
        del rows[1]
    with pytest.raises(KeyError):
        rows[2]


def test_the_column_mirror_follows_instance_writes_and_rollbacks(world: World) -> None:
    def mirrored(uow: InMemoryUnitOfWork) -> None:
        mirror = uow.store.instances.indexes["candidate columns"]
        from_mirror = mirror.candidate_columns(list(world.instances))  # type: ignore[attr-defined]
        from_rows = CandidateColumns.of_rows(
            [
                (i.id, i.user_id, i.definition_id, i.nft_origin, i.status)
                for i in uow.instances.list()
            ]
        )
        assert from_mirror == from_rows
        assert from_mirror.draw_numbers == [
            None if origin is None else known_draw_number(origin)
            for origin in from_rows.nft_origins
        ]

    with world.uow() as uow:
        mirrored(uow)
        changed = uow.instances.get(world.instances[2])
        assert changed is not None
        changed.status = INSTANCE_REVOKED
        changed.nft_origin = None
        uow.instances.update(changed)
        mirrored(uow)
        uow.rollback()
        mirrored(uow)
        for origin in ("  ABC_0 ", "caf\u00e9", "x_1", "X_2"):
            changed = uow.instances.get(world.instances[3])
            assert changed is not None
            changed.nft_origin = origin
            uow.instances.update(changed)
            mirrored(uow)
        uow.rollback()
        mirrored(uow)


def test_the_index_of_completed_lines_follows_card_writes_and_rollbacks(world: World) -> None:
    def consistent(uow: InMemoryUnitOfWork, at: datetime) -> None:
        walked = CandidateColumns.of(uow.bingo_cards.completed_line_candidates(at))
        assert uow.bingo_cards.completed_line_candidate_columns(at) == walked

    with world.uow() as uow:
        instances = uow.instances.list()
        user_id = instances[0].user_id
        held = [i for i in instances if i.user_id == user_id]
        card = BingoCard(
            user_id=user_id,
            center_definition_id=held[4].definition_id,
            issued_at=T0,
            expiry=T0 + timedelta(hours=1),
            cells=[
                BingoCell(
                    idx=idx,
                    target_definition_id=instance.definition_id,
                    state=CELL_UNLOCKED if idx in (0, 1, 2, 4) else "locked",
                    unlocked_at=T0 if idx in (0, 1, 2, 4) else None,
                    matched_nft_instance_id=instance.id if idx in (0, 1, 2, 4) else None,
                    definition_id=instance.definition_id if idx in (0, 1, 2, 4) else None,
                )
                for idx, instance in enumerate(held[:9])
            ],
        )
        uow.bingo_cards.add(card)
        consistent(uow, T0)
        assert len(uow.bingo_cards.completed_line_candidate_columns(T0)) == 3
        assert len(uow.bingo_cards.completed_line_candidate_columns(T0 + timedelta(hours=1))) == 0
        uow.commit()
        stored = uow.bingo_cards.list_for_user(user_id)[0]
        stored.cells[0].state = "locked"
        stored.cells[0].unlocked_at = None
        stored.cells[0].matched_nft_instance_id = None
        stored.cells[0].definition_id = None
        uow.bingo_cards.update(stored)
        consistent(uow, T0)
        assert len(uow.bingo_cards.completed_line_candidate_columns(T0)) == 0
        uow.rollback()
        consistent(uow, T0)
        assert len(uow.bingo_cards.completed_line_candidate_columns(T0)) == 3


def test_batches_of_one_draw_are_segments_until_a_key_repeats(world: World) -> None:
    every = columns(world, 12)

    def rows(start: int, stop: int, tag: str) -> DrawResultColumns:
        return attrs.evolve(
            every,
            user_ids=every.user_ids[start:stop],
            definition_ids=every.definition_ids[start:stop],
            nft_instance_ids=every.nft_instance_ids[start:stop],
            draw_numbers=[f"{tag}{n}" for n in range(start, stop)],
            similarity_scores=None,
            draw_top_digits=None,
            outcomes=every.outcomes[start:stop],
        )

    with world.uow() as uow:
        first = uow.draw_results.upsert_columns(rows(0, 4, "a"))
        second = uow.draw_results.upsert_columns(rows(4, 8, "a"))
        assert second == [first[-1] + n for n in range(1, 5)]
        uow.commit()
        third = uow.draw_results.upsert_columns(rows(6, 10, "b"))
        assert third[:2] == second[2:]
        assert [r.draw_number for r in uow.draw_results.list()] == [
            *(f"a{n}" for n in range(6)),
            "b6",
            "b7",
            "b8",
            "b9",
        ]
        uow.rollback()
        assert [r.draw_number for r in uow.draw_results.list()] == [f"a{n}" for n in range(8)]
        fourth = uow.draw_results.upsert_columns(rows(8, 12, "c"))
        assert fourth == [second[-1] + n for n in range(1, 5)]
        uow.rollback()
        assert len(uow.draw_results.list_for_draw_type(world.draw_type_id)) == 8


def test_the_same_draw_evaluated_again_overwrites_its_segment_in_place(world: World) -> None:
    first = columns(world, 10)
    again = attrs.evolve(first, draw_numbers=[f"again{n}" for n in range(10)], threshold_used=0.8)
    with world.uow() as uow:
        ids = uow.draw_results.upsert_columns(first)
        uow.commit()
        assert uow.draw_results.upsert_columns(again) == ids
        assert uow.draw_results.list() == [again.result(n, i) for n, i in enumerate(ids)]
        uow.rollback()
        assert uow.draw_results.list() == [first.result(n, i) for n, i in enumerate(ids)]
        shuffled = attrs.evolve(again, nft_instance_ids=again.nft_instance_ids[::-1])
        assert uow.draw_results.upsert_columns(shuffled) == ids[::-1]
        assert uow.draw_results.get(ids[0]) == shuffled.result(9, ids[0])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.integers(0, 26), min_size=1, max_size=9).map(
            lambda rows: rows if len(rows) % 2 else sorted(set(rows))
        ),
        min_size=1,
        max_size=4,
    )
)
def test_batches_in_any_order_store_what_row_by_row_upserts_store(
    batches: list[list[int]],
) -> None:
    """Batches of one draw, their instance ids ascending or not, repeated or overlapping
    or not: segments (ascending ids are checked by their span) or the row-by-row path,
    the stored rows and ids are those ``upsert_many`` gives."""
    stores = new_world(), new_world()
    every = columns(stores[0], 27)
    got: list[list[list[int | None]]] = [[], []]
    for world, ids_of in zip(stores, got, strict=True):
        with world.uow() as uow:
            for number, rows in enumerate(batches):
                batch = attrs.evolve(
                    every,
                    user_ids=[every.user_ids[r] for r in rows],
                    definition_ids=[every.definition_ids[r] for r in rows],
                    nft_instance_ids=[every.nft_instance_ids[r] for r in rows],
                    draw_numbers=[f"b{number}r{r}" for r in rows],
                    similarity_scores=None,
                    draw_top_digits=None,
                    outcomes=[every.outcomes[r] for r in rows],
                )
                if world is stores[0]:
                    ids_of.append(list(uow.draw_results.upsert_columns(batch)))
                else:
                    results = batch.results()
                    uow.draw_results.upsert_many(results)
                    ids_of.append([result.id for result in results])
            uow.commit()
    assert got[0] == got[1]
    with stores[0].uow() as first, stores[1].uow() as second:
        assert first.draw_results.list() == second.draw_results.list()
        draw = (stores[0].draw_type_id, stores[0].number_id)
        assert first.draw_results.list_for_draw_type(*draw) == (
            second.draw_results.list_for_draw_type(*draw)
        )
