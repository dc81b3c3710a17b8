"""Origins: drop ``ix_nft_instances_nft_origin``; the origin-key index serves its lookups.

Every instance with an origin was entered in three indexes on that random 66-character
value: the plain one, the partial unique one (``succeeded`` instances) and the one on
``lower(trim(nft_origin))``. Exact lookups (sync's ``list_by_origins``) now read by the
origin key, which every row holding the exact origin shares, and keep the exact matches,
so the plain index only cost writes: one random index entry per stored instance. Stored
rows are unchanged; the downgrade creates the index again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Drop ``ix_nft_instances_nft_origin``."""
    op.drop_index("ix_nft_instances_nft_origin", table_name="nft_instances")


def downgrade() -> None:
    """Create ``ix_nft_instances_nft_origin`` again."""
    op.create_index("ix_nft_instances_nft_origin", "nft_instances", ["nft_origin"])
