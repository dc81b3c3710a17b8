"""The compact result references of keyed batch draws: id runs and sequence digests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.app.container import Container, retention_period
from nictbw.domain.errors import ValidationError
from nictbw.domain.idempotency import SequenceDigest, expand_id_ranges, id_ranges

IDS = st.lists(st.integers(min_value=1, max_value=2**31 - 1), max_size=200)


@given(IDS)
def test_runs_expand_to_the_ids_in_order(ids: list[int]) -> None:
    runs = id_ranges(ids)
    assert expand_id_ranges(runs) == ids
    assert all(first <= last for first, last in runs)
    assert len(runs) <= len(ids)


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=0, max_value=5000))
def test_a_contiguous_ascending_block_is_one_run(start: int, size: int) -> None:
    runs = id_ranges(range(start, start + size))
    assert runs == ([] if size == 0 else [[start, start + size - 1]])


@pytest.mark.parametrize(
    "bad", [None, "1-3", [[1]], [[3, 1]], [[1, "2"]], [[True, 2]], [1, 2], [[1, 2, 3]]]
)
def test_malformed_runs_are_a_validation_error_naming_them(bad: object) -> None:
    with pytest.raises(ValidationError, match="stored id run"):
        expand_id_ranges(bad)


@given(IDS, IDS)
def test_digests_differ_exactly_when_the_sequences_do(a: list[int], b: list[int]) -> None:
    first, second = SequenceDigest(), SequenceDigest()
    for value in a:
        first.add(value)
    for value in b:
        second.add(value)
    assert (first.hexdigest() == second.hexdigest()) == (a == b)


def test_a_digest_tells_order_and_repeats_apart() -> None:
    def digest(values: list[object]) -> str:
        running = SequenceDigest()
        for value in values:
            running.add(value)
        return running.hexdigest()

    assert digest([1, 2]) != digest([2, 1])
    assert digest([1, 1]) != digest([1])
    assert digest([12]) != digest([1, 2])
    assert digest([None]) != digest([])
    assert digest([]).startswith("0:")


def test_retention_defaults_to_seven_days_and_is_configurable() -> None:
    assert Container().idempotency_retention() == timedelta(days=7)
    configured = Container.from_env({"NICTBW_IDEMPOTENCY_RETENTION_DAYS": "1.5"})
    assert configured.idempotency_retention() == timedelta(days=1.5)
    assert retention_period(30) == timedelta(days=30)


@pytest.mark.parametrize("bad", [0, -1, 3651, "soon", True, float("nan"), float("inf")])
def test_a_bad_retention_is_refused_naming_it(bad: object) -> None:
    with pytest.raises(ValidationError, match="retention_days") as caught:
        retention_period(bad)
    assert repr(bad) in str(caught.value)
