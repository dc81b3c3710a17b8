"""The outbox is set-based: appending a workflow's events costs one statement per chunk.

Issuing 10 or 1,000 badges (each giving its user a card, hence an issue and a card
event) appends every event with a single ``INSERT INTO domain_events``;
marking them delivered is one ``UPDATE`` per chunk of ids.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest

from nictbw.adapters.sqlalchemy.repositories import DEFAULT_CHUNK_SIZE
from nictbw.workflows import issue_instances, mark_events_delivered, pending_events
from tests.conftest import postgres_url_or_skip
from tests.contract.helpers import TRIGGER, add_users, build_world
from tests.sql_backends import (
    SqlUowFactory,
    count_statements,
    postgres_uow_factory,
    sqlite_uow_factory,
)

SIZES: Final = (10, 1000)


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlUowFactory]:
    if request.param == "postgres":
        with postgres_uow_factory(postgres_url_or_skip()) as factory:
            yield factory
        return
    with sqlite_uow_factory(tmp_path) as factory:
        yield factory


def _event_statements(log: list[str], verb: str) -> int:
    return sum(1 for s in log if s.lstrip().upper().startswith(verb) and "domain_events" in s)


@pytest.mark.parametrize("size", SIZES)
def test_issuing_appends_all_events_with_one_statement(store: SqlUowFactory, size: int) -> None:
    world = build_world(store)
    users = add_users(world, *(f"user{n:04d}" for n in range(size)))
    with store() as uow:
        with count_statements(store.engine) as log:
            issue_instances(
                uow,
                [(u, world.d(TRIGGER), None) for u in users],
                rng=random.Random(1),
                clock=world.clock,
            )
        uow.commit()
    assert _event_statements(log, "INSERT") == 1
    with store() as uow:
        events = pending_events(uow, limit=10 * size)
        assert len(events) == 2 * size  # issued, card created
        with count_statements(store.engine) as log:
            marked = mark_events_delivered(uow, [e.id for e in events if e.id is not None])
        uow.commit()
    assert marked == 2 * size
    chunks = -(-2 * size // DEFAULT_CHUNK_SIZE)
    assert _event_statements(log, "UPDATE") == chunks
