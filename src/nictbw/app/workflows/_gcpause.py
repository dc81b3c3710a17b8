"""Bulk workflows pause CPython's cyclic garbage collector while they run.

A draw, a bulk issuance, a bulk card workflow (``update_bingo_info_many``,
``bingo_cards_json_many``, per chunk) or ``sync_many`` allocates a few objects per row
(candidates, results, instances, cards), most of which stay alive until the workflow (or
its chunk) is done. The collector runs each time enough container objects were allocated
and, as the surviving ones pile up, repeatedly walks all of them: measured on a
10,000-user event that is a fifth of a SQLite bingo draw and a seventh of bulk issuance
(docs/performance.md). These objects form no reference cycles and are freed by reference
counting, so collecting while the workflow runs finds nothing; pausing the collector
changes no result, and the work it skipped is done once, at its next run after the
pause.

The pause is process-wide (that is how CPython's collector works), so a library must not
impose it on the process that embeds it: it is off unless switched on with
``set_collector_pause(True)`` (the container's ``gc_pause`` setting, on in the command
line and the benchmarks). When on, pauses are counted: nested or concurrent pauses
(threads) share one, and the collector is enabled again only when the last one ends and
only if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from nictbw.domain.errors import ValidationError

_lock = threading.Lock()
_pauses = 0
_was_enabled = False
_switched_on = False


def set_collector_pause(enabled: bool) -> bool:
    """Switch the pause of bulk workflows on or off for this process; returns the old value.

    A pause already running ends as it began.
    """
    global _switched_on
    if not isinstance(enabled, bool):
        raise ValidationError(f"gc_pause must be True or False, got {enabled!r}")
    with _lock:
        previous, _switched_on = _switched_on, enabled
    return previous


def collector_pause_enabled() -> bool:
    """True when bulk workflows pause the collector (``set_collector_pause``)."""
    return _switched_on


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with automatic garbage collection paused when the pause is switched on
    (see the module docstring); otherwise just run it."""
    global _pauses, _was_enabled
    if not _switched_on:
        yield
        return
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


@contextmanager
def survivors_frozen() -> Iterator[Callable[[], None]]:
    """For a long job run in phases (the simulation): yields ``freeze``, to call between
    phases, which moves every object then alive out of the collector's reach
    (``gc.freeze``), after a collection of the young generations so fresh garbage is not
    kept. What the job keeps for its whole run (visitors, the fake chain's ledger) is then
    not walked again by every full collection. When the block ends everything frozen is
    handed back to the collector (``gc.unfreeze``), so nothing is kept for good.

    Process-wide like the pause, so it does nothing unless the pause is switched on
    (``set_collector_pause``) and nothing else in the process has frozen objects.
    """
    if not _switched_on or gc.get_freeze_count():
        yield _no_freeze
        return
    try:
        yield _freeze
    finally:
        gc.unfreeze()


def _freeze() -> None:
    gc.collect(1)
    gc.freeze()


def _no_freeze() -> None:
    return None


__all__ = [
    "collector_pause_enabled",
    "collector_paused",
    "set_collector_pause",
    "survivors_frozen",
]
