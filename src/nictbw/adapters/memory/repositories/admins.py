"""Admins in the in-memory store."""

from __future__ import annotations

from datetime import datetime

from nictbw.adapters.memory.repositories.base import MemoryRepository
from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.table import Table
from nictbw.domain.entities import Admin, normalize_email
from nictbw.ports.repositories import AdminRepository


class InMemoryAdminRepository(MemoryRepository[Admin], AdminRepository):
    """Admins in the in-memory store."""

    what = "admin"

    def _table(self, store: InMemoryStore) -> Table[Admin]:
        return store.admins

    def get_by_email(self, email: str) -> Admin | None:
        """The admin with this email, trimmed and lower-cased first."""
        table = self._read()
        key = normalize_email(email)
        owner = table.owner("email", key) if key is not None else None
        return None if owner is None else table.read(owner)

    def replace_password_hash(
        self, admin_id: int, old_hash: str, new_hash: str, updated_at: datetime
    ) -> bool:
        """Compare-and-set of ``password_hash``; whether it was replaced."""
        with self._tx.statement() as journal:
            current = self._tx.tables().admins.read(admin_id)
            table = self._tx.store.admins
            if current is None or current.password_hash != old_hash:
                return False
            current.password_hash = new_hash
            current.updated_at = updated_at
            table.replace(table.prepare(current), journal)
        return True


__all__ = ["InMemoryAdminRepository"]
