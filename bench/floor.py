"""The floor of a per-call path: N bare statements, one call each, on the raw drivers.

    python bench/floor.py                  # 10,000 calls, SQLite and (when set) PostgreSQL
    python bench/floor.py --calls 100000 --backends sqlite

A workflow that sends one statement per call can never be faster than sending that
statement alone. This measures that lower bound with the drivers nictbw uses and no
nictbw code at all:

- PostgreSQL (``psycopg``, the URL of ``NICTBW_TEST_DATABASE_URL``): ``SELECT %s::int``
  per call, fetched, inside one transaction; once as plain statements, once as
  server-side prepared ones (``prepare=True``). Each is one network round trip. Then a
  one-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING id`` per call into a table
  shaped like ``users``, created in the transaction and rolled back with it: what adding
  users one by one cannot go below.
- SQLite (``sqlite3``, a temporary file in WAL mode like nictbw's engine): an indexed
  read of the nine rows of one card, and a one-row ``INSERT``, per call.

It prints wall seconds, CPU seconds and microseconds per call. The per-user targets
that compare with another system (cards JSON, adding users one by one) can be held
against these figures: a target below the floor needs fewer statements, not faster code.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from run import PG_ENV


def timed(label: str, calls: int, body: Callable[[], None]) -> None:
    """Run ``body`` once and print its wall and CPU time, also per call."""
    wall, cpu = time.perf_counter(), time.process_time()
    body()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{label:<62} {wall:7.3f} s wall {cpu:7.3f} s CPU "
        f"{wall / calls * 1e6:7.1f} µs/call wall {cpu / calls * 1e6:6.1f} µs/call CPU"
    )


def postgres_floor(url: str, calls: int) -> None:
    """Round trips of a trivial statement, plain and prepared."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        for prepare in (False, True):

            def run(prepare: bool = prepare) -> None:
                for n in range(calls):
                    cursor.execute("SELECT %s::int", (n,), prepare=prepare)
                    cursor.fetchone()

            how = "prepared" if prepare else "plain"
            timed(f"PostgreSQL: {calls:,} x SELECT %s::int ({how})", calls, run)
        cursor.execute(_PEOPLE)
        stamp = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

        def insert() -> None:
            for n in range(calls):
                cursor.execute(
                    _INSERT_PERSON,
                    (
                        f"user-{n:06d}",
                        f"user{n}@example.org",
                        f"Visitor {n}",
                        f"user-{n:06d}@fake.chain",
                        f"user-{n:06d}",
                        stamp,
                        stamp,
                    ),
                )
                cursor.fetchall()

        timed(f"PostgreSQL: {calls:,} x one-row INSERT into a users-like table", calls, insert)
        connection.rollback()


_PEOPLE = """CREATE TABLE floor_people (
    id SERIAL PRIMARY KEY,
    in_app_id VARCHAR(100) UNIQUE, email VARCHAR(100) UNIQUE, nickname VARCHAR(50),
    paymail VARCHAR(255) UNIQUE, on_chain_id VARCHAR(255) UNIQUE,
    created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)"""
"""A table shaped like ``users``: four unique keys besides the primary key. It is created
in the measuring transaction, which is rolled back, so it never outlives the run."""

_INSERT_PERSON = (
    "INSERT INTO floor_people (in_app_id, email, nickname, paymail, on_chain_id, created_at,"
    " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id"
)


def sqlite_floor(calls: int) -> None:
    """An indexed read of one card's nine rows, and a one-row insert, per call."""
    with tempfile.TemporaryDirectory(prefix="nictbw-floor-") as folder:
        connection = sqlite3.connect(Path(folder) / "floor.db")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(
            "CREATE TABLE cells (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL,"
            " idx INTEGER NOT NULL, state TEXT NOT NULL, unlocked_at TEXT)"
        )
        connection.execute("CREATE INDEX ix_cells_user ON cells (user_id, idx)")
        connection.executemany(
            "INSERT INTO cells (user_id, idx, state, unlocked_at) VALUES (?, ?, ?, ?)",
            (
                (user, idx, "unlocked", "2026-05-01 09:00:00.000000")
                for user in range(calls)
                for idx in range(9)
            ),
        )
        connection.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
        connection.commit()

        def read() -> None:
            for user in range(calls):
                connection.execute(
                    "SELECT id, idx, state, unlocked_at FROM cells WHERE user_id = ? ORDER BY idx",
                    (user,),
                ).fetchall()

        def insert() -> None:
            for n in range(calls):
                connection.execute(
                    "INSERT INTO people (name) VALUES (?) RETURNING id", (f"user-{n}",)
                ).fetchall()

        timed(f"SQLite: {calls:,} x read of one card's 9 cells", calls, read)
        timed(f"SQLite: {calls:,} x one-row INSERT ... RETURNING", calls, insert)
        connection.rollback()
        connection.close()


def main(argv: list[str]) -> None:
    """Measure the floors of the chosen backends."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    if "sqlite" in backends:
        sqlite_floor(args.calls)
    if "postgres" in backends:
        url = os.environ.get(PG_ENV)
        if url:
            postgres_floor(url, args.calls)
        else:
            print(f"PostgreSQL skipped: {PG_ENV} is not set")


if __name__ == "__main__":
    main(sys.argv[1:])
