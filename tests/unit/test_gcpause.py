"""The opt-in pause of the cyclic garbage collector during bulk workflows."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.simulation import SimulationSettings, run_simulation
from nictbw.app.simulation import event as simulation_event
from nictbw.app.workflows import collector_pause_enabled, set_collector_pause
from nictbw.app.workflows._gcpause import collector_paused, survivors_frozen
from nictbw.domain.entities import User
from nictbw.domain.errors import ValidationError
from nictbw.workflows import bingo_cards_json_many, sync_many, update_bingo_info_many
from tests.support.world import TRIGGER, World, build_world, issue, register


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    was_on, was_enabled = collector_pause_enabled(), gc.isenabled()
    yield
    set_collector_pause(was_on)
    if was_enabled:
        gc.enable()


def test_switched_off_a_bulk_workflow_leaves_the_collector_alone() -> None:
    set_collector_pause(False)
    with collector_paused():
        assert gc.isenabled()


def test_switched_on_the_collector_is_paused_and_restored() -> None:
    set_collector_pause(False)
    assert set_collector_pause(True) is False
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_switching_off_during_a_pause_still_ends_it() -> None:
    set_collector_pause(True)
    with collector_paused():
        set_collector_pause(False)
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_fresh_process_has_the_pause_off() -> None:
    import subprocess
    import sys

    probe = "import nictbw.workflows, nictbw.app.workflows as w; print(w.collector_pause_enabled())"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "False"


def test_the_switch_takes_only_booleans() -> None:
    with pytest.raises(ValidationError, match="gc_pause"):
        set_collector_pause(1)  # type: ignore[arg-type]


# -- which workflows pause, and for how long -------------------------------------------
# The bulk card workflows, ``sync_many`` and the simulation's report hold a chunk of
# users' instances and cards at once, like the draws and bulk issuance. A repository read
# is spied on to see the collector's state while the workflow works; the generator of
# ``bingo_cards_json_many`` must not keep it paused while its caller runs.


def switch(on: bool) -> None:
    """Switch the pause ``on`` (or off), with the collector enabled."""
    set_collector_pause(on)
    gc.enable()


@pytest.fixture
def world() -> World:
    store = InMemoryStore()
    return build_world(lambda: InMemoryUnitOfWork(store))


def users_with_cards(world: World, *names: str) -> list[User]:
    with world.factory() as uow:
        users = [register(uow, world, name) for name in names]
        for n, user in enumerate(users):
            issue(uow, world, user, TRIGGER, seed=n)
        uow.commit()
    return users


def spy(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[bool]:
    """Record ``gc.isenabled()`` at each call of ``owner.name`` (a class attribute)."""
    seen: list[bool] = []
    original: Callable[..., Any] = getattr(owner, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return seen


@pytest.mark.parametrize("switched_on", [True, False])
def test_update_bingo_info_many_reads_with_the_collector_paused(
    world: World, monkeypatch: pytest.MonkeyPatch, switched_on: bool
) -> None:
    users = users_with_cards(world, "ann", "bob", "cyd")
    switch(switched_on)
    with world.factory() as uow:
        seen = spy(monkeypatch, type(uow.bingo_cards), "list_for_users")
        update_bingo_info_many(uow, users, chunk=2, clock=world.clock)
    assert seen == [not switched_on] * 2
    assert gc.isenabled()


def test_cards_json_many_pauses_per_chunk_and_not_while_its_caller_runs(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = users_with_cards(world, "ann", "bob", "cyd")
    switch(True)
    with world.factory() as uow:
        seen = spy(monkeypatch, type(uow.bingo_cards), "list_for_users")
        between: list[bool] = []
        got = []
        for user_id, cards in bingo_cards_json_many(uow, users, chunk=2, clock=world.clock):
            between.append(gc.isenabled())
            got.append((user_id, len(cards)))
    assert seen == [False, False]
    assert between == [True, True, True]
    assert got == [(user.id, 1) for user in users]


def test_sync_many_reads_with_the_collector_paused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = users_with_cards(world, "ann", "bob")
    switch(True)
    with world.factory() as uow:
        seen = spy(monkeypatch, type(uow.instances), "list_for_users")
        reports = sync_many(uow, users, chain=world.chain, clock=world.clock)
    assert len(reports) == 2
    assert seen
    assert not any(seen)
    assert gc.isenabled()


def test_the_simulation_report_is_counted_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    switch(True)
    seen = spy(monkeypatch, simulation_event, "event_report")
    store = InMemoryStore()
    report = run_simulation(
        lambda: InMemoryUnitOfWork(store), SimulationSettings(users=20, days=1, seed=3)
    )
    assert seen == [False]
    assert report["counts"]["users"] == 20
    assert gc.isenabled()


class _Kept:
    """An object that lives through phases (what a job keeps for its whole run)."""

    def __init__(self) -> None:
        self.other: object = None


def test_switched_on_survivors_are_frozen_between_phases_and_handed_back() -> None:
    switch(True)
    assert gc.get_freeze_count() == 0
    kept = _Kept()
    with survivors_frozen() as freeze:
        assert gc.get_freeze_count() == 0
        freeze()
        assert gc.get_freeze_count() > 0
        assert not any(o is kept for o in gc.get_objects())  # out of the collector's reach
    assert gc.get_freeze_count() == 0
    assert any(o is kept for o in gc.get_objects())


def test_switched_on_young_garbage_is_collected_not_frozen() -> None:
    switch(True)
    with survivors_frozen() as freeze:
        garbage = _Kept()
        garbage.other = garbage  # a cycle: only the collector frees it
        alive = weakref.ref(garbage)
        del garbage
        assert alive() is not None
        freeze()
        assert alive() is None  # collected before the freeze (a frozen one would stay)
        assert gc.get_freeze_count() > 0


def test_switched_off_or_frozen_by_the_host_nothing_is_frozen_or_unfrozen() -> None:
    switch(False)
    with survivors_frozen() as freeze:
        freeze()
        assert gc.get_freeze_count() == 0
    switch(True)
    gc.freeze()
    try:
        held = gc.get_freeze_count()
        with survivors_frozen() as freeze:
            freeze()
            assert gc.get_freeze_count() == held
        assert gc.get_freeze_count() == held  # the host's freeze is left as it was
    finally:
        gc.unfreeze()


def test_the_simulation_hands_back_what_it_froze(monkeypatch: pytest.MonkeyPatch) -> None:
    switch(True)
    frozen: list[int] = []
    monkeypatch.setattr(
        simulation_event,
        "survivors_frozen",
        _recording(simulation_event.survivors_frozen, frozen),
    )
    store = InMemoryStore()
    report = run_simulation(
        lambda: InMemoryUnitOfWork(store), SimulationSettings(users=20, days=2, seed=3)
    )
    assert report["counts"]["users"] == 20
    assert len(frozen) == 2 + 2 * 2 + 3  # setup, registration, two days of two, three more
    assert all(count > 0 for count in frozen)
    assert gc.get_freeze_count() == 0


def _recording(real: Callable[[], Any], frozen: list[int]) -> Callable[[], Any]:
    from contextlib import contextmanager

    @contextmanager
    def recording() -> Iterator[Callable[[], None]]:
        with real() as freeze:

            def counted() -> None:
                freeze()
                frozen.append(gc.get_freeze_count())

            yield counted

    return recording
