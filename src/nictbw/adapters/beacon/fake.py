"""An in-process randomness beacon with its own BLS key pair, for tests and simulations.

``FakeBeacon`` behaves like a drand chain: rounds follow its genesis and period on the
injected clock, a round after "now" is not published yet, and every round is signed with
a key pair derived from the seed, so ``verify_beacon`` accepts it exactly as it accepts a
real one. A chained round needs every round before it (about a millisecond each to sign):
signatures are cached per key and round, and the genesis defaults to the clock's time at
construction so that rounds stay few.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import UTC, datetime
from functools import lru_cache

from nictbw.domain.beacon import (
    BLS_DST,
    SCHEME_CHAINED,
    SUPPORTED_SCHEMES,
    BeaconInfo,
    BeaconRound,
    bls_library,
    round_message,
)
from nictbw.domain.errors import BeaconError, BeaconRoundNotPublishedError, ValidationError
from nictbw.ports.beacon import RandomnessBeacon
from nictbw.ports.clock import Clock

_KEY_TAG = b"nictbw fake beacon key v1"
_CHAIN_TAG = b"nictbw fake beacon chain v1"


_GROUP_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""The order r of BLS12-381's prime-order subgroups: secret keys are below it."""
_KEYGEN_SALT = b"BLS-SIG-KEYGEN-SALT-"
_KEYGEN_BYTES = 48


def bls_key_gen(ikm: bytes) -> int:
    """The BLS secret key that the IETF BLS signature draft's ``KeyGen`` derives from
    ``ikm`` (empty key_info): HKDF-SHA-256 to 48 bytes, reduced mod r, salt rehashed
    until the key is not zero."""
    salt = _KEYGEN_SALT
    length = _KEYGEN_BYTES.to_bytes(2, "big")
    secret = 0
    while secret == 0:
        salt = hashlib.sha256(salt).digest()
        pseudo_random = hmac.digest(salt, ikm + b"\x00", "sha256")
        okm, block, counter = b"", b"", 1
        while len(okm) < _KEYGEN_BYTES:
            block = hmac.digest(pseudo_random, block + length + bytes([counter]), "sha256")
            okm += block
            counter += 1
        secret = int.from_bytes(okm[:_KEYGEN_BYTES], "big") % _GROUP_ORDER
    return secret


@lru_cache(maxsize=32)
def fake_key_pair(seed: int) -> tuple[int, str]:
    """The secret key and hex public key (compressed G1) a ``FakeBeacon`` of ``seed`` signs with."""
    secret = bls_key_gen(hashlib.sha256(_KEY_TAG + str(seed).encode()).digest())
    bls = bls_library()
    return secret, (bls.G1Point() * bls.Scalar(secret)).to_compressed_bytes().hex()


@lru_cache(maxsize=4096)
def _sign(secret: int, message: bytes) -> str:
    """The hex compressed G2 signature ``secret · H(message)``."""
    bls = bls_library()
    hashed = bls.G2Point.hash_to_curve(message, BLS_DST)
    return str((hashed * bls.Scalar(secret)).to_compressed_bytes().hex())


def fake_chain_hash(public_key: str, period: int, genesis_time: int, scheme: str) -> str:
    """The chain hash of a fake chain: SHA-256 over its parameters (as drand hashes its info)."""
    text = f"{public_key}|{period}|{genesis_time}|{scheme}".encode()
    return hashlib.sha256(_CHAIN_TAG + text).hexdigest()


class FakeBeacon(RandomnessBeacon):
    """A seeded beacon on ``clock``: round ``r`` exists once ``clock.now() >= time_of(r)``.

    ``genesis_time`` (Unix seconds) defaults to the clock's whole second at construction.
    The same seed, period, genesis and scheme always give the same rounds.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        seed: int = 0,
        period: int = 30,
        genesis_time: int | None = None,
        scheme: str = SCHEME_CHAINED,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValidationError(f"fake beacon seed must be an int, got {seed!r}")
        if scheme not in SUPPORTED_SCHEMES:
            raise ValidationError(
                f"fake beacon scheme {scheme!r} is not one of {sorted(SUPPORTED_SCHEMES)}"
            )
        self.clock = clock
        self.seed = seed
        if genesis_time is None:
            genesis_time = int(clock.now().astimezone(UTC).timestamp())
        self._secret, public_key = fake_key_pair(seed)
        self._info = BeaconInfo(
            chain_hash=fake_chain_hash(public_key, period, genesis_time, scheme),
            public_key=public_key,
            period=period,
            genesis_time=genesis_time,
            scheme=scheme,
        )
        self._signatures: dict[int, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FakeBeacon(seed={self.seed}, chain_hash={self._info.chain_hash[:16]}…)"

    @property
    def genesis_signature(self) -> str:
        """The ``previous_signature`` of round 1 (a chained chain's seed)."""
        return hashlib.sha256(_CHAIN_TAG + self._info.chain_hash.encode()).hexdigest()

    def info(self) -> BeaconInfo:
        """The fake chain's parameters."""
        return self._info

    def round_at(self, time: datetime) -> int:
        """The latest round published at ``time``."""
        return self._info.round_at(time)

    def time_of(self, round_number: int) -> datetime:
        """When ``round_number`` is published."""
        try:
            return self._info.time_of(round_number)
        except BeaconError as exc:
            raise BeaconError(f"fake beacon: {exc}") from exc

    def latest(self) -> BeaconRound:
        """The latest published round; ``BeaconRoundNotPublishedError`` before the genesis."""
        return self.get(max(self._info.round_at(self.clock.now()), 1))

    def get(self, round_number: int) -> BeaconRound:
        """Round ``round_number``, signed; refused while it lies in the clock's future."""
        publish_at = self.time_of(round_number)
        if self.clock.now() < publish_at:
            raise BeaconRoundNotPublishedError(round_number, publish_at)
        return self.sign(round_number)

    def sign(self, round_number: int) -> BeaconRound:
        """Round ``round_number`` whatever the clock says (for servers and tests)."""
        self.time_of(round_number)
        previous = self._previous_signature(round_number)
        signature = self._signature(round_number)
        return BeaconRound(
            round=round_number,
            randomness=hashlib.sha256(bytes.fromhex(signature)).hexdigest(),
            signature=signature,
            previous_signature=previous,
        )

    def _previous_signature(self, round_number: int) -> str | None:
        if self._info.scheme != SCHEME_CHAINED:
            return None
        if round_number == 1:
            return self.genesis_signature
        return self._signature(round_number - 1)

    def _signature(self, round_number: int) -> str:
        with self._lock:
            found = self._signatures.get(round_number)
            if found is not None:
                return found
            start = round_number
            if self._info.scheme == SCHEME_CHAINED:
                while start > 1 and start - 1 not in self._signatures:
                    start -= 1
            for number in range(start, round_number + 1):
                previous = self._previous_locked(number)
                message = round_message(self._info.scheme, number, previous)
                self._signatures[number] = _sign(self._secret, message)
            return self._signatures[round_number]

    def _previous_locked(self, round_number: int) -> str | None:
        if self._info.scheme != SCHEME_CHAINED:
            return None
        if round_number == 1:
            return self.genesis_signature
        return self._signatures[round_number - 1]
