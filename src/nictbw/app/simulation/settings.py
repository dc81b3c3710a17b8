"""What a simulation plays: its settings and their bounds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from attrs import frozen

from nictbw.domain.errors import ValidationError

SIMULATION_START: Final = datetime(2025, 10, 6, 9, 0, tzinfo=UTC)
"""First morning of the simulated event (a fixed past date, so results stay in effect)."""

MAX_USERS: Final = 100_000
MAX_DAYS: Final = 60


@frozen
class SimulationSettings:
    """What to simulate. ``wallet_share`` is the share of users whose chain sync runs."""

    users: int = 200
    days: int = 5
    seed: int = 0
    start: datetime = SIMULATION_START
    wallet_share: float = 0.15
    bingo_limit: int = 10
    attendance_limit: int = 5

    def check(self) -> None:
        """``ValidationError`` naming the first setting out of range."""
        _check_int(self.users, "users", 1, MAX_USERS)
        _check_int(self.days, "days", 1, MAX_DAYS)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValidationError(f"seed must be an int, got {self.seed!r}")
        if self.start.tzinfo is None:
            raise ValidationError(f"start must be timezone-aware, got {self.start.isoformat()}")
        if not 0.0 <= self.wallet_share <= 1.0:
            raise ValidationError(f"wallet_share must be in [0, 1], got {self.wallet_share!r}")
        _check_int(self.bingo_limit, "bingo_limit", 1, MAX_USERS)
        _check_int(self.attendance_limit, "attendance_limit", 1, MAX_USERS)


def _check_int(value: object, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{name} must be an int in [{low}, {high}], got {value!r}")


__all__ = ["MAX_DAYS", "MAX_USERS", "SIMULATION_START", "SimulationSettings"]
