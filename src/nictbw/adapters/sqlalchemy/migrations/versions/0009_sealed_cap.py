"""Sealed cap: a sealed snapshot commits to the winner cap its draw ranks with.

``prize_draw_snapshots.max_wins_per_user`` is the cap fixed when the draw was sealed
(NULL: no cap, and always NULL on an unsealed snapshot), so the cap cannot be changed
once the beacon round is public. Existing rows keep NULL.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``prize_draw_snapshots.max_wins_per_user`` and its check."""
    with op.batch_alter_table("prize_draw_snapshots") as batch:
        batch.add_column(sa.Column("max_wins_per_user", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_prize_draw_snapshots_sealed_cap_positive"),
            "max_wins_per_user IS NULL OR (max_wins_per_user >= 1 AND beacon_round IS NOT NULL)",
        )


def downgrade() -> None:
    """Drop ``prize_draw_snapshots.max_wins_per_user``."""
    with op.batch_alter_table("prize_draw_snapshots") as batch:
        batch.drop_constraint(op.f("ck_prize_draw_snapshots_sealed_cap_positive"), type_="check")
        batch.drop_column("max_wins_per_user")
