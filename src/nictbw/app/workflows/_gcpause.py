"""Bulk workflows pause CPython's cyclic garbage collector while they run.

A draw or a bulk issuance allocates a few objects per row (candidates, results,
instances, cards), most of which stay alive until the workflow returns. The collector
runs each time enough container objects were allocated and, as the surviving ones pile
up, repeatedly walks all of them: measured on a 10,000-user event that is a fifth of a
SQLite bingo draw and a seventh of bulk issuance (docs/performance.md). These objects
form no reference cycles and are freed by reference counting, so collecting while the
workflow runs finds nothing; pausing the collector changes no result, and the work it
skipped is done once, at its next run after the pause.

The pause is process-wide (that is how CPython's collector works) and counted: nested or
concurrent pauses (threads) share one, and the collector is enabled again only when the
last one ends and only if it was enabled when the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with automatic garbage collection paused (see the module docstring)."""
    global _pauses, _was_enabled
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


__all__ = ["collector_paused"]
