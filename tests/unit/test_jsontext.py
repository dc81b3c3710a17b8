"""Nesting of JSON text is measured before it is parsed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.errors import ValidationError
from nictbw.domain.jsontext import loads_bounded, nesting_exceeds

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab[]{}"\\ '),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=20,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(JSON_VALUES, st.integers(0, 8))
def test_the_measure_agrees_with_the_parsed_depth(value: object, limit: int) -> None:
    text = json.dumps(value)
    assert nesting_exceeds(text, limit) == (_depth(value) > limit)
    assert nesting_exceeds(text.encode(), limit) == (_depth(value) > limit)


def test_brackets_inside_strings_do_not_count() -> None:
    assert not nesting_exceeds('["[[[[[[", {"k": "{{{{\\"[["}]', 2)


def test_a_hundred_thousand_levels_are_refused_without_parsing() -> None:
    with pytest.raises(ValidationError, match="deeper than 100 levels"):
        loads_bounded(b"[" * 100_000 + b"]" * 100_000, max_depth=100)


def test_text_within_the_limit_parses_as_json_does() -> None:
    assert loads_bounded('{"a": [1, {"b": null}]}', max_depth=3) == {"a": [1, {"b": None}]}
    with pytest.raises(ValueError, match="Expecting"):
        loads_bounded("[1,", max_depth=3)


PAYLOADS = st.dictionaries(
    st.text(max_size=5),
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=15,
    ),
    max_size=6,
)


@given(PAYLOADS)
def test_the_event_payload_encoder_writes_exactly_what_json_does(
    payload: dict[str, object],
) -> None:
    from nictbw.adapters.sqlalchemy.repositories.events import payload_encoder

    assert payload_encoder()(payload) == json.JSONEncoder(ensure_ascii=False).encode(payload)


def test_the_event_payload_encoder_refuses_what_json_refuses() -> None:
    from nictbw.adapters.sqlalchemy.repositories.events import payload_encoder

    with pytest.raises(TypeError, match="not JSON serializable"):
        payload_encoder()({"when": object()})
