"""The in-memory and SQL adapters are observably equivalent (API.md "Adapters").

The public event machine (:mod:`nictbw.testing.machine`) drives the in-memory adapter and
a SQL adapter (SQLite always, PostgreSQL when ``NICTBW_TEST_DATABASE_URL`` is set) with
the same random workflows: after every call both must have answered alike, after every
step both store the same and nictbw's invariants hold on the SQL side.

SQLite reuses the ids of rolled-back rows as the in-memory adapter does, so ids are
compared as they are; it runs twice, once with the default chunks and once with chunks
of two rows. PostgreSQL sequences skip numbers, so there every id (and every
reference to one) is compared by its rank among the ids of its table.

The budget comes from the hypothesis profile: 25 x 25 in ``dev``, more in ``ci``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from nictbw.adapters.sqlalchemy.repositories import DEFAULT_CHUNK_SIZE
from nictbw.testing.machine import run_machine
from tests.support.backends import postgres_url_or_skip
from tests.support.profiles import machine_budget
from tests.support.sql import postgres_uow_factory, sqlite_uow_factory


@pytest.fixture(
    params=["sqlite", "sqlite-chunks-of-2", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def sql_backend(request: pytest.FixtureRequest) -> str:
    """The SQL backend compared with the in-memory adapter."""
    if request.param == "postgres":
        postgres_url_or_skip()
    return str(request.param)


def test_memory_and_sql_adapters_are_observably_equivalent(
    sql_backend: str, tmp_path: Path
) -> None:
    examples, steps = machine_budget("equivalence")
    if sql_backend == "postgres":
        url = postgres_url_or_skip()
        run_machine(
            lambda: postgres_uow_factory(url),
            rank_ids=True,
            host_name="postgres",
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    else:
        # Chunks of two rows put every bulk read and write of a step across chunk
        # boundaries (and SQLite's draws append the results after a first chunk).
        chunk_size = 2 if sql_backend == "sqlite-chunks-of-2" else DEFAULT_CHUNK_SIZE
        run_machine(
            lambda: sqlite_uow_factory(tmp_path, chunk_size=chunk_size),
            host_name="sqlite",
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
