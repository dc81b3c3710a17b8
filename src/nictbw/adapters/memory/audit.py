"""The audit log in the in-memory store: appended, filtered, never changed."""

from __future__ import annotations

import builtins
from datetime import datetime

from nictbw.adapters.memory.transaction import Transaction
from nictbw.domain.entities import AuditEntry
from nictbw.domain.errors import ValidationError
from nictbw.domain.values import check_lookup_keys
from nictbw.ports.repositories import AuditLogRepository


class InMemoryAuditLogRepository(AuditLogRepository):
    """The append-only audit log of an :class:`InMemoryStore`."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Store a copy of a new entry and set its ``id``."""
        if entry.id is not None:
            raise ValidationError(f"audit entry {entry.id} is already stored")
        with self._tx.statement() as journal:
            table = self._tx.store.audit_log
            row = table.prepare(entry)
            table.insert_many([row], journal)
        entry.id = row.id
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
        """The matching entries, ascending id; the newest ``limit`` of them when given."""
        check_lookup_keys(
            [key for key in (admin_id, entity_type, entity_id, action) if key is not None],
            "audit filter",
        )
        found = [
            entry
            for entry in self._tx.tables().audit_log.read_all()
            if (admin_id is None or entry.admin_id == admin_id)
            and (entity_type is None or entry.entity_type == entity_type)
            and (entity_id is None or entry.entity_id == entity_id)
            and (action is None or entry.action == action)
            and (since is None or entry.at >= since)
        ]
        if limit is not None:
            found = found[-limit:] if limit > 0 else []
        return found


__all__ = ["InMemoryAuditLogRepository"]
