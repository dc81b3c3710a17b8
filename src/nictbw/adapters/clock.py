"""Clock adapters: a settable clock for tests and simulations (and the system clock,
which lives in ``nictbw.ports.clock`` as every workflow's default)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nictbw.domain.errors import ValidationError
from nictbw.ports.clock import Clock, SystemClock


class FixedClock(Clock):
    """A clock that stays where it is set; ``advance`` moves it forward."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValidationError(f"FixedClock needs an aware datetime, got {at.isoformat()}")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        """The set time."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to ``at`` (aware)."""
        if at.tzinfo is None:
            raise ValidationError(f"FixedClock needs an aware datetime, got {at.isoformat()}")
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by ``delta``."""
        self._at = self._at + delta


class SteppingClock(Clock):
    """A clock that moves forward by ``step`` after every reading.

    The first ``now()`` returns ``start``, the next ``start + step``, and so on, so every
    timestamp a workflow stamps is distinct and ordered.
    """

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        if start.tzinfo is None:
            raise ValidationError(f"SteppingClock needs an aware datetime, got {start.isoformat()}")
        if step < timedelta(0):
            raise ValidationError(f"SteppingClock step must not be negative, got {step}")
        self._next = start.astimezone(UTC)
        self.step = step

    def now(self) -> datetime:
        """The current reading; the clock then moves on by ``step``."""
        current = self._next
        self._next = current + self.step
        return current

    def peek(self) -> datetime:
        """What the next ``now()`` returns, without moving the clock."""
        return self._next


__all__ = ["FixedClock", "SteppingClock", "SystemClock"]
