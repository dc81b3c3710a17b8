"""Random JSON against the export reader and verifier: only typed errors or problems."""

from __future__ import annotations

import copy
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.simulation import SimulationSettings, run_simulation
from nictbw.domain.errors import NictbwError
from nictbw.domain.export import read_export
from nictbw.domain.export import verify_export as _verify_export
from nictbw.domain.export import verify_export_file as _verify_export_file
from nictbw.workflows import export_draw
from tests.trust import trusting

TRUST = trusting(6)
"""The simulated draws are sealed on the simulation's fake beacon: trust its key."""


def verify_export(data: Any, **options: Any) -> Any:
    """``verify_export`` trusting the simulation's beacon unless told otherwise."""
    options.setdefault("policy", TRUST)
    return _verify_export(data, **options)


def verify_export_file(data: Any, **options: Any) -> Any:
    """``verify_export_file`` trusting the simulation's beacon unless told otherwise."""
    options.setdefault("policy", TRUST)
    return _verify_export_file(data, **options)


def _power_of_ten(digits: int) -> int:
    """An integer of ``digits`` + 1 decimal digits (beyond what ``int(str)`` accepts)."""
    return 10**digits


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(4400, 5000).map(_power_of_ten),
    st.sampled_from([-(2**64), 2**63, float("nan"), float("inf"), 1e308]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


def _deep(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    store = InMemoryStore()
    run_simulation(lambda: InMemoryUnitOfWork(store), SimulationSettings(users=20, days=2, seed=6))
    with InMemoryUnitOfWork(store) as uow:
        return export_draw(
            uow, "final_attendance", clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
        )


def _paths(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, key))
        elif isinstance(value, list):
            for position, item in enumerate(value[:2]):
                walk(item, (*path, position))

    walk(document, ())
    return paths[1:]


def _check(data: Any) -> None:
    """``data`` through the document and the file API: a list of problems or a typed error."""
    problems: object = None
    try:
        problems = verify_export(data)
    except NictbwError as exc:
        problems = [str(exc)]
    assert isinstance(problems, list)
    assert all(isinstance(p, str) and "\n" not in p for p in problems)
    try:
        text = json.dumps(data)
    except (ValueError, RecursionError):
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.json"
        path.write_text(text, encoding="utf-8")
        for read in (read_export, verify_export_file):
            message = ""
            try:
                read(path)
            except NictbwError as exc:
                message = str(exc)
            assert "\n" not in message


@settings(max_examples=200, deadline=None)
@given(data=JSON)
def test_random_json_gives_typed_errors_only(data: Any) -> None:
    _check(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_real_export_with_one_part_replaced_gives_typed_errors_or_problems(
    document: dict[str, Any], data: st.DataObject
) -> None:
    tampered = copy.deepcopy(document)
    path = data.draw(st.sampled_from(_paths(document)), label="path")
    value = data.draw(st.one_of(JSON, st.integers(10, 3000).map(_deep)), label="value")
    target: Any = tampered
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    _check(tampered)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60), cut=st.integers(0, 400))
def test_random_bytes_and_truncated_files_give_typed_errors_only(
    document: dict[str, Any], text: str, cut: int
) -> None:
    whole = json.dumps(document)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cut.json"
        path.write_text(whole[:cut] + text, encoding="utf-8")
        for read in (read_export, verify_export_file):
            with pytest.raises(NictbwError):
                read(path)
