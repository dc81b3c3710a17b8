"""The foreign keys of ``prize_draw_results.user_id`` and ``definition_id`` are dropped.

Both columns are copies of the result's instance (its owner and definition), taken when
the draw stores the result. ``fk_prize_draw_results_nft_instance_id`` already guarantees
the instance, and the instance's own keys guarantee its user and definition; users and
definitions are never deleted (``erase_user`` pseudonymises the row). The two keys only
cost work: on PostgreSQL one trigger per stored row each (about 4 µs), on SQLite a
parent lookup per row. The columns stay, unchanged.

PostgreSQL drops the constraints. SQLite cannot drop a constraint, so the text of the
table's definition in ``sqlite_master`` is edited in place (as ``check_text`` does for
CHECKs): removing a foreign key accepts at least every stored row. The downgrade writes
the keys back; every stored row satisfies them (the copies came from existing rows).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "prize_draw_results"
_KEYS = (("user_id", "users"), ("definition_id", "nft_definitions"))
_SEPARATOR = ", \n\t"
"""Between the clauses of a definition SQLAlchemy writes (every table here was made so)."""
_ANCHOR = "CONSTRAINT fk_prize_draw_results_nft_instance_id "


def _clause(column: str, parent: str) -> str:
    return f"CONSTRAINT fk_{_TABLE}_{column} FOREIGN KEY({column}) REFERENCES {parent} (id)"


def _edit_sqlite_definition(old: str, new: str) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (_TABLE,)
    ).scalar()
    if not isinstance(sql, str) or sql.count(old) != 1:
        raise RuntimeError(f"unexpected definition of {_TABLE}: {sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            (sql.replace(old, new), _TABLE),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version or 0) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    """Drop the foreign keys of the user and definition copies."""
    if op.get_bind().dialect.name != "sqlite":
        for column, _parent in _KEYS:
            op.drop_constraint(op.f(f"fk_{_TABLE}_{column}"), _TABLE, type_="foreignkey")
        return
    for column, parent in _KEYS:
        _edit_sqlite_definition(_clause(column, parent) + _SEPARATOR, "")


def downgrade() -> None:
    """Create the two foreign keys again."""
    if op.get_bind().dialect.name != "sqlite":
        for column, parent in _KEYS:
            op.create_foreign_key(
                op.f(f"fk_{_TABLE}_{column}"), _TABLE, parent, [column], ["id"]
            )
        return
    clauses = "".join(_clause(column, parent) + _SEPARATOR for column, parent in _KEYS)
    _edit_sqlite_definition(_ANCHOR, clauses + _ANCHOR)
