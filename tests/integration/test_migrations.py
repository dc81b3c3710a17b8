"""The packaged Alembic migrations: they build exactly the tables of ``metadata``, go down
and up again, keep their own version table, and ``open_database`` migrates on first use."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, Engine, inspect
from sqlalchemy.exc import IntegrityError

from nictbw.adapters.sqlalchemy import (
    SqlAlchemyUnitOfWork,
    downgrade,
    make_engine,
    metadata,
    migrate,
    open_database,
)
from nictbw.adapters.sqlalchemy.migrate import VERSION_TABLE, current_revisions, head_revisions
from nictbw.domain.entities import NFTDefinition, User
from nictbw.testing.contract._support import make_instance
from tests.conftest import postgres_url_or_skip
from tests.sql_backends import SCHEMA_PREFIX

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
NICTBW_TABLES = {table.name for table in metadata.sorted_tables}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    url = postgres_url_or_skip()
    schema = f"{SCHEMA_PREFIX}mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def schema_drift(engine: Engine) -> list[Any]:
    """What Alembic autogenerate finds different between the database and ``metadata``."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        return list(compare_metadata(context, metadata))


def table_names(engine: Engine) -> set[str]:
    """The tables of the database (its current schema on PostgreSQL)."""
    return set(inspect(engine).get_table_names())


def test_migrated_schema_equals_the_metadata(empty_engine: Engine) -> None:
    migrate(empty_engine)
    assert schema_drift(empty_engine) == []


def test_drift_is_detected_when_the_schema_differs(empty_engine: Engine) -> None:
    migrate(empty_engine)
    with empty_engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_nft_instances_user_id")
    drift = schema_drift(empty_engine)
    assert any("ix_nft_instances_user_id" in repr(change) for change in drift)


def test_sqlite_check_constraints_are_the_metadata_s(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'checks.db'}")
    migrate(engine)
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
        )
        created = {str(name): str(sql) for name, sql in rows}
    engine.dispose()
    checks = [
        (table.name, str(constraint.sqltext))
        for table in metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    ]
    assert any(" OR type = " in text for _, text in checks)  # the long list as comparisons
    missing = [(name, text) for name, text in checks if text not in created[name]]
    assert missing == []


def test_value_lists_are_checked_as_comparisons_on_every_backend(empty_engine: Engine) -> None:
    migrate(empty_engine)
    inspector = inspect(empty_engine)
    compared = 0
    for table in metadata.sorted_tables:
        reflected = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
        for constraint in table.constraints:
            if not isinstance(constraint, CheckConstraint) or "_known" not in str(constraint.name):
                continue
            if " OR " in str(constraint.sqltext):
                assert " OR " in str(reflected[str(constraint.name)]), constraint.name
                compared += 1
    assert compared == 4  # event type, instance status, card state, result outcome


def test_event_types_are_checked_after_every_migration(empty_engine: Engine) -> None:
    migrate(empty_engine)
    insert = (
        "INSERT INTO domain_events (type, occurred_at, user_id, payload) "
        "VALUES ('{}', '2026-05-01 09:00:00+00:00', 1, '{{}}')"
    )
    with empty_engine.begin() as connection:
        for known in ("BadgeIssued", "UserErased", "DrawRun"):
            connection.exec_driver_sql(insert.format(known))
    with pytest.raises(IntegrityError), empty_engine.begin() as connection:
        connection.exec_driver_sql(insert.format("BadgeStolen"))
    downgrade(empty_engine, "0009")
    with pytest.raises(IntegrityError), empty_engine.begin() as connection:
        connection.exec_driver_sql(insert.format("BadgeStolen"))
    migrate(empty_engine)
    assert schema_drift(empty_engine) == []


def test_partial_unique_indexes_are_created(empty_engine: Engine) -> None:
    migrate(empty_engine)
    indexes = {
        index["name"]: index
        for table in ("nft_instances", "prize_draw_results")
        for index in inspect(empty_engine).get_indexes(table)
    }
    for name in (
        "uq_prize_draw_results_scored_key",
        "uq_prize_draw_results_unscored_key",
    ):
        assert indexes[name]["unique"]


def origin_indexes(engine: Engine) -> set[str]:
    """The names of the indexes of ``nft_instances`` on its origin, read from the catalogue
    (SQLite's inspector skips expression indexes)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'nft_instances' AND instr(sql, 'nft_origin') > 0"
            )
        else:
            rows = connection.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'nft_instances' "
                "AND schemaname = current_schema() AND strpos(indexdef, 'nft_origin') > 0"
            )
        return {str(name) for (name,) in rows}


def test_origins_have_one_unique_key_index_and_the_downgrades_restore_the_others(
    empty_engine: Engine,
) -> None:
    migrate(empty_engine)
    assert origin_indexes(empty_engine) == {"uq_nft_instances_origin_key"}
    downgrade(empty_engine, "0014")
    assert origin_indexes(empty_engine) == {
        "uq_nft_instances_succeeded_origin",
        "ix_nft_instances_origin_key",
    }
    downgrade(empty_engine, "0013")
    assert origin_indexes(empty_engine) == {
        "uq_nft_instances_succeeded_origin",
        "ix_nft_instances_origin_key",
        "ix_nft_instances_nft_origin",
    }
    migrate(empty_engine)
    assert origin_indexes(empty_engine) == {"uq_nft_instances_origin_key"}
    assert schema_drift(empty_engine) == []


def store_origins(engine: Engine, origins: list[tuple[str, str]]) -> None:
    """Store one user and definition and an instance per ``(origin, status)``, serials
    from 1 in that order, through the current schema."""
    with SqlAlchemyUnitOfWork(engine) as uow:
        user_id = uow.users.add(User(in_app_id="u", created_at=NOW, updated_at=NOW)).id
        definition = uow.definitions.add(
            NFTDefinition(
                prefix="ORI", shared_key="ori", name="Origin", created_at=NOW, updated_at=NOW
            )
        )
        assert user_id is not None
        assert definition.id is not None
        uow.instances.add_many(
            [
                make_instance(user_id, definition.id, serial, nft_origin=origin, status=status)
                for serial, (origin, status) in enumerate(origins, start=1)
            ]
        )
        uow.commit()


def stored_origins(engine: Engine) -> list[tuple[str, str]]:
    """Every instance's ``(origin, status)``, by serial."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT nft_origin, status FROM nft_instances ORDER BY serial_number"
        ).all()
    return [(str(origin), str(status)) for origin, status in rows]


def test_the_unique_origin_key_keeps_one_succeeded_instance_per_exact_origin(
    empty_engine: Engine,
) -> None:
    # Stored at 0014: one succeeded instance per exact origin, other spellings of its key
    # succeeded too, the same origin again when transferred. Migrating keeps them all, and
    # the new index refuses exactly what the partial one refused.
    migrate(empty_engine, "0014")
    origins = [("abc_0", "succeeded"), (" ABC_0 ", "succeeded"), ("abc_0", "transferred")]
    store_origins(empty_engine, origins)
    migrate(empty_engine)
    assert origin_indexes(empty_engine) == {"uq_nft_instances_origin_key"}
    assert stored_origins(empty_engine) == origins
    with empty_engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE nft_instances SET status = 'revoked' WHERE nft_origin = ' ABC_0 '"
        )
    with pytest.raises(IntegrityError), empty_engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE nft_instances SET status = 'succeeded' WHERE status = 'transferred'"
        )
    with empty_engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE nft_instances SET status = 'succeeded' WHERE nft_origin = ' ABC_0 '"
        )


def origin_index_definition(engine: Engine) -> str:
    """The catalogue's text of ``uq_nft_instances_origin_key``, lower-cased."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            found = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'uq_nft_instances_origin_key'"
            ).scalar_one()
        else:
            found = connection.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_nft_instances_origin_key' "
                "AND schemaname = current_schema()"
            ).scalar_one()
    return str(found).lower()


def test_the_origin_index_enters_a_key_form_origin_once(empty_engine: Engine) -> None:
    # Stored at 0015: an origin in key form and two other spellings of its key, all
    # succeeded, and the key form again as transferred. Migrating keeps them; the index
    # then still refuses a second succeeded instance of each exact origin and of none else.
    migrate(empty_engine, "0015")
    assert "coalesce" not in origin_index_definition(empty_engine)
    if empty_engine.dialect.name == "postgresql":  # SQLite's expression indexes are not compared
        assert any("uq_nft_instances_origin_key" in repr(c) for c in schema_drift(empty_engine))
    origins = [
        ("abc_0", "succeeded"),
        ("ABC_0", "succeeded"),
        (" abc_0", "succeeded"),
        ("abc_0", "transferred"),
    ]
    store_origins(empty_engine, origins)
    migrate(empty_engine)
    assert "coalesce" in origin_index_definition(empty_engine)
    assert origin_indexes(empty_engine) == {"uq_nft_instances_origin_key"}
    assert stored_origins(empty_engine) == origins
    copy = (
        "INSERT INTO nft_instances (user_id, definition_id, serial_number, unique_instance_id, "
        "acquired_at, status, nft_origin) SELECT user_id, definition_id, 99, 'ORI-copy', "
        "acquired_at, 'succeeded', {origin} FROM nft_instances WHERE serial_number = 1"
    )
    for origin in ("abc_0", "ABC_0", " abc_0"):
        with pytest.raises(IntegrityError), empty_engine.begin() as connection:
            connection.exec_driver_sql(copy.format(origin=f"'{origin}'"))
    with empty_engine.begin() as connection:
        connection.exec_driver_sql(copy.format(origin="' ABC_0 '"))
    downgrade(empty_engine, "0015")
    assert "coalesce" not in origin_index_definition(empty_engine)
    migrate(empty_engine)
    assert schema_drift(empty_engine) == []


def test_upgrade_downgrade_to_base_and_upgrade_again(empty_engine: Engine) -> None:
    migrate(empty_engine)
    assert table_names(empty_engine) >= NICTBW_TABLES
    downgrade(empty_engine, "base")
    assert table_names(empty_engine) & NICTBW_TABLES == set()
    assert current_revisions(empty_engine) == ()
    migrate(empty_engine)
    assert current_revisions(empty_engine) == head_revisions()
    assert schema_drift(empty_engine) == []


def test_revision_is_kept_in_the_nictbw_version_table(empty_engine: Engine) -> None:
    migrate(empty_engine)
    names = table_names(empty_engine)
    assert VERSION_TABLE == "nictbw_alembic_version"
    assert VERSION_TABLE in names
    assert "alembic_version" not in names
    assert current_revisions(empty_engine) == head_revisions()


def test_migrating_twice_changes_nothing(empty_engine: Engine) -> None:
    migrate(empty_engine)
    with SqlAlchemyUnitOfWork(empty_engine) as uow:
        uow.users.add(User(in_app_id="kept", created_at=NOW, updated_at=NOW))
        uow.commit()
    migrate(empty_engine)
    with SqlAlchemyUnitOfWork(empty_engine) as uow:
        assert [user.in_app_id for user in uow.users.list()] == ["kept"]


def test_migrate_accepts_a_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'by-url.db'}"
    migrate(url)
    assert current_revisions(url) == head_revisions()


def test_open_database_migrates_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    engine = open_database(f"sqlite:///{path}")
    try:
        assert path.exists()
        assert current_revisions(engine) == head_revisions()
        with SqlAlchemyUnitOfWork(engine) as uow:
            uow.users.add(User(in_app_id="first", created_at=NOW, updated_at=NOW))
            uow.commit()
    finally:
        engine.dispose()
    again = open_database(f"sqlite:///{path}")
    try:
        with SqlAlchemyUnitOfWork(again) as uow:
            assert [user.in_app_id for user in uow.users.list()] == ["first"]
    finally:
        again.dispose()


def test_open_database_upgrades_an_outdated_database(empty_engine: Engine) -> None:
    migrate(empty_engine)
    downgrade(empty_engine, "base")
    url = empty_engine.url.render_as_string(hide_password=False)
    options: dict[str, Any] = {}
    if empty_engine.dialect.name == "postgresql":
        schema = str(inspect(empty_engine).default_schema_name)
        options["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = open_database(url, **options)
    try:
        assert current_revisions(engine) == head_revisions()
    finally:
        engine.dispose()


def test_open_database_of_an_in_memory_sqlite_keeps_the_schema() -> None:
    engine = open_database("sqlite://")
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            uow.users.add(User(in_app_id="mem", created_at=NOW, updated_at=NOW))
            uow.commit()
        with SqlAlchemyUnitOfWork(engine) as uow:
            assert len(uow.users.list()) == 1
    finally:
        engine.dispose()


def test_processes_opening_one_new_file_together_migrate_it_once(tmp_path: Path) -> None:
    # Several rounds of eight openers: switching a new file to WAL while another opener
    # holds it fails at once (no busy wait), so the race needs many chances to show.
    for round_number in range(5):
        url = f"sqlite:///{tmp_path / f'shared-{round_number}.db'}"
        errors: list[BaseException] = []
        barrier = threading.Barrier(8)

        def open_it(
            url: str = url,
            errors: list[BaseException] = errors,
            barrier: threading.Barrier = barrier,
        ) -> None:
            barrier.wait()
            try:
                open_database(url).dispose()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert current_revisions(url) == head_revisions()
