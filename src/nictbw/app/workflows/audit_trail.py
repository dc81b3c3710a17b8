"""Reading the audit log of admin actions."""

from __future__ import annotations

from datetime import datetime

from nictbw.app.workflows._authority import acting_admin
from nictbw.domain.audit import AuditEntity
from nictbw.domain.entities import Admin, AuditEntry
from nictbw.domain.errors import ValidationError
from nictbw.domain.permissions import Operation
from nictbw.domain.ranking import validate_limit
from nictbw.domain.validation import validate_aware
from nictbw.domain.values import check_id
from nictbw.ports import UnitOfWork

AUDIT_ENTITY_TYPES = frozenset(entity.value for entity in AuditEntity)


def read_audit_log(
    uow: UnitOfWork,
    *,
    admin: Admin | None = None,
    by_admin_id: int | None = None,
    entity_type: str | None = None,
    entity_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """The audit entries matching every filter, oldest first; the newest ``limit`` only.

    With ``admin`` (the reader) its role must allow ``audit``; host code reading on its
    own authority (the command line, run by whoever holds the database) passes none.
    ``entity_id`` needs ``entity_type``. Read-only.
    """
    if admin is not None:
        acting_admin(uow, admin, Operation.READ_AUDIT)
    if by_admin_id is not None:
        check_id(by_admin_id, "admin id")
    if entity_type is not None and entity_type not in AUDIT_ENTITY_TYPES:
        raise ValidationError(
            f"entity type {entity_type!r} is not one of {sorted(AUDIT_ENTITY_TYPES)}"
        )
    if entity_id is not None:
        if entity_type is None:
            raise ValidationError(f"entity id {entity_id!r} needs an entity type")
        check_id(entity_id, "entity id")
    if action is not None and not isinstance(action, str):
        raise ValidationError(f"action must be a string, got {action!r}")
    checked_since = validate_aware(since, "since")
    checked_limit = validate_limit(limit, allow_none=True)
    return uow.audit.list(
        admin_id=by_admin_id,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        since=checked_since,
        limit=checked_limit,
    )


__all__ = ["read_audit_log"]
