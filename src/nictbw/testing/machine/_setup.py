"""The starting state of every run: two admins, a catalogue, users and draw types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

import attrs

from nictbw.adapters.beacon import FakeBeacon
from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.domain.beacon import SCHEME_UNCHAINED
from nictbw.domain.entities import Admin, NFTDefinition, NFTInstance, PrizeDrawType, User
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    create_nft_definition,
    create_prize_draw_type,
    register_admin,
    register_user,
)

UowFactory = Callable[[], UnitOfWork]

T0: Final = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ALGORITHM: Final = "sha256_hex_proximity"
TRIGGER: Final = "EXPO"
TIMED_TRIGGER: Final = "PARK"
CANDIDATES: Final = tuple(f"C{i:02d}" for i in range(1, 10))
ATTENDANCE: Final = "ATTEND"
LIMITED: Final = "LIMITED"
NAMES: Final = ("ann", "ben", "cat", "dan")
DRAW_TYPES: Final = ("with-threshold", "without-threshold")
OPS_HASH: Final = "ops-password-hash-0001"
AUDITOR_HASH: Final = "auditor-password-hash-0002"
"""The stored password hashes of the two admins (secrets: never in the audit log)."""
AUDITOR_ROLE: Final = "auditor"
"""The second admin's starting role: it may read the audit log and do nothing else."""
PASSWORD: Final = "secret-password-1"
"""The password users register with (a secret: never in the audit log)."""
BEACON_PERIOD: Final = 600
"""Seconds between beacon rounds: few rounds (signing is slow), published within a run."""


def definition_spec(prefix: str, **overrides: Any) -> NFTDefinition:
    """A new (unstored) definition with defaults and ``overrides``."""
    fields: dict[str, Any] = {
        "prefix": prefix,
        "shared_key": f"key-{prefix.lower()}",
        "name": f"Badge {prefix}",
    }
    fields.update(overrides)
    return NFTDefinition(**fields)


GHOST_USER: Final = User(in_app_id="ghost")
GHOST_DEFINITION: Final = definition_spec("GHOST")
GHOST_INSTANCE: Final = NFTInstance(
    user_id=1, definition_id=1, serial_number=0, unique_instance_id="GHOST-000000000000"
)
GHOST_DRAW_TYPE: Final = PrizeDrawType(internal_name="ghost", algorithm_key=ALGORITHM)


@attrs.define
class Side:
    """One composition under test: its unit-of-work factory, clock, chain and beacon."""

    name: str
    factory: UowFactory
    clock: FixedClock
    chain: FakeChain
    beacon: FakeBeacon
    admin: Admin | None = None
    auditor: Admin | None = None

    @classmethod
    def new(cls, name: str, factory: UowFactory, *, chain_seed: int) -> Side:
        """A side at ``T0`` with a fresh fake chain and beacon (same seeds on every side)."""
        clock = FixedClock(T0)
        chain = FakeChain(seed=chain_seed, clock=clock)
        beacon = FakeBeacon(clock, seed=chain_seed, period=BEACON_PERIOD, scheme=SCHEME_UNCHAINED)
        return cls(name, factory, clock, chain, beacon)

    def register(self, uow: UnitOfWork, name: str, **changes: Any) -> User:
        """Register user ``name`` on this side's chain."""
        fields: dict[str, Any] = {
            "password": PASSWORD,
            "email": f"{name}@city.example",
            "chain": self.chain,
            "clock": self.clock,
        }
        fields.update(changes)
        return register_user(uow, User(in_app_id=name, nickname=name.title()), **fields)

    def setup(self) -> None:
        """Commit two admins, the catalogue, two users and two draw types.

        The admins: ``ops`` (no role: every right) and ``audit`` (role ``auditor``: it may
        only read the audit log, so its other attempts are refused).

        The catalogue: ``EXPO`` (triggers a card), ``PARK`` (triggers a card living an
        hour), ``C01``..``C09`` (bingo candidates), ``ATTEND`` and ``LIMITED`` (supply 2).
        """
        clock = self.clock
        with self.factory() as uow:
            admin = register_admin(
                uow,
                Admin(email="ops@city.example", password_hash=OPS_HASH, name="Ops"),
                clock=clock,
            )
            self.admin = admin
            self.auditor = register_admin(
                uow,
                Admin(
                    email="audit@city.example",
                    password_hash=AUDITOR_HASH,
                    name="Audit",
                    role=AUDITOR_ROLE,
                ),
                clock=clock,
            )

            def add(prefix: str, **overrides: Any) -> None:
                spec = definition_spec(prefix, created_by_admin_id=admin.id, **overrides)
                create_nft_definition(uow, spec, clock=clock)

            add(TRIGGER, triggers_bingo_card=True, bingo_random_candidate=False)
            add(
                TIMED_TRIGGER,
                triggers_bingo_card=True,
                bingo_random_candidate=False,
                card_lifetime_seconds=3600,
            )
            for prefix in CANDIDATES:
                add(prefix)
            add(ATTENDANCE, bingo_random_candidate=False)
            add(LIMITED, max_supply=2, bingo_random_candidate=False)
            for name in NAMES[:2]:
                self.register(uow, name)
            for name, threshold in zip(DRAW_TYPES, (0.5, None), strict=True):
                draw_type = PrizeDrawType(
                    internal_name=name, algorithm_key=ALGORITHM, default_threshold=threshold
                )
                create_prize_draw_type(uow, draw_type, clock=clock)
            uow.commit()
