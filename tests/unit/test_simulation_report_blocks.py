"""The simulation report counts storage a block of users at a time, with the same totals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.simulation import SimulationSettings, run_simulation
from nictbw.app.simulation import report as simulation_report

SETTINGS = SimulationSettings(users=40, days=3, seed=5)


def _counted(store: InMemoryStore, report: dict[str, Any]) -> dict[str, Any]:
    with InMemoryUnitOfWork(store) as uow:
        return simulation_report.event_report(
            uow,
            SETTINGS,
            now=SETTINGS.start + timedelta(days=SETTINGS.days - 1, hours=13),
            wallet_users=report["counts"]["wallet_users"],
            minted=report["counts"]["minted_on_chain"],
            issued_per_day=report["issued_per_day"],
            sync=simulation_report.SyncTotals(),
            bingo_update=report["bingo_update"],
            draws=report["draws"],
        )


def test_the_report_counts_the_same_in_blocks_of_users(monkeypatch: pytest.MonkeyPatch) -> None:
    store = InMemoryStore()
    report = run_simulation(lambda: InMemoryUnitOfWork(store), SETTINGS)
    whole = _counted(store, report)
    monkeypatch.setattr(simulation_report, "REPORT_CHUNK", 3)
    blocked = _counted(store, report)
    assert whole["counts"] == blocked["counts"] == report["counts"]
    assert whole["lines_per_card"] == blocked["lines_per_card"] == report["lines_per_card"]
    assert report["counts"]["users"] > 3 * 2
