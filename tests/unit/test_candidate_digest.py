"""The candidate-set digest hashes the canonical text a slice at a time, byte for byte."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nictbw.domain.snapshots as snapshots

triples = st.lists(
    st.tuples(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1), st.text(max_size=8)),
    max_size=40,
    unique_by=lambda t: t[0],
)


def _whole_text_digest(candidates: list[tuple[int, int, str]]) -> str:
    text = json.dumps(
        [list(t) for t in sorted(candidates)], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 10_000])
@given(candidates=triples)
def test_the_sliced_digest_is_the_digest_of_the_whole_canonical_text(
    chunk: int, candidates: list[tuple[int, int, str]]
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(snapshots, "_DIGEST_CHUNK", chunk)
        assert snapshots.candidate_set_digest(candidates) == _whole_text_digest(candidates)


def test_a_known_set_keeps_its_digest() -> None:
    text = '[[1,7,"ab"],[2,7,"\u00e9"]]'
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert snapshots.candidate_set_digest([(2, 7, "\u00e9"), (1, 7, "ab")]) == expected
