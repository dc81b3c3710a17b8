"""Column types that keep the storage rules of domain-rules.md §1.3 and §1.4.

``UTCDateTime`` stores UTC (naive UTC text on SQLite, ``timestamptz`` on PostgreSQL)
and always reads back timezone-aware UTC. ``JSONText`` stores a JSON object as text,
non-ASCII kept literally, keys in insertion order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from nictbw.domain.errors import ValidationError
from nictbw.domain.timeutil import as_utc

_SEEN_TEXTS: Final = 4096
"""Stored texts per column whose parsed datetime the SQLite result processor remembers."""


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as UTC and returned timezone-aware in UTC on every backend.

    Aware values are converted to UTC; a naive value is taken as UTC already, as the
    in-memory adapter does (workflows refuse naive arguments before they get here).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and not isinstance(value, datetime):
            raise ValidationError(f"a stored datetime must be a datetime, got {value!r}")
        utc = as_utc(value)
        if utc is None or dialect.name != "sqlite":
            return utc
        return utc.replace(tzinfo=None)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, one step from a datetime to the stored text.

        The generic path converts to UTC, drops the zone, then formats the fields with
        SQLAlchemy's ``YYYY-MM-DD HH:MM:SS.ffffff`` pattern in Python; here the naive UTC
        value is rendered by ``datetime.isoformat`` in C, which writes the same text
        (four-digit year, six-digit microseconds). Per-call writes (adding users one by
        one) convert every row's timestamps. Other backends keep the generic path.
        """
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        render = datetime.isoformat

        def process(value: Any) -> str | None:
            if value is None:
                return None
            if not isinstance(value, datetime):
                raise ValidationError(f"a stored datetime must be a datetime, got {value!r}")
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return render(value, " ", "microseconds")

        return process

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw text, e.g. from a hand-written row on SQLite
            value = datetime.fromisoformat(value)
        return as_utc(value)

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None] | None:
        """On SQLite, one step from the stored text to an aware UTC datetime.

        SQLite hands back the text SQLAlchemy wrote (``YYYY-MM-DD HH:MM:SS.ffffff``,
        naive UTC); ``datetime.fromisoformat`` parses it in C, several times faster than
        the generic regular-expression parser followed by :meth:`process_result_value`,
        and reads are where every workflow spends its datetimes. Same values as the
        generic path (text with an offset is converted to UTC); other backends keep it.

        The last texts parsed are remembered (at most ``_SEEN_TEXTS``, then forgotten at
        once): the rows of one read often share a timestamp (instances issued together,
        cards laid out in one batch), and a datetime is immutable, so it can be shared.
        """
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        parse = datetime.fromisoformat
        seen: dict[Any, datetime] = {}
        remember = seen.get

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            found = remember(value)
            if found is not None:
                return found
            parsed = parse(value) if isinstance(value, str) else value
            found = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
            if len(seen) >= _SEEN_TEXTS:
                seen.clear()
            seen[value] = found
            return found

        return process


class JSONText(TypeDecorator[dict[str, Any]]):
    """A JSON object stored as text (``ensure_ascii=False``, default separators)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect: Dialect) -> dict[str, Any] | None:
        if value is None:
            return None
        loaded: dict[str, Any] = json.loads(value)
        return loaded


__all__ = ["JSONText", "UTCDateTime"]
