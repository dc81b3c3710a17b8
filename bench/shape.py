"""The "shape" scenario: the data shape the issue compares nictbw with the older system on.

    python bench/shape.py --users 10000 --adapters sqlite,postgres,memory
    python bench/shape.py --users 10000 --adapters sqlite --json shape.json

N users, 30 definitions: one centre (a card trigger) and 29 others; every user holds the
centre and 8 random others, each with a random 64-hex origin (``<hex>_0``). Beside the
event scenario of ``bench/run.py`` it measures, per phase (wall time, SQL data
statements, peak RSS of the phase):

- ``add_users``: adding the users one by one (``uow.users.add``);
- ``issue``: ``issue_instances`` per 1,000 users (the set-up; measured for reference);
- ``cards_json``: ``bingo_cards_json`` once per user, all in one unit of work;
  ``cards_json_per_uow``: the same with a unit of work per call, as a service handles a
  request; ``cards_json_many``: the same through ``bingo_cards_json_many``;
- ``bingo_update``: ``update_user_bingo_info`` once per user (nothing to do);
  ``bingo_update_many``: the same through ``update_bingo_info_many``;
- ``bingo_draw``: ``run_bingo_prize_draw(limit=100)`` (eligible/s);
- ``batch_draw``: ``run_prize_draw_batch`` over every instance (a stream of them, read
  page by page), its evaluations kept; ``batch_draw_summary``: the same draw through
  ``run_prize_draw_batch_summary`` (counts and the top 100 only);
- the hashing limit: a bare ``sha256`` + ``int(hexdigest, 16)`` loop over the draw
  numbers of the bingo draw, and each draw as a share of it.

Every adapter and size runs in its own process (peak RSS and caches do not leak).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import nictbw.workflows as workflows
from measure import Meter, hashing_limit
from nictbw.adapters.clock import FixedClock
from nictbw.app.workflows import set_collector_pause
from nictbw.domain.entities import Admin, NFTDefinition, NFTInstance, PrizeDrawType, User
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    Grant,
    bingo_cards_json,
    create_nft_definition,
    create_prize_draw_type,
    issue_instances,
    register_admin,
    run_bingo_prize_draw,
    run_prize_draw_batch,
    submit_winning_number,
    update_user_bingo_info,
)
from run import ADAPTER_TITLES, PG_ENV, analyze, open_adapter
from scenario import EVENT_START

DEFINITIONS: Final = 30
OTHERS_PER_USER: Final = 8
USER_COMMIT: Final = 5_000
ISSUE_BLOCK: Final = 1_000
PAGE: Final = 5_000
THRESHOLD: Final = 0.7
PHASES: Final = (
    ("add_users", "adding the users one by one", "users"),
    ("issue", "issue_instances (set-up)", "instances"),
    ("cards_json", "bingo_cards_json, one call per user", "users"),
    ("cards_json_per_uow", "bingo_cards_json, one unit of work per call", "users"),
    ("cards_json_many", "bingo_cards_json_many, every user", "users"),
    ("bingo_update", "update_user_bingo_info, every user (nothing to do)", "users"),
    ("bingo_update_many", "update_bingo_info_many, every user", "users"),
    ("bingo_draw", "bingo-line draw (run_bingo_prize_draw)", "eligible"),
    ("batch_draw", "run_prize_draw_batch, every instance", "instances"),
    ("batch_draw_summary", "run_prize_draw_batch_summary, every instance", "instances"),
)


def _origin(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}_0"


def build_catalogue(uow: UnitOfWork, clock: FixedClock) -> list[NFTDefinition]:
    """An admin, the centre (first) and 29 others."""
    admin = register_admin(
        uow, Admin(email="ops@shape.example", password_hash="x", name="shape"), clock=clock
    )
    found = []
    for n in range(DEFINITIONS):
        centre = n == 0
        spec = NFTDefinition(
            prefix="CENTRE" if centre else f"BADGE-{n:02d}",
            shared_key=f"key-{n}",
            name=f"Badge {n}",
            created_by_admin_id=admin.id,
            triggers_bingo_card=centre,
            bingo_random_candidate=not centre,
        )
        found.append(create_nft_definition(uow, spec, clock=clock))
    return found


def add_users(new_uow: Any, users: int, clock: FixedClock) -> list[User]:
    """``users`` users added one by one (``uow.users.add``), committed per 5,000."""
    people: list[User] = []
    for first in range(0, users, USER_COMMIT):
        with new_uow() as uow:
            for n in range(first, min(users, first + USER_COMMIT)):
                people.append(
                    uow.users.add(
                        User(
                            in_app_id=f"shape-{n:06d}",
                            email=f"shape-{n:06d}@shape.example",
                            created_at=clock.now(),
                            updated_at=clock.now(),
                        )
                    )
                )
            uow.commit()
    return people


def issue_badges(
    new_uow: Any,
    people: list[User],
    catalogue: list[NFTDefinition],
    rng: random.Random,
    clock: FixedClock,
) -> int:
    """Each user the centre and 8 random others, ``issue_instances`` per 1,000 users,
    each with a random origin; the number of badges issued."""
    centre, others = catalogue[0], catalogue[1:]
    issued = 0
    for first in range(0, len(people), ISSUE_BLOCK):
        grants = []
        for user in people[first : first + ISSUE_BLOCK]:
            grants.append(Grant(user, centre, _origin(rng)))
            for badge in rng.sample(others, OTHERS_PER_USER):
                grants.append(Grant(user, badge, _origin(rng)))
        with new_uow() as uow:
            issue_instances(uow, grants, rng=rng, clock=clock)
            uow.commit()
        issued += len(grants)
    return issued


def stream_instances(new_uow: Any, total: int) -> Iterator[NFTInstance]:
    """Every instance, read page by page in a separate unit of work (ids are dense)."""
    with new_uow() as reader:
        for first in range(1, total + 1, PAGE):
            page = reader.instances.get_many(range(first, min(first + PAGE, total + 1)))
            yield from (page[i] for i in sorted(page))


def run_configuration(
    adapter: str, users: int, seed: int, profile: Path | None = None
) -> dict[str, Any]:
    """Build the shape on a fresh store of ``adapter`` and measure every phase."""
    clock = FixedClock(EVENT_START)
    rng = random.Random(seed)
    with open_adapter(adapter) as (new_uow, engine):
        with new_uow() as uow:
            catalogue = build_catalogue(uow, clock)
            uow.commit()
        meter = Meter(engine, profile / f"{adapter}-{users}" if profile else None)
        with meter.phase("add_users") as phase:
            people = add_users(new_uow, users, clock)
            phase.items = phase.calls = users
        analyze(engine)
        with meter.phase("issue") as phase:
            phase.items = issue_badges(new_uow, people, catalogue, rng, clock)
        instances = users * (OTHERS_PER_USER + 1)
        analyze(engine)

        with meter.phase("cards_json") as phase, new_uow() as uow:
            for user in people:
                bingo_cards_json(uow, user, clock=clock)
            phase.items = phase.calls = users
        # How a service calls it: a unit of work (a transaction) per request.
        with meter.phase("cards_json_per_uow") as phase:
            for user in people:
                with new_uow() as uow:
                    bingo_cards_json(uow, user, clock=clock)
            phase.items = phase.calls = users
        many_json = getattr(workflows, "bingo_cards_json_many", None)
        if many_json is not None:
            with meter.phase("cards_json_many") as phase, new_uow() as uow:
                for _user_id, _cards in many_json(uow, people, clock=clock):
                    phase.items += 1
        with meter.phase("bingo_update") as phase, new_uow() as uow:
            for user in people:
                update_user_bingo_info(uow, user, rng=rng, clock=clock)
            uow.commit()
            phase.items = phase.calls = users
        many_update = getattr(workflows, "update_bingo_info_many", None)
        if many_update is not None:
            with meter.phase("bingo_update_many") as phase, new_uow() as uow:
                many_update(uow, people, rng=rng, clock=clock)
                uow.commit()
                phase.items = users

        with new_uow() as uow:
            bingo = create_prize_draw_type(
                uow,
                PrizeDrawType(
                    internal_name="shape_bingo",
                    algorithm_key="sha256_hex_proximity",
                    default_threshold=THRESHOLD,
                ),
                clock=clock,
            )
            submit_winning_number(uow, bingo, _origin(rng).upper(), clock=clock)
            batch = create_prize_draw_type(
                uow,
                PrizeDrawType(
                    internal_name="shape_batch",
                    algorithm_key="sha256_hex_proximity",
                    default_threshold=THRESHOLD,
                ),
                clock=clock,
            )
            submit_winning_number(uow, batch, _origin(rng).upper(), clock=clock)
            uow.commit()
        with meter.phase("bingo_draw") as draw_phase, new_uow() as uow:
            outcome = run_bingo_prize_draw(uow, bingo, clock=clock, limit=100)
            uow.commit()
            draw_phase.items = outcome.eligible
        with meter.phase("batch_draw") as phase, new_uow() as uow:
            evaluations = run_prize_draw_batch(
                uow, batch, instances=stream_instances(new_uow, instances), clock=clock
            )
            uow.commit()
            phase.items = len(evaluations)
            draw_numbers = [e.draw_number for e in evaluations]
            del evaluations
        summary_draw = getattr(workflows, "run_prize_draw_batch_summary", None)
        if summary_draw is not None:
            with meter.phase("batch_draw_summary") as phase, new_uow() as uow:
                summary = summary_draw(
                    uow, batch, instances=stream_instances(new_uow, instances), clock=clock
                )
                uow.commit()
                phase.items = summary.evaluated
        limit = hashing_limit(draw_numbers)
        meter.statements.close()
        return {
            "adapter": adapter,
            "users": users,
            "instances": instances,
            "phases": [p.as_json() for p in meter.phases],
            "hashing_limit_per_second": limit,
            "process_peak_rss_mb": meter.process_peak_mb,
        }


def format_table(results: list[dict[str, Any]]) -> str:
    """One Markdown table per run."""
    lines: list[str] = []
    for run in results:
        lines.append(f"### {ADAPTER_TITLES[run['adapter']]}, {run['users']:,} users")
        lines.append("")
        lines.append("| phase | items | seconds | items/s | statements | peak RSS MB |")
        lines.append("|---|--:|--:|--:|--:|--:|")
        for key, title, unit in PHASES:
            phase = next((p for p in run["phases"] if p["name"] == key), None)
            if phase is None:
                continue
            rate = phase["per_second"]
            share = ""
            if key.endswith(("draw", "summary")) and run["hashing_limit_per_second"]:
                share = f" ({100 * rate / run['hashing_limit_per_second']:.0f} % of limit)"
            statements = "" if phase["statements"] is None else f"{phase['statements']:,}"
            lines.append(
                f"| {title} | {phase['items']:,} {unit} | {phase['seconds']:.3f} "
                f"| {rate:,.0f}{share} | {statements} | {phase['peak_rss_mb']:.0f} |"
            )
        lines.append(
            f"| hashing limit (sha256 + int) | | | {run['hashing_limit_per_second']:,.0f} | "
            f"| {run['process_peak_rss_mb']:.0f} (process) |"
        )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    """Run every requested configuration, each in its own process, and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", default="10000")
    parser.add_argument("--adapters", default="memory,sqlite,postgres")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile files per phase")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(part.replace("_", "")) for part in args.users.split(",") if part]
    adapters = [a.strip() for a in args.adapters.split(",") if a.strip()]
    if args.worker:
        set_collector_pause(True)
        print(json.dumps(run_configuration(adapters[0], sizes[0], args.seed, args.profile)))
        return
    import os

    if "postgres" in adapters and not os.environ.get(PG_ENV):
        adapters.remove("postgres")
    results = []
    for adapter in adapters:
        for users in sizes:
            print(f"shape: {adapter} with {users:,} users ...", file=sys.stderr, flush=True)
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                f"--adapters={adapter}",
                f"--users={users}",
                f"--seed={args.seed}",
            ]
            if args.profile:
                command.append(f"--profile={args.profile}")
            done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(format_table(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
