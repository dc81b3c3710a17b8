"""The catalogue's whole life: definition and draw type edits, retirement, revocation."""

from __future__ import annotations

import random
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.domain.bingo import held_by_definition, layout_card, release_instance
from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CELL_LOCKED,
    INSTANCE_REVOKED,
    INSTANCE_SUCCEEDED,
    NFTDefinition,
    NFTInstance,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.workflows import (
    create_and_issue_instance,
    deactivate_nft_definition,
    retire_prize_draw_type,
    revoke_instance,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    snapshot_prize_draw,
    submit_winning_number,
    update_nft_definition,
    update_prize_draw_type,
)
from tests.conftest import postgres_url_or_skip
from tests.contract.helpers import (
    ATTENDANCE,
    CANDIDATES,
    LIMITED,
    T0,
    TRIGGER,
    UowFactory,
    World,
    add_draw_type,
    add_users,
    build_world,
    card_centred_on,
    complete_line,
    issue,
    snapshot,
    user_with_card,
)
from tests.sql_backends import SqlUowFactory, empty_all_tables, postgres_uow_factory

TOP_ROW = (0, 1, 2)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


# ---------------------------------------------------------------- definitions


def test_update_definition_changes_fields_and_audits_only_changed_ones(world: World) -> None:
    with world.factory() as uow:
        updated = update_nft_definition(
            uow,
            world.d("C01"),
            admin=world.admin,
            clock=world.clock,
            name="Renamed",
            image_url="https://img.example/c01.png",
            description=None,
        )
        uow.commit()
    assert updated.name == "Renamed"
    with world.factory() as uow:
        stored = uow.definitions.get_by_prefix("C01")
        entries = uow.audit.list()
    assert stored is not None
    assert stored.name == "Renamed"
    assert stored.image_url == "https://img.example/c01.png"
    assert [e.action for e in entries] == ["update_definition"]
    entry = entries[0]
    assert entry.admin_id == world.admin.id
    assert entry.entity_type == "definition"
    assert entry.entity_id == stored.id
    assert entry.before == {"name": "Badge C01", "image_url": None}
    assert entry.after == {"name": "Renamed", "image_url": "https://img.example/c01.png"}
    assert entry.at == world.clock.now()


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"prefix": "NEWP"}, "'prefix'"),
        ({"minted_count": 5}, "'minted_count'"),
        ({"colour": "red"}, "'colour'"),
        ({"name": ""}, "name"),
        ({"status": "archived"}, "archived"),
        ({"max_supply": -1}, "max_supply"),
        ({}, "no definition field"),
    ],
)
def test_update_definition_refuses_bad_changes_and_changes_nothing(
    world: World, changes: dict[str, object], named: str
) -> None:
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ValidationError, match=named):
        update_nft_definition(uow, world.d("C01"), admin=world.admin, clock=world.clock, **changes)
    assert snapshot(world.factory) == before


def test_max_supply_may_not_drop_below_minted_count(world: World) -> None:
    (user,) = add_users(world, "ana")
    with world.factory() as uow:
        issue(uow, world, user, LIMITED)
        uow.commit()
    with world.factory() as uow, pytest.raises(ValidationError, match="below its minted_count 1"):
        update_nft_definition(uow, world.d(LIMITED), admin=world.admin, max_supply=0)
    with world.factory() as uow:
        update_nft_definition(uow, world.d(LIMITED), admin=world.admin, max_supply=1)
        uow.commit()
    with world.factory() as uow, pytest.raises(ConflictError):
        issue(uow, world, user, LIMITED, seed=1)


def test_deactivate_stops_issuance_and_is_audited(world: World) -> None:
    (user,) = add_users(world, "ana")
    with world.factory() as uow:
        deactivated = deactivate_nft_definition(
            uow, world.d(ATTENDANCE), admin=world.admin, clock=world.clock
        )
        uow.commit()
    assert deactivated.status == "inactive"
    with world.factory() as uow:
        with pytest.raises(ValidationError, match="inactive"):
            issue(uow, world, user, ATTENDANCE)
        entries = uow.audit.list(action="deactivate_definition")
    assert len(entries) == 1
    assert entries[0].before == {"status": "active"}
    assert entries[0].after == {"status": "inactive"}


def test_a_change_to_the_stored_values_writes_nothing(world: World) -> None:
    before = snapshot(world.factory)
    with world.factory() as uow:
        update_nft_definition(uow, world.d("C01"), admin=world.admin, name="Badge C01")
        uow.commit()
    assert snapshot(world.factory) == before


def test_a_change_starving_a_bingo_trigger_is_refused(world: World) -> None:
    # nine candidates, a card needs eight: one may go, two may not
    with world.factory() as uow:
        update_nft_definition(uow, world.d("C01"), admin=world.admin, bingo_random_candidate=False)
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ValidationError, match="'EXPO' with 7 candidate"):
        deactivate_nft_definition(uow, world.d("C02"), admin=world.admin)
    assert snapshot(world.factory) == before


def test_unknown_definition_is_not_found(world: World) -> None:
    ghost = NFTDefinition(id=999_999, prefix="GHOST", shared_key="k", name="Ghost")
    with world.factory() as uow, pytest.raises(NotFoundError, match="999999"):
        update_nft_definition(uow, ghost, admin=world.admin, name="x")


# ---------------------------------------------------------------- draw types


def test_update_draw_type_threshold_cap_and_description(world: World) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world, threshold=0.5)
        uow.commit()
    with world.factory() as uow:
        updated = update_prize_draw_type(
            uow,
            draw_type,
            admin=world.admin,
            clock=world.clock,
            default_threshold=0.25,
            max_wins_per_user=2,
            description="Final draw",
        )
        uow.commit()
    with world.factory() as uow:
        stored = uow.draw_types.get_by_internal_name("bingo-final")
        (entry,) = uow.audit.list(entity_type="draw_type")
    assert stored == updated
    assert (stored.default_threshold, stored.max_wins_per_user) == (0.25, 2)
    assert stored.description == "Final draw"
    assert entry.before == {
        "description": None,
        "default_threshold": 0.5,
        "max_wins_per_user": None,
    }


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"default_threshold": 1.5}, "default_threshold"),
        ({"default_threshold": 0.95}, r"default_threshold 0\.95 is above the maximum score"),
        ({"max_wins_per_user": 0}, "max_wins_per_user"),
        ({"algorithm_key": "other"}, "'algorithm_key'"),
        ({"internal_name": "x"}, "'internal_name'"),
    ],
)
def test_update_draw_type_refuses_bad_changes(
    world: World, changes: dict[str, object], named: str
) -> None:
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ValidationError, match=named):
        update_prize_draw_type(uow, draw_type, admin=world.admin, **changes)
    assert snapshot(world.factory) == before


def test_a_retired_draw_type_refuses_new_numbers_draws_and_snapshots(world: World) -> None:
    user, card = user_with_card(world, "ana", trigger_origin="o-ana-expo")
    with world.factory() as uow:
        complete_line(uow, world, user, card, TOP_ROW, origin_tag="ana")
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "abc", clock=world.clock)
        past = run_bingo_prize_draw(uow, draw_type, clock=world.clock)
        uow.commit()
    assert past.eligible > 0
    with world.factory() as uow:
        retired = retire_prize_draw_type(uow, draw_type, admin=world.admin, clock=world.clock)
        uow.commit()
    assert retired.retired_at == world.clock.now()
    before = snapshot(world.factory)
    with world.factory() as uow:
        for attempt in (
            lambda: run_bingo_prize_draw(uow, draw_type, clock=world.clock),
            lambda: snapshot_prize_draw(uow, draw_type, clock=world.clock),
            lambda: submit_winning_number(uow, draw_type, "def", clock=world.clock),
            lambda: update_prize_draw_type(uow, draw_type, admin=world.admin, description="x"),
        ):
            with pytest.raises(ValidationError, match="retired"):
                attempt()
        with pytest.raises(ConflictError, match="already retired"):
            retire_prize_draw_type(uow, draw_type, admin=world.admin)
    after = snapshot(world.factory)
    assert after == before
    assert len(after["draw_results"]) == past.evaluated  # past results kept


# ---------------------------------------------------------------- revocation


def _line_instances(world: World, name: str) -> tuple[list[NFTInstance], int]:
    user, card = user_with_card(world, name, trigger_origin=f"o-{name}-expo")
    with world.factory() as uow:
        gained = complete_line(uow, world, user, card, TOP_ROW, origin_tag=name)
        uow.commit()
    assert user.id is not None
    return gained, user.id


def test_revocation_relocks_the_cell_and_breaks_the_line(world: World) -> None:
    gained, user_id = _line_instances(world, "ana")
    with world.factory() as uow:
        before = {
            c.instance_id for c in uow.bingo_cards.completed_line_candidates(world.clock.now())
        }
    assert {i.id for i in gained} <= before
    revoked = gained[0]
    with world.factory() as uow:
        result = revoke_instance(
            uow, revoked, admin=world.admin, reason="issued by mistake", clock=world.clock
        )
        uow.commit()
    assert result.instance.status == INSTANCE_REVOKED
    assert (result.cells_relocked, result.cells_rematched, result.cards_reopened) == (1, 0, 0)
    with world.factory() as uow:
        stored = uow.instances.get(revoked.id)  # type: ignore[arg-type]
        candidates = uow.bingo_cards.completed_line_candidates(world.clock.now())
        (card,) = uow.bingo_cards.list_for_user(user_id)
        (entry,) = uow.audit.list(action="revoke_instance")
    assert stored is not None
    assert stored.status == INSTANCE_REVOKED
    assert candidates == []  # the only completed line is gone
    cell = next(c for c in card.cells if c.target_definition_id == revoked.definition_id)
    assert (cell.state, cell.matched_nft_instance_id, cell.unlocked_at) == (CELL_LOCKED, None, None)
    assert entry.entity_id == revoked.id
    assert entry.after == {"status": "revoked", "reason": "issued by mistake"}


def test_a_new_bingo_draw_does_not_see_a_revoked_line_but_past_results_stay(
    world: World,
) -> None:
    gained, _ = _line_instances(world, "ana")
    with world.factory() as uow:
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "abc", clock=world.clock)
        first = run_bingo_prize_draw(uow, draw_type, clock=world.clock)
        uow.commit()
    assert first.eligible == 3
    with world.factory() as uow:
        revoke_instance(uow, gained[1], admin=world.admin, reason="fraud")
        other = add_draw_type(uow, world, "second")
        submit_winning_number(uow, other, "abc", clock=world.clock)
        second = run_bingo_prize_draw(uow, other, clock=world.clock)
        uow.commit()
        kept = uow.draw_results.list_for_draw_type(draw_type.id)  # type: ignore[arg-type]
    assert second.eligible == 0
    assert len(kept) == first.evaluated


def test_another_held_badge_takes_over_the_cell(world: World) -> None:
    gained, user_id = _line_instances(world, "ana")
    revoked = gained[0]
    prefix = world.prefix_of(revoked.definition_id)
    with world.factory() as uow:
        user = uow.users.get(user_id)
        assert user is not None
        spare = issue(uow, world, user, prefix, origin="o-ana-spare", seed=9)
        result = revoke_instance(uow, revoked, admin=world.admin, reason="duplicate")
        uow.commit()
        (card,) = uow.bingo_cards.list_for_user(user_id)
        candidates = {
            c.instance_id for c in uow.bingo_cards.completed_line_candidates(world.clock.now())
        }
    assert (result.cells_relocked, result.cells_rematched) == (0, 1)
    cell = next(c for c in card.cells if c.target_definition_id == revoked.definition_id)
    assert cell.is_unlocked
    assert cell.matched_nft_instance_id == spare.id
    assert spare.id in candidates
    assert revoked.id not in candidates


def test_revoking_a_badge_of_a_full_card_reopens_it(world: World) -> None:
    user, card = user_with_card(world, "ana")
    with world.factory() as uow:
        for n, cell in enumerate(card.cells):
            if not cell.is_unlocked:
                issue(uow, world, user, world.prefix_of(cell.target_definition_id), seed=n)
        full = card_centred_on(uow, user, world.d(TRIGGER))
        uow.commit()
    assert full.state == CARD_COMPLETED
    victim = full.cell_at(0)
    assert victim is not None
    assert victim.matched_nft_instance_id is not None
    with world.factory() as uow:
        instance = uow.instances.get(victim.matched_nft_instance_id)
        assert instance is not None
        result = revoke_instance(uow, instance, admin=world.admin, reason="x")
        reopened = card_centred_on(uow, user, world.d(TRIGGER))
        uow.commit()
    assert result.cards_reopened == 1
    assert (reopened.state, reopened.completed_at) == (CARD_ACTIVE, None)


def test_a_revoked_badge_is_ineligible_for_attendance_draws(world: World) -> None:
    users = add_users(world, "ana", "ben")
    with world.factory() as uow:
        badges = [issue(uow, world, u, ATTENDANCE, origin=f"att-{u.in_app_id}") for u in users]
        revoke_instance(uow, badges[0], admin=world.admin, reason="left early")
        draw_type = add_draw_type(uow, world)
        submit_winning_number(uow, draw_type, "abc", clock=world.clock)
        outcome = run_final_attendance_prize_draw(
            uow, draw_type, attendance_definition_id=world.d(ATTENDANCE).id, clock=world.clock
        )
        uow.commit()
    assert outcome.eligible == 1
    assert badges[0].id not in {r.nft_instance_id for r in outcome.winners}


@pytest.mark.parametrize("reason", ["", "   ", None, "x" * 501])
def test_revocation_needs_a_reason(world: World, reason: object) -> None:
    gained, _ = _line_instances(world, "ana")
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ValidationError, match="reason"):
        revoke_instance(uow, gained[0], admin=world.admin, reason=reason)  # type: ignore[arg-type]
    assert snapshot(world.factory) == before


def test_revoking_twice_is_a_conflict(world: World) -> None:
    gained, _ = _line_instances(world, "ana")
    with world.factory() as uow:
        revoke_instance(uow, gained[0], admin=world.admin, reason="x")
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ConflictError, match="already revoked"):
        revoke_instance(uow, gained[0], admin=world.admin, reason="again")
    assert snapshot(world.factory) == before


# ------------------------------------------------ property: revocation = recomputation


@st.composite
def holdings(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]], int]:
    """(layout seed, instances as (definition index, serial), index of the revoked one)."""
    seed = draw(st.integers(0, 10_000))
    owned = draw(
        st.lists(
            st.tuples(st.integers(0, len(CANDIDATES)), st.integers(0, 5)),
            min_size=1,
            max_size=14,
            unique=True,
        )
    )
    return seed, owned, draw(st.integers(0, len(owned) - 1))


@settings(max_examples=150, deadline=None)
@given(holdings())
def test_revocation_then_recomputation_equals_a_card_laid_out_without_the_badge(
    case: tuple[int, list[tuple[int, int]], int],
) -> None:
    seed, owned, victim_at = case
    # definition 100 is the centre, 101.. the candidates (index 0 owns the centre)
    definitions = [NFTDefinition(id=100, prefix="CENTRE", shared_key="k", name="c")] + [
        NFTDefinition(id=101 + i, prefix=p, shared_key="k", name=p)
        for i, p in enumerate(CANDIDATES)
    ]
    instances = [
        NFTInstance(
            id=1 + n,
            user_id=1,
            definition_id=100 + index,
            serial_number=serial,
            unique_instance_id=f"u{n}",
            status=INSTANCE_SUCCEEDED,
        )
        for n, (index, serial) in enumerate(owned)
    ]
    victim = instances[victim_at]
    assert victim.id is not None
    centre = definitions[0]
    card = layout_card(
        random.Random(seed),
        user_id=1,
        center=centre,
        definitions=definitions,
        held=held_by_definition(instances),
        now=T0,
    )
    rest = [i for i in instances if i.id != victim.id]
    release_instance(card, victim.id, held_by_definition(rest), T0)
    fresh = layout_card(
        random.Random(seed),
        user_id=1,
        center=centre,
        definitions=definitions,
        held=held_by_definition(rest),
        now=T0,
    )
    assert card.state == fresh.state
    assert card.completed_at == fresh.completed_at
    assert [(c.idx, c.state, c.matched_nft_instance_id, c.unlocked_at) for c in card.cells] == [
        (c.idx, c.state, c.matched_nft_instance_id, c.unlocked_at) for c in fresh.cells
    ]


# ------------------------------------------------ PostgreSQL: revocation vs issuance


def _race_once(factory: SqlUowFactory, round_number: int) -> None:
    """One race of a revocation against an issuance of the same definition to the holder."""
    world = build_world(factory)
    gained, user_id = _line_instances(world, f"u{round_number}")
    victim = gained[0]
    prefix = world.prefix_of(victim.definition_id)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    issued: list[NFTInstance] = []

    def revoke() -> None:
        try:
            with factory() as uow:
                barrier.wait()
                revoke_instance(uow, victim, admin=world.admin, reason="race")
                uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def grant() -> None:
        try:
            with factory() as uow:
                user = uow.users.get(user_id)
                assert user is not None
                barrier.wait()
                issued.append(
                    create_and_issue_instance(
                        uow,
                        user,
                        world.d(prefix),
                        nft_origin=f"race-{round_number}",
                        rng=random.Random(round_number),
                        clock=world.clock,
                    )
                )
                uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=revoke), threading.Thread(target=grant)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with factory() as uow:
        (card,) = uow.bingo_cards.list_for_user(user_id)
        cell = next(c for c in card.cells if c.target_definition_id == victim.definition_id)
        stored = uow.instances.get(victim.id)  # type: ignore[arg-type]
    assert stored is not None
    assert stored.status == INSTANCE_REVOKED
    assert cell.is_unlocked
    assert cell.matched_nft_instance_id == issued[0].id


@pytest.mark.postgres
def test_concurrent_revocation_and_issuance_keep_cells_consistent() -> None:
    """Revoking the badge of a cell while the same user is issued another badge of that
    definition: whichever commits first, the cell ends matched to the new badge."""
    url = postgres_url_or_skip()
    with postgres_uow_factory(url) as factory:
        for round_number in range(6):
            _race_once(factory, round_number)
            empty_all_tables(factory.engine)
