"""The event-type CHECK of ``domain_events`` written as comparisons, not a long IN list.

The accepted types are unchanged. SQLite evaluates a 13-value ``IN`` list in a CHECK by
building a temporary index for every inserted row, about as costly as storing the row;
the same condition as ``=`` comparisons joined by ``OR`` costs nothing measurable. On
PostgreSQL the constraint is replaced; on SQLite the constraint text of the table
definition is edited in place (``check_text.replace_checks``; the new text accepts
exactly what the old one did).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from nictbw.adapters.sqlalchemy.check_text import replace_checks

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


def upgrade() -> None:
    """Write the event-type CHECK as comparisons."""
    replace_checks([("domain_events", _CHECK, _AS_LIST, _AS_COMPARISONS)])


def downgrade() -> None:
    """Write the event-type CHECK as an IN list again."""
    replace_checks([("domain_events", _CHECK, _AS_COMPARISONS, _AS_LIST)])
