"""The audit log: appended by the admin workflows, filtered reads, no secrets, the CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine, migrate
from nictbw.app.cli import app
from nictbw.domain.audit import REDACTED, changed_fields
from nictbw.domain.entities import Admin, AuditEntry
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.workflows import (
    deactivate_nft_definition,
    read_audit_log,
    register_admin,
    retire_prize_draw_type,
    update_admin,
    update_nft_definition,
)
from tests.contract.helpers import T0, UowFactory, World, add_draw_type, build_world, snapshot


@pytest.fixture
def world(uow_factory: UowFactory) -> World:
    return build_world(uow_factory)


def _history(world: World) -> Admin:
    """Four audited actions by two admins, an hour apart."""
    with world.factory() as uow:
        second = register_admin(
            uow, Admin(email="two@city.example", password_hash="h", role="organiser")
        )
        draw_type = add_draw_type(uow, world)
        update_nft_definition(uow, world.d("C01"), admin=world.admin, clock=world.clock, name="A")
        world.clock.advance(timedelta(hours=1))
        deactivate_nft_definition(uow, world.d("C02"), admin=second, clock=world.clock)
        world.clock.advance(timedelta(hours=1))
        update_nft_definition(uow, world.d("C01"), admin=second, clock=world.clock, name="B")
        world.clock.advance(timedelta(hours=1))
        retire_prize_draw_type(uow, draw_type, admin=world.admin, clock=world.clock)
        uow.commit()
    return second


def test_entries_are_appended_in_order_and_filtered(world: World) -> None:
    second = _history(world)
    c01 = world.d("C01").id
    with world.factory() as uow:
        every = read_audit_log(uow)
        by_second = read_audit_log(uow, by_admin_id=second.id)
        on_c01 = read_audit_log(uow, entity_type="definition", entity_id=c01)
        on_definitions = read_audit_log(uow, entity_type="definition")
        retirements = read_audit_log(uow, action="retire_draw_type")
        recent = read_audit_log(uow, since=T0 + timedelta(hours=2))
        newest_two = read_audit_log(uow, limit=2)
        combined = read_audit_log(uow, by_admin_id=second.id, entity_type="definition", limit=1)
    assert [e.action for e in every] == [
        "update_definition",
        "deactivate_definition",
        "update_definition",
        "retire_draw_type",
    ]
    assert [e.id for e in every] == sorted(e.id for e in every if e.id is not None)
    assert [e.at for e in every] == [T0 + timedelta(hours=h) for h in range(4)]
    assert [e.admin_id for e in by_second] == [second.id, second.id]
    assert [e.after for e in on_c01] == [{"name": "A"}, {"name": "B"}]
    assert len(on_definitions) == 3
    assert [e.entity_type for e in retirements] == ["draw_type"]
    assert [e.action for e in recent] == ["update_definition", "retire_draw_type"]
    assert newest_two == every[2:]
    assert combined == [every[2]]


@pytest.mark.parametrize(
    ("filters", "named"),
    [
        ({"entity_type": "planet"}, "planet"),
        ({"entity_id": 3}, "needs an entity type"),
        ({"by_admin_id": "7"}, "admin id"),
        ({"by_admin_id": 2**40}, "admin id"),
        ({"limit": 0}, "limit"),
        ({"since": T0.replace(tzinfo=None)}, "since"),
    ],
)
def test_bad_filters_are_refused(world: World, filters: dict[str, object], named: str) -> None:
    with world.factory() as uow, pytest.raises(ValidationError, match=named):
        read_audit_log(uow, **filters)  # type: ignore[arg-type]


def test_a_failed_workflow_leaves_no_entry(world: World) -> None:
    before = snapshot(world.factory)
    with world.factory() as uow:
        with pytest.raises(ValidationError):
            update_nft_definition(uow, world.d("C01"), admin=world.admin, name="x" * 500)
        uow.commit()
    assert snapshot(world.factory) == before


def test_a_rolled_back_unit_of_work_leaves_no_entry(world: World) -> None:
    with world.factory() as uow:
        update_nft_definition(uow, world.d("C01"), admin=world.admin, name="A")
        assert len(uow.audit.list()) == 1
        uow.rollback()
    with world.factory() as uow:
        assert uow.audit.list() == []


def test_the_log_is_append_only(world: World) -> None:
    with world.factory() as uow:
        assert not hasattr(uow.audit, "update")
        assert not hasattr(uow.audit, "delete")
        entry = update_nft_definition(uow, world.d("C01"), admin=world.admin, name="A")
        stored = uow.audit.list()[0]
        with pytest.raises(ValidationError, match="already stored"):
            uow.audit.append(stored)
    assert entry.name == "A"


def test_an_entry_must_name_a_stored_admin(world: World) -> None:
    with world.factory() as uow, pytest.raises(ConflictError, match="admin"):
        uow.audit.append(AuditEntry(at=T0, admin_id=987_654, action="x", entity_type="definition"))


def test_admin_changes_never_record_a_secret(world: World) -> None:
    with world.factory() as uow:
        update_admin(uow, world.admin, admin=world.admin, name="Boss", role="owner")
        uow.commit()
        (entry,) = uow.audit.list()
    text = json.dumps([entry.before, entry.after])
    assert "hash" not in text
    old, new = changed_fields(
        {"password_hash": "argon2$a", "fcm_token": "tok-1", "name": "x"},
        {"password_hash": "argon2$b", "fcm_token": None, "name": "x"},
        ("password_hash", "fcm_token", "name"),
    )
    assert old == {"password_hash": REDACTED, "fcm_token": REDACTED}
    assert new == {"password_hash": REDACTED, "fcm_token": None}


# ---------------------------------------------------------------- nictbw audit


@pytest.fixture
def audited_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    engine = make_engine(url)
    migrate(engine)
    try:
        world = build_world(lambda: SqlAlchemyUnitOfWork(engine))
        _history(world)
    finally:
        engine.dispose()
    return url


def test_cli_prints_the_filtered_log_as_json(audited_file: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["audit", "-d", audited_file, "--entity", "definition:3", "--json"],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["entity_type"], r["entity_id"], r["after"]) for r in rows] == [
        ("definition", 3, {"name": "A"}),
        ("definition", 3, {"name": "B"}),
    ]
    since = runner.invoke(
        app, ["audit", "-d", audited_file, "--since", "2026-05-01T11:00:00+00:00", "--json"]
    )
    assert [r["action"] for r in json.loads(since.stdout)] == [
        "update_definition",
        "retire_draw_type",
    ]
    by_admin = runner.invoke(app, ["audit", "-d", audited_file, "--admin", "2", "--json"])
    assert {r["admin_id"] for r in json.loads(by_admin.stdout)} == {2}


def test_cli_table_and_errors(audited_file: str) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["audit", "-d", audited_file, "--action", "retire_draw_type"])
    assert table.exit_code == 0
    assert "retire_draw_type" in table.stdout
    assert "draw_type:1" in table.stdout
    assert "update_definition" not in table.stdout
    for bad, fragment in (
        (["--since", "yesterday"], "ISO 8601"),
        (["--since", "2026-05-01T09:00:00"], "offset"),
        (["--entity", "definition:x"], "positive integer"),
        (["--entity", "planet"], "planet"),
    ):
        failed = runner.invoke(app, ["audit", "-d", audited_file, *bad])
        assert failed.exit_code != 0
        assert fragment in failed.stderr
        assert "Traceback" not in failed.stderr
