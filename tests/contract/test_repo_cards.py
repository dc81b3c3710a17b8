"""The public repository contract on nictbw's own adapters: bingo cards."""

from nictbw.testing.contract import CardRepositoryContract
from tests.support.backends import EveryBackend


class TestCardRepository(EveryBackend, CardRepositoryContract):
    """CardRepositoryContract on memory, SQLite and PostgreSQL."""
