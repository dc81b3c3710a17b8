"""The storage backends of the suite and the ``uow_factory`` each gives.

Backends: ``memory`` always, ``sqlite`` always (a new file per test), ``postgres`` when
``NICTBW_TEST_DATABASE_URL`` is set (a clean schema per test). With ``CI=true`` a
missing PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest

BACKENDS: Final = ["memory", "sqlite", "postgres"]
PG_ENV: Final = "NICTBW_TEST_DATABASE_URL"


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
        from tests.support.sql import sqlite_uow_factory

        with sqlite_uow_factory(tmp_path) as factory:
            yield factory
    elif backend == "postgres":
        from tests.support.sql import postgres_uow_factory

        url = postgres_url_or_skip()
        with postgres_uow_factory(url) as factory:
            yield factory
    else:  # pragma: no cover - guarded by the parametrisation
        raise AssertionError(backend)


class EveryBackend:
    """Mixin for the public contract classes: ``uow_factory`` on each backend in turn.

    Put it first: ``class TestUsers(EveryBackend, UserRepositoryContract)``. The
    ``backend`` fixture (tests/conftest.py) parametrises memory, SQLite and PostgreSQL.
    """

    @pytest.fixture
    def uow_factory(self, backend: str, tmp_path: Path) -> Iterator[Callable[[], Any]]:
        """A factory of fresh units of work on a clean store of the current backend."""
        yield from make_uow_factory(backend, tmp_path)
