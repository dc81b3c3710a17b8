"""Editing admins: email, name and role, checked against the permission table and audited."""

from __future__ import annotations

from typing import Any, Final

from attrs import evolve

from nictbw.app.workflows._authority import acting_admin
from nictbw.app.workflows.common import atomic, now_from
from nictbw.app.workflows.lifecycle import checked_changes, entity_fields, record
from nictbw.domain.audit import AuditAction, AuditEntity, changed_fields
from nictbw.domain.entities import Admin
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.permissions import AdminRole, Operation, may
from nictbw.domain.validation import validate_admin
from nictbw.domain.values import check_id
from nictbw.ports import Clock, UnitOfWork

ADMIN_EDITABLE: Final = ("email", "name", "role")
"""The admin fields :func:`update_admin` may change (passwords have their own workflow)."""


def _manages_admins(admins: list[Admin]) -> bool:
    return any(may(a.role, Operation.MANAGE_ADMINS) for a in admins)


def update_admin(
    uow: UnitOfWork,
    target: Admin,
    *,
    admin: Admin,
    clock: Clock | None = None,
    **changes: Any,
) -> Admin:
    """Change ``email``, ``name`` or ``role`` of a stored admin; returns it.

    ``role`` must be one of :class:`~nictbw.domain.permissions.AdminRole` or None (every
    right, see the permission table); an email held by another admin is a
    ``ConflictError``; a change that would leave no admin able to manage admins is
    refused. Needs the ``admins`` permission; audited as ``update_admin``.
    """
    actor = acting_admin(uow, admin, Operation.MANAGE_ADMINS)
    wanted = checked_changes(changes, ADMIN_EDITABLE, "admin")
    target_id = getattr(target, "id", None)
    if target_id is None:
        raise NotFoundError(f"admin {target!r} is not stored (id is None)")
    check_id(target_id, "admin id")
    stored = uow.admins.get(target_id)
    if stored is None:
        raise NotFoundError(f"admin {target_id} does not exist")
    role = wanted.get("role", stored.role)
    if role is not None and role not in set(AdminRole):
        raise ValidationError(
            f"role {role!r} is not one of {[r.value for r in AdminRole]} (or None)"
        )
    candidate = evolve(stored, **wanted)
    validate_admin(candidate)
    if candidate.email is not None and candidate.email != stored.email:
        holder = uow.admins.get_by_email(candidate.email)
        if holder is not None and holder.id != stored.id:
            raise ConflictError(
                f"admin email '{candidate.email}' is already taken by admin {holder.id}"
            )
    old, new = changed_fields(
        entity_fields(stored, ADMIN_EDITABLE),
        entity_fields(candidate, ADMIN_EDITABLE),
        ADMIN_EDITABLE,
    )
    if not new:
        return stored
    if "role" in new:
        after = [candidate if a.id == stored.id else a for a in uow.admins.list()]
        if not _manages_admins(after):
            raise ConflictError(
                f"role {role!r} for admin {stored.id} would leave no admin able to manage admins"
            )
    now = now_from(clock)
    candidate.updated_at = now
    with atomic(uow):
        uow.admins.update(candidate)
        record(
            uow,
            admin=actor,
            at=now,
            action=AuditAction.UPDATE_ADMIN,
            entity=AuditEntity.ADMIN,
            entity_id=stored.id,
            before=old,
            after=new,
        )
    return candidate


__all__ = ["ADMIN_EDITABLE", "update_admin"]
