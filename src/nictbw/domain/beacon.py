"""Public randomness beacons (drand) as values, and the pure check of a published round.

A beacon publishes one round every ``period`` seconds from ``genesis_time``; round 1 is
published at the genesis time, round ``r`` at ``genesis_time + (r - 1) * period``. Each
round carries a BLS12-381 signature (in G2, public key in G1, ciphersuite
``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_``) and its randomness, the SHA-256 of that
signature. The signed message is

- ``pedersen-bls-chained``: ``sha256(previous_signature ‖ round as 8-byte big-endian)``;
- ``pedersen-bls-unchained``: ``sha256(round as 8-byte big-endian)``.

:func:`verify_beacon` checks both with py-arkworks-bls12381 (compiled BLS12-381
arithmetic, a few milliseconds a check), imported on first use (the ``verify`` extra);
other schemes are refused as not supported. Points must decode onto the curve and into
the prime-order subgroup, and the public key must not be the identity.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import ModuleType
from typing import Final

from attrs import frozen

from nictbw.domain.errors import BeaconError, ValidationError

SCHEME_CHAINED: Final = "pedersen-bls-chained"
SCHEME_UNCHAINED: Final = "pedersen-bls-unchained"
SUPPORTED_SCHEMES: Final = frozenset({SCHEME_CHAINED, SCHEME_UNCHAINED})
PUBLIC_KEY_BYTES: Final = 48
SIGNATURE_BYTES: Final = 96
MAX_ROUND: Final = 2**63 - 1
BLS_DST: Final = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"
"""The hash-to-curve domain tag of drand's G2 signatures (minimal public keys in G1)."""

DRAND_MAINNET_CHAIN_HASH: Final = "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce"
DRAND_MAINNET_PUBLIC_KEY: Final = (
    "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784"
    "a9402801af31"
)

KNOWN_CHAINS: Final[dict[str, str]] = {DRAND_MAINNET_CHAIN_HASH: DRAND_MAINNET_PUBLIC_KEY}
"""Chains whose public key nictbw pins: chain hash to the key a relay must announce."""

_HEX: Final = re.compile(r"[0-9a-f]*")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def check_pinned_key(info: BeaconInfo) -> None:
    """``BeaconError`` when ``info`` names a pinned chain but announces another public key."""
    pinned = KNOWN_CHAINS.get(info.chain_hash)
    if pinned is not None and info.public_key != pinned:
        raise BeaconError(
            f"chain {info.chain_hash[:16]}… announces public key {info.public_key[:16]}…, "
            f"but its pinned key is {pinned[:16]}…"
        )


def hex_bytes(value: object, what: str, length: int | None = None) -> bytes:
    """Decode lower-case hex ``value``; ``BeaconError`` naming ``what`` when it is not.

    With ``length`` the decoded value must have exactly that many bytes.
    """
    if not isinstance(value, str) or len(value) % 2 or not _HEX.fullmatch(value):
        raise BeaconError(f"{what} must be lower-case hex, got {value!r:.120}")
    raw = bytes.fromhex(value)
    if length is not None and len(raw) != length:
        raise BeaconError(f"{what} must be {length} bytes, got {len(raw)}: {value!r:.120}")
    return raw


def _check_round(value: object, what: str = "round") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROUND:
        raise BeaconError(f"{what} must be an int in [1, 2**63 - 1], got {value!r:.80}")
    return value


@frozen
class BeaconInfo:
    """What identifies a beacon chain and its schedule (drand's ``/info``).

    ``period`` and ``genesis_time`` are whole seconds (``genesis_time`` since the Unix
    epoch); ``chain_hash`` and ``public_key`` are lower-case hex.
    """

    chain_hash: str
    public_key: str
    period: int
    genesis_time: int
    scheme: str

    def __attrs_post_init__(self) -> None:
        hex_bytes(self.chain_hash, "beacon chain_hash", 32)
        hex_bytes(self.public_key, "beacon public_key")
        for name in ("period", "genesis_time"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise BeaconError(f"beacon {name} must be an int, got {value!r:.80}")
        if self.period < 1:
            raise BeaconError(f"beacon period must be at least 1 second, got {self.period!r}")
        if not isinstance(self.scheme, str) or not self.scheme:
            raise BeaconError(f"beacon scheme must be a non-empty string, got {self.scheme!r:.80}")

    @property
    def genesis(self) -> datetime:
        """The genesis time as an aware UTC datetime (when round 1 is published)."""
        try:
            return _EPOCH + timedelta(seconds=self.genesis_time)
        except OverflowError:
            raise BeaconError(f"beacon genesis_time {self.genesis_time} is out of range") from None

    def time_of(self, round_number: int) -> datetime:
        """When ``round_number`` is published: ``genesis + (round - 1) * period``."""
        checked = _check_round(round_number)
        try:
            return self.genesis + timedelta(seconds=(checked - 1) * self.period)
        except OverflowError:
            raise BeaconError(f"round {checked} lies beyond the last representable date") from None

    def round_at(self, time: datetime) -> int:
        """The latest round published at ``time`` (0 before the genesis)."""
        elapsed = _elapsed_microseconds(self, time)
        if elapsed < 0:
            return 0
        return elapsed // (self.period * 1_000_000) + 1

    def first_round_at_or_after(self, time: datetime) -> int:
        """The first round whose publication time is at or after ``time`` (at least 1)."""
        elapsed = _elapsed_microseconds(self, time)
        if elapsed <= 0:
            return 1
        return -(-elapsed // (self.period * 1_000_000)) + 1


def _elapsed_microseconds(info: BeaconInfo, time: datetime) -> int:
    if not isinstance(time, datetime) or time.tzinfo is None:
        raise ValidationError(f"beacon time must be an aware datetime, got {time!r:.80}")
    return (time - info.genesis) // _MICROSECOND


@frozen
class BeaconRound:
    """One published round: number, randomness, signature and (chained) previous signature.

    All byte strings are lower-case hex, as drand's HTTP API sends them.
    """

    round: int
    randomness: str
    signature: str
    previous_signature: str | None = None


def round_message(scheme: str, round_number: int, previous_signature: str | None) -> bytes:
    """The 32-byte message a beacon signs for ``round_number`` under ``scheme``."""
    number = _check_round(round_number).to_bytes(8, "big")
    if scheme == SCHEME_CHAINED:
        if previous_signature is None:
            raise BeaconError(f"round {round_number} of a chained beacon has no previous_signature")
        previous = hex_bytes(previous_signature, f"round {round_number} previous_signature")
        return hashlib.sha256(previous + number).digest()
    if scheme == SCHEME_UNCHAINED:
        return hashlib.sha256(number).digest()
    raise BeaconError(
        f"beacon scheme {scheme!r:.80} is not supported; supported: {sorted(SUPPORTED_SCHEMES)}"
    )


def bls_library() -> ModuleType:
    """The BLS12-381 module ``py_arkworks_bls12381`` (the ``verify`` extra), imported on
    first use; ``BeaconError`` saying which extra to install when it is missing."""
    try:
        import py_arkworks_bls12381
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise BeaconError(
            "verifying beacon signatures needs py-arkworks-bls12381; "
            "install nictbw with the 'verify' extra"
        ) from exc
    return py_arkworks_bls12381


@lru_cache(maxsize=1024)
def _bls_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` (compressed G2) signs ``message`` under ``public_key``
    (compressed G1): the pairing check ``e(pk, H(m)) = e(g1, sig)``."""
    bls = bls_library()
    try:
        key = bls.G1Point.from_compressed_bytes(public_key)
        point = bls.G2Point.from_compressed_bytes(signature)
    except ValueError:  # off the curve, out of the subgroup or malformed flags
        return False
    # The identity as a key would make the identity a valid signature of every message
    # (the library also reads spellings of the identity with stray bits as the identity).
    if key == bls.G1Point.identity():
        return False
    hashed = bls.G2Point.hash_to_curve(message, BLS_DST)
    return bool(bls.GT.pairing_check([key, -bls.G1Point()], [hashed, point]))


def verify_beacon(info: BeaconInfo, beacon_round: BeaconRound) -> None:
    """Check ``beacon_round`` against ``info``; ``BeaconError`` saying what is wrong.

    The randomness must be the SHA-256 of the signature and the signature a valid BLS
    signature by ``info.public_key`` over the round's message (see the module doc).
    Unsupported schemes raise before any cryptography. Results are cached per input.
    """
    if info.scheme not in SUPPORTED_SCHEMES:
        raise BeaconError(
            f"beacon scheme {info.scheme!r:.80} is not supported; "
            f"supported: {sorted(SUPPORTED_SCHEMES)}"
        )
    number = _check_round(beacon_round.round, "beacon round")
    public_key = hex_bytes(info.public_key, "beacon public_key", PUBLIC_KEY_BYTES)
    signature = hex_bytes(beacon_round.signature, f"round {number} signature", SIGNATURE_BYTES)
    randomness = hex_bytes(beacon_round.randomness, f"round {number} randomness", 32)
    if hashlib.sha256(signature).digest() != randomness:
        raise BeaconError(
            f"round {number} randomness {beacon_round.randomness} is not the SHA-256 of its "
            "signature"
        )
    message = round_message(info.scheme, number, beacon_round.previous_signature)
    if not _bls_verify(public_key, message, signature):
        raise BeaconError(
            f"round {number} signature does not verify against public key "
            f"{info.public_key[:16]}… of chain {info.chain_hash[:16]}…"
        )


__all__ = [
    "BLS_DST",
    "DRAND_MAINNET_CHAIN_HASH",
    "DRAND_MAINNET_PUBLIC_KEY",
    "KNOWN_CHAINS",
    "SCHEME_CHAINED",
    "SCHEME_UNCHAINED",
    "SUPPORTED_SCHEMES",
    "BeaconInfo",
    "BeaconRound",
    "bls_library",
    "check_pinned_key",
    "round_message",
    "verify_beacon",
]
