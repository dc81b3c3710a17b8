"""What goes into an audit entry: the changed fields of an entity, never a secret.

An entry keeps, for the fields an admin action changed, their value before and after,
as JSON-ready data (datetimes as ISO 8601 text). Fields that hold a secret are kept
only as the mark :data:`REDACTED` (that they changed is worth recording, the value is
not).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from nictbw.domain.entities import JsonDict
from nictbw.domain.timeutil import iso

REDACTED: Final = "<redacted>"
"""What an audit entry shows in place of a secret value."""

SECRET_FIELDS: Final = frozenset({"password_hash", "fcm_token", "shared_key", "token"})
"""Fields whose values never enter the audit log."""


class AuditAction(StrEnum):
    """The actions the admin workflows record."""

    UPDATE_DEFINITION = "update_definition"
    DEACTIVATE_DEFINITION = "deactivate_definition"
    UPDATE_DRAW_TYPE = "update_draw_type"
    RETIRE_DRAW_TYPE = "retire_draw_type"
    REVOKE_INSTANCE = "revoke_instance"
    UPDATE_ADMIN = "update_admin"
    ERASE_USER = "erase_user"


class AuditEntity(StrEnum):
    """The entity types an audit entry names."""

    DEFINITION = "definition"
    DRAW_TYPE = "draw_type"
    INSTANCE = "instance"
    ADMIN = "admin"
    USER = "user"


def _json_value(name: str, value: object) -> Any:
    """``value`` as JSON-ready data for the audit log; a secret becomes :data:`REDACTED`."""
    if name in SECRET_FIELDS and value is not None:
        return REDACTED
    if isinstance(value, datetime):
        return iso(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def changed_fields(
    before: Mapping[str, object], after: Mapping[str, object], fields: Iterable[str]
) -> tuple[JsonDict, JsonDict]:
    """The ``fields`` whose values differ between ``before`` and ``after``, as two
    JSON-ready dicts (old values, new values) with secrets redacted."""
    old: JsonDict = {}
    new: JsonDict = {}
    for name in fields:
        if before.get(name) != after.get(name):
            old[name] = _json_value(name, before.get(name))
            new[name] = _json_value(name, after.get(name))
    return old, new


__all__ = ["REDACTED", "SECRET_FIELDS", "AuditAction", "AuditEntity", "changed_fields"]
