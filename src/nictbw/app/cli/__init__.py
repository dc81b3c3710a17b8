"""The ``nictbw`` command line (also ``python -m nictbw``), built with typer and rich.

Commands: ``simulate``, ``db upgrade``, ``card show``,
``draw run|seal|snapshot|top|export``, ``events tail``, ``verify``, ``audit``, ``fake-chain`` and
``fake-beacon``, one module per command group (``beacon`` also opens the configured beacon);
``root`` holds the typer apps and the error boundary, ``session`` opens the database (and
decides which command may change its schema), ``rendering`` draws the results,
``errors`` the exit codes. Every
command composes nictbw through the ``Container`` (database URL from ``--database``, else
``NICTBW_DATABASE_URL``, else ``sqlite:///nictbw.db``). Any failure ends with one
``error: ...`` line on stderr (URL passwords masked) and the exit code of its kind, never
a traceback unless ``--debug`` is given.
"""

# Importing a command module registers its commands; --help lists them in this order.
# isort: off
from nictbw.app.cli import simulate, verify, fake_chain, beacon, db, card, draw, audit, events

# isort: on
from nictbw.app.cli.errors import CommandLineError
from nictbw.app.cli.rendering import LINE_NAMES
from nictbw.app.cli.root import NictbwGroup, app, main

__all__ = [
    "LINE_NAMES",
    "CommandLineError",
    "NictbwGroup",
    "app",
    "audit",
    "beacon",
    "card",
    "db",
    "draw",
    "events",
    "fake_chain",
    "main",
    "simulate",
    "verify",
]
