"""Two indexes of ``prize_draw_results`` that no query reads are dropped.

Every read of results goes by draw type (and winning number): ``list_for_draw_type``,
``page_for_draw``, ``top`` and the exports, served by the draw-type index and the
result keys. ``ix_prize_draw_results_user_id`` and ``ix_prize_draw_results_outcome``
were only written, one entry each per stored result (every draw writes tens of
thousands); neither backs a foreign key check that happens (users are never deleted).
The downgrade creates them again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Drop the user and outcome indexes of ``prize_draw_results``."""
    op.drop_index(op.f("ix_prize_draw_results_user_id"), table_name="prize_draw_results")
    op.drop_index(op.f("ix_prize_draw_results_outcome"), table_name="prize_draw_results")


def downgrade() -> None:
    """Create the user and outcome indexes again."""
    op.create_index(op.f("ix_prize_draw_results_outcome"), "prize_draw_results", ["outcome"])
    op.create_index(op.f("ix_prize_draw_results_user_id"), "prize_draw_results", ["user_id"])
