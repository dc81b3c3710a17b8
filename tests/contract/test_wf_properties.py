"""Property tests of the workflows on every backend.

- ``issue_instances`` has exactly the semantics of one-by-one issuance: the same random
  grants, issued both ways on two fresh stores with the same seed, leave equal stores.
- Sync never raises anything but nictbw's typed errors on arbitrary chain answers, and a
  failed sync leaves the unit of work as it was; a successful one balances its report.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.domain.entities import SyncReport
from nictbw.domain.errors import NictbwError
from nictbw.workflows import (
    create_and_issue_instance,
    issue_instances,
    sync_nft_instances_from_chain,
)
from tests.conftest import make_uow_factory, postgres_url_or_skip
from tests.contract.helpers import (
    ATTENDANCE,
    CANDIDATES,
    LIMITED,
    TIMED_TRIGGER,
    TRIGGER,
    StubChain,
    UowFactory,
    World,
    add_users,
    build_world,
    snapshot,
    state_of,
)

PREFIXES = (TRIGGER, TIMED_TRIGGER, *CANDIDATES, ATTENDANCE, LIMITED)
USERS = ("ann", "ben", "cat")
ISSUE_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SYNC_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@contextmanager
def fresh_store(backend: str, folder: Path) -> Iterator[UowFactory]:
    """A unit-of-work factory on a new, empty store of ``backend``."""
    stores = make_uow_factory(backend, folder)
    try:
        yield next(stores)
    finally:
        next(stores, None)


def _skip_unavailable(backend: str) -> None:
    if backend == "postgres":
        postgres_url_or_skip()


Grant = tuple[int, str, str | None]

grants_strategy = st.lists(
    st.tuples(
        st.integers(0, len(USERS) - 1),
        st.sampled_from(PREFIXES),
        st.one_of(st.none(), st.sampled_from([f"origin-{n}" for n in range(6)])),
    ),
    max_size=10,
)


def _issue_world(factory: UowFactory, earlier: list[Grant], seed: int) -> tuple[World, list[Any]]:
    world = build_world(factory)
    users = add_users(world, *USERS)
    with world.factory() as uow:
        rng = random.Random(seed)
        for user_index, prefix, _ in earlier:
            create_and_issue_instance(
                uow, users[user_index], world.d(prefix), rng=rng, clock=world.clock
            )
        uow.commit()
    return world, users


def _one_by_one(world: World, users: list[Any], grants: list[Grant], seed: int) -> str | None:
    rng = random.Random(seed)
    with world.factory() as uow:
        for user_index, prefix, origin in grants:
            try:
                create_and_issue_instance(
                    uow,
                    users[user_index],
                    world.d(prefix),
                    nft_origin=origin,
                    rng=rng,
                    clock=world.clock,
                )
            except NictbwError as exc:
                return type(exc).__name__
        uow.commit()
    return None


def _bulk(world: World, users: list[Any], grants: list[Grant], seed: int) -> str | None:
    with world.factory() as uow:
        try:
            issue_instances(
                uow,
                [(users[u], world.d(p), o) for u, p, o in grants],
                rng=random.Random(seed),
                clock=world.clock,
            )
        except NictbwError as exc:
            return type(exc).__name__
        uow.commit()
    return None


def test_issue_instances_equals_one_by_one_issuance(backend: str, tmp_path: Path) -> None:
    _skip_unavailable(backend)

    @ISSUE_SETTINGS
    @given(
        earlier=st.lists(
            st.tuples(st.integers(0, 2), st.sampled_from(PREFIXES[:-1]), st.none()), max_size=4
        ),
        grants=grants_strategy,
        seed=st.integers(0, 2**32 - 1),
    )
    def check(earlier: list[Grant], grants: list[Grant], seed: int) -> None:
        with fresh_store(backend, tmp_path) as factory:
            world, users = _issue_world(factory, earlier, seed)
            untouched = snapshot(factory)
            single_error = _one_by_one(world, users, grants, seed)
            singly = snapshot(factory)
        with fresh_store(backend, tmp_path) as factory:
            world, users = _issue_world(factory, earlier, seed)
            bulk_error = _bulk(world, users, grants, seed)
            together = snapshot(factory)
        assert bulk_error == single_error
        if single_error is None:
            assert together == singly
        else:
            assert together == untouched

    check()


# ------------------------------------------------------------------------------ sync


def _text(max_size: int = 12) -> st.SearchStrategy[str]:
    return st.text(
        alphabet=st.characters(codec="utf-8"),
        max_size=max_size,
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text(6), inner, max_size=3),
    max_leaves=8,
)
origins = st.sampled_from(["tx-a_0", "tx-b_0", "tx-c_0", " ", "tx-é_0", "x" * 256]) | _text(8)
prefixes = st.sampled_from([*PREFIXES, "NEWP", "bad prefix", "", "P" * 101]) | _text(8)
timestamps = (
    st.sampled_from(
        ["2026-04-30T10:00:00.000Z", "2026-04-30T10:00:00", "2026-04-30T19:00:00+09:00", "soon", ""]
    )
    | json_values
)
sub_type_data = st.fixed_dictionaries(
    {},
    optional={
        "prefix": prefixes | json_values,
        "name": _text() | json_values,
        "sharedKey": _text() | json_values,
        "shared_key": _text(300) | json_values,
        "category": _text(60),
        "imageUrl": _text(),
        "description": json_values,
    },
)
items = st.fixed_dictionaries(
    {},
    optional={
        "nft_origin": origins | json_values,
        "origin": origins,
        "txid": origins,
        "transaction_id": origins | json_values,
        "nft_id": st.integers(-(2**64), 2**64) | st.sampled_from(["12", "x", True]) | json_values,
        "current_nft_location": _text(300) | json_values,
        "name": _text(120) | json_values,
        "sub_type": _text(60) | json_values,
        "created_at": timestamps,
        "updated_at": timestamps,
        "prefix": prefixes,
        "nft_type": _text(60) | json_values,
        "unique_nft_id": json_values,
        "metadata": st.fixed_dictionaries(
            {},
            optional={
                "MAP": st.fixed_dictionaries(
                    {}, optional={"name": _text() | json_values, "subTypeData": sub_type_data}
                )
                | json_values
            },
        )
        | json_values,
    },
)
answers = st.lists(items | json_values, max_size=6) | json_values


def test_sync_of_arbitrary_chain_answers_is_typed_and_all_or_nothing(
    backend: str, tmp_path: Path
) -> None:
    _skip_unavailable(backend)
    with fresh_store(backend, tmp_path) as factory:
        world = build_world(factory)
        alice, bob = add_users(world, "alice", "bob")
        with world.factory() as uow:
            create_and_issue_instance(
                uow, bob, world.d("C01"), nft_origin="tx-a_0", clock=world.clock
            )
            create_and_issue_instance(uow, alice, world.d("C02"), clock=world.clock)
            create_and_issue_instance(
                uow, alice, world.d(TRIGGER), nft_origin="tx-c_0", clock=world.clock
            )
            uow.commit()

        @SYNC_SETTINGS
        @given(first=answers, second=answers, seed=st.integers(0, 2**16))
        def check(first: Any, second: Any, seed: int) -> None:
            with world.factory() as uow:
                for answer in (first, second):
                    before = state_of(uow)
                    try:
                        report = sync_nft_instances_from_chain(
                            uow,
                            alice,
                            chain=StubChain(answer),
                            rng=random.Random(seed),
                            clock=world.clock,
                        )
                    except NictbwError:
                        assert state_of(uow) == before
                        continue
                    assert isinstance(report, SyncReport)
                    assert isinstance(answer, list)
                    total = report.created + report.updated + report.unchanged
                    assert total + len(report.skipped) == len(answer)
                    again = sync_nft_instances_from_chain(
                        uow, alice, chain=StubChain(answer), clock=world.clock
                    )
                    assert (again.created, again.updated, again.transferred) == (0, 0, 0)
                    assert again.definitions_created == ()
                uow.rollback()

        check()
