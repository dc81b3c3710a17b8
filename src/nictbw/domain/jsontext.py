"""JSON text from outside, bounded before it is parsed.

CPython's ``json`` parser recurses once per nesting level in C; a hostile body nested a
hundred thousand levels deep can exhaust the C stack before ``RecursionError`` is raised.
``loads_bounded`` measures the nesting of the raw text first (strings skipped, no
recursion) and parses only text within the limit.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from nictbw.domain.errors import ValidationError

_STRING: Final = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS: Final = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING: Final = frozenset(b"[{")


def nesting_exceeds(raw: bytes | str, limit: int) -> bool:
    """Whether JSON text ``raw`` opens more than ``limit`` arrays or objects inside each other.

    Brackets inside strings do not count; malformed text is measured as it stands (the
    parser refuses it afterwards).
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = 0
    for byte in brackets:
        if byte in _OPENING:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads_bounded(raw: bytes | str, *, max_depth: int) -> Any:
    """``json.loads(raw)`` for text nested at most ``max_depth`` levels deep.

    Deeper text raises ``ValidationError`` naming the limit; text that is not JSON raises
    ``ValueError`` as ``json.loads`` does.
    """
    if nesting_exceeds(raw, max_depth):
        raise ValidationError(f"the JSON nests deeper than {max_depth} levels")
    return json.loads(raw)


__all__ = ["loads_bounded", "nesting_exceeds"]
