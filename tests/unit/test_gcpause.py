"""The opt-in pause of the cyclic garbage collector during bulk workflows."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from nictbw.app.workflows import collector_pause_enabled, set_collector_pause
from nictbw.app.workflows._gcpause import collector_paused
from nictbw.domain.errors import ValidationError


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    was_on, was_enabled = collector_pause_enabled(), gc.isenabled()
    yield
    set_collector_pause(was_on)
    if was_enabled:
        gc.enable()


def test_switched_off_a_bulk_workflow_leaves_the_collector_alone() -> None:
    set_collector_pause(False)
    with collector_paused():
        assert gc.isenabled()


def test_switched_on_the_collector_is_paused_and_restored() -> None:
    set_collector_pause(False)
    assert set_collector_pause(True) is False
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_switching_off_during_a_pause_still_ends_it() -> None:
    set_collector_pause(True)
    with collector_paused():
        set_collector_pause(False)
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_fresh_process_has_the_pause_off() -> None:
    import subprocess
    import sys

    probe = "import nictbw.workflows, nictbw.app.workflows as w; print(w.collector_pause_enabled())"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


def test_the_switch_takes_only_booleans() -> None:
    with pytest.raises(ValidationError, match="gc_pause"):
        set_collector_pause(1)  # type: ignore[arg-type]
