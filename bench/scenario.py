"""The seeded event the benchmarks play: catalogue, visitors and their badge grants.

Everything comes from one ``random.Random(seed)``, so two runs with the same seed and the
same number of users issue the same badges in the same order on every adapter. Grants
are produced block by block (``grant_blocks``) so a 100,000-user event is never held in
memory at once.

The event: sixteen venues and games whose popularity follows a Zipf-like curve (a few
venues are visited by almost everybody, the tail by few), three bingo passes (trigger
definitions; holding one gives a card centred on it) and a final-day attendance badge.
A visitor collects 6 to 10 distinct venues, one bingo pass (a few two), and attends the
final day with probability ``ATTENDANCE_CHANCE``: about nine badges on average. Every
badge carries an origin shaped like a chain origin (``<64 hex>_0``), so it can be drawn.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Final

from attrs import frozen

from nictbw.adapters.clock import FixedClock
from nictbw.domain.entities import (
    Admin,
    NFTDefinition,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    Grant,
    create_nft_definition,
    create_prize_draw_type,
    register_admin,
    submit_winning_number,
)

EVENT_START: Final = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ALGORITHM: Final = "sha256_hex_proximity"

VENUE_COUNT: Final = 16
VENUE_SKEW: Final = 0.9
"""Popularity of the venue ranked r (from 1) is proportional to 1 / r**VENUE_SKEW."""
VENUES_PER_VISITOR: Final = (6, 7, 8, 9, 10)
VENUE_COUNT_WEIGHTS: Final = (10, 20, 30, 25, 15)
TRIGGER_PREFIXES: Final = ("PASS-NORTH", "PASS-HARBOUR", "PASS-OLDTOWN")
TRIGGER_WEIGHTS: Final = (5.0, 3.0, 2.0)
SECOND_PASS_CHANCE: Final = 0.12
ATTENDANCE_PREFIX: Final = "FINAL-DAY"
ATTENDANCE_CHANCE: Final = 0.55

BINGO_DRAW: Final = "bench_bingo_line"
ATTENDANCE_DRAW: Final = "bench_final_attendance"
BINGO_THRESHOLD: Final = 0.7
ATTENDANCE_THRESHOLD: Final = 0.75


@frozen
class Catalogue:
    """The stored definitions of the event."""

    venues: tuple[NFTDefinition, ...]
    venue_weights: tuple[float, ...]
    triggers: tuple[NFTDefinition, ...]
    attendance: NFTDefinition


@frozen
class Draws:
    """The two draw types of the event and their winning numbers."""

    bingo: PrizeDrawType
    bingo_number: PrizeDrawWinningNumber
    attendance: PrizeDrawType
    attendance_number: PrizeDrawWinningNumber


def build_catalogue(uow: UnitOfWork, clock: FixedClock) -> Catalogue:
    """Store an admin and the event's definitions (the caller commits)."""
    admin = register_admin(
        uow, Admin(email="ops@bench.example", password_hash="x", name="bench"), clock=clock
    )
    assert admin.id is not None

    def define(
        prefix: str, name: str, *, trigger: bool = False, candidate: bool = True
    ) -> NFTDefinition:
        definition = NFTDefinition(
            prefix=prefix,
            shared_key=f"key-{prefix.lower()}",
            name=name,
            category="bench",
            created_by_admin_id=admin.id,
            triggers_bingo_card=trigger,
            bingo_random_candidate=candidate,
        )
        return create_nft_definition(uow, definition, clock=clock)

    venues = tuple(define(f"VENUE-{n:02d}", f"Venue {n}") for n in range(1, VENUE_COUNT + 1))
    weights = tuple(1.0 / (rank**VENUE_SKEW) for rank in range(1, VENUE_COUNT + 1))
    triggers = tuple(
        define(prefix, prefix.title(), trigger=True, candidate=False) for prefix in TRIGGER_PREFIXES
    )
    attendance = define(ATTENDANCE_PREFIX, "Final day", candidate=False)
    return Catalogue(venues, weights, triggers, attendance)


def build_draws(uow: UnitOfWork, clock: FixedClock, seed: int) -> Draws:
    """Store the bingo-line and final-attendance draw types and a winning number each."""
    bingo = create_prize_draw_type(
        uow,
        PrizeDrawType(
            internal_name=BINGO_DRAW, algorithm_key=ALGORITHM, default_threshold=BINGO_THRESHOLD
        ),
        clock=clock,
    )
    attendance = create_prize_draw_type(
        uow,
        PrizeDrawType(
            internal_name=ATTENDANCE_DRAW,
            algorithm_key=ALGORITHM,
            default_threshold=ATTENDANCE_THRESHOLD,
        ),
        clock=clock,
    )
    rng = random.Random(f"winning-numbers-{seed}")
    bingo_number = submit_winning_number(uow, bingo, _origin(rng).upper(), clock=clock)
    attendance_number = submit_winning_number(uow, attendance, _origin(rng).upper(), clock=clock)
    return Draws(bingo, bingo_number, attendance, attendance_number)


def add_users(uow: UnitOfWork, first: int, count: int, clock: FixedClock) -> list[User]:
    """Store ``count`` visitors numbered from ``first`` (the caller commits)."""
    now = clock.now()
    return [
        uow.users.add(
            User(
                in_app_id=f"visitor-{n:06d}",
                email=f"visitor-{n:06d}@bench.example",
                nickname=f"Visitor {n}",
                created_at=now,
                updated_at=now,
            )
        )
        for n in range(first, first + count)
    ]


USER_BLOCK: Final = 5_000
"""Visitors added per committed unit of work when an event is built."""


def build_visitors(
    new_uow: Callable[[], UnitOfWork], users: int, clock: FixedClock
) -> tuple[Catalogue, list[User]]:
    """Commit the catalogue and ``users`` visitors on a fresh store (not measured)."""
    with new_uow() as uow:
        catalogue = build_catalogue(uow, clock)
        uow.commit()
    visitors: list[User] = []
    for first in range(0, users, USER_BLOCK):
        with new_uow() as uow:
            visitors.extend(add_users(uow, first, min(USER_BLOCK, users - first), clock))
            uow.commit()
    return catalogue, visitors


def _origin(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}_0"


def _weighted_distinct(
    rng: random.Random, items: Sequence[NFTDefinition], weights: Sequence[float], k: int
) -> list[NFTDefinition]:
    """``k`` distinct items, each pick weighted among those not picked yet."""
    pool = list(items)
    pool_weights = list(weights)
    chosen: list[NFTDefinition] = []
    for _ in range(k):
        (index,) = rng.choices(range(len(pool)), weights=pool_weights)
        chosen.append(pool.pop(index))
        pool_weights.pop(index)
    return chosen


def visitor_grants(rng: random.Random, user: User, catalogue: Catalogue) -> list[Grant]:
    """The badges one visitor collects during the event, in the order collected."""
    (count,) = rng.choices(VENUES_PER_VISITOR, weights=VENUE_COUNT_WEIGHTS)
    badges = _weighted_distinct(rng, catalogue.venues, catalogue.venue_weights, count)
    passes = 2 if rng.random() < SECOND_PASS_CHANCE else 1
    for trigger in _weighted_distinct(rng, catalogue.triggers, TRIGGER_WEIGHTS, passes):
        badges.insert(rng.randrange(len(badges) + 1), trigger)
    if rng.random() < ATTENDANCE_CHANCE:
        badges.append(catalogue.attendance)
    return [Grant(user=user, definition=badge, nft_origin=_origin(rng)) for badge in badges]


def grant_blocks(
    rng: random.Random, users: Sequence[User], catalogue: Catalogue, block: int
) -> Iterator[list[Grant]]:
    """The grants of ``block`` visitors at a time, visitors in order."""
    for start in range(0, len(users), block):
        grants: list[Grant] = []
        for user in users[start : start + block]:
            grants.extend(visitor_grants(rng, user, catalogue))
        yield grants
