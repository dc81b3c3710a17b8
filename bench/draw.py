"""The bingo-line draw alone, repeated: wall and CPU time, eligible/s, hashing-limit share.

    python bench/draw.py --users 10000 --adapters memory,sqlite,postgres --repeat 3

Builds the event of ``bench/scenario.py`` (users and bulk issuance, not measured) on a
fresh store of each adapter, then runs ``run_bingo_prize_draw(limit=100)`` ``--repeat``
times, each on a new draw type with its own winning number (so every run inserts every
result, as a first draw does), committed. Per run it prints wall seconds, the process's
CPU seconds (``time.process_time``: on a shared machine the CPU time is the steadier
figure; on PostgreSQL it leaves out the server's work), eligible/s and the share of the
hashing limit measured in the same process over the draw's own draw numbers.

``--drop-result-fks user_id,definition_id`` (PostgreSQL only) is a what-if: before the
draws it removes those foreign keys of ``prize_draw_results`` in the benchmark's own
throw-away schema, to show what each per-row key check costs the draw.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import random
import subprocess
import sys
import time
from typing import Any

from measure import hashing_limit
from nictbw.adapters.clock import FixedClock
from nictbw.app.workflows import set_collector_pause
from nictbw.domain.entities import PrizeDrawType
from nictbw.workflows import (
    create_prize_draw_type,
    issue_instances,
    run_bingo_prize_draw,
    submit_winning_number,
)
from run import analyze, open_adapter
from scenario import (
    ALGORITHM,
    BINGO_THRESHOLD,
    EVENT_START,
    build_visitors,
    grant_blocks,
)

RESULT_FOREIGN_KEYS = (
    "draw_type_id",
    "winning_number_id",
    "user_id",
    "definition_id",
    "nft_instance_id",
)


def drop_result_foreign_keys(engine: Any, columns: list[str]) -> None:
    """Remove the foreign keys of ``prize_draw_results`` on ``columns`` (PostgreSQL)."""
    with engine.begin() as connection:
        for column in columns:
            connection.exec_driver_sql(
                f"ALTER TABLE prize_draw_results DROP CONSTRAINT fk_prize_draw_results_{column}"
            )


def run_configuration(
    adapter: str,
    users: int,
    repeat: int,
    seed: int,
    profile: str | None = None,
    drop_fks: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Build the event on ``adapter`` and time ``repeat`` bingo-line draws."""
    clock = FixedClock(EVENT_START)
    runs: list[dict[str, Any]] = []
    with open_adapter(adapter) as (new_uow, engine):
        catalogue, visitors = build_visitors(new_uow, users, clock)
        rng = random.Random(seed)
        for grants in grant_blocks(rng, visitors, catalogue, 1_000):
            with new_uow() as uow:
                issue_instances(uow, grants, rng=rng, clock=clock)
                uow.commit()
        analyze(engine)
        if drop_fks and adapter == "postgres":
            drop_result_foreign_keys(engine, list(drop_fks))
        numbers = random.Random(f"draw-bench-{seed}")
        draw_numbers: list[str] = []
        for run in range(repeat):
            with new_uow() as uow:
                draw_type = create_prize_draw_type(
                    uow,
                    PrizeDrawType(
                        internal_name=f"bench_bingo_{run}",
                        algorithm_key=ALGORITHM,
                        default_threshold=BINGO_THRESHOLD,
                    ),
                    clock=clock,
                )
                submit_winning_number(
                    uow, draw_type, f"{numbers.getrandbits(256):064X}", clock=clock
                )
                uow.commit()
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            profiler = cProfile.Profile() if profile and run == 0 else None
            if profiler is not None:
                profiler.enable()
            with new_uow() as uow:
                outcome = run_bingo_prize_draw(uow, draw_type, clock=clock, limit=100)
                uow.commit()
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(f"{profile}-{adapter}.prof")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            runs.append({"seconds": wall, "cpu_seconds": cpu, "eligible": outcome.eligible})
            if not draw_numbers:
                assert draw_type.id is not None
                with new_uow() as uow:
                    draw_numbers = [
                        r.draw_number for r in uow.draw_results.list_for_draw_type(draw_type.id)
                    ]
    limit = hashing_limit(draw_numbers)
    return {"adapter": adapter, "users": users, "runs": runs, "hashing_limit": limit}


def main(argv: list[str]) -> None:
    """Parse arguments; run each adapter in its own process; print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--adapters", default="memory,sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", default=None, help="cProfile file prefix (first run)")
    parser.add_argument(
        "--drop-result-fks",
        default="",
        help="PostgreSQL what-if: comma-separated result columns whose foreign keys to remove",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    drop_fks = tuple(c for c in args.drop_result_fks.split(",") if c)
    unknown = sorted(set(drop_fks) - set(RESULT_FOREIGN_KEYS))
    if unknown:
        raise SystemExit(f"no foreign key on {unknown}; choose from {RESULT_FOREIGN_KEYS}")
    if args.worker:
        set_collector_pause(True)
        result = run_configuration(
            args.adapters, args.users, args.repeat, args.seed, args.profile, drop_fks
        )
        print(json.dumps(result))
        return
    for adapter in args.adapters.split(","):
        output = subprocess.run(
            [
                *(sys.executable, __file__, "--worker", "--adapters", adapter),
                *("--users", str(args.users), "--repeat", str(args.repeat)),
                *("--seed", str(args.seed)),
                *(("--profile", args.profile) if args.profile else ()),
                *(("--drop-result-fks", args.drop_result_fks) if drop_fks else ()),
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        limit = result["hashing_limit"]
        for n, run in enumerate(result["runs"], 1):
            rate = run["eligible"] / run["seconds"]
            cpu_rate = run["eligible"] / run["cpu_seconds"] if run["cpu_seconds"] else 0.0
            dropped = (
                f" without fks on {','.join(drop_fks)}"
                if drop_fks and adapter == "postgres"
                else ""
            )
            print(
                f"{adapter:8}{dropped} users={args.users} run {n}: {run['eligible']:,} eligible "
                f"in {run['seconds']:.3f} s wall ({rate:,.0f}/s, {rate / limit:.0%} of "
                f"hashing limit {limit:,.0f}/s), {run['cpu_seconds']:.3f} s CPU "
                f"({cpu_rate:,.0f}/s)"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
