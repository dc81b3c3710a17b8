"""Ports: the protocols the application needs from storage, the chain, time and password
hashing."""

from nictbw.ports.beacon import RandomnessBeacon
from nictbw.ports.chain import ChainPort
from nictbw.ports.clock import Clock
from nictbw.ports.passwords import PasswordHasher
from nictbw.ports.repositories import (
    AdminRepository,
    AuditLogRepository,
    BingoCardRepository,
    DefinitionRepository,
    DrawResultRepository,
    DrawSnapshotRepository,
    DrawTypeRepository,
    EventRepository,
    IdempotencyKeyRepository,
    InstanceRepository,
    UnitOfWork,
    UserRepository,
    WinningNumberRepository,
)

__all__ = [
    "AdminRepository",
    "AuditLogRepository",
    "BingoCardRepository",
    "ChainPort",
    "Clock",
    "DefinitionRepository",
    "DrawResultRepository",
    "DrawSnapshotRepository",
    "DrawTypeRepository",
    "EventRepository",
    "IdempotencyKeyRepository",
    "InstanceRepository",
    "PasswordHasher",
    "RandomnessBeacon",
    "UnitOfWork",
    "UserRepository",
    "WinningNumberRepository",
]
