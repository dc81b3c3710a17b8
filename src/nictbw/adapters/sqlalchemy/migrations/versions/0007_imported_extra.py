"""Definitions' ``imported_extra``: legacy fields nictbw has no column for.

``nictbw db import-legacy`` keeps a legacy definition's dropped fields (template,
condition, bingo period and group ids, coupon and bingo flags) in this JSON text column
so nothing of the old database is lost. Existing rows get NULL.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable ``nft_definitions.imported_extra`` column."""
    with op.batch_alter_table("nft_definitions") as batch:
        batch.add_column(sa.Column("imported_extra", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop ``nft_definitions.imported_extra``."""
    with op.batch_alter_table("nft_definitions") as batch:
        batch.drop_column("imported_extra")
