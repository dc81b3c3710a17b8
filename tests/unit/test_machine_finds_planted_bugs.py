"""The event machine finds a planted bug within its default budget.

Each test breaks one rule of the in-memory adapter (monkeypatched for the test only) and
runs :func:`nictbw.testing.machine.run_machine` with :data:`DEFAULT_SETTINGS` (and no
example database, so nothing is replayed): the machine must report a falsifying example.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.adapters.memory.repositories.definitions import InMemoryDefinitionRepository
from nictbw.ports import UnitOfWork
from nictbw.testing.machine import DEFAULT_SETTINGS, UowFactory, run_machine

BUDGET = settings(DEFAULT_SETTINGS, database=None)


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
