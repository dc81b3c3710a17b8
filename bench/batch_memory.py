"""The batch draw over every instance of the shape scenario: time and peak RSS.

    python bench/batch_memory.py --users 100000 --adapter sqlite

Builds the shape of ``bench/shape.py`` (N users, 30 definitions, every user holding the
centre and 8 random others: 9 instances per user) with the bulk paths (users in blocks,
``issue_instances`` per 1,000 users; not measured), then measures
``run_prize_draw_batch_summary`` over every instance, given two ways, each in its own
process on its own build: the instances streamed page by page from a second unit of
work, and their ids (``instance_ids``, read by the draw as candidate columns). Per way:
wall seconds, CPU seconds, SQL statements and the phase's own peak RSS (and the process
peak before it, for comparison).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time

from measure import Meter
from nictbw.adapters.clock import FixedClock
from nictbw.app.workflows import set_collector_pause
from nictbw.domain.entities import PrizeDrawType
from nictbw.workflows import (
    Grant,
    create_prize_draw_type,
    issue_instances,
    run_prize_draw_batch_summary,
    submit_winning_number,
)
from run import analyze, open_adapter
from scenario import EVENT_START, add_users
from shape import OTHERS_PER_USER, THRESHOLD, _origin, build_catalogue, stream_instances


def main(argv: list[str]) -> None:
    """Build the shape on one adapter, then measure the streamed batch-draw summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--adapter", default="sqlite")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--given",
        default="instances,ids",
        help="comma-separated: instances (streamed entities) and/or ids (instance_ids)",
    )
    args = parser.parse_args(argv)
    ways = args.given.split(",")
    if len(ways) > 1:
        # Each way in its own process on its own build: a second draw in the same store
        # would write into a results table already holding the first one's rows.
        for way in ways:
            command = [sys.executable, __file__, *argv, f"--given={way}"]
            subprocess.run(command, check=True)
        return
    set_collector_pause(True)
    clock = FixedClock(EVENT_START)
    rng = random.Random(args.seed)
    with open_adapter(args.adapter) as (new_uow, engine):
        with new_uow() as uow:
            catalogue = build_catalogue(uow, clock)
            uow.commit()
        users = []
        for first in range(0, args.users, 5_000):
            with new_uow() as uow:
                users.extend(add_users(uow, first, min(5_000, args.users - first), clock))
                uow.commit()
        centre, others = catalogue[0], catalogue[1:]
        for first in range(0, args.users, 1_000):
            grants = []
            for user in users[first : first + 1_000]:
                grants.append(Grant(user, centre, _origin(rng)))
                grants.extend(
                    Grant(user, badge, _origin(rng))
                    for badge in rng.sample(others, OTHERS_PER_USER)
                )
            with new_uow() as uow:
                issue_instances(uow, grants, rng=rng, clock=clock)
                uow.commit()
        del users
        analyze(engine)
        total = args.users * (OTHERS_PER_USER + 1)
        for given in ways:
            with new_uow() as uow:
                draw_type = create_prize_draw_type(
                    uow,
                    PrizeDrawType(
                        internal_name=f"batch-{given}",
                        algorithm_key="sha256_hex_proximity",
                        default_threshold=THRESHOLD,
                    ),
                    clock=clock,
                )
                submit_winning_number(uow, draw_type, _origin(rng).upper(), clock=clock)
                uow.commit()
            meter = Meter(engine)
            cpu = time.process_time()
            with meter.phase("batch_draw_summary") as phase, new_uow() as uow:
                if given == "ids":
                    summary = run_prize_draw_batch_summary(
                        uow, draw_type, instance_ids=range(1, total + 1), clock=clock
                    )
                else:
                    summary = run_prize_draw_batch_summary(
                        uow, draw_type, instances=stream_instances(new_uow, total), clock=clock
                    )
                uow.commit()
                phase.items = summary.evaluated
            cpu = time.process_time() - cpu
            print(
                f"{args.adapter} users={args.users:,}, given {given}: "
                f"run_prize_draw_batch_summary over {phase.items:,} instances in "
                f"{phase.seconds:.1f} s wall, {cpu:.1f} s CPU, {phase.statements} statements, "
                f"phase peak RSS {phase.peak_rss_mb:.0f} MB (process peak "
                f"{meter.process_peak_mb:.0f} MB); wins {summary.wins:,}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
