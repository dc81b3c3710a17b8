"""The ``nictbw`` command line, driven through typer's CliRunner and as ``python -m nictbw``."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from nictbw.adapters.chain import HttpChainClient
from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine
from nictbw.adapters.sqlalchemy.migrate import head_revisions
from nictbw.app.audit import CANDIDATE_KEYS, WINNER_KEYS
from nictbw.app.cli import LINE_NAMES, app
from nictbw.domain.entities import WINNING_LINES
from nictbw.workflows import bingo_cards_json
from tests.conftest import postgres_url_or_skip
from tests.support.signals import default_sigint
from tests.trust import fake_public_key

SEED_ARGS = ["--users", "30", "--days", "2", "--seed", "4"]
EVENT_ARGS = ["--users", "50", "--days", "3", "--seed", "4"]
RUNNER = CliRunner()
TRUST = ["--public-key", fake_public_key(4)]
"""The simulated draws are sealed on the simulation's fake beacon (seed 4): trust its key."""


def _clean_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("NICTBW_") or key == "NICTBW_TEST_DATABASE_URL"
    }
    env["COLUMNS"] = "120"
    return env


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder, without NICTBW_* settings from outside."""
    for key in list(os.environ):
        if key.startswith("NICTBW_") and key != "NICTBW_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the command line in process."""
    return RUNNER.invoke(app, list(args), env=env)


def run_module(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nictbw`` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "nictbw", *args],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def report_of(output: str) -> dict[str, Any]:
    """The JSON report of ``simulate --json`` without its timings."""
    report = json.loads(output)
    assert isinstance(report.pop("timings"), dict)
    return dict(report)


def assert_one_line_error(code: int, stderr: str, *fragments: str) -> None:
    assert code != 0
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --- a simulated database shared by the read/draw tests ------------------------------------


@pytest.fixture(scope="module")
def simulated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding a small simulated event (made once)."""
    folder = tmp_path_factory.mktemp("simulated")
    path = folder / "event.db"
    result = RUNNER.invoke(
        app, ["simulate", *EVENT_ARGS, "--json", "--database", f"sqlite:///{path}"]
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def event_db(simulated_file: Path, tmp_path: Path) -> str:
    """A private copy of the simulated event; its URL."""
    target = tmp_path / "event.db"
    shutil.copyfile(simulated_file, target)
    return f"sqlite:///{target}"


def _uow(url: str) -> Iterator[SqlAlchemyUnitOfWork]:
    engine = make_engine(url)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            yield uow
    finally:
        engine.dispose()


@pytest.fixture
def read_event(event_db: str) -> Iterator[SqlAlchemyUnitOfWork]:
    yield from _uow(event_db)


# --- simulate -------------------------------------------------------------------------------


def test_simulate_twice_with_the_same_seed_gives_identical_json_on_memory() -> None:
    first = cli("simulate", *SEED_ARGS, "--json", "--database", "memory://")
    second = cli("simulate", *SEED_ARGS, "--json", "--database", "memory://")
    assert first.exit_code == second.exit_code == 0, first.output
    assert report_of(first.stdout) == report_of(second.stdout)


def test_simulate_twice_with_the_same_seed_gives_identical_json_on_sqlite(tmp_path: Path) -> None:
    first = cli("simulate", *SEED_ARGS, "--json", "-d", f"sqlite:///{tmp_path / 'a.db'}")
    second = cli("simulate", *SEED_ARGS, "--json", "-d", f"sqlite:///{tmp_path / 'b.db'}")
    assert first.exit_code == second.exit_code == 0, first.output
    assert report_of(first.stdout) == report_of(second.stdout)


def test_simulate_reports_are_equal_on_memory_and_sqlite(tmp_path: Path) -> None:
    memory = cli("simulate", *SEED_ARGS, "--json", "-d", "memory://")
    sqlite = cli("simulate", *SEED_ARGS, "--json", "-d", f"sqlite:///{tmp_path / 's.db'}")
    assert memory.exit_code == sqlite.exit_code == 0, sqlite.output
    assert report_of(memory.stdout) == report_of(sqlite.stdout)


def test_simulate_json_has_no_markup_and_no_progress() -> None:
    result = cli("simulate", "--users", "10", "--days", "1", "--json", "-d", "memory://")
    assert result.exit_code == 0
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["users"] == 10


def test_simulate_prints_a_report_with_counts_winners_and_timings() -> None:
    result = cli("simulate", *SEED_ARGS, "-d", "memory://")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in (
        "Simulated 30 users over 2 days (seed 4",
        "Counts",
        "Bingo lines per card",
        "Chain sync of wallet users",
        "Winners of bingo_line",
        "Winners of final_attendance",
        "Time per phase (s)",
    ):
        assert heading in out
    assert "FINAL-DAY-" in out
    assert "draws" in result.stderr


def test_simulate_as_a_module_migrates_the_default_sqlite_file(tmp_path: Path) -> None:
    done = run_module("simulate", *SEED_ARGS, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "nictbw.db").exists()
    memory = cli("simulate", *SEED_ARGS, "--json", "-d", "memory://")
    assert report_of(done.stdout) == report_of(memory.stdout)


def test_simulate_refuses_a_database_holding_a_previous_simulation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'again.db'}"
    assert cli("simulate", "--users", "5", "--days", "1", "--json", "-d", url).exit_code == 0
    again = cli("simulate", "--users", "5", "--days", "1", "--json", "-d", url)
    assert_one_line_error(again.exit_code, again.stderr, "already holds nictbw data", "--fresh")


def test_simulate_fresh_deletes_the_previous_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    first = cli("simulate", *SEED_ARGS, "--json", "-d", url)
    again = cli("simulate", *SEED_ARGS, "--json", "--fresh", "-d", url)
    assert first.exit_code == again.exit_code == 0, again.output
    assert report_of(first.stdout) == report_of(again.stdout)


@pytest.fixture
def pg_schema_url() -> Iterator[Any]:
    """A factory of PostgreSQL URLs, each on a fresh schema dropped afterwards."""
    base = postgres_url_or_skip()
    from sqlalchemy import text

    engine = make_engine(base)
    schemas: list[str] = []

    def new_url() -> str:
        schema = f"h6_e2e_{uuid.uuid4().hex[:10]}"
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        joiner = "&" if "?" in base else "?"
        return f"{base}{joiner}options=-csearch_path%3D{schema}"

    try:
        yield new_url
    finally:
        with engine.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.mark.postgres
def test_simulate_reports_on_postgresql_equal_each_other_and_memory(pg_schema_url: Any) -> None:
    first = cli("simulate", *SEED_ARGS, "--json", "-d", pg_schema_url())
    second = cli("simulate", *SEED_ARGS, "--json", "-d", pg_schema_url())
    memory = cli("simulate", *SEED_ARGS, "--json", "-d", "memory://")
    assert first.exit_code == second.exit_code == 0, first.output
    assert report_of(first.stdout) == report_of(second.stdout) == report_of(memory.stdout)


@pytest.mark.postgres
def test_simulate_fresh_refuses_to_delete_a_postgresql_database(pg_schema_url: Any) -> None:
    result = cli("simulate", "--users", "3", "--json", "--fresh", "-d", pg_schema_url())
    assert_one_line_error(result.exit_code, result.stderr, "--fresh only deletes SQLite files")


# --- db upgrade -----------------------------------------------------------------------------


def test_db_upgrade_migrates_and_prints_the_revision(tmp_path: Path) -> None:
    result = cli("db", "upgrade", "--database", f"sqlite:///{tmp_path / 'up.db'}")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(f"is at revision {', '.join(head_revisions())}")
    assert (tmp_path / "up.db").exists()


def test_db_upgrade_as_a_module_is_idempotent(tmp_path: Path) -> None:
    for _ in range(2):
        done = run_module("db", "upgrade", "--database", "sqlite:///up.db", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"revision {head_revisions()[0]}" in done.stdout


def test_db_upgrade_of_memory_is_an_error() -> None:
    result = cli("db", "upgrade", "--database", "memory://")
    assert_one_line_error(result.exit_code, result.stderr, "memory:// has no schema")


# --- card show ------------------------------------------------------------------------------


def _user_with_a_completed_line(uow: SqlAlchemyUnitOfWork) -> tuple[str, Any]:
    for card in uow.bingo_cards.list():
        if card.completed_lines():
            user = uow.users.get(card.user_id)
            assert user is not None
            assert user.in_app_id is not None
            return user.in_app_id, card
    raise AssertionError("the simulated event has no completed line")


def test_card_show_draws_each_card_as_a_grid(
    event_db: str, read_event: SqlAlchemyUnitOfWork
) -> None:
    in_app_id, card = _user_with_a_completed_line(read_event)
    definitions = {d.id: d for d in read_event.definitions.list()}
    result = cli("card", "show", "--user", in_app_id, "--database", event_db)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"card {card.id} · centre {definitions[card.center_definition_id].name}" in out
    for cell in card.cells:
        for word in definitions[cell.target_definition_id].name.split():
            assert word in out
    assert "unlocked" in out


def test_card_show_names_the_completed_lines(
    event_db: str, read_event: SqlAlchemyUnitOfWork
) -> None:
    in_app_id, card = _user_with_a_completed_line(read_event)
    result = cli("card", "show", "-u", in_app_id, "-d", event_db)
    names = [LINE_NAMES[WINNING_LINES.index(line)] for line in card.completed_lines()]
    assert "completed: " + ", ".join(names) in result.stdout


def test_card_show_json_is_the_cards_json(event_db: str, read_event: SqlAlchemyUnitOfWork) -> None:
    in_app_id, _card = _user_with_a_completed_line(read_event)
    user = read_event.users.get_by_in_app_id(in_app_id)
    assert user is not None
    expected = bingo_cards_json(read_event, user)
    result = cli("card", "show", "-u", in_app_id, "-d", event_db, "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == expected


def test_card_show_of_an_unknown_user_is_a_one_line_error(event_db: str) -> None:
    result = cli("card", "show", "--user", "nobody", "--database", event_db)
    assert_one_line_error(result.exit_code, result.stderr, "user 'nobody' does not exist")


# --- draw run / top -------------------------------------------------------------------------


def test_draw_run_submits_the_winning_number_commits_and_prints_winners(event_db: str) -> None:
    result = cli(
        "draw", "run", "--type", "bingo_line", "--winning-number", "Lucky-7", "--limit", "3",
        "--bingo", "--threshold", "0.2", "-d", event_db, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["winning_number"] == "Lucky-7"
    assert summary["threshold"] == 0.2
    assert len(summary["winners"]) >= 3
    assert summary["eligible"] > 0
    for engine_uow in _uow(event_db):
        draw_type = engine_uow.draw_types.get_by_internal_name("bingo_line")
        assert draw_type is not None
        assert draw_type.id is not None
        stored = engine_uow.draw_results.list_for_draw_type(
            draw_type.id, summary["winning_number_id"]
        )
        assert len(stored) == summary["eligible"]


def test_draw_run_reports_the_ineligible_instances_left_out(event_db: str) -> None:
    result = cli("draw", "run", "-t", "bingo_line", "--winning-number", "x", "-d", event_db)
    assert result.exit_code == 0, result.output
    assert "eligible instances evaluated" in result.stdout
    assert "ineligible instances left out" in result.stdout


def test_draw_run_attendance_draws_among_the_definitions_badges(event_db: str) -> None:
    result = cli(
        "draw", "run", "-t", "final_attendance", "--attendance", "FINAL-DAY", "--limit", "2",
        "--winning-number", "abc", "-d", event_db, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    winners = json.loads(result.stdout)["winners"]
    assert winners
    assert all(w["unique_id"].startswith("FINAL-DAY-") for w in winners)


def test_draw_run_without_a_winning_number_refuses_a_sealed_one_in_effect(
    event_db: str,
) -> None:
    """The simulation seals its draws: the number in effect belongs to a sealed run, which
    only ``--sealed`` evaluates again (any other draw would add candidates outside the
    sealed set); the error says how."""
    result = cli("draw", "run", "-t", "bingo_line", "-d", event_db, "--json")
    assert_one_line_error(result.exit_code, result.stderr, "derived for the sealed draw")
    assert "--sealed" in result.stderr
    assert result.exit_code == 1


def test_draw_run_without_a_winning_number_uses_the_one_in_effect(event_db: str) -> None:
    submitted = cli(
        "draw", "run", "-t", "bingo_line", "--winning-number", "C0FFEE", "-d", event_db, "--json"
    )
    assert submitted.exit_code == 0, submitted.output
    result = cli("draw", "run", "-t", "bingo_line", "-d", event_db, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["winning_number"] == json.loads(submitted.stdout)["winning_number"]


def test_draw_run_with_bingo_and_attendance_is_a_usage_error(event_db: str) -> None:
    result = cli(
        "draw", "run", "-t", "bingo_line", "--bingo", "--attendance", "FINAL-DAY", "-d", event_db
    )
    assert_one_line_error(result.exit_code, result.stderr, "exclude each other")
    assert result.exit_code == 2


def test_draw_top_lists_the_best_stored_results_highest_first(event_db: str) -> None:
    result = cli("draw", "top", "--type", "bingo_line", "--limit", "4", "-d", event_db, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    scores = [row["similarity"] for row in rows]
    assert len(rows) == 4
    assert scores == sorted(scores, reverse=True)
    text = cli("draw", "top", "--type", "bingo_line", "--limit", "4", "--with-ties", "-d", event_db)
    assert text.exit_code == 0
    assert rows[0]["unique_id"] in text.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["draw", "run", "-t", "bingo_line", "--winning-number", "sub", "--limit", "2"],
         "ineligible instances left out"),
        (["draw", "run", "-t", "final_attendance", "--attendance", "FINAL-DAY",
          "--winning-number", "f1"], "FINAL-DAY-"),
        (["draw", "top", "-t", "final_attendance", "--limit", "2"], "top 2 of final_attendance"),
    ],
)  # fmt: skip
def test_draw_commands_as_a_module(
    event_db: str, tmp_path: Path, args: list[str], expected: str
) -> None:
    done = run_module(*args, "--database", event_db, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout
    assert done.stderr == ""


def test_card_show_as_a_module(
    event_db: str, read_event: SqlAlchemyUnitOfWork, tmp_path: Path
) -> None:
    in_app_id, card = _user_with_a_completed_line(read_event)
    done = run_module("card", "show", "--user", in_app_id, "--database", event_db, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"card {card.id} · centre" in done.stdout
    assert "completed: " in done.stdout


# --- draw export / verify -------------------------------------------------------------------


@pytest.fixture
def export_file(event_db: str, tmp_path: Path) -> Path:
    result = cli("draw", "export", "--type", "bingo_line", "--limit", "5", "-d", event_db)
    assert result.exit_code == 0, result.output
    path = tmp_path / "draw.json"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def test_exported_draw_verifies_ok(export_file: Path) -> None:
    result = cli("verify", *TRUST, str(export_file))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: bingo_line")


def test_export_and_verify_as_a_module(event_db: str, tmp_path: Path) -> None:
    with (tmp_path / "out.json").open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [sys.executable, "-m", "nictbw", "draw", "export", "-t", "final_attendance", "-d",
             event_db],
            cwd=tmp_path, env=_clean_env(), stdout=out, stderr=subprocess.PIPE, text=True,
            timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    checked = run_module("verify", *TRUST, "out.json", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("OK: final_attendance")


def test_export_to_a_file_with_output(event_db: str, tmp_path: Path) -> None:
    target = tmp_path / "o.json"
    result = cli("draw", "export", "-t", "bingo_line", "-o", str(target), "-d", event_db)
    assert result.exit_code == 0
    assert cli("verify", *TRUST, str(target)).exit_code == 0


def _tamper(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 + 0.01
    if isinstance(value, str):
        return value + "0"
    return "tampered" if value is None else None


def _edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def _assert_verify_fails(path: Path) -> None:
    result = cli("verify", str(path))
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "MISMATCH" in result.stdout or result.stderr.startswith("error: ")


@pytest.mark.parametrize("key", CANDIDATE_KEYS)
def test_verify_fails_when_any_candidate_field_is_tampered(export_file: Path, key: str) -> None:
    def change(document: dict[str, Any]) -> None:
        candidate = document["candidates"][len(document["candidates"]) // 2]
        candidate[key] = _tamper(candidate[key])

    _edit(export_file, change)
    _assert_verify_fails(export_file)


@pytest.mark.parametrize("key", WINNER_KEYS)
def test_verify_fails_when_any_winner_field_is_tampered(export_file: Path, key: str) -> None:
    def change(document: dict[str, Any]) -> None:
        document["winners"][0][key] = _tamper(document["winners"][0][key])

    _edit(export_file, change)
    _assert_verify_fails(export_file)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["winners"].pop(), id="winner-removed"),
        pytest.param(lambda d: d["winners"].reverse(), id="winners-reordered"),
        pytest.param(lambda d: d.update(threshold=d["threshold"] + 0.01), id="threshold"),
        pytest.param(lambda d: d.update(threshold=None), id="threshold-removed"),
        pytest.param(
            lambda d: d["winning_number"].update(value=d["winning_number"]["value"] + "X"),
            id="winning-value",
        ),
        pytest.param(
            lambda d: d["winning_number"].update(normalized_value="other"),
            id="normalized-winning-value",
        ),
        pytest.param(lambda d: d.update(candidate_rows_sha256="0" * 64), id="digest"),
        pytest.param(lambda d: d["candidates"].pop(0), id="candidate-removed"),
        pytest.param(lambda d: d.update(candidate_count=0), id="candidate-count"),
    ],
)
def test_verify_fails_when_the_draw_is_tampered(export_file: Path, change: Any) -> None:
    _edit(export_file, change)
    _assert_verify_fails(export_file)


def test_verify_prints_each_mismatch_and_a_failure_line(export_file: Path) -> None:
    def change(document: dict[str, Any]) -> None:
        document["candidate_rows_sha256"] = "f" * 64
        document["candidate_count"] += 2

    _edit(export_file, change)
    result = cli("verify", *TRUST, str(export_file))
    lines = result.stdout.strip().splitlines()
    assert result.exit_code == 1
    mismatches = [line for line in lines if line.startswith("MISMATCH candidates: ")]
    assert len(mismatches) == 2
    assert not [line for line in lines if line.startswith("MISMATCH") and line not in mismatches]
    assert lines[-1].startswith("FAILED: 2 mismatch(es)")


def test_verify_as_a_module_fails_on_a_tampered_export(export_file: Path, tmp_path: Path) -> None:
    _edit(export_file, lambda d: d["candidates"][0].update(outcome="win"))
    done = run_module("verify", str(export_file), cwd=tmp_path)
    assert done.returncode == 1
    assert "MISMATCH" in done.stdout


def test_an_untouched_copy_still_verifies(export_file: Path) -> None:
    document = json.loads(export_file.read_text(encoding="utf-8"))
    export_file.write_text(json.dumps(copy.deepcopy(document), indent=None), encoding="utf-8")
    assert cli("verify", *TRUST, str(export_file)).exit_code == 0


# --- one-line errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["draw", "top", "-t", "nope"], "draw type 'nope' does not exist"),
        (["draw", "export", "-t", "nope"], "draw type 'nope' does not exist"),
        (["draw", "run", "-t", "nope", "--winning-number", "1"], "draw type 'nope'"),
        (["draw", "run", "-t", "bingo_line", "--attendance", "NOPE"], "definition 'NOPE'"),
        (["draw", "top", "-t", "bingo_line", "--limit", "0"], "--limit"),
        (["draw", "export", "-t", "bingo_line", "--winning-number-id", "999"], "999"),
        (["card", "show", "-u", "ghost"], "user 'ghost' does not exist"),
        (["simulate", "--users", "lots"], "--users"),
        (["simulate", "--days", "99", "-d", "memory://"], "days must be an int"),
        (["verify"], "FILE"),
        (["no-such-command"], "No such command"),
    ],
)
def test_bad_input_gives_a_one_line_error(event_db: str, args: list[str], fragment: str) -> None:
    needs_db = args[0] in ("draw", "card")
    result = cli(*args, *(["-d", event_db] if needs_db else []))
    assert_one_line_error(result.exit_code, result.stderr, fragment)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://db/x", "database URL 'mysql://db/x' is not supported"),
        ("nonsense", "database URL 'nonsense' is not supported"),
        ("sqlite:///absent/none.db", "does not exist"),
        ("postgresql+psycopg://nobody@127.0.0.1:1/x", "database error"),
    ],
)
def test_a_bad_database_url_gives_a_one_line_error(url: str, fragment: str) -> None:
    result = cli("draw", "top", "-t", "bingo_line", "-d", url)
    assert_one_line_error(result.exit_code, result.stderr, fragment)


def test_unreadable_or_malformed_exports_give_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    (tmp_path / "partial.json").write_text('{"format": "nictbw.draw-export/1"}', encoding="utf-8")
    for name, fragment in (
        ("absent.json", "cannot read export"),
        ("list.json", "must hold a JSON object"),
        ("broken.json", "is not valid JSON"),
        ("partial.json", "export is malformed"),
    ):
        result = cli("verify", str(tmp_path / name))
        assert_one_line_error(result.exit_code, result.stderr, fragment)


def test_a_bad_environment_setting_gives_a_one_line_error() -> None:
    result = cli("simulate", "-d", "memory://", env={"NICTBW_CHAIN_TIMEOUT": "soon"})
    assert_one_line_error(result.exit_code, result.stderr, "NICTBW_CHAIN_TIMEOUT")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["draw", "top", "-t", "nope", "-d", "sqlite:///absent.db"], "does not exist"),
        (["verify", "absent.json"], "cannot read export"),
        (["simulate", "-d", "ftp://x"], "is not supported"),
    ],
)
def test_bad_input_as_a_module_gives_a_one_line_error(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    done = run_module(*args, cwd=tmp_path)
    assert_one_line_error(done.returncode, done.stderr, fragment)


def test_the_database_url_comes_from_the_environment(event_db: str) -> None:
    result = cli("draw", "top", "-t", "bingo_line", "--json", env={"NICTBW_DATABASE_URL": event_db})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)


def test_simulate_takes_its_seed_from_the_environment() -> None:
    from_env = cli(
        "simulate", "--users", "10", "--days", "1", "--json", "-d", "memory://",
        env={"NICTBW_SEED": "4"},
    )  # fmt: skip
    explicit = cli("simulate", "--users", "10", "--days", "1", "--seed", "4", "--json", "-d",
                   "memory://")  # fmt: skip
    assert from_env.exit_code == explicit.exit_code == 0, from_env.output
    assert report_of(from_env.stdout) == report_of(explicit.stdout)
    assert json.loads(from_env.stdout)["seed"] == 4


def test_help_lists_every_command() -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("simulate", "db", "card", "draw", "verify", "fake-chain"):
        assert command in result.stdout


# --- fake-chain -----------------------------------------------------------------------------


def test_fake_chain_serves_http_until_interrupted(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "nictbw", "fake-chain", "--port", "0", "--seed", "3"],
        cwd=tmp_path,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_sigint,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("fake chain listening on http://127.0.0.1:"), banner
        base_url = banner.split(" on ", 1)[1].split(" ", 1)[0]
        with HttpChainClient(base_url, username="nictbw", password="nictbw", timeout=5) as chain:
            answer = chain.signup_user("alice", "alice@example.org", "pw")
            assert answer["status"] == "success"
            assert chain.get_user_nft_instances("alice") == []
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0, err
    assert "fake chain stopped" in out
    assert "Traceback" not in err


def test_fake_chain_on_a_taken_port_is_a_one_line_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_module("fake-chain", "--port", str(port), cwd=tmp_path, timeout=30)
    assert_one_line_error(done.returncode, done.stderr)


def test_verify_reports_the_snapshot_that_fixed_the_candidates(export_file: Path) -> None:
    result = cli("verify", *TRUST, str(export_file))
    assert result.exit_code == 0, result.output
    digest = json.loads(export_file.read_text(encoding="utf-8"))["snapshot"]["candidate_set_sha256"]
    assert "OK candidates: " in result.stdout
    assert f"snapshot digest: {digest}" in result.stdout


@pytest.mark.parametrize("key", ["candidate_set_sha256", "candidate_count", "created_at"])
def test_verify_fails_when_the_snapshot_is_tampered(export_file: Path, key: str) -> None:
    def change(document: dict[str, Any]) -> None:
        document["snapshot"][key] = (
            "2099-01-01T00:00:00+00:00"
            if key == "created_at"
            else _tamper(document["snapshot"][key])
        )

    _edit(export_file, change)
    _assert_verify_fails(export_file)


def test_draw_snapshot_fixes_the_candidates_of_a_draw(event_db: str) -> None:
    result = cli("draw", "snapshot", "-t", "final_attendance", "--attendance", "FINAL-DAY",
                 "--json", "-d", event_db)  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["scope"] == "attendance"
    assert summary["candidate_count"] > 0
    assert len(summary["candidates_sha256"]) == 64


def test_draw_snapshot_of_an_unknown_definition_is_one_line(event_db: str) -> None:
    result = cli("draw", "snapshot", "-t", "bingo_line", "--attendance", "NOPE", "-d", event_db)
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: definition 'NOPE' does not exist"
