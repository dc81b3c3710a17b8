"""What a value must be to be stored alike on every backend (domain-rules.md §1.3, §1.4).

The in-memory store accepts any Python value; SQLite refuses integers beyond 64 bits and
PostgreSQL refuses NUL characters, integers beyond its column widths and dates its
driver cannot read back. These rules keep the three alike by refusing, in the domain and
before any storage call, what one of them could not hold:

- **Integers.** Every integer fits its column: the signed 32-bit range of ``INTEGER``
  (ids and references, supply, counts, serials, card lifetimes) or the signed 64-bit range
  of ``BIGINT`` (``blockchain_nft_id``). An id argument or lookup key (entity ids given to
  workflows, ``get(id)``, ``get_many(ids)``, ...) outside the id range is refused: no
  backend can hold such a row, and PostgreSQL could not even compare with it. Limits of
  ranked reads may use the whole signed 64-bit range.
- **Datetimes.** Converted to UTC they must lie within :data:`STORABLE_MIN` ..
  :data:`STORABLE_MAX`: one day inside ``datetime``'s own range, so a value stays a
  ``datetime`` in any time zone a database session may render it in.
- **Characters.** No text anywhere holds a C0 control character (U+0000-U+001F, NUL
  included), DEL, a C1 control character (U+0080-U+009F) or a lone surrogate. Free text
  (descriptions, promotional text) may hold tab, line feed and carriage return; every
  other field (identifiers, emails, prefixes, origins, names, URLs, winning values) holds
  none of them.

Each check raises :class:`~nictbw.domain.errors.ValidationError` naming the value.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final, cast

from nictbw.domain.errors import ValidationError
from nictbw.domain.messages import shown

INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
ID_MIN: Final = INT32_MIN
ID_MAX: Final = INT32_MAX
"""The range of ids and references (``INTEGER`` keys)."""

STORABLE_MIN: Final = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
"""The earliest storable instant (0001-01-02T00:00:00+00:00)."""
STORABLE_MAX: Final = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
"""The latest storable instant (9999-12-30T23:59:59.999999+00:00)."""

FREE_TEXT_CONTROLS: Final = "\t\n\r"
"""The only control characters free text may hold."""

_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def refused_character(value: str, *, free_text: bool = False) -> str | None:
    """The first character of ``value`` that no stored text may hold, or None.

    With ``free_text`` tab, line feed and carriage return are allowed.
    """
    # Every refused character is one ``str.isprintable`` rejects (control characters
    # and surrogates are not printable), so a printable value needs no search: the
    # common case, and about three times cheaper than the pattern.
    if value.isprintable() or _CONTROL.search(value) is None:
        return None
    for found in _CONTROL.finditer(value):
        char = found.group()
        if not (free_text and char in FREE_TEXT_CONTROLS):
            return char
    return None


_WHITESPACE: Final = re.compile(r"\s")
r"""Python's ``\s`` for text patterns: exactly the characters ``str.isspace`` accepts."""


def has_whitespace(value: str) -> bool:
    """True when some character of ``value`` is whitespace (``str.isspace``): one pattern
    search, several times cheaper than testing the characters one by one."""
    return _WHITESPACE.search(value) is not None


def describe_character(char: str) -> str:
    """``"a NUL character"`` or ``"the control character U+001B"``, for messages."""
    return "a NUL character" if char == "\x00" else f"the control character U+{ord(char):04X}"


def check_characters(value: str, field: str, *, free_text: bool = False) -> str:
    """Refuse ``value`` when it holds a control character or a lone surrogate (see above).

    Returns ``value`` unchanged.
    """
    char = refused_character(value, free_text=free_text)
    if char is not None:
        raise ValidationError(f"{field} {shown(value)} contains {describe_character(char)}")
    return value


def check_int_range(value: int, field: str, *, minimum: int, maximum: int) -> int:
    """Refuse an int outside ``minimum`` .. ``maximum``; returns it unchanged."""
    if not minimum <= value <= maximum:
        raise ValidationError(
            f"{field} {shown(value)} is out of range; it must lie in {minimum}..{maximum}"
        )
    return value


def check_id(value: object, field: str = "id") -> int:
    """An id argument: an ``int`` (never a ``bool``) within :data:`ID_MIN` .. :data:`ID_MAX`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer, got {shown(value)}")
    if not ID_MIN <= value <= ID_MAX:
        raise ValidationError(
            f"{field} {value} is out of range; ids lie in {ID_MIN}..{ID_MAX} (32-bit keys)"
        )
    return value


_INT_ONLY: Final = frozenset({int})


def check_ids(values: Iterable[object], field: str = "id") -> None:
    """:func:`check_id` of each of ``values``; the error names the first refused one."""
    if isinstance(values, list | tuple | set | frozenset):
        if not values:
            return
        ints = cast("Collection[int]", values)
        if set(map(type, ints)) == _INT_ONLY and min(ints) >= ID_MIN and max(ints) <= ID_MAX:
            return
    for value in values:
        check_id(value, field)


def check_lookup_key(value: object, field: str = "lookup key") -> None:
    """Refuse a lookup argument that no backend could hold: an int outside the id range
    or text with a control character, also inside tuples and lists. Other values pass.
    """
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        check_id(value, field)
    elif isinstance(value, str):
        check_characters(value, field)
    elif isinstance(value, tuple | list | set | frozenset):
        check_lookup_keys(value, field)


def check_lookup_keys(values: Iterable[object], field: str = "lookup key") -> None:
    """:func:`check_lookup_key` for each of ``values``.

    A list or tuple of plain ints (a chunk of ids, the common case) passes in one sweep
    when its least and greatest lie in the id range; otherwise, and for anything else,
    each value is checked in turn, so the error names the first refused one.
    """
    if isinstance(values, list | tuple) and values and all(type(v) is int for v in values):
        ints = cast("Sequence[int]", values)
        if min(ints) >= ID_MIN and max(ints) <= ID_MAX:
            return
    for value in values:
        check_lookup_key(value, field)


def to_storable_utc(value: datetime, field: str) -> datetime:
    """An aware ``value`` converted to UTC, refused unless it lies within the storable range.

    A conversion that leaves ``datetime``'s range (year 9999 with a negative offset, year 1
    with a positive one) is refused too, never an ``OverflowError``.
    """
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not STORABLE_MIN <= utc <= STORABLE_MAX:
        raise ValidationError(
            f"{field} {value.isoformat()} is out of range; in UTC it must lie within "
            f"{STORABLE_MIN.isoformat()} .. {STORABLE_MAX.isoformat()}"
        )
    return utc


def is_storable_utc(value: datetime) -> bool:
    """True when the aware ``value`` passes :func:`to_storable_utc`."""
    try:
        to_storable_utc(value, "datetime")
    except ValidationError:
        return False
    return True


__all__ = [
    "FREE_TEXT_CONTROLS",
    "ID_MAX",
    "ID_MIN",
    "INT32_MAX",
    "INT32_MIN",
    "INT64_MAX",
    "INT64_MIN",
    "STORABLE_MAX",
    "STORABLE_MIN",
    "check_characters",
    "check_id",
    "check_ids",
    "check_int_range",
    "check_lookup_key",
    "check_lookup_keys",
    "describe_character",
    "has_whitespace",
    "is_storable_utc",
    "refused_character",
    "to_storable_utc",
]
