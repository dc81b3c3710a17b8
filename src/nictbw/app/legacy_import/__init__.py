"""Import a database of the system nictbw replaces (v0.x or v1.x) into an empty nictbw
database: ``import_legacy`` for library use, ``run_import_legacy`` for the command line."""

from nictbw.app.legacy_import.command import run_import_legacy
from nictbw.app.legacy_import.importer import UNKNOWN_WINNING_VALUE, Progress, import_legacy
from nictbw.app.legacy_import.report import (
    CardCheck,
    ImportReport,
    MintedCheck,
    ScoreDisagreement,
    SkippedRow,
)

__all__ = [
    "UNKNOWN_WINNING_VALUE",
    "CardCheck",
    "ImportReport",
    "MintedCheck",
    "Progress",
    "ScoreDisagreement",
    "SkippedRow",
    "import_legacy",
    "run_import_legacy",
]
