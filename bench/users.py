"""Adding users: one ``uow.users.add`` per user, and ``uow.users.add_many`` in one call.

    python bench/users.py                       # 10,000 users, SQLite and PostgreSQL
    python bench/users.py --users 100000 --adapters sqlite

Each way runs in a fresh store (see ``run.open_adapter``) and one unit of work, committed
at the end; the figures are wall seconds, CPU seconds, users per second and the SQL
statements sent (``measure.Meter``). The last way sends ``add``'s own statement per user
on the driver's cursor, values converted beforehand and not timed: what one statement per
user costs with no nictbw code around it, the floor of adding users one by one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from nictbw.domain.entities import User
from nictbw.ports import UnitOfWork
from run import ADAPTER_TITLES, PG_ENV, open_adapter

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def make_users(count: int) -> list[User]:
    """``count`` new users with every unique key set, as registration stores them."""
    return [
        User(
            in_app_id=f"user-{n:06d}",
            email=f"user{n}@example.org",
            nickname=f"Visitor {n}",
            paymail=f"user-{n:06d}@fake.chain",
            on_chain_id=f"user-{n:06d}",
            created_at=T0,
            updated_at=T0,
        )
        for n in range(count)
    ]


def one_by_one(uow: UnitOfWork, users: list[User]) -> None:
    for user in users:
        uow.users.add(user)


def in_bulk(uow: UnitOfWork, users: list[User]) -> None:
    uow.users.add_many(users)


def raw_driver(uow: UnitOfWork, users: list[User]) -> None:
    """The statement ``add`` sends, one per user, straight on the driver's cursor (values
    converted beforehand): the floor of adding users one by one (SQL adapters only)."""
    from nictbw.adapters.sqlalchemy.bulk import BulkStatements
    from nictbw.adapters.sqlalchemy.mapping import user_values
    from nictbw.adapters.sqlalchemy.repositories.users import _COLUMNS
    from nictbw.adapters.sqlalchemy.tables import users as users_table

    connection = uow.connection  # type: ignore[attr-defined]
    bulk = BulkStatements.of(connection.dialect, users_table, _COLUMNS)
    sql = bulk.insert_row(returning=("id",), conflict="ON CONFLICT DO NOTHING")
    rows = [bulk.row(tuple(user_values(user).values())) for user in users]
    cursor = connection.connection.driver_connection.cursor()
    started = time.perf_counter(), time.process_time()
    for row in rows:
        cursor.execute(sql, row)
        cursor.fetchall()
    RAW_TIMES.append((time.perf_counter() - started[0], time.process_time() - started[1]))


RAW_TIMES: list[tuple[float, float]] = []
"""Wall and CPU seconds of the statements alone in ``raw_driver`` (no conversion)."""

WAYS: dict[str, Callable[[UnitOfWork, list[User]], None]] = {
    "add, one by one": one_by_one,
    "add_many": in_bulk,
    "same SQL on the raw driver": raw_driver,
}


def measure(adapter: str, count: int) -> list[dict[str, Any]]:
    """Figures of every way of adding ``count`` users on ``adapter``."""
    figures = []
    for name, way in WAYS.items():
        if way is raw_driver and adapter == "memory":
            continue
        with open_adapter(adapter) as (uow_factory, engine):
            users = make_users(count)
            sent: list[str] = []
            if engine is not None:
                event.listen(engine, "before_cursor_execute", lambda *a, log=sent: log.append(a[2]))
            wall, cpu = time.perf_counter(), time.process_time()
            with uow_factory() as uow:
                way(uow, users)
                uow.commit()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if way is raw_driver:
                wall, cpu = RAW_TIMES.pop()
            statements = len(sent) if engine is not None else None
            if way is raw_driver:
                statements = count  # sent on the driver, past the statement counter
            figures.append(
                {
                    "adapter": adapter,
                    "way": name,
                    "users": count,
                    "seconds": wall,
                    "cpu_seconds": cpu,
                    "statements": statements,
                }
            )
    return figures


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    default = "sqlite,postgres" if os.environ.get(PG_ENV) else "sqlite"
    parser.add_argument("--adapters", default=default)
    args = parser.parse_args(argv)
    print("| storage | way | users | seconds | CPU seconds | users/s | statements |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for adapter in args.adapters.split(","):
        for row in measure(adapter, args.users):
            print(
                f"| {ADAPTER_TITLES[adapter]} | {row['way']} | {row['users']:,} "
                f"| {row['seconds']:.2f} | {row['cpu_seconds']:.2f} "
                f"| {row['users'] / row['seconds']:,.0f} | {row['statements'] or '-'} |",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
