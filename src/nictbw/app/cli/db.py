"""``nictbw db``: database maintenance."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from nictbw.app.cli.errors import EXIT_USAGE, CommandLineError, database_problem, one_line
from nictbw.app.cli.rendering import emit, print_json
from nictbw.app.cli.root import DatabaseOption, JsonOption, db_app
from nictbw.app.cli.session import (
    Access,
    build_container,
    check_driver,
    database_url,
    needs_migration,
    session,
    shown_url,
)
from nictbw.app.container import (
    BACKEND_SQL,
    MEMORY_DATABASE_URL,
    retention_period,
    storage_backend,
)
from nictbw.domain.errors import NictbwError
from nictbw.domain.redaction import mask_url, redact

if TYPE_CHECKING:
    from nictbw.app.legacy_import import ImportReport, Progress


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Migrate the database to the newest revision and print it."""
    container = build_container(database)
    url = database_url(container)
    if storage_backend(url) != BACKEND_SQL:
        raise CommandLineError(f"{MEMORY_DATABASE_URL} has no schema to migrate")
    from nictbw.adapters.sqlalchemy import migrate
    from nictbw.adapters.sqlalchemy.migrate import current_revisions

    check_driver(url)
    if needs_migration(url, Access.UPGRADE):
        migrate(url)
    revisions = ", ".join(current_revisions(url)) or "none"
    typer.echo(f"{shown_url(url)} is at revision {revisions}")


@db_app.command("purge-keys")
def db_purge_keys(
    older_than_days: Annotated[
        float | None,
        typer.Option(
            "--older-than-days",
            metavar="DAYS",
            help="Retention in days (default: config idempotency.retention_days, 7).",
        ),
    ] = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Forget the idempotency keys stored before now minus the retention.

    A retry of a keyed call after its key was purged is a new call. Run it as a periodic
    job; it deletes keys only, never what the calls did.
    """
    retention = (
        build_container(database).idempotency_retention()
        if older_than_days is None
        else retention_period(older_than_days)
    )
    from nictbw.workflows import purge_idempotency_keys

    with session(database, Access.WRITE) as (uow, clock):
        cutoff = clock.now() - retention
        purged = purge_idempotency_keys(uow, cutoff)
        uow.commit()
    if json_output:
        print_json({"purged": purged, "stored_before": cutoff.isoformat()})
    else:
        emit(Text(f"purged {purged} idempotency keys stored before {cutoff.isoformat()}"))


SKIPPED_SHOWN = 50
"""How many rows left out the text report lists (``--json`` lists them all)."""


def _url_secrets(*urls: str | None) -> list[str]:
    """The passwords inside ``urls`` (as given and decoded), to keep them out of output."""
    from urllib.parse import unquote, urlsplit

    secrets: list[str] = []
    for url in urls:
        if not url:
            continue
        try:
            password = urlsplit(url.strip()).password
        except ValueError:
            password = None
        if password is None and "@" in url and "://" in url:
            credentials = url.split("://", 1)[1].rsplit("@", 1)[0]
            password = credentials.split(":", 1)[1] if ":" in credentials else None
        if password:
            secrets.extend({password, unquote(password)})
    return secrets


@contextmanager
def _legacy_bar(enabled: bool) -> Iterator[Progress | None]:
    """A progress callback drawing one bar per kind of row on a terminal's stderr."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

    from nictbw.app.cli.rendering import stderr

    bars = Progress(
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr(),
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def update(kind: str, done: int, total: int) -> None:
        if kind not in tasks:
            tasks[kind] = bars.add_task(kind, total=max(total, done, 1))
        bars.update(tasks[kind], completed=done, total=max(total, done, 1))

    bars.start()
    try:
        yield update
    finally:
        bars.stop()


def _import_renderables(report: ImportReport) -> list[Any]:
    from rich.table import Table

    from nictbw.app.cli.rendering import key_value_table, titled

    counts = Table(box=None)
    for name in ("kind", "read", "imported", "left out"):
        counts.add_column(name, justify="left" if name == "kind" else "right")
    for kind, read in report.read.items():
        imported = report.imported.get(kind, 0)
        counts.add_row(kind, str(read), str(imported), str(read - imported))
    summary = key_value_table(
        "Legacy import" + (" (dry run: nothing was written)" if report.dry_run else ""),
        [
            ("source", report.source),
            ("generation", report.generation),
            ("rows left out", report.skipped_count),
            ("definitions whose minted count was corrected", len(report.minted_checks)),
            ("cards whose state disagrees with their cells", len(report.card_checks)),
            ("completed lines", report.completed_lines),
            ("results re-scored", report.results_rescored),
            ("score disagreements", len(report.score_disagreements)),
            ("results on an unknown winning number", report.results_on_unknown),
        ],
    )
    out: list[Any] = [summary, titled("Rows", counts)]
    if report.skipped:
        skipped = Table(box=None)
        for name in ("table", "id", "reason"):
            skipped.add_column(name)
        for row in report.skipped[:SKIPPED_SHOWN]:
            skipped.add_row(row.table, str(row.row_id), row.reason)
        out.append(titled("Rows left out", skipped))
        if report.skipped_count > SKIPPED_SHOWN:
            more = report.skipped_count - SKIPPED_SHOWN
            out.append(f"... and {more} more; --json lists every one")
    return out


@db_app.command("import-legacy")
def db_import_legacy(
    source: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="URL",
            help="The legacy database (v0.x or v1.x): sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB. It is only read.",
            show_default=False,
        ),
    ],
    database: DatabaseOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Import into memory and print the report only."),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Import a legacy database into an empty nictbw database (all or nothing)."""
    secrets = _url_secrets(source, database)
    try:
        report, rendered = _run_legacy_import(source, database, dry_run, json_output)
    except CommandLineError as exc:
        raise CommandLineError(redact(str(exc), secrets), exc.exit_code) from None
    except NictbwError as exc:
        raise CommandLineError(redact(str(exc), secrets)) from None
    except Exception as exc:
        problem = database_problem(exc)
        if problem is None:
            raise
        raise CommandLineError(redact(problem, secrets), 3) from None
    if json_output:
        import json

        sys.stdout.write(redact(json.dumps(rendered, ensure_ascii=False, indent=2), secrets))
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    from nictbw.app.cli.rendering import stdout

    console = stdout()
    with console.capture() as captured:
        for renderable in _import_renderables(report):
            console.print(renderable)
    sys.stdout.write(redact(captured.get(), secrets))
    sys.stdout.flush()


def _run_legacy_import(
    source: str, database: str | None, dry_run: bool, json_output: bool
) -> tuple[ImportReport, dict[str, Any]]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from nictbw.app.legacy_import import run_import_legacy

    source = source.strip()
    try:
        backend = make_url(source).get_backend_name()
    except (ArgumentError, ValueError) as exc:
        raise CommandLineError(
            f"--from URL {mask_url(source)!r} is malformed ({one_line(str(exc))}); use "
            "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
            EXIT_USAGE,
        ) from None
    if backend not in ("sqlite", "postgresql"):
        raise CommandLineError(
            f"--from URL {mask_url(source)!r} is neither SQLite nor PostgreSQL", EXIT_USAGE
        )
    check_driver(source)
    target: str | None = None
    if not dry_run:
        container = build_container(database)
        target = database_url(container)
        if storage_backend(target) != BACKEND_SQL:
            raise CommandLineError(
                f"{MEMORY_DATABASE_URL} keeps nothing after the command; use --dry-run to see "
                "the report, or a SQLite or PostgreSQL --database",
                EXIT_USAGE,
            )
        check_driver(target)
        needs_migration(target, Access.CREATE)
    with _legacy_bar(not json_output) as progress:
        return run_import_legacy(source, database=target, dry_run=dry_run, progress=progress)


__all__ = ["db_import_legacy", "db_upgrade"]
