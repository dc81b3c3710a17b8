"""The randomness-beacon port: a public source of verifiable randomness (drand)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from nictbw.domain.beacon import BeaconInfo, BeaconRound


class RandomnessBeacon(Protocol):
    """A beacon publishing one signed random round per period.

    Every failure is a ``BeaconError``; a round not yet published raises
    ``BeaconRoundNotPublishedError`` carrying its publication time.
    """

    def info(self) -> BeaconInfo:
        """The chain: hash, public key, period, genesis time and scheme."""
        ...

    def round_at(self, time: datetime) -> int:
        """The latest round published at ``time`` (0 before the genesis)."""
        ...

    def time_of(self, round_number: int) -> datetime:
        """When ``round_number`` is (or was) published."""
        ...

    def get(self, round_number: int) -> BeaconRound:
        """Round ``round_number``, verified against :meth:`info`."""
        ...
