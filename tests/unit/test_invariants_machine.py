"""The invariants of nictbw's state hold after any sequence of workflows.

A hypothesis state machine over the in-memory adapter issues badges (one by one and in
bulk), mints and syncs from a ``FakeChain`` (transfers included), moves the clock past
card lifetimes, brings cards up to date, submits winning numbers and runs every kind of
draw. After every step, read through a fresh unit of work:

- serials per definition are exactly 0..n-1 and ``minted_count`` is n;
- every cell is consistent (unlocked exactly when ``unlocked_at`` is set), every card has
  cells idx 0-8, every completed line is three unlocked cells, every completed card has
  nine unlocked cells and ``completed_at`` (and only completed cards have it);
- no user has two cards with the same centre;
- no instance appears twice among the results of one draw type and winning number;
- no origin is held by two ``succeeded`` instances.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.domain.entities import (
    CARD_COMPLETED,
    CELL_UNLOCKED,
    INSTANCE_SUCCEEDED,
    WINNING_LINES,
    PrizeDrawType,
    User,
)
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    create_and_issue_instance,
    issue_instances,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    run_prize_draw,
    run_prize_draw_batch,
    submit_winning_number,
    sync_nft_instances_from_chain,
    update_user_bingo_info,
)
from tests.contract.helpers import (
    ATTENDANCE,
    CANDIDATES,
    LIMITED,
    T0,
    TIMED_TRIGGER,
    TRIGGER,
    World,
    add_admin,
    add_draw_type,
    register,
    standard_definitions,
)

PREFIXES = (TRIGGER, TIMED_TRIGGER, *CANDIDATES, ATTENDANCE, LIMITED)
USERS = ("ann", "ben", "cat")
LOCAL_ORIGINS = tuple(f"local-{n}" for n in range(6))

users_st = st.integers(0, len(USERS) - 1)
prefixes_st = st.sampled_from(PREFIXES)
seeds_st = st.integers(0, 2**16)


class InvariantsMachine(RuleBasedStateMachine):
    """Random workflows on one in-memory store; invariants checked after each step."""

    def __init__(self) -> None:
        super().__init__()
        store = InMemoryStore()
        self.factory: Callable[[], UnitOfWork] = lambda: InMemoryUnitOfWork(store)
        self.clock = FixedClock(T0)
        self.chain = FakeChain(seed=11, clock=self.clock)
        with self.factory() as uow:
            admin = add_admin(uow, self.clock)
            defs = standard_definitions(uow, admin, self.clock)
            self.world = World(
                factory=self.factory, clock=self.clock, chain=self.chain, admin=admin, defs=defs
            )
            self.users: list[User] = [register(uow, self.world, name) for name in USERS]
            self.draw_types: list[PrizeDrawType] = [
                add_draw_type(uow, self.world, "with-threshold", threshold=0.5),
                add_draw_type(uow, self.world, "without-threshold"),
            ]
            uow.commit()
        self.line_origins = 0

    # ------------------------------------------------------------------------- helpers

    def _origin(self, data: st.DataObject) -> str | None:
        chain_origins = [nft.origin for nft in self.chain.nfts]
        choice: str | None = data.draw(
            st.none() | st.sampled_from(LOCAL_ORIGINS + tuple(chain_origins)), label="origin"
        )
        return choice

    def _sync(self, uow: UnitOfWork, user: User, seed: int) -> None:
        sync_nft_instances_from_chain(
            uow, user, chain=self.chain, rng=random.Random(seed), clock=self.clock
        )

    # --------------------------------------------------------------------------- rules

    @rule(data=st.data(), user=users_st, prefix=prefixes_st, seed=seeds_st)
    def issue_one(self, data: st.DataObject, user: int, prefix: str, seed: int) -> None:
        origin = self._origin(data)
        with self.factory() as uow:
            try:
                create_and_issue_instance(
                    uow,
                    self.users[user],
                    self.world.d(prefix),
                    nft_origin=origin,
                    rng=random.Random(seed),
                    clock=self.clock,
                )
            except ConflictError:
                return
            uow.commit()

    @rule(
        data=st.data(),
        grants=st.lists(st.tuples(users_st, prefixes_st), min_size=1, max_size=6),
        seed=seeds_st,
    )
    def issue_bulk(self, data: st.DataObject, grants: list[tuple[int, str]], seed: int) -> None:
        batch = [(self.users[u], self.world.d(p), self._origin(data)) for u, p in grants]
        with self.factory() as uow:
            try:
                issue_instances(uow, batch, rng=random.Random(seed), clock=self.clock)
            except ConflictError:
                return
            uow.commit()

    @rule(user=users_st, prefixes=st.lists(prefixes_st, min_size=1, max_size=3), seed=seeds_st)
    def mint_and_sync(self, user: int, prefixes: list[str], seed: int) -> None:
        holder = self.users[user]
        for prefix in prefixes:
            self.chain.mint(
                app="nictbw",
                name=f"Badge {prefix}",
                additional_info={"prefix": prefix},
                recipient_paymail=holder.paymail,
            )
        with self.factory() as uow:
            self._sync(uow, holder, seed)
            uow.commit()

    @precondition(lambda self: bool(self.chain.nfts))
    @rule(data=st.data(), receiver=users_st, seed=seeds_st, giver_first=st.booleans())
    def transfer_and_sync(
        self, data: st.DataObject, receiver: int, seed: int, giver_first: bool
    ) -> None:
        nft = data.draw(st.sampled_from(self.chain.nfts), label="nft")
        to = self.users[receiver]
        assert to.on_chain_id is not None
        self.chain.transfer(nft.origin, to.on_chain_id)
        giver = next((u for u in self.users if u.on_chain_id == nft.holder), None)
        order = [giver, to] if giver_first else [to, giver]
        for user in order:
            if user is None:
                continue
            with self.factory() as uow:
                self._sync(uow, user, seed)
                uow.commit()

    @rule(
        data=st.data(),
        user=users_st,
        line=st.sampled_from([*WINNING_LINES, tuple(range(9))]),
        with_origins=st.booleans(),
        seed=seeds_st,
    )
    def fill_line_or_card(
        self,
        data: st.DataObject,
        user: int,
        line: tuple[int, ...],
        with_origins: bool,
        seed: int,
    ) -> None:
        holder = self.users[user]
        assert holder.id is not None
        with self.factory() as uow:
            cards = uow.bingo_cards.list_for_user(holder.id)
            if not cards:
                return
            card = data.draw(st.sampled_from(cards), label="card")
            for n, idx in enumerate(line):
                cell = card.cell_at(idx)
                assert cell is not None
                if cell.state == CELL_UNLOCKED:
                    continue
                self.line_origins += 1
                definition = uow.definitions.get(cell.target_definition_id)
                assert definition is not None
                create_and_issue_instance(
                    uow,
                    holder,
                    definition,
                    nft_origin=f"line-{self.line_origins}" if with_origins else None,
                    rng=random.Random(seed + n),
                    clock=self.clock,
                )
            uow.commit()

    @rule(minutes=st.integers(0, 90))
    def advance_clock(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @rule(user=users_st, seed=seeds_st)
    def unlock(self, user: int, seed: int) -> None:
        with self.factory() as uow:
            update_user_bingo_info(uow, self.users[user], rng=random.Random(seed), clock=self.clock)
            uow.commit()

    @rule(
        draw_type=st.integers(0, 1),
        value=st.sampled_from(["ABD", " abc ", "xyz"]),
        window=st.sampled_from(["open", "future", "past"]),
    )
    def submit_number(self, draw_type: int, value: str, window: str) -> None:
        now = self.clock.now()
        bounds: dict[str, Any] = {}
        if window == "future":
            bounds["effective_at"] = now + timedelta(minutes=30)
        elif window == "past":
            bounds["expires_at"] = now
        with self.factory() as uow:
            submit_winning_number(
                uow, self.draw_types[draw_type], value, clock=self.clock, **bounds
            )
            uow.commit()

    @rule(
        draw_type=st.integers(0, 1),
        kind=st.sampled_from(["bingo", "batch", "attendance"]),
        limit=st.none() | st.integers(1, 4),
    )
    def draw(self, draw_type: int, kind: str, limit: int | None) -> None:
        chosen = self.draw_types[draw_type]
        with self.factory() as uow:
            try:
                if kind == "bingo":
                    run_bingo_prize_draw(uow, chosen, limit=limit, clock=self.clock)
                elif kind == "batch":
                    run_prize_draw_batch(uow, chosen, clock=self.clock)
                else:
                    run_final_attendance_prize_draw(
                        uow,
                        chosen,
                        attendance_definition_id=self.world.d(ATTENDANCE).id,
                        limit=limit,
                        clock=self.clock,
                    )
            except ValidationError as exc:
                if "no winning number in effect" not in str(exc):
                    raise
                return
            uow.commit()

    @rule(data=st.data(), draw_type=st.integers(0, 1))
    def draw_one(self, data: st.DataObject, draw_type: int) -> None:
        with self.factory() as uow:
            instances = uow.instances.list()
            if not instances:
                return
            instance = data.draw(st.sampled_from(instances), label="instance")
            try:
                run_prize_draw(uow, instance, self.draw_types[draw_type], clock=self.clock)
            except ValidationError:
                assert not instance.is_draw_eligible
                return
            uow.commit()

    # ---------------------------------------------------------------------- invariants

    @invariant()
    def serials_are_dense_and_minted_count_matches(self) -> None:
        with self.factory() as uow:
            definitions = uow.definitions.list()
            by_definition: dict[int, list[int]] = defaultdict(list)
            for instance in uow.instances.list():
                by_definition[instance.definition_id].append(instance.serial_number)
        for definition in definitions:
            assert definition.id is not None
            serials = sorted(by_definition[definition.id])
            assert serials == list(range(len(serials))), (definition.prefix, serials)
            assert definition.minted_count == len(serials), definition.prefix

    @invariant()
    def cards_and_cells_are_consistent(self) -> None:
        with self.factory() as uow:
            cards = uow.bingo_cards.list()
        for card in cards:
            assert sorted(c.idx for c in card.cells) == list(range(9)), card.id
            for cell in card.cells:
                assert (cell.state == CELL_UNLOCKED) == (cell.unlocked_at is not None), cell
            for line in card.completed_lines():
                for idx in line:
                    on_line = card.cell_at(idx)
                    assert on_line is not None
                    assert on_line.state == CELL_UNLOCKED, (card.id, line)
            if card.state == CARD_COMPLETED:
                assert all(c.state == CELL_UNLOCKED for c in card.cells), card.id
                assert card.completed_at is not None, card.id
            else:
                assert card.completed_at is None, card.id

    @invariant()
    def no_user_has_two_cards_with_one_centre(self) -> None:
        with self.factory() as uow:
            cards = uow.bingo_cards.list()
        centres = Counter((card.user_id, card.center_definition_id) for card in cards)
        assert all(count == 1 for count in centres.values()), centres

    @invariant()
    def no_instance_twice_in_one_draw(self) -> None:
        with self.factory() as uow:
            results = uow.draw_results.list()
        keys = Counter((r.draw_type_id, r.winning_number_id, r.nft_instance_id) for r in results)
        assert all(count == 1 for count in keys.values()), keys

    @invariant()
    def an_origin_has_at_most_one_succeeded_holder(self) -> None:
        with self.factory() as uow:
            instances = uow.instances.list()
        held = Counter(
            i.nft_origin
            for i in instances
            if i.status == INSTANCE_SUCCEEDED and i.nft_origin is not None
        )
        assert all(count == 1 for count in held.values()), held


InvariantsMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestInvariants = InvariantsMachine.TestCase
