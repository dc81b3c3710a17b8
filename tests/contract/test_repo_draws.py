"""The public repository contract on nictbw's own adapters: the draw repositories."""

from nictbw.testing.contract import DrawRepositoryContract
from tests.support.backends import EveryBackend


class TestDrawRepository(EveryBackend, DrawRepositoryContract):
    """DrawRepositoryContract on memory, SQLite and PostgreSQL."""
