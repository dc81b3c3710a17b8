"""Draw snapshots: candidate-set digests fixed before a winning number exists.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``prize_draw_snapshots``."""
    op.create_table(
        "prize_draw_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_type_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("attendance_definition_id", sa.Integer(), nullable=True),
        sa.Column("candidate_count", sa.Integer(), nullable=False),
        sa.Column("candidates_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "scope IN ('bingo', 'attendance')", name=op.f("ck_prize_draw_snapshots_scope_known")
        ),
        sa.CheckConstraint(
            "(scope = 'attendance') = (attendance_definition_id IS NOT NULL)",
            name=op.f("ck_prize_draw_snapshots_attendance_scope_has_definition"),
        ),
        sa.CheckConstraint(
            "candidate_count >= 0",
            name=op.f("ck_prize_draw_snapshots_candidate_count_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["draw_type_id"],
            ["prize_draw_types.id"],
            name=op.f("fk_prize_draw_snapshots_draw_type_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["attendance_definition_id"],
            ["nft_definitions.id"],
            name=op.f("fk_prize_draw_snapshots_attendance_definition_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prize_draw_snapshots")),
    )
    op.create_index(
        op.f("ix_prize_draw_snapshots_draw_type_id"), "prize_draw_snapshots", ["draw_type_id"]
    )


def downgrade() -> None:
    """Drop ``prize_draw_snapshots``."""
    op.drop_index(op.f("ix_prize_draw_snapshots_draw_type_id"), table_name="prize_draw_snapshots")
    op.drop_table("prize_draw_snapshots")
