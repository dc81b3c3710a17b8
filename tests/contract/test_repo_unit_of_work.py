"""The public repository contract on nictbw's own adapters: the unit of work."""

from nictbw.testing.contract import UnitOfWorkContract
from tests.support.backends import EveryBackend


class TestUnitOfWork(EveryBackend, UnitOfWorkContract):
    """UnitOfWorkContract on memory, SQLite and PostgreSQL."""
