"""The root of the command line: the typer apps, their shared options and the error boundary."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final

import typer
from typer.core import TyperGroup

from nictbw.app.cli.errors import CommandLineError, database_problem, report_error
from nictbw.domain.errors import NictbwError

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
            return report_error(exc.format_message(), exc.exit_code)
        except typer.Abort:
            return report_error("aborted", 1)
        except CommandLineError as exc:
            return report_error(str(exc), exc.exit_code)
        except NictbwError as exc:
            return report_error(str(exc), 1)
        except OSError as exc:
            return report_error(exc.strerror or str(exc), 1)
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                raise
            return report_error(problem, 1)
        return result if isinstance(result, int) else 0


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


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``nictbw`` and ``python -m nictbw``."""
    command: Callable[..., Any] = typer.main.get_command(app)
    command(args=list(argv) if argv is not None else None, prog_name=PROG_NAME)


__all__ = [
    "PROG_NAME",
    "DatabaseOption",
    "DrawTypeOption",
    "JsonOption",
    "NictbwGroup",
    "app",
    "card_app",
    "db_app",
    "draw_app",
    "main",
]
