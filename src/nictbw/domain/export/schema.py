"""The shape of a draw export: every field's type, checked before anything is recomputed.

Whatever does not fit raises :class:`~nictbw.domain.errors.MalformedExportError` with one
line naming the field (``candidates[3].similarity must be a number, got 'x'``). Numbers
must be finite, integers fit in 64 bits, and values are shown without walking into them,
so a hostile file (deep nesting, huge numbers, NaN) cannot crash the check itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from nictbw.domain.errors import MalformedExportError
from nictbw.domain.export.format import (
    EXPORT_FORMAT_V1,
    EXPORT_FORMAT_V3,
    EXPORT_FORMATS,
    ROWS_DIGEST_KEY,
    SET_DIGEST_KEY,
    JsonObject,
)

INT64_MAX: Final = 2**63 - 1

# field kinds: a base kind, "?" suffix = may be null
_CANDIDATE_KINDS: Final = {
    "result_id": "int",
    "instance_id": "int",
    "unique_instance_id": "str?",
    "user_id": "int",
    "user": "str?",
    "definition_id": "int",
    "definition_prefix": "str?",
    "nft_origin": "str?",
    "draw_number": "str",
    "similarity": "number?",
    "draw_top_digits": "str?",
    "winning_top_digits": "str?",
    "threshold_used": "number?",
    "outcome": "str",
    "evaluated_at": "str?",
}
_WINNER_KINDS: Final = {
    "rank": "int",
    "result_id": "int",
    "instance_id": "int",
    "unique_instance_id": "str?",
    "user": "str?",
    "draw_number": "str",
    "similarity": "number?",
    "outcome": "str",
}
_DRAW_TYPE_KINDS: Final = {
    "internal_name": "str",
    "display_name": "str?",
    "algorithm_key": "str",
    "default_threshold": "number?",
}
_NUMBER_KINDS: Final = {
    "id": "int",
    "value": "str",
    "normalized_value": "str",
    "metadata": "any",
    "effective_at": "str?",
    "expires_at": "str?",
    "created_at": "str?",
}
_KIND_NAMES: Final = {
    "int": "int",
    "number": "number",
    "str": "str",
    "object": "object",
    "list": "list",
}


def show(value: object) -> str:
    """A short, safe description of ``value`` for a message (never walks into containers)."""
    if isinstance(value, dict):
        return f"an object of {len(value)} keys"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} items"
    if isinstance(value, str):
        shown = repr(value[:40])
        return shown if len(value) <= 40 else shown[:-1] + "...'"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64_MAX:
        return "an integer beyond 64 bits"
    if isinstance(value, bool | int | float) or value is None:
        return "null" if value is None else repr(value)
    return type(value).__name__


def malformed(message: str) -> MalformedExportError:
    """The error of a malformed export, ``message`` naming the offending part."""
    return MalformedExportError(f"export is malformed: {message}")


def _fits(value: object, base: str) -> bool:
    if base == "any":
        return True
    if base == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if base == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if base == "str":
        return isinstance(value, str)
    if base == "object":
        return isinstance(value, dict)
    return isinstance(value, list)


def check_value(value: object, kind: str, where: str) -> Any:
    """``value`` if it is of ``kind`` (``int``, ``number``, ``str``, ``object``, ``list``,
    ``any``; a ``?`` suffix allows null), else ``MalformedExportError`` naming ``where``."""
    base = kind.rstrip("?")
    if value is None and kind.endswith("?"):
        return None
    if not _fits(value, base):
        wanted = _KIND_NAMES.get(base, base) + (" or null" if kind.endswith("?") else "")
        raise malformed(f"{where} must be {wanted}, got {show(value)}")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64_MAX:
        raise malformed(f"{where} is an integer beyond 64 bits")
    if isinstance(value, float) and not math.isfinite(value):
        raise malformed(f"{where} must be a finite number, got {value!r}")
    return value


def check_object(
    data: object, kinds: Mapping[str, str], where: str, *, exact: bool = True
) -> JsonObject:
    """``data`` as an object holding every key of ``kinds`` with its kind; with ``exact``
    no other key either."""
    if not isinstance(data, dict):
        raise malformed(f"{where} must be an object, got {show(data)}")
    for key, kind in kinds.items():
        if key not in data:
            raise malformed(f"{where} has no {key!r}")
        check_value(data[key], kind, f"{where}.{key}")
    if exact and len(data) != len(kinds):
        extra = sorted(str(k)[:40] for k in data if k not in kinds)[:5]
        raise malformed(f"{where} has unknown keys {extra}")
    return data


def check_candidate(data: object, position: int) -> JsonObject:
    """One candidate row (``candidates[position]``), checked."""
    return check_object(data, _CANDIDATE_KINDS, f"candidates[{position}]")


def check_winner(data: object, position: int) -> JsonObject:
    """One winners row (``winners[position]``), checked."""
    return check_object(data, _WINNER_KINDS, f"winners[{position}]")


def header_kinds(fmt: str) -> dict[str, str]:
    """The top-level keys of format ``fmt`` and their kinds."""
    kinds = {
        "format": "str",
        "draw_type": "object",
        "threshold": "number?",
        "limit": "int?",
        "winning_number": "object",
        "exported_at": "str?",
        "candidate_count": "int",
        "candidates": "list",
        "winners": "list",
        ROWS_DIGEST_KEY[fmt]: "str",
        "snapshot": "object?",
    }
    if fmt == EXPORT_FORMAT_V3:
        kinds["max_wins_per_user"] = "int?"
        kinds["sealed"] = "object?"
    return kinds


def check_format(data: object) -> str:
    """The format of an export document; refuses what is not an object or not a known format."""
    if not isinstance(data, dict):
        raise MalformedExportError(f"export must be a JSON object, got {type(data).__name__}")
    if "format" not in data:
        raise malformed("export has no 'format'")
    fmt = data["format"]
    if fmt not in EXPORT_FORMATS:
        known = " or ".join(repr(f) for f in EXPORT_FORMATS)
        raise MalformedExportError(f"export format {show(fmt)} is not {known}")
    assert isinstance(fmt, str)
    return fmt


def check_header(data: object) -> JsonObject:
    """Check everything of an export but the candidate and winner rows; returns ``data``.

    ``candidates`` and ``winners`` must be lists (a streaming reader puts empty ones in).
    """
    fmt = check_format(data)
    assert isinstance(data, dict)
    kinds = header_kinds(fmt)
    for key in kinds:
        if key not in data and not (fmt == EXPORT_FORMAT_V1 and key == "exported_at"):
            raise malformed(f"export has no {key!r}")
    extra = sorted(str(k)[:40] for k in data if k not in kinds)[:5]
    if extra:
        raise malformed(f"export has unknown keys {extra}")
    for key, kind in kinds.items():
        if key in data:
            check_value(data[key], kind, f"export.{key}")
    check_object(data["draw_type"], _DRAW_TYPE_KINDS, "draw_type", exact=False)
    check_object(data["winning_number"], _NUMBER_KINDS, "winning_number", exact=False)
    snapshot = data["snapshot"]
    if snapshot is not None:
        snapshot_kinds = {
            "id": "int",
            "scope": "str",
            "attendance_definition_id": "int?",
            "candidate_count": "int",
            SET_DIGEST_KEY[fmt]: "str",
            "created_at": "str?",
        }
        check_object(snapshot, snapshot_kinds, "snapshot")
    return data


__all__ = [
    "INT64_MAX",
    "check_candidate",
    "check_format",
    "check_header",
    "check_object",
    "check_value",
    "check_winner",
    "header_kinds",
    "malformed",
    "show",
]
