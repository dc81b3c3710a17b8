"""SQL storage for SQLite and PostgreSQL: Core tables, repositories, the unit of work,
engine setup and the packaged Alembic migrations."""

from nictbw.adapters.sqlalchemy.engine import make_engine
from nictbw.adapters.sqlalchemy.migrate import downgrade, migrate, open_database
from nictbw.adapters.sqlalchemy.tables import metadata
from nictbw.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

__all__ = [
    "SqlAlchemyUnitOfWork",
    "downgrade",
    "make_engine",
    "metadata",
    "migrate",
    "open_database",
]
