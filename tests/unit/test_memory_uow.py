"""The in-memory unit of work: undo-log rollback, id sequences, copies, the store lock."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.domain.entities import (
    CELL_LOCKED,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    OUTCOME_WIN,
    BingoCard,
    BingoCell,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import ConflictError, NictbwError, NotFoundError, ValidationError

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def user(name: str | None, **changes: Any) -> User:
    return User(in_app_id=name, created_at=T0, updated_at=T0, **changes)


def definition(prefix: str, **changes: Any) -> NFTDefinition:
    return NFTDefinition(
        prefix=prefix, shared_key="k", name="n", created_at=T0, updated_at=T0, **changes
    )


def instance(user_id: int, definition_id: int, serial: int, **changes: Any) -> NFTInstance:
    fields: dict[str, Any] = {
        "user_id": user_id,
        "definition_id": definition_id,
        "serial_number": serial,
        "unique_instance_id": f"U-{definition_id}-{serial}",
        "acquired_at": T0,
    }
    fields.update(changes)
    return NFTInstance(**fields)


def card(user_id: int, targets: list[int]) -> BingoCard:
    cells = [BingoCell(idx=i, target_definition_id=t) for i, t in enumerate(targets)]
    return BingoCard(user_id=user_id, center_definition_id=targets[4], issued_at=T0, cells=cells)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def fresh(store: InMemoryStore) -> Callable[[], InMemoryUnitOfWork]:
    return lambda: InMemoryUnitOfWork(store)


def in_app_ids(fresh: Callable[[], InMemoryUnitOfWork]) -> list[str | None]:
    with fresh() as uow:
        return [u.in_app_id for u in uow.users.list()]


def catalogue(
    fresh: Callable[[], InMemoryUnitOfWork], users: int = 1
) -> tuple[list[int], list[int]]:
    """Committed users and ten definitions; returns their ids."""
    with fresh() as uow:
        user_ids = [uow.users.add(user(f"u{n}")).id for n in range(users)]
        definition_ids = [uow.definitions.add(definition(f"D{n}")).id for n in range(10)]
        uow.commit()
    return [i for i in user_ids if i is not None], [i for i in definition_ids if i is not None]


# -- rollback ----------------------------------------------------------------------------


def test_leaving_by_an_exception_rolls_back(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    def fail() -> None:
        with fresh() as uow:
            uow.users.add(user("a"))
            raise KeyError("boom")

    with pytest.raises(KeyError):
        fail()
    assert in_app_ids(fresh) == []


def test_leaving_without_commit_rolls_back(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    with fresh() as uow:
        uow.users.add(user("a"))
    assert in_app_ids(fresh) == []


def test_an_exception_after_commit_keeps_the_committed_part(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    def commit_then_fail() -> None:
        with fresh() as uow:
            uow.users.add(user("kept"))
            uow.commit()
            uow.users.add(user("lost"))
            raise KeyError("boom")

    with pytest.raises(KeyError):
        commit_then_fail()
    assert in_app_ids(fresh) == ["kept"]


def test_rollback_undoes_updates_and_serial_reservations(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    user_ids, definition_ids = catalogue(fresh)
    with fresh() as uow:
        before_user = uow.users.get(user_ids[0])
        before_definition = uow.definitions.get(definition_ids[0])
        assert before_user is not None
        assert before_definition is not None
        uow.users.update(attrs.evolve(before_user, in_app_id="renamed", nickname="x"))
        uow.definitions.update(attrs.evolve(before_definition, prefix="NEW"))
        uow.definitions.reserve_serials(definition_ids[0], 5, enforce_supply=False)
        uow.rollback()
        assert uow.users.get(user_ids[0]) == before_user
        assert uow.users.get_by_in_app_id("renamed") is None
        assert uow.users.get_by_in_app_id("u0") == before_user
        assert uow.definitions.get_by_prefix("D0") == before_definition
        assert uow.definitions.get_by_prefix("NEW") is None


def test_rolled_back_ids_are_handed_out_again(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    with fresh() as uow:
        uow.users.add(user("a"))
        uow.commit()
    with fresh() as uow:
        discarded = uow.users.add(user("b")).id
    with fresh() as uow:
        assert uow.users.add(user("c")).id == discarded


def test_rolled_back_card_and_cell_ids_are_handed_out_again(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    user_ids, definition_ids = catalogue(fresh)
    first = card(user_ids[0], definition_ids[:9])
    with fresh() as uow:
        uow.bingo_cards.add(first)
    second = card(user_ids[0], definition_ids[:9])
    with fresh() as uow:
        uow.bingo_cards.add(second)
    assert second.id == first.id
    assert [c.id for c in second.cells] == [c.id for c in first.cells]


def test_ids_after_a_commit_continue_the_sequence(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    with fresh() as uow:
        a = uow.users.add(user("a"))
        uow.commit()
        b = uow.users.add(user("b"))
    assert a.id is not None
    assert b.id == a.id + 1


def fail_in_savepoint(uow: InMemoryUnitOfWork, body: Callable[[], None]) -> None:
    """Run ``body`` in a savepoint, then leave it by a ``KeyError``."""
    with uow.savepoint():
        body()
        raise KeyError("boom")


def test_a_commit_inside_a_savepoint_ends_it(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    with fresh() as uow:
        uow.users.add(user("before"))

        def commit_midway() -> None:
            uow.users.add(user("committed"))
            uow.commit()
            uow.users.add(user("after"))

        with pytest.raises(KeyError):
            fail_in_savepoint(uow, commit_midway)
        assert [u.in_app_id for u in uow.users.list()] == ["before", "committed"]


def test_a_rollback_inside_a_savepoint_ends_it(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    with fresh() as uow:
        uow.users.add(user("kept"))
        uow.commit()
        uow.users.add(user("rolled back"))

        def roll_back_midway() -> None:
            uow.rollback()
            uow.users.add(user("after"))

        with pytest.raises(KeyError):
            fail_in_savepoint(uow, roll_back_midway)
        assert [u.in_app_id for u in uow.users.list()] == ["kept"]


# -- one failed statement ------------------------------------------------------------------


def test_failed_add_many_stores_none_and_the_unit_of_work_goes_on(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    user_ids, definition_ids = catalogue(fresh)
    batch = [instance(user_ids[0], definition_ids[0], n) for n in (0, 1, 1)]
    with fresh() as uow:
        with pytest.raises(ConflictError, match=r"\(definition_id, serial_number\)"):
            uow.instances.add_many(batch)
        assert [i.id for i in batch] == [None, None, None]
        kept = instance(user_ids[0], definition_ids[0], 0)
        uow.instances.add(kept)
        uow.commit()
    with fresh() as uow:
        assert uow.instances.list() == [kept]


def test_failed_card_add_stores_no_card_and_uses_no_cell_ids(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    user_ids, definition_ids = catalogue(fresh)
    bad = card(user_ids[0], definition_ids[:9])
    bad.cells[8].target_definition_id = 999
    good = card(user_ids[0], definition_ids[:9])
    with fresh() as uow:
        with pytest.raises(ConflictError, match="target_definition_id 999"):
            uow.bingo_cards.add(bad)
        assert bad.id is None
        uow.bingo_cards.add(good)
        assert [c.id for c in good.cells] == list(range(1, 10))
        assert uow.bingo_cards.list() == [good]


def test_failed_update_many_restores_the_rows_it_already_wrote(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    user_ids, definition_ids = catalogue(fresh)
    rows = [instance(user_ids[0], definition_ids[0], n) for n in range(3)]
    with fresh() as uow:
        uow.instances.add_many(rows)
        uow.commit()
    changed = [attrs.evolve(r, status=INSTANCE_TRANSFERRED) for r in rows]
    changed[2].status = "lost"
    with fresh() as uow:
        with pytest.raises(ValidationError, match="'lost'"):
            uow.instances.update_many(changed)
        assert [i.status for i in uow.instances.list()] == [INSTANCE_SUCCEEDED] * 3


def test_failed_upsert_many_restores_overwritten_results(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    user_ids, definition_ids = catalogue(fresh)
    with fresh() as uow:
        held = instance(user_ids[0], definition_ids[0], 0)
        uow.instances.add(held)
        draw_type = uow.draw_types.add(
            PrizeDrawType(internal_name="d", algorithm_key="a", created_at=T0, updated_at=T0)
        )
        assert held.id is not None
        assert draw_type.id is not None
        result = PrizeDrawResult(
            draw_type_id=draw_type.id,
            user_id=user_ids[0],
            definition_id=definition_ids[0],
            nft_instance_id=held.id,
            draw_number="x",
            evaluated_at=T0,
        )
        uow.draw_results.upsert_many([result])
        uow.commit()
    overwrite = attrs.evolve(result, id=None, outcome=OUTCOME_WIN, draw_number="y")
    broken = attrs.evolve(result, id=None, user_id=999)
    with fresh() as uow:
        with pytest.raises(ConflictError):
            uow.draw_results.upsert_many([overwrite, broken])
        assert uow.draw_results.list() == [result]
        assert overwrite.id is None


# -- copies ------------------------------------------------------------------------------


def test_add_stores_a_copy_and_sets_the_id_on_the_given_object(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    given_user = user("a")
    with fresh() as uow:
        returned = uow.users.add(given_user)
        given_user.nickname = "changed later"
        stored = uow.users.get(1)
    assert returned is given_user
    assert given_user.id == 1
    assert stored is not None
    assert stored.nickname is None


def test_each_read_returns_a_fresh_object(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    with fresh() as uow:
        uow.users.add(user("a"))
        first = uow.users.get(1)
        second = uow.users.get_by_in_app_id("a")
        listed = uow.users.list()[0]
    assert first == second == listed
    assert first is not second
    assert second is not listed


def test_card_reads_copy_the_cells(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    user_ids, definition_ids = catalogue(fresh)
    with fresh() as uow:
        added = uow.bingo_cards.add(card(user_ids[0], definition_ids[:9]))
        added.cells[0].state = "changed"
        read = uow.bingo_cards.get(added.id or 0)
        assert read is not None
        read.cells[1].state = "changed"
        again = uow.bingo_cards.get(added.id or 0)
    assert again is not None
    assert {c.state for c in again.cells} == {CELL_LOCKED}


def test_json_fields_are_copied_on_the_way_in(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    user_ids, definition_ids = catalogue(fresh)
    meta: dict[str, Any] = {"list": [1]}
    with fresh() as uow:
        added = uow.instances.add(instance(user_ids[0], definition_ids[0], 0, other_meta=meta))
        meta["list"].append(2)
        stored = uow.instances.get(added.id or 0)
    assert stored is not None
    assert stored.other_meta == {"list": [1]}


def test_json_fields_read_back_as_json_text_would_give_them(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    user_ids, definition_ids = catalogue(fresh)
    meta: dict[Any, Any] = {"pair": (1, 2), 3: "three"}
    with fresh() as uow:
        added = uow.instances.add(instance(user_ids[0], definition_ids[0], 0, other_meta=meta))
        stored = uow.instances.get(added.id or 0)
    assert stored is not None
    assert stored.other_meta == {"pair": [1, 2], "3": "three"}


def test_a_json_field_json_cannot_hold_is_refused(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    with fresh() as uow:
        draw_type = uow.draw_types.add(
            PrizeDrawType(internal_name="d", algorithm_key="a", created_at=T0, updated_at=T0)
        )
        number = PrizeDrawWinningNumber(
            draw_type_id=draw_type.id or 0, value="v", metadata={"when": T0}, created_at=T0
        )
        with pytest.raises(ValidationError, match="metadata"):
            uow.winning_numbers.add(number)


def test_datetimes_are_stored_in_utc_and_naive_ones_taken_as_utc(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    tokyo = timezone(timedelta(hours=9))
    with fresh() as uow:
        uow.users.add(
            User(
                in_app_id="a",
                created_at=datetime(2026, 5, 1, 18, 0, tzinfo=tokyo),
                updated_at=datetime(2026, 5, 1, 9, 0),
            )
        )
        stored = uow.users.get(1)
    assert stored is not None
    assert stored.created_at == T0
    assert stored.created_at is not None
    assert stored.created_at.tzinfo is UTC
    assert stored.updated_at == T0


# -- misuse ------------------------------------------------------------------------------


def test_repositories_refuse_use_before_the_block(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    uow = fresh()
    with pytest.raises(RuntimeError, match="not active"):
        uow.users.list()


def test_repositories_refuse_use_after_the_block(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    with fresh() as uow:
        pass
    with pytest.raises(RuntimeError, match="not active"):
        uow.users.add(user("a"))


@pytest.mark.parametrize("method", ["commit", "rollback"])
def test_commit_and_rollback_refuse_use_outside_the_block(
    fresh: Callable[[], InMemoryUnitOfWork], method: str
) -> None:
    with pytest.raises(RuntimeError, match="not active"):
        getattr(fresh(), method)()


def test_entering_an_active_unit_of_work_again_fails(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    with fresh() as uow, pytest.raises(RuntimeError, match="already inside"):
        uow.__enter__()


def test_a_unit_of_work_can_be_entered_again_after_leaving(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    uow = fresh()
    with uow:
        uow.users.add(user("a"))
        uow.commit()
    with uow:
        uow.users.add(user("b"))
        uow.commit()
    assert in_app_ids(fresh) == ["a", "b"]


def test_add_refuses_an_entity_that_already_has_an_id(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    with fresh() as uow, pytest.raises(ValidationError, match="user 5"):
        uow.users.add(user("a", id=5))


def test_card_update_with_a_cell_of_another_card_is_not_found(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    user_ids, definition_ids = catalogue(fresh, users=2)
    with fresh() as uow:
        first = uow.bingo_cards.add(card(user_ids[0], definition_ids[:9]))
        second = uow.bingo_cards.add(card(user_ids[1], definition_ids[:9]))
        first.cells[0] = second.cells[0]
        with pytest.raises(NotFoundError, match="not a cell of card"):
            uow.bingo_cards.update(first)


def test_error_messages_name_the_key_and_value(fresh: Callable[[], InMemoryUnitOfWork]) -> None:
    with fresh() as uow:
        uow.users.add(user("a", email="a@example.org"))
        with pytest.raises(ConflictError, match=r"users email 'a@example\.org' is already taken"):
            uow.users.add(user("b", email="A@example.org"))


# -- threads -----------------------------------------------------------------------------


def test_a_second_thread_waits_for_the_first_unit_of_work(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    holding = threading.Event()
    release = threading.Event()
    entered = threading.Event()

    def first() -> None:
        with fresh() as uow:
            uow.users.add(user("first"))
            holding.set()
            release.wait(5)
            uow.commit()

    def second() -> None:
        holding.wait(5)
        with fresh() as uow:
            entered.set()
            uow.users.add(user("second"))
            uow.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert holding.wait(5)
    assert not entered.wait(0.2)
    release.set()
    for thread in threads:
        thread.join(5)
    assert entered.is_set()
    assert in_app_ids(fresh) == ["first", "second"]


def test_concurrent_read_modify_write_loses_no_update(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    with fresh() as uow:
        counter = uow.users.add(user("counter", nickname="0"))
        uow.commit()
    counter_id = counter.id or 0

    def bump(times: int) -> None:
        for _ in range(times):
            with fresh() as uow:
                stored = uow.users.get(counter_id)
                assert stored is not None
                value = int(stored.nickname or "0")
                time.sleep(0)
                stored.nickname = str(value + 1)
                uow.users.update(stored)
                uow.commit()

    threads = [threading.Thread(target=bump, args=(50,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    with fresh() as uow:
        stored = uow.users.get(counter_id)
    assert stored is not None
    assert stored.nickname == "200"


def test_concurrent_serial_reservations_never_repeat(
    fresh: Callable[[], InMemoryUnitOfWork],
) -> None:
    _, definition_ids = catalogue(fresh)
    seen: list[int] = []

    def reserve(times: int) -> None:
        for _ in range(times):
            with fresh() as uow:
                old = uow.definitions.reserve_serials(definition_ids[0], 1, enforce_supply=False)
                assert old is not None
                uow.commit()
            seen.append(old)

    threads = [threading.Thread(target=reserve, args=(50,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(seen) == list(range(200))


# -- property: rollback and failed statements restore the exact state -----------------------

NAMES = st.sampled_from(["a", "b", "c", None])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add_user"), NAMES),
        st.tuples(st.just("rename_user"), st.integers(1, 4), NAMES),
        st.tuples(st.just("reserve"), st.integers(-1, 3), st.booleans()),
        st.tuples(st.just("issue"), st.integers(0, 3), st.sampled_from(["o1", "o2", None])),
        st.tuples(st.just("transfer"), st.integers(1, 4), st.booleans()),
    ),
    max_size=12,
)


def snapshot(uow: InMemoryUnitOfWork) -> tuple[Any, ...]:
    store = uow.store
    return (
        uow.users.list(),
        uow.definitions.list(),
        uow.instances.list(),
        {name: uow.instances.list_by_origins([name]) for name in ("o1", "o2")},
        uow.instances.list_for_user(1),
        uow.instances.list_for_user(2),
        store.users.next_id,
        store.instances.next_id,
    )


def apply(uow: InMemoryUnitOfWork, operation: tuple[Any, ...]) -> None:
    kind = operation[0]
    if kind == "add_user":
        uow.users.add(user(operation[1]))
    elif kind == "rename_user":
        stored = uow.users.get(operation[1])
        if stored is not None:
            uow.users.update(attrs.evolve(stored, in_app_id=operation[2]))
    elif kind == "reserve":
        uow.definitions.reserve_serials(1, operation[1], enforce_supply=operation[2])
    elif kind == "issue":
        uow.instances.add(
            instance(
                1, 1, operation[1], unique_instance_id=f"U-{operation[1]}", nft_origin=operation[2]
            )
        )
    elif kind == "transfer":
        found = uow.instances.get(operation[1])
        if found is not None:
            status = INSTANCE_TRANSFERRED if operation[2] else INSTANCE_SUCCEEDED
            uow.instances.update(attrs.evolve(found, status=status, user_id=2))


@settings(max_examples=60, deadline=None)
@given(committed=OPERATIONS, discarded=OPERATIONS)
def test_failed_statements_and_rollback_restore_the_exact_state(
    committed: list[tuple[Any, ...]], discarded: list[tuple[Any, ...]]
) -> None:
    store = InMemoryStore()
    with InMemoryUnitOfWork(store) as uow:
        uow.users.add(user("base-1"))
        uow.users.add(user("base-2"))
        uow.definitions.add(definition("D", max_supply=4))
        for operation in committed:
            with contextlib.suppress(NictbwError):
                apply(uow, operation)
        uow.commit()
        before = snapshot(uow)
        for operation in discarded:
            prior = snapshot(uow)
            try:
                apply(uow, operation)
            except NictbwError:
                assert snapshot(uow) == prior
        uow.rollback()
        assert snapshot(uow) == before
    with InMemoryUnitOfWork(store) as uow:
        assert snapshot(uow) == before
