"""SQL repositories: one module per aggregate on the generic base of ``base.py``.

Row <-> entity translation is in ``mapping.py``, cached statements in ``statements.py``,
bulk statements in ``bulk.py`` and the draw-result upsert in ``upsert.py`` (all in
``nictbw.adapters.sqlalchemy``).
"""

from nictbw.adapters.sqlalchemy.bulk import chunked
from nictbw.adapters.sqlalchemy.repositories.admins import SqlAdminRepository
from nictbw.adapters.sqlalchemy.repositories.base import (
    DEFAULT_CHUNK_SIZE,
    SqlRepository,
    TableRepository,
)
from nictbw.adapters.sqlalchemy.repositories.cards import SqlBingoCardRepository
from nictbw.adapters.sqlalchemy.repositories.definitions import SqlDefinitionRepository
from nictbw.adapters.sqlalchemy.repositories.draw_types import SqlDrawTypeRepository
from nictbw.adapters.sqlalchemy.repositories.instances import SqlInstanceRepository
from nictbw.adapters.sqlalchemy.repositories.results import SqlDrawResultRepository
from nictbw.adapters.sqlalchemy.repositories.users import SqlUserRepository
from nictbw.adapters.sqlalchemy.repositories.winning_numbers import SqlWinningNumberRepository

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "SqlAdminRepository",
    "SqlBingoCardRepository",
    "SqlDefinitionRepository",
    "SqlDrawResultRepository",
    "SqlDrawTypeRepository",
    "SqlInstanceRepository",
    "SqlRepository",
    "SqlUserRepository",
    "SqlWinningNumberRepository",
    "TableRepository",
    "chunked",
]
