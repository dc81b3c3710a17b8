"""Re-exports :mod:`tests.support.sql` under its former name."""

from tests.support.sql import (
    SCHEMA_PREFIX,
    SqlUowFactory,
    StatementLog,
    count_statements,
    empty_all_tables,
    postgres_uow_factory,
    sqlite_uow_factory,
)

__all__ = [
    "SCHEMA_PREFIX",
    "SqlUowFactory",
    "StatementLog",
    "count_statements",
    "empty_all_tables",
    "postgres_uow_factory",
    "sqlite_uow_factory",
]
