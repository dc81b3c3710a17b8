"""Unique instance ids ``<prefix>-<base62(12)>`` (domain-rules.md §3.1)."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.identifiers import (
    BASE62_ALPHABET,
    MAX_UNIQUE_ID_ATTEMPTS,
    UNIQUE_SUFFIX_LENGTH,
    new_unique_instance_id,
    new_unique_instance_ids,
    random_suffix,
)

UNIQUE_ID = re.compile(r"^(?P<prefix>.+)-(?P<suffix>[0-9A-Za-z]{12})$")


def never_taken(_candidate: str) -> bool:
    return False


def test_alphabet_is_digits_then_upper_then_lower_case() -> None:
    assert BASE62_ALPHABET == ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    assert (UNIQUE_SUFFIX_LENGTH, MAX_UNIQUE_ID_ATTEMPTS) == (12, 32)


@given(st.integers(0, 2**32))
def test_unique_id_is_prefix_dash_twelve_base62_characters(seed: int) -> None:
    unique_id = new_unique_instance_id("EXPO", rng=random.Random(seed), is_taken=never_taken)
    match = UNIQUE_ID.match(unique_id)
    assert match is not None
    assert match["prefix"] == "EXPO"


def test_unique_id_without_rng_uses_the_os_generator_and_keeps_the_format() -> None:
    unique_id = new_unique_instance_id("EXPO", rng=None, is_taken=never_taken)
    assert UNIQUE_ID.match(unique_id) is not None


def test_suffix_is_twelve_rng_choices_of_the_alphabet() -> None:
    reference = random.Random(7)
    expected = "".join(reference.choice(BASE62_ALPHABET) for _ in range(12))
    assert random_suffix(random.Random(7)) == expected


def test_same_seed_gives_the_same_unique_id() -> None:
    first = new_unique_instance_id("EXPO", rng=random.Random(42), is_taken=never_taken)
    second = new_unique_instance_id("EXPO", rng=random.Random(42), is_taken=never_taken)
    assert first == second


def test_taken_candidates_are_redrawn() -> None:
    reference = random.Random(5)
    drawn = [f"EXPO-{random_suffix(reference)}" for _ in range(4)]
    taken = set(drawn[:3])
    unique_id = new_unique_instance_id("EXPO", rng=random.Random(5), is_taken=taken.__contains__)
    assert unique_id == drawn[3]


def test_thirty_two_taken_candidates_are_a_conflict_naming_the_prefix() -> None:
    asked: list[str] = []

    def always_taken(candidate: str) -> bool:
        asked.append(candidate)
        return True

    with pytest.raises(ConflictError, match="prefix 'EXPO' after 32 attempts"):
        new_unique_instance_id("EXPO", rng=random.Random(1), is_taken=always_taken)
    assert len(asked) == 32


def test_thirty_second_candidate_may_still_succeed() -> None:
    calls = 0

    def taken_31_times(_candidate: str) -> bool:
        nonlocal calls
        calls += 1
        return calls < 32

    unique_id = new_unique_instance_id("EXPO", rng=random.Random(1), is_taken=taken_31_times)
    assert calls == 32
    assert unique_id.startswith("EXPO-")


@pytest.mark.parametrize("prefix", ["", None, 12])
def test_prefix_must_be_a_non_empty_string(prefix: object) -> None:
    with pytest.raises(ValidationError, match="prefix"):
        new_unique_instance_id(prefix, rng=random.Random(1), is_taken=never_taken)  # type: ignore[arg-type]


def test_batch_draws_one_id_per_prefix_in_order_as_single_draws_would() -> None:
    prefixes = ["A", None, "B-C", "A"]
    batch = new_unique_instance_ids(prefixes, rng=random.Random(3), is_taken=never_taken)
    single = random.Random(3)
    expected = [
        None if p is None else new_unique_instance_id(p, rng=single, is_taken=never_taken)
        for p in prefixes
    ]
    assert batch == expected
    assert batch[1] is None


class _Scripted(random.Random):
    """An rng whose ``choice`` spells the given characters first, then draws normally."""

    def __init__(self, script: str) -> None:
        super().__init__(0)
        self._script = list(script)

    def choice(self, seq):  # type: ignore[no-untyped-def, override]
        return self._script.pop(0) if self._script else super().choice(seq)


def test_batch_redraws_a_candidate_drawn_earlier_in_the_same_batch() -> None:
    suffix = "abcdefghijkl"
    ids = new_unique_instance_ids(["A", "A"], rng=_Scripted(suffix * 2), is_taken=never_taken)
    assert ids[0] == f"A-{suffix}"
    assert ids[1] != ids[0]
    assert str(ids[1]).startswith("A-")


def test_batch_runs_between_after_each_position() -> None:
    seen: list[int] = []
    new_unique_instance_ids(
        ["A", None, "B"], rng=random.Random(1), is_taken=never_taken, between=seen.append
    )
    assert seen == [0, 1, 2]


def test_batch_raises_the_conflict_of_a_prefix_whose_candidates_are_all_taken() -> None:
    with pytest.raises(ConflictError, match="'B'"):
        new_unique_instance_ids(
            ["A", "B"], rng=random.Random(1), is_taken=lambda c: c.startswith("B-")
        )


@settings(max_examples=200)
@given(seed=st.integers(0, 2**64), draws=st.integers(1, 5))
def test_random_suffix_draws_as_rng_choice_does(seed: int, draws: int) -> None:
    fast, slow = random.Random(seed), random.Random(seed)
    for _ in range(draws):
        expected = "".join(slow.choice(BASE62_ALPHABET) for _ in range(UNIQUE_SUFFIX_LENGTH))
        assert random_suffix(fast) == expected
    assert fast.getstate() == slow.getstate()
