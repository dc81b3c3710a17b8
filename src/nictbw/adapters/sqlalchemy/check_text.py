"""Rewriting the condition of a CHECK constraint in a migration, on both backends.

PostgreSQL drops and creates the constraint. SQLite cannot alter a CHECK, so the text of
the table's definition in ``sqlite_master`` is edited in place, the procedure SQLite
documents for a CHECK that accepts at least what every stored row holds: no row is
rewritten, and the foreign keys pointing at the table and its indexes stay untouched.
Migrations that only restate a condition (the same values accepted) or loosen it use
this; one that tightens a condition must check the stored rows first.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op


def replace_checks(changes: Sequence[tuple[str, str, str, str]]) -> None:
    """Apply ``(table, constraint name, old condition, new condition)`` changes."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        for table, name, _old, new in changes:
            op.drop_constraint(op.f(name), table, type_="check")
            op.create_check_constraint(op.f(name), table, new)
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for table, _name, old, new in changes:
            bind.exec_driver_sql(
                "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
                "WHERE type = 'table' AND name = ?",
                (old, new, table),
            )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version or 0) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


__all__ = ["replace_checks"]
