"""Revocation under concurrent writers (PostgreSQL READ COMMITTED, SQLite ``IMMEDIATE``).

``revoke_instance`` locks the holder before it re-reads the badge, so racing revocations
of one badge revoke it once, and revocations racing with issuance to the same holder
leave every card consistent with what the holder still holds.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any, Final

import pytest

from nictbw.domain.audit import AuditAction
from nictbw.domain.entities import INSTANCE_REVOKED, INSTANCE_SUCCEEDED
from nictbw.testing.checks import assert_invariants
from nictbw.workflows import (
    create_and_issue_instance,
    pending_events,
    read_audit_log,
    revoke_instance,
)
from tests.contract.helpers import CANDIDATES, build_world, complete_line, user_with_card
from tests.integration.test_concurrency import Outcome, in_transaction, run_workers
from tests.sql_backends import SqlUowFactory

WORKERS: Final = 8
BACKENDS: Final = [pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"]


def _already_revoked(exc: Exception) -> bool:
    return "already revoked" in str(exc)


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_racing_revocations_of_one_badge_revoke_it_once(store: SqlUowFactory) -> None:
    world = build_world(store)
    user, card = user_with_card(world, "ana", trigger_origin="ana-trigger")
    with store() as uow:
        line = complete_line(uow, world, user, card, (1, 4, 7), origin_tag="ana")
        uow.commit()
    target = line[0]
    outcome = Outcome()
    done: list[Any] = []

    def job(worker: int) -> None:
        found = in_transaction(
            store,
            lambda uow: revoke_instance(
                uow, target, admin=world.admin, reason=f"worker {worker}", clock=world.clock
            ),
            outcome,
            final=_already_revoked,
        )
        if found is not None:
            with outcome.lock:
                done.append(found)

    run_workers(WORKERS, job, outcome)
    assert not outcome.conflicts, outcome.conflicts
    assert len(done) == 1
    assert sum(outcome.refused.values()) == WORKERS - 1
    with store() as uow:
        stored = uow.instances.get(target.id)
        assert stored is not None
        assert stored.status == INSTANCE_REVOKED
        revocations = read_audit_log(uow, action=AuditAction.REVOKE_INSTANCE)
        kinds = Counter(str(e.type) for e in pending_events(uow, limit=10_000))
        assert_invariants(uow, world.clock.now())
    assert len(revocations) == 1
    assert kinds["BadgeRevoked"] == 1


@pytest.mark.parametrize("store", BACKENDS, indirect=True)
def test_revocations_racing_with_issuance_leave_cards_consistent(store: SqlUowFactory) -> None:
    world = build_world(store)
    user, card = user_with_card(world, "ana", trigger_origin="ana-trigger")
    with store() as uow:
        line = complete_line(uow, world, user, card, (1, 4, 7), origin_tag="ana")
        uow.commit()
    outcome = Outcome()

    def job(worker: int) -> None:
        if worker < len(line):
            victim = line[worker]
            in_transaction(
                store,
                lambda uow: revoke_instance(
                    uow, victim, admin=world.admin, reason="fraud", clock=world.clock
                ),
                outcome,
            )
            return
        prefix = CANDIDATES[worker % len(CANDIDATES)]
        in_transaction(
            store,
            lambda uow: create_and_issue_instance(
                uow,
                user,
                world.d(prefix),
                nft_origin=f"again-{worker}",
                rng=random.Random(worker),
                clock=world.clock,
            ),
            outcome,
        )

    run_workers(WORKERS, job, outcome)
    assert not outcome.conflicts, outcome.conflicts
    with store() as uow:
        assert user.id is not None
        held = uow.instances.list_for_user(user.id)
        assert_invariants(uow, world.clock.now())
    statuses = Counter(i.status for i in held)
    assert statuses[INSTANCE_REVOKED] == len(line)
    assert statuses[INSTANCE_SUCCEEDED] == len(held) - len(line)
