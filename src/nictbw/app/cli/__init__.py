"""The ``nictbw`` command line (also ``python -m nictbw``), built with typer and rich.

Commands: ``simulate``, ``db upgrade``, ``card show``, ``draw run|top|export``,
``verify`` and ``fake-chain``. Every command composes nictbw through the ``Container``
(database URL from ``--database``, else ``NICTBW_DATABASE_URL``, else
``sqlite:///nictbw.db``). A mistake of the user (bad option, unknown draw type, bad URL,
unreadable export, any ``NictbwError``) ends with one ``error: ...`` line on stderr and
a non-zero exit code, never a traceback.
"""

from nictbw.app.cli import card, db, draw, fake_chain, simulate, verify
from nictbw.app.cli.errors import CommandLineError
from nictbw.app.cli.rendering import LINE_NAMES
from nictbw.app.cli.root import NictbwGroup, app, main

__all__ = [
    "LINE_NAMES",
    "CommandLineError",
    "NictbwGroup",
    "app",
    "card",
    "db",
    "draw",
    "fake_chain",
    "main",
    "simulate",
    "verify",
]
