"""Moving from the earlier package of the same name: import its v0.x or v1.x database.

``import_legacy(source_url, uow, *, clock=None, progress=None)`` copies a legacy database
(read-only) into the empty nictbw database behind ``uow`` and returns an
:class:`ImportReport`; the caller commits. ``run_import_legacy`` is what
``nictbw db import-legacy`` runs (open the target, import, commit; or a dry run into
memory). See docs/legacy-import.md for the procedure and the mapping.
"""

from nictbw.app.legacy_import import (
    UNKNOWN_WINNING_VALUE,
    CardCheck,
    ImportReport,
    MintedCheck,
    Progress,
    ScoreDisagreement,
    SkippedRow,
    import_legacy,
    run_import_legacy,
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
