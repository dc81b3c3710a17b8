"""How error messages and notes show a value: its ``repr``, shortened when long."""

from __future__ import annotations

from typing import Final

SHOWN_MAX: Final = 80
"""The longest ``repr`` a message shows in full."""


def shown(value: object) -> str:
    """``repr(value)``, cut to :data:`SHOWN_MAX` characters with ``...`` when longer (and,
    for a string, its length), so a message names the value and stays readable."""
    text = repr(value)
    if len(text) <= SHOWN_MAX:
        return text
    length = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[: SHOWN_MAX - 3]}...{length}"


__all__ = ["SHOWN_MAX", "shown"]
