"""How the command line reports a failure: one ``error: ...`` line and an exit code."""

from __future__ import annotations

import sys

import typer


class CommandLineError(Exception):
    """A user mistake the command line reports as one line, with an exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def one_line(text: str) -> str:
    """``text`` with its lines joined by spaces and blank lines dropped."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def database_problem(exc: BaseException) -> str | None:
    """A one-line description of a database driver error, or None for anything else."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, sa_exc.SQLAlchemyError):
        return None
    cause = getattr(exc, "orig", None) or exc
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return f"database error: {first}"


def report_error(message: str, code: int) -> int:
    """Print ``error: message`` as one line on stderr; return ``code``."""
    typer.echo(f"error: {one_line(message)}", err=True)
    return code


__all__ = ["CommandLineError", "database_problem", "one_line", "report_error"]
