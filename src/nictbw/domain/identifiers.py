"""Unique instance ids ``<prefix>-<base62(12)>`` (domain-rules.md §3.1)."""

from __future__ import annotations

import random
import secrets
import string
from collections.abc import Callable, Sequence
from typing import Final

from nictbw.domain.errors import ConflictError, ValidationError

BASE62_ALPHABET: Final = string.digits + string.ascii_uppercase + string.ascii_lowercase
UNIQUE_SUFFIX_LENGTH: Final = 12
MAX_UNIQUE_ID_ATTEMPTS: Final = 32


_BASE62_BITS: Final = len(BASE62_ALPHABET).bit_length()


def random_suffix(rng: random.Random | None) -> str:
    """Twelve uniform base62 characters: ``rng.choice`` each, or ``secrets`` without an rng.

    For a plain ``random.Random`` the draws are made as ``choice`` makes them (rejection
    sampling of ``getrandbits``), without its per-call overhead: same characters, same
    ``rng`` state afterwards.
    """
    if rng is None or type(rng) is not random.Random:
        choose = secrets.choice if rng is None else rng.choice
        return "".join([choose(BASE62_ALPHABET) for _ in range(UNIQUE_SUFFIX_LENGTH)])
    bits = rng.getrandbits
    size = len(BASE62_ALPHABET)
    chars: list[str] = []
    while len(chars) < UNIQUE_SUFFIX_LENGTH:
        drawn = bits(_BASE62_BITS)
        if drawn < size:
            chars.append(BASE62_ALPHABET[drawn])
    return "".join(chars)


def new_unique_instance_id(
    prefix: str, *, rng: random.Random | None, is_taken: Callable[[str], bool]
) -> str:
    """A fresh ``<prefix>-<suffix>`` for which ``is_taken`` is false.

    A taken candidate is discarded and redrawn; after 32 taken candidates raises
    ``ConflictError`` naming the prefix.
    """
    if not isinstance(prefix, str) or not prefix:
        raise ValidationError(f"unique ids need a non-empty string prefix, got {prefix!r}")
    for _ in range(MAX_UNIQUE_ID_ATTEMPTS):
        candidate = f"{prefix}-{random_suffix(rng)}"
        if not is_taken(candidate):
            return candidate
    raise ConflictError(
        f"no free unique instance id for prefix {prefix!r} after {MAX_UNIQUE_ID_ATTEMPTS} attempts"
    )


def new_unique_instance_ids(
    prefixes: Sequence[str | None],
    *,
    rng: random.Random | None,
    is_taken: Callable[[str], bool],
    between: Callable[[int], None] | None = None,
) -> list[str | None]:
    """One ``new_unique_instance_id`` per prefix, in order, all distinct (§3.1).

    A ``None`` prefix draws nothing and gives ``None``. A candidate drawn earlier in the
    batch counts as taken. ``between(i)`` runs after position ``i`` is drawn, so a caller
    can consume the same ``rng`` interleaved exactly as issuing one by one does.
    """
    chosen: list[str | None] = []
    used: set[str] = set()

    def taken(candidate: str) -> bool:
        return candidate in used or is_taken(candidate)

    for i, prefix in enumerate(prefixes):
        candidate = None
        if prefix is not None:
            candidate = new_unique_instance_id(prefix, rng=rng, is_taken=taken)
            used.add(candidate)
        chosen.append(candidate)
        if between is not None:
            between(i)
    return chosen


__all__ = [
    "BASE62_ALPHABET",
    "MAX_UNIQUE_ID_ATTEMPTS",
    "UNIQUE_SUFFIX_LENGTH",
    "new_unique_instance_id",
    "new_unique_instance_ids",
    "random_suffix",
]
