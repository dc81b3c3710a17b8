"""What ``nictbw db import-legacy`` runs: open the target, import, commit (or not)."""

from __future__ import annotations

from typing import Any

from nictbw.adapters.legacy import LegacySource
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, open_database
from nictbw.app.legacy_import.importer import Progress, import_legacy
from nictbw.app.legacy_import.report import ImportReport
from nictbw.domain.errors import ValidationError
from nictbw.ports.clock import Clock


def run_import_legacy(
    source_url: str,
    *,
    database: str | None = None,
    dry_run: bool = False,
    clock: Clock | None = None,
    progress: Progress | None = None,
) -> tuple[ImportReport, dict[str, Any]]:
    """Import ``source_url`` into ``database`` and commit; return the report and its dict.

    ``dry_run`` imports into a throw-away in-memory store instead (``database`` is then
    not touched, not even opened). Without ``dry_run`` a ``database`` URL is required;
    it is migrated to the newest revision first, must be empty, and gets everything or
    nothing. An unreadable source is refused before the target is opened.
    """
    with LegacySource(source_url):
        pass
    if dry_run:
        with InMemoryUnitOfWork(InMemoryStore()) as memory:
            report = import_legacy(source_url, memory, clock=clock, progress=progress, dry_run=True)
        return report, report.to_dict()
    if database is None:
        raise ValidationError("a target database URL is required unless dry_run is set")
    engine = open_database(database)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            report = import_legacy(source_url, uow, clock=clock, progress=progress)
            uow.commit()
    finally:
        engine.dispose()
    return report, report.to_dict()


__all__ = ["run_import_legacy"]
