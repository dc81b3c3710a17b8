"""Origins: one unique index on the origin key replaces the two on ``nft_origin``.

Every instance with an origin was entered in two indexes on that random 66-character
value: the partial unique one of ``succeeded`` origins and the lookup index on
``lower(trim(nft_origin))``. ``uq_nft_instances_origin_key`` on
``(lower(trim(nft_origin)), (status = 'succeeded' OR NULL), nft_origin)`` does both: its
leading column serves the lookups; the second is NULL for every status but
``succeeded``, and NULLs never collide, so only succeeded rows compete, and two of them
collide exactly when their origins are equal (the key is a function of the origin). The
rule is unchanged (one succeeded instance per origin), so every stored database
satisfies it; each stored instance costs one random index entry instead of two. The
downgrade restores both indexes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = "lower(trim(nft_origin))"
_SUCCEEDED = "status = 'succeeded'"
_MARK = f"({_SUCCEEDED} OR NULL)"
"""True for a ``succeeded`` row, NULL for any other (``tables.SUCCEEDED_MARK``)."""


def upgrade() -> None:
    """Create ``uq_nft_instances_origin_key``, then drop the two indexes it replaces."""
    op.create_index(
        "uq_nft_instances_origin_key",
        "nft_instances",
        [sa.text(_KEY), sa.text(_MARK), sa.column("nft_origin")],
        unique=True,
    )
    op.drop_index("ix_nft_instances_origin_key", table_name="nft_instances")
    op.drop_index("uq_nft_instances_succeeded_origin", table_name="nft_instances")


def downgrade() -> None:
    """Create the partial unique index and the origin-key lookup index again."""
    op.create_index(
        "uq_nft_instances_succeeded_origin",
        "nft_instances",
        ["nft_origin"],
        unique=True,
        sqlite_where=sa.text(_SUCCEEDED),
        postgresql_where=sa.text(_SUCCEEDED),
    )
    op.create_index("ix_nft_instances_origin_key", "nft_instances", [sa.text(_KEY)])
    op.drop_index("uq_nft_instances_origin_key", table_name="nft_instances")
