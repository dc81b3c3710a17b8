"""The workflow functions of nictbw (API.md "Workflows").

Each takes a unit of work first, works inside it, validates before it writes, leaves the
unit of work unchanged when it raises, and never commits: the caller commits.
"""

from nictbw.app.workflows.admins import update_admin
from nictbw.app.workflows.audit_trail import read_audit_log
from nictbw.app.workflows.batch_draws import (
    BatchDrawSummary,
    run_prize_draw_batch,
    run_prize_draw_batch_summary,
)
from nictbw.app.workflows.cards import (
    bingo_cards_json,
    bingo_cards_json_many,
    bingo_cards_json_str,
    update_bingo_info_many,
    update_user_bingo_info,
)
from nictbw.app.workflows.catalogue import (
    create_nft_definition,
    create_prize_draw_type,
    get_prize_draw_type,
    submit_winning_number,
)
from nictbw.app.workflows.draws import (
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    run_prize_draw,
    select_top_prize_draw_results,
)
from nictbw.app.workflows.erase import erase_user
from nictbw.app.workflows.exports import export_draw, write_draw_export
from nictbw.app.workflows.idempotency import purge_idempotency_keys
from nictbw.app.workflows.issuance import Grant, create_and_issue_instance, issue_instances
from nictbw.app.workflows.lifecycle import (
    Revocation,
    deactivate_nft_definition,
    retire_prize_draw_type,
    revoke_instance,
    update_nft_definition,
    update_prize_draw_type,
)
from nictbw.app.workflows.outbox import mark_events_delivered, pending_events, record_event
from nictbw.app.workflows.passwords import verify_admin_password
from nictbw.app.workflows.sealed import run_sealed_prize_draw, seal_prize_draw
from nictbw.app.workflows.snapshots import snapshot_prize_draw
from nictbw.app.workflows.sync import sync_nft_instances_from_chain
from nictbw.app.workflows.sync_many import sync_many
from nictbw.app.workflows.users import (
    SignUp,
    register_admin,
    register_user,
    register_users,
    update_user,
)

__all__ = [
    "BatchDrawSummary",
    "Grant",
    "Revocation",
    "SignUp",
    "bingo_cards_json",
    "bingo_cards_json_many",
    "bingo_cards_json_str",
    "create_and_issue_instance",
    "create_nft_definition",
    "create_prize_draw_type",
    "deactivate_nft_definition",
    "erase_user",
    "export_draw",
    "get_prize_draw_type",
    "issue_instances",
    "mark_events_delivered",
    "pending_events",
    "purge_idempotency_keys",
    "read_audit_log",
    "record_event",
    "register_admin",
    "register_user",
    "register_users",
    "retire_prize_draw_type",
    "revoke_instance",
    "run_bingo_prize_draw",
    "run_final_attendance_prize_draw",
    "run_prize_draw",
    "run_prize_draw_batch",
    "run_prize_draw_batch_summary",
    "run_sealed_prize_draw",
    "seal_prize_draw",
    "select_top_prize_draw_results",
    "snapshot_prize_draw",
    "submit_winning_number",
    "sync_many",
    "sync_nft_instances_from_chain",
    "update_admin",
    "update_bingo_info_many",
    "update_nft_definition",
    "update_prize_draw_type",
    "update_user",
    "update_user_bingo_info",
    "verify_admin_password",
    "write_draw_export",
]
