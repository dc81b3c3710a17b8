"""Admin passwords: hashing at registration and checking a password (domain-rules.md §4.2).

Passwords and hashes never appear in an error message; a refused password is described by
its rule alone.
"""

from __future__ import annotations

from typing import Final

from nictbw.app.workflows.common import atomic, now_from
from nictbw.domain.entities import Admin
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.ports import Clock, PasswordHasher, UnitOfWork

PASSWORD_MAX_LENGTH: Final = 1024
"""The longest password accepted, in characters (hashing cost stays bounded)."""


def default_hasher(hasher: PasswordHasher | None) -> PasswordHasher:
    """``hasher``, or an Argon2id hasher with the library's default parameters."""
    if hasher is not None:
        if not isinstance(hasher, PasswordHasher):
            raise ValidationError(f"hasher must be a PasswordHasher, got {type(hasher).__name__}")
        return hasher
    from nictbw.adapters.passwords import Argon2PasswordHasher

    return Argon2PasswordHasher()


def check_password(password: object) -> str:
    """A password to hash: a non-blank ``str`` of at most ``PASSWORD_MAX_LENGTH``
    characters without NUL; the refusal never quotes it."""
    if not isinstance(password, str):
        raise ValidationError(f"password must be a string, got {type(password).__name__}")
    if not password.strip():
        raise ValidationError("password must not be blank")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise ValidationError(
            f"password is {len(password)} characters long, at most {PASSWORD_MAX_LENGTH} allowed"
        )
    if "\x00" in password:
        raise ValidationError("password must not contain a NUL character")
    return password


def hash_new_password(
    admin: Admin, password: str | None, hasher: PasswordHasher | None
) -> str | None:
    """The hash to store for a new admin given ``password``; ``None`` when no password is
    given (the admin's ready ``password_hash`` is kept). Both given -> ``ValidationError``."""
    if password is None:
        return None
    if admin.password_hash:
        raise ValidationError(
            "give either password or a ready password_hash to register_admin, not both"
        )
    return default_hasher(hasher).hash(check_password(password))


def verify_admin_password(
    uow: UnitOfWork,
    admin: Admin,
    password: str,
    *,
    hasher: PasswordHasher | None = None,
    clock: Clock | None = None,
) -> bool:
    """Whether ``password`` is the stored admin's password.

    When it is and ``hasher`` says the stored hash was made with outdated parameters, the
    hash is replaced by a new one in the same unit of work (commit to keep it), by a
    compare-and-set, so a password changed meanwhile is never overwritten. A hash the
    hasher cannot read (an imported opaque value) never matches. An admin that is not
    stored -> ``NotFoundError``.
    """
    admin_id = admin.id
    if admin_id is None:
        raise NotFoundError("admin is not stored (id is None)")
    if isinstance(admin_id, bool) or not isinstance(admin_id, int):
        raise ValidationError(f"admin id must be an int, got {admin_id!r}")
    if not isinstance(password, str):
        raise ValidationError(f"password must be a string, got {type(password).__name__}")
    checker = default_hasher(hasher)
    stored = uow.admins.get(admin_id)
    if stored is None:
        raise NotFoundError(f"admin {admin_id} does not exist")
    if not stored.password_hash or not checker.verify(stored.password_hash, password):
        return False
    if checker.needs_rehash(stored.password_hash):
        fresh = checker.hash(password)
        now = now_from(clock)
        with atomic(uow):
            uow.admins.replace_password_hash(admin_id, stored.password_hash, fresh, now)
    return True


__all__ = ["PASSWORD_MAX_LENGTH", "check_password", "verify_admin_password"]
