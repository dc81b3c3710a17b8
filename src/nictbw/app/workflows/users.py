"""Users and admins: registration on the chain, local registration, validated updates."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from attrs import asdict, evolve

from nictbw.app.workflows.common import atomic, now_from, reject_stored, stored_user
from nictbw.app.workflows.idempotency import (
    REGISTER_USER,
    check_key,
    claim_key,
    complete_keys,
    keyed_call,
    public_arguments,
    stored_ids,
)
from nictbw.app.workflows.passwords import hash_new_password
from nictbw.domain.entities import Admin, User, normalize_email
from nictbw.domain.errors import ChainError, ConflictError, NotFoundError, ValidationError
from nictbw.domain.redaction import redact
from nictbw.domain.validation import (
    check_text,
    validate_admin,
    validate_email_address,
    validate_user,
    validate_user_changes,
)
from nictbw.domain.values import refused_character
from nictbw.ports import ChainPort, Clock, PasswordHasher, UnitOfWork

BODY_LIMIT = 500


def _check_user_unique(uow: UnitOfWork, user: User, *, exclude_id: int | None = None) -> None:
    """``ConflictError`` when another stored user holds one of ``user``'s unique keys."""
    checks = (
        ("in_app_id", user.in_app_id, uow.users.get_by_in_app_id),
        ("email", user.email, uow.users.get_by_email),
        ("paymail", user.paymail, uow.users.get_by_paymail),
        ("on_chain_id", user.on_chain_id, uow.users.get_by_on_chain_id),
    )
    for name, value, lookup in checks:
        if value is None:
            continue
        holder = lookup(value)
        if holder is not None and holder.id != exclude_id:
            raise ConflictError(f"{name} '{value}' is already taken by user {holder.id}")


def register_user(
    uow: UnitOfWork,
    user: User,
    *,
    password: str,
    email: str,
    username: str | None = None,
    group: str | None = None,
    profile_pic_filepath: str | None = None,
    chain: ChainPort,
    clock: Clock | None = None,
    idempotency_key: str | None = None,
) -> User:
    """Sign ``user`` up on the chain and store it with its paymail and chain username (§4.1).

    Local uniqueness is checked before the chain is called, so a refused registration
    leaves no orphan chain account behind. With ``idempotency_key`` a repeat with the same
    arguments (the password aside) returns the stored user without calling the chain;
    other arguments: ``ConflictError``.
    """
    reject_stored(user, "user")
    key = check_key(idempotency_key)
    chain_username = username if username is not None else user.in_app_id
    checked_username = check_text(chain_username, "username", 255, nullable=False, not_blank=True)
    assert checked_username is not None
    normalized_email = validate_email_address(email)
    if not isinstance(password, str) or not password.strip():
        raise ValidationError("password must be a non-blank string")
    if group is not None:
        check_text(group, "group", 255)
    if profile_pic_filepath is not None and not (
        isinstance(profile_pic_filepath, str)
        and os.path.isfile(profile_pic_filepath)
        and os.access(profile_pic_filepath, os.R_OK)
    ):
        raise ValidationError(
            f"profile_pic_filepath {profile_pic_filepath!r} is not a readable file"
        )
    candidate = evolve(user)
    if candidate.email is None:
        candidate.email = normalized_email
    candidate.on_chain_id = checked_username
    validate_user(candidate)
    with keyed_call(uow, key):
        arguments = {
            "user": public_arguments(asdict(user)),
            "email": normalized_email,
            "username": checked_username,
            "group": group,
            "profile_pic_filepath": profile_pic_filepath,
        }
        replay = claim_key(uow, REGISTER_USER, key, arguments, now_from(clock))
        if replay is not None:
            (user_id,) = stored_ids([replay], "user_id")
            found = uow.users.get(user_id)
            if found is None:
                raise NotFoundError(f"user {user_id} of idempotency_key {key!r} is gone")
            return found
        _register(
            uow,
            user,
            candidate,
            password,
            normalized_email,
            group,
            profile_pic_filepath,
            chain,
            clock,
            checked_username,
        )
        if key is not None:
            complete_keys(uow, REGISTER_USER, {key: {"user_id": user.id}})
    return user


def _register(
    uow: UnitOfWork,
    user: User,
    candidate: User,
    password: str,
    normalized_email: str,
    group: str | None,
    profile_pic_filepath: str | None,
    chain: ChainPort,
    clock: Clock | None,
    checked_username: str,
) -> None:
    _check_user_unique(uow, candidate)

    answer = chain.signup_user(
        checked_username,
        normalized_email,
        password,
        group=group,
        profile_pic_filepath=profile_pic_filepath,
    )
    if not isinstance(answer, dict) or answer.get("status") != "success":
        message = answer.get("message") if isinstance(answer, dict) else None
        shown = redact(str(message or repr(answer))[: BODY_LIMIT * 4], (password,))[:BODY_LIMIT]
        raise ChainError(
            f"chain sign-up of '{checked_username}' was refused: {shown}",
            body=redact(repr(answer)[: BODY_LIMIT * 4], (password,))[:BODY_LIMIT],
        )
    paymail = answer.get("paymail")
    if (
        not isinstance(paymail, str)
        or not paymail.strip()
        or len(paymail) > 255
        or refused_character(paymail) is not None
    ):
        raise ChainError(
            f"chain sign-up of '{checked_username}' returned an unusable paymail "
            f"{redact(repr(paymail)[: BODY_LIMIT * 4], (password,))[:BODY_LIMIT]}",
            body=redact(repr(answer)[: BODY_LIMIT * 4], (password,))[:BODY_LIMIT],
        )
    holder = uow.users.get_by_paymail(paymail)
    if holder is not None:
        raise ConflictError(
            f"chain account with paymail '{paymail}' already exists for user {holder.id}"
        )
    now = now_from(clock)
    with atomic(uow):
        user.email = candidate.email
        user.paymail = paymail
        user.on_chain_id = checked_username
        user.created_at = user.created_at or now
        user.updated_at = user.updated_at or now
        uow.users.add(user)


def register_admin(
    uow: UnitOfWork,
    admin: Admin,
    *,
    password: str | None = None,
    hasher: PasswordHasher | None = None,
    clock: Clock | None = None,
) -> Admin:
    """Store a new admin (§4.2); email taken -> ``ConflictError``.

    With ``password`` the admin's ``password_hash`` is made by ``hasher`` (Argon2id by
    default); without it a ready ``password_hash`` is stored as given (imports). Both
    given -> ``ValidationError``.
    """
    reject_stored(admin, "admin")
    hashed = hash_new_password(admin, password, hasher)
    validate_admin(admin if hashed is None else evolve(admin, password_hash=hashed))
    if admin.email is not None:
        holder = uow.admins.get_by_email(admin.email)
        if holder is not None:
            raise ConflictError(
                f"admin email '{admin.email}' is already taken by admin {holder.id}"
            )
    now = now_from(clock)
    with atomic(uow):
        if hashed is not None:
            admin.password_hash = hashed
        admin.created_at = admin.created_at or now
        admin.updated_at = admin.updated_at or now
        uow.admins.add(admin)
    return admin


def update_user(uow: UnitOfWork, user: User, *, clock: Clock | None = None, **changes: Any) -> User:
    """Apply validated field ``changes`` to a stored user (§4.3); returns the stored user."""
    validate_user_changes(changes)
    stored = stored_user(uow, user)
    updated = evolve(stored, **_normalized(changes))
    validate_user(updated)
    differs = any(getattr(stored, key) != getattr(updated, key) for key in changes)
    if not differs:
        return stored
    _check_user_unique(uow, updated, exclude_id=stored.id)
    updated.updated_at = now_from(clock)
    with atomic(uow):
        uow.users.update(updated)
    return updated


def _normalized(changes: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    if "email" in out:
        out["email"] = normalize_email(out["email"])
    return out
