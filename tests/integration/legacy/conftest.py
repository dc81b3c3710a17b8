"""Fixtures: a legacy database of each generation on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine

from tests.conftest import postgres_url_or_skip
from tests.integration.legacy.support import LegacyData, populate

SOURCES = [("sqlite", "v0"), ("sqlite", "v1"), ("postgres", "v0"), ("postgres", "v1")]


class LegacySourceDb:
    """A populated legacy database: its URL, what was written, and (SQLite) its file."""

    def __init__(self, url: str, data: LegacyData, path: Path | None) -> None:
        self.url = url
        self.data = data
        self.path = path


def make_legacy_source(kind: str, generation: str, tmp_path: Path) -> Iterator[LegacySourceDb]:
    """Build and populate a legacy database; a PostgreSQL one lives in its own schema,
    dropped afterwards."""
    if kind == "sqlite":
        path = tmp_path / f"legacy-{generation}.db"
        engine = create_engine(f"sqlite:///{path}")
        with engine.begin() as connection:
            data = populate(connection, generation, sqlite=True)
        engine.dispose()
        yield LegacySourceDb(f"sqlite:///{path}", data, path)
        return
    base = postgres_url_or_skip()
    schema = f"legacy_h_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    options: dict[str, Any] = {"options": f"-csearch_path={schema}"}
    engine = create_engine(admin.url, connect_args=options)
    try:
        with engine.begin() as connection:
            data = populate(connection, generation, sqlite=False)
        engine.dispose()
        separator = "&" if "?" in base else "?"
        url = f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
        yield LegacySourceDb(url, data, None)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=SOURCES, ids=[f"{kind}-{gen}" for kind, gen in SOURCES])
def legacy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LegacySourceDb]:
    """A legacy database of every generation on every source backend."""
    kind, generation = request.param
    yield from make_legacy_source(kind, generation, tmp_path)


@pytest.fixture(params=["v0", "v1"])
def legacy_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LegacySourceDb]:
    """A legacy SQLite file of each generation."""
    yield from make_legacy_source("sqlite", str(request.param), tmp_path)
