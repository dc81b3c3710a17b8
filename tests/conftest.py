"""Shared fixtures: one unit-of-work factory parametrised over every storage backend.

``uow_factory`` yields a zero-argument callable that opens a fresh unit of work on a clean
store. Backends: ``memory`` always, ``sqlite`` always (a new file per test), ``postgres``
when ``NICTBW_TEST_DATABASE_URL`` is set (a clean schema per test). With ``CI=true`` a
missing or unreachable PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nictbw.adapters.clock import FixedClock

BACKENDS = ["memory", "sqlite", "postgres"]
PG_ENV = "NICTBW_TEST_DATABASE_URL"


def postgres_url_or_skip() -> str:
    """The test PostgreSQL URL; skips (or fails under CI) when it is not configured."""
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{PG_ENV} is not set but CI=true: the PostgreSQL suite must run in CI")
        pytest.skip(
            f"PostgreSQL cases need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    return url


def make_uow_factory(backend: str, tmp_path: Path) -> Iterator[Callable[[], Any]]:
    """Yield a fresh-unit-of-work factory on a clean store of ``backend``."""
    if backend == "memory":
        from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork

        store = InMemoryStore()
        yield lambda: InMemoryUnitOfWork(store)
    elif backend == "sqlite":
        from tests.sql_backends import sqlite_uow_factory

        with sqlite_uow_factory(tmp_path) as factory:
            yield factory
    elif backend == "postgres":
        from tests.sql_backends import postgres_uow_factory

        url = postgres_url_or_skip()
        with postgres_uow_factory(url) as factory:
            yield factory
    else:  # pragma: no cover - guarded by the parametrisation
        raise AssertionError(backend)


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
