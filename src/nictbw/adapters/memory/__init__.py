"""The in-memory storage adapter: a real unit of work with rollback, shipped for simulations
and tests, observably equivalent to the SQL adapter."""

from nictbw.adapters.memory.store import InMemoryStore
from nictbw.adapters.memory.unit_of_work import InMemoryUnitOfWork

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]
