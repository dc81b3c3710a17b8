"""What one request costs: a unit of work per call, as a service handles requests.

    python bench/per_request.py                      # 2,000 users, SQLite and PostgreSQL
    python bench/per_request.py --users 5000 --adapters sqlite,memory

On the shape data of ``bench/shape.py`` (30 definitions, each user a card and nine
badges), every step runs once per user, each in its own unit of work, and prints
microseconds per call (best of ``--repeat`` passes):

- an empty unit of work (opened and closed; on SQL nothing is sent);
- a unit of work with one ``users.get``;
- one with ``definitions.catalogue()`` (every definition);
- one with ``definitions.catalogue_among`` of the nine definitions the user's card shows;
- one with ``bingo_cards.list_for_user``;
- ``bingo_cards_json`` and ``update_user_bingo_info`` (nothing to do);
- ``bingo_cards_json`` with every call in one shared unit of work, for comparison.

The difference between two lines is what the added step costs a request.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from nictbw.adapters.clock import FixedClock
from nictbw.domain.entities import User
from nictbw.ports import UnitOfWork
from nictbw.workflows import bingo_cards_json, update_user_bingo_info
from run import ADAPTER_TITLES, PG_ENV, UowFactory, analyze, open_adapter
from scenario import EVENT_START
from shape import add_users, build_catalogue, issue_badges


def build_shape(
    new_uow: UowFactory, users: int, rng: random.Random, clock: FixedClock
) -> list[User]:
    """The shape data for ``users`` users (as ``bench/shape.py`` builds it); the users."""
    with new_uow() as uow:
        catalogue = build_catalogue(uow, clock)
        uow.commit()
    people = add_users(new_uow, users, clock)
    issue_badges(new_uow, people, catalogue, rng, clock)
    return people


def measure(adapter: str, users: int, repeat: int) -> list[tuple[str, float]]:
    """Microseconds per call of every step on ``adapter``."""
    clock = FixedClock(EVENT_START)
    rng = random.Random(0)
    with open_adapter(adapter) as (new_uow, engine):
        people = build_shape(new_uow, users, rng, clock)
        analyze(engine)
        with new_uow() as uow:
            shown = {
                card.user_id: sorted({cell.shown_definition_id for cell in card.cells})
                for card in uow.bingo_cards.list()
            }

        def user_id(user: User) -> int:
            assert user.id is not None
            return user.id

        def per_uow(step: Callable[[UnitOfWork, User], Any]) -> Callable[[User], None]:
            def call(user: User) -> None:
                with new_uow() as uow:
                    step(uow, user)

            return call

        steps: list[tuple[str, Callable[[User], None]]] = [
            ("empty unit of work", per_uow(lambda uow, user: None)),
            ("+ users.get", per_uow(lambda uow, user: uow.users.get(user_id(user)))),
            ("+ definitions.catalogue()", per_uow(lambda uow, user: uow.definitions.catalogue())),
            (
                "+ definitions.catalogue_among(the card's 9)",
                per_uow(lambda uow, user: uow.definitions.catalogue_among(shown[user_id(user)])),
            ),
            (
                "+ bingo_cards.list_for_user",
                per_uow(lambda uow, user: uow.bingo_cards.list_for_user(user_id(user))),
            ),
            (
                "bingo_cards_json",
                per_uow(lambda uow, user: bingo_cards_json(uow, user, clock=clock)),
            ),
            (
                "update_user_bingo_info (nothing to do)",
                per_uow(lambda uow, user: update_user_bingo_info(uow, user, rng=rng, clock=clock)),
            ),
        ]
        figures: list[tuple[str, float]] = []
        for name, call in steps:
            figures.append((name, _best(call, people, repeat)))
        with new_uow() as shared:
            figures.append(
                (
                    "bingo_cards_json, all calls in one unit of work",
                    _best(lambda user: bingo_cards_json(shared, user, clock=clock), people, repeat),
                )
            )
        return figures


def _best(call: Callable[[User], None], people: list[User], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for user in people:
            call(user)
        best = min(best, time.perf_counter() - start)
    return best / len(people) * 1e6


def main(argv: list[str]) -> None:
    """Measure every requested adapter and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    default = "sqlite,postgres" if os.environ.get(PG_ENV) else "sqlite"
    parser.add_argument("--adapters", default=default)
    args = parser.parse_args(argv)
    adapters = args.adapters.split(",")
    results = {adapter: dict(measure(adapter, args.users, args.repeat)) for adapter in adapters}
    print(
        f"| step ({args.users:,} users, µs per call) | "
        + " | ".join(ADAPTER_TITLES[a] for a in adapters)
        + " |"
    )
    print("|---|" + "--:|" * len(adapters))
    for name in results[adapters[0]]:
        cells = " | ".join(f"{results[a][name]:,.1f}" for a in adapters)
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main(sys.argv[1:])
