"""pytest fixtures for suites that test a service built on nictbw.

Registered through the ``pytest11`` entry point ``nictbw`` when nictbw is installed with
its ``testing`` extra; nothing happens until a test asks for a fixture. Fixtures:

- ``nictbw_settings``: the configuration ``nictbw_container`` loads (in-memory storage,
  seed 0). Override it in a ``conftest.py`` to run on SQLite or PostgreSQL.
- ``nictbw_clock``: a ``FixedClock`` at 2026-05-01 09:00 UTC, also the container's clock.
- ``nictbw_chain``: an in-process ``FakeChain(seed=0)`` on that clock, also the container's
  chain.
- ``nictbw_container``: a ``nictbw.Container`` built from those; its resources are
  released after the test.
- ``nictbw_uow``: a unit of work of that container, rolled back after the test unless the
  test commits.
- ``fake_chain_server``: a ``FakeChainServer`` serving ``nictbw_chain`` over HTTP on a free
  port (``fake_chain_server.base_url``), stopped after the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nictbw.adapters.chain.server import FakeChainServer
    from nictbw.app.container import Container
    from nictbw.ports import UnitOfWork
    from nictbw.testing.fakes import FakeChain, FixedClock


@pytest.fixture
def nictbw_settings() -> dict[str, Any]:
    """The configuration of ``nictbw_container``: in-memory storage, seed 0."""
    return {"database_url": "memory://", "seed": 0}


@pytest.fixture
def nictbw_clock() -> FixedClock:
    """A fixed clock at 2026-05-01 09:00 UTC (advance it with ``advance``)."""
    from nictbw.testing.fakes import fixed_clock

    return fixed_clock()


@pytest.fixture
def nictbw_chain(nictbw_clock: FixedClock) -> FakeChain:
    """An in-process fake chain (seed 0) reading ``nictbw_clock``."""
    from nictbw.testing.fakes import FakeChain

    return FakeChain(seed=0, clock=nictbw_clock)


@pytest.fixture
def nictbw_container(
    nictbw_settings: dict[str, Any], nictbw_clock: FixedClock, nictbw_chain: FakeChain
) -> Iterator[Container]:
    """A ``nictbw.Container`` on ``nictbw_settings`` with the fake clock and chain."""
    from dependency_injector import providers

    from nictbw.app.container import Container

    container = Container()
    container.config.from_dict(nictbw_settings)
    container.clock.override(providers.Object(nictbw_clock))
    container.chain.override(providers.Object(nictbw_chain))
    try:
        yield container
    finally:
        container.shutdown_resources()
        container.reset_override()


@pytest.fixture
def nictbw_uow(nictbw_container: Container) -> Iterator[UnitOfWork]:
    """An open unit of work of ``nictbw_container``; what is not committed rolls back."""
    with nictbw_container.unit_of_work() as uow:
        yield uow


@pytest.fixture
def fake_chain_server(nictbw_chain: FakeChain) -> Iterator[FakeChainServer]:
    """``nictbw_chain`` served over HTTP on a free local port for the test."""
    from nictbw.testing.fakes import serve_fake_chain

    with serve_fake_chain(nictbw_chain) as server:
        yield server
