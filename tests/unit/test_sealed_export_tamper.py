"""Any change to a sealed export fails verification: a candidate added or removed (even
with every digest recomputed), a digit of the randomness, the round, the cap."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.simulation import SimulationSettings, run_simulation
from nictbw.domain.export import candidate_rows_digest, verify_document
from nictbw.domain.snapshots import candidate_set_digest
from nictbw.workflows import export_draw
from tests.trust import trusting

SEED = 5
TRUST = trusting(SEED)
HEX = "0123456789abcdef"


@pytest.fixture(scope="module")
def sealed() -> dict[str, Any]:
    """The sealed bingo draw of a small simulated event, exported with ten winners."""
    store = InMemoryStore()
    run_simulation(
        lambda: InMemoryUnitOfWork(store), SimulationSettings(users=40, days=3, seed=SEED)
    )
    with InMemoryUnitOfWork(store) as uow:
        document = export_draw(
            uow, "bingo_line", limit=10, clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
        )
    assert document["sealed"] is not None
    assert verify_document(copy.deepcopy(document), policy=TRUST).ok
    return document


def _redigest(document: dict[str, Any]) -> None:
    """What a forger does after changing the candidates: every digest and count recomputed."""
    rows = document["candidates"]
    document["candidate_count"] = len(rows)
    document["candidate_rows_sha256"] = candidate_rows_digest(rows)
    snapshot = document["snapshot"]
    snapshot["candidate_count"] = len(rows)
    snapshot["candidate_set_sha256"] = candidate_set_digest(
        (r["instance_id"], r["user_id"], r["draw_number"]) for r in rows
    )


def _add_candidate(document: dict[str, Any], data: st.DataObject, redigest: bool) -> None:
    rows = document["candidates"]
    model = copy.deepcopy(rows[data.draw(st.integers(0, len(rows) - 1), label="model")])
    model["instance_id"] = max(r["instance_id"] for r in rows) + data.draw(st.integers(1, 99))
    model["result_id"] = max(r["result_id"] for r in rows) + 1
    rows.append(model)
    if redigest:
        _redigest(document)


def _remove_candidate(document: dict[str, Any], data: st.DataObject, redigest: bool) -> None:
    rows = document["candidates"]
    rows.pop(data.draw(st.integers(0, len(rows) - 1), label="removed"))
    if redigest:
        _redigest(document)


def _randomness_digit(document: dict[str, Any], data: st.DataObject, _: bool) -> None:
    stated = document["sealed"]["round"]
    position = data.draw(st.integers(0, len(stated["randomness"]) - 1), label="position")
    old = stated["randomness"][position]
    new = data.draw(st.sampled_from([c for c in HEX if c != old]), label="digit")
    stated["randomness"] = (
        stated["randomness"][:position] + new + stated["randomness"][position + 1 :]
    )


def _round(document: dict[str, Any], data: st.DataObject, _: bool) -> None:
    stated = document["sealed"]["round"]
    delta = data.draw(st.integers(-stated["round"] + 1, 50).filter(lambda d: d != 0), label="delta")
    stated["round"] += delta


def _cap(document: dict[str, Any], data: st.DataObject, _: bool) -> None:
    held = Counter(w["user"] for w in document["winners"])
    most = max(held.values())
    document["max_wins_per_user"] = data.draw(st.integers(1, most - 1), label="cap")


CHANGES = {
    "candidate added": _add_candidate,
    "candidate removed": _remove_candidate,
    "randomness digit": _randomness_digit,
    "round": _round,
    "cap": _cap,
}


def test_the_fixture_has_a_user_holding_several_prizes(sealed: dict[str, Any]) -> None:
    assert max(Counter(w["user"] for w in sealed["winners"]).values()) >= 2


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(change=st.sampled_from(sorted(CHANGES)), redigest=st.booleans(), data=st.data())
def test_any_change_to_a_sealed_export_fails_verification(
    sealed: dict[str, Any], change: str, redigest: bool, data: st.DataObject
) -> None:
    tampered = copy.deepcopy(sealed)
    CHANGES[change](tampered, data, redigest)
    report = verify_document(tampered, policy=TRUST)
    assert not report.ok, change
    assert report.problems
