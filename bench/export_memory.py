"""Peak memory of ``draw export`` and ``verify`` as the number of candidates grows.

    python bench/export_memory.py                       # 10,000 and 200,000 candidates
    python bench/export_memory.py --candidates 1000,50000

For each size a fresh process builds a SQLite event holding one final-attendance draw of
that many candidates (users and badges bulk-inserted, the draw run by the real
workflow), then two more fresh processes export it to a file (``write_draw_export`` +
``atomic_write``, as ``nictbw draw export -o`` does) and verify the file
(``verify_export_file``, as ``nictbw verify`` does). Each prints its seconds and peak RSS
(``ru_maxrss``); a process that only imports nictbw and opens the database gives the
baseline. Constant memory shows as the same peak RSS at every size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

DEFAULT_SIZES: Final = (10_000, 200_000)
AT: Final = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(path: Path, candidates: int) -> dict[str, Any]:
    """A SQLite event with one final-attendance draw of ``candidates`` candidates."""
    from sqlalchemy import insert

    from nictbw.adapters.clock import FixedClock
    from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, open_database
    from nictbw.adapters.sqlalchemy.tables import nft_instances, users
    from nictbw.domain.entities import Admin, NFTDefinition, PrizeDrawType
    from nictbw.workflows import (
        create_nft_definition,
        create_prize_draw_type,
        register_admin,
        run_final_attendance_prize_draw,
        submit_winning_number,
    )

    started = time.perf_counter()
    clock = FixedClock(AT)
    engine = open_database(f"sqlite:///{path}")
    with SqlAlchemyUnitOfWork(engine) as uow:
        admin = register_admin(uow, Admin(email="ops@example.org", password_hash="x"), clock=clock)
        badge = create_nft_definition(
            uow,
            NFTDefinition(
                prefix="FINAL", shared_key="k", name="Final day", created_by_admin_id=admin.id
            ),
            clock=clock,
        )
        create_prize_draw_type(
            uow,
            PrizeDrawType(internal_name="final", algorithm_key="sha256_hex_proximity"),
            clock=clock,
        )
        uow.commit()
    with engine.begin() as connection:
        for first in range(0, candidates, 10_000):
            block = range(first + 1, min(first + 10_001, candidates + 1))
            connection.execute(
                insert(users),
                [
                    {"id": i, "in_app_id": f"user-{i:07d}", "created_at": AT, "updated_at": AT}
                    for i in block
                ],
            )
            connection.execute(
                insert(nft_instances),
                [
                    {
                        "id": i,
                        "user_id": i,
                        "definition_id": badge.id,
                        "serial_number": i,
                        "unique_instance_id": f"FINAL-{i:07d}",
                        "acquired_at": AT,
                        "nft_origin": hashlib.sha256(str(i).encode()).hexdigest() + "_0",
                        "created_at": AT,
                        "updated_at": AT,
                    }
                    for i in block
                ],
            )
    with SqlAlchemyUnitOfWork(engine) as uow:
        draw_type = uow.draw_types.get_by_internal_name("final")
        assert draw_type is not None
        number = submit_winning_number(uow, draw_type, "benchmark-42", clock=clock)
        run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=badge.id,
            winning_number=number,
            threshold=0.8,
            clock=clock,
        )
        uow.commit()
    engine.dispose()
    return {"seconds": time.perf_counter() - started}


def baseline(path: Path) -> dict[str, Any]:
    """Import everything export and verify use and open the database; nothing else."""
    from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine
    from nictbw.app.files import atomic_write  # noqa: F401
    from nictbw.domain.export import verify_export_file  # noqa: F401
    from nictbw.workflows import write_draw_export  # noqa: F401

    engine = make_engine(f"sqlite:///{path}")
    with SqlAlchemyUnitOfWork(engine) as uow:
        uow.draw_types.list()
    return {"seconds": 0.0}


def export(path: Path, target: Path) -> dict[str, Any]:
    """Export the draw to ``target`` as ``nictbw draw export -o`` does."""
    from nictbw.adapters.clock import FixedClock
    from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine
    from nictbw.app.files import atomic_write
    from nictbw.workflows import write_draw_export

    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    with SqlAlchemyUnitOfWork(engine) as uow, atomic_write(target) as stream:
        totals = write_draw_export(uow, "final", stream, clock=FixedClock(AT))
    return {"seconds": time.perf_counter() - started, "winners": totals.winner_count}


def verify(target: Path) -> dict[str, Any]:
    """Verify the exported file as ``nictbw verify`` does."""
    from nictbw.domain.export import verify_export_file

    started = time.perf_counter()
    report = verify_export_file(target)
    assert report.ok, report.problems[:3]
    return {"seconds": time.perf_counter() - started, "candidates": report.candidate_count}


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _run_child(step: str, rest: list[str]) -> None:
    if step == "build":
        result = build(Path(rest[0]), int(rest[1]))
    elif step == "baseline":
        result = baseline(Path(rest[0]))
    elif step == "export":
        result = export(Path(rest[0]), Path(rest[1]))
    else:
        result = verify(Path(rest[0]))
    result["peak_mib"] = _peak_mib()
    print(json.dumps(result))


def main() -> None:
    """Parse the options, run every size in fresh processes and print a table."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _run_child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--candidates",
        default=",".join(str(n) for n in DEFAULT_SIZES),
        help="comma-separated draw sizes",
    )
    options = parser.parse_args()
    sizes = [int(n) for n in options.candidates.split(",")]
    print(f"{'candidates':>10}  {'step':<9} {'seconds':>8} {'peak RSS MiB':>13}  {'file MiB':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            database = Path(folder) / f"draw-{size}.db"
            target = Path(folder) / f"draw-{size}.json"
            build_result = _child(["build", str(database), str(size)])
            rows = [
                ("baseline", _child(["baseline", str(database)])),
                ("export", _child(["export", str(database), str(target)])),
                ("verify", _child(["verify", str(target)])),
            ]
            mib = target.stat().st_size / 2**20
            print(f"{size:>10}  {'(build)':<9} {build_result['seconds']:>8.1f}")
            for step, result in rows:
                print(
                    f"{size:>10}  {step:<9} {result['seconds']:>8.1f} "
                    f"{result['peak_mib']:>13.0f}  {mib if step != 'baseline' else 0:>8.1f}"
                )
            database.unlink()
            target.unlink()


if __name__ == "__main__":
    main()
