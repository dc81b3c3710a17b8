"""The command line against hostile or careless input: foreign and newer databases, missing
drivers, files that are not databases, rich markup in stored text, oversized integers.

Every failure is one ``error: ...`` line on stderr with its exit code and no traceback
(unless ``--debug``), and nothing stored or written is changed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine, migrate
from nictbw.adapters.sqlalchemy.migrate import (
    VERSION_TABLE,
    current_revisions,
    head_revisions,
    inspect_schema,
)
from nictbw.app.cli import app
from nictbw.domain.errors import ConflictError
from tests.conftest import postgres_url_or_skip
from tests.e2e.test_cli import EVENT_ARGS, RUNNER, assert_one_line_error, cli, run_module
from tests.sql_backends import SCHEMA_PREFIX

HUGE = "99999999999999999999999"
NEWER = "ffff9999"
MARKUP_USER = "x[/bold]"
MARKUP_NAME = "[/]"
EMOJI_USER = "[bold red]:smile:"
EXIT_USAGE, EXIT_DATABASE, EXIT_INTERNAL = 2, 3, 4
READ_COMMANDS = [
    ["draw", "top", "-t", "bingo_line"],
    ["card", "show", "-u", "user-0001"],
    ["draw", "export", "-t", "bingo_line"],
]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder, without NICTBW_* settings from outside."""
    for key in list(os.environ):
        if key.startswith("NICTBW_") and key != "NICTBW_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def pg_schema_url() -> Iterator[Callable[[], str]]:
    """A factory of PostgreSQL URLs, each on a fresh schema dropped afterwards."""
    base = postgres_url_or_skip()
    engine = make_engine(base)
    schemas: list[str] = []

    def new_url() -> str:
        schema = f"{SCHEMA_PREFIX}cli_{uuid.uuid4().hex[:10]}"
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


@pytest.fixture(scope="module")
def simulated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding a small simulated event (made once)."""
    path = tmp_path_factory.mktemp("hostile") / "event.db"
    result = RUNNER.invoke(app, ["simulate", *EVENT_ARGS, "--json", "-d", f"sqlite:///{path}"])
    assert result.exit_code == 0, result.output
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --- databases on both SQL backends ---------------------------------------------------------


class Db:
    """A database under test: its URL and a way to run SQL on it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def execute(self, sql: str) -> list[Any]:
        engine = make_engine(self.url)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(sql))
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def tables(self) -> set[str]:
        from sqlalchemy import inspect

        engine = make_engine(self.url)
        try:
            with engine.connect() as connection:
                return set(inspect(connection).get_table_names())
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Db]]:
    """A factory of empty databases: new SQLite files, or new PostgreSQL schemas."""
    if request.param == "sqlite":
        count = iter(range(1000))
        yield lambda: Db(f"sqlite:///{tmp_path / f'db{next(count)}.sqlite'}")
        return
    factory = request.getfixturevalue("pg_schema_url")
    yield lambda: Db(factory())


@pytest.fixture
def event(new_db: Callable[[], Db]) -> Db:
    """A database holding a small simulated event, on each SQL backend."""
    db = new_db()
    result = cli("simulate", *EVENT_ARGS, "--json", "-d", db.url)
    assert result.exit_code == 0, result.output
    return db


# --- item: only writing commands create or migrate a schema --------------------------------


@pytest.mark.parametrize("fresh", [["--fresh"], []], ids=["fresh", "no-fresh"])
def test_simulate_refuses_a_text_file_and_leaves_it_untouched(
    tmp_path: Path, fresh: list[str]
) -> None:
    thesis = tmp_path / "thesis.txt"
    thesis.write_text("Chapter 1\nThe city at night.\n", encoding="utf-8")
    before = _digest(thesis)
    result = cli("simulate", "--users", "3", "--days", "1", *fresh, "-d", f"sqlite:///{thesis}")
    assert_one_line_error(result.exit_code, result.stderr, "thesis.txt", "not a SQLite database")
    assert result.exit_code == EXIT_DATABASE
    assert _digest(thesis) == before
    assert _files(tmp_path) == {"thesis.txt"}


def test_simulate_fresh_refuses_a_text_file_as_a_module(tmp_path: Path) -> None:
    thesis = tmp_path / "thesis.txt"
    thesis.write_text("my thesis", encoding="utf-8")
    done = run_module(
        "simulate", "--users", "3", "--fresh", "-d", "sqlite:///thesis.txt", cwd=tmp_path
    )
    assert_one_line_error(done.returncode, done.stderr, "not a SQLite database")
    assert thesis.read_text(encoding="utf-8") == "my thesis"


def _foreign_sqlite(path: Path) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    connection.execute("INSERT INTO notes (body) VALUES ('keep me')")
    connection.commit()
    connection.close()
    return path


@pytest.mark.parametrize("fresh", [["--fresh"], []], ids=["fresh", "no-fresh"])
def test_simulate_refuses_a_foreign_sqlite_file_and_leaves_it_untouched(
    tmp_path: Path, fresh: list[str]
) -> None:
    path = _foreign_sqlite(tmp_path / "notes.db")
    before = _digest(path)
    result = cli("simulate", "--users", "3", "--days", "1", *fresh, "-d", f"sqlite:///{path}")
    assert_one_line_error(result.exit_code, result.stderr, "notes.db", "not nictbw's")
    assert _digest(path) == before
    assert _files(tmp_path) == {"notes.db"}


def test_simulate_fresh_still_replaces_a_nictbw_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'event.db'}"
    assert cli("simulate", "--users", "5", "--days", "1", "--json", "-d", url).exit_code == 0
    again = cli("simulate", "--users", "5", "--days", "1", "--json", "--fresh", "-d", url)
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_read_commands_refuse_a_foreign_sqlite_file_and_leave_it_untouched(
    tmp_path: Path, command: list[str]
) -> None:
    path = _foreign_sqlite(tmp_path / "notes.db")
    before = _digest(path)
    result = cli(*command, "-d", f"sqlite:///{path}")
    assert_one_line_error(
        result.exit_code, result.stderr, "not a nictbw database", "nictbw db upgrade"
    )
    assert result.exit_code == EXIT_DATABASE
    assert _digest(path) == before
    assert _files(tmp_path) == {"notes.db"}


@pytest.mark.postgres
@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_read_commands_refuse_a_foreign_postgresql_schema(
    pg_schema_url: Callable[[], str], command: list[str]
) -> None:
    db = Db(pg_schema_url())
    db.execute("CREATE TABLE notes (id integer PRIMARY KEY, body text)")
    result = cli(*command, "-d", db.url)
    assert_one_line_error(result.exit_code, result.stderr, "not a nictbw database")
    assert db.tables() == {"notes"}


def test_read_commands_refuse_an_empty_database(new_db: Callable[[], Db]) -> None:
    db = new_db()
    db.execute("CREATE TABLE placeholder (id integer)")
    db.execute("DROP TABLE placeholder")
    result = cli("draw", "top", "-t", "bingo_line", "-d", db.url)
    assert_one_line_error(result.exit_code, result.stderr, "nictbw db upgrade")
    assert VERSION_TABLE not in db.tables()


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_read_commands_refuse_a_database_behind_and_name_db_upgrade(
    new_db: Callable[[], Db], command: list[str]
) -> None:
    db = new_db()
    migrate(db.url, "0001")
    result = cli(*command, "-d", db.url)
    assert_one_line_error(result.exit_code, result.stderr, "behind", "nictbw db upgrade")
    assert current_revisions(db.url) == ("0001",)
    upgraded = cli("db", "upgrade", "-d", db.url)
    assert upgraded.exit_code == 0, upgraded.output
    assert set(current_revisions(db.url)) == set(head_revisions())


def test_writing_commands_upgrade_a_database_behind(new_db: Callable[[], Db]) -> None:
    db = new_db()
    migrate(db.url, "0001")
    result = cli("draw", "snapshot", "-t", "bingo_line", "-d", db.url)
    assert_one_line_error(result.exit_code, result.stderr, "draw type 'bingo_line'")
    assert set(current_revisions(db.url)) == set(head_revisions())


def test_db_upgrade_adds_nictbw_tables_to_a_foreign_database(new_db: Callable[[], Db]) -> None:
    db = new_db()
    db.execute("CREATE TABLE notes (id integer PRIMARY KEY)")
    result = cli("db", "upgrade", "-d", db.url)
    assert result.exit_code == 0, result.output
    assert "notes" in db.tables()
    assert inspect_schema(db.url).state == "current"


# --- item: a schema newer than the code, a driver that is not installed --------------------


def _stamp_newer(db: Db) -> None:
    db.execute(f"UPDATE {VERSION_TABLE} SET version_num = '{NEWER}'")


@pytest.mark.parametrize(
    "command",
    [
        *READ_COMMANDS,
        ["draw", "run", "-t", "bingo_line", "--winning-number", "7"],
        ["draw", "snapshot", "-t", "bingo_line"],
        ["db", "upgrade"],
        ["simulate", "--users", "3", "--days", "1"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_schema_newer_than_the_code_is_one_line_for_every_command(
    event: Db, command: list[str]
) -> None:
    _stamp_newer(event)
    result = cli(*command, "-d", event.url)
    assert_one_line_error(result.exit_code, result.stderr, NEWER, "newer nictbw", "upgrade nictbw")
    assert result.exit_code == EXIT_DATABASE
    assert current_revisions(event.url) == (NEWER,)


def test_open_database_refuses_a_schema_newer_than_the_code(new_db: Callable[[], Db]) -> None:
    from nictbw.adapters.sqlalchemy import open_database

    db = new_db()
    migrate(db.url)
    _stamp_newer(db)
    with pytest.raises(ConflictError, match=f"revision {NEWER}.*newer nictbw"):
        open_database(db.url)
    assert current_revisions(db.url) == (NEWER,)


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("postgresql+psycopg2://admin:S3cret@db.example/x", ("'psycopg2'", "not installed")),
        ("postgresql+asyncpg://admin:S3cret@db.example/x", ("'asyncpg'", "asyncio driver")),
        ("postgresql+nodriver://admin:S3cret@db.example/x", ("no known driver",)),
    ],
)
@pytest.mark.parametrize("command", [["draw", "top", "-t", "x"], ["db", "upgrade"], ["simulate"]])
def test_a_driver_that_is_not_installed_is_one_line_with_the_password_masked(
    url: str, fragments: tuple[str, ...], command: list[str]
) -> None:
    result = cli(*command, "-d", url)
    assert_one_line_error(result.exit_code, result.stderr, *fragments, "admin:***@db.example")
    assert "S3cret" not in result.output
    assert result.exit_code == EXIT_DATABASE


def test_a_missing_driver_as_a_module(tmp_path: Path) -> None:
    done = run_module(
        "draw", "top", "-t", "x", "-d", "postgresql+psycopg2://admin:S3cret@db.example/x",
        cwd=tmp_path,
    )  # fmt: skip
    assert_one_line_error(done.returncode, done.stderr, "psycopg2", "not installed")
    assert "S3cret" not in done.stderr
    assert done.returncode == EXIT_DATABASE


def test_an_unsupported_url_never_shows_its_password() -> None:
    result = cli("simulate", "-d", "mysql://admin:S3cret@db/x")
    assert_one_line_error(result.exit_code, result.stderr, "mysql://admin:***@db/x")
    assert "S3cret" not in result.output


# --- item: rich markup in stored text -------------------------------------------------------


@pytest.fixture
def marked_event(event: Db) -> Db:
    """The simulated event with markup in a user id and a definition name, and markup plus
    an emoji code in every other user id (as sync could store them)."""
    holder = event.execute(
        "SELECT u.id FROM users u JOIN bingo_cards c ON c.user_id = u.id ORDER BY u.id LIMIT 1"
    )[0][0]
    event.execute(f"UPDATE users SET in_app_id = '{MARKUP_USER}' WHERE id = {holder}")
    event.execute(f"UPDATE users SET in_app_id = '{EMOJI_USER}' || in_app_id WHERE id <> {holder}")
    event.execute(f"UPDATE nft_definitions SET name = '{MARKUP_NAME}'")
    return event


def test_card_show_prints_markup_in_stored_text_literally(marked_event: Db) -> None:
    result = cli("card", "show", "-u", MARKUP_USER, "-d", marked_event.url)
    assert result.exit_code == 0, result.output
    assert f"centre {MARKUP_NAME}" in result.stdout
    assert result.stderr == ""


def test_draw_run_prints_markup_in_stored_text_literally_after_committing(
    marked_event: Db,
) -> None:
    result = cli(
        "draw", "run", "-t", "bingo_line", "--winning-number", "W[/]", "--threshold", "0",
        "--limit", "3", "-d", marked_event.url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "winning number W[/]" in result.stdout
    assert f"{EMOJI_USER}user-" in result.stdout or MARKUP_USER in result.stdout
    top = cli("draw", "top", "-t", "bingo_line", "--limit", "3", "-d", marked_event.url)
    assert top.exit_code == 0, top.output
    assert f"{EMOJI_USER}user-" in top.stdout or MARKUP_USER in top.stdout


def test_draw_top_prints_markup_in_stored_text_literally_as_a_module(
    marked_event: Db, tmp_path: Path
) -> None:
    done = run_module("draw", "top", "-t", "bingo_line", "--limit", "50", "-d", marked_event.url,
                      cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{EMOJI_USER}user-" in done.stdout


def test_draw_run_prints_nothing_when_the_commit_fails(
    marked_event: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: SqlAlchemyUnitOfWork) -> None:
        raise ConflictError("the commit was refused")

    monkeypatch.setattr(SqlAlchemyUnitOfWork, "commit", refuse)
    result = cli("draw", "run", "-t", "bingo_line", "--winning-number", "x", "-d", marked_event.url)
    assert_one_line_error(result.exit_code, result.stderr, "the commit was refused")
    assert result.stdout == ""


# --- item: oversized integers on the command line -------------------------------------------


@pytest.fixture
def event_file(simulated_file: Path, tmp_path: Path) -> str:
    target = tmp_path / "event.db"
    target.write_bytes(simulated_file.read_bytes())
    return f"sqlite:///{target}"


@pytest.mark.parametrize(
    "args",
    [
        ["draw", "top", "-t", "bingo_line", "--winning-number-id", HUGE],
        ["draw", "export", "-t", "bingo_line", "--winning-number-id", HUGE],
        ["draw", "top", "-t", "bingo_line", "--limit", HUGE],
        ["draw", "run", "-t", "bingo_line", "--limit", HUGE],
        ["draw", "export", "-t", "bingo_line", "--limit", HUGE],
        ["draw", "top", "-t", "bingo_line", "--winning-number-id", "9" * 5000],
        ["simulate", "--seed", HUGE],
    ],
    ids=lambda a: " ".join(a[:2] + a[-2:-1]),
)
def test_oversized_integers_are_a_one_line_usage_error(event_file: str, args: list[str]) -> None:
    before = _digest(Path(event_file.removeprefix("sqlite:///")))
    result = cli(*args, "-d", event_file)
    assert_one_line_error(result.exit_code, result.stderr, args[-2])
    assert result.exit_code == EXIT_USAGE
    assert _digest(Path(event_file.removeprefix("sqlite:///"))) == before


# --- the general rule: no traceback unless --debug -------------------------------------------


def _broken_top(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("something nobody expected")


def test_an_unexpected_error_is_one_line_without_a_traceback(
    event_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nictbw.app.cli.draw.select_top_prize_draw_results", _broken_top)
    result = cli("draw", "top", "-t", "bingo_line", "-d", event_file)
    assert_one_line_error(
        result.exit_code, result.stderr, "internal error", "something nobody expected", "--debug"
    )
    assert result.exit_code == EXIT_INTERNAL


def test_debug_adds_the_traceback_and_keeps_the_error_line(
    event_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nictbw.app.cli.draw.select_top_prize_draw_results", _broken_top)
    result = cli("--debug", "draw", "top", "-t", "bingo_line", "-d", event_file)
    assert result.exit_code == EXIT_INTERNAL
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: internal error")


def test_debug_masks_url_passwords_in_the_traceback() -> None:
    result = cli("--debug", "draw", "top", "-t", "x", "-d", "postgresql+psycopg2://a:S3cret@h/d")
    assert "Traceback" in result.stderr
    assert "S3cret" not in result.output


def test_help_lists_the_debug_option() -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "--debug" in result.stdout
