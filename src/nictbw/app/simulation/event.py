"""Playing the simulated event day by day through the real workflows."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, Final, Protocol

from attrs import define

from nictbw.adapters.beacon import FakeBeacon
from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.app.simulation.report import (
    SyncTotals,
    draw_report,
    event_report,
    not_drawn_report,
)
from nictbw.app.simulation.scenario import (
    ATTENDANCE,
    ATTENDANCE_DRAW,
    ATTENDANCE_PREFIX,
    BINGO_DRAW,
    CATALOGUE,
    DRAW_TYPES,
    GAMES,
    PARTNER,
    PARTNER_APP,
    TRIGGER_CHANCE,
    TRIGGERS,
    VENUES,
    VISIT_WEIGHTS,
    VISITS_PER_DAY,
    BadgeSpec,
)
from nictbw.app.simulation.settings import SimulationSettings
from nictbw.app.workflows._gcpause import collector_paused, survivors_frozen
from nictbw.domain.chain_payload import additional_info_for
from nictbw.domain.entities import Admin, NFTDefinition, PrizeDrawSnapshot, PrizeDrawType, User
from nictbw.domain.errors import ConflictError, NoCandidatesError
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    Grant,
    SignUp,
    create_nft_definition,
    create_prize_draw_type,
    issue_instances,
    register_admin,
    register_users,
    run_sealed_prize_draw,
    seal_prize_draw,
    sync_many,
    update_bingo_info_many,
)

UnitOfWorkFactory = Callable[[], UnitOfWork]

REGISTRATION_BLOCK: Final = 5_000
"""Visitors signed up and stored per ``register_users`` call (progress advances per block)."""
ISSUANCE_BLOCK: Final = 5_000
"""Grants per ``issue_instances`` call: the bingo path of a call holds its users'
instances and cards, so blocks keep memory bounded whatever the number of visitors
(the report does not depend on the block sizes: each grant draws as it would alone)."""
SYNC_BLOCK: Final = 500
"""Wallet users reconciled per ``sync_many`` call (progress advances per block; a block
holds its users' chain listings and instances)."""


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


@define
class _Visitor:
    user: User
    activity: float
    wallet: bool


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
        self.sync = SyncTotals()
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
            for first in range(0, count, REGISTRATION_BLOCK):
                numbers = range(first, min(count, first + REGISTRATION_BLOCK))
                signups = [
                    SignUp(
                        user=User(in_app_id=f"user-{n + 1:04d}", nickname=f"Visitor {n + 1}"),
                        password=f"secret-user-{n + 1:04d}",
                        email=f"user-{n + 1:04d}@example.org",
                    )
                    for n in numbers
                ]
                users = register_users(uow, signups, chain=self.chain, clock=self.clock)
                for number, user in zip(numbers, users, strict=True):
                    activity = 0.15 + 0.8 * self.rng.random()
                    self.visitors.append(_Visitor(user, activity, number in wallets))
                self.progress.advance(len(users))
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
            issued = 0
            for first in range(0, len(plan), ISSUANCE_BLOCK):
                grants: list[Grant] = []
                for visitor, definition in plan[first : first + ISSUANCE_BLOCK]:
                    origin = None if visitor.wallet else self._mint(visitor.user, definition)
                    grants.append(
                        Grant(user=visitor.user, definition=definition, nft_origin=origin)
                    )
                issued += len(issue_instances(uow, grants, rng=self.rng, clock=self.clock))
            uow.commit()
        self.issued_per_day.append(issued)
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
            additional_info=additional_info_for(definition),
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
            for first in range(0, len(wallets), SYNC_BLOCK):
                block = wallets[first : first + SYNC_BLOCK]
                reports = sync_many(
                    uow,
                    [visitor.user for visitor in block],
                    chain=self.chain,
                    rng=self.rng,
                    clock=self.clock,
                    trusted_apps=(self.chain.app, PARTNER_APP),
                )
                for report in reports:
                    self.sync.add(report)
                self.progress.advance(len(block))
            uow.commit()
        self.progress.end_phase()

    def _swap(self, wallets: Sequence[_Visitor]) -> None:
        """A few wallet users give one of their NFTs to the next wallet user."""
        for position, at in enumerate(range(0, len(wallets) - 1, 3)):
            giver, receiver = wallets[at], wallets[at + 1]
            assert giver.user.on_chain_id is not None and receiver.user.on_chain_id is not None
            held = self.chain.get_user_nft_instances(giver.user.on_chain_id)
            if held:
                item = held[position % len(held)]
                self.chain.transfer(str(item["nft_origin"]), receiver.user.on_chain_id)

    def bingo(self) -> None:
        self.clock.set(self.settings.start + timedelta(days=self.settings.days - 1, hours=12))
        self.progress.start_phase("bingo cards", len(self.visitors))
        with self.uow_factory() as uow:
            users = [visitor.user for visitor in self.visitors]
            created, unlocked = update_bingo_info_many(uow, users, rng=self.rng, clock=self.clock)
            self.bingo_update["cards_created"] += created
            self.bingo_update["cells_unlocked"] += unlocked
            self.progress.advance(len(users))
            uow.commit()
        self.progress.end_phase()

    def run_draws(self) -> None:
        day = self.settings.start + timedelta(days=self.settings.days - 1)
        self.progress.start_phase("draws", 2)
        attendance_id = self.definitions[ATTENDANCE_PREFIX].id
        assert attendance_id is not None
        sealed_at = day + timedelta(hours=12, minutes=30)
        self.clock.set(sealed_at)
        # A beacon on the simulation clock: its rounds, like the report, depend on the seed.
        beacon = FakeBeacon(
            self.clock, seed=self.settings.seed, genesis_time=int(sealed_at.timestamp())
        )
        pools = {BINGO_DRAW: None, ATTENDANCE_DRAW: attendance_id}
        sealed: dict[str, PrizeDrawSnapshot] = {}
        with self.uow_factory() as uow:
            # The candidate sets and a future beacon round are fixed before any number
            # exists; a draw without candidates is not sealed and not drawn.
            for name, pool in pools.items():
                try:
                    sealed[name] = seal_prize_draw(
                        uow,
                        self.draw_types[name],
                        beacon=beacon,
                        attendance_definition_id=pool,
                        clock=self.clock,
                    )
                except NoCandidatesError:
                    continue
            uow.commit()
        self.snapshots = {name: taken.candidates_sha256 for name, taken in sealed.items()}
        self.clock.set(day + timedelta(hours=13))
        limits = {
            BINGO_DRAW: self.settings.bingo_limit,
            ATTENDANCE_DRAW: self.settings.attendance_limit,
        }
        with self.uow_factory() as uow:
            for name in (BINGO_DRAW, ATTENDANCE_DRAW):
                if name not in sealed:
                    self.draws[name] = not_drawn_report(name)
                    self.progress.advance()
                    continue
                outcome = run_sealed_prize_draw(
                    uow, sealed[name], beacon=beacon, limit=limits[name], clock=self.clock
                )
                self.draws[name] = draw_report(
                    uow, name, outcome, self.snapshots[name], sealed=sealed[name]
                )
                self.progress.advance()
            uow.commit()
        self.progress.end_phase()

    def report(self) -> dict[str, Any]:
        with collector_paused(), self.uow_factory() as uow:
            return event_report(
                uow,
                self.settings,
                now=self.clock.now(),
                wallet_users=sum(1 for v in self.visitors if v.wallet),
                minted=self.minted,
                issued_per_day=self.issued_per_day,
                sync=self.sync,
                bingo_update=self.bingo_update,
                draws=self.draws,
            )


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
    report: dict[str, Any] = {}
    phases: list[tuple[str, Callable[[], None]]] = [
        ("setup", simulation.setup),
        ("registration", simulation.register),
    ]
    for index in range(settings.days):
        phases.append(("issuance", partial(simulation.day, index)))
        phases.append(("sync", partial(simulation.evening_sync, index)))
    phases.append(("bingo", simulation.bingo))
    phases.append(("draws", simulation.run_draws))
    phases.append(("report", lambda: report.update(simulation.report())))
    with survivors_frozen() as freeze:
        for name, body in phases:
            simulation.timed(name, body)
            freeze()
    simulation.timings["total"] = timer() - started
    report["timings"] = {name: round(seconds, 4) for name, seconds in simulation.timings.items()}
    return report


__all__ = [
    "DatabaseNotEmptyError",
    "NullProgress",
    "SimulationProgress",
    "UnitOfWorkFactory",
    "run_simulation",
]
