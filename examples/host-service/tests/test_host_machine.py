"""nictbw's event machine pointed at the host's composition.

Each example gets a fresh host (its nested nictbw on an empty in-memory store); random
workflow sequences go through the host's unit-of-work provider, nictbw's invariants are
checked after every step, and nictbw's own in-memory reference runs beside it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from conftest import fresh_host

machine = pytest.importorskip("nictbw.testing.machine")


def new_store() -> Any:
    """The host's composition on an empty store, as the machine asks for it."""
    return fresh_host().nictbw.unit_of_work


TestHostMachine = machine.machine_for(
    new_store,
    settings=settings(
        max_examples=8,
        stateful_step_count=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ),
)
