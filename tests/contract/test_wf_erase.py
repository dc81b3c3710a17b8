"""Erasing a user's personal data: pseudonyms, kept badges and results, audit entry."""

from __future__ import annotations

import json

import pytest
from attrs import asdict

from nictbw.domain.entities import Admin, User
from nictbw.domain.errors import ConflictError, ForbiddenError, NotFoundError
from nictbw.workflows import (
    erase_user,
    export_draw,
    register_admin,
    run_bingo_prize_draw,
    snapshot_prize_draw,
    submit_winning_number,
    update_user,
)
from tests.contract.helpers import (
    UowFactory,
    World,
    add_draw_type,
    add_users,
    build_world,
    complete_line,
    register,
    snapshot,
    user_with_card,
)

PERSONAL = ("ana@city.example", "Ana", "ana", "push-token-ana")


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _with_token(world: World, user: User) -> User:
    with world.factory() as uow:
        updated = update_user(uow, user, fcm_token="push-token-ana", clock=world.clock)
        uow.commit()
    return updated


def test_erase_replaces_personal_fields_with_stable_pseudonyms(world: World) -> None:
    user, _ = user_with_card(world, "ana", trigger_origin="o-ana")
    _with_token(world, user)
    with world.factory() as uow:
        erased = erase_user(uow, user, admin=world.admin, clock=world.clock)
        uow.commit()
    assert user.id is not None
    with world.factory() as uow:
        stored = uow.users.get(user.id)
        (entry,) = uow.audit.list(entity_type="user", entity_id=user.id)
        badges = uow.instances.list_for_user(user.id)
        cards = uow.bingo_cards.list_for_user(user.id)
    assert stored == erased
    assert stored.email == f"erased-{user.id}@erased.invalid"
    assert stored.in_app_id == f"erased-{user.id}"
    assert (stored.nickname, stored.paymail, stored.on_chain_id) == (None, None, None)
    assert (stored.fcm_token, stored.password_hash, stored.password_provided) == (
        None,
        None,
        False,
    )
    assert len(badges) == 1
    assert len(cards) == 1
    text = json.dumps(asdict(stored), default=str) + json.dumps([entry.before, entry.after])
    for value in PERSONAL:
        assert value not in text.replace("erased-", "")
    assert entry.action == "erase_user"
    assert set(entry.before or {}) == {
        "email",
        "in_app_id",
        "nickname",
        "paymail",
        "on_chain_id",
        "fcm_token",
    }  # registration keeps no password locally, so those two did not change


def test_pseudonyms_keep_email_unique_across_many_erased_users(world: World) -> None:
    users = add_users(world, "ana", "ben", "cid")
    with world.factory() as uow:
        erased = [erase_user(uow, u, admin=world.admin) for u in users]
        uow.commit()
    assert len({u.email for u in erased}) == 3
    with world.factory() as uow:
        # the old address is free again locally (the chain keeps its own account)
        fresh = update_user(uow, users[1], email="ana@city.example")
        uow.commit()
    assert fresh.email == "ana@city.example"


def test_draw_results_and_candidate_digests_survive_erasure(world: World) -> None:
    user, card = user_with_card(world, "ana", trigger_origin="o-ana")
    with world.factory() as uow:
        complete_line(uow, world, user, card, (0, 1, 2), origin_tag="ana")
        draw_type = add_draw_type(uow, world)
        digest_before = snapshot_prize_draw(uow, draw_type, clock=world.clock).candidates_sha256
        submit_winning_number(uow, draw_type, "abc", clock=world.clock)
        run_bingo_prize_draw(uow, draw_type, clock=world.clock)
        uow.commit()
        results_before = uow.draw_results.list()
    with world.factory() as uow:
        erase_user(uow, user, admin=world.admin)
        other = add_draw_type(uow, world, "again")
        digest_after = snapshot_prize_draw(uow, other, clock=world.clock).candidates_sha256
        uow.commit()
        results_after = uow.draw_results.list()
        export = export_draw(uow, draw_type.internal_name, clock=world.clock)
    assert digest_after == digest_before
    assert results_after[: len(results_before)] == results_before
    assert {row["user"] for row in export["candidates"]} == {f"erased-{user.id}"}


def test_erasing_twice_is_a_conflict(world: World) -> None:
    (user,) = add_users(world, "ana")
    with world.factory() as uow:
        erase_user(uow, user, admin=world.admin)
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ConflictError, match="already erased"):
        erase_user(uow, user, admin=world.admin)
    assert snapshot(world.factory) == before


def test_personal_data_set_again_after_erasure_is_erased_again(world: World) -> None:
    (user,) = add_users(world, "ana")
    assert user.id is not None
    with world.factory() as uow:
        erased = erase_user(uow, user, admin=world.admin)
        uow.commit()
    with world.factory() as uow:
        update_user(uow, erased, nickname="Ana", fcm_token="push-token-ana", clock=world.clock)
        uow.commit()
    with world.factory() as uow:
        again = erase_user(uow, erased, admin=world.admin)
        uow.commit()
    assert (again.nickname, again.fcm_token) == (None, None)
    with world.factory() as uow:
        stored = uow.users.get(user.id)
    assert stored is not None
    assert (stored.email, stored.nickname, stored.fcm_token) == (again.email, None, None)
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ConflictError, match="already erased"):
        erase_user(uow, erased, admin=world.admin)
    assert snapshot(world.factory) == before


def test_a_taken_pseudonym_is_a_conflict_naming_it(world: World) -> None:
    (user,) = add_users(world, "ana")
    assert user.id is not None
    with world.factory() as uow:
        squatter = register(uow, world, "squat")
        update_user(uow, squatter, in_app_id=f"erased-{user.id}")
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(ConflictError, match=f"'erased-{user.id}'"):
        erase_user(uow, user, admin=world.admin)
    assert snapshot(world.factory) == before


def test_erase_needs_the_erase_right_and_a_stored_user(world: World) -> None:
    (user,) = add_users(world, "ana")
    with world.factory() as uow:
        organiser = register_admin(
            uow, Admin(email="org@city.example", password_hash="h", role="organiser")
        )
        privacy = register_admin(
            uow, Admin(email="dpo@city.example", password_hash="h", role="privacy")
        )
        uow.commit()
    before = snapshot(world.factory)
    with world.factory() as uow:
        with pytest.raises(ForbiddenError, match="erase"):
            erase_user(uow, user, admin=organiser)
        with pytest.raises(NotFoundError, match="user 31337"):
            erase_user(uow, User(id=31337), admin=privacy)
    assert snapshot(world.factory) == before
    with world.factory() as uow:
        erase_user(uow, user, admin=privacy)
        uow.commit()
