"""The event-type CHECK of ``domain_events`` written as comparisons, not a long IN list.

The accepted types are unchanged. SQLite evaluates a 13-value ``IN`` list in a CHECK by
building a temporary index for every inserted row, about as costly as storing the row;
the same condition as ``=`` comparisons joined by ``OR`` costs nothing measurable. On
PostgreSQL the constraint is replaced; on SQLite, which cannot alter a CHECK, the
constraint text of the table definition is edited in place (no row is rewritten; every
stored row satisfies the new text, which accepts exactly what the old one did).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT_TYPES = (
    "BadgeIssued",
    "BadgeTransferred",
    "BadgeRevoked",
    "CardCreated",
    "CellUnlocked",
    "LineCompleted",
    "CardExpired",
    "DrawSealed",
    "DrawRun",
    "PrizeWon",
    "DefinitionChanged",
    "DrawTypeChanged",
    "UserErased",
)
_AS_LIST = "type IN ({})".format(", ".join(f"'{name}'" for name in _EVENT_TYPES))
_AS_COMPARISONS = " OR ".join(f"type = '{name}'" for name in _EVENT_TYPES)
_CHECK = "ck_domain_events_type_known"


def _replace_type_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f(_CHECK), "domain_events", type_="check")
        op.create_check_constraint(op.f(_CHECK), "domain_events", new)
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'domain_events'",
            (old, new),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version or 0) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    """Write the event-type CHECK as comparisons."""
    _replace_type_check(_AS_LIST, _AS_COMPARISONS)


def downgrade() -> None:
    """Write the event-type CHECK as an IN list again."""
    _replace_type_check(_AS_COMPARISONS, _AS_LIST)
