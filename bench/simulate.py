"""``nictbw simulate`` end to end at city scale: wall time, CPU time and peak RSS.

    python bench/simulate.py                          # 100,000 visitors on SQLite
    python bench/simulate.py --users 10000,50000,100000
    python bench/simulate.py --users 5000 --database postgresql+psycopg://...

Each size runs ``nictbw simulate --users N --json`` in a fresh process on a new SQLite
file (or on the given database, which must be empty) and reads the child's resource
usage when it ends: wall seconds, CPU seconds (user + system; the machine may be shared,
so CPU time is the steadier figure) and peak resident set size. The phases come from the
report's ``timings``. Cost per visitor is printed so linearity shows at a glance.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PHASES = ("registration", "issuance", "sync", "bingo", "draws", "report")


def run_once(users: int, database: str | None, seed: int) -> dict[str, Any]:
    """One simulation in a child process; its figures."""
    folder = Path(tempfile.mkdtemp(prefix="nictbw-simulate-"))
    url = database or f"sqlite:///{folder / 'simulate.db'}"
    command = [
        sys.executable,
        "-m",
        "nictbw",
        "simulate",
        f"--users={users}",
        f"--seed={seed}",
        f"--database={url}",
        "--json",
    ]
    started = time.perf_counter()
    try:
        with (folder / "out.json").open("w+b") as out, (folder / "err.txt").open("w+b") as err:
            child = subprocess.Popen(command, stdout=out, stderr=err)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            answer, problem = out.read(), err.read()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if status != 0:
        raise SystemExit(f"simulate --users {users} failed:\n{problem.decode(errors='replace')}")
    report = json.loads(answer)
    return {
        "users": users,
        "seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "timings": report["timings"],
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="100000", help="comma-separated visitor counts")
    parser.add_argument("--database", default=None, help="an empty database (default: SQLite)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(part.replace("_", "")) for part in args.users.split(",") if part]
    header = " | ".join(PHASES)
    print(f"| visitors | wall s | CPU s | CPU ms/visitor | peak RSS MB | {header} |")
    print("|---:|---:|---:|---:|---:|" + "---:|" * len(PHASES))
    for users in sizes:
        print(f"running simulate --users {users:,} ...", file=sys.stderr, flush=True)
        row = run_once(users, args.database, args.seed)
        phases = " | ".join(f"{row['timings'].get(p, 0.0):.1f}" for p in PHASES)
        print(
            f"| {users:,} | {row['seconds']:.1f} | {row['cpu_seconds']:.1f} "
            f"| {1000 * row['cpu_seconds'] / users:.2f} | {row['peak_rss_mb']:.0f} | {phases} |",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
