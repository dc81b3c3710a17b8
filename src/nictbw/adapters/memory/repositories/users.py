"""Users in the in-memory store."""

from __future__ import annotations

from nictbw.adapters.memory.repositories.base import MemoryRepository
from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.table import Table
from nictbw.domain.entities import User, normalize_email
from nictbw.ports.repositories import UserRepository


class InMemoryUserRepository(MemoryRepository[User], UserRepository):
    """Users in the in-memory store."""

    what = "user"

    def _table(self, store: InMemoryStore) -> Table[User]:
        return store.users

    def _by_key(self, column: str, value: str | None) -> User | None:
        table = self._read()
        owner = table.owner(column, value) if value is not None else None
        return None if owner is None else table.read(owner)

    def get_by_in_app_id(self, in_app_id: str) -> User | None:
        """The user with this exact ``in_app_id``."""
        return self._by_key("in_app_id", in_app_id)

    def get_by_paymail(self, paymail: str) -> User | None:
        """The user with this exact paymail."""
        return self._by_key("paymail", paymail)

    def get_by_email(self, email: str) -> User | None:
        """The user with this email, trimmed and lower-cased first."""
        return self._by_key("email", normalize_email(email))

    def get_by_on_chain_id(self, on_chain_id: str) -> User | None:
        """The user with this exact chain username."""
        return self._by_key("on_chain_id", on_chain_id)


__all__ = ["InMemoryUserRepository"]
