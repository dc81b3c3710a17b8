"""``UTCDateTime`` on SQLite: its one-step reader and writer give what the generic
paths give."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from nictbw.adapters.sqlalchemy.types import UTCDateTime
from nictbw.domain.errors import ValidationError

DIALECT = sqlite.dialect()
STORED = DateTime(timezone=True).dialect_impl(DIALECT)


def _generic(text: str) -> datetime | None:
    """SQLAlchemy's SQLite parser, then ``process_result_value``: the path replaced."""
    parse = STORED.result_processor(DIALECT, None)
    assert parse is not None
    return UTCDateTime().process_result_value(parse(text), DIALECT)


def _fast(value: Any) -> datetime | None:
    process = UTCDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert process is not None
    return process(value)


def _stored_text(value: datetime) -> str:
    """What a bind of ``value`` writes on SQLite."""
    bind = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert bind is not None
    text = bind(value)
    assert isinstance(text, str)
    return text


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.just(UTC)
        | st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-900, 900)),
    )
)
def test_a_stored_datetime_reads_back_the_same_instant_in_utc(value: datetime) -> None:
    text = _stored_text(value)
    fast = _fast(text)
    assert fast == _generic(text)
    assert fast == value
    assert fast is not None
    assert fast.tzinfo is UTC


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_text_without_microseconds_or_with_an_offset_reads_as_the_generic_path(
    value: datetime,
) -> None:
    for text in (
        value.isoformat(sep=" ", timespec="seconds"),
        value.isoformat(sep=" "),
        value.replace(tzinfo=timezone(timedelta(hours=9))).isoformat(),
    ):
        assert _fast(text) == datetime.fromisoformat(text).replace(
            tzinfo=datetime.fromisoformat(text).tzinfo or UTC
        ).astimezone(UTC)


def test_none_and_datetimes_pass_through() -> None:
    assert _fast(None) is None
    aware = datetime(2026, 5, 1, 9, tzinfo=timezone(timedelta(hours=2)))
    assert _fast(aware) == aware
    assert _fast(aware).tzinfo is UTC  # type: ignore[union-attr]
    assert _fast(datetime(2026, 5, 1, 9)) == datetime(2026, 5, 1, 9, tzinfo=UTC)


def _generic_text(value: Any) -> Any:
    """``process_bind_param``, then SQLAlchemy's SQLite formatter: the path replaced."""
    format_text = STORED.bind_processor(DIALECT)
    assert format_text is not None
    return format_text(UTCDateTime().process_bind_param(value, DIALECT))


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.none()
        | st.just(UTC)
        | st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-900, 900))
        | st.sampled_from([ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")]),
    )
)
def test_a_datetime_is_written_as_the_generic_path_writes_it(value: datetime) -> None:
    assert _stored_text(value) == _generic_text(value)


def test_the_one_step_writer_refuses_what_the_generic_path_refuses() -> None:
    bind = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert bind is not None
    assert bind(None) is None
    for wrong in ("2026-05-01 09:00:00", date(2026, 5, 1), 1_777_000_000):
        message = re.escape(f"must be a datetime, got {wrong!r}")
        with pytest.raises(ValidationError, match=message):
            bind(wrong)
        with pytest.raises(ValidationError, match=message):
            _generic_text(wrong)
