"""A workflow that raises changes nothing (domain-rules.md §1.2, §8.5).

Two proofs: every repository's ``list()`` read through a fresh unit of work is the same
before and after the failed call; and, inside the unit of work that saw the failure, the
state is unchanged and committing that same unit of work lands nothing of the call.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from attrs import define

from nictbw.domain.entities import Admin, NFTDefinition, NFTInstance, PrizeDrawType, User
from nictbw.domain.errors import (
    ChainError,
    ConflictError,
    NictbwError,
    NotFoundError,
    ValidationError,
)
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    bingo_cards_json,
    create_and_issue_instance,
    create_nft_definition,
    create_prize_draw_type,
    issue_instances,
    register_admin,
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
from tests.contract.helpers import (
    ALGORITHM,
    CANDIDATES,
    LIMITED,
    LIMITED_SUPPLY,
    T0,
    TIMED_TRIGGER,
    TRIGGER,
    StubChain,
    UowFactory,
    World,
    add_draw_type,
    build_world,
    card_centred_on,
    chain_item,
    definition_spec,
    issue,
    register,
    snapshot,
    state_of,
    target_prefixes,
)


@define(kw_only=True)
class Scene:
    """A committed world with two users, cards, badges and a draw type with a number."""

    world: World
    alice: User
    bob: User
    with_origin: NFTInstance
    without_origin: NFTInstance
    bob_badge: NFTInstance
    draw_type: PrizeDrawType
    empty_draw_type: PrizeDrawType
    corner: str


@pytest.fixture
def scene(uow_factory: UowFactory) -> Scene:
    world = build_world(uow_factory)
    with world.factory() as uow:
        alice = register(uow, world, "alice")
        bob = register(uow, world, "bob")
        issue(uow, world, alice, TRIGGER, origin="alice-expo", seed=1)
        card = card_centred_on(uow, alice, world.d(TRIGGER))
        left, right = target_prefixes(world, card, (3, 5))
        with_origin = issue(uow, world, alice, left, origin="ABC", seed=2)
        issue(uow, world, alice, right, origin="alice-right", seed=3)
        corner = target_prefixes(world, card, (0,))[0]
        on_card = set(target_prefixes(world, card, range(9)))
        off_card = next(p for p in CANDIDATES if p not in on_card)
        without_origin = issue(uow, world, alice, off_card, seed=4)
        bob_badge = issue(uow, world, bob, "C09", origin="bob-c09", seed=5)
        for n in range(LIMITED_SUPPLY):
            issue(uow, world, bob, LIMITED, seed=10 + n)
        draw_type = add_draw_type(uow, world, "final", threshold=0.5)
        empty_draw_type = add_draw_type(uow, world, "empty")
        submit_winning_number(uow, draw_type, "ABD", clock=world.clock)
        # A definition first seen on the chain (no admin owns it): sync may change it.
        uow.definitions.add(
            definition_spec(
                "SHOP",
                bingo_random_candidate=False,
                created_at=world.clock.now(),
                updated_at=world.clock.now(),
            )
        )
        uow.commit()
    return Scene(
        world=world,
        alice=alice,
        bob=bob,
        with_origin=with_origin,
        without_origin=without_origin,
        bob_badge=bob_badge,
        draw_type=draw_type,
        empty_draw_type=empty_draw_type,
        corner=corner,
    )


Call = Callable[[UnitOfWork, Scene], Any]


def _register_taken(uow: UnitOfWork, s: Scene) -> Any:
    return register_user(
        uow,
        User(in_app_id="alice"),
        password="pw",
        email="other@city.example",
        username="fresh",
        chain=s.world.chain,
        clock=s.world.clock,
    )


def _register_refused(uow: UnitOfWork, s: Scene) -> Any:
    s.world.chain.create_account("carol", "carol@x.example", "pw")
    return register_user(
        uow,
        User(in_app_id="carol"),
        password="pw",
        email="carol@city.example",
        chain=s.world.chain,
        clock=s.world.clock,
    )


def _issue_exhausted(uow: UnitOfWork, s: Scene) -> Any:
    return issue(uow, s.world, s.alice, LIMITED, seed=9)


def _issue_origin_held(uow: UnitOfWork, s: Scene) -> Any:
    return issue(uow, s.world, s.bob, "C02", origin="ABC", seed=9)


def _bulk_last_grant_gone(uow: UnitOfWork, s: Scene) -> Any:
    ghost = NFTDefinition(id=4242, prefix="GHOST", shared_key="k", name="n")
    grants = [
        (s.bob, s.world.d(TRIGGER)),
        (s.alice, s.world.d(s.corner)),
        (s.alice, s.world.d(TIMED_TRIGGER)),
        (s.bob, ghost),
    ]
    return issue_instances(uow, grants, rng=random.Random(3), clock=s.world.clock)


def _bulk_second_definition_exhausted(uow: UnitOfWork, s: Scene) -> Any:
    grants = [(s.alice, s.world.d(s.corner)), (s.alice, s.world.d(LIMITED))]
    return issue_instances(uow, grants, rng=random.Random(3), clock=s.world.clock)


def _bulk_last_origin_held(uow: UnitOfWork, s: Scene) -> Any:
    grants = [
        (s.bob, s.world.d(TRIGGER), "new-1"),
        (s.alice, s.world.d(s.corner), "new-2"),
        (s.bob, s.world.d("C03"), "bob-c09"),
    ]
    return issue_instances(uow, grants, rng=random.Random(3), clock=s.world.clock)


def _sync_chain_fails(uow: UnitOfWork, s: Scene) -> Any:
    s.world.chain.mint(
        app="nictbw",
        name="Badge C04",
        additional_info={"prefix": "C04"},
        recipient_paymail=s.alice.paymail,
    )
    s.world.chain.fail_next("status", status=503)
    return sync_nft_instances_from_chain(
        uow, s.alice, chain=s.world.chain, rng=random.Random(1), clock=s.world.clock
    )


def _update_user_conflict(uow: UnitOfWork, s: Scene) -> Any:
    return update_user(uow, s.alice, clock=s.world.clock, nickname="A", in_app_id="bob")


CASES: list[tuple[str, Call, type[NictbwError], str]] = [
    ("register_user taken", _register_taken, ConflictError, "'alice'"),
    ("register_user refused", _register_refused, ChainError, "carol"),
    (
        "register_admin taken",
        lambda uow, s: register_admin(
            uow, Admin(email="ops@city.example", password_hash="h"), clock=s.world.clock
        ),
        ConflictError,
        "'ops@city.example'",
    ),
    ("update_user conflict", _update_user_conflict, ConflictError, "'bob'"),
    (
        "create_nft_definition taken",
        lambda uow, s: create_nft_definition(
            uow,
            definition_spec(TRIGGER, created_by_admin_id=s.world.admin.id),
            clock=s.world.clock,
        ),
        ConflictError,
        f"'{TRIGGER}'",
    ),
    ("issue supply", _issue_exhausted, ConflictError, f"supply of '{LIMITED}' exhausted"),
    ("issue origin held", _issue_origin_held, ConflictError, "'ABC'"),
    (
        "issue unstored user",
        lambda uow, s: create_and_issue_instance(uow, User(), s.world.d("C01")),
        NotFoundError,
        "not stored",
    ),
    ("bulk last grant gone", _bulk_last_grant_gone, NotFoundError, "definition 4242"),
    (
        "bulk second definition exhausted",
        _bulk_second_definition_exhausted,
        ConflictError,
        f"supply of '{LIMITED}' exhausted",
    ),
    ("bulk last origin held", _bulk_last_origin_held, ConflictError, "'bob-c09'"),
    ("sync chain fails", _sync_chain_fails, ChainError, "503"),
    (
        "sync non-list answer",
        lambda uow, s: sync_nft_instances_from_chain(
            uow, s.alice, chain=StubChain({"nfts": []}), clock=s.world.clock
        ),
        ChainError,
        "not a JSON array",
    ),
    (
        "update_user_bingo_info gone user",
        lambda uow, s: update_user_bingo_info(uow, User(id=999), clock=s.world.clock),
        NotFoundError,
        "user 999",
    ),
    (
        "bingo_cards_json unstored user",
        lambda uow, s: bingo_cards_json(uow, User(), clock=s.world.clock),
        NotFoundError,
        "not stored",
    ),
    (
        "create_prize_draw_type taken",
        lambda uow, s: create_prize_draw_type(
            uow, PrizeDrawType(internal_name="final", algorithm_key=ALGORITHM)
        ),
        ConflictError,
        "'final'",
    ),
    (
        "submit_winning_number empty window",
        lambda uow, s: submit_winning_number(
            uow, s.draw_type, "x", effective_at=T0, expires_at=T0, clock=s.world.clock
        ),
        ValidationError,
        "expires_at",
    ),
    (
        "run_prize_draw ineligible",
        lambda uow, s: run_prize_draw(uow, s.without_origin, s.draw_type, clock=s.world.clock),
        ValidationError,
        "no nft_origin",
    ),
    (
        "run_prize_draw bad threshold",
        lambda uow, s: run_prize_draw(
            uow, s.with_origin, s.draw_type, threshold=2.0, clock=s.world.clock
        ),
        ValidationError,
        "2.0",
    ),
    (
        "batch ineligible last",
        lambda uow, s: run_prize_draw_batch(
            uow,
            s.draw_type,
            instances=[s.with_origin, s.bob_badge, s.without_origin],
            clock=s.world.clock,
        ),
        ValidationError,
        "no nft_origin",
    ),
    (
        "batch no winning number",
        lambda uow, s: run_prize_draw_batch(uow, s.empty_draw_type, clock=s.world.clock),
        ValidationError,
        "'empty'",
    ),
    (
        "bingo draw bad limit",
        lambda uow, s: run_bingo_prize_draw(uow, s.draw_type, limit=0, clock=s.world.clock),
        ValidationError,
        "limit",
    ),
    (
        "bingo draw no winning number",
        lambda uow, s: run_bingo_prize_draw(uow, s.empty_draw_type, clock=s.world.clock),
        ValidationError,
        "'empty'",
    ),
    (
        "attendance unknown definition",
        lambda uow, s: run_final_attendance_prize_draw(
            uow, s.draw_type, attendance_definition_id=5555, clock=s.world.clock
        ),
        NotFoundError,
        "5555",
    ),
    (
        "select_top bad limit",
        lambda uow, s: select_top_prize_draw_results(uow, s.draw_type, limit=-1),
        ValidationError,
        "-1",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_failed_workflow_changes_nothing(
    scene: Scene, call: Call, error: type[NictbwError], named: str
) -> None:
    before = snapshot(scene.world.factory)
    with scene.world.factory() as uow:
        inside = state_of(uow)
        with pytest.raises(error, match=named.replace("(", r"\(").replace(")", r"\)")):
            call(uow, scene)
        assert state_of(uow) == inside
        uow.commit()
    assert snapshot(scene.world.factory) == before


def test_failed_call_between_successful_ones_lands_nothing_of_its_own(scene: Scene) -> None:
    world = scene.world
    with world.factory() as uow:
        first = issue(uow, world, scene.bob, "C05", origin="ok-1", seed=1)
        with pytest.raises(NotFoundError):
            _bulk_last_grant_gone(uow, scene)
        second = issue(uow, world, scene.bob, "C06", origin="ok-2", seed=2)
        uow.commit()
    with world.factory() as uow:
        assert scene.bob.id is not None
        held = {i.nft_origin for i in uow.instances.list_for_user(scene.bob.id)}
        cards = uow.bingo_cards.list_for_user(scene.bob.id)
    assert {"ok-1", "ok-2"} <= held
    assert cards == []
    assert first.serial_number == 0
    assert second.serial_number == 0


# ----------------------------------------------------------- a bug midway writes nothing


class _FaultyRepository:
    def __init__(self, inner: Any, method: str, fired: list[str]) -> None:
        self._inner = inner
        self._method = method
        self._fired = fired

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name != self._method:
            return attr

        def after_the_write(*args: Any, **kwargs: Any) -> Any:
            attr(*args, **kwargs)
            self._fired.append(name)
            raise RuntimeError(f"injected failure after {name}")

        return after_the_write


class FaultyUnitOfWork:
    """A unit of work whose ``repository.method`` does its write, then raises."""

    def __init__(self, inner: UnitOfWork, repository: str, method: str) -> None:
        self._inner = inner
        self._repository = repository
        self._method = method
        self.fired: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name == self._repository:
            return _FaultyRepository(attr, self._method, self.fired)
        return attr


def _bulk_everything(uow: Any, s: Scene) -> Any:
    grants: list[Any] = [
        (s.alice, s.world.d(s.corner), "bulk-1"),
        (s.alice, s.world.d(TIMED_TRIGGER)),
        (s.bob, s.world.d(TRIGGER)),
        (s.bob, s.world.d("C01")),
    ]
    return issue_instances(uow, grants, rng=random.Random(4), clock=s.world.clock)


def _sync_everything(uow: Any, s: Scene) -> Any:
    category = chain_item("ABC", s.world.prefix_of(s.with_origin.definition_id))
    category["metadata"]["MAP"]["subTypeData"]["category"] = "moved"
    held_prefix = s.world.prefix_of(s.without_origin.definition_id)
    shop = chain_item("shop-1", "SHOP")
    shop["metadata"]["MAP"]["subTypeData"]["category"] = "moved"
    payloads = [
        chain_item("alice-expo", TRIGGER),
        chain_item("bob-c09", "C09"),
        chain_item("new-quest", "QUEST"),
        chain_item("corner", s.corner),
        chain_item("park", TIMED_TRIGGER),
        chain_item("adopted", held_prefix),
        category,
        shop,
    ]
    return sync_nft_instances_from_chain(
        uow, s.alice, chain=StubChain(payloads), rng=random.Random(2), clock=s.world.clock
    )


def _bingo_draw(uow: Any, s: Scene) -> Any:
    return run_bingo_prize_draw(uow, s.draw_type, clock=s.world.clock)


def _single_draw(uow: Any, s: Scene) -> Any:
    return run_prize_draw(uow, s.with_origin, s.draw_type, clock=s.world.clock)


FAULTS: list[tuple[str, Call, str, str]] = [
    ("bulk", _bulk_everything, "definitions", "reserve_serials"),
    ("bulk", _bulk_everything, "instances", "add_many"),
    ("bulk", _bulk_everything, "bingo_cards", "add_many"),
    ("bulk", _bulk_everything, "bingo_cards", "update_many"),
    ("sync", _sync_everything, "definitions", "add"),
    ("sync", _sync_everything, "definitions", "update"),
    ("sync", _sync_everything, "definitions", "reserve_serials"),
    ("sync", _sync_everything, "instances", "update_many"),
    ("sync", _sync_everything, "instances", "add_many"),
    ("sync", _sync_everything, "bingo_cards", "add_many"),
    ("sync", _sync_everything, "bingo_cards", "update_many"),
    ("bingo draw", _bingo_draw, "draw_results", "upsert_columns"),
    ("single draw", _single_draw, "draw_results", "upsert_columns"),
]


def test_the_scenes_of_the_fault_table_succeed_without_faults(scene: Scene) -> None:
    with scene.world.factory() as uow:
        report = _sync_everything(uow, scene)
        issued = _bulk_everything(uow, scene)
        ranked = _bingo_draw(uow, scene)
    assert report.created == 5  # the SHOP item adds one to the four of the catalogue
    assert report.updated == 3
    assert report.transferred == 2
    assert report.definitions_created == ("QUEST",)
    assert report.cards_created == 1
    assert len(issued) == 4
    assert ranked


@pytest.mark.parametrize(
    ("call", "repository", "method"),
    [f[1:] for f in FAULTS],
    ids=[f"{f[0]}-{f[2]}.{f[3]}" for f in FAULTS],
)
def test_failure_after_a_write_midway_lands_nothing(
    scene: Scene, call: Call, repository: str, method: str
) -> None:
    before = snapshot(scene.world.factory)
    with scene.world.factory() as uow:
        inside = state_of(uow)
        faulty = FaultyUnitOfWork(uow, repository, method)
        with pytest.raises(RuntimeError, match=f"after {method}"):
            call(faulty, scene)
        assert faulty.fired == [method]
        assert state_of(uow) == inside
        uow.commit()
    assert snapshot(scene.world.factory) == before
