"""Lifecycle and audit: revoked instances, retired draw types, the audit log.

- ``nft_instances.status`` may be ``revoked`` (the CHECK gains the value). PostgreSQL
  replaces the constraint; SQLite, which cannot alter a CHECK, has the constraint text of
  the table definition edited in place (``check_text.replace_checks``: no row is
  rewritten, so the foreign keys pointing at ``nft_instances`` and the partial and
  expression indexes on it are untouched).
- ``prize_draw_types.retired_at``: set once a draw type is retired.
- ``audit_log``: the append-only record of admin actions.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from nictbw.adapters.sqlalchemy.check_text import replace_checks

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WITHOUT_REVOKED = "status IN ('succeeded', 'transferred')"
_WITH_REVOKED = "status IN ('succeeded', 'transferred', 'revoked')"
_CHECK = "ck_nft_instances_status_known"


def upgrade() -> None:
    """Allow ``revoked``, add ``retired_at`` and create ``audit_log``."""
    replace_checks([("nft_instances", _CHECK, _WITHOUT_REVOKED, _WITH_REVOKED)])
    op.add_column(
        "prize_draw_types", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admin_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["admin_id"], ["admins.id"], name=op.f("fk_audit_log_admin_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_admin_id"), "audit_log", ["admin_id"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id"])


def downgrade() -> None:
    """Drop ``audit_log`` and ``retired_at``; refuse ``revoked`` again."""
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_admin_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("prize_draw_types") as batch:
        batch.drop_column("retired_at")
    replace_checks([("nft_instances", _CHECK, _WITH_REVOKED, _WITHOUT_REVOKED)])
