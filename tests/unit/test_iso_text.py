"""``iso`` remembers the text of UTC values; what it renders must not depend on that."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.timeutil import iso

_ZONES = st.sampled_from(
    [
        None,
        UTC,
        timezone(timedelta(hours=9)),
        timezone(timedelta(hours=-3, minutes=-30)),
        ZoneInfo("Europe/Berlin"),
        ZoneInfo("America/New_York"),
    ]
)


def _rendered(value: datetime) -> str:
    """The text by the rule alone: the instant in UTC, microseconds only when non-zero."""
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")


@given(st.lists(st.datetimes(timezones=_ZONES, allow_imaginary=False), max_size=30))
def test_iso_renders_every_value_by_the_rule_whatever_came_before(
    values: list[datetime],
) -> None:
    for value in [*values, *reversed(values)]:
        assert iso(value) == _rendered(value)
        assert iso(value.replace(fold=1 - value.fold)) == _rendered(
            value.replace(fold=1 - value.fold)
        )


def test_the_two_readings_of_an_ambiguous_local_time_keep_their_own_text() -> None:
    zone = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 25, 2, 30, tzinfo=zone)
    second = first.replace(fold=1)
    assert first == second  # same zone: compared without fold
    assert iso(first) == "2026-10-25T00:30:00+00:00"
    assert iso(second) == "2026-10-25T01:30:00+00:00"
    assert iso(None) is None
