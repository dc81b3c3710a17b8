"""A whole seeded event run through the real workflows, for demos, load checks and audits.

``run_simulation`` plays a city event day by day on any unit of work: an admin sets up
the catalogue (venues and games with a skewed popularity, a few bingo trigger badges,
one final-day attendance badge) and two draw types; users sign up on an in-process
``FakeChain``; every day active users collect badges, which are minted on the chain and
issued in bulk with ``issue_instances``. A sample of users ("wallet users") has its
badges issued first and minted afterwards, receives partner NFTs minted by another app
and swaps a few NFTs on the last day; their chain sync runs every evening and adopts,
creates and transfers instances. At the end ``update_user_bingo_info`` brings every
card up to date, winning numbers derived from the seed are submitted, and the bingo-line
and final-attendance draws run. Each phase (and each day) commits.

Everything random comes from one ``random.Random(seed)`` and a ``FixedClock`` advanced
per day, so the report is identical for the same settings on every storage backend.
Wall-clock timings are kept apart under ``"timings"``.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Final, Protocol

from attrs import define, field, frozen

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.app.reporting import winner_rows
from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CARD_EXPIRED,
    INSTANCE_SUCCEEDED,
    Admin,
    DrawCandidate,
    NFTDefinition,
    PrizeDrawResult,
    PrizeDrawType,
    User,
)
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.timeutil import iso
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    Grant,
    create_nft_definition,
    create_prize_draw_type,
    issue_instances,
    register_admin,
    register_user,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    snapshot_prize_draw,
    submit_winning_number,
    sync_nft_instances_from_chain,
    update_user_bingo_info,
)

SIMULATION_START: Final = datetime(2025, 10, 6, 9, 0, tzinfo=UTC)
"""First morning of the simulated event (a fixed past date, so results stay in effect)."""

ALGORITHM: Final = "sha256_hex_proximity"
BINGO_DRAW: Final = "bingo_line"
ATTENDANCE_DRAW: Final = "final_attendance"
ATTENDANCE_PREFIX: Final = "FINAL-DAY"
PARTNER_APP: Final = "harbour-cafe"

MAX_USERS: Final = 100_000
MAX_DAYS: Final = 60

UnitOfWorkFactory = Callable[[], UnitOfWork]


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


class SimulationProgress(Protocol):
    """Where the simulation reports its progress (the CLI draws progress bars)."""

    def start_phase(self, name: str, total: int) -> None:
        """A phase of ``total`` steps begins."""
        ...

    def advance(self, amount: int = 1) -> None:
        """``amount`` steps of the current phase are done."""
        ...

    def end_phase(self) -> None:
        """The current phase is done."""
        ...


class NullProgress:
    """Progress that goes nowhere."""

    def start_phase(self, name: str, total: int) -> None:
        """Ignore the phase."""

    def advance(self, amount: int = 1) -> None:
        """Ignore the steps."""

    def end_phase(self) -> None:
        """Ignore the end."""


class DatabaseNotEmptyError(ConflictError):
    """The target database already holds nictbw data; a simulation needs an empty one."""


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


def winning_value(seed: int, draw_type: str) -> str:
    """The winning value the simulation submits for ``draw_type``: derived from the seed."""
    digest = hashlib.sha256(f"nictbw-simulation:{seed}:{draw_type}".encode()).hexdigest()
    return digest[:24].upper()


def additional_info(definition: NFTDefinition) -> dict[str, Any]:
    """The mint ``additional_info`` of a definition (§9.4): its chain fields, None omitted."""
    info = {
        "prefix": definition.prefix,
        "shared_key": definition.shared_key,
        "name": definition.name,
        "nft_type": definition.nft_type,
        "category": definition.category,
        "subcategory": definition.subcategory,
        "description": definition.description,
        "image_url": definition.image_url,
    }
    return {key: value for key, value in info.items() if value is not None}


@define
class _Visitor:
    user: User
    activity: float
    wallet: bool


@define
class _SyncTotals:
    runs: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    transferred: int = 0
    skipped: int = 0
    cards_created: int = 0
    cells_unlocked: int = 0
    definitions_created: list[str] = field(factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "transferred": self.transferred,
            "skipped": self.skipped,
            "cards_created": self.cards_created,
            "cells_unlocked": self.cells_unlocked,
            "definitions_created": list(self.definitions_created),
        }


class _Simulation:
    """The state of one simulated event; each phase is a method run by ``run_simulation``."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        settings: SimulationSettings,
        progress: SimulationProgress,
        timer: Callable[[], float],
    ) -> None:
        self.uow_factory = uow_factory
        self.settings = settings
        self.progress = progress
        self.timer = timer
        self.rng = random.Random(settings.seed)
        self.clock = FixedClock(settings.start)
        self.chain = FakeChain(seed=settings.seed, clock=self.clock)
        self.timings: dict[str, float] = {}
        self.visitors: list[_Visitor] = []
        self.definitions: dict[str, NFTDefinition] = {}
        self.draw_types: dict[str, PrizeDrawType] = {}
        self.issued_per_day: list[int] = []
        self.minted = 0
        self.sync = _SyncTotals()
        self.bingo_update = {"cards_created": 0, "cells_unlocked": 0}
        self.draws: dict[str, dict[str, Any]] = {}
        self.snapshots: dict[str, str] = {}

    # -- phases -----------------------------------------------------------------------

    def timed(self, phase: str, body: Callable[[], None]) -> None:
        started = self.timer()
        body()
        self.timings[phase] = self.timings.get(phase, 0.0) + (self.timer() - started)

    def check_empty(self) -> None:
        with self.uow_factory() as uow:
            held = {
                "admins": len(uow.admins.list()),
                "definitions": len(uow.definitions.list()),
                "draw types": len(uow.draw_types.list()),
            }
        if any(held.values()):
            found = ", ".join(f"{count} {name}" for name, count in held.items() if count)
            raise DatabaseNotEmptyError(
                f"the database already holds nictbw data ({found}); "
                "a simulation needs an empty database"
            )

    def setup(self) -> None:
        self.progress.start_phase("setup", len(CATALOGUE) + len(DRAW_TYPES) + 1)
        with self.uow_factory() as uow:
            admin = register_admin(
                uow,
                Admin(
                    email="events@city.example",
                    password_hash="opaque:simulation",
                    name="Event Office",
                    role="organiser",
                ),
                clock=self.clock,
            )
            self.progress.advance()
            for spec in CATALOGUE:
                definition = create_nft_definition(
                    uow, self._definition(spec, admin.id), clock=self.clock
                )
                self.definitions[spec.prefix] = definition
                self.progress.advance()
            for template in DRAW_TYPES:
                draw_type = PrizeDrawType(
                    internal_name=template.internal_name,
                    display_name=template.display_name,
                    description=template.description,
                    algorithm_key=template.algorithm_key,
                    default_threshold=template.default_threshold,
                )
                self.draw_types[draw_type.internal_name] = create_prize_draw_type(
                    uow, draw_type, clock=self.clock
                )
                self.progress.advance()
            uow.commit()
        self.progress.end_phase()

    @staticmethod
    def _definition(spec: BadgeSpec, admin_id: int | None) -> NFTDefinition:
        return NFTDefinition(
            prefix=spec.prefix,
            shared_key=f"city-expo/{spec.prefix.lower()}",
            name=spec.name,
            category=spec.category,
            description=f"{spec.name} badge of the city expo",
            max_supply=spec.max_supply,
            triggers_bingo_card=spec.triggers_bingo_card,
            bingo_random_candidate=spec.bingo_random_candidate,
            created_by_admin_id=admin_id,
        )

    def register(self) -> None:
        count = self.settings.users
        wallets = set(self.rng.sample(range(count), round(count * self.settings.wallet_share)))
        self.progress.start_phase("registration", count)
        with self.uow_factory() as uow:
            for number in range(count):
                in_app_id = f"user-{number + 1:04d}"
                user = register_user(
                    uow,
                    User(in_app_id=in_app_id, nickname=f"Visitor {number + 1}"),
                    password=f"secret-{in_app_id}",
                    email=f"{in_app_id}@example.org",
                    chain=self.chain,
                    clock=self.clock,
                )
                activity = 0.15 + 0.8 * self.rng.random()
                self.visitors.append(_Visitor(user, activity, number in wallets))
                self.progress.advance()
            uow.commit()
        self.progress.end_phase()

    def day(self, index: int) -> None:
        """Day ``index`` (0-based): visits, minting and bulk issuance; one commit."""
        self.clock.set(self.settings.start + timedelta(days=index))
        last_day = index == self.settings.days - 1
        self.progress.start_phase(f"day {index + 1}", len(self.visitors))
        with self.uow_factory() as uow:
            remaining = {
                d.prefix: d.remaining_supply for d in uow.definitions.list() if d.id is not None
            }
            plan: list[tuple[_Visitor, NFTDefinition]] = []
            for visitor in self.visitors:
                for spec in self._visits(visitor, last_day):
                    left = remaining.get(spec.prefix)
                    if left is not None:
                        if left <= 0:
                            continue
                        remaining[spec.prefix] = left - 1
                    plan.append((visitor, self.definitions[spec.prefix]))
                self.progress.advance()
            grants: list[Grant] = []
            for visitor, definition in plan:
                origin = None if visitor.wallet else self._mint(visitor.user, definition)
                grants.append(Grant(user=visitor.user, definition=definition, nft_origin=origin))
            issued = issue_instances(uow, grants, rng=self.rng, clock=self.clock)
            uow.commit()
        self.issued_per_day.append(len(issued))
        for visitor, definition in plan:
            if visitor.wallet:
                self._mint(visitor.user, definition)
        self.progress.end_phase()

    def _visits(self, visitor: _Visitor, last_day: bool) -> list[BadgeSpec]:
        rng = self.rng
        picked: list[BadgeSpec] = []
        if rng.random() < visitor.activity:
            pool = (*VENUES, *GAMES)
            visits = rng.choices(VISITS_PER_DAY, weights=VISIT_WEIGHTS)[0]
            for spec in rng.choices(pool, weights=[s.weight for s in pool], k=visits):
                if spec not in picked:
                    picked.append(spec)
            if rng.random() < TRIGGER_CHANCE:
                picked.append(rng.choices(TRIGGERS, weights=[s.weight for s in TRIGGERS])[0])
        if last_day and rng.random() < 0.35 + 0.6 * visitor.activity:
            picked.append(ATTENDANCE)
        return picked

    def _mint(self, user: User, definition: NFTDefinition, app: str | None = None) -> str:
        answer = self.chain.mint_nft(
            app=app,
            name=definition.name,
            additional_info=additional_info(definition),
            recipient_paymail=user.paymail,
        )
        self.minted += 1
        return str(answer["nft_information"]["nft_origin"])

    def evening_sync(self, index: int) -> None:
        wallets = [v for v in self.visitors if v.wallet]
        if not wallets:
            return
        self.clock.set(self.settings.start + timedelta(days=index, hours=11))
        if index == min(1, self.settings.days - 1):
            partner = NFTDefinition(
                prefix=PARTNER.prefix,
                shared_key="harbour-cafe/stamp",
                name=PARTNER.name,
                category=PARTNER.category,
            )
            for visitor in wallets[::2]:
                self._mint(visitor.user, partner, app=PARTNER_APP)
        if index == self.settings.days - 1:
            self._swap(wallets)
        self.progress.start_phase(f"sync {index + 1}", len(wallets))
        with self.uow_factory() as uow:
            for visitor in wallets:
                report = sync_nft_instances_from_chain(
                    uow, visitor.user, chain=self.chain, rng=self.rng, clock=self.clock
                )
                totals = self.sync
                totals.runs += 1
                totals.created += report.created
                totals.updated += report.updated
                totals.unchanged += report.unchanged
                totals.transferred += report.transferred
                totals.skipped += len(report.skipped)
                totals.cards_created += report.cards_created
                totals.cells_unlocked += report.cells_unlocked
                totals.definitions_created.extend(report.definitions_created)
                self.progress.advance()
            uow.commit()
        self.progress.end_phase()

    def _swap(self, wallets: Sequence[_Visitor]) -> None:
        """A few wallet users give one of their NFTs to the next wallet user."""
        givers = wallets[: max(0, len(wallets) - 1) : 3]
        for position, giver in enumerate(givers):
            receiver = wallets[wallets.index(giver) + 1]
            assert giver.user.on_chain_id is not None and receiver.user.on_chain_id is not None
            held = self.chain.get_user_nft_instances(giver.user.on_chain_id)
            if held:
                item = held[position % len(held)]
                self.chain.transfer(str(item["nft_origin"]), receiver.user.on_chain_id)

    def bingo(self) -> None:
        self.clock.set(self.settings.start + timedelta(days=self.settings.days - 1, hours=12))
        self.progress.start_phase("bingo cards", len(self.visitors))
        with self.uow_factory() as uow:
            for visitor in self.visitors:
                created, unlocked = update_user_bingo_info(
                    uow, visitor.user, rng=self.rng, clock=self.clock
                )
                self.bingo_update["cards_created"] += created
                self.bingo_update["cells_unlocked"] += unlocked
                self.progress.advance()
            uow.commit()
        self.progress.end_phase()

    def run_draws(self) -> None:
        day = self.settings.start + timedelta(days=self.settings.days - 1)
        self.progress.start_phase("draws", 2)
        seed = self.settings.seed
        attendance_id = self.definitions[ATTENDANCE_PREFIX].id
        assert attendance_id is not None
        self.clock.set(day + timedelta(hours=12, minutes=30))
        with self.uow_factory() as uow:
            # The candidate sets are fixed before any winning number exists.
            self.snapshots = {
                BINGO_DRAW: snapshot_prize_draw(
                    uow, self.draw_types[BINGO_DRAW], clock=self.clock
                ).candidates_sha256,
                ATTENDANCE_DRAW: snapshot_prize_draw(
                    uow,
                    self.draw_types[ATTENDANCE_DRAW],
                    attendance_definition_id=attendance_id,
                    clock=self.clock,
                ).candidates_sha256,
            }
            uow.commit()
        now = day + timedelta(hours=13)
        self.clock.set(now)
        with self.uow_factory() as uow:
            numbers = {
                name: submit_winning_number(
                    uow,
                    draw_type,
                    winning_value(seed, name),
                    metadata={"source": "nictbw simulate", "seed": seed},
                    effective_at=now,
                    clock=self.clock,
                )
                for name, draw_type in self.draw_types.items()
            }
            uow.commit()
            bingo_pool = uow.bingo_cards.completed_line_candidates(now)
            bingo = run_bingo_prize_draw(
                uow,
                self.draw_types[BINGO_DRAW],
                winning_number=numbers[BINGO_DRAW],
                limit=self.settings.bingo_limit,
                clock=self.clock,
            )
            self.draws[BINGO_DRAW] = self._draw_report(
                uow, BINGO_DRAW, numbers[BINGO_DRAW].value, bingo, bingo_pool
            )
            self.progress.advance()
            attendance_pool = uow.instances.candidates_for_definition(attendance_id)
            attendance = run_final_attendance_prize_draw(
                uow,
                self.draw_types[ATTENDANCE_DRAW],
                attendance_definition_id=attendance_id,
                winning_number=numbers[ATTENDANCE_DRAW],
                limit=self.settings.attendance_limit,
                clock=self.clock,
            )
            self.draws[ATTENDANCE_DRAW] = self._draw_report(
                uow, ATTENDANCE_DRAW, numbers[ATTENDANCE_DRAW].value, attendance, attendance_pool
            )
            self.progress.advance()
            uow.commit()
        self.progress.end_phase()

    def _draw_report(
        self,
        uow: UnitOfWork,
        name: str,
        value: str,
        winners: Sequence[PrizeDrawResult],
        pool: Sequence[DrawCandidate],
    ) -> dict[str, Any]:
        eligible = sum(1 for c in pool if c.is_draw_eligible)
        return {
            "draw_type": name,
            "winning_number": value,
            "threshold": self.draw_types[name].default_threshold,
            "eligible": eligible,
            "ineligible": len(pool) - eligible,
            "snapshot_sha256": self.snapshots[name],
            "winners": winner_rows(uow, winners),
        }

    def report(self) -> dict[str, Any]:
        with self.uow_factory() as uow:
            users = uow.users.list()
            definitions = uow.definitions.list()
            instances = uow.instances.list()
            cards = uow.bingo_cards.list()
        now = self.clock.now()
        states = Counter(card.effective_state(now) for card in cards)
        lines = Counter(len(card.completed_lines()) for card in cards)
        statuses = Counter(instance.status for instance in instances)
        by_category = Counter(d.category or "none" for d in definitions)
        return {
            "seed": self.settings.seed,
            "users": self.settings.users,
            "days": self.settings.days,
            "start": iso(self.settings.start),
            "counts": {
                "users": len(users),
                "wallet_users": sum(1 for v in self.visitors if v.wallet),
                "definitions": len(definitions),
                "definitions_by_category": dict(sorted(by_category.items())),
                "instances": len(instances),
                "instances_succeeded": statuses[INSTANCE_SUCCEEDED],
                "instances_transferred": len(instances) - statuses[INSTANCE_SUCCEEDED],
                "minted_on_chain": self.minted,
                "cards": len(cards),
                "cards_active": states[CARD_ACTIVE],
                "cards_completed": states[CARD_COMPLETED],
                "cards_expired": states[CARD_EXPIRED],
            },
            "lines_per_card": {str(n): lines[n] for n in range(9)},
            "issued_per_day": list(self.issued_per_day),
            "sync": self.sync.as_json(),
            "bingo_update": dict(self.bingo_update),
            "draws": self.draws,
        }


def run_simulation(
    uow_factory: UnitOfWorkFactory,
    settings: SimulationSettings | None = None,
    *,
    progress: SimulationProgress | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Run a whole seeded event on the storage behind ``uow_factory``; return the report.

    The report is JSON-ready; everything but ``"timings"`` (seconds per phase) depends
    only on ``settings``. The storage must be empty (``DatabaseNotEmptyError`` otherwise).
    """
    settings = settings if settings is not None else SimulationSettings()
    settings.check()
    simulation = _Simulation(uow_factory, settings, progress or NullProgress(), timer)
    started = timer()
    simulation.check_empty()
    simulation.timed("setup", simulation.setup)
    simulation.timed("registration", simulation.register)
    for index in range(settings.days):
        simulation.timed("issuance", partial(simulation.day, index))
        simulation.timed("sync", partial(simulation.evening_sync, index))
    simulation.timed("bingo", simulation.bingo)
    simulation.timed("draws", simulation.run_draws)
    report: dict[str, Any] = {}
    simulation.timed("report", lambda: report.update(simulation.report()))
    simulation.timings["total"] = timer() - started
    report["timings"] = {name: round(seconds, 4) for name, seconds in simulation.timings.items()}
    return report


__all__ = [
    "ATTENDANCE_DRAW",
    "ATTENDANCE_PREFIX",
    "BINGO_DRAW",
    "CATALOGUE",
    "SIMULATION_START",
    "DatabaseNotEmptyError",
    "NullProgress",
    "SimulationProgress",
    "SimulationSettings",
    "additional_info",
    "run_simulation",
    "winning_value",
]
