"""What only the SQL adapter has to get right: storage types, error mapping, transactions,
statement counts of the bulk repository methods, chunking and concurrent writers."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from nictbw.adapters.sqlalchemy import make_engine
from nictbw.adapters.sqlalchemy.errors import translate_error
from nictbw.adapters.sqlalchemy.repositories import DEFAULT_CHUNK_SIZE
from nictbw.adapters.sqlalchemy.tables import prize_draw_results, users
from nictbw.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from nictbw.domain.entities import (
    BingoCard,
    BingoCell,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from tests.conftest import postgres_url_or_skip
from tests.sql_backends import (
    SqlUowFactory,
    count_statements,
    postgres_uow_factory,
    sqlite_uow_factory,
)

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
SIZES = (10, 1000)
TOKYO = timezone(timedelta(hours=9))


@contextmanager
def open_factory(
    backend: str, tmp_path: Path, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[SqlUowFactory]:
    """A factory of units of work on a clean store of ``backend``."""
    if backend == "sqlite":
        with sqlite_uow_factory(tmp_path, chunk_size=chunk_size) as factory:
            yield factory
    else:
        with postgres_uow_factory(postgres_url_or_skip(), chunk_size=chunk_size) as factory:
            yield factory


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_backend(request: pytest.FixtureRequest) -> str:
    """The SQL backend under test."""
    return str(request.param)


@pytest.fixture
def factory(sql_backend: str, tmp_path: Path) -> Iterator[SqlUowFactory]:
    """Units of work on a clean store of the backend under test."""
    with open_factory(sql_backend, tmp_path) as made:
        yield made


@pytest.fixture
def small_chunks(sql_backend: str, tmp_path: Path) -> Iterator[SqlUowFactory]:
    """Units of work whose repositories send at most 100 keys or rows per statement."""
    with open_factory(sql_backend, tmp_path, chunk_size=100) as made:
        yield made


# -- building rows ---------------------------------------------------------------------


def add_users(uow: SqlAlchemyUnitOfWork, count: int, tag: str = "u") -> list[int]:
    """Insert ``count`` users in one statement; their ids, ascending."""
    rows = [{"in_app_id": f"{tag}-{i}", "created_at": NOW, "updated_at": NOW} for i in range(count)]
    uow.connection.execute(insert(users), rows)
    query = select(users.c.id).where(users.c.in_app_id.like(f"{tag}-%")).order_by(users.c.id)
    return list(uow.connection.execute(query).scalars())


def add_definition(uow: SqlAlchemyUnitOfWork, prefix: str, **fields: Any) -> NFTDefinition:
    """Store a definition with ``prefix``."""
    definition = NFTDefinition(
        prefix=prefix, shared_key="key", name=prefix, created_at=NOW, updated_at=NOW, **fields
    )
    return uow.definitions.add(definition)


def new_instance(
    user_id: int, definition_id: int, serial: int, origin: str | None = None
) -> NFTInstance:
    """A new instance (not stored)."""
    return NFTInstance(
        user_id=user_id,
        definition_id=definition_id,
        serial_number=serial,
        unique_instance_id=f"ID-{definition_id}-{serial}",
        acquired_at=NOW,
        nft_origin=origin,
    )


def new_card(user_id: int, targets: list[int], unlocked: dict[int, int] | None = None) -> BingoCard:
    """A card of ``user_id`` whose cell idx i targets ``targets[i]``; ``unlocked`` maps idx
    to the matched instance id."""
    opened = unlocked or {}
    cells = [
        BingoCell(
            idx=idx,
            target_definition_id=target,
            state="unlocked" if idx in opened else "locked",
            definition_id=target if idx in opened else None,
            matched_nft_instance_id=opened.get(idx),
            unlocked_at=NOW if idx in opened else None,
        )
        for idx, target in enumerate(targets)
    ]
    return BingoCard(user_id=user_id, center_definition_id=targets[4], issued_at=NOW, cells=cells)


def add_catalogue(uow: SqlAlchemyUnitOfWork, tag: str) -> list[int]:
    """Nine definitions; their ids."""
    return [add_definition(uow, f"{tag}{i}").id or 0 for i in range(9)]


def add_draw(uow: SqlAlchemyUnitOfWork, tag: str) -> tuple[int, int]:
    """A draw type and a winning number of it; their ids."""
    draw_type = uow.draw_types.add(
        PrizeDrawType(
            internal_name=f"draw-{tag}",
            algorithm_key="sha256_hex_proximity",
            created_at=NOW,
            updated_at=NOW,
        )
    )
    assert draw_type.id is not None
    number = uow.winning_numbers.add(
        PrizeDrawWinningNumber(draw_type_id=draw_type.id, value="abd", created_at=NOW)
    )
    assert number.id is not None
    return draw_type.id, number.id


def new_result(
    instance: NFTInstance, draw_type_id: int, winning_number_id: int | None, score: float | None
) -> PrizeDrawResult:
    """A new result of ``instance``."""
    assert instance.id is not None
    return PrizeDrawResult(
        draw_type_id=draw_type_id,
        winning_number_id=winning_number_id,
        user_id=instance.user_id,
        definition_id=instance.definition_id,
        nft_instance_id=instance.id,
        draw_number=f"origin-{instance.id}",
        similarity_score=score,
        outcome="pending" if score is None else "lose",
        evaluated_at=NOW,
    )


def issue(uow: SqlAlchemyUnitOfWork, count: int, tag: str) -> list[NFTInstance]:
    """``count`` stored instances, one per new user, of one new definition, with origins."""
    user_ids = add_users(uow, count, tag)
    definition_id = add_definition(uow, f"DEF-{tag}").id
    assert definition_id is not None
    instances = [
        new_instance(user_id, definition_id, serial, f"{tag}-origin-{serial}")
        for serial, user_id in enumerate(user_ids)
    ]
    uow.instances.add_many(instances)
    return instances


def attrs_evolve_instance(instance: NFTInstance, **changes: Any) -> NFTInstance:
    """A copy of ``instance`` with ``changes``."""
    return attrs.evolve(instance, **changes)


# -- storage types ---------------------------------------------------------------------


def test_datetimes_come_back_aware_in_utc(factory: SqlUowFactory) -> None:
    stored_at = datetime(2026, 5, 1, 18, 30, 15, 123456, tzinfo=TOKYO)
    with factory() as uow:
        user = uow.users.add(User(in_app_id="u", created_at=stored_at, updated_at=stored_at))
        uow.commit()
    with factory() as uow:
        assert user.id is not None
        read = uow.users.get(user.id)
    assert read is not None
    assert read.created_at == stored_at
    assert read.created_at is not None
    assert read.created_at.tzinfo is UTC
    assert read.created_at.hour == 9


def test_naive_datetimes_are_stored_as_utc_like_the_memory_adapter(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        user = uow.users.add(
            User(in_app_id="u", created_at=datetime(2026, 5, 1, 9), updated_at=NOW)
        )
        uow.commit()
    with factory() as uow:
        assert user.id is not None
        read = uow.users.get(user.id)
    assert read is not None
    assert read.created_at == NOW


def test_sqlite_stores_datetimes_as_naive_utc_text(tmp_path: Path) -> None:
    with sqlite_uow_factory(tmp_path) as factory, factory() as uow:
        at = datetime(2026, 5, 1, 18, 0, tzinfo=TOKYO)
        uow.users.add(User(in_app_id="u", created_at=at, updated_at=at))
        raw = uow.connection.exec_driver_sql("SELECT created_at FROM users").scalar_one()
    assert raw == "2026-05-01 09:00:00.000000"


@pytest.mark.postgres
def test_postgres_stores_datetimes_as_timestamptz() -> None:
    with postgres_uow_factory(postgres_url_or_skip()) as factory, factory() as uow:
        data_type = uow.connection.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'bingo_cards' "
            "AND column_name = 'expiry'"
        ).scalar_one()
    assert data_type == "timestamp with time zone"


@pytest.mark.postgres
def test_postgres_bulk_writes_refuse_a_string_longer_than_its_column() -> None:
    # An explicit cast to VARCHAR(n) would cut the value to n characters without a word;
    # the bulk insert must refuse it, as the single-row insert does, and store nothing.
    long_nickname = "n" * 51
    with postgres_uow_factory(postgres_url_or_skip()) as factory, factory() as uow:
        fine = User(in_app_id="fine", nickname="n" * 50, created_at=NOW, updated_at=NOW)
        too_long = User(in_app_id="long", nickname=long_nickname, created_at=NOW, updated_at=NOW)
        with pytest.raises(ValidationError) as refused:
            uow.users.add_many([fine, too_long])
        message = str(refused.value)
        assert "users.nickname has 51 characters, at most 50 allowed" in message
        assert repr(long_nickname) in message
        assert uow.connection.exec_driver_sql("SELECT count(*) FROM users").scalar_one() == 0
        fine.id = None
        uow.users.add_many([fine])
        assert fine.id is not None
        stored = uow.users.get(fine.id)
    assert stored is not None
    assert stored.nickname == "n" * 50


def test_json_is_stored_as_text_with_non_ascii_kept(factory: SqlUowFactory) -> None:
    meta = {"名前": "バッジ", "n": 1, "nested": {"ok": True}}
    with factory() as uow:
        (instance,) = issue(uow, 1, "json")
        instance.other_meta = meta
        uow.instances.update(instance)
        raw = uow.connection.exec_driver_sql("SELECT other_meta FROM nft_instances").scalar_one()
        assert instance.id is not None
        read = uow.instances.get(instance.id)
    assert raw == '{"名前": "バッジ", "n": 1, "nested": {"ok": true}}'
    assert read is not None
    assert read.other_meta == meta


def test_winning_number_metadata_round_trips_through_the_metadata_column(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        draw_type_id, _ = add_draw(uow, "meta")
        number = uow.winning_numbers.add(
            PrizeDrawWinningNumber(
                draw_type_id=draw_type_id, value="x", metadata={"source": "TV"}, created_at=NOW
            )
        )
        raw = uow.connection.exec_driver_sql(
            f"SELECT metadata FROM prize_draw_winning_numbers WHERE id = {number.id}"
        ).scalar_one()
        assert number.id is not None
        read = uow.winning_numbers.get(number.id)
    assert raw == '{"source": "TV"}'
    assert read is not None
    assert read.metadata == {"source": "TV"}


def test_blockchain_nft_id_holds_64_bit_values(factory: SqlUowFactory) -> None:
    with factory() as uow:
        (instance,) = issue(uow, 1, "big")
        instance.blockchain_nft_id = 2**62 + 7
        uow.instances.update(instance)
        assert instance.id is not None
        read = uow.instances.get(instance.id)
    assert read is not None
    assert read.blockchain_nft_id == 2**62 + 7


# -- error mapping ---------------------------------------------------------------------


def test_unique_violation_is_a_conflict_naming_the_value(factory: SqlUowFactory) -> None:
    with factory() as uow:
        uow.users.add(User(email="a@example.org", created_at=NOW, updated_at=NOW))
        with pytest.raises(ConflictError, match=re.escape("a@example.org")):
            uow.users.add(User(email="a@example.org", created_at=NOW, updated_at=NOW))


def test_partial_unique_origin_is_a_conflict_only_between_succeeded_instances(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        (first,) = issue(uow, 1, "origin")
        second = new_instance(first.user_id, first.definition_id, 1, first.nft_origin)
        with pytest.raises(ConflictError, match="origin"):
            uow.instances.add(second)
        first.status = "transferred"
        uow.instances.update(first)
        uow.instances.add(second)
        assert second.id is not None


def test_foreign_key_violation_is_a_conflict(factory: SqlUowFactory) -> None:
    with factory() as uow:
        definition_id = add_definition(uow, "FK").id
        assert definition_id is not None
        with pytest.raises(ConflictError):
            uow.instances.add(new_instance(9999, definition_id, 0))


def test_check_violation_is_a_validation_error_naming_the_constraint(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow, pytest.raises(ValidationError, match="status_known"):
        add_definition(uow, "BAD", status="retired")


def test_not_null_violation_is_a_validation_error(factory: SqlUowFactory) -> None:
    with factory() as uow, pytest.raises(ValidationError, match="created_at"):
        uow.users.add(User(in_app_id="no-timestamps"))


def test_unserialisable_json_is_a_validation_error(factory: SqlUowFactory) -> None:
    with factory() as uow:
        (instance,) = issue(uow, 1, "badjson")
        instance.other_meta = {"when": object()}
        with pytest.raises(ValidationError):
            uow.instances.update(instance)


def test_a_refused_write_leaves_the_unit_of_work_usable(factory: SqlUowFactory) -> None:
    with factory() as uow:
        uow.users.add(User(in_app_id="kept", created_at=NOW, updated_at=NOW))
        with pytest.raises(ConflictError):
            uow.users.add(User(in_app_id="kept", created_at=NOW, updated_at=NOW))
        uow.users.add(User(in_app_id="later", created_at=NOW, updated_at=NOW))
        uow.commit()
    with factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["kept", "later"]


def test_a_failing_bulk_write_changes_nothing(factory: SqlUowFactory) -> None:
    with factory() as uow:
        definitions = add_catalogue(uow, "ATOM")
        (user_id,) = add_users(uow, 1)
        good = new_card(user_id, definitions)
        bad = new_card(user_id, [*definitions[:8], 9999])
        bad.center_definition_id = definitions[0]
        with pytest.raises(ConflictError):
            uow.bingo_cards.add_many([good, bad])
        assert uow.bingo_cards.list() == []
        assert uow.connection.exec_driver_sql("SELECT count(*) FROM bingo_cells").scalar() == 0


def test_sqlite_lock_is_a_conflict(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    with sqlite_uow_factory(tmp_path) as factory:
        factory.engine.dispose()
        template = Path(str(factory.engine.url.database))
        path.write_bytes(template.read_bytes())
    impatient = SqlUowFactory(make_engine(f"sqlite:///{path}", sqlite_busy_timeout_ms=50))
    try:
        with impatient() as writer, impatient() as other:
            writer.users.add(User(in_app_id="first", created_at=NOW, updated_at=NOW))
            with pytest.raises(ConflictError, match="locked"):
                other.users.add(User(in_app_id="second", created_at=NOW, updated_at=NOW))
    finally:
        impatient.engine.dispose()


@pytest.mark.postgres
def test_postgres_lock_timeout_is_a_conflict() -> None:
    with postgres_uow_factory(postgres_url_or_skip()) as factory:
        with factory() as uow:
            definition_id = add_definition(uow, "LOCK").id
            assert definition_id is not None
            uow.commit()
        with factory() as holder, factory() as waiter:
            holder.definitions.reserve_serials(definition_id, 1, enforce_supply=False)
            waiter.connection.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
            with pytest.raises(ConflictError, match="lock timeout"):
                waiter.definitions.reserve_serials(definition_id, 1, enforce_supply=False)


class _PgError(Exception):
    """Stands for a psycopg error: only ``sqlstate`` and ``diag`` are read."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"error {sqlstate}")
        self.sqlstate = sqlstate
        self.diag = None


@pytest.mark.parametrize("sqlstate", ["40001", "40P01", "55P03"])
def test_postgres_serialization_failure_deadlock_and_lock_timeout_are_conflicts(
    sqlstate: str,
) -> None:
    error = OperationalError("UPDATE x", {}, _PgError(sqlstate))
    assert isinstance(translate_error(error), ConflictError)


def test_other_database_errors_are_not_translated() -> None:
    error = ProgrammingError("SELEC 1", {}, Exception("syntax error"))
    assert translate_error(error) is None


# -- transactions ----------------------------------------------------------------------


def test_leaving_without_commit_rolls_back(factory: SqlUowFactory) -> None:
    with factory() as uow:
        uow.users.add(User(in_app_id="gone", created_at=NOW, updated_at=NOW))
    with factory() as uow:
        assert uow.users.list() == []


def test_commit_begins_a_new_transaction_that_rolls_back_on_exit(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        uow.users.add(User(in_app_id="kept", created_at=NOW, updated_at=NOW))
        uow.commit()
        uow.users.add(User(in_app_id="dropped", created_at=NOW, updated_at=NOW))
    with factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["kept"]


def test_rollback_discards_changes_since_the_last_commit_and_goes_on(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        uow.users.add(User(in_app_id="kept", created_at=NOW, updated_at=NOW))
        uow.commit()
        uow.users.add(User(in_app_id="undone", created_at=NOW, updated_at=NOW))
        uow.rollback()
        uow.users.add(User(in_app_id="after", created_at=NOW, updated_at=NOW))
        uow.commit()
    with factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["kept", "after"]


def test_an_exception_rolls_back(factory: SqlUowFactory) -> None:
    def fail_midway() -> None:
        with factory() as uow:
            uow.users.add(User(in_app_id="gone", created_at=NOW, updated_at=NOW))
            raise KeyError("boom")

    with pytest.raises(KeyError):
        fail_midway()
    with factory() as uow:
        assert uow.users.list() == []


def test_a_savepoint_that_raises_undoes_only_its_own_writes(factory: SqlUowFactory) -> None:
    def fail_inside(uow: SqlAlchemyUnitOfWork) -> None:
        with uow.savepoint():
            uow.users.add(User(in_app_id="undone", created_at=NOW, updated_at=NOW))
            uow.users.add(User(in_app_id="before", created_at=NOW, updated_at=NOW))

    with factory() as uow:
        uow.users.add(User(in_app_id="before", created_at=NOW, updated_at=NOW))
        with pytest.raises(ConflictError):
            fail_inside(uow)
        uow.users.add(User(in_app_id="after", created_at=NOW, updated_at=NOW))
        uow.commit()
    with factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["before", "after"]


def test_a_savepoint_that_ends_normally_keeps_its_writes(factory: SqlUowFactory) -> None:
    with factory() as uow:
        with uow.savepoint(), uow.savepoint():
            uow.users.add(User(in_app_id="nested", created_at=NOW, updated_at=NOW))
        uow.commit()
    with factory() as uow:
        assert [u.in_app_id for u in uow.users.list()] == ["nested"]


def test_repositories_refuse_work_outside_the_with_block(factory: SqlUowFactory) -> None:
    uow = factory()
    with pytest.raises(RuntimeError, match="not active"):
        uow.users.list()


def test_sqlite_unit_of_work_reads_one_snapshot(tmp_path: Path) -> None:
    with sqlite_uow_factory(tmp_path) as factory:
        with factory() as reader:
            assert reader.users.list() == []
            with factory() as writer:
                writer.users.add(User(in_app_id="new", created_at=NOW, updated_at=NOW))
                writer.commit()
            assert reader.users.list() == []
        with factory() as fresh:
            assert len(fresh.users.list()) == 1


# -- one statement per chunk, whatever the number of rows -------------------------------


def count_for_both_sizes(
    factory: SqlUowFactory, measure: Callable[[SqlAlchemyUnitOfWork, int, str], Callable[[], Any]]
) -> list[tuple[int, int]]:
    """For 10 and 1,000 rows: (statements, data statements) of the action ``measure``
    prepares (it gets the unit of work, the size and a tag; returns the action)."""
    counts = []
    for size in SIZES:
        with factory() as uow:
            action = measure(uow, size, f"n{size}")
            with count_statements(factory.engine) as log:
                action()
            counts.append((len(log), len(log.data())))
    return counts


def assert_constant(counts: list[tuple[int, int]], data_statements: int) -> None:
    """The same number of statements for every size, ``data_statements`` of them data."""
    assert counts[0] == counts[1], counts
    assert counts[0][1] == data_statements, counts


def test_instances_add_many_is_one_insert(factory: SqlUowFactory) -> None:
    added: list[list[NFTInstance]] = []

    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], None]:
        user_ids = add_users(uow, size, tag)
        definition_id = add_definition(uow, tag).id
        assert definition_id is not None
        batch = [new_instance(u, definition_id, i, f"{tag}-{i}") for i, u in enumerate(user_ids)]
        added.append(batch)
        return lambda: uow.instances.add_many(batch)

    assert_constant(count_for_both_sizes(factory, measure), 1)
    ids = [instance.id or 0 for instance in added[1]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000


def stored_value_reads(factory: SqlUowFactory) -> int:
    """Statements an update by id adds per call to read the stored values of its rows'
    indexed columns: one on SQLite (``unchanged.py``), none on PostgreSQL."""
    return 1 if factory.engine.dialect.name == "sqlite" else 0


def test_instances_update_many_is_one_executemany(factory: SqlUowFactory) -> None:
    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], None]:
        batch = issue(uow, size, tag)
        for instance in batch:
            instance.status = "transferred"
        return lambda: uow.instances.update_many(batch)

    assert_constant(count_for_both_sizes(factory, measure), 1 + stored_value_reads(factory))


@pytest.mark.parametrize(
    "lookup",
    ["get_many", "list_for_users", "list_by_origins", "existing_unique_ids", "users.get_many"],
)
def test_instance_and_user_lookups_by_many_keys_are_one_query(
    factory: SqlUowFactory, lookup: str
) -> None:
    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], Any]:
        batch = issue(uow, size, tag)
        ids = [i.id or 0 for i in batch]
        user_ids = [i.user_id for i in batch]
        actions: dict[str, Callable[[], Any]] = {
            "get_many": lambda: uow.instances.get_many(ids),
            "list_for_users": lambda: uow.instances.list_for_users(user_ids),
            "list_by_origins": lambda: uow.instances.list_by_origins(
                [i.nft_origin or "" for i in batch]
            ),
            "existing_unique_ids": lambda: uow.instances.existing_unique_ids(
                [i.unique_instance_id for i in batch]
            ),
            "users.get_many": lambda: uow.users.get_many(user_ids),
        }
        return actions[lookup]

    assert_constant(count_for_both_sizes(factory, measure), 1)


def test_definitions_get_many_by_prefix_is_one_query(factory: SqlUowFactory) -> None:
    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], Any]:
        prefixes = [f"{tag}-{i}" for i in range(size)]
        for prefix in prefixes:
            add_definition(uow, prefix)
        return lambda: uow.definitions.get_many_by_prefix(prefixes)

    assert_constant(count_for_both_sizes(factory, measure), 1)


def test_candidates_for_definition_is_one_query(factory: SqlUowFactory) -> None:
    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], Any]:
        batch = issue(uow, size, tag)
        return lambda: uow.instances.candidates_for_definition(batch[0].definition_id)

    assert_constant(count_for_both_sizes(factory, measure), 1)


def cards_with_a_completed_top_row(
    uow: SqlAlchemyUnitOfWork, size: int, tag: str
) -> list[BingoCard]:
    """``size`` users with a card each whose top row is unlocked by their instances."""
    user_ids = add_users(uow, size, tag)
    definitions = add_catalogue(uow, tag)
    instances = [
        new_instance(user_id, definitions[idx], serial * 3 + idx, f"{tag}-{serial}-{idx}")
        for serial, user_id in enumerate(user_ids)
        for idx in range(3)
    ]
    uow.instances.add_many(instances)
    return [
        new_card(user_id, definitions, {idx: instances[n * 3 + idx].id or 0 for idx in range(3)})
        for n, user_id in enumerate(user_ids)
    ]


def test_bingo_cards_add_many_is_three_statements(factory: SqlUowFactory) -> None:
    added: list[list[BingoCard]] = []

    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], None]:
        cards = cards_with_a_completed_top_row(uow, size, tag)
        added.append(cards)
        return lambda: uow.bingo_cards.add_many(cards)

    assert_constant(count_for_both_sizes(factory, measure), 3)
    cells = [cell for card in added[1] for cell in card.cells]
    assert len({cell.id for cell in cells}) == 9000
    assert all(cell.bingo_card_id == card.id for card in added[1] for cell in card.cells)


def test_bingo_cards_update_many_is_two_executemany(factory: SqlUowFactory) -> None:
    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], None]:
        cards = cards_with_a_completed_top_row(uow, size, tag)
        uow.bingo_cards.add_many(cards)
        for card in cards:
            card.bingo_reward_claimed = True
            card.cells[8].state, card.cells[8].unlocked_at = "unlocked", NOW
        return lambda: uow.bingo_cards.update_many(cards)

    assert_constant(count_for_both_sizes(factory, measure), 2 + 2 * stored_value_reads(factory))


def test_bingo_cards_list_for_users_is_one_query(factory: SqlUowFactory) -> None:
    # The cards joined with their cells: one statement per chunk of users.
    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], Any]:
        cards = cards_with_a_completed_top_row(uow, size, tag)
        uow.bingo_cards.add_many(cards)
        return lambda: uow.bingo_cards.list_for_users([card.user_id for card in cards])

    assert_constant(count_for_both_sizes(factory, measure), 1)


def test_completed_line_candidates_is_one_query(factory: SqlUowFactory) -> None:
    found: list[int] = []

    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], None]:
        cards = cards_with_a_completed_top_row(uow, size, tag)
        uow.bingo_cards.add_many(cards)
        return lambda: found.append(len(uow.bingo_cards.completed_line_candidates(NOW)))

    assert_constant(count_for_both_sizes(factory, measure), 1)
    assert found == [30, 3000]


RESULT_VARIANTS: list[dict[str, Any]] = [
    {"score": 0.1 + 0.2, "digits": "0123456789", "threshold": 1, "outcome": "win"},
    {"score": None, "digits": None, "threshold": None, "outcome": "pending"},
    {"score": 1e-300, "digits": "", "threshold": 0.7, "outcome": "lose"},
]
"""One kind of each value a result column holds (a float sum, an int threshold, empty
and absent digits, a tiny score)."""

EVALUATED = datetime(2026, 5, 1, 18, 30, 15, 123456, tzinfo=TOKYO)


def variant_result(
    instance: NFTInstance, draw_type_id: int, number_id: int | None, variant: dict[str, Any]
) -> PrizeDrawResult:
    """A new result of ``instance`` holding the values of ``variant``."""
    result = new_result(instance, draw_type_id, number_id, None)
    result.similarity_score = variant["score"]
    result.draw_top_digits = variant["digits"]
    result.winning_top_digits = variant["digits"]
    result.threshold_used = variant["threshold"]
    result.outcome = variant["outcome"]
    result.evaluated_at = EVALUATED
    return result


def stored_values(uow: SqlAlchemyUnitOfWork, result: PrizeDrawResult) -> dict[str, Any]:
    """The stored row of ``result`` but its id, instance, user and draw number: each
    value with the name of its type."""
    table = prize_draw_results
    row = uow.connection.execute(select(table).where(table.c.id == result.id)).one()
    values = row._asdict()
    del values["id"], values["nft_instance_id"], values["user_id"], values["draw_number"]
    return {name: (type(value).__name__, value) for name, value in values.items()}


def test_draw_results_upsert_stores_what_a_single_add_stores(factory: SqlUowFactory) -> None:
    # The upsert's rows go as arrays (binary on PostgreSQL); each kind of value must be
    # stored as a single-row INSERT stores it.
    with factory() as uow:
        batch = issue(uow, 2 * len(RESULT_VARIANTS), "identity")
        draw_type_id, number_id = add_draw(uow, "identity")
        pairs = []
        for n, variant in enumerate(RESULT_VARIANTS):
            number = number_id if variant["score"] else None
            single, upserted = (
                variant_result(instance, draw_type_id, number, variant)
                for instance in batch[2 * n : 2 * n + 2]
            )
            pairs.append((single, upserted))
        for single, _ in pairs:
            uow.draw_results.add(single)
        uow.draw_results.upsert_many([upserted for _, upserted in pairs])
        for single, upserted in pairs:
            assert stored_values(uow, upserted) == stored_values(uow, single)
        assert stored_values(uow, pairs[0][0])["threshold_used"] == ("float", 1.0)


def test_draw_results_upsert_many_is_one_statement_per_key_kind(factory: SqlUowFactory) -> None:
    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], None]:
        batch = issue(uow, size, tag)
        draw_type_id, number_id = add_draw(uow, tag)
        results = [
            new_result(i, draw_type_id, number_id if n % 2 else None, 0.5 if n % 2 else None)
            for n, i in enumerate(batch)
        ]
        return lambda: uow.draw_results.upsert_many(results)

    assert_constant(count_for_both_sizes(factory, measure), 2)


def test_sqlite_appends_the_rest_of_a_first_run_with_the_ids_sqlite_gives(
    tmp_path: Path,
) -> None:
    with open_factory("sqlite", tmp_path, chunk_size=10) as factory, factory() as uow:
        batch = issue(uow, 30, "append")
        draw_type_id, number_id = add_draw(uow, "append")
        # A pending result stored by a single-row INSERT: SQLite picks its id itself.
        probe = uow.draw_results.add(new_result(batch[0], draw_type_id, None, None))
        assert probe.id is not None
        first = [new_result(i, draw_type_id, number_id, 0.25) for i in batch]
        with count_statements(factory.engine) as log:
            uow.draw_results.upsert_many(first)
        # The first chunk's upsert, the check that it is all of its pair, two appends.
        statements = log.data()
        assert len(statements) == 4
        assert "ON CONFLICT" in statements[0]
        assert statements[1].startswith("SELECT")
        for appended in statements[2:]:
            assert appended.startswith("INSERT")
            assert "ON CONFLICT" not in appended
            assert "RETURNING" not in appended
        assert [r.id for r in first] == list(range(probe.id + 1, probe.id + 31))
        # What was appended reads back as given, and the next id SQLite picks follows it.
        assert uow.draw_results.list_for_draw_type(draw_type_id, number_id) == first
        later = uow.draw_results.add(new_result(batch[1], draw_type_id, None, None))
        assert later.id == probe.id + 31
        # A second run of the pair overwrites in place: every chunk is an upsert.
        again = [new_result(i, draw_type_id, number_id, 0.75) for i in batch]
        with count_statements(factory.engine) as log:
            uow.draw_results.upsert_many(again)
        assert sum("ON CONFLICT" in s for s in log.data()) == 3
        assert [r.id for r in again] == [r.id for r in first]
        assert uow.draw_results.list_for_draw_type(draw_type_id, number_id) == again


def test_sqlite_upserts_from_the_first_chunk_it_cannot_append(tmp_path: Path) -> None:
    with open_factory("sqlite", tmp_path, chunk_size=10) as factory, factory() as uow:
        batch = issue(uow, 30, "mixed")
        draw_type_id, number_id = add_draw(uow, "mixed")
        # One result of the pair stored beforehand, in the third chunk: the second chunk
        # is appended, SQLite refuses the third, which is then upserted.
        old = new_result(batch[25], draw_type_id, number_id, 0.5)
        uow.draw_results.upsert_many([old])
        assert old.id is not None
        fresh = [new_result(i, draw_type_id, number_id, 0.25) for i in batch]
        with count_statements(factory.engine) as log:
            uow.draw_results.upsert_many(fresh)
        kinds = ["upsert" if "ON CONFLICT" in s else s.split()[0].lower() for s in log.data()]
        assert kinds == ["upsert", "select", "insert", "insert", "upsert"]
        assert [r.id for r in fresh[10:20]] == list(range(old.id + 11, old.id + 21))
        assert fresh[25].id == old.id
        stored = uow.draw_results.list_for_draw_type(draw_type_id, number_id)
        assert stored == sorted(fresh, key=lambda r: r.id or 0)
        # A key again in a later chunk: refused as an append, upserted, the last row kept.
        other_type, other_number = add_draw(uow, "mixed-2")
        twice = [new_result(i, other_type, other_number, 0.1) for i in batch]
        twice.append(new_result(batch[15], other_type, other_number, 0.9))
        uow.draw_results.upsert_many(twice)
        assert twice[15].id == twice[-1].id
        kept = {r.nft_instance_id: r for r in uow.draw_results.list_for_draw_type(other_type)}
        assert len(kept) == 30
        assert kept[batch[15].id or 0].similarity_score == 0.9
        assert kept[batch[15].id or 0].id == twice[15].id


def test_sqlite_a_bad_reference_in_an_appended_chunk_stores_nothing(tmp_path: Path) -> None:
    with open_factory("sqlite", tmp_path, chunk_size=10) as factory:
        with factory() as uow:
            batch = issue(uow, 30, "bad")
            draw_type_id, number_id = add_draw(uow, "bad")
            uow.commit()
        results = [new_result(i, draw_type_id, number_id, 0.25) for i in batch]
        results[22].user_id = 999_999
        with factory() as uow:
            with pytest.raises(ConflictError):
                uow.draw_results.upsert_many(results)
            assert uow.draw_results.list_for_draw_type(draw_type_id) == []


def test_sqlite_append_stores_what_a_single_add_stores(tmp_path: Path) -> None:
    # Per kind of value, one call of two rows in chunks of one: the first is upserted,
    # the second appended; a third row of the same values is added on its own.
    with open_factory("sqlite", tmp_path, chunk_size=1) as factory, factory() as uow:
        batch = issue(uow, 3 * len(RESULT_VARIANTS), "append-identity")
        for n, variant in enumerate(RESULT_VARIANTS):
            draw_type_id, number_id = add_draw(uow, f"append-identity-{n}")
            upserted, appended, single = (
                variant_result(instance, draw_type_id, number_id, variant)
                for instance in batch[3 * n : 3 * n + 3]
            )
            with count_statements(factory.engine) as log:
                uow.draw_results.upsert_many([upserted, appended])
            assert ["ON CONFLICT" in s for s in log.data()] == [True, False, False]
            uow.draw_results.add(single)
            assert stored_values(uow, appended) == stored_values(uow, single)
            assert stored_values(uow, upserted) == stored_values(uow, single)


@pytest.mark.parametrize("with_ties", [False, True])
def test_top_is_one_query(factory: SqlUowFactory, with_ties: bool) -> None:
    def measure(uow: SqlAlchemyUnitOfWork, size: int, tag: str) -> Callable[[], Any]:
        batch = issue(uow, size, tag)
        draw_type_id, number_id = add_draw(uow, tag)
        uow.draw_results.upsert_many([new_result(i, draw_type_id, number_id, 0.5) for i in batch])
        return lambda: uow.draw_results.top(draw_type_id, number_id, limit=5, with_ties=with_ties)

    assert_constant(count_for_both_sizes(factory, measure), 1)


# -- chunking --------------------------------------------------------------------------


def test_add_many_sends_one_insert_per_chunk_and_keeps_the_order(
    small_chunks: SqlUowFactory,
) -> None:
    with small_chunks() as uow:
        user_ids = add_users(uow, 250)
        definition_id = add_definition(uow, "CHUNK").id
        assert definition_id is not None
        batch = [new_instance(u, definition_id, i, f"o-{i}") for i, u in enumerate(user_ids)]
        with count_statements(small_chunks.engine) as log:
            uow.instances.add_many(batch)
        stored = uow.instances.list()
    assert len(log.data()) == 3
    assert [(i.id, i.serial_number) for i in batch] == [(s.id, s.serial_number) for s in stored]


def test_lookups_send_one_query_per_chunk_and_find_everything(
    small_chunks: SqlUowFactory,
) -> None:
    with small_chunks() as uow:
        batch = issue(uow, 250, "chunk")
        with count_statements(small_chunks.engine) as log:
            found = uow.instances.get_many([i.id or 0 for i in batch])
            taken = uow.instances.existing_unique_ids(
                [i.unique_instance_id for i in batch] + ["ID-free"]
            )
    assert len(log.data()) == 6
    assert sorted(found) == sorted(i.id or 0 for i in batch)
    assert taken == {i.unique_instance_id for i in batch}


def test_list_for_users_merges_chunks_in_ascending_id(small_chunks: SqlUowFactory) -> None:
    with small_chunks() as uow:
        cards = cards_with_a_completed_top_row(uow, 250, "chunk")
        uow.bingo_cards.add_many(cards)
        user_ids = [card.user_id for card in reversed(cards)]
        with count_statements(small_chunks.engine) as log:
            listed = uow.bingo_cards.list_for_users(user_ids)
        instances = uow.instances.list_for_users(user_ids)
    assert len(log.data()) == 3  # one statement (cards with cells) per chunk of 100 users
    assert [card.id for card in listed] == sorted(card.id or 0 for card in cards)
    assert all([cell.idx for cell in card.cells] == list(range(9)) for card in listed)
    assert [i.id for i in instances] == sorted(i.id or 0 for i in instances)
    assert len(instances) == 750


def test_upsert_many_across_chunks_keeps_ids_on_overwrite(
    small_chunks: SqlUowFactory, sql_backend: str
) -> None:
    with small_chunks() as uow:
        batch = issue(uow, 250, "chunk")
        draw_type_id, number_id = add_draw(uow, "chunk")
        first = [new_result(i, draw_type_id, number_id, 0.25) for i in batch]
        uow.draw_results.upsert_many(first)
        again = [new_result(i, draw_type_id, number_id, 0.75) for i in batch]
        with count_statements(small_chunks.engine) as log:
            uow.draw_results.upsert_many(again)
        stored = uow.draw_results.list_for_draw_type(draw_type_id, number_id)
    # One upsert per chunk; on SQLite after the first the read of the largest id and the
    # second chunk tried as an append, which SQLite refuses (its keys are stored).
    assert len(log.data()) == 3 + 2 * (sql_backend == "sqlite")
    assert [r.id for r in again] == [r.id for r in first]
    assert len(stored) == 250
    assert {r.similarity_score for r in stored} == {0.75}


# -- repository behaviour specific to SQL ----------------------------------------------


def test_upsert_keeps_the_row_id_and_overwrites_every_other_field(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        (instance,) = issue(uow, 1, "upsert")
        draw_type_id, number_id = add_draw(uow, "upsert")
        first = new_result(instance, draw_type_id, number_id, 0.2)
        pending = new_result(instance, draw_type_id, None, None)
        uow.draw_results.upsert_many([first, pending])
        second = new_result(instance, draw_type_id, number_id, 0.9)
        second.outcome, second.threshold_used = "win", 0.5
        second.evaluated_at = NOW + timedelta(hours=1)
        uow.draw_results.upsert_many([second])
        stored = uow.draw_results.list_for_draw_type(draw_type_id)
    assert second.id == first.id != pending.id
    assert [(r.id, r.similarity_score, r.outcome) for r in stored] == [
        (first.id, 0.9, "win"),
        (pending.id, None, "pending"),
    ]
    assert stored[0].evaluated_at == NOW + timedelta(hours=1)


def test_upsert_with_a_repeated_key_writes_the_last_and_shares_the_id(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        (instance,) = issue(uow, 1, "repeat")
        draw_type_id, number_id = add_draw(uow, "repeat")
        results = [new_result(instance, draw_type_id, number_id, s) for s in (0.1, 0.3)]
        uow.draw_results.upsert_many(results)
        stored = uow.draw_results.list()
    assert results[0].id == results[1].id == stored[0].id
    assert [r.similarity_score for r in stored] == [0.3]


def test_reserve_serials_is_one_conditional_update(factory: SqlUowFactory) -> None:
    with factory() as uow:
        definition_id = add_definition(uow, "SUPPLY", max_supply=3).id
        assert definition_id is not None
        with count_statements(factory.engine) as log:
            first = uow.definitions.reserve_serials(definition_id, 2, enforce_supply=True)
        refused = uow.definitions.reserve_serials(definition_id, 2, enforce_supply=True)
        forced = uow.definitions.reserve_serials(definition_id, 2, enforce_supply=False)
        stored = uow.definitions.get(definition_id)
    assert len(log.data()) == 1
    assert log.data()[0].lstrip().upper().startswith("UPDATE")
    assert (first, refused, forced) == (0, None, 2)
    assert stored is not None
    assert stored.minted_count == 4


def test_reserve_serials_of_a_missing_definition_is_not_found(factory: SqlUowFactory) -> None:
    with factory() as uow, pytest.raises(NotFoundError, match="4242"):
        uow.definitions.reserve_serials(4242, 1, enforce_supply=True)


def test_updating_a_cell_of_another_card_is_not_found(factory: SqlUowFactory) -> None:
    with factory() as uow:
        definitions = add_catalogue(uow, "OWN")
        first_user, second_user = add_users(uow, 2)
        mine, theirs = new_card(first_user, definitions), new_card(second_user, definitions)
        uow.bingo_cards.add_many([mine, theirs])
        mine.cells[0] = theirs.cells[0]
        with pytest.raises(NotFoundError):
            uow.bingo_cards.update(mine)


# -- concurrent writers ----------------------------------------------------------------


def run_concurrently(workers: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(n)`` in ``workers`` threads started together; the errors raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def run(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_serial_reservations_never_repeat_or_exceed_supply(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        definition_id = add_definition(uow, "RACE", max_supply=30).id
        assert definition_id is not None
        uow.commit()
    serials: list[int | None] = []

    def reserve(_: int) -> None:
        for _attempt in range(5):
            with factory() as uow:
                serials.append(
                    uow.definitions.reserve_serials(definition_id, 1, enforce_supply=True)
                )
                uow.commit()

    assert run_concurrently(8, reserve) == []
    granted = sorted(s for s in serials if s is not None)
    assert granted == list(range(30))
    assert serials.count(None) == 10
    with factory() as uow:
        stored = uow.definitions.get(definition_id)
    assert stored is not None
    assert stored.minted_count == 30


def test_concurrent_upserts_of_one_key_update_instead_of_failing(
    factory: SqlUowFactory,
) -> None:
    with factory() as uow:
        (instance,) = issue(uow, 1, "race")
        draw_type_id, number_id = add_draw(uow, "race")
        uow.commit()

    def evaluate(n: int) -> None:
        with factory() as uow:
            uow.draw_results.upsert_many([new_result(instance, draw_type_id, number_id, n / 10)])
            uow.commit()

    assert run_concurrently(6, evaluate) == []
    with factory() as uow:
        stored = uow.draw_results.list()
    assert len(stored) == 1


def test_a_failed_driver_statement_leaves_the_next_call_a_working_cursor(
    factory: SqlUowFactory,
) -> None:
    # Per-call paths keep one driver cursor per repository; SQLAlchemy closes a cursor
    # whose statement failed, so the next call must not reuse it.
    with factory() as uow:
        uow.users.add(User(in_app_id="before", created_at=NOW, updated_at=NOW))
        savepoint = uow.connection.begin_nested()
        with pytest.raises(DBAPIError, match="no_such_table"):
            uow.users._on_cursor("SELECT id FROM no_such_table", ())
        savepoint.rollback()
        after = uow.users.add(User(in_app_id="after", created_at=NOW, updated_at=NOW))
        assert after.id is not None
        stored = uow.users.get(after.id)
        assert stored is not None
        assert stored.in_app_id == "after"


# -- updates by id that leave unchanged indexed columns out (SQLite) ---------------------


def stored_instances(factory: SqlUowFactory, ids: list[int]) -> list[NFTInstance]:
    with factory() as uow:
        found = uow.instances.get_many(ids)
    return [found[i] for i in ids]


def committed_batch(factory: SqlUowFactory, count: int, tag: str) -> list[NFTInstance]:
    with factory() as uow:
        batch = issue(uow, count, tag)
        uow.commit()
    return batch


def assigned_by_update(factory: SqlUowFactory, batch: list[NFTInstance]) -> str:
    """Commit ``update_many(batch)``; the ``SET`` list of the one UPDATE it sent."""
    with factory() as uow, count_statements(factory.engine) as log:
        uow.instances.update_many(batch)
        uow.commit()
    (update,) = [s for s in log.data() if s.lstrip().upper().startswith("UPDATE")]
    return update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]


def test_an_update_sets_only_the_indexed_columns_some_row_changes(
    factory: SqlUowFactory,
) -> None:
    batch = committed_batch(factory, 4, "upd")
    ids = [instance.id or 0 for instance in batch]
    batch[0].current_nft_location = "moved-0"  # not an indexed column
    batch[1].nft_origin = "upd-origin-new"  # indexed: its row and every other keep theirs
    batch[2].blockchain_name = "renamed"
    assigned = assigned_by_update(factory, batch)
    assert stored_instances(factory, ids) == batch
    assert "nft_origin" in assigned
    assert "current_nft_location" in assigned
    if factory.engine.dialect.name == "sqlite":
        for left_out in ("user_id", "definition_id", "serial_number", "unique_instance_id"):
            assert left_out not in assigned, assigned
    else:
        assert "user_id" in assigned  # PostgreSQL writes every column, as before


def test_an_update_changing_no_indexed_column_sets_none_and_a_missing_row_still_fails(
    factory: SqlUowFactory,
) -> None:
    batch = committed_batch(factory, 3, "keep")
    ids = [instance.id or 0 for instance in batch]
    before = stored_instances(factory, ids)
    for instance in batch:
        instance.token_id = f"token-{instance.id}"
    ghost = attrs_evolve_instance(batch[0], id=max(ids) + 100, token_id="ghost")
    with factory() as uow, pytest.raises(NotFoundError, match=str(ghost.id)):
        uow.instances.update_many([*batch, ghost])
    assert stored_instances(factory, ids) == before  # all or nothing
    assigned = assigned_by_update(factory, batch)
    assert stored_instances(factory, ids) == batch
    if factory.engine.dialect.name == "sqlite":
        for left_out in ("user_id", "nft_origin", "status", "unique_instance_id"):
            assert left_out not in assigned, assigned


def test_an_update_repeating_an_id_writes_the_last_values(factory: SqlUowFactory) -> None:
    (instance,) = committed_batch(factory, 1, "twice")
    first = attrs_evolve_instance(instance, nft_origin="twice-a", token_id="a")
    last = attrs_evolve_instance(instance, nft_origin=instance.nft_origin, token_id="b")
    with factory() as uow:
        uow.instances.update_many([first, last])
        uow.commit()
    assert stored_instances(factory, [instance.id or 0]) == [last]
