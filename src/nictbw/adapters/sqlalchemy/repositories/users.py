"""Users in the ``users`` table."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from nictbw.adapters.sqlalchemy.bulk import chunked, distinct_keys
from nictbw.adapters.sqlalchemy.mapping import USERS
from nictbw.adapters.sqlalchemy.repositories.base import TableRepository
from nictbw.adapters.sqlalchemy.statements import select_by
from nictbw.adapters.sqlalchemy.tables import users
from nictbw.domain.entities import User, normalize_email
from nictbw.ports.repositories import UserRepository


class SqlUserRepository(TableRepository[User], UserRepository):
    """Users in the ``users`` table."""

    mapper = USERS

    def _by_column(self, column: str, value: str | None) -> User | None:
        if value is None:
            return None
        row = self._one(select_by(users, column), {"key": value})
        return None if row is None else self._from_row(row)

    def get_by_in_app_id(self, in_app_id: str) -> User | None:
        """Lookup by exact ``in_app_id``."""
        return self._by_column("in_app_id", in_app_id)

    def get_by_paymail(self, paymail: str) -> User | None:
        """Lookup by exact paymail."""
        return self._by_column("paymail", paymail)

    def get_by_email(self, email: str) -> User | None:
        """Lookup by email, trimmed and lower-cased like the stored value."""
        return self._by_column("email", normalize_email(email))

    def get_by_on_chain_id(self, on_chain_id: str) -> User | None:
        """Lookup by exact chain username."""
        return self._by_column("on_chain_id", on_chain_id)

    def lock(self, user_ids: Collection[int]) -> None:
        """Lock these users' rows until the transaction ends, so that transactions locking
        the same user run one after the other and each reads what the other committed.

        PostgreSQL: one ``SELECT ... FOR NO KEY UPDATE`` per chunk in ascending id (no
        deadlock between lockers; foreign-key checks of other writers are not blocked).
        SQLite sends nothing: its single writer already serialises write transactions,
        and one that read a snapshot gone stale fails to write as a conflict.
        """
        if self._connection().dialect.name != "postgresql":
            return
        for chunk in chunked(distinct_keys(user_ids), self.chunk_size):
            statement = (
                select(users.c.id)
                .where(users.c.id.in_(chunk))
                .order_by(users.c.id)
                .with_for_update(key_share=True)
            )
            self._rows(statement)


__all__ = ["SqlUserRepository"]
