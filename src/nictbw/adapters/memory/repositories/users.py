"""Users in the in-memory store."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from typing import Final

from nictbw.adapters.memory.repositories.base import MemoryRepository, require_new
from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.table import Table
from nictbw.domain.entities import User, normalize_email
from nictbw.domain.errors import ValidationError
from nictbw.ports.repositories import UserRepository

UNIQUE_COLUMNS: Final = ("in_app_id", "email", "paymail", "on_chain_id")


def check_unique_column(column: str) -> None:
    """``ValidationError`` unless ``column`` is a unique key of a user."""
    if column not in UNIQUE_COLUMNS:
        raise ValidationError(
            f"{column!r} is not a unique key of a user; use one of {UNIQUE_COLUMNS}"
        )


class InMemoryUserRepository(MemoryRepository[User], UserRepository):
    """Users in the in-memory store."""

    what = "user"

    def _table(self, store: InMemoryStore) -> Table[User]:
        return store.users

    def add_many(self, users: Sequence[User]) -> None:
        """Store copies of many new users, all or none; ids in order. A key taken by a
        stored user or repeated among ``users`` -> ``ConflictError`` naming the value."""
        for user in users:
            require_new(user, self.what)
        with self._tx.statement() as journal:
            table = self._tx.store.users
            rows = table.prepare_many(users)
            table.insert_many(rows, journal)
        for user, row in zip(users, rows, strict=True):
            user.id = row.id

    def list_holding(self, keys: Mapping[str, Collection[str]]) -> builtins.list[User]:
        """The stored users holding one of ``keys`` (column name -> values), ascending id."""
        table = self._read()
        ids: set[int] = set()
        for column, values in keys.items():
            check_unique_column(column)
            for value in values:
                owner = table.owner(column, value)
                if owner is not None:
                    ids.add(owner)
        return table.read_many(sorted(ids))

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
