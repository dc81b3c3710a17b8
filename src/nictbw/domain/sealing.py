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

The seal digest (what an operator publishes when sealing) is the lower-case hex SHA-256 of,
concatenated with no separators:

1. the ASCII tag ``nictbw/seal/v1`` followed by one ``\\n`` byte;
2. the snapshot's candidate-set digest, 32 bytes;
3. the beacon's chain hash, 32 bytes;
4. the committed round number R, 8 bytes big-endian;
5. the committed winner cap (``max_wins_per_user``), 8 bytes big-endian, 0 for no cap.

It binds the candidates, the beacon round and the ranking rule (the cap) in one value: a
cap changed after R is public gives another seal digest than the one published.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Final

from nictbw.domain.beacon import BeaconInfo, hex_bytes
from nictbw.domain.errors import BeaconError, ValidationError

SEALED_DRAW_VERSION: Final = "nictbw/sealed-draw/v1"
SEAL_DIGEST_VERSION: Final = "nictbw/seal/v1"
SEALED_METADATA_KEY: Final = "sealed_draw"
"""The winning number's metadata key under which a sealed run records its beacon round."""
_MAX_ROUND: Final = 2**63 - 1


def sealed_draw_bytes(
    chain_hash: str, round_number: int, randomness: str, candidates_sha256: str
) -> bytes:
    """The canonical byte string of the module doc; ``ValidationError`` on a bad field."""
    _check_round(round_number)
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


def seal_digest(
    candidates_sha256: str, chain_hash: str, round_number: int, max_wins_per_user: int | None
) -> str:
    """The seal digest of the module doc; ``ValidationError`` on a bad field."""
    _check_round(round_number)
    cap = max_wins_per_user
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise ValidationError(f"max_wins_per_user must be None or an int >= 1, got {cap!r:.80}")
    if cap is not None and cap > _MAX_ROUND:
        raise ValidationError(f"max_wins_per_user {cap} is outside [1, 2**63 - 1]")
    try:
        parts = (
            hex_bytes(candidates_sha256, "candidates_sha256", 32),
            hex_bytes(chain_hash, "chain hash", 32),
            round_number.to_bytes(8, "big"),
            (cap or 0).to_bytes(8, "big"),
        )
    except BeaconError as exc:
        raise ValidationError(str(exc)) from exc
    data = SEAL_DIGEST_VERSION.encode("ascii") + b"\n" + b"".join(parts)
    return hashlib.sha256(data).hexdigest()


def _check_round(round_number: object) -> None:
    if isinstance(round_number, bool) or not isinstance(round_number, int):
        raise ValidationError(f"beacon round must be an int, got {round_number!r:.80}")
    if not 1 <= round_number <= _MAX_ROUND:
        raise ValidationError(f"beacon round {round_number} is outside [1, 2**63 - 1]")


def sealing_round(info: BeaconInfo, now: datetime, margin: timedelta) -> int:
    """The first round of ``info`` published at least ``margin`` after ``now``."""
    if not isinstance(margin, timedelta) or margin < timedelta(0):
        raise ValidationError(f"margin must be a timedelta >= 0, got {margin!r:.80}")
    return info.first_round_at_or_after(now + margin)


__all__ = [
    "SEALED_DRAW_VERSION",
    "SEALED_METADATA_KEY",
    "SEAL_DIGEST_VERSION",
    "seal_digest",
    "sealed_draw_bytes",
    "sealed_winning_value",
    "sealing_round",
]
