"""Fixtures of the integration tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nictbw.adapters.sqlalchemy.engine import SQLITE_BEGIN_OPTION
from tests.conftest import postgres_url_or_skip
from tests.integration.hostile_server import Behaviour, HostileServer
from tests.sql_backends import SqlUowFactory, postgres_uow_factory, sqlite_uow_factory


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], HostileServer]]:
    """Start hostile servers; each is stopped when the test ends."""
    servers: list[HostileServer] = []

    def start(behaviour: Behaviour) -> HostileServer:
        server = HostileServer(behaviour)
        servers.append(server.__enter__())
        return server

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlUowFactory]:
    """Units of work on a clean store of the backend the test's parameter names:
    ``postgres`` (READ COMMITTED) or ``sqlite`` with ``BEGIN IMMEDIATE`` (writers wait)."""
    if request.param == "postgres":
        with postgres_uow_factory(postgres_url_or_skip()) as factory:
            yield factory
        return
    with sqlite_uow_factory(tmp_path) as factory:
        yield SqlUowFactory(factory.engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}))
