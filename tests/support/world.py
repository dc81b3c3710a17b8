"""Builders shared by the workflow contract tests.

Everything goes through ``nictbw.workflows`` and a unit-of-work factory, so the same
tests run on every storage backend. Time is a ``FixedClock`` at ``T0``; randomness is a
seeded ``random.Random``.

The catalogue (``build_world``):

- ``EXPO``: triggers a bingo card, never a candidate, no card lifetime;
- ``PARK``: triggers a bingo card that expires ``PARK_LIFETIME`` seconds after issue;
- ``C01`` .. ``C09``: the nine bingo candidates (a card picks eight of them);
- ``ATTEND``: the attendance badge, not a candidate;
- ``LIMITED``: ``max_supply`` 2, not a candidate.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final

from attrs import define, field

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.domain.entities import (
    CENTER_IDX,
    Admin,
    BingoCard,
    NFTDefinition,
    NFTInstance,
    PrizeDrawType,
    User,
)
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    create_and_issue_instance,
    create_nft_definition,
    create_prize_draw_type,
    register_admin,
    register_user,
    submit_winning_number,
)

UowFactory = Callable[[], UnitOfWork]

T0: Final = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TRIGGER: Final = "EXPO"
TIMED_TRIGGER: Final = "PARK"
PARK_LIFETIME: Final = 3600
CANDIDATES: Final = tuple(f"C{i:02d}" for i in range(1, 10))
ATTENDANCE: Final = "ATTEND"
LIMITED: Final = "LIMITED"
LIMITED_SUPPLY: Final = 2
ALGORITHM: Final = "sha256_hex_proximity"
UNIQUE_ID_PATTERN: Final = r"[0-9A-Za-z]{12}"
REPOSITORIES: Final = (
    "users",
    "admins",
    "definitions",
    "instances",
    "bingo_cards",
    "draw_types",
    "winning_numbers",
    "draw_results",
    "draw_snapshots",
    "audit",
)


def new_clock() -> FixedClock:
    """A fixed clock at ``T0``."""
    return FixedClock(T0)


@define(kw_only=True)
class World:
    """A committed catalogue with its admin, the fake chain and the clock of a test."""

    factory: UowFactory
    clock: FixedClock
    chain: FakeChain
    admin: Admin
    defs: dict[str, NFTDefinition] = field(factory=dict)

    def d(self, prefix: str) -> NFTDefinition:
        """The stored definition with this prefix."""
        return self.defs[prefix]

    def prefix_of(self, definition_id: int) -> str:
        """The prefix of a stored definition id."""
        for prefix, definition in self.defs.items():
            if definition.id == definition_id:
                return prefix
        raise KeyError(definition_id)


def definition_spec(prefix: str, **overrides: Any) -> NFTDefinition:
    """A new (unstored) definition with sensible defaults and ``overrides``."""
    fields: dict[str, Any] = {
        "prefix": prefix,
        "shared_key": f"key-{prefix.lower()}",
        "name": f"Badge {prefix}",
    }
    fields.update(overrides)
    return NFTDefinition(**fields)


def add_admin(uow: UnitOfWork, clock: FixedClock, email: str = "ops@city.example") -> Admin:
    """Register an admin."""
    return register_admin(uow, Admin(email=email, password_hash="hash", name="Ops"), clock=clock)


def add_definition(
    uow: UnitOfWork, admin: Admin, clock: FixedClock, prefix: str, **overrides: Any
) -> NFTDefinition:
    """Create a definition owned by ``admin``."""
    spec = definition_spec(prefix, created_by_admin_id=admin.id, **overrides)
    return create_nft_definition(uow, spec, clock=clock)


def standard_definitions(
    uow: UnitOfWork, admin: Admin, clock: FixedClock, candidates: int = len(CANDIDATES)
) -> dict[str, NFTDefinition]:
    """The catalogue of the module docstring (with fewer candidates when asked)."""
    defs: dict[str, NFTDefinition] = {}
    defs[TRIGGER] = add_definition(
        uow, admin, clock, TRIGGER, triggers_bingo_card=True, bingo_random_candidate=False
    )
    defs[TIMED_TRIGGER] = add_definition(
        uow,
        admin,
        clock,
        TIMED_TRIGGER,
        triggers_bingo_card=True,
        bingo_random_candidate=False,
        card_lifetime_seconds=PARK_LIFETIME,
    )
    for prefix in CANDIDATES[:candidates]:
        defs[prefix] = add_definition(uow, admin, clock, prefix)
    defs[ATTENDANCE] = add_definition(uow, admin, clock, ATTENDANCE, bingo_random_candidate=False)
    defs[LIMITED] = add_definition(
        uow, admin, clock, LIMITED, max_supply=LIMITED_SUPPLY, bingo_random_candidate=False
    )
    return defs


def build_world(
    factory: UowFactory, *, candidates: int = len(CANDIDATES), chain_seed: int = 0
) -> World:
    """Commit an admin and the standard catalogue; returns the world of the test."""
    clock = new_clock()
    with factory() as uow:
        admin = add_admin(uow, clock)
        defs = standard_definitions(uow, admin, clock, candidates)
        uow.commit()
    chain = FakeChain(seed=chain_seed, clock=clock)
    return World(factory=factory, clock=clock, chain=chain, admin=admin, defs=defs)


def register(uow: UnitOfWork, world: World, name: str) -> User:
    """Register a user ``name`` on the world's fake chain (username = in_app_id = name)."""
    return register_user(
        uow,
        User(in_app_id=name, nickname=name.title()),
        password="secret",
        email=f"{name}@city.example",
        chain=world.chain,
        clock=world.clock,
    )


def add_users(world: World, *names: str) -> list[User]:
    """Register and commit users."""
    with world.factory() as uow:
        users = [register(uow, world, name) for name in names]
        uow.commit()
    return users


def issue(
    uow: UnitOfWork,
    world: World,
    user: User,
    prefix: str,
    *,
    origin: str | None = None,
    seed: int = 0,
) -> NFTInstance:
    """Issue one badge of ``prefix`` to ``user`` with a seeded rng."""
    return create_and_issue_instance(
        uow,
        user,
        world.d(prefix),
        nft_origin=origin,
        rng=random.Random(seed),
        clock=world.clock,
    )


def add_draw_type(
    uow: UnitOfWork,
    world: World,
    name: str = "bingo-final",
    *,
    threshold: float | None = None,
) -> PrizeDrawType:
    """Create a draw type scored by ``sha256_hex_proximity``."""
    return create_prize_draw_type(
        uow,
        PrizeDrawType(internal_name=name, algorithm_key=ALGORITHM, default_threshold=threshold),
        clock=world.clock,
    )


def hold_badges(world: World, count: int, *, without_origin: int = 0) -> list[NFTInstance]:
    """``count`` new users (``holder0``...) each holding one candidate badge, committed;
    the last ``without_origin`` of them without an origin, the others with distinct
    ones. Their instances."""
    users = add_users(world, *(f"holder{n}" for n in range(count)))
    with world.factory() as uow:
        found = [
            issue(
                uow,
                world,
                user,
                CANDIDATES[n % 4],
                origin=None if n >= count - without_origin else f"{n:064x}_0",
                seed=n,
            )
            for n, user in enumerate(users)
        ]
        uow.commit()
    return found


def batch_draw_type(world: World, name: str = "batch") -> PrizeDrawType:
    """A committed draw type ``name`` (threshold 0.5) with the winning number ``ABD``."""
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, name, threshold=0.5)
        submit_winning_number(uow, draw_type, "ABD", clock=world.clock)
        uow.commit()
    return draw_type


def state_of(uow: UnitOfWork) -> dict[str, list[Any]]:
    """Every repository's ``list()`` as seen by ``uow``."""
    return {name: getattr(uow, name).list() for name in REPOSITORIES}


def snapshot(factory: UowFactory) -> dict[str, list[Any]]:
    """Every repository's ``list()`` read through a fresh unit of work."""
    with factory() as uow:
        return state_of(uow)


def card_centred_on(uow: UnitOfWork, user: User, definition: NFTDefinition) -> BingoCard:
    """The user's card centred on ``definition``."""
    assert user.id is not None
    cards = [
        c for c in uow.bingo_cards.list_for_user(user.id) if c.center_definition_id == definition.id
    ]
    assert len(cards) == 1, cards
    return cards[0]


def target_prefixes(world: World, card: BingoCard, idxs: Iterable[int]) -> list[str]:
    """The prefixes targeted by the cells ``idxs`` of ``card`` (centre excluded)."""
    prefixes = []
    for idx in idxs:
        if idx == CENTER_IDX:
            continue
        cell = card.cell_at(idx)
        assert cell is not None
        prefixes.append(world.prefix_of(cell.target_definition_id))
    return prefixes


def complete_line(
    uow: UnitOfWork,
    world: World,
    user: User,
    card: BingoCard,
    line: tuple[int, int, int],
    *,
    origin_tag: str,
    seed: int = 0,
) -> list[NFTInstance]:
    """Issue (with origins ``<origin_tag>-<prefix>``) the badges the line's outer cells need."""
    return [
        issue(uow, world, user, prefix, origin=f"{origin_tag}-{prefix}", seed=seed + n)
        for n, prefix in enumerate(target_prefixes(world, card, line))
    ]


def user_with_card(
    world: World,
    name: str,
    *,
    trigger_origin: str | None = None,
    seed: int = 0,
) -> tuple[User, BingoCard]:
    """Commit a registered user holding ``EXPO`` (hence a card); returns user and card."""
    with world.factory() as uow:
        user = register(uow, world, name)
        issue(uow, world, user, TRIGGER, origin=trigger_origin, seed=seed)
        card = card_centred_on(uow, user, world.d(TRIGGER))
        uow.commit()
    return user, card


class StubChain:
    """A ``ChainPort`` serving a settable NFT list; counts calls, refuses everything else."""

    def __init__(self, payloads: Any) -> None:
        self.payloads: Any = payloads
        self.calls = 0

    def signup_user(
        self,
        username: str,
        email: str,
        password: str,
        *,
        group: str | None = None,
        profile_pic_filepath: str | None = None,
    ) -> dict[str, Any]:
        raise AssertionError("StubChain does not sign users up")

    def get_user_nft_instances(self, on_chain_id: str) -> Any:
        self.calls += 1
        return copy.deepcopy(self.payloads)

    def mint_nft(
        self,
        *,
        app: str | None = None,
        name: str,
        additional_info: dict[str, Any],
        recipient_paymail: str | None = None,
        file_path: str | None = None,
    ) -> dict[str, Any]:
        raise AssertionError("StubChain does not mint")


def chain_item(
    origin: str,
    prefix: str | None = None,
    *,
    nft_id: int = 1,
    name: str | None = None,
    created_at: str = "2026-04-30T10:00:00.000Z",
    **top_level: Any,
) -> dict[str, Any]:
    """An NFT payload shaped as the chain sends it (domain-rules.md §9.5)."""
    sub_type_data: dict[str, Any] = {}
    if prefix is not None:
        sub_type_data["prefix"] = prefix
    map_name = name if name is not None else f"Badge {prefix or origin}"
    item: dict[str, Any] = {
        "nft_id": nft_id,
        "nft_origin": origin,
        "current_nft_location": origin,
        "transaction_id": origin.split("_")[0],
        "name": map_name,
        "unique_nft_id": f"uuid-{prefix or origin}",
        "created_at": created_at,
        "updated_at": created_at,
        "metadata": {
            "MAP": {"app": "nictbw", "type": "ord", "name": map_name, "subTypeData": sub_type_data}
        },
    }
    item.update(top_level)
    return item
