"""The nictbw domain: entities, value objects and pure rules. No I/O, no infrastructure."""

from nictbw.domain.beacon import BeaconInfo, BeaconRound, verify_beacon
from nictbw.domain.engine import EngineResult, PrizeDrawEngine
from nictbw.domain.entities import (
    Admin,
    BingoCard,
    BingoCell,
    DrawCandidate,
    NFTDefinition,
    NFTInstance,
    PrizeDrawEvaluation,
    PrizeDrawResult,
    PrizeDrawSnapshot,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    ScoreComputation,
    ScoreEvaluation,
    SyncNote,
    SyncReport,
    User,
)
from nictbw.domain.errors import (
    BeaconError,
    BeaconRoundNotPublishedError,
    ChainError,
    ConflictError,
    NictbwError,
    NotFoundError,
    ValidationError,
)
from nictbw.domain.events import DomainEvent, EventType
from nictbw.domain.outcomes import DrawOutcome
from nictbw.domain.ranking import rank_with_ties
from nictbw.domain.scoring import (
    DEFAULT_SCORING_REGISTRY,
    AlgorithmRegistry,
    ScoringAlgorithm,
    derive_draw_number,
)

__all__ = [
    "DEFAULT_SCORING_REGISTRY",
    "Admin",
    "AlgorithmRegistry",
    "BeaconError",
    "BeaconInfo",
    "BeaconRound",
    "BeaconRoundNotPublishedError",
    "BingoCard",
    "BingoCell",
    "ChainError",
    "ConflictError",
    "DomainEvent",
    "DrawCandidate",
    "DrawOutcome",
    "EngineResult",
    "EventType",
    "NFTDefinition",
    "NFTInstance",
    "NictbwError",
    "NotFoundError",
    "PrizeDrawEngine",
    "PrizeDrawEvaluation",
    "PrizeDrawResult",
    "PrizeDrawSnapshot",
    "PrizeDrawType",
    "PrizeDrawWinningNumber",
    "ScoreComputation",
    "ScoreEvaluation",
    "ScoringAlgorithm",
    "SyncNote",
    "SyncReport",
    "User",
    "ValidationError",
    "derive_draw_number",
    "rank_with_ties",
    "verify_beacon",
]
