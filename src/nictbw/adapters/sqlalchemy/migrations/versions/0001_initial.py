"""The initial schema: users, admins, definitions, instances, bingo, draws.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc() -> sa.DateTime:
    """The storage type of every datetime: timestamptz on PostgreSQL, UTC text on SQLite."""
    return sa.DateTime(timezone=True)


def _partial_index(
    name: str, table: str, columns: list[str], *, where: str, unique: bool = True
) -> None:
    op.create_index(
        name,
        table,
        columns,
        unique=unique,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    """Create every table, constraint and index."""
    op.create_table(
        "admins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=100), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=True),
        sa.Column("role", sa.String(length=50), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admins")),
        sa.UniqueConstraint("email", name=op.f("uq_admins_email")),
    )
    op.create_table(
        "prize_draw_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("internal_name", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("algorithm_key", sa.String(length=100), nullable=False),
        sa.Column("default_threshold", sa.Double(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "default_threshold IS NULL OR (default_threshold >= 0 AND default_threshold <= 1)",
            name=op.f("ck_prize_draw_types_default_threshold_in_unit_interval"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prize_draw_types")),
        sa.UniqueConstraint("internal_name", name=op.f("uq_prize_draw_types_internal_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("in_app_id", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=100), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_provided", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("nickname", sa.String(length=50), nullable=True),
        sa.Column("paymail", sa.String(length=255), nullable=True),
        sa.Column("on_chain_id", sa.String(length=255), nullable=True),
        sa.Column("fcm_token", sa.String(length=255), nullable=True),
        sa.Column(
            "initial_reward_claimed", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("is_test_user", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("in_app_id", name=op.f("uq_users_in_app_id")),
        sa.UniqueConstraint("on_chain_id", name=op.f("uq_users_on_chain_id")),
        sa.UniqueConstraint("paymail", name=op.f("uq_users_paymail")),
    )
    op.create_table(
        "nft_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=100), nullable=False),
        sa.Column("shared_key", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("nft_type", sa.String(length=50), server_default="default", nullable=False),
        sa.Column("category", sa.String(length=50), nullable=True),
        sa.Column("subcategory", sa.String(length=50), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("promotional_text", sa.Text(), nullable=True),
        sa.Column("store_url", sa.String(length=512), nullable=True),
        sa.Column("image_url", sa.String(length=255), nullable=True),
        sa.Column("qr_image_url", sa.String(length=255), nullable=True),
        sa.Column("local_image_path", sa.String(length=255), nullable=True),
        sa.Column("store_name", sa.String(length=255), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("max_supply", sa.Integer(), nullable=True),
        sa.Column("minted_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("triggers_bingo_card", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("bingo_random_candidate", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("card_lifetime_seconds", sa.Integer(), nullable=True),
        sa.Column("is_dummy", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_public", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_by_admin_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "max_supply IS NULL OR max_supply >= 0",
            name=op.f("ck_nft_definitions_max_supply_not_negative"),
        ),
        sa.CheckConstraint(
            "minted_count >= 0", name=op.f("ck_nft_definitions_minted_count_not_negative")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'inactive')", name=op.f("ck_nft_definitions_status_known")
        ),
        sa.CheckConstraint(
            "card_lifetime_seconds IS NULL OR card_lifetime_seconds > 0",
            name=op.f("ck_nft_definitions_card_lifetime_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_admin_id"],
            ["admins.id"],
            name=op.f("fk_nft_definitions_created_by_admin_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nft_definitions")),
        sa.UniqueConstraint("prefix", name=op.f("uq_nft_definitions_prefix")),
    )
    op.create_table(
        "prize_draw_winning_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_type_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("effective_at", _utc(), nullable=True),
        sa.Column("expires_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "effective_at IS NULL OR expires_at IS NULL OR expires_at > effective_at",
            name=op.f("ck_prize_draw_winning_numbers_expires_after_effective"),
        ),
        sa.ForeignKeyConstraint(
            ["draw_type_id"],
            ["prize_draw_types.id"],
            name=op.f("fk_prize_draw_winning_numbers_draw_type_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prize_draw_winning_numbers")),
    )
    op.create_index(
        op.f("ix_prize_draw_winning_numbers_draw_type_id"),
        "prize_draw_winning_numbers",
        ["draw_type_id"],
    )
    op.create_table(
        "bingo_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("center_definition_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", _utc(), nullable=False),
        sa.Column("start_time", _utc(), nullable=True),
        sa.Column("issuance_month", sa.String(length=7), nullable=True),
        sa.Column("completed_at", _utc(), nullable=True),
        sa.Column("expiry", _utc(), nullable=True),
        sa.Column("state", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("bingo_reward_claimed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'completed', 'expired')", name=op.f("ck_bingo_cards_state_known")
        ),
        sa.CheckConstraint(
            "(state = 'completed' AND completed_at IS NOT NULL)"
            " OR (state <> 'completed' AND completed_at IS NULL)",
            name=op.f("ck_bingo_cards_completed_iff_completed_at"),
        ),
        sa.ForeignKeyConstraint(
            ["center_definition_id"],
            ["nft_definitions.id"],
            name=op.f("fk_bingo_cards_center_definition_id"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bingo_cards_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bingo_cards")),
        sa.UniqueConstraint(
            "user_id",
            "center_definition_id",
            name=op.f("uq_bingo_cards_user_id_center_definition_id"),
        ),
    )
    op.create_table(
        "nft_instances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("serial_number", sa.Integer(), nullable=False),
        sa.Column("unique_instance_id", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", _utc(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="succeeded", nullable=False),
        sa.Column("nft_origin", sa.String(length=255), nullable=True),
        sa.Column("blockchain_nft_id", sa.BigInteger(), nullable=True),
        sa.Column("current_nft_location", sa.String(length=255), nullable=True),
        sa.Column("blockchain_name", sa.String(length=100), nullable=True),
        sa.Column("sub_type", sa.String(length=50), nullable=True),
        sa.Column("blockchain_created_at", _utc(), nullable=True),
        sa.Column("blockchain_updated_at", _utc(), nullable=True),
        sa.Column("transaction_id", sa.String(length=255), nullable=True),
        sa.Column("contract_address", sa.String(length=255), nullable=True),
        sa.Column("token_id", sa.String(length=255), nullable=True),
        sa.Column("other_meta", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('succeeded', 'transferred')", name=op.f("ck_nft_instances_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"], ["nft_definitions.id"], name=op.f("fk_nft_instances_definition_id")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_nft_instances_user_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nft_instances")),
        sa.UniqueConstraint(
            "definition_id",
            "serial_number",
            name=op.f("uq_nft_instances_definition_id_serial_number"),
        ),
        sa.UniqueConstraint("unique_instance_id", name=op.f("uq_nft_instances_unique_instance_id")),
    )
    op.create_index(op.f("ix_nft_instances_user_id"), "nft_instances", ["user_id"])
    op.create_index(op.f("ix_nft_instances_nft_origin"), "nft_instances", ["nft_origin"])
    _partial_index(
        "uq_nft_instances_succeeded_origin",
        "nft_instances",
        ["nft_origin"],
        where="status = 'succeeded'",
    )
    op.create_table(
        "bingo_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bingo_card_id", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("target_definition_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("matched_nft_instance_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), server_default="locked", nullable=False),
        sa.Column("unlocked_at", _utc(), nullable=True),
        sa.CheckConstraint("idx >= 0 AND idx <= 8", name=op.f("ck_bingo_cells_idx_in_grid")),
        sa.CheckConstraint(
            "state IN ('locked', 'unlocked')", name=op.f("ck_bingo_cells_state_known")
        ),
        sa.CheckConstraint(
            "(state = 'unlocked' AND unlocked_at IS NOT NULL)"
            " OR (state <> 'unlocked' AND unlocked_at IS NULL)",
            name=op.f("ck_bingo_cells_unlocked_iff_unlocked_at"),
        ),
        sa.ForeignKeyConstraint(
            ["bingo_card_id"],
            ["bingo_cards.id"],
            name=op.f("fk_bingo_cells_bingo_card_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_definition_id"],
            ["nft_definitions.id"],
            name=op.f("fk_bingo_cells_target_definition_id"),
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"], ["nft_definitions.id"], name=op.f("fk_bingo_cells_definition_id")
        ),
        sa.ForeignKeyConstraint(
            ["matched_nft_instance_id"],
            ["nft_instances.id"],
            name=op.f("fk_bingo_cells_matched_nft_instance_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bingo_cells")),
        sa.UniqueConstraint("bingo_card_id", "idx", name=op.f("uq_bingo_cells_bingo_card_id_idx")),
        sa.UniqueConstraint(
            "bingo_card_id",
            "target_definition_id",
            name=op.f("uq_bingo_cells_bingo_card_id_target_definition_id"),
        ),
    )
    op.create_index(
        op.f("ix_bingo_cells_matched_nft_instance_id"), "bingo_cells", ["matched_nft_instance_id"]
    )
    op.create_table(
        "prize_draw_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draw_type_id", sa.Integer(), nullable=False),
        sa.Column("winning_number_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("nft_instance_id", sa.Integer(), nullable=False),
        sa.Column("draw_number", sa.String(length=255), nullable=False),
        sa.Column("similarity_score", sa.Double(), nullable=True),
        sa.Column("draw_top_digits", sa.String(length=10), nullable=True),
        sa.Column("winning_top_digits", sa.String(length=10), nullable=True),
        sa.Column("threshold_used", sa.Double(), nullable=True),
        sa.Column("outcome", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("evaluated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('win', 'lose', 'pending')",
            name=op.f("ck_prize_draw_results_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["draw_type_id"],
            ["prize_draw_types.id"],
            name=op.f("fk_prize_draw_results_draw_type_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["winning_number_id"],
            ["prize_draw_winning_numbers.id"],
            name=op.f("fk_prize_draw_results_winning_number_id"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_prize_draw_results_user_id")
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["nft_definitions.id"],
            name=op.f("fk_prize_draw_results_definition_id"),
        ),
        sa.ForeignKeyConstraint(
            ["nft_instance_id"],
            ["nft_instances.id"],
            name=op.f("fk_prize_draw_results_nft_instance_id"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prize_draw_results")),
    )
    op.create_index(op.f("ix_prize_draw_results_user_id"), "prize_draw_results", ["user_id"])
    op.create_index(op.f("ix_prize_draw_results_outcome"), "prize_draw_results", ["outcome"])
    op.create_index(
        "ix_prize_draw_results_draw_type_winning_number",
        "prize_draw_results",
        ["draw_type_id", "winning_number_id"],
    )
    _partial_index(
        "uq_prize_draw_results_scored_key",
        "prize_draw_results",
        ["nft_instance_id", "draw_type_id", "winning_number_id"],
        where="winning_number_id IS NOT NULL",
    )
    _partial_index(
        "uq_prize_draw_results_unscored_key",
        "prize_draw_results",
        ["nft_instance_id", "draw_type_id"],
        where="winning_number_id IS NULL",
    )


def downgrade() -> None:
    """Drop every table (indexes go with them), dependants first."""
    for table in (
        "prize_draw_results",
        "bingo_cells",
        "nft_instances",
        "bingo_cards",
        "prize_draw_winning_numbers",
        "nft_definitions",
        "users",
        "prize_draw_types",
        "admins",
    ):
        op.drop_table(table)
