"""What the outbox costs bulk issuance: the same issuance with and without its events.

Each run is a fresh process that builds the seeded event of ``bench/scenario.py`` (users
not measured) and times ``issue_instances`` in blocks of 1,000 visitors, each committed:
once as nictbw runs it (events appended in the transaction of their badges) and once
with the append step replaced by nothing. The two modes alternate, so load that drifts
during the benchmark is shared between them. Printed per run: wall and CPU seconds of
the issuance, events appended; then the median overhead of events in wall and CPU time.

    .venv/bin/python bench/events_cost.py --users 3000 --runs 3 --adapters sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from nictbw.adapters.clock import FixedClock
from nictbw.app.workflows import set_collector_pause
from nictbw.workflows import issue_instances
from run import count_events, open_adapter
from scenario import EVENT_START, build_visitors, grant_blocks

MODES = ("with events", "without events")


def measure(adapter: str, users: int, seed: int, block: int, events: bool) -> dict[str, Any]:
    """Build the event on a fresh store and time its bulk issuance (one process)."""
    if not events:
        from nictbw.app.workflows import _issuing

        _issuing.append_issuing_events = lambda *args, **kwargs: None  # type: ignore[assignment]
    set_collector_pause(True)
    clock = FixedClock(EVENT_START)
    with open_adapter(adapter) as (new_uow, _engine):
        catalogue, visitors = build_visitors(new_uow, users, clock)
        rng = random.Random(seed)
        wall = cpu = 0.0
        instances = 0
        for grants in grant_blocks(rng, visitors, catalogue, block):
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            with new_uow() as uow:
                issue_instances(uow, grants, rng=rng, clock=clock)
                uow.commit()
            wall += time.perf_counter() - start_wall
            cpu += time.process_time() - start_cpu
            instances += len(grants)
        return {"wall": wall, "cpu": cpu, "instances": instances, "events": count_events(new_uow)}


def main() -> None:
    """Alternate the two modes ``--runs`` times per adapter and print the overhead."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--adapters", default="memory,sqlite")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--block", type=int, default=1000)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        adapter, mode = args.child.split(":")
        figures = measure(adapter, args.users, args.seed, args.block, mode == "on")
        print(json.dumps(figures))
        return
    for adapter in args.adapters.split(","):
        results: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for run in range(args.runs):
            for mode, flag in zip(MODES, ("on", "off"), strict=True):
                child = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--users",
                        str(args.users),
                        "--seed",
                        str(args.seed),
                        "--block",
                        str(args.block),
                        "--child",
                        f"{adapter}:{flag}",
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=Path(__file__).parent,
                    env={**os.environ},
                )
                figures = json.loads(child.stdout.strip().splitlines()[-1])
                results[mode].append(figures)
                print(
                    f"{adapter:7} run {run + 1} {mode:15} wall {figures['wall']:7.3f} s  "
                    f"cpu {figures['cpu']:7.3f} s  instances {figures['instances']:,}  "
                    f"events {figures['events']:,}",
                    flush=True,
                )
        for measure_name in ("wall", "cpu"):
            on = statistics.median(r[measure_name] for r in results[MODES[0]])
            off = statistics.median(r[measure_name] for r in results[MODES[1]])
            print(
                f"{adapter:7} median {measure_name}: {on:.3f} s with events, {off:.3f} s "
                f"without: overhead {100 * (on - off) / off:+.1f} %"
            )


if __name__ == "__main__":
    main()
