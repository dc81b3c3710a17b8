"""The audit log in ``audit_log``: one INSERT per entry, filtered reads, no updates."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select

from nictbw.adapters.sqlalchemy.repositories.base import SqlRepository
from nictbw.adapters.sqlalchemy.tables import audit_log
from nictbw.domain.entities import AuditEntry
from nictbw.domain.errors import ValidationError
from nictbw.domain.values import check_lookup_keys


def _from_row(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        admin_id=row["admin_id"],
        action=row["action"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        before=row["before"],
        after=row["after"],
    )


class SqlAuditLogRepository(SqlRepository):
    """The append-only audit log of a SQL database (``AuditLogRepository``)."""

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Store a new entry; assigns ``id``."""
        if entry.id is not None:
            raise ValidationError(f"audit entry {entry.id} is already stored")
        values: dict[str, Any] = {
            "at": entry.at,
            "admin_id": entry.admin_id,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": entry.entity_id,
            "before": entry.before,
            "after": entry.after,
        }
        entry.id = self._insert_one(audit_log, values)
        return entry

    def list(
        self,
        *,
        admin_id: int | None = None,
        entity_type: str | None = None,
        entity_id: int | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[AuditEntry]:
        """The matching entries, ascending id; the newest ``limit`` of them when given
        (one query)."""
        check_lookup_keys(
            [key for key in (admin_id, entity_type, entity_id, action) if key is not None],
            "audit filter",
        )
        statement = select(audit_log)
        if admin_id is not None:
            statement = statement.where(audit_log.c.admin_id == admin_id)
        if entity_type is not None:
            statement = statement.where(audit_log.c.entity_type == entity_type)
        if entity_id is not None:
            statement = statement.where(audit_log.c.entity_id == entity_id)
        if action is not None:
            statement = statement.where(audit_log.c.action == action)
        if since is not None:
            statement = statement.where(audit_log.c.at >= since)
        if limit is not None:
            if limit <= 0:
                return []
            statement = statement.order_by(audit_log.c.id.desc()).limit(limit)
            rows = self._rows(statement)
            return [_from_row(row) for row in reversed(rows)]
        rows = self._rows(statement.order_by(audit_log.c.id))
        return [_from_row(row) for row in rows]


__all__ = ["SqlAuditLogRepository"]
