"""The public repository contract on nictbw's own adapters: definitions."""

from nictbw.testing.contract import DefinitionRepositoryContract
from tests.support.backends import EveryBackend


class TestDefinitionRepository(EveryBackend, DefinitionRepositoryContract):
    """DefinitionRepositoryContract on memory, SQLite and PostgreSQL."""
