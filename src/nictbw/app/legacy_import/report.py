"""What a legacy import did: counts, every row left out and why, and the cross-checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen

from nictbw.domain.timeutil import iso

KINDS = (
    "users",
    "admins",
    "definitions",
    "instances",
    "bingo_cards",
    "bingo_cells",
    "draw_types",
    "winning_numbers",
    "results",
)
"""The kinds of rows an import reads and writes, in the order it handles them."""


@frozen
class SkippedRow:
    """A legacy row that was not imported: its table (legacy name), id and the reason."""

    table: str
    row_id: int | None
    reason: str


@frozen
class MintedCheck:
    """A definition whose legacy ``minted_count`` disagrees with its instances.

    ``imported_minted_count`` is at least ``highest_serial + 1`` so that issuing after
    the import never repeats a serial number.
    """

    definition_id: int
    prefix: str
    legacy_minted_count: int
    instances: int
    highest_serial: int | None
    imported_minted_count: int


@frozen
class CardCheck:
    """An imported card whose stored state disagrees with its cells."""

    card_id: int
    state: str
    unlocked_cells: int
    completed_lines: int
    reason: str


@frozen
class ScoreDisagreement:
    """An imported result whose stored figures differ from nictbw's re-scoring.

    ``fields`` names what differs; ``from_normalisation`` is True when scoring the raw,
    un-normalised winning value (as the old code did) gives the stored figures.
    """

    result_id: int
    fields: tuple[str, ...]
    legacy_score: float | None
    rescored_score: float | None
    legacy_outcome: str
    rescored_outcome: str
    from_normalisation: bool


@frozen
class ImportReport:
    """The outcome of :func:`nictbw.app.legacy_import.import_legacy`.

    ``read`` and ``imported`` count rows per kind (:data:`KINDS`); ``skipped`` lists
    every legacy row not imported (a definition's legacy fields nictbw has no column
    for are stored on it, in ``imported_extra``). ``unknown_winning_numbers`` maps a draw
    type id to the id of the winning number created for results whose own number is
    gone; ``results_on_unknown`` counts those results.
    """

    source: str
    generation: str
    dry_run: bool
    started_at: datetime
    read: Mapping[str, int]
    imported: Mapping[str, int]
    skipped: tuple[SkippedRow, ...]
    minted_checks: tuple[MintedCheck, ...]
    card_checks: tuple[CardCheck, ...]
    completed_lines: int
    unknown_winning_numbers: Mapping[int, int]
    results_on_unknown: int
    results_rescored: int
    score_disagreements: tuple[ScoreDisagreement, ...]

    @property
    def skipped_count(self) -> int:
        """Number of legacy rows not imported."""
        return len(self.skipped)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report (keys in a fixed order)."""
        return {
            "source": self.source,
            "generation": self.generation,
            "dry_run": self.dry_run,
            "started_at": iso(self.started_at),
            "read": dict(self.read),
            "imported": dict(self.imported),
            "skipped": [
                {"table": row.table, "id": row.row_id, "reason": row.reason} for row in self.skipped
            ],
            "minted_checks": [
                {
                    "definition_id": check.definition_id,
                    "prefix": check.prefix,
                    "legacy_minted_count": check.legacy_minted_count,
                    "instances": check.instances,
                    "highest_serial": check.highest_serial,
                    "imported_minted_count": check.imported_minted_count,
                }
                for check in self.minted_checks
            ],
            "card_checks": [
                {
                    "card_id": check.card_id,
                    "state": check.state,
                    "unlocked_cells": check.unlocked_cells,
                    "completed_lines": check.completed_lines,
                    "reason": check.reason,
                }
                for check in self.card_checks
            ],
            "completed_lines": self.completed_lines,
            "unknown_winning_numbers": {
                str(key): value for key, value in self.unknown_winning_numbers.items()
            },
            "results_on_unknown": self.results_on_unknown,
            "results_rescored": self.results_rescored,
            "score_disagreements": [
                {
                    "result_id": item.result_id,
                    "fields": list(item.fields),
                    "legacy_score": item.legacy_score,
                    "rescored_score": item.rescored_score,
                    "legacy_outcome": item.legacy_outcome,
                    "rescored_outcome": item.rescored_outcome,
                    "from_normalisation": item.from_normalisation,
                }
                for item in self.score_disagreements
            ],
        }


__all__ = [
    "KINDS",
    "CardCheck",
    "ImportReport",
    "MintedCheck",
    "ScoreDisagreement",
    "SkippedRow",
]
