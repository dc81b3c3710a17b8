"""Reference data any composition of nictbw must reproduce, as importable values.

- :data:`SCORING_VECTORS`: ``sha256_hex_proximity`` scores of fixed draw numbers against
  fixed winning values, with their top digits (domain-rules.md §7.3).
- :data:`BINGO_WORKED_EXAMPLE`: the card-generation worked example of §5.2 (seed 42,
  centre 1, candidates 2-11).
- :data:`REFERENCE_EVENT_SETTINGS` and :data:`REFERENCE_EVENT_REPORT`: a small seeded event
  and the report ``run_simulation`` gives for it on any storage backend, ``"timings"``
  left out.

A host proves its composition with them, for example::

    report = run_simulation(my_uow_factory, REFERENCE_EVENT_SETTINGS)
    report.pop("timings")
    assert report == REFERENCE_EVENT_REPORT
"""

from __future__ import annotations

from typing import Any, Final

from attrs import frozen

from nictbw.app.simulation.settings import SimulationSettings


@frozen
class ScoringVector:
    """``sha256_hex_proximity(draw, winning)`` gives ``score`` and these top digits."""

    draw: str
    winning: str
    score: float
    draw_top_digits: str
    winning_top_digits: str


SCORING_ALGORITHM: Final = "sha256_hex_proximity"
SCORING_MAX: Final = 0.8999999999999999
"""The score of equal inputs, the highest the algorithm gives."""

SCORING_VECTORS: Final[tuple[ScoringVector, ...]] = (
    ScoringVector("abcd", "abce", 0.8769994616139306, "6188938426", "6011386400"),
    ScoringVector("A", "B", 0.09205801963150056, "3872030720", "1010891671"),
    ScoringVector("abc", "abd", 0.7752364105046057, "8434236848", "7471127736"),
    ScoringVector("abd", "abd", 0.8999999999999999, "7471127736", "7471127736"),
    ScoringVector("abe", "abd", 0.6015995858057395, "9774621562", "7471127736"),
    ScoringVector("abz", "abd", 0.7980906567851689, "6684441351", "7471127736"),
    ScoringVector("origin-0", "origin-0", 0.8999999999999999, "1042206200", "1042206200"),
    ScoringVector("origin-1", "origin-0", 0.0, "1126381933", "1042206200"),
    ScoringVector("origin-2", "origin-0", 0.0, "8810237576", "1042206200"),
    ScoringVector("", "", 0.8999999999999999, "1029873362", "1029873362"),
)
"""Scores of raw inputs (the scorer does not normalise; draws and runs do)."""


@frozen
class BingoWorkedExample:
    """§5.2: ``random.Random(seed)``, centre ``centre``, candidate ids ``candidates``."""

    seed: int
    centre: int
    candidates: tuple[int, ...]
    chosen: tuple[int, ...]
    positions: tuple[int, ...]
    targets_by_idx: tuple[int, ...]


BINGO_WORKED_EXAMPLE: Final = BingoWorkedExample(
    seed=42,
    centre=1,
    candidates=tuple(range(2, 12)),
    chosen=(3, 2, 6, 11, 8, 7, 10, 4),
    positions=(8, 2, 6, 7, 0, 3, 5, 1),
    targets_by_idx=(8, 4, 2, 7, 1, 10, 6, 11, 3),
)

REFERENCE_EVENT_SETTINGS: Final = SimulationSettings(users=12, days=2, seed=7)
"""A small event: 12 users over 2 days, seed 7, the default start."""

REFERENCE_EVENT_REPORT: Final[dict[str, Any]] = {
    "seed": 7,
    "users": 12,
    "days": 2,
    "start": "2025-10-06T09:00:00+00:00",
    "counts": {
        "users": 12,
        "wallet_users": 2,
        "definitions": 23,
        "definitions_by_category": {
            "attendance": 1,
            "bingo": 3,
            "game": 6,
            "partner": 1,
            "venue": 12,
        },
        "instances": 53,
        "instances_succeeded": 52,
        "instances_transferred": 1,
        "minted_on_chain": 52,
        "cards": 6,
        "cards_active": 6,
        "cards_completed": 0,
        "cards_expired": 0,
    },
    "lines_per_card": {"0": 5, "1": 1, "2": 0, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0},
    "issued_per_day": [20, 31],
    "sync": {
        "runs": 4,
        "created": 2,
        "updated": 13,
        "unchanged": 4,
        "transferred": 1,
        "skipped": 0,
        "cards_created": 0,
        "cells_unlocked": 0,
        "definitions_created": ["PARTNER-CAFE"],
    },
    "bingo_update": {"cards_created": 0, "cells_unlocked": 0},
    "draws": {
        "bingo_line": {
            "draw_type": "bingo_line",
            "winning_number": "0d9232a090692c4763ab68fe4b6c6153a0a47c995f052373f5ef86b5b769cc84",
            "threshold": 0.7,
            "eligible": 2,
            "ineligible": 0,
            "snapshot_sha256": "901d30f839677f7937c9fe4f08e1c1a339816fea43cdc987412f7713bbae08cf",
            "beacon": {
                "chain_hash": "9721c0918a7dbae185ee5210b4bd3bac2fb8114d97ef1a3ccf5802c0d819ba08",
                "public_key": "890b57e9cf15f79bdfd400f989b6bab0ca7bfa399327ce2539c2752b168b077ac93526cd3d8faea1c4e3b6d89b486e0f",
                "round": 3,
                "round_at": "2025-10-07T21:31:00+00:00",
            },
            "winners": [],
        },
        "final_attendance": {
            "draw_type": "final_attendance",
            "winning_number": "a4988785a4bdbf0c24963a76bfc8e732a3f07bbf5abed764a45ec1549d363f49",
            "threshold": 0.75,
            "eligible": 7,
            "ineligible": 0,
            "snapshot_sha256": "7f51379a80a9f967f2f9f0ec4a11619739be01cc1775000596700ef774a78573",
            "beacon": {
                "chain_hash": "9721c0918a7dbae185ee5210b4bd3bac2fb8114d97ef1a3ccf5802c0d819ba08",
                "public_key": "890b57e9cf15f79bdfd400f989b6bab0ca7bfa399327ce2539c2752b168b077ac93526cd3d8faea1c4e3b6d89b486e0f",
                "round": 3,
                "round_at": "2025-10-07T21:31:00+00:00",
            },
            "winners": [
                {
                    "rank": 1,
                    "user": "user-0009",
                    "unique_id": "FINAL-DAY-Z3e1eYhFVG0T",
                    "draw_number": "842e7fc229540a6eb12aa1f6d42fddbb7a86f7a243c71b9abd87a86557b6fb7e_0",
                    "similarity": 0.8535538805174827,
                    "outcome": "win",
                },
                {
                    "rank": 2,
                    "user": "user-0005",
                    "unique_id": "FINAL-DAY-kipW8wXmWarq",
                    "draw_number": "bfeaa1551a28f7b324e4e25a15fc899e4fd58dbe7bdc968b7afb2c68774b15d7_0",
                    "similarity": 0.8326332114735902,
                    "outcome": "win",
                },
                {
                    "rank": 3,
                    "user": "user-0012",
                    "unique_id": "FINAL-DAY-TTTn7vZCJ5xU",
                    "draw_number": "c2216b02fc241d0bc9d488b1cfbf33609cfc865239194242a2eddbbd5464ecc2_0",
                    "similarity": 0.7751022443428204,
                    "outcome": "win",
                },
            ],
        },
    },
}
"""``run_simulation(factory, REFERENCE_EVENT_SETTINGS)`` without its ``"timings"``."""


def reference_report() -> dict[str, Any]:
    """A deep copy of :data:`REFERENCE_EVENT_REPORT`, safe to change."""
    import copy

    return copy.deepcopy(REFERENCE_EVENT_REPORT)


__all__ = [
    "BINGO_WORKED_EXAMPLE",
    "REFERENCE_EVENT_REPORT",
    "REFERENCE_EVENT_SETTINGS",
    "SCORING_ALGORITHM",
    "SCORING_MAX",
    "SCORING_VECTORS",
    "BingoWorkedExample",
    "ScoringVector",
    "reference_report",
]
