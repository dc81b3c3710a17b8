"""``bingo_cards.unlocked_mask``: a card's unlocked cells as a bitmask on its row.

Bit ``idx`` is set when the card's cell ``idx`` is unlocked. The bingo-line draw finds
the cards with a completed line from this column alone and reads the cells of those
cards only, instead of every cell of every live card. Every write of a card or its cells
keeps it equal to the cells. Existing rows get the mask of their stored cells; the
downgrade drops the column.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``bingo_cards.unlocked_mask`` (NOT NULL, default 0) and fill it from the cells."""
    op.add_column(
        "bingo_cards",
        sa.Column("unlocked_mask", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.execute(
        "UPDATE bingo_cards SET unlocked_mask = COALESCE(("
        "SELECT SUM(1 << bingo_cells.idx) FROM bingo_cells"
        " WHERE bingo_cells.bingo_card_id = bingo_cards.id"
        " AND bingo_cells.state = 'unlocked'), 0)"
    )


def downgrade() -> None:
    """Drop ``bingo_cards.unlocked_mask``."""
    op.drop_column("bingo_cards", "unlocked_mask")
