"""The repositories of the in-memory adapter, one module per aggregate
(ports/repositories.py), on the generic base of ``base.py``."""

from nictbw.adapters.memory.repositories.admins import InMemoryAdminRepository
from nictbw.adapters.memory.repositories.base import MemoryRepository
from nictbw.adapters.memory.repositories.cards import InMemoryBingoCardRepository
from nictbw.adapters.memory.repositories.definitions import InMemoryDefinitionRepository
from nictbw.adapters.memory.repositories.draw_types import InMemoryDrawTypeRepository
from nictbw.adapters.memory.repositories.instances import InMemoryInstanceRepository
from nictbw.adapters.memory.repositories.results import InMemoryDrawResultRepository
from nictbw.adapters.memory.repositories.users import InMemoryUserRepository
from nictbw.adapters.memory.repositories.winning_numbers import InMemoryWinningNumberRepository

__all__ = [
    "InMemoryAdminRepository",
    "InMemoryBingoCardRepository",
    "InMemoryDefinitionRepository",
    "InMemoryDrawResultRepository",
    "InMemoryDrawTypeRepository",
    "InMemoryInstanceRepository",
    "InMemoryUserRepository",
    "InMemoryWinningNumberRepository",
    "MemoryRepository",
]
