"""Sealed draws: a snapshot commits to a beacon round; draw types cap wins per user.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEACON_ALL_OR_NONE = (
    "(beacon_round IS NULL) = (beacon_chain_hash IS NULL) "
    "AND (beacon_round IS NULL) = (beacon_public_key IS NULL) "
    "AND (beacon_round IS NULL) = (beacon_scheme IS NULL) "
    "AND (beacon_round IS NULL) = (beacon_round_at IS NULL)"
)


def upgrade() -> None:
    """Add the beacon commitment to ``prize_draw_snapshots`` and the winner cap."""
    with op.batch_alter_table("prize_draw_snapshots") as batch:
        batch.add_column(sa.Column("beacon_chain_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("beacon_public_key", sa.String(length=192), nullable=True))
        batch.add_column(sa.Column("beacon_scheme", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("beacon_round", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("beacon_round_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(
            op.f("ck_prize_draw_snapshots_beacon_all_or_none"), _BEACON_ALL_OR_NONE
        )
    with op.batch_alter_table("prize_draw_types") as batch:
        batch.add_column(sa.Column("max_wins_per_user", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f("ck_prize_draw_types_max_wins_per_user_positive"),
            "max_wins_per_user IS NULL OR max_wins_per_user >= 1",
        )


def downgrade() -> None:
    """Drop the winner cap and the beacon commitment."""
    with op.batch_alter_table("prize_draw_types") as batch:
        batch.drop_constraint(op.f("ck_prize_draw_types_max_wins_per_user_positive"), type_="check")
        batch.drop_column("max_wins_per_user")
    with op.batch_alter_table("prize_draw_snapshots") as batch:
        batch.drop_constraint(op.f("ck_prize_draw_snapshots_beacon_all_or_none"), type_="check")
        batch.drop_column("beacon_round_at")
        batch.drop_column("beacon_round")
        batch.drop_column("beacon_scheme")
        batch.drop_column("beacon_public_key")
        batch.drop_column("beacon_chain_hash")
