"""The rules of the workflow machine: every workflow, with arguments that sometimes break a rule.

Over 500 lines on purpose: one hypothesis state machine, whose rules sit on one class (the
rules of the admin workflows, a separate concern, are mixed in from ``_lifecycle``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from datetime import timedelta
from typing import Any, ClassVar, Final

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from nictbw.adapters.chain.fake import FAULT_KINDS
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.domain.entities import (
    CELL_LOCKED,
    WINNING_LINES,
    BingoCard,
    NFTDefinition,
    NFTInstance,
    PrizeDrawSnapshot,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import NictbwError
from nictbw.ports import UnitOfWork
from nictbw.testing.machine._compare import id_ranks, plain, state_of
from nictbw.testing.machine._invariants import Invariants, Trail
from nictbw.testing.machine._lifecycle import LifecycleRules
from nictbw.testing.machine._setup import (
    ALGORITHM,
    GHOST_DEFINITION,
    GHOST_DRAW_TYPE,
    GHOST_INSTANCE,
    GHOST_USER,
    NAMES,
    PASSWORD,
    Side,
    UowFactory,
    definition_spec,
)
from nictbw.workflows import (
    bingo_cards_json,
    create_and_issue_instance,
    create_nft_definition,
    create_prize_draw_type,
    export_draw,
    issue_instances,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    run_prize_draw,
    run_prize_draw_batch,
    run_sealed_prize_draw,
    seal_prize_draw,
    select_top_prize_draw_results,
    submit_winning_number,
    sync_nft_instances_from_chain,
    update_user,
    update_user_bingo_info,
)

StoreFactory = Callable[[], "UowFactory | AbstractContextManager[UowFactory] | Any"]
"""Called once per example: a unit-of-work factory on a fresh, empty store, a context
manager yielding one (closed when the example ends), or an object whose ``unit_of_work``
attribute is one (a ``nictbw.Container``)."""

NEW_PREFIXES: Final = ("NEW1", "NEW2", "EXPO", "bad prefix")
CHAIN_PREFIXES: Final = ("EXPO", "PARK", "C01", "C02", "C05", "ATTEND", "LIMITED", "ONCHAIN-1")
LOCAL_ORIGINS: Final = ("local-0", "LOCAL-0", " Local-0 ", "local-1")
"""Origins differing only in case and spaces share a draw number: their scores tie."""
FCM_TOKENS: Final = ("fcm-token-ann-0001", "fcm-token-ben-0002")
"""Push tokens users may be given (secrets: never in the audit log)."""
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

Operation = Callable[[Side, UnitOfWork], Any]


def pick(items: list[Any], index: int, ghost: Any = None) -> Any:
    """The item at ``index`` (cyclically); for ``GHOST``/``GONE`` an unstored stand-in."""
    if index == GHOST:
        return ghost
    if index == GONE:
        return attrs.evolve(ghost, id=9999)
    return items[index % len(items)] if items else None


def _open(resources: ExitStack, made: Any) -> UowFactory:
    """The unit-of-work factory in what ``new_store`` gave (entering a context manager)."""
    if hasattr(made, "unit_of_work"):
        made = made.unit_of_work
    elif hasattr(made, "__enter__") and hasattr(made, "__exit__"):
        made = resources.enter_context(made)
    if not callable(made):
        raise TypeError(f"new_store gave {made!r}, not a unit-of-work factory")
    factory: UowFactory = made
    return factory


class WorkflowMachine(Invariants, LifecycleRules, RuleBasedStateMachine):
    """Random workflow sequences against the host's composition, invariants after each step.

    Subclass and set ``new_store`` (or use :func:`machine_class`). With
    ``compare_with_memory`` the in-memory adapter runs every step beside the host, with its
    own clock, fake chain and beacon built alike, and both must answer alike (equal values
    or errors of the same class) and store the same. ``rank_ids`` compares ids by rank
    (for stores whose sequences skip numbers, as PostgreSQL's do); sealing is then left
    out, since a seal's digest (and so the sealed winning value) covers the ids themselves.
    """

    new_store: ClassVar[StoreFactory]
    compare_with_memory: ClassVar[bool] = True
    rank_ids: ClassVar[bool] = False
    chain_seed: ClassVar[int] = 23
    host_name: ClassVar[str] = "host"

    def __init__(self) -> None:
        super().__init__()
        self._resources = ExitStack()
        host = _open(self._resources, type(self).new_store())
        self.by_rank = self.rank_ids
        self.sides: list[Side] = []
        factories: list[tuple[str, UowFactory]] = []
        if self.compare_with_memory:
            memory = InMemoryStore()
            factories.append(("memory", lambda: InMemoryUnitOfWork(memory)))
        factories.append((self.host_name, host))
        for name, factory in factories:
            side = Side.new(name, factory, chain_seed=self.chain_seed)
            side.setup()
            self.sides.append(side)
        self.lines = 0
        self.trail = Trail()

    def teardown(self) -> None:
        """Close what the store factory opened."""
        self._resources.close()

    # -- driving every side -----------------------------------------------------------------

    def both(
        self, operation: Operation, *, commit: bool = True, refusal_unchanged: bool = False
    ) -> list[Any]:
        """Run ``operation`` on each side in a fresh unit of work; the answers (value or
        error class) must be equal. Committed when ``commit``, even after an error (a
        failing workflow changes nothing; with ``refusal_unchanged`` that is checked: the
        unit of work reads the same after a refusal as before). Returns the raw answers."""
        self.writes += 1
        answers, raw = [], []
        for side in self.sides:
            with side.factory() as uow:
                before = plain(state_of(uow), None) if refusal_unchanged else None
                try:
                    answer: Any = ("answer", operation(side, uow))
                except NictbwError as exc:
                    answer = ("error", type(exc).__name__)
                    if before is not None:
                        assert plain(state_of(uow), None) == before, (
                            f"{side.name}: the refused call ({exc}) changed the store"
                        )
                raw.append(answer)
                maps = id_ranks(state_of(uow)) if self.by_rank else None
                answers.append(plain(answer, maps))
                if commit:
                    uow.commit()
        assert answers[0] == answers[-1], f"{self.sides[0].name} and {self.host.name} differ"
        return raw

    @staticmethod
    def user(uow: UnitOfWork, index: int) -> User:
        """A stored user by index (or a ghost)."""
        found: User = pick(uow.users.list(), index, GHOST_USER)
        return found

    @staticmethod
    def definition(uow: UnitOfWork, index: int) -> NFTDefinition:
        """A stored definition by index (or a ghost)."""
        found: NFTDefinition = pick(uow.definitions.list(), index, GHOST_DEFINITION)
        return found

    @staticmethod
    def instance(uow: UnitOfWork, index: int) -> NFTInstance | None:
        """A stored instance by index (or a ghost); None when there is none."""
        found: NFTInstance | None = pick(uow.instances.list(), index, GHOST_INSTANCE)
        return found

    @staticmethod
    def draw_type(uow: UnitOfWork, index: int) -> PrizeDrawType:
        """A stored draw type by index (or a ghost)."""
        found: PrizeDrawType = pick(uow.draw_types.list(), index, GHOST_DRAW_TYPE)
        return found

    @staticmethod
    def number(uow: UnitOfWork, index: int | None) -> PrizeDrawWinningNumber | None:
        """``None`` (the one in effect) or any stored winning number, of this type or not."""
        if index is None:
            return None
        found: PrizeDrawWinningNumber | None = pick(uow.winning_numbers.list(), index)
        return found

    # -- start ------------------------------------------------------------------------------

    @initialize(seed=seeds)
    def give_cards_lines_and_numbers(self, seed: int) -> None:
        """Both users get a card whose middle column is complete; each draw type a number."""

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

    # -- users and catalogue ----------------------------------------------------------------

    @rule(
        name=st.sampled_from(NAMES),
        email_ok=st.sampled_from([True, True, True, False]),
        blank_password=st.sampled_from([False, False, False, True]),
        username=st.none() | st.sampled_from(NAMES),
    )
    def register_a_user(
        self, name: str, email_ok: bool, blank_password: bool, username: str | None
    ) -> None:
        """Register a user (sometimes with a bad e-mail, blank password or taken name)."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            return side.register(
                uow,
                name,
                password=" " if blank_password else PASSWORD,
                email=f"{name}@city.example" if email_ok else "no-at-sign",
                username=username,
            )

        self.both(operation)

    @rule(
        user=entity_indexes,
        nickname=st.sampled_from(["Neo", "", "x" * 51]),
        email=st.none() | st.sampled_from(["ann@city.example", " New@City.Example "]),
        fcm_token=st.none() | st.sampled_from(FCM_TOKENS),
    )
    def update_a_user(
        self, user: int, nickname: str, email: str | None, fcm_token: str | None
    ) -> None:
        """Change a user's nickname, e-mail and push token."""
        changes: dict[str, Any] = {"nickname": nickname}
        if email is not None:
            changes["email"] = email
        if fcm_token is not None:
            changes["fcm_token"] = fcm_token

        def operation(side: Side, uow: UnitOfWork) -> Any:
            return update_user(uow, self.user(uow, user), clock=side.clock, **changes)

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
        """Create a definition (sometimes a taken or malformed prefix)."""

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
        """Create a draw type (sometimes a taken name or an unknown algorithm)."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            draw_type = PrizeDrawType(
                internal_name=name, algorithm_key=algorithm, default_threshold=threshold
            )
            return create_prize_draw_type(uow, draw_type, clock=side.clock)

        self.both(operation)

    # -- issuance, chain, cards -------------------------------------------------------------

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
        """Issue one badge (``create_and_issue_instance``)."""
        origin = self._origin(data)

        def operation(side: Side, uow: UnitOfWork) -> Any:
            return create_and_issue_instance(
                uow,
                self.user(uow, user),
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
    def issue_in_bulk(
        self, data: st.DataObject, grants: list[tuple[int, int]], seed: int, commit: bool
    ) -> None:
        """Issue a batch (``issue_instances``)."""
        origins = [self._origin(data) for _ in grants]

        def operation(side: Side, uow: UnitOfWork) -> Any:
            batch = [
                (self.user(uow, u), self.definition(uow, d), origin)
                for (u, d), origin in zip(grants, origins, strict=True)
            ]
            return issue_instances(uow, batch, rng=random.Random(seed), clock=side.clock)

        self.both(operation, commit=commit)

    @rule(user=indexes, prefixes=st.lists(st.sampled_from(CHAIN_PREFIXES), max_size=3), seed=seeds)
    def mint_and_sync(self, user: int, prefixes: list[str], seed: int) -> None:
        """Mint on the chain to a user, then sync that user."""
        for side in self.sides:
            with side.factory() as uow:
                holder = self.user(uow, user)
            for prefix in prefixes:
                side.chain.mint(
                    app="nictbw",
                    name=f"Badge {prefix}",
                    additional_info={"prefix": prefix, "category": "chain"},
                    recipient_paymail=holder.paymail,
                )
        self._sync(user, seed)

    @rule(user=indexes, kind=st.sampled_from(FAULT_KINDS), seed=seeds)
    def sync_through_a_chain_fault(self, user: int, kind: Any, seed: int) -> None:
        """Sync while the chain fails (status, timeout, malformed, missing fields)."""
        for side in self.sides:
            side.chain.fail_next(kind)
        self._sync(user, seed)
        for side in self.sides:
            side.chain.clear_faults()

    @rule(data=st.data(), receiver=indexes, seed=seeds, sync_giver=st.booleans())
    def transfer_and_sync(
        self, data: st.DataObject, receiver: int, seed: int, sync_giver: bool
    ) -> None:
        """Transfer an NFT on the chain, sync the receiver (and maybe the giver)."""
        count = len(self.sides[0].chain.nfts)
        if count == 0:
            return
        nft_index = data.draw(st.integers(0, count - 1), label="nft")
        giver: str | None = None
        receivers = []
        for side in self.sides:
            with side.factory() as uow:
                receivers.append(self.user(uow, receiver).on_chain_id)
        if None in receivers:  # an erased user has no chain account any more
            return
        for side, to in zip(self.sides, receivers, strict=True):
            nft = side.chain.nfts[nft_index]
            giver = nft.holder
            assert to is not None
            side.chain.transfer(nft.origin, to)
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
                self.user(uow, user),
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
            holder = self.user(uow, user)
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
        """Bring a user's cards up to date (creates missing cards, stores expiry)."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            return update_user_bingo_info(
                uow, self.user(uow, user), rng=random.Random(seed), clock=side.clock
            )

        self.both(operation)

    @rule(user=entity_indexes, compact=st.booleans())
    def render_cards(self, user: int, compact: bool) -> None:
        """Render a user's cards as JSON."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            return bingo_cards_json(uow, self.user(uow, user), compact=compact, clock=side.clock)

        self.both(operation)

    @rule(minutes=st.sampled_from([0, 5, 30, 61]))
    def advance_clock(self, minutes: int) -> None:
        """Move time on (cards expire, numbers come into and out of effect, rounds publish)."""
        for side in self.sides:
            side.clock.advance(timedelta(minutes=minutes))

    # -- draws ------------------------------------------------------------------------------

    @rule(
        draw_type=entity_indexes,
        value=st.sampled_from(WINNING_VALUES),
        window=st.sampled_from(["open", "open", "future", "past", "inverted"]),
    )
    def submit_a_number(self, draw_type: int, value: str, window: str) -> None:
        """Submit a winning number (sometimes blank, or with a bad window)."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            now = side.clock.now()
            bounds: dict[str, Any] = {
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
        """Draw one instance (``run_prize_draw``)."""

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
        """The bingo draw over the completed lines."""

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
        """The final attendance draw."""

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

    @precondition(lambda self: not self.by_rank)
    @rule(draw_type=indexes, attendance=st.booleans())
    def seal_a_draw(self, draw_type: int, attendance: bool) -> None:
        """Seal a draw: snapshot its candidates and commit to a future beacon round."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            definition = uow.definitions.get_by_prefix("ATTEND") if attendance else None
            return seal_prize_draw(
                uow,
                self.draw_type(uow, draw_type),
                beacon=side.beacon,
                attendance_definition_id=None if definition is None else definition.id,
                clock=side.clock,
            )

        self.both(operation)

    @precondition(lambda self: not self.by_rank)
    @rule(snapshot=indexes, limit=limits)
    def run_a_sealed_draw(self, snapshot: int, limit: int | None) -> None:
        """Run a sealed draw (refused until its round is published)."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            sealed = [s for s in uow.draw_snapshots.list() if s.beacon_round is not None]
            chosen: PrizeDrawSnapshot | None = pick(sealed, snapshot)
            if chosen is None:
                return "no sealed draw"
            return run_sealed_prize_draw(
                uow, chosen, beacon=side.beacon, limit=limit, clock=side.clock
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
        """Read the top results of a draw (nothing committed)."""

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

    @rule(draw_type=indexes, number=st.none() | indexes)
    def export_a_draw(self, draw_type: int, number: int | None) -> None:
        """Export a draw; every side exports the same candidates and outcomes."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            chosen = self.number(uow, number)
            document = export_draw(
                uow,
                self.draw_type(uow, draw_type).internal_name,
                winning_number_id=None if chosen is None else chosen.id,
                clock=side.clock,
            )
            return document["candidate_count"], [
                (c["user"], c["definition_prefix"], c["nft_origin"], c["similarity"], c["outcome"])
                for c in document["candidates"]
            ]

        self.both(operation, commit=False)
