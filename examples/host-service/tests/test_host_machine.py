"""nictbw's event machine pointed at the host's composition.

Runs once ``nictbw.testing.machine`` is installed; random workflow sequences go through the
host's nested container, and nictbw's invariants are checked after every step.
"""

from __future__ import annotations

import pytest

from conftest import fresh_host

machine = pytest.importorskip("nictbw.testing.machine")


def test_the_event_machine_holds_on_the_host_composition() -> None:
    host = fresh_host()
    host_machine = machine.machine_for(uow_factory=host.nictbw.unit_of_work)
    host_machine.TestCase().runTest()
