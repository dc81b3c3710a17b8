"""``PasswordHasher`` on argon2-cffi: Argon2id hashes in the PHC string format."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

from nictbw.domain.errors import ValidationError
from nictbw.ports.passwords import PasswordHasher


class Argon2PasswordHasher(PasswordHasher):
    """Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile) unless given.

    ``time_cost`` is the number of passes, ``memory_cost`` KiB of memory, ``parallelism``
    lanes. A hash made with other parameters still verifies and ``needs_rehash`` says so.
    """

    def __init__(
        self,
        *,
        time_cost: int = argon2.DEFAULT_TIME_COST,
        memory_cost: int = argon2.DEFAULT_MEMORY_COST,
        parallelism: int = argon2.DEFAULT_PARALLELISM,
    ) -> None:
        for name, value, least in (
            ("time_cost", time_cost, 1),
            ("parallelism", parallelism, 1),
            ("memory_cost", memory_cost, 8 * max(parallelism, 1)),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ValidationError(f"argon2 {name} must be an integer >= {least}, got {value!r}")
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )

    def __repr__(self) -> str:
        params = self._hasher
        return (
            f"Argon2PasswordHasher(time_cost={params.time_cost}, "
            f"memory_cost={params.memory_cost}, parallelism={params.parallelism})"
        )

    def hash(self, password: str) -> str:
        """A new Argon2id hash of ``password`` with a random salt."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; ``False`` for a hash that is not Argon2."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters (or is not Argon2id at all)."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (InvalidHashError, ValueError):
            return True


__all__ = ["Argon2PasswordHasher"]
