"""The simulated city event: its catalogue of badges, draw types and visiting habits."""

from __future__ import annotations

from typing import Final

from attrs import frozen

from nictbw.domain.entities import PrizeDrawType

ALGORITHM: Final = "sha256_hex_proximity"
BINGO_DRAW: Final = "bingo_line"
ATTENDANCE_DRAW: Final = "final_attendance"
ATTENDANCE_PREFIX: Final = "FINAL-DAY"
PARTNER_APP: Final = "harbour-cafe"


@frozen
class BadgeSpec:
    """One definition of the simulated catalogue and how often visitors collect it."""

    prefix: str
    name: str
    category: str
    weight: float = 0.0
    max_supply: int | None = None
    triggers_bingo_card: bool = False
    bingo_random_candidate: bool = True


VENUES: Final = (
    BadgeSpec("CASTLE", "Castle Keep", "venue", 30.0),
    BadgeSpec("MARKET", "Central Market", "venue", 26.0),
    BadgeSpec("MUSEUM", "City Museum", "venue", 20.0),
    BadgeSpec("PARK", "Riverside Park", "venue", 17.0),
    BadgeSpec("TOWER", "Clock Tower", "venue", 13.0),
    BadgeSpec("GALLERY", "Harbour Gallery", "venue", 9.0),
    BadgeSpec("TEMPLE", "Hill Temple", "venue", 7.0),
    BadgeSpec("BRIDGE", "Old Stone Bridge", "venue", 5.0),
    BadgeSpec("GARDEN", "Botanical Garden", "venue", 3.5),
    BadgeSpec("OBSERVATORY", "Observatory", "venue", 2.0),
    BadgeSpec("LIGHTHOUSE", "North Lighthouse", "venue", 0.8, max_supply=25),
    BadgeSpec("SEACAVE", "Sea Cave", "venue", 0.4),
)
GAMES: Final = (
    BadgeSpec("QUIZ", "Street Quiz", "game", 12.0),
    BadgeSpec("TREASURE", "Treasure Hunt", "game", 8.0),
    BadgeSpec("LANTERN", "Lantern Race", "game", 5.0),
    BadgeSpec("PUZZLE", "Puzzle Room", "game", 3.0),
    BadgeSpec("KARAOKE", "Karaoke Night", "game", 2.0),
    BadgeSpec("ARCADE", "Retro Arcade", "game", 1.0),
)
TRIGGERS: Final = (
    BadgeSpec("BINGO-NORTH", "North Quarter Bingo Pass", "bingo", 5.0, None, True, False),
    BadgeSpec("BINGO-HARBOUR", "Harbour Bingo Pass", "bingo", 3.0, None, True, False),
    BadgeSpec("BINGO-OLDTOWN", "Old Town Bingo Pass", "bingo", 2.0, None, True, False),
)
ATTENDANCE: Final = BadgeSpec(
    ATTENDANCE_PREFIX, "Final Day Attendance", "attendance", bingo_random_candidate=False
)
PARTNER: Final = BadgeSpec("PARTNER-CAFE", "Harbour Café Stamp", "partner")
CATALOGUE: Final = (*VENUES, *GAMES, *TRIGGERS, ATTENDANCE)

DRAW_TYPES: Final = (
    PrizeDrawType(
        internal_name=BINGO_DRAW,
        display_name="Bingo line prize",
        description="Among every badge on a completed bingo line",
        algorithm_key=ALGORITHM,
        default_threshold=0.7,
    ),
    PrizeDrawType(
        internal_name=ATTENDANCE_DRAW,
        display_name="Final day prize",
        description="Among every final-day attendance badge",
        algorithm_key=ALGORITHM,
        default_threshold=0.75,
    ),
)

VISITS_PER_DAY: Final = (1, 2, 3, 4, 5, 6)
VISIT_WEIGHTS: Final = (15, 22, 22, 18, 13, 10)
TRIGGER_CHANCE: Final = 0.35


__all__ = [
    "ATTENDANCE",
    "ATTENDANCE_DRAW",
    "ATTENDANCE_PREFIX",
    "BINGO_DRAW",
    "CATALOGUE",
    "DRAW_TYPES",
    "GAMES",
    "PARTNER",
    "PARTNER_APP",
    "TRIGGERS",
    "VENUES",
    "BadgeSpec",
]
