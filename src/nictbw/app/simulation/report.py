"""The report of a simulated event: sync totals, draw summaries and what storage holds."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Final

from attrs import define, field

from nictbw.app.reporting import winner_rows
from nictbw.app.simulation.settings import SimulationSettings
from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CARD_EXPIRED,
    INSTANCE_SUCCEEDED,
    PrizeDrawSnapshot,
    SyncReport,
)
from nictbw.domain.outcomes import DrawOutcome
from nictbw.domain.timeutil import iso
from nictbw.ports import UnitOfWork

REPORT_CHUNK: Final = 2_000
"""Users whose cards the report reads at a time."""


@define
class SyncTotals:
    """The chain sync reports of every wallet user, added up."""

    runs: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    transferred: int = 0
    skipped: int = 0
    cards_created: int = 0
    cells_unlocked: int = 0
    definitions_created: list[str] = field(factory=list)

    def add(self, report: SyncReport) -> None:
        """Count one sync run."""
        self.runs += 1
        self.created += report.created
        self.updated += report.updated
        self.unchanged += report.unchanged
        self.transferred += report.transferred
        self.skipped += len(report.skipped)
        self.cards_created += report.cards_created
        self.cells_unlocked += report.cells_unlocked
        self.definitions_created.extend(report.definitions_created)

    def as_json(self) -> dict[str, Any]:
        """The totals as a JSON-ready dict."""
        return {
            "runs": self.runs,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "transferred": self.transferred,
            "skipped": self.skipped,
            "cards_created": self.cards_created,
            "cells_unlocked": self.cells_unlocked,
            "definitions_created": list(self.definitions_created),
        }


def draw_report(
    uow: UnitOfWork,
    draw_type: str,
    outcome: DrawOutcome,
    snapshot_sha256: str,
    *,
    sealed: PrizeDrawSnapshot | None = None,
) -> dict[str, Any]:
    """One draw of the event as the report shows it, rendered from its ``DrawOutcome``;
    a draw ``sealed`` by a snapshot also shows the beacon round its number came from."""
    report: dict[str, Any] = {
        "draw_type": draw_type,
        "winning_number": outcome.winning_number.value,
        "threshold": outcome.threshold,
        "eligible": outcome.eligible,
        "ineligible": outcome.ineligible,
        "snapshot_sha256": snapshot_sha256,
    }
    if sealed is not None:
        report["beacon"] = {
            "chain_hash": sealed.beacon_chain_hash,
            "public_key": sealed.beacon_public_key,
            "round": sealed.beacon_round,
            "round_at": iso(sealed.beacon_round_at),
            "max_wins_per_user": sealed.max_wins_per_user,
            "seal_digest": sealed.seal_digest,
        }
    report["winners"] = winner_rows(uow, outcome)
    return report


def not_drawn_report(draw_type: str) -> dict[str, Any]:
    """A draw of the event that had no candidates: not sealed, no number, no winners."""
    return {
        "draw_type": draw_type,
        "winning_number": None,
        "threshold": None,
        "eligible": 0,
        "ineligible": 0,
        "snapshot_sha256": None,
        "not_drawn": "no candidates",
        "winners": [],
    }


def event_report(
    uow: UnitOfWork,
    settings: SimulationSettings,
    *,
    now: datetime,
    wallet_users: int,
    minted: int,
    issued_per_day: list[int],
    sync: SyncTotals,
    bingo_update: dict[str, int],
    draws: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The JSON-ready report of the event (without timings), counting what storage holds.

    Instances are counted by status in storage (no instance is read). Cards are read per
    chunk of :data:`REPORT_CHUNK` users (every one belongs to a user), so the report
    holds one chunk of them at a time, not the event.
    """
    users = uow.users.list()
    definitions = uow.definitions.list()
    user_ids = [user.id for user in users if user.id is not None]
    statuses = uow.instances.count_by_status()
    instances = sum(statuses.values())
    cards = 0
    states: Counter[str] = Counter()
    lines: Counter[int] = Counter()
    for start in range(0, len(user_ids), REPORT_CHUNK):
        chunk = user_ids[start : start + REPORT_CHUNK]
        laid = uow.bingo_cards.list_for_users(chunk)
        cards += len(laid)
        states.update(card.effective_state(now) for card in laid)
        lines.update(len(card.completed_lines()) for card in laid)
    by_category = Counter(d.category or "none" for d in definitions)
    return {
        "seed": settings.seed,
        "users": settings.users,
        "days": settings.days,
        "start": iso(settings.start),
        "counts": {
            "users": len(users),
            "wallet_users": wallet_users,
            "definitions": len(definitions),
            "definitions_by_category": dict(sorted(by_category.items())),
            "instances": instances,
            "instances_succeeded": statuses.get(INSTANCE_SUCCEEDED, 0),
            "instances_transferred": instances - statuses.get(INSTANCE_SUCCEEDED, 0),
            "minted_on_chain": minted,
            "cards": cards,
            "cards_active": states[CARD_ACTIVE],
            "cards_completed": states[CARD_COMPLETED],
            "cards_expired": states[CARD_EXPIRED],
        },
        "lines_per_card": {str(n): lines[n] for n in range(9)},
        "issued_per_day": list(issued_per_day),
        "sync": sync.as_json(),
        "bingo_update": dict(bingo_update),
        "draws": draws,
    }


__all__ = ["SyncTotals", "draw_report", "event_report", "not_drawn_report"]
