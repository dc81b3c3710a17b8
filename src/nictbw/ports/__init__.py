"""Ports: the protocols the application needs from storage, the chain and time."""

from nictbw.ports.beacon import RandomnessBeacon
from nictbw.ports.chain import ChainPort
from nictbw.ports.clock import Clock
from nictbw.ports.repositories import (
    AdminRepository,
    BingoCardRepository,
    DefinitionRepository,
    DrawResultRepository,
    DrawSnapshotRepository,
    DrawTypeRepository,
    InstanceRepository,
    UnitOfWork,
    UserRepository,
    WinningNumberRepository,
)

__all__ = [
    "AdminRepository",
    "BingoCardRepository",
    "ChainPort",
    "Clock",
    "DefinitionRepository",
    "DrawResultRepository",
    "DrawSnapshotRepository",
    "DrawTypeRepository",
    "InstanceRepository",
    "RandomnessBeacon",
    "UnitOfWork",
    "UserRepository",
    "WinningNumberRepository",
]
