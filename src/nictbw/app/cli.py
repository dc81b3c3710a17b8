"""The ``nictbw`` command line (also ``python -m nictbw``), built with typer and rich.

Commands: ``simulate``, ``db upgrade``, ``card show``, ``draw run|top|export``,
``verify`` and ``fake-chain``. Every command composes nictbw through the ``Container``
(database URL from ``--database``, else ``NICTBW_DATABASE_URL``, else
``sqlite:///nictbw.db``). A mistake of the user (bad option, unknown draw type, bad URL,
unreadable export, any ``NictbwError``) ends with one ``error: ...`` line on stderr and
a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich import box
from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from nictbw.adapters.clock import FixedClock
from nictbw.app.audit import export_draw, read_export, verify_export
from nictbw.app.container import (
    BACKEND_SQL,
    MEMORY_DATABASE_URL,
    Container,
    storage_backend,
)
from nictbw.app.reporting import winner_rows
from nictbw.app.simulation import DatabaseNotEmptyError, SimulationSettings, run_simulation
from nictbw.domain.entities import WINNING_LINES, DrawCandidate, PrizeDrawType
from nictbw.domain.errors import NictbwError, NotFoundError, ValidationError
from nictbw.domain.timeutil import iso
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    bingo_cards_json,
    get_prize_draw_type,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    select_top_prize_draw_results,
    snapshot_prize_draw,
    submit_winning_number,
)

PROG_NAME: Final = "nictbw"
LINE_NAMES: Final = (
    "top row",
    "middle row",
    "bottom row",
    "left column",
    "middle column",
    "right column",
    "diagonal",
    "anti-diagonal",
)


CELL_STYLES: Final = {"line": "bold black on green", "unlocked": "green", "locked": "dim"}
"""How a bingo cell is drawn: on a completed line, unlocked, locked."""


class CommandLineError(Exception):
    """A user mistake the command line reports as one line, with an exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _database_problem(exc: BaseException) -> str | None:
    """A one-line description of a database driver error, or None for anything else."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, sa_exc.SQLAlchemyError):
        return None
    cause = getattr(exc, "orig", None) or exc
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return f"database error: {first}"


class NictbwGroup(TyperGroup):
    """The root command: turns user mistakes into one ``error:`` line and an exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exits (standalone) or returns the exit code."""
        code = self._run(args, prog_name, complete_var, windows_expand_args, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
        windows_expand_args: bool,
        extra: dict[str, Any],
    ) -> int:
        _quiet_library_logging()
        try:
            result = super().main(
                args=args,
                prog_name=prog_name or PROG_NAME,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except typer.TyperException as exc:
            return _report_error(exc.format_message(), exc.exit_code)
        except typer.Abort:
            return _report_error("aborted", 1)
        except CommandLineError as exc:
            return _report_error(str(exc), exc.exit_code)
        except NictbwError as exc:
            return _report_error(str(exc), 1)
        except OSError as exc:
            return _report_error(exc.strerror or str(exc), 1)
        except Exception as exc:
            problem = _database_problem(exc)
            if problem is None:
                raise
            return _report_error(problem, 1)
        return result if isinstance(result, int) else 0


def _quiet_library_logging() -> None:
    """Library warnings (e.g. instances left out of a draw) are shown in the output instead."""
    logger = logging.getLogger("nictbw")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _report_error(message: str, code: int) -> int:
    typer.echo(f"error: {_one_line(message)}", err=True)
    return code


app = typer.Typer(
    name=PROG_NAME,
    cls=NictbwGroup,
    help="Badges, bingo cards and auditable prize draws of a city reward programme.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.")
card_app = typer.Typer(help="Bingo cards of a user.")
draw_app = typer.Typer(help="Prize draws: run, rank and export.")


def _help_when_bare(ctx: typer.Context) -> None:
    """Print the help of a command group called without a subcommand."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


for _group in (app, db_app, card_app, draw_app):
    _group.callback(invoke_without_command=True)(_help_when_bare)
app.add_typer(db_app, name="db")
app.add_typer(card_app, name="card")
app.add_typer(draw_app, name="draw")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        metavar="URL",
        help="memory://, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
        "(default: $NICTBW_DATABASE_URL, else sqlite:///nictbw.db).",
        show_default=False,
    ),
]
DrawTypeOption = Annotated[
    str, typer.Option("--type", "-t", metavar="NAME", help="Internal name of the draw type.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON, without markup.")]


def _stdout() -> Console:
    """The console of results: the terminal's width, 120 columns when not a terminal."""
    width = None if sys.stdout.isatty() else shutil.get_terminal_size((120, 24)).columns
    return Console(file=sys.stdout, highlight=False, width=width)


def _stderr() -> Console:
    return Console(file=sys.stderr, highlight=False)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


# --- composition ----------------------------------------------------------------------------


def _container(database: str | None) -> Container:
    container = Container.from_env()
    if database is not None:
        container.config.database_url.from_value(database.strip())
    url = container.config.database_url()
    storage_backend(url)
    return container


def _database_url(container: Container) -> str:
    return str(container.config.database_url())


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None (memory databases, other backends)."""
    if storage_backend(url) != BACKEND_SQL:
        return None
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ValidationError(f"database URL {url!r} is malformed: {exc}") from None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or parsed.query.get("mode") == "memory":
        return None
    return Path(database)


def _shown_url(url: str) -> str:
    if storage_backend(url) != BACKEND_SQL:
        return url
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@contextmanager
def _session(database: str | None) -> Iterator[tuple[UnitOfWork, FixedClock]]:
    """A unit of work on an existing database and one instant of the container's clock.

    An absent SQLite file is an error (a read must not create an empty database).
    """
    container = _container(database)
    url = _database_url(container)
    path = _sqlite_path(url)
    if path is not None and not path.exists():
        raise CommandLineError(
            f"database file {str(path)!r} does not exist; run 'nictbw simulate' or "
            "'nictbw db upgrade' first, or pass --database"
        )
    try:
        clock = FixedClock(container.clock().now())
        uow: UnitOfWork = container.unit_of_work()
        with uow:
            yield uow, clock
    finally:
        container.shutdown_resources()


# --- simulate -------------------------------------------------------------------------------


class RichProgress:
    """Simulation progress as rich progress bars on ``console``, shown from the first phase."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._started = False
        self._task: TaskID | None = None
        self._total = 0

    def start_phase(self, name: str, total: int) -> None:
        """Add a bar for the phase."""
        if not self._started:
            self._progress.start()
            self._started = True
        self._total = max(total, 1)
        self._task = self._progress.add_task(name, total=self._total)

    def advance(self, amount: int = 1) -> None:
        """Move the current bar."""
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def end_phase(self) -> None:
        """Fill the current bar."""
        if self._task is not None:
            self._progress.update(self._task, completed=self._total)
            self._task = None

    def close(self) -> None:
        """Stop drawing the bars."""
        if self._started:
            self._progress.stop()
            self._started = False


def _delete_sqlite(url: str) -> None:
    path = _sqlite_path(url)
    if path is None:
        if storage_backend(url) == BACKEND_SQL:
            raise CommandLineError(
                f"--fresh only deletes SQLite files; empty {_shown_url(url)} yourself "
                "or use another --database"
            )
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = path.with_name(path.name + suffix)
        if candidate.exists():
            candidate.unlink()


@app.command()
def simulate(
    users: Annotated[int, typer.Option(min=1, help="Number of visitors.")] = 200,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed of every random choice (default: $NICTBW_SEED, else 0).",
            show_default=False,
        ),
    ] = None,
    database: DatabaseOption = None,
    days: Annotated[int, typer.Option(min=1, help="Event days.")] = 5,
    json_output: JsonOption = False,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the SQLite database file first.")
    ] = False,
) -> None:
    """Run a whole seeded event through the real workflows and print a report."""
    container = _container(database)
    if seed is None:
        configured = container.config.seed()
        seed = 0 if configured is None else int(configured)
    settings = SimulationSettings(users=users, days=days, seed=seed)
    settings.check()
    url = _database_url(container)
    if fresh:
        _delete_sqlite(url)
    try:
        bars = None if json_output else RichProgress(_stderr())
        try:
            report = run_simulation(container.unit_of_work, settings, progress=bars)
        finally:
            if bars is not None:
                bars.close()
    except DatabaseNotEmptyError as exc:
        raise CommandLineError(
            f"{_shown_url(url)}: {exc}; pass --fresh to delete it first "
            "or --database to use another"
        ) from None
    finally:
        container.shutdown_resources()
    if json_output:
        _print_json(report)
    else:
        _render_report(report, _shown_url(url))


def _titled(title: str, table: Table) -> Group:
    """A table under a bold title line (titles never wrap to the table's width)."""
    return Group(Text(title, style="bold"), table)


def _key_value_table(title: str, rows: Sequence[tuple[str, Any]]) -> Group:
    table = Table(show_header=False, box=box.SIMPLE)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(key, str(value))
    return _titled(title, table)


def _short(value: str | None, keep: int = 16) -> str:
    if value is None:
        return "-"
    return value if len(value) <= keep + 1 else value[:keep] + "…"


def _winners_table(title: str, rows: Sequence[dict[str, Any]]) -> Group:
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("user", no_wrap=True)
    table.add_column("badge", no_wrap=True)
    table.add_column("draw number", no_wrap=True)
    table.add_column("similarity", justify="right", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    for row in rows:
        similarity = row["similarity"]
        table.add_row(
            str(row["rank"]),
            str(row["user"]),
            str(row["unique_id"]),
            _short(row["draw_number"]),
            "-" if similarity is None else f"{similarity:.6f}",
            str(row["outcome"]),
        )
    if not rows:
        table.add_row("-", "no winner", "", "", "", "")
    return _titled(title, table)


def _render_report(report: dict[str, Any], url: str) -> None:
    console = _stdout()
    console.print(
        f"Simulated {report['users']} users over {report['days']} days "
        f"(seed {report['seed']}, from {report['start']}) on {url}\n"
    )
    console.print(_key_value_table("Counts", _counts(report)))
    lines = Table(box=box.SIMPLE_HEAD)
    lines.add_column("completed lines", justify="right")
    lines.add_column("cards", justify="right")
    for count, cards in report["lines_per_card"].items():
        lines.add_row(count, str(cards))
    console.print(_titled("Bingo lines per card", lines))
    rows: list[tuple[str, Any]] = [
        (key.replace("_", " "), ", ".join(value) if isinstance(value, list) else value)
        for key, value in report["sync"].items()
    ]
    console.print(_key_value_table("Chain sync of wallet users (totals)", rows))
    update = report["bingo_update"]
    console.print(
        _key_value_table(
            "update_user_bingo_info for every user",
            [
                ("cards created", update["cards_created"]),
                ("cells unlocked", update["cells_unlocked"]),
            ],
        )
    )
    for draw in report["draws"].values():
        console.print(
            _winners_table(
                f"Winners of {draw['draw_type']}: winning number {draw['winning_number']}, "
                f"threshold {draw['threshold']}, {draw['eligible']} eligible, "
                f"{draw['ineligible']} ineligible left out",
                draw["winners"],
            )
        )
    console.print(
        _key_value_table(
            "Time per phase (s)",
            [(name, f"{seconds:.3f}") for name, seconds in report["timings"].items()],
        )
    )


def _counts(report: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in report["counts"].items():
        if isinstance(value, dict):
            value = ", ".join(f"{name} {count}" for name, count in value.items())
        rows.append((key.replace("_", " "), value))
    rows.append(("issued per day", " ".join(str(n) for n in report["issued_per_day"])))
    return rows


# --- db -------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Migrate the database to the newest revision and print it."""
    container = _container(database)
    url = _database_url(container)
    if storage_backend(url) != BACKEND_SQL:
        raise CommandLineError(f"{MEMORY_DATABASE_URL} has no schema to migrate")
    from nictbw.adapters.sqlalchemy import migrate
    from nictbw.adapters.sqlalchemy.migrate import current_revisions

    migrate(url)
    revisions = ", ".join(current_revisions(url)) or "none"
    typer.echo(f"{_shown_url(url)} is at revision {revisions}")


# --- card -----------------------------------------------------------------------------------


@card_app.command("show")
def card_show(
    user: Annotated[str, typer.Option("--user", "-u", metavar="IN_APP_ID", help="The user.")],
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Draw the user's bingo cards as 3x3 grids."""
    with _session(database) as (uow, clock):
        found = uow.users.get_by_in_app_id(user)
        if found is None:
            raise NotFoundError(f"user {user!r} does not exist")
        cards = bingo_cards_json(uow, found, clock=clock)
    if json_output:
        _print_json(cards)
        return
    console = _stdout()
    if not cards:
        console.print(f"{user} has no bingo card")
        return
    for card in cards:
        console.print(_card_grid(card))


def _card_grid(card: dict[str, Any]) -> Table:
    cells = {cell["idx"]: cell for cell in card["cells"]}
    unlocked = {idx for idx, cell in cells.items() if cell["state"] == "unlocked"}
    completed = [
        number for number, line in enumerate(WINNING_LINES) if all(idx in unlocked for idx in line)
    ]
    on_line = {idx for number in completed for idx in WINNING_LINES[number]}
    centre = cells.get(4, {}).get("target_definition") or {}
    caption = (
        "completed: " + ", ".join(LINE_NAMES[n] for n in completed)
        if completed
        else "no completed line"
    )
    table = Table(
        title=f"card {card['id']} · centre {centre.get('name', '?')} · {card['state']}",
        title_justify="left",
        caption=caption,
        caption_justify="left",
        show_header=False,
        show_lines=True,
    )
    for _ in range(3):
        table.add_column(width=22, justify="center")
    for row in range(3):
        rendered: list[Text] = []
        for column in range(3):
            idx = 3 * row + column
            cell = cells.get(idx)
            if cell is None:
                rendered.append(Text("(missing)", style="red"))
                continue
            target = cell.get("target_definition") or {}
            name = str(target.get("name") or f"definition {cell.get('definition_id')}")
            state = "unlocked" if idx in unlocked else "locked"
            style = CELL_STYLES["line" if idx in on_line else state]
            text = Text(name, style=style)
            text.append(f"\n{'★ ' if idx == 4 else ''}{state}", style=style)
            rendered.append(text)
        table.add_row(*rendered)
    return table


# --- draw -----------------------------------------------------------------------------------


def _draw_type(uow: UnitOfWork, name: str) -> PrizeDrawType:
    draw_type = get_prize_draw_type(uow, name)
    if draw_type is None:
        known = ", ".join(sorted(t.internal_name for t in uow.draw_types.list())) or "none"
        raise NotFoundError(f"draw type {name!r} does not exist (known: {known})")
    return draw_type


@draw_app.command("run")
def draw_run(
    draw_type: DrawTypeOption,
    winning_number: Annotated[
        str | None,
        typer.Option("--winning-number", metavar="V", help="Submit V as a new winning number."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Winners to keep (ties at the cutoff kept).")
    ] = None,
    bingo: Annotated[
        bool, typer.Option("--bingo", help="Among badges on completed bingo lines (default).")
    ] = False,
    attendance: Annotated[
        str | None,
        typer.Option(
            "--attendance", metavar="DEF_PREFIX", help="Among the badges of this definition."
        ),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Threshold instead of the draw type's default.")
    ] = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Run a draw, commit its results and print the winners."""
    if bingo and attendance is not None:
        raise typer.BadParameter("--bingo and --attendance exclude each other")
    with _session(database) as (uow, clock):
        now = clock.now()
        kind = _draw_type(uow, draw_type)
        assert kind.id is not None
        if winning_number is not None:
            number = submit_winning_number(uow, kind, winning_number, clock=clock)
        else:
            resolved = uow.winning_numbers.latest_in_effect(kind.id, now)
            if resolved is None:
                raise ValidationError(
                    f"draw type {draw_type!r} has no winning number in effect now; "
                    "pass --winning-number V"
                )
            number = resolved
        pool: Sequence[DrawCandidate]
        if attendance is not None:
            definition = uow.definitions.get_by_prefix(attendance)
            if definition is None or definition.id is None:
                raise NotFoundError(f"definition {attendance!r} does not exist")
            pool = uow.instances.candidates_for_definition(definition.id)
            winners = run_final_attendance_prize_draw(
                uow,
                kind,
                attendance_definition_id=definition.id,
                winning_number=number,
                threshold=threshold,
                limit=limit,
                clock=clock,
            )
        else:
            pool = uow.bingo_cards.completed_line_candidates(now)
            winners = run_bingo_prize_draw(
                uow, kind, winning_number=number, threshold=threshold, limit=limit, clock=clock
            )
        rows = winner_rows(uow, winners)
        uow.commit()
    eligible = sum(1 for candidate in pool if candidate.is_draw_eligible)
    summary = {
        "draw_type": kind.internal_name,
        "winning_number_id": number.id,
        "winning_number": number.value,
        "threshold": threshold if threshold is not None else kind.default_threshold,
        "eligible": eligible,
        "ineligible": len(pool) - eligible,
        "winners": rows,
    }
    if json_output:
        _print_json(summary)
        return
    console = _stdout()
    console.print(
        _winners_table(
            f"{kind.internal_name}: winning number {number.value} (id {number.id}), "
            f"threshold {summary['threshold']}",
            rows,
        )
    )
    console.print(
        f"{eligible} eligible instances evaluated, "
        f"{summary['ineligible']} ineligible instances left out"
    )


@draw_app.command("snapshot")
def draw_snapshot(
    draw_type: DrawTypeOption,
    attendance: Annotated[
        str | None,
        typer.Option(
            "--attendance",
            metavar="DEF_PREFIX",
            help="Fix the badges of this definition (default: badges on completed lines).",
        ),
    ] = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fix a draw's candidate set (digest and pending results) before its winning number."""
    with _session(database) as (uow, clock):
        kind = _draw_type(uow, draw_type)
        definition_id = None
        if attendance is not None:
            definition = uow.definitions.get_by_prefix(attendance)
            if definition is None or definition.id is None:
                raise NotFoundError(f"definition {attendance!r} does not exist")
            definition_id = definition.id
        taken = snapshot_prize_draw(uow, kind, attendance_definition_id=definition_id, clock=clock)
        uow.commit()
    summary = {
        "draw_type": kind.internal_name,
        "snapshot_id": taken.id,
        "scope": taken.scope,
        "candidate_count": taken.candidate_count,
        "candidates_sha256": taken.candidates_sha256,
        "created_at": iso(taken.created_at),
    }
    if json_output:
        _print_json(summary)
        return
    _stdout().print(
        f"snapshot {taken.id} of {kind.internal_name} ({taken.scope}): "
        f"{taken.candidate_count} candidates fixed at {summary['created_at']}, "
        f"digest {taken.candidates_sha256}"
    )


@draw_app.command("top")
def draw_top(
    draw_type: DrawTypeOption,
    limit: Annotated[int, typer.Option(min=1, help="How many results.")] = 10,
    with_ties: Annotated[
        bool, typer.Option("--with-ties", help="Add the results tying the last one.")
    ] = False,
    winning_number_id: Annotated[
        int | None,
        typer.Option(metavar="ID", help="Winning number (default: the one in effect now)."),
    ] = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """The best stored results of a draw type, highest similarity first."""
    with _session(database) as (uow, clock):
        kind = _draw_type(uow, draw_type)
        number = None
        if winning_number_id is not None:
            number = uow.winning_numbers.get(winning_number_id)
            if number is None:
                raise NotFoundError(f"winning number {winning_number_id} does not exist")
        results = select_top_prize_draw_results(
            uow, kind, number, limit=limit, with_ties=with_ties, clock=clock
        )
        rows = winner_rows(uow, results)
    if json_output:
        _print_json(rows)
        return
    _stdout().print(_winners_table(f"top {limit} of {kind.internal_name}", rows))


@draw_app.command("export")
def draw_export(
    draw_type: DrawTypeOption,
    winning_number_id: Annotated[
        int | None,
        typer.Option(metavar="ID", help="Winning number (default: the one in effect now)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Winners to list (default: all that can win).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Export a draw (candidates, scores, winners, digest) as JSON for offline checks."""
    with _session(database) as (uow, clock):
        document = export_draw(
            uow, draw_type, winning_number_id=winning_number_id, limit=limit, clock=clock
        )
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {document['candidate_count']} candidates to {output}", err=True)


# --- verify ---------------------------------------------------------------------------------


@app.command()
def verify(
    export_file: Annotated[Path, typer.Argument(metavar="FILE", help="A 'draw export' file.")],
) -> None:
    """Recompute an exported draw offline; print OK or every mismatch."""
    document = read_export(export_file)
    problems = verify_export(document)
    if problems:
        for problem in problems:
            typer.echo(f"MISMATCH {problem}")
        typer.echo(f"FAILED: {len(problems)} mismatch(es) in {export_file}")
        raise typer.Exit(1)
    number = document["winning_number"]
    typer.echo(
        f"OK: {document['draw_type']['internal_name']} with winning number "
        f"{number['value']!r}: {document['candidate_count']} candidates and "
        f"{len(document['winners'])} winners recomputed, "
        f"digest {document['candidates_sha256']}"
    )
    snapshot = document.get("snapshot")
    if snapshot is None:
        typer.echo("no snapshot: the export does not prove when the candidate set was fixed")
    else:
        typer.echo(
            f"candidate set fixed by snapshot {snapshot['id']} at {snapshot['created_at']}, "
            f"before the winning number ({number.get('created_at')})"
        )


# --- fake-chain -----------------------------------------------------------------------------


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line when ``host:port`` cannot be bound (0 always can)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CommandLineError(f"cannot listen on {host}:{port}: {reason}") from None


@app.command("fake-chain")
def fake_chain(
    port: Annotated[int, typer.Option(min=0, max=65535, help="0 picks a free port.")] = 8123,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of transaction ids.")] = 0,
    username: Annotated[str, typer.Option(help="API username it accepts.")] = "nictbw",
    password: Annotated[str, typer.Option(help="API password it accepts.")] = "nictbw",
) -> None:
    """Serve a fake chain API over HTTP until Ctrl-C."""
    from nictbw.adapters.chain import run_fake_chain

    _check_port_free(host, port)

    def ready(url: str) -> None:
        typer.echo(f"fake chain listening on {url} (user {username!r}; Ctrl-C to stop)")
        sys.stdout.flush()

    run_fake_chain(port, host=host, seed=seed, users={username: password}, on_ready=ready)
    typer.echo("fake chain stopped")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``nictbw`` and ``python -m nictbw``."""
    command: Callable[..., Any] = typer.main.get_command(app)
    command(args=list(argv) if argv is not None else None, prog_name=PROG_NAME)


__all__ = ["CommandLineError", "NictbwGroup", "app", "main"]
