"""The in-memory and SQL adapters are observably equivalent (API.md "Adapters").

A hypothesis ``RuleBasedStateMachine`` drives two sides with the same random workflows:
the in-memory adapter and a SQL adapter (SQLite always, PostgreSQL when
``NICTBW_TEST_DATABASE_URL`` is set). Each side has its own ``FixedClock`` (moved in
lockstep) and its own ``FakeChain`` built with the same seed (so mints give the same
transaction ids), and every call gets a ``random.Random`` seeded alike. Rules register
users, create definitions and draw types, issue one by one and in bulk, mint and sync
(transfers included), bring cards up to date, render cards, submit winning numbers, run
every kind of draw and select top results, with arguments that sometimes break a rule.

After every call both sides must have answered alike: equal return values, or errors of
the same class. A unit of work is committed even after its workflow failed (a failing
workflow changes nothing), and sometimes left without commit. After every step every
repository's ``list()``, read through fresh units of work, is equal on both sides
(entities compared field by field).

Identifiers: SQLite reuses the ids of rolled-back rows as the in-memory adapter does, so
ids are compared as they are. PostgreSQL sequences skip the numbers of rolled-back
inserts and of ``INSERT ... ON CONFLICT DO UPDATE`` rows that updated, so on PostgreSQL
every id (and every reference to one) is replaced by its rank among the ids of its table
before comparing; the order of rows is compared all the same.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Final

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.domain.entities import (
    CELL_LOCKED,
    WINNING_LINES,
    Admin,
    BingoCard,
    NFTDefinition,
    NFTInstance,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import NictbwError
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    bingo_cards_json,
    create_and_issue_instance,
    create_nft_definition,
    create_prize_draw_type,
    issue_instances,
    register_user,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    run_prize_draw,
    run_prize_draw_batch,
    select_top_prize_draw_results,
    submit_winning_number,
    sync_nft_instances_from_chain,
    update_user,
    update_user_bingo_info,
)
from tests.conftest import postgres_url_or_skip
from tests.contract.helpers import (
    ALGORITHM,
    REPOSITORIES,
    T0,
    UowFactory,
    World,
    add_admin,
    add_draw_type,
    definition_spec,
    register,
    standard_definitions,
    state_of,
)
from tests.sql_backends import postgres_uow_factory, sqlite_uow_factory

CHAIN_SEED: Final = 23
NAMES: Final = ("ann", "ben", "cat", "dan")
NEW_PREFIXES: Final = ("NEW1", "NEW2", "EXPO", "bad prefix")
CHAIN_PREFIXES: Final = ("EXPO", "PARK", "C01", "C02", "C05", "ATTEND", "LIMITED", "ONCHAIN-1")
LOCAL_ORIGINS: Final = ("local-0", "LOCAL-0", " Local-0 ", "local-1")
"""Origins differing only in case and spaces share a draw number: their scores tie."""
WINNING_VALUES: Final = ("ABD", " abc ", "xyz", "   ", "caf\u00e9")

GHOST: Final = -1
"""An index standing for an entity that is not stored (``id`` None)."""
GONE: Final = -2
"""An index standing for an entity whose row does not exist (``id`` 9999)."""

indexes = st.integers(0, 30)
entity_indexes = st.integers(GONE, 20)
"""Mostly stored entities; about one in ten is ``GHOST`` or ``GONE``."""
seeds = st.integers(0, 2**16)
keep = st.sampled_from([True, True, True, True, False])
thresholds = st.sampled_from([None, None, 0.3, 0.7, 0.95])
limits = st.sampled_from([None, 1, 3, 8, 0])

# -- comparing answers and states -----------------------------------------------------------

_TABLE_OF: Final = {
    "User": "users",
    "Admin": "admins",
    "NFTDefinition": "definitions",
    "NFTInstance": "instances",
    "BingoCard": "bingo_cards",
    "BingoCell": "bingo_cells",
    "PrizeDrawType": "draw_types",
    "PrizeDrawWinningNumber": "winning_numbers",
    "PrizeDrawResult": "draw_results",
    "PrizeDrawSnapshot": "draw_snapshots",
}
"""Entity class name -> the table (repository) whose ids its ``id`` holds."""
_REFERENCES: Final = {
    "user_id": "users",
    "definition_id": "definitions",
    "center_definition_id": "definitions",
    "target_definition_id": "definitions",
    "created_by_admin_id": "admins",
    "attendance_definition_id": "definitions",
    "nft_instance_id": "instances",
    "matched_nft_instance_id": "instances",
    "bingo_card_id": "bingo_cards",
    "draw_type_id": "draw_types",
    "winning_number_id": "winning_numbers",
}
_JSON_CONTEXT: Final = {"cells": "bingo_cells", "target_definition": "definitions"}
"""Card JSON: the table whose ids ``id`` holds below these keys."""

IdMaps = dict[str, dict[int, int]]


def id_ranks(state: dict[str, list[Any]]) -> IdMaps:
    """Per table, each stored id -> its rank (1-based) among the table's ids."""
    ids: dict[str, list[int]] = {
        table: [row.id for row in rows] for table, rows in state.items() if table in REPOSITORIES
    }
    ids["bingo_cells"] = [cell.id for card in state["bingo_cards"] for cell in card.cells]
    return {
        table: {i: rank for rank, i in enumerate(sorted(found), 1)} for table, found in ids.items()
    }


def _ref(maps: IdMaps | None, table: str, value: Any) -> Any:
    if maps is None or not isinstance(value, int) or isinstance(value, bool):
        return value
    return maps[table].get(value, ("not stored", value))


def plain(value: Any, maps: IdMaps | None, table: str | None = None) -> Any:
    """``value`` as comparable data: attrs objects as (class, fields); with ``maps`` every
    id and reference replaced by its rank. ``table`` is the table of a JSON dict's ``id``."""
    if attrs.has(type(value)):
        own = _TABLE_OF.get(type(value).__name__)
        fields = {}
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if field.name == "id" and own is not None:
                fields[field.name] = _ref(maps, own, item)
            elif field.name in _REFERENCES:
                fields[field.name] = _ref(maps, _REFERENCES[field.name], item)
            else:
                fields[field.name] = plain(item, maps)
        return (type(value).__name__, fields)
    if isinstance(value, (list, tuple)):
        return [plain(item, maps, table) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "id" and table is not None:
                out[key] = _ref(maps, table, item)
            elif key in _REFERENCES:
                out[key] = _ref(maps, _REFERENCES[key], item)
            else:
                out[key] = plain(item, maps, _JSON_CONTEXT.get(key))
        return out
    return value


# -- the two sides --------------------------------------------------------------------------


@attrs.define
class Side:
    """One adapter with its own clock and chain."""

    name: str
    factory: UowFactory
    clock: FixedClock
    chain: FakeChain
    admin: Admin | None = None

    def setup(self) -> None:
        """Commit an admin, the standard catalogue, two users and two draw types."""
        world = World(factory=self.factory, clock=self.clock, chain=self.chain, admin=Admin())
        with self.factory() as uow:
            self.admin = add_admin(uow, self.clock)
            world.admin = self.admin
            standard_definitions(uow, self.admin, self.clock)
            for name in NAMES[:2]:
                register(uow, world, name)
            add_draw_type(uow, world, "with-threshold", threshold=0.5)
            add_draw_type(uow, world, "without-threshold")
            uow.commit()


Operation = Callable[[Side, UnitOfWork], Any]


def pick(items: list[Any], index: int, ghost: Any = None) -> Any:
    """The item at ``index`` (cyclically); for ``GHOST``/``GONE`` an unstored stand-in."""
    if index == GHOST:
        return ghost
    if index == GONE:
        return attrs.evolve(ghost, id=9999)
    return items[index % len(items)] if items else None


GHOST_USER: Final = User(in_app_id="ghost")
GHOST_DEFINITION: Final = definition_spec("GHOST")
GHOST_INSTANCE: Final = NFTInstance(
    user_id=1, definition_id=1, serial_number=0, unique_instance_id="GHOST-000000000000"
)
GHOST_DRAW_TYPE: Final = PrizeDrawType(internal_name="ghost", algorithm_key=ALGORITHM)


class EquivalenceMachine(RuleBasedStateMachine):
    """The memory side and a SQL side, driven alike; compared after every step."""

    backend: ClassVar[str] = "sqlite"
    folder: ClassVar[Path]
    """Where SQLite files go."""

    def __init__(self) -> None:
        super().__init__()
        backend = self.backend
        self._resources = ExitStack()
        if backend == "postgres":
            sql: UowFactory = self._resources.enter_context(
                postgres_uow_factory(postgres_url_or_skip())
            )
        else:
            sql = self._resources.enter_context(sqlite_uow_factory(self.folder))
        memory = InMemoryStore()
        self.by_rank = backend == "postgres"
        self.sides: list[Side] = []
        for name, factory in (("memory", lambda: InMemoryUnitOfWork(memory)), (backend, sql)):
            clock = FixedClock(T0)
            side = Side(name, factory, clock, FakeChain(seed=CHAIN_SEED, clock=clock))
            side.setup()
            self.sides.append(side)

        self.lines = 0

    def teardown(self) -> None:
        self._resources.close()

    @initialize(seed=seeds)
    def give_cards_lines_and_numbers(self, seed: int) -> None:
        """Both registered users get a card whose middle column is complete (instances with
        origins); each draw type gets a winning number in effect."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            trigger = uow.definitions.get_by_prefix("EXPO")
            assert trigger is not None
            users = uow.users.list()
            grants = [(user, trigger, f"init-{user.in_app_id}") for user in users]
            issued = issue_instances(uow, grants, rng=random.Random(seed), clock=side.clock)
            line = []
            for user in users:
                assert user.id is not None
                (card,) = uow.bingo_cards.list_for_user(user.id)
                for idx in (1, 7):
                    cell = card.cell_at(idx)
                    assert cell is not None
                    target = uow.definitions.get(cell.target_definition_id)
                    assert target is not None
                    line.append((user, target, f"init-{user.in_app_id}-{idx}"))
            issued += issue_instances(uow, line, rng=random.Random(seed + 1), clock=side.clock)
            numbers = [
                submit_winning_number(uow, draw_type, value, clock=side.clock)
                for draw_type, value in zip(uow.draw_types.list(), ("ABD", "xyz"), strict=True)
            ]
            return issued, numbers

        self.both(operation)

    # -- driving both sides ---------------------------------------------------------------

    def both(self, operation: Operation, *, commit: bool = True) -> None:
        """Run ``operation`` on each side in a fresh unit of work; the answers (value or
        error class) must be equal. Committed when ``commit``, even after an error."""
        answers = []
        for side in self.sides:
            with side.factory() as uow:
                try:
                    answer: Any = ("answer", operation(side, uow))
                except NictbwError as exc:
                    answer = ("error", type(exc).__name__)
                maps = id_ranks(state_of(uow)) if self.by_rank else None
                answers.append(plain(answer, maps))
                if commit:
                    uow.commit()
        assert answers[0] == answers[1], f"{self.sides[0].name} and {self.sides[1].name} differ"

    @staticmethod
    def users(uow: UnitOfWork, index: int) -> User:
        found: User = pick(uow.users.list(), index, GHOST_USER)
        return found

    @staticmethod
    def definition(uow: UnitOfWork, index: int) -> NFTDefinition:
        found: NFTDefinition = pick(uow.definitions.list(), index, GHOST_DEFINITION)
        return found

    @staticmethod
    def instance(uow: UnitOfWork, index: int) -> NFTInstance | None:
        found: NFTInstance | None = pick(uow.instances.list(), index, GHOST_INSTANCE)
        return found

    @staticmethod
    def draw_type(uow: UnitOfWork, index: int) -> PrizeDrawType:
        found: PrizeDrawType = pick(uow.draw_types.list(), index, GHOST_DRAW_TYPE)
        return found

    @staticmethod
    def number(uow: UnitOfWork, index: int | None) -> PrizeDrawWinningNumber | None:
        """``None`` (resolve the one in effect) or any stored winning number, of this draw
        type or not."""
        if index is None:
            return None
        found: PrizeDrawWinningNumber | None = pick(uow.winning_numbers.list(), index)
        return found

    # -- users and catalogue --------------------------------------------------------------

    @rule(
        name=st.sampled_from(NAMES),
        email_ok=st.sampled_from([True, True, True, False]),
        blank_password=st.sampled_from([False, False, False, True]),
        username=st.none() | st.sampled_from(NAMES),
    )
    def register_a_user(
        self, name: str, email_ok: bool, blank_password: bool, username: str | None
    ) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            return register_user(
                uow,
                User(in_app_id=name, nickname=name.title()),
                password=" " if blank_password else "secret",
                email=f"{name}@city.example" if email_ok else "no-at-sign",
                username=username,
                chain=side.chain,
                clock=side.clock,
            )

        self.both(operation)

    @rule(
        user=entity_indexes,
        nickname=st.sampled_from(["Neo", "", "x" * 51]),
        email=st.none() | st.sampled_from(["ann@city.example", " New@City.Example "]),
    )
    def update_a_user(self, user: int, nickname: str, email: str | None) -> None:
        changes: dict[str, Any] = {"nickname": nickname}
        if email is not None:
            changes["email"] = email

        def operation(side: Side, uow: UnitOfWork) -> Any:
            return update_user(uow, self.users(uow, user), clock=side.clock, **changes)

        self.both(operation)

    @rule(
        prefix=st.sampled_from(NEW_PREFIXES),
        triggers=st.booleans(),
        candidate=st.booleans(),
        max_supply=st.sampled_from([None, None, 0, 1, 3]),
        inactive=st.booleans(),
        lifetime=st.sampled_from([None, None, 600]),
    )
    def create_a_definition(
        self,
        prefix: str,
        triggers: bool,
        candidate: bool,
        max_supply: int | None,
        inactive: bool,
        lifetime: int | None,
    ) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            assert side.admin is not None
            spec = definition_spec(
                prefix,
                created_by_admin_id=side.admin.id,
                triggers_bingo_card=triggers,
                bingo_random_candidate=candidate,
                max_supply=max_supply,
                status="inactive" if inactive else "active",
                card_lifetime_seconds=lifetime,
            )
            return create_nft_definition(uow, spec, clock=side.clock)

        self.both(operation)

    @rule(
        name=st.sampled_from(["with-threshold", "late", "strict"]),
        threshold=st.sampled_from([None, 0.4, 0.9]),
        algorithm=st.sampled_from([ALGORITHM, ALGORITHM, "unknown"]),
    )
    def create_a_draw_type(self, name: str, threshold: float | None, algorithm: str) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            draw_type = PrizeDrawType(
                internal_name=name, algorithm_key=algorithm, default_threshold=threshold
            )
            return create_prize_draw_type(uow, draw_type, clock=side.clock)

        self.both(operation)

    # -- issuance, chain, cards -----------------------------------------------------------

    def _origin(self, data: st.DataObject) -> str | None:
        minted = [nft.origin for nft in self.sides[0].chain.nfts]
        origin: str | None = data.draw(
            st.sampled_from([None, None, None, *LOCAL_ORIGINS, " ", *minted]), label="origin"
        )
        return origin

    @rule(data=st.data(), user=entity_indexes, definition=entity_indexes, seed=seeds, commit=keep)
    def issue_one(
        self, data: st.DataObject, user: int, definition: int, seed: int, commit: bool
    ) -> None:
        origin = self._origin(data)

        def operation(side: Side, uow: UnitOfWork) -> Any:
            return create_and_issue_instance(
                uow,
                self.users(uow, user),
                self.definition(uow, definition),
                nft_origin=origin,
                rng=random.Random(seed),
                clock=side.clock,
            )

        self.both(operation, commit=commit)

    @rule(
        data=st.data(),
        grants=st.lists(st.tuples(indexes, indexes), min_size=0, max_size=6),
        seed=seeds,
        commit=keep,
    )
    def issue_many(
        self, data: st.DataObject, grants: list[tuple[int, int]], seed: int, commit: bool
    ) -> None:
        origins = [self._origin(data) for _ in grants]

        def operation(side: Side, uow: UnitOfWork) -> Any:
            batch = [
                (self.users(uow, u), self.definition(uow, d), origin)
                for (u, d), origin in zip(grants, origins, strict=True)
            ]
            return issue_instances(uow, batch, rng=random.Random(seed), clock=side.clock)

        self.both(operation, commit=commit)

    @rule(user=indexes, prefixes=st.lists(st.sampled_from(CHAIN_PREFIXES), max_size=3), seed=seeds)
    def mint_and_sync(self, user: int, prefixes: list[str], seed: int) -> None:
        for side in self.sides:
            with side.factory() as uow:
                holder = self.users(uow, user)
            for prefix in prefixes:
                side.chain.mint(
                    app="nictbw",
                    name=f"Badge {prefix}",
                    additional_info={"prefix": prefix, "category": "chain"},
                    recipient_paymail=holder.paymail,
                )
        self._sync(user, seed)

    @rule(data=st.data(), receiver=indexes, seed=seeds, sync_giver=st.booleans())
    def transfer_and_sync(
        self, data: st.DataObject, receiver: int, seed: int, sync_giver: bool
    ) -> None:
        count = len(self.sides[0].chain.nfts)
        if count == 0:
            return
        nft_index = data.draw(st.integers(0, count - 1), label="nft")
        giver: str | None = None
        for side in self.sides:
            nft = side.chain.nfts[nft_index]
            giver = nft.holder
            with side.factory() as uow:
                to = self.users(uow, receiver)
            assert to.on_chain_id is not None
            side.chain.transfer(nft.origin, to.on_chain_id)
        self._sync(receiver, seed)
        if sync_giver and giver is not None:
            with self.sides[0].factory() as uow:
                names = [u.on_chain_id for u in uow.users.list()]
            if giver in names:
                self._sync(names.index(giver), seed + 1)

    def _sync(self, user: int, seed: int) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            return sync_nft_instances_from_chain(
                uow,
                self.users(uow, user),
                chain=side.chain,
                rng=random.Random(seed),
                clock=side.clock,
            )

        self.both(operation)

    @rule(
        user=indexes,
        card=indexes,
        line=st.sampled_from([*WINNING_LINES, tuple(range(9))]),
        with_origins=st.sampled_from([True, True, False]),
        seed=seeds,
        commit=keep,
    )
    def complete_a_line(
        self,
        user: int,
        card: int,
        line: tuple[int, ...],
        with_origins: bool,
        seed: int,
        commit: bool,
    ) -> None:
        """Issue, in one batch, the badges the locked cells of a line of a user's card need."""
        self.lines += 1
        tag = self.lines

        def operation(side: Side, uow: UnitOfWork) -> Any:
            holder = self.users(uow, user)
            assert holder.id is not None
            chosen: BingoCard | None = pick(uow.bingo_cards.list_for_user(holder.id), card)
            if chosen is None:
                return "no card"
            grants = []
            for idx in line:
                cell = chosen.cell_at(idx)
                assert cell is not None
                if cell.state == CELL_LOCKED:
                    target = uow.definitions.get(cell.target_definition_id)
                    assert target is not None
                    origin = f"line-{tag}-{idx}" if with_origins else None
                    grants.append((holder, target, origin))
            return issue_instances(uow, grants, rng=random.Random(seed), clock=side.clock)

        self.both(operation, commit=commit)

    @rule(user=entity_indexes, seed=seeds)
    def update_bingo(self, user: int, seed: int) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            return update_user_bingo_info(
                uow,
                self.users(uow, user),
                rng=random.Random(seed),
                clock=side.clock,
            )

        self.both(operation)

    @rule(user=entity_indexes, compact=st.booleans())
    def render_cards(self, user: int, compact: bool) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            return bingo_cards_json(
                uow,
                self.users(uow, user),
                compact=compact,
                clock=side.clock,
            )

        self.both(operation)

    @rule(minutes=st.sampled_from([0, 5, 30, 61]))
    def advance_clock(self, minutes: int) -> None:
        for side in self.sides:
            side.clock.advance(timedelta(minutes=minutes))

    # -- draws ----------------------------------------------------------------------------

    @rule(
        draw_type=entity_indexes,
        value=st.sampled_from(WINNING_VALUES),
        window=st.sampled_from(["open", "open", "future", "past", "inverted"]),
    )
    def submit_a_number(self, draw_type: int, value: str, window: str) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            now = side.clock.now()
            bounds = {
                "open": {},
                "future": {"effective_at": now + timedelta(minutes=30)},
                "past": {"expires_at": now},
                "inverted": {"effective_at": now, "expires_at": now - timedelta(minutes=1)},
            }[window]
            return submit_winning_number(
                uow,
                self.draw_type(uow, draw_type),
                value,
                metadata={"round": window},
                clock=side.clock,
                **bounds,
            )

        self.both(operation)

    @rule(
        instance=entity_indexes,
        draw_type=entity_indexes,
        number=st.none() | indexes,
        threshold=thresholds,
        commit=keep,
    )
    def draw_one(
        self,
        instance: int,
        draw_type: int,
        number: int | None,
        threshold: float | None,
        commit: bool,
    ) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            chosen = self.instance(uow, instance)
            if chosen is None:
                return "no instance"
            return run_prize_draw(
                uow,
                chosen,
                self.draw_type(uow, draw_type),
                self.number(uow, number),
                threshold=threshold,
                clock=side.clock,
            )

        self.both(operation, commit=commit)

    @rule(
        draw_type=indexes,
        number=st.none() | indexes,
        chosen=st.none() | st.just("eligible") | st.lists(entity_indexes, max_size=5),
        threshold=thresholds,
        commit=keep,
    )
    def draw_batch(
        self,
        draw_type: int,
        number: int | None,
        chosen: list[int] | str | None,
        threshold: float | None,
        commit: bool,
    ) -> None:
        """A batch draw of the completed lines, of every eligible instance or of a list."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            instances = None
            if chosen == "eligible":
                instances = [i for i in uow.instances.list() if i.is_draw_eligible]
            elif isinstance(chosen, list):
                found = [self.instance(uow, i) for i in chosen]
                instances = [i for i in found if i is not None]
                if len(instances) < len(found):
                    return "no instance"
            return run_prize_draw_batch(
                uow,
                self.draw_type(uow, draw_type),
                winning_number=self.number(uow, number),
                instances=instances,
                threshold=threshold,
                clock=side.clock,
            )

        self.both(operation, commit=commit)

    @rule(
        draw_type=entity_indexes,
        number=st.none() | indexes,
        threshold=thresholds,
        limit=limits,
        commit=keep,
    )
    def draw_bingo(
        self,
        draw_type: int,
        number: int | None,
        threshold: float | None,
        limit: int | None,
        commit: bool,
    ) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            return run_bingo_prize_draw(
                uow,
                self.draw_type(uow, draw_type),
                winning_number=self.number(uow, number),
                threshold=threshold,
                limit=limit,
                clock=side.clock,
            )

        self.both(operation, commit=commit)

    @rule(
        draw_type=indexes,
        definition=st.none() | entity_indexes,
        number=st.none() | indexes,
        threshold=thresholds,
        limit=limits,
    )
    def draw_attendance(
        self,
        draw_type: int,
        definition: int | None,
        number: int | None,
        threshold: float | None,
        limit: int | None,
    ) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            attendance = None if definition is None else self.definition(uow, definition)
            return run_final_attendance_prize_draw(
                uow,
                self.draw_type(uow, draw_type),
                attendance_definition_id=None if attendance is None else attendance.id,
                winning_number=self.number(uow, number),
                threshold=threshold,
                limit=limit,
                clock=side.clock,
            )

        self.both(operation)

    @rule(
        draw_type=entity_indexes,
        number=st.none() | indexes,
        limit=st.sampled_from([1, 3, 8, 0]),
        include_pending=st.booleans(),
        with_ties=st.booleans(),
    )
    def select_top(
        self,
        draw_type: int,
        number: int | None,
        limit: int,
        include_pending: bool,
        with_ties: bool,
    ) -> None:
        def operation(side: Side, uow: UnitOfWork) -> Any:
            return select_top_prize_draw_results(
                uow,
                self.draw_type(uow, draw_type),
                self.number(uow, number),
                limit=limit,
                include_pending=include_pending,
                with_ties=with_ties,
                clock=side.clock,
            )

        self.both(operation, commit=False)

    # -- the comparison -------------------------------------------------------------------

    @invariant()
    def both_sides_store_the_same(self) -> None:
        states = []
        for side in self.sides:
            with side.factory() as uow:
                state = state_of(uow)
            maps = id_ranks(state) if self.by_rank else None
            states.append({name: plain(rows, maps) for name, rows in state.items()})
        for name in REPOSITORIES:
            assert states[0][name] == states[1][name], f"{name} differ"

    @invariant()
    def both_sides_record_the_same_events(self) -> None:
        """The outboxes hold the same events in the same order (with their payloads where
        ids agree: PostgreSQL sequences do not rewind on rollback)."""
        outboxes = []
        for side in self.sides:
            with side.factory() as uow:
                events = uow.events.pending(limit=100_000)
            if self.by_rank:
                outboxes.append([(str(e.type), sorted(e.payload)) for e in events])
            else:
                outboxes.append([(str(e.type), e.user_id, e.payload) for e in events])
        assert outboxes[0] == outboxes[1], "events differ"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_backend(request: pytest.FixtureRequest) -> str:
    """The SQL backend compared with the in-memory adapter."""
    if request.param == "postgres":
        postgres_url_or_skip()
    return str(request.param)


def test_memory_and_sql_adapters_are_observably_equivalent(
    sql_backend: str, tmp_path: Path
) -> None:
    machine = type(
        f"EquivalenceMachineOn{sql_backend.title()}",
        (EquivalenceMachine,),
        {"backend": sql_backend, "folder": tmp_path},
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
