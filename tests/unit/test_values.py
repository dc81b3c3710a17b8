"""The value rules every backend shares (nictbw.domain.values)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.errors import ValidationError
from nictbw.domain.scoring import derive_draw_number, origin_key
from nictbw.domain.validation import validate_origin, validate_prefix
from nictbw.domain.values import (
    ID_MAX,
    ID_MIN,
    INT64_MAX,
    STORABLE_MAX,
    STORABLE_MIN,
    check_characters,
    check_id,
    check_ids,
    check_int_range,
    check_lookup_key,
    check_lookup_keys,
    has_whitespace,
    refused_character,
    to_storable_utc,
)

CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]


@pytest.mark.parametrize("char", CONTROLS)
def test_every_c0_c1_and_del_character_is_refused_in_identifiers(char: str) -> None:
    with pytest.raises(ValidationError, match="name 'a"):
        check_characters(f"a{char}b", "name")


@pytest.mark.parametrize("char", ["\t", "\n", "\r"])
def test_free_text_keeps_tab_and_line_breaks(char: str) -> None:
    assert check_characters(f"a{char}b", "description", free_text=True) == f"a{char}b"


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x1b", "\x7f", "\x85", "\ud800"])
def test_free_text_refuses_other_controls_and_surrogates(char: str) -> None:
    assert refused_character(f"x{char}", free_text=True) == char


def test_a_nul_is_named_as_such() -> None:
    with pytest.raises(ValidationError, match="contains a NUL character"):
        check_characters("a\x00", "email")
    with pytest.raises(ValidationError, match="U\\+001B"):
        check_characters("a\x1b", "email")


@given(st.text())
def test_refused_character_finds_exactly_the_controls(text: str) -> None:
    bad = [c for c in text if c in CONTROLS or 0xD800 <= ord(c) <= 0xDFFF]
    assert refused_character(text) == (bad[0] if bad else None)


_ANY_CHARACTER = st.characters(codec=None, categories=None)
"""Surrogates included (the default text strategy leaves them out)."""
_NOT_PRINTABLE = st.sampled_from(
    [*CONTROLS, "\ud800", "\udfff", "\u00ad", "\u2028", "\u3000", "\ue000", "\U000e0001"]
)
"""Refused characters and others ``str.isprintable`` rejects but storage accepts
(a soft hyphen, a line separator, the ideographic space, private use, a tag)."""


@given(st.lists(st.one_of(_ANY_CHARACTER, _NOT_PRINTABLE)).map("".join), st.booleans())
def test_refused_character_is_the_first_refused_one_in_any_text(text: str, free_text: bool) -> None:
    allowed = set("\t\n\r") if free_text else set()
    bad = [c for c in text if (c in CONTROLS or 0xD800 <= ord(c) <= 0xDFFF) and c not in allowed]
    assert refused_character(text, free_text=free_text) == (bad[0] if bad else None)


def test_whitespace_is_exactly_what_isspace_accepts_for_every_character() -> None:
    differ = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if has_whitespace(chr(code)) != chr(code).isspace()
    ]
    assert differ == []


@given(st.lists(st.one_of(_ANY_CHARACTER, st.sampled_from(" \t\u00a0\u2028\u3000"))).map("".join))
def test_has_whitespace_in_any_text(text: str) -> None:
    assert has_whitespace(text) == any(char.isspace() for char in text)


@pytest.mark.parametrize("value", [ID_MIN, -1, 0, 1, ID_MAX])
def test_ids_within_the_key_range_pass(value: int) -> None:
    assert check_id(value) == value


@pytest.mark.parametrize("value", [ID_MIN - 1, ID_MAX + 1, 2**63, 2**70, -(2**70)])
def test_ids_beyond_the_key_range_are_refused_naming_them(value: int) -> None:
    with pytest.raises(ValidationError, match=str(value)):
        check_id(value, "user id")


@pytest.mark.parametrize("value", [True, "1", 1.0, None])
def test_an_id_must_be_an_int(value: object) -> None:
    with pytest.raises(ValidationError, match="must be an integer"):
        check_id(value)


def test_lookup_keys_are_checked_inside_tuples() -> None:
    check_lookup_key((1, "ok", None, True))
    with pytest.raises(ValidationError, match=str(2**40)):
        check_lookup_key((1, 2**40))
    with pytest.raises(ValidationError, match="NUL"):
        check_lookup_key(["ok", "no\x00"])


def _first_refusal(values: list[object]) -> str | None:
    """The message of the first value :func:`check_lookup_key` refuses, one by one."""
    for value in values:
        try:
            check_lookup_key(value)
        except ValidationError as error:
            return str(error)
    return None


_KEYS = st.one_of(
    st.integers(min_value=ID_MIN - 3, max_value=ID_MAX + 3),
    st.sampled_from([ID_MIN, ID_MAX, ID_MIN - 1, ID_MAX + 1, 2**70, -(2**70)]),
    st.booleans(),
    st.none(),
    st.sampled_from(["ok", "no\x00", "tab\t"]),
)


@given(st.lists(_KEYS, max_size=30), st.booleans())
def test_lookup_keys_refuse_what_each_key_alone_refuses(values: list[object], tup: bool) -> None:
    # A list or tuple of ints takes a one-sweep path; it must refuse exactly what the
    # key-by-key check refuses, naming the same first value.
    expected = _first_refusal(values)
    given_keys = tuple(values) if tup else values
    if expected is None:
        check_lookup_keys(given_keys)
    else:
        with pytest.raises(ValidationError) as refused:
            check_lookup_keys(given_keys)
        assert str(refused.value) == expected


@given(st.lists(st.integers(min_value=ID_MIN - 2, max_value=ID_MAX + 2), min_size=1))
def test_lookup_keys_of_ints_pass_exactly_inside_the_id_range(values: list[int]) -> None:
    inside = all(ID_MIN <= value <= ID_MAX for value in values)
    if inside:
        check_lookup_keys(values)
    else:
        with pytest.raises(ValidationError, match="out of range"):
            check_lookup_keys(values)


def test_int_range_names_the_field_and_value() -> None:
    assert check_int_range(INT64_MAX, "limit", minimum=1, maximum=INT64_MAX) == INT64_MAX
    with pytest.raises(ValidationError, match=f"limit {INT64_MAX + 1} is out of range"):
        check_int_range(INT64_MAX + 1, "limit", minimum=1, maximum=INT64_MAX)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5))),
        STORABLE_MAX + timedelta(microseconds=1),
        STORABLE_MIN - timedelta(microseconds=1),
    ],
)
def test_datetimes_beyond_the_storable_range_are_refused(moment: datetime) -> None:
    with pytest.raises(ValidationError, match=r"expires_at .* is out of range"):
        to_storable_utc(moment, "expires_at")


def test_the_bounds_of_the_storable_range_are_storable() -> None:
    assert to_storable_utc(STORABLE_MAX, "at") == STORABLE_MAX
    assert to_storable_utc(STORABLE_MIN, "at") == STORABLE_MIN
    east = STORABLE_MAX.astimezone(timezone(timedelta(hours=14)))
    assert to_storable_utc(east, "at") == STORABLE_MAX
    assert to_storable_utc(east, "at").tzinfo is UTC


@given(st.datetimes(timezones=st.timezones()))
def test_a_storable_datetime_stays_a_datetime_in_any_offset(moment: datetime) -> None:
    try:
        utc = to_storable_utc(moment, "at")
    except ValidationError:
        return
    for hours in (-23, 23):
        utc.astimezone(timezone(timedelta(hours=hours)))


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1))
def test_the_origin_key_of_a_valid_origin_is_its_draw_number(origin: str) -> None:
    try:
        validate_origin(origin)
    except ValidationError:
        return
    assert origin_key(origin) == derive_draw_number(origin)


@given(st.text(min_size=1, max_size=20))
def test_a_prefix_is_accepted_only_without_whitespace_or_controls(prefix: str) -> None:
    clean = not any(c.isspace() for c in prefix) and refused_character(prefix) is None
    try:
        validate_prefix(prefix)
    except ValidationError:
        assert not clean
    else:
        assert clean


@given(st.lists(_KEYS, max_size=30), st.sampled_from(["list", "tuple", "iterator"]))
def test_ids_refuse_what_check_id_refuses_naming_the_first(values: list[object], form: str) -> None:
    # Lists and tuples of ints take a one-sweep path; every form must refuse exactly what
    # ``check_id`` refuses value by value, with the message of the first refused value.
    expected = None
    for value in values:
        try:
            check_id(value, "definition id")
        except ValidationError as error:
            expected = str(error)
            break
    given_ids = {"list": values, "tuple": tuple(values), "iterator": iter(values)}[form]
    if expected is None:
        check_ids(given_ids, "definition id")
    else:
        with pytest.raises(ValidationError) as refused:
            check_ids(given_ids, "definition id")
        assert str(refused.value) == expected
