"""Who may run a workflow: the acting admin, re-read and checked against its role."""

from __future__ import annotations

from nictbw.domain.entities import Admin
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.permissions import Operation, require_permission
from nictbw.domain.values import check_id
from nictbw.ports import UnitOfWork


def acting_admin(uow: UnitOfWork, admin: Admin, operation: Operation) -> Admin:
    """The stored admin behind ``admin``, checked to be allowed ``operation``.

    The stored role decides (never the role of the object passed in). ``NotFoundError``
    when the admin is not stored, ``ForbiddenError`` when its role forbids the operation.
    """
    admin_id = getattr(admin, "id", None)
    if admin_id is None:
        raise NotFoundError(f"admin {admin!r} is not stored (id is None)")
    if isinstance(admin_id, bool) or not isinstance(admin_id, int):
        raise ValidationError(f"admin id must be an int, got {admin_id!r}")
    found = uow.admins.get(check_id(admin_id, "admin id"))
    if found is None:
        raise NotFoundError(f"admin {admin_id} does not exist")
    require_permission(found, operation)
    return found


def authorise(uow: UnitOfWork, admin: Admin | None, operation: Operation) -> None:
    """For workflows whose ``admin`` is optional: check it when given (host code acting on
    its own authority passes none, as before roles were checked)."""
    if admin is not None:
        acting_admin(uow, admin, operation)


__all__ = ["acting_admin", "authorise"]
