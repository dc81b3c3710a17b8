"""Origins: the unique origin index enters a key-form origin once, not twice.

``uq_nft_instances_origin_key`` was ``(lower(trim(nft_origin)), mark, nft_origin)``: for
the chain's origins, already lower-case and trimmed, each entry held the same 66
characters twice. Its third column becomes ``coalesce(nullif(nft_origin,
lower(trim(nft_origin))), '')``: empty for an origin in key form, the origin itself
otherwise. Key and spelling give the origin back, so two succeeded rows still collide
exactly when their origins are equal: the rule (one succeeded instance per origin) and
so every stored database are unchanged; each entry is about half as long. The index is
dropped and created again under its name in one transaction; the downgrade restores
the earlier definition.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "uq_nft_instances_origin_key"
_KEY = "lower(trim(nft_origin))"
_MARK = "(status = 'succeeded' OR NULL)"
_SPELLING = f"coalesce(nullif(nft_origin, {_KEY}), '')"
"""Empty for an origin in key form, the origin otherwise (``tables.ORIGIN_SPELLING``)."""


def _recreate(third: sa.TextClause | sa.ColumnClause[object]) -> None:
    op.drop_index(_NAME, table_name="nft_instances")
    op.create_index(_NAME, "nft_instances", [sa.text(_KEY), sa.text(_MARK), third], unique=True)


def upgrade() -> None:
    """The unique origin index with the spelling as its third column."""
    _recreate(sa.text(_SPELLING))


def downgrade() -> None:
    """The unique origin index with the whole origin as its third column (0015)."""
    _recreate(sa.column("nft_origin"))
