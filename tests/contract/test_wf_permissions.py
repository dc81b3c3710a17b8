"""Admin roles: the permission table enforced by every workflow that takes an ``admin``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from attrs import evolve

from nictbw.domain.entities import Admin
from nictbw.domain.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from nictbw.domain.permissions import ROLE_PERMISSIONS, AdminRole, Operation, may
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    create_and_issue_instance,
    create_nft_definition,
    deactivate_nft_definition,
    erase_user,
    issue_instances,
    read_audit_log,
    register_admin,
    retire_prize_draw_type,
    revoke_instance,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    snapshot_prize_draw,
    submit_winning_number,
    update_admin,
    update_nft_definition,
    update_prize_draw_type,
)
from tests.contract.helpers import (
    ATTENDANCE,
    UowFactory,
    World,
    add_draw_type,
    add_users,
    build_world,
    definition_spec,
    issue,
    snapshot,
)


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _admin(world: World, role: str | None, email: str) -> Admin:
    with world.factory() as uow:
        admin = register_admin(
            uow, Admin(email=email, password_hash="hash", role=role), clock=world.clock
        )
        uow.commit()
    return admin


@pytest.fixture
def targets(world: World) -> dict[str, Any]:
    (user,) = add_users(world, "ana")
    with world.factory() as uow:
        badge = issue(uow, world, user, ATTENDANCE, origin="att-ana")
        draw_type = add_draw_type(uow, world)
        uow.commit()
    return {"user": user, "badge": badge, "draw_type": draw_type}


Call = Callable[[UnitOfWork, World, Admin, dict[str, Any]], object]

CALLS: dict[str, tuple[Operation, Call]] = {
    "update_nft_definition": (
        Operation.EDIT_CATALOGUE,
        lambda uow, w, a, t: update_nft_definition(uow, w.d("C01"), admin=a, name="New"),
    ),
    "deactivate_nft_definition": (
        Operation.EDIT_CATALOGUE,
        lambda uow, w, a, t: deactivate_nft_definition(uow, w.d("C01"), admin=a),
    ),
    "update_prize_draw_type": (
        Operation.EDIT_CATALOGUE,
        lambda uow, w, a, t: update_prize_draw_type(uow, t["draw_type"], admin=a, description="d"),
    ),
    "retire_prize_draw_type": (
        Operation.EDIT_CATALOGUE,
        lambda uow, w, a, t: retire_prize_draw_type(uow, t["draw_type"], admin=a),
    ),
    "revoke_instance": (
        Operation.ISSUE,
        lambda uow, w, a, t: revoke_instance(uow, t["badge"], admin=a, reason="x"),
    ),
    "update_admin": (
        Operation.MANAGE_ADMINS,
        lambda uow, w, a, t: update_admin(uow, w.admin, admin=a, name="Renamed"),
    ),
    "erase_user": (
        Operation.ERASE_USERS,
        lambda uow, w, a, t: erase_user(uow, t["user"], admin=a),
    ),
    "read_audit_log": (
        Operation.READ_AUDIT,
        lambda uow, w, a, t: read_audit_log(uow, admin=a),
    ),
}


@pytest.mark.parametrize("role", [r.value for r in AdminRole])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_every_admin_workflow_follows_the_table(
    world: World, targets: dict[str, Any], role: str, name: str
) -> None:
    operation, call = CALLS[name]
    actor = _admin(world, role, f"{role}@city.example")
    before = snapshot(world.factory)
    with world.factory() as uow:
        if operation in ROLE_PERMISSIONS[role]:
            call(uow, world, actor, targets)
            return
        with pytest.raises(ForbiddenError) as caught:
            call(uow, world, actor, targets)
    message = str(caught.value)
    assert f"admin {actor.id}" in message
    assert operation.value in message
    assert caught.value.admin_id == actor.id
    assert caught.value.operation == operation.value
    assert snapshot(world.factory) == before


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_null_role_keeps_every_right(world: World, targets: dict[str, Any], name: str) -> None:
    _, call = CALLS[name]
    assert world.admin.role is None
    with world.factory() as uow:
        call(uow, world, world.admin, targets)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_an_unknown_role_has_no_right(world: World, targets: dict[str, Any], name: str) -> None:
    _, call = CALLS[name]
    stranger = _admin(world, "janitor", "janitor@city.example")
    with world.factory() as uow, pytest.raises(ForbiddenError, match="'janitor'"):
        call(uow, world, stranger, targets)


def test_the_stored_role_decides_not_the_object_passed(
    world: World, targets: dict[str, Any]
) -> None:
    auditor = _admin(world, AdminRole.AUDITOR.value, "aud@city.example")
    forged = evolve(auditor, role=AdminRole.OWNER.value)
    with world.factory() as uow, pytest.raises(ForbiddenError, match="'auditor'"):
        revoke_instance(uow, targets["badge"], admin=forged, reason="x")


def test_an_unstored_admin_is_not_found(world: World, targets: dict[str, Any]) -> None:
    with world.factory() as uow:
        with pytest.raises(NotFoundError, match="not stored"):
            revoke_instance(uow, targets["badge"], admin=Admin(password_hash="h"), reason="x")
        with pytest.raises(NotFoundError, match="admin 424242"):
            revoke_instance(
                uow, targets["badge"], admin=Admin(id=424242, password_hash="h"), reason="x"
            )


def test_forbidden_comes_before_validation(world: World) -> None:
    issuer = _admin(world, AdminRole.ISSUER.value, "iss@city.example")
    with world.factory() as uow, pytest.raises(ForbiddenError):
        update_nft_definition(uow, world.d("C01"), admin=issuer, colour="red")


# ---------------------------------------------------------------- update_admin


def test_update_admin_sets_role_name_and_email(world: World) -> None:
    other = _admin(world, None, "other@city.example")
    with world.factory() as uow:
        updated = update_admin(
            uow,
            other,
            admin=world.admin,
            clock=world.clock,
            role="issuer",
            name="Iris",
            email=" IRIS@City.Example ",
        )
        uow.commit()
    with world.factory() as uow:
        stored = uow.admins.get(other.id)  # type: ignore[arg-type]
        (entry,) = uow.audit.list(action="update_admin")
    assert stored == updated
    assert (stored.role, stored.name, stored.email) == ("issuer", "Iris", "iris@city.example")
    assert stored.password_hash == "hash"
    assert entry.before == {"email": "other@city.example", "name": None, "role": None}
    assert entry.after == {"email": "iris@city.example", "name": "Iris", "role": "issuer"}


@pytest.mark.parametrize(
    ("changes", "error", "named"),
    [
        ({"role": "janitor"}, ValidationError, "'janitor'"),
        ({"password_hash": "x"}, ValidationError, "'password_hash'"),
        ({"email": "not-an-email"}, ValidationError, "email"),
        ({"email": "ops@city.example"}, ConflictError, "ops@city.example"),
    ],
)
def test_update_admin_refuses_bad_changes(
    world: World, changes: dict[str, object], error: type[Exception], named: str
) -> None:
    other = _admin(world, None, "other@city.example")
    before = snapshot(world.factory)
    with world.factory() as uow, pytest.raises(error, match=named):
        update_admin(uow, other, admin=world.admin, **changes)
    assert snapshot(world.factory) == before


def test_the_last_admin_manager_cannot_lose_the_right(world: World) -> None:
    with world.factory() as uow, pytest.raises(ConflictError, match="no admin able"):
        update_admin(uow, world.admin, admin=world.admin, role="auditor")
    _admin(world, "owner", "boss@city.example")
    with world.factory() as uow:
        update_admin(uow, world.admin, admin=world.admin, role="auditor")
        uow.commit()


def test_the_permission_table_is_what_the_docs_say() -> None:
    assert may(None, Operation.ERASE_USERS)
    assert not may("janitor", Operation.READ_AUDIT)
    assert ROLE_PERMISSIONS["owner"] == frozenset(Operation)
    assert ROLE_PERMISSIONS["issuer"] == {Operation.ISSUE}
    assert ROLE_PERMISSIONS["draw_operator"] == {Operation.RUN_DRAWS}
    assert Operation.MANAGE_ADMINS not in ROLE_PERMISSIONS["organiser"]


# ------------------------------------------------ optional admin of the older workflows


def test_issuance_and_draws_check_an_admin_when_one_is_given(
    world: World, targets: dict[str, Any]
) -> None:
    issuer = _admin(world, AdminRole.ISSUER.value, "iss@city.example")
    drawer = _admin(world, AdminRole.DRAW_OPERATOR.value, "draw@city.example")
    user, draw_type = targets["user"], targets["draw_type"]
    before = snapshot(world.factory)
    with world.factory() as uow:
        with pytest.raises(ForbiddenError, match="issue"):
            create_and_issue_instance(uow, user, world.d("C01"), admin=drawer, clock=world.clock)
        with pytest.raises(ForbiddenError, match="issue"):
            issue_instances(uow, [(user, world.d("C01"), None)], admin=drawer)
        for attempt in (
            lambda: submit_winning_number(uow, draw_type, "abc", admin=issuer),
            lambda: run_bingo_prize_draw(uow, draw_type, admin=issuer),
            lambda: snapshot_prize_draw(uow, draw_type, admin=issuer),
            lambda: run_final_attendance_prize_draw(
                uow, draw_type, attendance_definition_id=world.d(ATTENDANCE).id, admin=issuer
            ),
        ):
            with pytest.raises(ForbiddenError, match="draws"):
                attempt()
    assert snapshot(world.factory) == before
    with world.factory() as uow:
        create_and_issue_instance(uow, user, world.d("C01"), admin=issuer, clock=world.clock)
        submit_winning_number(uow, draw_type, "abc", admin=drawer, clock=world.clock)
        run_bingo_prize_draw(uow, draw_type, admin=drawer, clock=world.clock)
        uow.commit()


def test_a_definition_is_created_only_by_a_catalogue_editor(world: World) -> None:
    issuer = _admin(world, AdminRole.ISSUER.value, "iss@city.example")
    with world.factory() as uow, pytest.raises(ForbiddenError, match="catalogue"):
        create_nft_definition(
            uow, definition_spec("NEWB", created_by_admin_id=issuer.id), clock=world.clock
        )
