"""``nictbw db purge-keys``: forget idempotency keys older than the retention."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine
from nictbw.app.cli import app
from nictbw.domain.idempotency import IdempotencyRecord

RUNNER = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("NICTBW_") and key != "NICTBW_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def cli(*args: str) -> Result:
    return RUNNER.invoke(app, list(args))


@pytest.fixture
def keyed_db(tmp_path: Path) -> str:
    """A database holding keys stored 30, 3 and 0 days ago."""
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    assert cli("db", "upgrade", "-d", url).exit_code == 0
    now = datetime.now(UTC)
    engine = make_engine(url)
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.idempotency_keys.claim_many(
            [
                IdempotencyRecord(
                    workflow="issue_instance",
                    key=f"k{days}",
                    fingerprint="f",
                    created_at=now - timedelta(days=days),
                )
                for days in (30, 3, 0)
            ]
        )
        uow.commit()
    engine.dispose()
    return url


def _left(url: str) -> set[str]:
    engine = make_engine(url)
    with SqlAlchemyUnitOfWork(engine) as uow:
        left = {
            key
            for key in ("k30", "k3", "k0")
            if uow.idempotency_keys.get("issue_instance", key) is not None
        }
    engine.dispose()
    return left


def test_the_default_retention_of_seven_days_purges_the_old_key_only(keyed_db: str) -> None:
    result = cli("db", "purge-keys", "--json", "-d", keyed_db)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["purged"] == 1
    assert _left(keyed_db) == {"k3", "k0"}


def test_the_retention_comes_from_the_option_or_the_environment(
    keyed_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NICTBW_IDEMPOTENCY_RETENTION_DAYS", "60")
    assert "purged 0 idempotency keys" in cli("db", "purge-keys", "-d", keyed_db).stdout
    result = cli("db", "purge-keys", "--older-than-days", "1", "-d", keyed_db)
    assert result.exit_code == 0, result.output
    assert "purged 2 idempotency keys stored before" in result.stdout
    assert _left(keyed_db) == {"k0"}


def test_a_bad_retention_is_one_error_line_and_purges_nothing(keyed_db: str) -> None:
    result = cli("db", "purge-keys", "--older-than-days", "0", "-d", keyed_db)
    assert result.exit_code != 0
    assert result.stderr.startswith("error: ")
    assert "retention_days" in result.stderr
    assert "Traceback" not in result.output
    assert _left(keyed_db) == {"k30", "k3", "k0"}
