"""``nictbw events tail`` on a simulated SQLite event, through typer's CliRunner."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from nictbw.app.cli import app

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
def event_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'event.db'}"
    result = cli("simulate", "--users", "20", "--days", "1", "--seed", "3", "-d", url)
    assert result.exit_code == 0, result.output
    return url


def _json_lines(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_tail_prints_one_page_in_id_order(event_db: str) -> None:
    events = _json_lines(cli("events", "tail", "--json", "--limit", "7", "-d", event_db))
    assert len(events) == 7
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)
    assert events[0]["type"] == "BadgeIssued"
    assert set(events[0]) == {"id", "type", "occurred_at", "user_id", "payload", "delivered_at"}


def test_tail_as_text_shows_id_type_user_and_payload(event_db: str) -> None:
    result = cli("events", "tail", "--limit", "1", "-d", event_db)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("#1  ")
    assert "BadgeIssued" in result.stdout
    assert '"instance_id": 1' in result.stdout


def test_after_skips_earlier_events(event_db: str) -> None:
    events = _json_lines(cli("events", "tail", "--json", "--after", "5", "-d", event_db))
    assert events[0]["id"] == 6


def test_without_marking_events_stay_pending(event_db: str) -> None:
    first = _json_lines(cli("events", "tail", "--json", "--limit", "3", "-d", event_db))
    again = _json_lines(cli("events", "tail", "--json", "--limit", "3", "-d", event_db))
    assert first == again


def test_mark_delivered_hands_each_event_out_once(event_db: str) -> None:
    first = _json_lines(
        cli("events", "tail", "--json", "--limit", "3", "--mark-delivered", "-d", event_db)
    )
    after = _json_lines(cli("events", "tail", "--json", "--limit", "3", "-d", event_db))
    assert {e["id"] for e in first}.isdisjoint(e["id"] for e in after)
    assert after[0]["id"] == first[-1]["id"] + 1


def test_follow_drains_every_page(event_db: str) -> None:
    everything = _json_lines(cli("events", "tail", "--json", "--limit", "100000", "-d", event_db))
    followed = _json_lines(
        cli(
            "events",
            "tail",
            "--json",
            "--follow",
            "--limit",
            "50",
            "--polls",
            str(len(everything) // 50 + 2),
            "--interval",
            "0.01",
            "--mark-delivered",
            "-d",
            event_db,
        )
    )
    assert [e["id"] for e in followed] == [e["id"] for e in everything]
    assert _json_lines(cli("events", "tail", "--json", "-d", event_db)) == []


@pytest.mark.parametrize(
    "args",
    [("--after", "-1"), ("--limit", "0"), ("--limit", "100001"), ("--interval", "0")],
)
def test_bad_options_are_one_error_line(event_db: str, args: tuple[str, str]) -> None:
    result = cli("events", "tail", *args, "-d", event_db)
    assert result.exit_code != 0
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
