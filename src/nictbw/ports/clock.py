"""The clock port: time comes in from outside so runs are reproducible.

``SystemClock`` is the default every workflow falls back to when no clock is given; it
lives beside the port so that workflows need no adapter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """A source of the current time."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock(Clock):
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)


__all__ = ["Clock", "SystemClock"]
