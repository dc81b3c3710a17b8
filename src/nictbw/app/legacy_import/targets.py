"""The row importer matching a unit of work (composition: the app layer knows adapters)."""

from __future__ import annotations

from nictbw.adapters.memory.importing import InMemoryRowImporter
from nictbw.adapters.memory.unit_of_work import InMemoryUnitOfWork
from nictbw.adapters.sqlalchemy.importing import SqlRowImporter
from nictbw.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from nictbw.domain.errors import ValidationError
from nictbw.ports.importing import RowImporter
from nictbw.ports.repositories import UnitOfWork


def row_importer_for(uow: UnitOfWork, *, chunk_size: int = 5_000) -> RowImporter:
    """The :class:`RowImporter` writing into ``uow`` (SQL or in-memory)."""
    if isinstance(uow, SqlAlchemyUnitOfWork):
        return SqlRowImporter(uow, chunk_size=chunk_size)
    if isinstance(uow, InMemoryUnitOfWork):
        return InMemoryRowImporter(uow)
    raise ValidationError(
        f"cannot import into a {type(uow).__name__}: only the SQL and in-memory units of "
        "work take imported rows"
    )


__all__ = ["row_importer_for"]
