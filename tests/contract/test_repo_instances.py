"""The public repository contract on nictbw's own adapters: instances."""

from nictbw.testing.contract import InstanceRepositoryContract
from tests.support.backends import EveryBackend


class TestInstanceRepository(EveryBackend, InstanceRepositoryContract):
    """InstanceRepositoryContract on memory, SQLite and PostgreSQL."""
