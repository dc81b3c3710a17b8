"""The password hashing port: how admin passwords become stored hashes and are checked."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class PasswordHasher(Protocol):
    """Turns passwords into self-describing hashes (algorithm, parameters and salt inside)
    and checks passwords against them.

    A hash is opaque text of at most 255 characters. Implementations never log or put a
    password or a hash into an error message.
    """

    def hash(self, password: str) -> str:
        """A new salted hash of ``password``."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``; ``False`` as well for a hash this
        hasher cannot read (another algorithm, a damaged or an imported opaque value)."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with other parameters than this hasher's
        current ones, so that it should be replaced after the next successful check."""
        ...


__all__ = ["PasswordHasher"]
