"""Users and admins: registration on the chain, local registration, validated updates."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Final

from attrs import asdict, evolve, field, frozen

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
_UNIQUE_KEYS: Final = ("in_app_id", "email", "paymail", "on_chain_id")


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


@frozen(kw_only=True)
class SignUp:
    """One user for :func:`register_users`, with what its chain sign-up needs."""

    user: User
    password: str = field(repr=False)
    email: str
    username: str | None = None
    """The chain username (default: the user's ``in_app_id``)."""
    group: str | None = None


@frozen
class _Checked:
    candidate: User
    username: str
    email: str


def _check_signup(
    user: User,
    *,
    password: str,
    email: str,
    username: str | None,
    group: str | None,
    profile_pic_filepath: str | None = None,
) -> _Checked:
    """Validate a sign-up before anything is sent; the user as it will be stored."""
    reject_stored(user, "user")
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
    return _Checked(candidate, checked_username, normalized_email)


def _paymail_of(answer: object, username: str, password: str) -> str:
    """The paymail of a chain sign-up answer; ``ChainError`` when refused or unusable."""
    if not isinstance(answer, dict) or answer.get("status") != "success":
        message = answer.get("message") if isinstance(answer, dict) else None
        shown = redact(str(message or repr(answer))[: BODY_LIMIT * 4], (password,))[:BODY_LIMIT]
        raise ChainError(
            f"chain sign-up of '{username}' was refused: {shown}",
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
            f"chain sign-up of '{username}' returned an unusable paymail "
            f"{redact(repr(paymail)[: BODY_LIMIT * 4], (password,))[:BODY_LIMIT]}",
            body=redact(repr(answer)[: BODY_LIMIT * 4], (password,))[:BODY_LIMIT],
        )
    return paymail


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
    key = check_key(idempotency_key)
    checked = _check_signup(
        user,
        password=password,
        email=email,
        username=username,
        group=group,
        profile_pic_filepath=profile_pic_filepath,
    )
    with keyed_call(uow, key):
        arguments = {
            "user": public_arguments(asdict(user)),
            "email": checked.email,
            "username": checked.username,
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
        _register(uow, user, checked, password, group, profile_pic_filepath, chain, clock)
        if key is not None:
            complete_keys(uow, REGISTER_USER, {key: {"user_id": user.id}})
    return user


def _register(
    uow: UnitOfWork,
    user: User,
    checked: _Checked,
    password: str,
    group: str | None,
    profile_pic_filepath: str | None,
    chain: ChainPort,
    clock: Clock | None,
) -> None:
    _check_user_unique(uow, checked.candidate)
    answer = chain.signup_user(
        checked.username,
        checked.email,
        password,
        group=group,
        profile_pic_filepath=profile_pic_filepath,
    )
    paymail = _paymail_of(answer, checked.username, password)
    holder = uow.users.get_by_paymail(paymail)
    if holder is not None:
        raise ConflictError(
            f"chain account with paymail '{paymail}' already exists for user {holder.id}"
        )
    now = now_from(clock)
    with atomic(uow):
        user.email = checked.candidate.email
        user.paymail = paymail
        user.on_chain_id = checked.username
        user.created_at = user.created_at or now
        user.updated_at = user.updated_at or now
        uow.users.add(user)


def _check_users_unique(uow: UnitOfWork, candidates: Sequence[User]) -> None:
    """``ConflictError`` naming a unique value given to two of ``candidates`` or held by
    a stored user (one set-based lookup)."""
    keys: dict[str, set[str]] = {name: set() for name in _UNIQUE_KEYS}
    for candidate in candidates:
        for name in _UNIQUE_KEYS:
            value = getattr(candidate, name)
            if value is None:
                continue
            if value in keys[name]:
                raise ConflictError(f"{name} '{value}' is given to two of the new users")
            keys[name].add(value)
    for holder in uow.users.list_holding(keys):
        for name in _UNIQUE_KEYS:
            value = getattr(holder, name)
            if value is not None and value in keys[name]:
                raise ConflictError(f"{name} '{value}' is already taken by user {holder.id}")


def register_users(
    uow: UnitOfWork,
    signups: Sequence[SignUp],
    *,
    chain: ChainPort,
    clock: Clock | None = None,
) -> list[User]:
    """Register many users (§4.1): every sign-up is validated and checked unique (among
    themselves and against storage, set-based) before the chain is called, then each is
    signed up on the chain and all are stored with one bulk ``add_many``.

    A bad or taken value raises before any chain call, naming it, and nothing is stored.
    Should the chain refuse a sign-up midway, nothing is stored either, but the accounts
    already created on the chain stay there (as with that many ``register_user`` calls).
    Returns the stored users, in order.
    """
    if isinstance(signups, str) or not isinstance(signups, Sequence):
        raise ValidationError(f"signups must be a sequence of SignUp, got {signups!r}")
    for signup in signups:
        if not isinstance(signup, SignUp):
            raise ValidationError(f"signups must hold SignUp values, got {signup!r}")
    checked = [
        _check_signup(
            s.user, password=s.password, email=s.email, username=s.username, group=s.group
        )
        for s in signups
    ]
    _check_users_unique(uow, [c.candidate for c in checked])
    paymails: list[str] = []
    for signup, one in zip(signups, checked, strict=True):
        answer = chain.signup_user(one.username, one.email, signup.password, group=signup.group)
        paymails.append(_paymail_of(answer, one.username, signup.password))
    now = now_from(clock)
    stored = [
        evolve(
            one.candidate,
            paymail=paymail,
            created_at=one.candidate.created_at or now,
            updated_at=one.candidate.updated_at or now,
        )
        for one, paymail in zip(checked, paymails, strict=True)
    ]
    _check_users_unique(uow, stored)
    with atomic(uow):
        uow.users.add_many(stored)
    for signup, user in zip(signups, stored, strict=True):
        for name in ("id", "email", "paymail", "on_chain_id", "created_at", "updated_at"):
            setattr(signup.user, name, getattr(user, name))
    return [signup.user for signup in signups]


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
