"""Erasing a user's personal data on a deletion request, keeping badges and draw results.

The user row stays (badges, cards and draw results point at its id, and draw exports
and candidate digests are built from ids), but every personal field goes: ``email``
and ``in_app_id`` become stable pseudonyms derived from the id (both stay unique, as
ids are), ``nickname``, ``paymail``, ``on_chain_id``, ``fcm_token`` and
``password_hash`` are cleared. nictbw stores no profile picture (it is only passed to
the chain at sign-up), so the chain account has to be deleted with the chain provider.
"""

from __future__ import annotations

from typing import Final

from attrs import asdict, evolve

from nictbw.app.workflows._authority import acting_admin
from nictbw.app.workflows.common import atomic, now_from, stored_user
from nictbw.app.workflows.lifecycle import EVENT_USER_ERASED, _emit, record
from nictbw.domain.audit import AuditAction, AuditEntity, changed_fields
from nictbw.domain.entities import Admin, User
from nictbw.domain.errors import ConflictError
from nictbw.domain.permissions import Operation
from nictbw.domain.validation import validate_user
from nictbw.ports import Clock, UnitOfWork

ERASED_FIELDS: Final = (
    "email",
    "in_app_id",
    "nickname",
    "paymail",
    "on_chain_id",
    "fcm_token",
    "password_hash",
    "password_provided",
)
"""The user fields :func:`erase_user` removes or replaces."""

PSEUDONYM_DOMAIN: Final = "erased.invalid"
"""The mail domain of erased users' pseudonymous emails (``.invalid`` never delivers)."""


def pseudonym(user_id: int) -> str:
    """The stable pseudonym of an erased user: ``erased-<id>``."""
    return f"erased-{user_id}"


def erase_user(uow: UnitOfWork, user: User, *, admin: Admin, clock: Clock | None = None) -> User:
    """Remove the personal data of ``user`` (see the module text); returns the user.

    Badges, cards, draw results and snapshots are untouched. Erasing a user that holds
    no personal data any more (erased, and nothing set again since) is a
    ``ConflictError``; a pseudonym already held by another user (someone registered
    ``erased-<id>`` by hand) is a ``ConflictError`` naming it. Needs the ``erase``
    permission; audited as ``erase_user`` (which fields were cleared, never their
    values); emits ``UserErased``.
    """
    actor = acting_admin(uow, admin, Operation.ERASE_USERS)
    stored = stored_user(uow, user)
    assert stored.id is not None
    name = pseudonym(stored.id)
    email = f"{name}@{PSEUDONYM_DOMAIN}"
    erased = evolve(
        stored,
        email=email,
        in_app_id=name,
        nickname=None,
        paymail=None,
        on_chain_id=None,
        fcm_token=None,
        password_hash=None,
        password_provided=False,
    )
    old, new = changed_fields(asdict(stored), asdict(erased), ERASED_FIELDS)
    if not old:
        raise ConflictError(f"user {stored.id} is already erased")
    for field, value, lookup in (
        ("email", email, uow.users.get_by_email),
        ("in_app_id", name, uow.users.get_by_in_app_id),
    ):
        holder = lookup(value)
        if holder is not None and holder.id != stored.id:
            raise ConflictError(f"pseudonym {field} '{value}' is already taken by user {holder.id}")
    validate_user(erased)
    now = now_from(clock)
    erased.updated_at = now
    with atomic(uow):
        uow.users.update(erased)
        record(
            uow,
            admin=actor,
            at=now,
            action=AuditAction.ERASE_USER,
            entity=AuditEntity.USER,
            entity_id=stored.id,
            before=dict.fromkeys(old, "<erased>"),
            after=new,
        )
        _emit(uow, EVENT_USER_ERASED, stored.id, {"user_id": stored.id})
    return erased


__all__ = ["ERASED_FIELDS", "PSEUDONYM_DOMAIN", "erase_user", "pseudonym"]
