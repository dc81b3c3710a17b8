"""The public repository contract on nictbw's own adapters: users and admins."""

from nictbw.testing.contract import AdminRepositoryContract, UserRepositoryContract
from tests.support.backends import EveryBackend


class TestUserRepository(EveryBackend, UserRepositoryContract):
    """UserRepositoryContract on memory, SQLite and PostgreSQL."""


class TestAdminRepository(EveryBackend, AdminRepositoryContract):
    """AdminRepositoryContract on memory, SQLite and PostgreSQL."""
