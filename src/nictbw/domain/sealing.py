"""The winning value of a sealed draw: a function of a beacon round and the snapshot only.

The canonical byte string (version 1) is, concatenated with no separators:

1. the ASCII tag ``nictbw/sealed-draw/v1`` followed by one ``\\n`` byte;
2. the beacon's chain hash, 32 bytes;
3. the round number R, 8 bytes big-endian;
4. round R's randomness, 32 bytes;
5. the snapshot's candidate-set digest (``candidates_sha256``), 32 bytes.

Every field after the tag has a fixed length, so no two inputs share a byte string. The
winning value is the lower-case hex SHA-256 of it (64 characters). Anyone holding the
round and the snapshot recomputes it; nobody can choose it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Final

from nictbw.domain.beacon import BeaconInfo, hex_bytes
from nictbw.domain.errors import BeaconError, ValidationError

SEALED_DRAW_VERSION: Final = "nictbw/sealed-draw/v1"
SEALED_METADATA_KEY: Final = "sealed_draw"
"""The winning number's metadata key under which a sealed run records its beacon round."""
_MAX_ROUND: Final = 2**63 - 1


def sealed_draw_bytes(
    chain_hash: str, round_number: int, randomness: str, candidates_sha256: str
) -> bytes:
    """The canonical byte string of the module doc; ``ValidationError`` on a bad field."""
    if isinstance(round_number, bool) or not isinstance(round_number, int):
        raise ValidationError(f"beacon round must be an int, got {round_number!r:.80}")
    if not 1 <= round_number <= _MAX_ROUND:
        raise ValidationError(f"beacon round {round_number} is outside [1, 2**63 - 1]")
    try:
        parts = (
            hex_bytes(chain_hash, "chain hash", 32),
            round_number.to_bytes(8, "big"),
            hex_bytes(randomness, "randomness", 32),
            hex_bytes(candidates_sha256, "candidates_sha256", 32),
        )
    except BeaconError as exc:
        raise ValidationError(str(exc)) from exc
    return SEALED_DRAW_VERSION.encode("ascii") + b"\n" + b"".join(parts)


def sealed_winning_value(
    chain_hash: str, round_number: int, randomness: str, candidates_sha256: str
) -> str:
    """Lower-case hex SHA-256 of :func:`sealed_draw_bytes`: the draw's winning value."""
    data = sealed_draw_bytes(chain_hash, round_number, randomness, candidates_sha256)
    return hashlib.sha256(data).hexdigest()


def sealing_round(info: BeaconInfo, now: datetime, margin: timedelta) -> int:
    """The first round of ``info`` published at least ``margin`` after ``now``."""
    if not isinstance(margin, timedelta) or margin < timedelta(0):
        raise ValidationError(f"margin must be a timedelta >= 0, got {margin!r:.80}")
    return info.first_round_at_or_after(now + margin)


__all__ = [
    "SEALED_DRAW_VERSION",
    "SEALED_METADATA_KEY",
    "sealed_draw_bytes",
    "sealed_winning_value",
    "sealing_round",
]
