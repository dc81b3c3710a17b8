"""Child processes that a test stops with Ctrl-C (SIGINT)."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """``preexec_fn`` of a child the test interrupts: SIGINT acts as in a terminal.

    A shell without job control starts background commands with SIGINT ignored, and a
    child inherits that; Python then never raises ``KeyboardInterrupt``, so a server
    started by a suite run in the background would not stop on the test's SIGINT.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
