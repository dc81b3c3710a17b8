"""``bingo_cards.unlocked_mask`` equals the mask of the card's unlocked cells after any
sequence of writes: card inserts, full and partial card updates, the legacy row importer;
the bingo-line candidates read from it equal the in-memory adapter's."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.adapters.sqlalchemy.importing import SqlRowImporter
from nictbw.adapters.sqlalchemy.tables import bingo_cards
from nictbw.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from nictbw.domain.entities import BingoCard, BingoCell, NFTDefinition, NFTInstance, User
from nictbw.ports import UnitOfWork
from tests.conftest import postgres_url_or_skip
from tests.sql_backends import SqlUowFactory, postgres_uow_factory, sqlite_uow_factory
from tests.support.sql import mismatched_card_masks

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
CELLS = range(9)

# One step: ("all", idx states) writes every cell; ("some", {idx: state}) writes only
# those cells of the card (the others keep their stored values).
states = st.lists(st.booleans(), min_size=9, max_size=9)
steps = st.one_of(
    st.tuples(st.just("all"), states),
    st.tuples(st.just("some"), st.dictionaries(st.sampled_from(CELLS), st.booleans())),
)


@contextmanager
def open_store(backend: str) -> Iterator[SqlUowFactory]:
    """A clean SQL store of ``backend`` (checked for mismatched masks when it closes)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder, sqlite_uow_factory(Path(folder)) as made:
            yield made
    else:
        with postgres_uow_factory(postgres_url_or_skip()) as made:
            yield made


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_backend(request: pytest.FixtureRequest) -> str:
    """The SQL backend under test."""
    return str(request.param)


def add_world(uow: UnitOfWork) -> tuple[int, list[int], list[int]]:
    """A user, nine definitions and one instance of each held by the user."""
    user = uow.users.add(User(in_app_id="mask", created_at=NOW, updated_at=NOW))
    definitions = [
        uow.definitions.add(
            NFTDefinition(
                prefix=f"M{i}", shared_key="k", name=f"M{i}", created_at=NOW, updated_at=NOW
            )
        ).id
        or 0
        for i in CELLS
    ]
    instances = [
        NFTInstance(
            user_id=user.id or 0,
            definition_id=definition_id,
            serial_number=1,
            unique_instance_id=f"ID-{definition_id}",
            acquired_at=NOW,
        )
        for definition_id in definitions
    ]
    uow.instances.add_many(instances)
    return user.id or 0, definitions, [instance.id or 0 for instance in instances]


def set_state(cell: BingoCell, unlocked: bool, instance_id: int) -> None:
    """Unlock ``cell`` by ``instance_id``, or lock it."""
    cell.state = "unlocked" if unlocked else "locked"
    cell.unlocked_at = NOW if unlocked else None
    cell.definition_id = cell.target_definition_id if unlocked else None
    cell.matched_nft_instance_id = instance_id if unlocked else None


def new_card(
    user_id: int, definitions: list[int], instances: list[int], opened: list[bool]
) -> BingoCard:
    """A new card of ``user_id``, cell idx unlocked where ``opened[idx]``."""
    cells = [BingoCell(idx=idx, target_definition_id=definitions[idx]) for idx in CELLS]
    for cell in cells:
        set_state(cell, opened[cell.idx], instances[cell.idx])
    return BingoCard(
        user_id=user_id, center_definition_id=definitions[4], issued_at=NOW, cells=cells
    )


def stored_mask(uow: SqlAlchemyUnitOfWork, card_id: int) -> int:
    """The ``unlocked_mask`` column of the card row."""
    connection = uow.connection
    query = select(bingo_cards.c.unlocked_mask).where(bingo_cards.c.id == card_id)
    return int(connection.execute(query).scalar_one())


def run_steps(
    factory: SqlUowFactory, first: list[bool], sequence: list[tuple[str, object]]
) -> None:
    """Store a card opened as ``first``, apply ``sequence``; after each write the stored
    mask is the cells' and the candidates are the in-memory adapter's."""
    with factory() as uow:
        user_id, definitions, instances = add_world(uow)
        card = new_card(user_id, definitions, instances, first)
        uow.bingo_cards.add(card)
        uow.commit()
    expected = {idx for idx in CELLS if first[idx]}
    for kind, change in sequence:
        with factory() as uow:
            (stored,) = uow.bingo_cards.list_for_user(user_id)
            if kind == "all":
                assert isinstance(change, list)
                for cell in stored.cells:
                    set_state(cell, change[cell.idx], instances[cell.idx])
                expected = {idx for idx in CELLS if change[idx]}
            else:
                assert isinstance(change, dict)
                stored.cells = [cell for cell in stored.cells if cell.idx in change]
                for cell in stored.cells:
                    set_state(cell, change[cell.idx], instances[cell.idx])
                expected = {idx for idx in expected if change.get(idx, True)} | {
                    idx for idx, opened in change.items() if opened
                }
            uow.bingo_cards.update(stored)
            uow.commit()
        with factory() as uow:
            assert stored_mask(uow, card.id or 0) == sum(1 << idx for idx in expected)
            (again,) = uow.bingo_cards.list_for_user(user_id)
            assert again.unlocked_mask == sum(1 << idx for idx in expected)
            assert uow.bingo_cards.completed_line_candidates(NOW) == memory_candidates(again)
        assert mismatched_card_masks(factory.engine) == []


def memory_candidates(card: BingoCard) -> list[object]:
    """The bingo-line candidates of ``card`` alone on the in-memory adapter."""
    store = InMemoryStore()
    with InMemoryUnitOfWork(store) as uow:
        user_id, definitions, instances = add_world(uow)
        opened = [cell.is_unlocked for cell in sorted(card.cells, key=lambda c: c.idx)]
        uow.bingo_cards.add(new_card(user_id, definitions, instances, opened))
        return list(uow.bingo_cards.completed_line_candidates(NOW))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=states, sequence=st.lists(steps, max_size=6))
def test_sqlite_masks_follow_every_unlock_sequence(
    first: list[bool], sequence: list[tuple[str, object]]
) -> None:
    with open_store("sqlite") as factory:
        run_steps(factory, first, sequence)


@pytest.mark.postgres
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=states, sequence=st.lists(steps, max_size=6))
def test_postgres_masks_follow_every_unlock_sequence(
    first: list[bool], sequence: list[tuple[str, object]]
) -> None:
    with open_store("postgres") as factory:
        run_steps(factory, first, sequence)


def test_imported_cards_get_the_mask_of_their_cells(sql_backend: str) -> None:
    with open_store(sql_backend) as factory:
        with factory() as uow:
            user_id, definitions, instances = add_world(uow)
            uow.commit()
        opened = [idx in (0, 4, 8, 2) for idx in CELLS]
        card = new_card(user_id, definitions, instances, opened)
        card.id = 77
        for n, cell in enumerate(card.cells, 1):
            cell.id = 700 + n
        with factory() as uow:
            importer = SqlRowImporter(uow)
            importer.import_cards([card])
            importer.finish()
            uow.commit()
        with factory() as uow:
            assert stored_mask(uow, 77) == 0b100010101
        assert mismatched_card_masks(factory.engine) == []


def test_a_mask_that_differs_from_the_cells_is_found(sql_backend: str) -> None:
    with open_store(sql_backend) as factory:
        with factory() as uow:
            user_id, definitions, instances = add_world(uow)
            card = new_card(user_id, definitions, instances, [True] * 3 + [False] * 6)
            uow.bingo_cards.add(card)
            uow.commit()
        with factory.engine.begin() as connection:
            connection.execute(bingo_cards.update().values(unlocked_mask=0b1000))
        assert mismatched_card_masks(factory.engine) == [(card.id, 0b1000, 0b111)]
        with factory.engine.begin() as connection:
            connection.execute(bingo_cards.update().values(unlocked_mask=0b111))
