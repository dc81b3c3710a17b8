"""The invariants of nictbw's state hold after any sequence of workflows (memory adapter).

The public event machine (:mod:`nictbw.testing.machine`) alone, on the in-memory adapter:
no reference beside it, every invariant checked after each step. The budget comes from the
hypothesis profile (``dev`` or ``ci``).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.ports import UnitOfWork
from nictbw.testing.machine import UowFactory, machine_for
from tests.support.profiles import machine_budget


def new_memory_store() -> UowFactory:
    """A unit-of-work factory on a new, empty in-memory store."""
    store = InMemoryStore()

    def factory() -> UnitOfWork:
        return InMemoryUnitOfWork(store)

    return factory


_examples, _steps = machine_budget("invariants")

TestInvariants = machine_for(
    new_memory_store,
    compare_with_memory=False,
    host_name="memory",
    settings=settings(
        max_examples=_examples,
        stateful_step_count=_steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ),
)
