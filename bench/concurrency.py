"""Concurrent issuance: throughput and invariants with 1, 2, 4 and 8 writers.

    python bench/concurrency.py                          # PostgreSQL (if configured) and SQLite
    python bench/concurrency.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/concurrency.py --workers 1,8 --per-worker 200 --backends sqlite

Each configuration gets a fresh, migrated store with an admin, a catalogue (a bingo
trigger and nine candidates) and ``--users`` users registered on an in-process fake
chain. Then ``N`` threads, each with its own units of work (its own pooled connection),
issue ``--per-worker`` badges each with ``create_and_issue_instance``, one transaction
per badge, to random users and definitions (so cards are created and cells unlocked
concurrently). A transaction refused with ``ConflictError`` is retried whole. With
``--same-seeds`` every worker's k-th badge uses ``random.Random(k)``, so workers draw the
same unique-id candidates and the redraw-on-collision path runs.

Backends: ``postgres`` (``--database`` or ``NICTBW_TEST_DATABASE_URL``; a schema of its
own, dropped afterwards), ``sqlite`` (a file; transactions begin ``IMMEDIATE`` so writers
wait for the single write lock) and ``sqlite-deferred`` (the default ``BEGIN``: a writer
whose snapshot went stale is refused and retries).

Printed per configuration: issues/s, conflicts retried, and the invariant check read
back through a fresh unit of work: duplicate serials, duplicate unique ids and duplicate
cards (user, centre) ("duplicates", must be 0), serial gaps or a ``minted_count`` that
differs from the instances ("gaps", must be 0) and locked cells whose badge the user
holds ("lost unlocks", must be 0). Exits 1 when an invariant is broken.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from attrs import define
from sqlalchemy import Engine

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine, migrate
from nictbw.adapters.sqlalchemy.engine import SQLITE_BEGIN_OPTION
from nictbw.app.workflows import set_collector_pause
from nictbw.domain.entities import (
    CARD_EXPIRED,
    CELL_LOCKED,
    INSTANCE_SUCCEEDED,
    Admin,
    NFTDefinition,
    User,
)
from nictbw.domain.errors import ConflictError
from nictbw.workflows import (
    create_and_issue_instance,
    create_nft_definition,
    register_admin,
    register_user,
)

PG_ENV: Final = "NICTBW_TEST_DATABASE_URL"
START: Final = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TRIGGER: Final = "EXPO"
CANDIDATES: Final = tuple(f"C{i:02d}" for i in range(1, 10))
MAX_ATTEMPTS: Final = 200

UnitOfWorkFactory = Callable[[], SqlAlchemyUnitOfWork]


@define
class Catalogue:
    """The committed users and definitions of one run."""

    users: list[User]
    definitions: list[NFTDefinition]


@define
class Run:
    """What one configuration measured."""

    backend: str
    workers: int
    issues: int
    seconds: float
    conflicts: int
    duplicates: int
    gaps: int
    lost_unlocks: int

    @property
    def broken(self) -> bool:
        """True when an invariant does not hold."""
        return bool(self.duplicates or self.gaps or self.lost_unlocks)


# -- stores ------------------------------------------------------------------------------


@contextmanager
def postgres_store(url: str) -> Iterator[Engine]:
    """An engine on a new, migrated schema of ``url``; the schema is dropped afterwards."""
    schema = f"nictbw_bench_concurrency_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@contextmanager
def sqlite_store(*, immediate: bool) -> Iterator[Engine]:
    """An engine on a new, migrated SQLite file (``BEGIN IMMEDIATE`` when ``immediate``)."""
    folder = Path(tempfile.mkdtemp(prefix="nictbw-bench-concurrency-"))
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    try:
        migrate(engine)
        yield (
            engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}) if immediate else engine
        )
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def open_store(backend: str, url: str | None) -> Iterator[Engine]:
    """A fresh store of ``backend``."""
    if backend == "postgres":
        assert url is not None
        with postgres_store(url) as engine:
            yield engine
    else:
        with sqlite_store(immediate=backend == "sqlite") as engine:
            yield engine


# -- the run -----------------------------------------------------------------------------


def build_catalogue(factory: UnitOfWorkFactory, users: int, clock: FixedClock) -> Catalogue:
    """Commit an admin, the trigger, nine candidates and ``users`` registered users."""
    chain = FakeChain(seed=1, clock=clock)
    with factory() as uow:
        admin = register_admin(
            uow, Admin(email="bench@city.example", password_hash="x"), clock=clock
        )
        definitions = [
            create_nft_definition(
                uow,
                NFTDefinition(
                    prefix=prefix,
                    shared_key=f"key-{prefix}",
                    name=f"Badge {prefix}",
                    triggers_bingo_card=prefix == TRIGGER,
                    bingo_random_candidate=prefix != TRIGGER,
                    created_by_admin_id=admin.id,
                ),
                clock=clock,
            )
            for prefix in (TRIGGER, *CANDIDATES)
        ]
        registered = [
            register_user(
                uow,
                User(in_app_id=f"visitor{n:05d}"),
                password="secret",
                email=f"visitor{n:05d}@city.example",
                chain=chain,
                clock=clock,
            )
            for n in range(users)
        ]
        uow.commit()
    return Catalogue(users=registered, definitions=definitions)


def issue_concurrently(
    factory: UnitOfWorkFactory,
    catalogue: Catalogue,
    clock: FixedClock,
    *,
    workers: int,
    per_worker: int,
    same_seeds: bool,
) -> tuple[float, int]:
    """Run the workers; returns (seconds, conflicts retried). Re-raises a worker's failure."""
    barrier = threading.Barrier(workers + 1)
    lock = threading.Lock()
    conflicts = 0
    failures: list[BaseException] = []

    def worker(number: int) -> None:
        nonlocal conflicts
        pick = random.Random(number)
        barrier.wait()
        for k in range(per_worker):
            user = pick.choice(catalogue.users)
            definition = pick.choice(catalogue.definitions)
            for attempt in range(MAX_ATTEMPTS):
                try:
                    with factory() as uow:
                        create_and_issue_instance(
                            uow,
                            user,
                            definition,
                            rng=random.Random(k) if same_seeds else None,
                            clock=clock,
                        )
                        uow.commit()
                    break
                except ConflictError:
                    with lock:
                        conflicts += 1
                    time.sleep(random.uniform(0, 0.001 * 2 ** min(attempt, 6)))
            else:
                raise RuntimeError(f"worker {number}: issue {k} conflicted {MAX_ATTEMPTS} times")

    def body(number: int) -> None:
        try:
            worker(number)
        except BaseException as exc:
            with lock:
                failures.append(exc)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    return seconds, conflicts


def check_invariants(factory: UnitOfWorkFactory) -> tuple[int, int, int, int]:
    """(instances, duplicates, gaps, lost unlocks), read through a fresh unit of work."""
    with factory() as uow:
        definitions = uow.definitions.list()
        instances = uow.instances.list()
        cards = uow.bingo_cards.list()
    serials: dict[int, list[int]] = defaultdict(list)
    held: dict[int, set[int]] = defaultdict(set)
    for instance in instances:
        serials[instance.definition_id].append(instance.serial_number)
        if instance.status == INSTANCE_SUCCEEDED:
            held[instance.user_id].add(instance.definition_id)
    duplicates = sum(n - 1 for n in Counter(i.unique_instance_id for i in instances).values())
    duplicates += sum(
        n - 1 for n in Counter((c.user_id, c.center_definition_id) for c in cards).values()
    )
    gaps = 0
    for definition in definitions:
        assert definition.id is not None
        issued = serials[definition.id]
        duplicates += len(issued) - len(set(issued))
        expected = set(range(definition.minted_count))
        gaps += len(expected.symmetric_difference(issued))
        gaps += int(definition.minted_count != len(issued))
    lost = sum(
        1
        for card in cards
        if card.state != CARD_EXPIRED
        for cell in card.cells
        if cell.state == CELL_LOCKED and cell.target_definition_id in held[card.user_id]
    )
    return len(instances), duplicates, gaps, lost


def run(backend: str, url: str | None, workers: int, args: argparse.Namespace) -> Run:
    """One configuration on a fresh store."""
    clock = FixedClock(START)
    with open_store(backend, url) as engine:

        def factory() -> SqlAlchemyUnitOfWork:
            return SqlAlchemyUnitOfWork(engine)

        catalogue = build_catalogue(factory, args.users, clock)
        seconds, conflicts = issue_concurrently(
            factory,
            catalogue,
            clock,
            workers=workers,
            per_worker=args.per_worker,
            same_seeds=args.same_seeds,
        )
        issued, duplicates, gaps, lost = check_invariants(factory)
    if issued != workers * args.per_worker:
        gaps += abs(workers * args.per_worker - issued)
    return Run(backend, workers, issued, seconds, conflicts, duplicates, gaps, lost)


# -- command line ------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line of the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", help=f"PostgreSQL URL (default: ${PG_ENV})")
    parser.add_argument("--backends", default="postgres,sqlite,sqlite-deferred")
    parser.add_argument("--workers", default="1,2,4,8", help="comma-separated writer counts")
    parser.add_argument("--per-worker", type=int, default=1000, help="badges each writer issues")
    parser.add_argument("--users", type=int, default=200, help="users badges are issued to")
    parser.add_argument(
        "--same-seeds", action="store_true", help="every worker's k-th badge uses Random(k)"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run every configuration, print the table; 1 when an invariant is broken."""
    args = parse_args(argv)
    set_collector_pause(True)  # as the command line runs the workflows
    url = args.database or os.environ.get(PG_ENV)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgres" in backends and not url:
        print(f"postgres skipped: no --database and no ${PG_ENV}", file=sys.stderr)
        backends.remove("postgres")
    counts = [int(n) for n in args.workers.split(",")]
    print(
        f"{'backend':<16}{'workers':>8}{'issues':>8}{'seconds':>9}{'issues/s':>10}"
        f"{'conflicts':>11}{'duplicates':>12}{'gaps':>6}{'lost unlocks':>14}"
    )
    broken = False
    for backend in backends:
        for workers in counts:
            result = run(backend, url, workers, args)
            broken = broken or result.broken
            print(
                f"{result.backend:<16}{result.workers:>8}{result.issues:>8}"
                f"{result.seconds:>9.2f}{result.issues / result.seconds:>10.1f}"
                f"{result.conflicts:>11}{result.duplicates:>12}{result.gaps:>6}"
                f"{result.lost_unlocks:>14}",
                flush=True,
            )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
