"""Admins in the ``admins`` table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from nictbw.adapters.sqlalchemy.mapping import ADMINS
from nictbw.adapters.sqlalchemy.repositories.base import TableRepository
from nictbw.adapters.sqlalchemy.tables import admins
from nictbw.domain.entities import Admin, normalize_email
from nictbw.domain.values import check_lookup_key
from nictbw.ports.repositories import AdminRepository


class SqlAdminRepository(TableRepository[Admin], AdminRepository):
    """Admins in the ``admins`` table."""

    mapper = ADMINS

    def get_by_email(self, email: str) -> Admin | None:
        """Lookup by email, trimmed and lower-cased like the stored value."""
        normalized = normalize_email(email)
        if normalized is None:
            return None
        check_lookup_key(normalized, "email")
        row = self._one(select(admins).where(admins.c.email == normalized))
        return None if row is None else self._from_row(row)

    def replace_password_hash(
        self, admin_id: int, old_hash: str, new_hash: str, updated_at: datetime
    ) -> bool:
        """Compare-and-set of ``password_hash`` in one ``UPDATE``; whether it was replaced."""
        statement = (
            update(admins)
            .where(admins.c.id == admin_id, admins.c.password_hash == old_hash)
            .values(password_hash=new_hash, updated_at=updated_at)
        )
        _, count = self._write(statement)
        return count == 1


__all__ = ["SqlAdminRepository"]
