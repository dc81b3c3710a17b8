"""The event machine finds a planted bug within its default budget.

A bug in an adapter (serials off by one in bulk, an audit log whose entries change) or
in a workflow (a revocation that leaves the cells it unlocked unlocked).

Each test breaks one rule of the in-memory adapter (monkeypatched for the test only) and
runs :func:`nictbw.testing.machine.run_machine` with :data:`DEFAULT_SETTINGS` (and no
example database, so nothing is replayed): the machine must report a falsifying example.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import settings

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.adapters.memory.audit import InMemoryAuditLogRepository
from nictbw.adapters.memory.repositories.definitions import InMemoryDefinitionRepository
from nictbw.app.workflows import lifecycle
from nictbw.ports import UnitOfWork
from nictbw.testing.machine import DEFAULT_SETTINGS, UowFactory, run_machine

BUDGET = settings(DEFAULT_SETTINGS, database=None, derandomize=True)
"""The default budget on a fixed seed: whether a planted bug is found does not depend on
the run (on random seeds the revocation bug went unfound about once in tens of runs)."""


def new_memory_store() -> UowFactory:
    store = InMemoryStore()

    def factory() -> UnitOfWork:
        return InMemoryUnitOfWork(store)

    return factory


def test_the_unbroken_adapter_passes() -> None:
    run_machine(new_memory_store, compare_with_memory=False, settings=BUDGET)


def test_serial_reservation_off_by_one_in_bulk_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    reserve = InMemoryDefinitionRepository.reserve_serials

    def off_by_one(self: Any, definition_id: int, count: int, *, enforce_supply: bool) -> Any:
        first = reserve(self, definition_id, count, enforce_supply=enforce_supply)
        return first + 1 if first is not None and count > 1 else first

    monkeypatch.setattr(InMemoryDefinitionRepository, "reserve_serials", off_by_one)
    with pytest.raises(AssertionError, match="not contiguous"):
        run_machine(new_memory_store, compare_with_memory=False, settings=BUDGET)


def test_a_revocation_that_leaves_its_cells_unlocked_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def keep_everything(*_: Any) -> bool:
        return False

    monkeypatch.setattr(lifecycle, "release_instance", keep_everything)
    with pytest.raises(AssertionError, match="unlocked by revoked instance"):
        run_machine(new_memory_store, compare_with_memory=False, settings=BUDGET)


def test_an_audit_log_that_rewrites_its_entries_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = InMemoryAuditLogRepository.list

    def restamped(self: Any, **filters: Any) -> Any:
        entries = listed(self, **filters)
        return [attrs.evolve(entry, action=f"{entry.action}-{len(entries)}") for entry in entries]

    monkeypatch.setattr(InMemoryAuditLogRepository, "list", restamped)
    with pytest.raises(AssertionError, match="an audit entry changed or went"):
        run_machine(new_memory_store, compare_with_memory=False, settings=BUDGET)
