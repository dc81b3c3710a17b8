"""UTC time helpers shared by every layer."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from nictbw.domain.errors import ValidationError
from nictbw.domain.values import to_storable_utc


def ensure_utc(value: datetime | None, name: str = "datetime") -> datetime | None:
    """Return ``value`` converted to UTC; a naive datetime is a ``ValidationError``.

    So is one that leaves the storable range in UTC (:func:`~nictbw.domain.values.to_storable_utc`).
    """
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{name} {value.isoformat()} is naive; give a timezone-aware value")
    return to_storable_utc(value, name)


def as_utc(value: datetime | None) -> datetime | None:
    """Attach UTC to a naive value read from storage, or convert an aware one."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """Render ``value`` as ISO-8601 in UTC with ``+00:00``; microseconds only when non-zero.

    The text of recent UTC values is remembered: JSON of cards and instances repeats the
    few times a batch was stamped with (one ``now`` per workflow call) thousands of times,
    and every value read from storage is in UTC. Two UTC datetimes that compare equal are
    the same instant, so the remembered text is the one this would render. Values in other
    zones are rendered each time (in one zone, equality ignores ``fold``).
    """
    if value is None:
        return None
    if value.tzinfo is UTC:
        return _utc_text(value)
    utc = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return _utc_text(utc)


@lru_cache(maxsize=4096)
def _utc_text(utc: datetime) -> str:
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")
