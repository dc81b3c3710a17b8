"""Origin keys: an index on ``lower(trim(nft_origin))`` for draw-number collision checks.

Issuance and sync refuse an origin that gives the same draw number as a stored one with
another spelling (``" ABC "`` and ``"abc"``); they look stored origins up by this
expression, which without an index would read every instance. Existing rows and their
draw numbers are unchanged.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``ix_nft_instances_origin_key``."""
    op.create_index(
        "ix_nft_instances_origin_key",
        "nft_instances",
        [sa.text("lower(trim(nft_origin))")],
    )


def downgrade() -> None:
    """Drop ``ix_nft_instances_origin_key``."""
    op.drop_index("ix_nft_instances_origin_key", table_name="nft_instances")
