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


__all__ = ["FixedClock", "SystemClock"]
