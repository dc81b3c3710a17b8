"""``nictbw db import-legacy``: import, report, refusal, and no secret in any output."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine
from nictbw.app.cli import app
from tests.conftest import postgres_url_or_skip
from tests.integration.legacy.conftest import LegacySourceDb, make_legacy_source
from tests.integration.legacy.support import file_sha256

RUNNER = CliRunner()
PASSWORD = "Legacy-S3cret-pw"
TARGET_PASSWORD = "Target-S3cret-pw"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("NICTBW_") and key != "NICTBW_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def legacy_file(tmp_path: Path) -> Iterator[LegacySourceDb]:
    """A v1.x legacy SQLite file."""
    yield from make_legacy_source("sqlite", "v1", tmp_path)


def cli(*args: str) -> Result:
    return RUNNER.invoke(app, list(args))


def assert_one_line_error(result: Result, *fragments: str) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _users_in(url: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            return uow.users.list()
    finally:
        engine.dispose()


def test_import_writes_the_target_and_prints_a_report(
    legacy_file: LegacySourceDb, tmp_path: Path
) -> None:
    before = file_sha256(legacy_file.path) if legacy_file.path else None
    target = f"sqlite:///{tmp_path / 'nictbw.db'}"
    result = cli("db", "import-legacy", "--from", legacy_file.url, "--database", target)
    assert result.exit_code == 0, result.output
    assert "Legacy import" in result.stdout
    assert "Rows left out" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    kept = [row["id"] for row in legacy_file.data.kept("users")]
    assert [user.id for user in _users_in(target)] == kept
    assert legacy_file.path is not None
    assert file_sha256(legacy_file.path) == before


def test_json_report_and_a_second_run_is_refused(
    legacy_file: LegacySourceDb, tmp_path: Path
) -> None:
    target = f"sqlite:///{tmp_path / 'nictbw.db'}"
    first = cli("db", "import-legacy", "--from", legacy_file.url, "-d", target, "--json")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["generation"] == "v1"
    assert report["dry_run"] is False
    assert report["imported"]["users"] == len(legacy_file.data.kept("users"))
    assert {(row["table"], row["id"]) for row in report["skipped"]} == set(legacy_file.data.skipped)
    again = cli("db", "import-legacy", "--from", legacy_file.url, "-d", target, "--json")
    assert again.stdout == ""
    assert_one_line_error(again, "not empty")
    assert again.exit_code == 1
    assert len(_users_in(target)) == len(legacy_file.data.kept("users"))


def test_dry_run_leaves_the_target_alone(legacy_file: LegacySourceDb, tmp_path: Path) -> None:
    target = tmp_path / "never.db"
    result = cli(
        "db", "import-legacy", "--from", legacy_file.url, "-d", f"sqlite:///{target}", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert "dry run" in result.stdout
    assert not target.exists()


@pytest.mark.parametrize(
    ("source", "fragment", "code"),
    [
        ("not a url", "malformed", 2),
        ("mysql://someone@host/db", "neither SQLite nor PostgreSQL", 2),
        ("sqlite:///{tmp}/missing.db", "does not exist", 1),
        ("sqlite:///{tmp}/plain.db", "neither the v0.x tables", 1),
        ("sqlite://", "in-memory", 1),
    ],
)
def test_an_unusable_source_is_one_error_line(
    tmp_path: Path, source: str, fragment: str, code: int
) -> None:
    import sqlite3

    sqlite3.connect(tmp_path / "plain.db").close()
    target = tmp_path / "target.db"
    result = cli(
        "db", "import-legacy", "--from", source.format(tmp=tmp_path), "-d", f"sqlite:///{target}"
    )
    assert_one_line_error(result, fragment)
    assert result.exit_code == code
    assert not target.exists()  # the target is not touched before the source is readable
    assert not (tmp_path / "missing.db").exists()


def test_a_memory_target_is_refused_unless_dry_run(legacy_file: LegacySourceDb) -> None:
    result = cli("db", "import-legacy", "--from", legacy_file.url, "-d", "memory://")
    assert_one_line_error(result, "--dry-run")
    assert result.exit_code == 2


def test_a_target_holding_other_tables_is_refused(
    legacy_file: LegacySourceDb, tmp_path: Path
) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    before = file_sha256(other)
    result = cli("db", "import-legacy", "--from", legacy_file.url, "-d", f"sqlite:///{other}")
    assert_one_line_error(result, "holds tables but not nictbw's")
    assert result.exit_code == 3
    assert file_sha256(other) == before


def _with_password(url: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user.split(':', 1)[0]}:{password}@{host}"


def _no_secret(result: Result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout, result.stdout
        assert secret not in result.stderr, result.stderr


def test_passwords_in_unreachable_urls_never_appear(legacy_file: LegacySourceDb) -> None:
    source = f"postgresql+psycopg://reader:{PASSWORD}@127.0.0.1:9/legacy?connect_timeout=2"
    result = cli("db", "import-legacy", "--from", source, "--dry-run", "--json")
    assert_one_line_error(result, "reader")
    _no_secret(result, PASSWORD)
    target = f"postgresql+psycopg://writer:{TARGET_PASSWORD}@127.0.0.1:9/nictbw?connect_timeout=2"
    result = cli("db", "import-legacy", "--from", legacy_file.url, "-d", target, "--json")
    assert_one_line_error(result)
    _no_secret(result, TARGET_PASSWORD)
    result = cli("db", "import-legacy", "--from", f"mysql://u:{PASSWORD}@h/db", "--json")
    assert_one_line_error(result)
    _no_secret(result, PASSWORD)
    result = cli("--debug", "db", "import-legacy", "--from", "sqlite:///x.db", "-d", target)
    _no_secret(result, TARGET_PASSWORD)


@pytest.fixture
def pg_legacy_and_target(tmp_path: Path) -> Iterator[tuple[LegacySourceDb, str]]:
    """A v0.x legacy database on PostgreSQL and an empty PostgreSQL schema as target."""
    base = postgres_url_or_skip()
    engine = make_engine(base)
    schema = f"legacy_cli_{uuid.uuid4().hex[:10]}"
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    joiner = "&" if "?" in base else "?"
    try:
        for legacy in make_legacy_source("postgres", "v0", tmp_path):
            yield legacy, f"{base}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.mark.postgres
def test_passwords_never_appear_in_a_successful_import(
    pg_legacy_and_target: tuple[LegacySourceDb, str],
) -> None:
    """The test server trusts local connections, so a password in the URL is accepted
    and ignored: the import succeeds and must still never print it."""
    legacy, target = pg_legacy_and_target
    source = _with_password(legacy.url, PASSWORD)
    target = _with_password(target, TARGET_PASSWORD)
    result = cli("db", "import-legacy", "--from", source, "-d", target, "--json")
    assert result.exit_code == 0, result.output
    _no_secret(result, PASSWORD, TARGET_PASSWORD)
    report = json.loads(result.stdout)
    assert report["generation"] == "v0"
    assert "***" in report["source"]
    assert report["imported"]["users"] == len(legacy.data.kept("users"))
    again = cli("db", "import-legacy", "--from", source, "-d", target)
    assert_one_line_error(again, "not empty")
    _no_secret(again, PASSWORD, TARGET_PASSWORD)
    dry = cli("db", "import-legacy", "--from", source, "--dry-run")
    assert dry.exit_code == 0, dry.output
    _no_secret(dry, PASSWORD, TARGET_PASSWORD)
