"""Benchmark of ``import_legacy``: build a v1.x legacy SQLite database, import it, print
the import time and the peak RSS.

    python bench/legacy_import.py                 # 100,000 users, 900,000 instances
    python bench/legacy_import.py --users 10000   # scaled down
    python bench/legacy_import.py --target memory # a dry run into the in-memory store

The legacy tables come from the test support code (``tests/integration/legacy``), so the
benchmark reads exactly the schema the tests build. Each user holds ``--per-user``
instances; every tenth user has a card whose top row is unlocked; every fifth instance
has a result against one winning number.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402
from tests.integration.legacy.support import legacy_metadata  # noqa: E402

from nictbw.app.legacy_import import run_import_legacy  # noqa: E402
from nictbw.domain.scoring import sha256_hex_proximity  # noqa: E402

DEFINITIONS = 20
STAMP = "2025-03-01 09:30:00.000000"


def _users(count: int) -> Iterator[tuple[object, ...]]:
    for uid in range(1, count + 1):
        yield (
            uid,
            f"app-{uid}",
            f"user{uid}@example.org",
            f"hash-{uid}",
            0,
            f"nick{uid}",
            f"user{uid}@pay.example",
            f"chain-{uid}",
            None,
            0,
            0,
            STAMP,
            STAMP,
        )


def _instances(users: int, per_user: int) -> Iterator[tuple[object, ...]]:
    serials = [0] * (DEFINITIONS + 1)
    iid = 0
    for uid in range(1, users + 1):
        for k in range(per_user):
            did = (uid + k) % DEFINITIONS + 1
            iid += 1
            serial = serials[did]
            serials[did] += 1
            yield (
                iid,
                uid,
                did,
                None,
                serial,
                f"D{did}-{iid:012d}",
                STAMP,
                "succeeded",
                iid,
                f"tx{iid:08x}_0",
                f"tx{iid:08x}_0",
                f"Badge {did}",
                None,
                STAMP,
                None,
                f"tx{iid:08x}",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )


def build(path: Path, users: int, per_user: int) -> int:
    """Write the legacy database; returns the number of instances."""
    engine = create_engine(f"sqlite:///{path}")
    legacy_metadata("v1").create_all(engine)
    engine.dispose()
    db = sqlite3.connect(path)
    db.executemany(
        "INSERT INTO admins VALUES (1, 'boss@example.org', 'h', 'Boss', NULL, ?, ?)",
        [(STAMP, STAMP)],
    )
    db.executemany(
        "INSERT INTO nft_definitions (id, prefix, shared_key, name, nft_type, minted_count, "
        "status, triggers_bingo_card, distributes_coupons, bingo_is_center, "
        "bingo_force_include, is_dummy, can_be_center, bingo_random_candidate, "
        "allow_bingo_duplicates, is_public, created_by_admin_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'default', ?, 'active', ?, 1, 0, 0, 0, 1, 1, 1, 1, 1, ?, ?)",
        [
            (d, f"D{d}", f"key{d}", f"Badge {d}", 0, int(d == 1), STAMP, STAMP)
            for d in range(1, DEFINITIONS + 1)
        ],
    )
    db.executemany("INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", _users(users))
    db.executemany(
        "INSERT INTO nft_instances VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        _instances(users, per_user),
    )
    db.execute(
        "UPDATE nft_definitions SET minted_count = (SELECT count(*) FROM nft_instances "
        "WHERE definition_id = nft_definitions.id)"
    )
    db.execute(
        "INSERT INTO prize_draw_types VALUES (1, 'weekly', NULL, NULL, "
        "'sha256_hex_proximity', 0.5, ?, ?)",
        (STAMP, STAMP),
    )
    db.execute("INSERT INTO prize_draw_winning_numbers VALUES (1, 1, 'abd', ?)", (STAMP,))
    cards = [
        (uid // 10, uid, None, STAMP, None, None, None, None, "active", 0)
        for uid in range(10, users + 1, 10)
    ]
    db.executemany("INSERT INTO bingo_cards VALUES (?,?,?,?,?,?,?,?,?,?)", cards)
    cells = []
    for card_id, uid, *_ in cards:
        for idx in range(9):
            did = (uid + idx) % DEFINITIONS + 1
            matched = (uid - 1) * per_user + idx + 1 if idx < 3 and idx < per_user else None
            cells.append(
                (
                    card_id * 10 + idx,
                    card_id,
                    idx,
                    did,
                    did if matched else None,
                    matched,
                    "unlocked" if matched else "locked",
                    STAMP if matched else None,
                )
            )
    db.executemany("INSERT INTO bingo_cells VALUES (?,?,?,?,?,?,?,?)", cells)
    instances = users * per_user
    results = []
    for iid in range(1, instances + 1, 5):
        uid = (iid - 1) // per_user + 1
        did = (uid + (iid - 1) % per_user) % DEFINITIONS + 1
        draw = f"tx{iid:08x}_0"
        score = sha256_hex_proximity(draw, "abd")
        results.append(
            (
                len(results) + 1,
                None,
                1,
                1,
                uid,
                did,
                iid,
                draw,
                score.score,
                score.draw_top_digits,
                score.winning_top_digits,
                0.5,
                "win" if score.score >= 0.5 else "lose",
                STAMP,
            )
        )
    db.executemany("INSERT INTO prize_draw_results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", results)
    db.commit()
    db.close()
    return instances


def main() -> None:
    """Build, import, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--per-user", type=int, default=9)
    parser.add_argument("--target", choices=("sqlite", "memory"), default="sqlite")
    parser.add_argument(
        "--source", type=Path, help="import this legacy file (built earlier) instead of building"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nictbw-legacy-bench-"))
    source = args.source or folder / "legacy.db"
    if args.source is None:
        started = time.perf_counter()
        instances = build(source, args.users, args.per_user)
        built = time.perf_counter() - started
        print(f"built {args.users:,} users, {instances:,} instances in {built:.1f} s")
        print(f"  (import it again in a fresh process with --source {source})")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu_started = time.perf_counter(), time.process_time()
    report, _ = run_import_legacy(
        f"sqlite:///{source}",
        database=f"sqlite:///{folder / 'nictbw.db'}",
        dry_run=args.target == "memory",
    )
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"imported into {args.target} in {seconds:.1f} s wall, {cpu:.1f} s CPU")
    print(f"  imported: {dict(report.imported)}")
    print(f"  skipped: {report.skipped_count}, disagreements: {len(report.score_disagreements)}")
    print(f"  peak RSS: {rss:.0f} MB (after building: {rss_before:.0f} MB)")
    print(f"  files in {folder}")


if __name__ == "__main__":
    main()
