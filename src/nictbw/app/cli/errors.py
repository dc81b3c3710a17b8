"""How the command line reports a failure: one ``error: ...`` line and an exit code.

Exit codes (docs/cli.md keeps the same table):

====  ==============================================================================
0     success
1     the command failed: a verification found mismatches, or a request was refused
      (unknown draw type, user or definition; a rule of the domain; a conflict)
2     usage error or malformed input: a bad option or value, a malformed export file
3     the database cannot be used as it is: missing, not a nictbw database, behind
      (``nictbw db upgrade``), written by a newer nictbw, driver missing, or a database
      error
4     an unexpected internal error (a bug; ``--debug`` shows the traceback)
130   interrupted (Ctrl-C)
====  ==============================================================================
"""

from __future__ import annotations

import re
import sys
from typing import Final

import typer

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_DATABASE: Final = 3
EXIT_INTERNAL: Final = 4
EXIT_INTERRUPTED: Final = 130

_URL_PASSWORD: Final = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^\s/@:'\"]*:)[^\s/@'\"]*@")


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


def mask_url_passwords(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\g<head>***@", text)


def report_error(message: str, code: int) -> int:
    """Print ``error: message`` as one line on stderr (URL passwords masked); return ``code``."""
    typer.echo(f"error: {mask_url_passwords(one_line(message))}", err=True)
    return code


__all__ = [
    "EXIT_DATABASE",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandLineError",
    "database_problem",
    "mask_url_passwords",
    "one_line",
    "report_error",
]
