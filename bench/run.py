"""Event-scale benchmarks of nictbw's bulk paths on every storage adapter.

    python3 tasks.py bench                       # 1,000 and 10,000 users
    python bench/run.py --users 1000,10000,100000 --adapters sqlite
    python bench/run.py --users 10000 --adapters memory --profile /tmp/prof

For every adapter (memory, SQLite, PostgreSQL when NICTBW_TEST_DATABASE_URL is set) and
every number of users, a fresh process builds a seeded event (bench/scenario.py) and
measures, through the public workflows: bulk issuance (``issue_instances`` in blocks of
``--block`` visitors, with its bingo path), ``update_user_bingo_info`` over all users,
the bingo-line draw, the final-attendance draw, ``select_top_prize_draw_results`` and
every user's cards JSON. Per phase it reports seconds, items/s, SQL statements and peak
RSS; per process the hashing limit (a bare ``sha256`` + ``int(hexdigest, 16)`` loop over
the bingo draw's draw numbers) and each draw's throughput as a percentage of it. Each
configuration runs in its own process so peak RSS and caches do not leak between them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from measure import Meter, hashing_limit
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine, migrate, open_database
from nictbw.adapters.sqlalchemy.repositories import DEFAULT_CHUNK_SIZE
from nictbw.app.workflows import set_collector_pause
from nictbw.domain.events import MAX_EVENT_PAGE
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    bingo_cards_json,
    issue_instances,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    select_top_prize_draw_results,
    update_user_bingo_info,
)
from scenario import (
    EVENT_START,
    build_draws,
    build_visitors,
    grant_blocks,
)

PG_ENV: Final = "NICTBW_TEST_DATABASE_URL"
ADAPTERS: Final = ("memory", "sqlite", "postgres")
ADAPTER_TITLES: Final = {"memory": "memory", "sqlite": "SQLite", "postgres": "PostgreSQL"}
PHASES: Final = (
    ("issue", "bulk issuance (issue_instances)", "instances"),
    ("bingo_update", "update_user_bingo_info, all users", "users"),
    ("bingo_draw", "bingo-line draw (run_bingo_prize_draw)", "eligible instances"),
    ("attendance_draw", "final-attendance draw", "eligible instances"),
    ("top", "select_top_prize_draw_results", "stored results ranked"),
    ("cards_json", "bingo_cards_json, all users", "cards"),
)
CHUNK_SIZE: Final = DEFAULT_CHUNK_SIZE
"""Rows per bulk statement of the SQL adapter: a draw sends one upsert per chunk."""

UowFactory = Callable[[], UnitOfWork]


# -- one configuration (runs in its own process) ---------------------------------------


@contextmanager
def open_adapter(adapter: str) -> Iterator[tuple[UowFactory, Any]]:
    """A fresh, empty store of ``adapter``: a unit-of-work factory and the engine (or None)."""
    if adapter == "memory":
        store = InMemoryStore()
        yield (lambda: InMemoryUnitOfWork(store)), None
    elif adapter == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="nictbw-bench-"))
        engine = open_database(f"sqlite:///{folder / 'bench.db'}")
        try:
            yield (lambda: SqlAlchemyUnitOfWork(engine)), engine
        finally:
            engine.dispose()
            shutil.rmtree(folder, ignore_errors=True)
    elif adapter == "postgres":
        url = os.environ[PG_ENV]
        schema = f"nictbw_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        try:
            migrate(engine)
            yield (lambda: SqlAlchemyUnitOfWork(engine)), engine
        finally:
            engine.dispose()
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            admin.dispose()
    else:
        raise SystemExit(f"unknown adapter {adapter!r}; choose from {', '.join(ADAPTERS)}")


def analyze(engine: Any) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (not measured).

    What autovacuum does in production after a large change; the benchmark server may run
    without it, and plans made on empty-table statistics would then be measured instead.
    """
    if engine is not None and engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def run_configuration(
    adapter: str, users: int, *, seed: int, block: int, limit: int, profile: Path | None
) -> dict[str, Any]:
    """Build the event on a fresh store of ``adapter`` and measure every phase."""
    clock = FixedClock(EVENT_START)
    with open_adapter(adapter) as (new_uow, engine):
        catalogue, visitors = build_visitors(new_uow, users, clock)
        analyze(engine)
        meter = Meter(engine, profile / f"{adapter}-{users}" if profile else None)
        rng = random.Random(seed)

        with meter.phase("issue") as phase:
            phase.calls = 0
            for grants in grant_blocks(rng, visitors, catalogue, block):
                with phase.timed(), new_uow() as uow:
                    issue_instances(uow, grants, rng=rng, clock=clock)
                    uow.commit()
                phase.items += len(grants)
                phase.calls += 1

        issued_events = count_events(new_uow)
        analyze(engine)
        with meter.phase("bingo_update") as phase:
            phase.calls = len(visitors)
            created = unlocked = 0
            for first in range(0, len(visitors), block):
                with new_uow() as uow:
                    for user in visitors[first : first + block]:
                        cards, cells = update_user_bingo_info(uow, user, rng=rng, clock=clock)
                        created += cards
                        unlocked += cells
                    uow.commit()
            phase.items = len(visitors)

        with new_uow() as uow:
            draws = build_draws(uow, clock, seed)
            uow.commit()

        with meter.phase("bingo_draw") as bingo_phase, new_uow() as uow:
            bingo_winners = run_bingo_prize_draw(uow, draws.bingo, clock=clock, limit=limit)
            uow.commit()

        assert catalogue.attendance.id is not None
        with meter.phase("attendance_draw") as attendance_phase, new_uow() as uow:
            attendance_winners = run_final_attendance_prize_draw(
                uow,
                draws.attendance,
                attendance_definition_id=catalogue.attendance.id,
                clock=clock,
                limit=limit,
            )
            uow.commit()

        with meter.phase("top") as top_phase, new_uow() as uow:
            top = select_top_prize_draw_results(uow, draws.bingo, limit=limit, clock=clock)

        with meter.phase("cards_json") as phase, new_uow() as uow:
            phase.calls = len(visitors)
            for user in visitors:
                phase.items += len(bingo_cards_json(uow, user, clock=clock))

        assert draws.bingo.id is not None
        assert draws.bingo_number.id is not None
        assert draws.attendance.id is not None
        assert draws.attendance_number.id is not None
        with new_uow() as uow:
            bingo_numbers = [
                r.draw_number
                for r in uow.draw_results.list_for_draw_type(draws.bingo.id, draws.bingo_number.id)
            ]
            attendance_count = len(
                uow.draw_results.list_for_draw_type(draws.attendance.id, draws.attendance_number.id)
            )
        bingo_phase.items = top_phase.items = len(bingo_numbers)
        attendance_phase.items = attendance_count
        limit_per_second = hashing_limit(bingo_numbers)
        meter.statements.close()
        return {
            "adapter": adapter,
            "users": users,
            "seed": seed,
            "block": block,
            "limit": limit,
            "phases": [p.as_json() for p in meter.phases],
            "hashing_limit_per_second": limit_per_second,
            "bingo_winners": len(bingo_winners),
            "attendance_winners": len(attendance_winners),
            "top_returned": len(top),
            "cards_created_by_update": created,
            "cells_unlocked_by_update": unlocked,
            "process_peak_rss_mb": meter.process_peak_mb,
            "events_appended_by_issuance": issued_events,
        }


def count_events(new_uow: UowFactory) -> int:
    """The pending events of the outbox (not measured): what bulk issuance appended,
    within its measured time, in the same transactions as its badges."""
    count = 0
    with new_uow() as uow:
        after = None
        while page := uow.events.pending(after_id=after, limit=MAX_EVENT_PAGE):
            count += len(page)
            after = page[-1].id
    return count


# -- the driver ------------------------------------------------------------------------


def _spawn(adapter: str, users: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        f"--adapters={adapter}",
        f"--users={users}",
        f"--seed={args.seed}",
        f"--block={args.block}",
        f"--limit={args.limit}",
    ]
    if args.profile:
        command.append(f"--profile={args.profile}")
    if args.no_gc_pause:
        command.append("--no-gc-pause")
    done = subprocess.run(command, check=False, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark of {adapter} with {users} users failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def format_tables(results: list[dict[str, Any]]) -> str:
    """One Markdown table per adapter: every phase for every number of users."""
    lines: list[str] = []
    for adapter in ADAPTERS:
        runs = [r for r in results if r["adapter"] == adapter]
        if not runs:
            continue
        lines.append(f"### {ADAPTER_TITLES[adapter]}")
        lines.append("")
        lines.append(
            "| phase | users | items | seconds | items/s | % of hashing limit "
            "| SQL statements | statements/call | peak RSS MB |"
        )
        lines.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        for key, title, unit in PHASES:
            for run in runs:
                phase = next(p for p in run["phases"] if p["name"] == key)
                share = ""
                if key.endswith("draw") and run["hashing_limit_per_second"]:
                    share = f"{100 * phase['per_second'] / run['hashing_limit_per_second']:.0f} %"
                statements = phase["statements"]
                per_call = "" if statements is None else statements_per_call(phase)
                lines.append(
                    f"| {title} | {_number(run['users'])} | {_number(phase['items'])} {unit} "
                    f"| {phase['seconds']:.3f} | {_number(phase['per_second'])} | {share} "
                    f"| {'' if statements is None else _number(statements)} | {per_call} "
                    f"| {phase['peak_rss_mb']:.0f} |"
                )
        for run in runs:
            lines.append(
                f"| hashing limit (bare sha256 + int loop) | {_number(run['users'])} "
                f"| | | {_number(run['hashing_limit_per_second'])} | 100 % | | "
                f"| {run['process_peak_rss_mb']:.0f} (process) |"
            )
        lines.append("")
    return "\n".join(lines)


def chunk_statements(phase: dict[str, Any]) -> int:
    """The statements of a draw that depend on its size: one upsert per chunk of results."""
    if phase["name"].endswith("draw"):
        return -(-int(phase["items"]) // CHUNK_SIZE)
    return 0


def fixed_statements(phase: dict[str, Any]) -> float:
    """Statements per call apart from the per-chunk ones: the count that must not grow."""
    return (int(phase["statements"]) - chunk_statements(phase)) / max(1, int(phase["calls"]))


def statements_per_call(phase: dict[str, Any]) -> str:
    """``61`` for a constant count, ``3 + 38 chunks`` for a draw."""
    fixed = fixed_statements(phase)
    text = f"{fixed:g}"
    if chunk_statements(phase):
        text += f" + {chunk_statements(phase)} chunks"
    return text


def _phase(run: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in run["phases"] if p["name"] == name)
    return found


def format_targets(results: list[dict[str, Any]]) -> str:
    """The issue's targets against what was measured (only those this run measured)."""
    rows: list[str] = []

    def run_of(adapter: str, users: int) -> dict[str, Any] | None:
        return next((r for r in results if r["adapter"] == adapter and r["users"] == users), None)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    for adapter, floor in (("sqlite", 90_000), ("postgres", 50_000)):
        run = run_of(adapter, 10_000)
        if run is not None:
            rate = _phase(run, "bingo_draw")["per_second"]
            rows.append(
                f"- bingo-line draw, 10,000 users, {ADAPTER_TITLES[adapter]}: "
                f"{_number(rate)}/s (target >= {_number(floor)}/s): {verdict(rate >= floor)}"
            )
    for run in (r for r in results if r["adapter"] == "memory"):
        rate = _phase(run, "bingo_draw")["per_second"]
        share = rate / run["hashing_limit_per_second"]
        rows.append(
            f"- bingo-line draw, {_number(run['users'])} users, memory: {100 * share:.0f} % "
            f"of the hashing limit (target >= 50 %): {verdict(share >= 0.5)}"
        )
    for run in results:
        events = run.get("events_appended_by_issuance")
        if events is not None:
            instances = max(1, int(_phase(run, "issue")["items"]))
            rows.append(
                f"- outbox, {ADAPTER_TITLES[run['adapter']]}, {_number(run['users'])} users: "
                f"bulk issuance appended {_number(events)} domain events "
                f"({events / instances:.2f} per instance), inside its measured time"
            )
    for run in (r for r in results if r["adapter"] == "sqlite"):
        rate = _phase(run, "issue")["per_second"]
        rows.append(
            f"- bulk issuance with bingo updates, {_number(run['users'])} users, SQLite: "
            f"{_number(rate)}/s (target >= 20,000/s): {verdict(rate >= 20_000)}"
        )
    run = run_of("sqlite", 100_000)
    if run is not None:
        peak = _phase(run, "bingo_draw")["peak_rss_mb"]
        rows.append(
            f"- bingo-line draw, 100,000 users, SQLite: peak RSS {peak:.0f} MB "
            f"(target < 500 MB): {verdict(peak < 500)}"
        )
    for adapter in ("sqlite", "postgres"):
        runs = [r for r in results if r["adapter"] == adapter]
        if len(runs) < 2:
            continue
        varying = [
            key
            for key, _title, _unit in PHASES
            if len({fixed_statements(_phase(r, key)) for r in runs}) > 1
        ]
        rows.append(
            f"- SQL statements per call independent of the number of users (draws: plus "
            f"one upsert per {CHUNK_SIZE:,} results), {ADAPTER_TITLES[adapter]}: "
            + (verdict(True) if not varying else f"NOT met for {', '.join(varying)}")
        )
    return "\n".join(rows)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", default="1000,10000", help="comma-separated user counts")
    parser.add_argument(
        "--adapters",
        default=None,
        help=f"comma-separated adapters (default: memory,sqlite and postgres when {PG_ENV} is set)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--block", type=int, default=1000, help="visitors per issuance call")
    parser.add_argument("--limit", type=int, default=100, help="winners per draw (with ties)")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats here")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--no-gc-pause",
        action="store_true",
        help="leave the cyclic collector running (the library default for embedders)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    """Run every requested configuration and print the tables."""
    args = parse_args(argv)
    sizes = [int(part.replace("_", "")) for part in args.users.split(",") if part]
    if args.adapters is None:
        adapters = ["memory", "sqlite"] + (["postgres"] if os.environ.get(PG_ENV) else [])
    else:
        adapters = [a.strip() for a in args.adapters.split(",") if a.strip()]
    if args.worker:
        set_collector_pause(not args.no_gc_pause)  # the command line's setting
        result = run_configuration(
            adapters[0],
            sizes[0],
            seed=args.seed,
            block=args.block,
            limit=args.limit,
            profile=args.profile,
        )
        print(json.dumps(result))
        return
    if "postgres" in adapters and not os.environ.get(PG_ENV):
        raise SystemExit(f"the postgres adapter needs {PG_ENV}")
    results = []
    for adapter in adapters:
        for users in sizes:
            print(f"running {adapter} with {users:,} users ...", file=sys.stderr, flush=True)
            results.append(_spawn(adapter, users, args))
    print(format_tables(results))
    print("Targets:")
    print(format_targets(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
