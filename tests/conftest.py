"""Shared fixtures: one unit-of-work factory parametrised over every storage backend.

``uow_factory`` yields a zero-argument callable that opens a fresh unit of work on a clean
store. Backends: ``memory`` always, ``sqlite`` always (a new file per test), ``postgres``
when ``NICTBW_TEST_DATABASE_URL`` is set (a clean schema per test). With ``CI=true`` a
missing or unreachable PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nictbw.adapters.clock import FixedClock
from tests.support.backends import BACKENDS, PG_ENV, make_uow_factory, postgres_url_or_skip
from tests.support.profiles import register_profiles

__all__ = ["BACKENDS", "PG_ENV", "make_uow_factory", "postgres_url_or_skip"]

register_profiles()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The storage backend under test."""
    return str(request.param)


@pytest.fixture
def uow_factory(backend: str, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """A factory of fresh units of work on a clean store of the current backend."""
    yield from make_uow_factory(backend, tmp_path)


@pytest.fixture
def memory_uow_factory() -> Callable[[], Any]:
    """A factory of fresh in-memory units of work on a clean store."""
    from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork

    store = InMemoryStore()
    return lambda: InMemoryUnitOfWork(store)


@pytest.fixture
def clock() -> FixedClock:
    """A fixed clock at 2026-05-01 09:00 UTC."""
    return FixedClock(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
