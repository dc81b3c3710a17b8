"""The root of the command line: the typer apps, their shared options and the error boundary."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final

import typer
from attrs import define
from typer.core import TyperGroup

from nictbw.app.cli.errors import (
    EXIT_DATABASE,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CommandLineError,
    database_problem,
    mask_url_passwords,
    report_error,
)
from nictbw.domain.errors import MalformedExportError, NictbwError

PROG_NAME: Final = "nictbw"


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
        options = RunOptions()
        try:
            result = super().main(
                args=args,
                prog_name=prog_name or PROG_NAME,
                complete_var=complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                obj=options,
                **extra,
            )
        except Exception as exc:
            message, code = describe_failure(exc)
            if options.debug:
                trace = "".join(traceback.format_exception(exc))
                sys.stderr.write(mask_url_passwords(trace))
            return report_error(message, code)
        return result if isinstance(result, int) else EXIT_OK


@define
class RunOptions:
    """The global options of one run, set by the root callback."""

    debug: bool = False


def describe_failure(exc: Exception) -> tuple[str, int]:
    """The one-line message and exit code of a command that raised ``exc``."""
    if isinstance(exc, typer.TyperException):
        return exc.format_message(), exc.exit_code
    if isinstance(exc, typer.Abort):
        return "interrupted", EXIT_INTERRUPTED
    if isinstance(exc, CommandLineError):
        return str(exc), exc.exit_code
    if isinstance(exc, MalformedExportError):
        return str(exc), EXIT_USAGE
    if isinstance(exc, NictbwError):
        return str(exc), EXIT_FAILED
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return (reason if exc.filename is None else f"{exc.filename}: {reason}"), EXIT_FAILED
    problem = database_problem(exc)
    if problem is not None:
        return problem, EXIT_DATABASE
    return (
        f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
        EXIT_INTERNAL,
    )


def _quiet_library_logging() -> None:
    """Library warnings (e.g. instances left out of a draw) are shown in the output instead."""
    logger = logging.getLogger("nictbw")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


app = typer.Typer(
    name=PROG_NAME,
    cls=NictbwGroup,
    help="Badges, bingo cards and auditable prize draws of a city reward programme.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.")
card_app = typer.Typer(help="Bingo cards of a user.")
draw_app = typer.Typer(help="Prize draws: seal, run, rank and export.")
events_app = typer.Typer(help="Domain events of the outbox.")


def _help_when_bare(ctx: typer.Context) -> None:
    """Print the help of a command group called without a subcommand."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error as well.")
    ] = False,
) -> None:
    options = ctx.find_object(RunOptions)
    if options is not None:
        options.debug = debug
    _help_when_bare(ctx)


for _group in (db_app, card_app, draw_app, events_app):
    _group.callback(invoke_without_command=True)(_help_when_bare)
app.add_typer(db_app, name="db")
app.add_typer(card_app, name="card")
app.add_typer(draw_app, name="draw")
app.add_typer(events_app, name="events")

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

INT64_MAX: Final = 2**63 - 1
"""The largest id or count a command accepts (storage holds 64-bit integers)."""
INT64_MIN: Final = -(2**63)

WinningNumberIdOption = Annotated[
    int | None,
    typer.Option(
        metavar="ID", min=1, max=INT64_MAX, help="Winning number (default: the one in effect now)."
    ),
]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``nictbw`` and ``python -m nictbw``."""
    command: Callable[..., Any] = typer.main.get_command(app)
    command(args=list(argv) if argv is not None else None, prog_name=PROG_NAME)


__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "PROG_NAME",
    "DatabaseOption",
    "DrawTypeOption",
    "JsonOption",
    "NictbwGroup",
    "RunOptions",
    "WinningNumberIdOption",
    "app",
    "card_app",
    "db_app",
    "describe_failure",
    "draw_app",
    "events_app",
    "main",
]
