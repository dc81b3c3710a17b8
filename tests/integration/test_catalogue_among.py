"""What ``DefinitionRepository.catalogue_among`` reads on SQL storage, and when.

Each definition is read at most once per transaction, an id with no definition too;
nothing is read once the whole catalogue is; a definition write or a rollback makes
the next call read again. The per-user cards JSON reads the definitions its cells
show, not the catalogue; a per-user bingo update the definitions the user holds, and the
whole catalogue only to lay out a card.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import pytest
from sqlalchemy import Engine, event

from nictbw.workflows import bingo_cards_json, update_user_bingo_info
from tests.contract.helpers import (
    CANDIDATES,
    TRIGGER,
    World,
    add_definition,
    build_world,
    issue,
    register,
)
from tests.sql_backends import SqlUowFactory

BACKENDS: Final = ["sqlite", "postgres"]
MISSING: Final = 900_001


@contextmanager
def definition_reads(engine: Engine) -> Iterator[list[list[int] | None]]:
    """The ids each read of ``nft_definitions`` rows asks for, in order (None: every row)."""
    reads: list[list[int] | None] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM nft_definitions" in statement:
            keys = parameters.get("keys") if isinstance(parameters, dict) else None
            if keys is None and isinstance(parameters, list | tuple) and parameters:
                keys = parameters[0]
            if keys is None:
                reads.append(None)
            else:
                reads.append(sorted(json.loads(keys) if isinstance(keys, str) else keys))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield reads
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _ids(world: World, count: int) -> list[int]:
    return [int(world.d(prefix).id or 0) for prefix in CANDIDATES[:count]]


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_each_definition_is_read_once_per_transaction(store: SqlUowFactory) -> None:
    world = build_world(store)
    a, b, c, d = _ids(world, 4)
    with store() as uow, definition_reads(store.engine) as reads:
        definitions = uow.definitions
        assert set(definitions.catalogue_among([a, b])) == {a, b}
        assert set(definitions.catalogue_among([b, a])) == {a, b}
        assert set(definitions.catalogue_among([b, c, MISSING])) == {b, c}
        assert definitions.catalogue_among([MISSING, c]).keys() == {c}
        assert reads == [sorted([a, b]), sorted([c, MISSING])]
        definitions.catalogue()
        assert set(definitions.catalogue_among([d, MISSING])) == {d}
        assert reads == [sorted([a, b]), sorted([c, MISSING]), None]  # nothing after it


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_a_write_or_a_rollback_makes_it_read_again(store: SqlUowFactory) -> None:
    world = build_world(store)
    a, b = _ids(world, 2)
    with store() as uow, definition_reads(store.engine) as reads:
        definitions = uow.definitions
        definitions.catalogue_among([a, b])
        definitions.reserve_serials(a, 2, enforce_supply=False)
        assert definitions.catalogue_among([a])[a].minted_count == 2
        uow.rollback()
        assert definitions.catalogue_among([a])[a].minted_count == 0
        assert reads == [sorted([a, b]), [a], [a]]


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_one_users_cards_json_reads_the_definitions_its_cells_show(store: SqlUowFactory) -> None:
    world = build_world(store)
    with store() as uow:
        user = register(uow, world, "visitor")
        issue(uow, world, user, TRIGGER)
        uow.commit()
    with store() as uow:
        (card,) = uow.bingo_cards.list_for_user(int(user.id or 0))
    shown = sorted({cell.shown_definition_id for cell in card.cells})
    assert len(shown) < len(world.defs)
    with store() as uow, definition_reads(store.engine) as reads:
        rendered = bingo_cards_json(uow, user, clock=world.clock)
        again = bingo_cards_json(uow, user, clock=world.clock)
    assert reads == [shown]
    assert again == rendered
    assert sorted({cell["target_definition"]["id"] for cell in rendered[0]["cells"]}) == shown


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_a_bingo_update_reads_the_held_definitions_and_the_catalogue_only_to_lay_out(
    store: SqlUowFactory,
) -> None:
    world = build_world(store)
    with store() as uow:
        user = register(uow, world, "visitor")
        issue(uow, world, user, TRIGGER)
        issue(uow, world, user, CANDIDATES[0])
        uow.commit()
    held = sorted(int(world.d(prefix).id or 0) for prefix in (TRIGGER, CANDIDATES[0]))
    with store() as uow, definition_reads(store.engine) as reads:
        assert update_user_bingo_info(uow, user, clock=world.clock) == (0, 0)
    assert reads == [held]
    with store() as uow:
        # A trigger held without its card (made one only afterwards) needs a layout.
        late = add_definition(uow, world.admin, world.clock, "LATE", bingo_random_candidate=False)
        world.defs["LATE"] = late
        issue(uow, world, user, "LATE")
        late.triggers_bingo_card = True
        uow.definitions.update(late)
        uow.commit()
    with store() as uow, definition_reads(store.engine) as reads:
        created, _ = update_user_bingo_info(uow, user, clock=world.clock)
    assert created == 1
    assert reads[-1] is None  # the whole catalogue, for the layout
    assert len(reads) == 2
