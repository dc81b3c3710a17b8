"""The outbox of domain events and the idempotency keys of retried calls.

``domain_events`` holds the events workflows append in the transaction of their change
(a partial index on the pending ones keeps consumers' reads short however long the
history); ``idempotency_keys`` holds each key, the fingerprint of its first call's
arguments and a reference to that call's result, unique per workflow.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT_TYPES = (
    "BadgeIssued",
    "BadgeTransferred",
    "BadgeRevoked",
    "CardCreated",
    "CellUnlocked",
    "LineCompleted",
    "CardExpired",
    "DrawSealed",
    "DrawRun",
    "PrizeWon",
    "DefinitionChanged",
    "DrawTypeChanged",
    "UserErased",
)


def upgrade() -> None:
    """Create ``domain_events`` and ``idempotency_keys``."""
    known = ", ".join(f"'{name}'" for name in _EVENT_TYPES)
    op.create_table(
        "domain_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"type IN ({known})", name=op.f("ck_domain_events_type_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_events")),
    )
    op.create_index(
        "ix_domain_events_pending",
        "domain_events",
        ["id"],
        sqlite_where=sa.text("delivered_at IS NULL"),
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("workflow", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workflow", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])


def downgrade() -> None:
    """Drop ``idempotency_keys`` and ``domain_events``."""
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_domain_events_pending", table_name="domain_events")
    op.drop_table("domain_events")
