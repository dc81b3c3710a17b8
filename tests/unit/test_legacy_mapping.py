"""Legacy row mapping: any row either maps to a valid entity or is refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.app.legacy_import import mapping
from nictbw.domain import ValidationError
from nictbw.domain.validation import validate_user

T0 = datetime(2025, 1, 1, tzinfo=UTC)

texts = st.none() | st.text(max_size=120)
legacy_users = st.fixed_dictionaries(
    {
        "id": st.integers(min_value=-5, max_value=2**40),
        "in_app_id": texts,
        "email": texts,
        "password_hash": texts,
        "password_provided": st.booleans() | st.none() | st.sampled_from([0, 1, 2]),
        "nickname": texts,
        "paymail": texts,
        "on_chain_id": texts,
        "fcm_token": texts,
        "initial_reward_claimed": st.booleans(),
        "is_test_user": st.booleans(),
        "created_at": st.just(T0) | st.just("not a timestamp") | st.none(),
        "updated_at": st.just(T0),
    }
)


@given(legacy_users)
def test_a_user_row_maps_to_a_valid_user_or_is_refused(row: dict[str, Any]) -> None:
    try:
        user = mapping.user_from_row(row)
    except ValidationError:
        return
    validate_user(user)
    assert user.id == row["id"]
    assert 1 <= row["id"] <= mapping.INT32_MAX
    email = row["email"]
    assert user.email == ((email.strip().lower() or None) if email is not None else None)


@pytest.mark.parametrize(
    ("value", "reason"),
    [(0, "outside nictbw's id range"), (2**31, "outside nictbw's id range"), (None, "NULL")],
)
def test_ids_outside_nictbws_range_are_refused(value: object, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        mapping.row_id({"id": value})


def test_instance_extras_go_under_imported_extra() -> None:
    row = {
        "id": 3,
        "user_id": 1,
        "definition_id": 2,
        "serial_number": 0,
        "unique_instance_id": "EXPO-000000000003",
        "acquired_at": T0,
        "status": "succeeded",
        "nft_origin": None,
        "blockchain_nft_id": None,
        "current_nft_location": None,
        "blockchain_name": None,
        "sub_type": None,
        "blockchain_created_at": None,
        "blockchain_updated_at": None,
        "transaction_id": None,
        "contract_address": None,
        "token_id": None,
        "other_meta": "[1, 2]",
        "bingo_period_id": 4,
        "nft_id_hash": None,
        "user_claim_hash": None,
        "error_message": "boom",
        "raw_tx_data": b"abc",
    }
    instance = mapping.instance_from_row(row)
    assert instance.other_meta == {
        "imported_extra": {
            "bingo_period_id": 4,
            "error_message": "boom",
            "raw_tx_data": {
                "bytes": 3,
                "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            },
            "other_meta_text": "[1, 2]",
        }
    }


def test_a_pending_result_with_a_score_is_refused() -> None:
    row = {
        "id": 1,
        "draw_type_id": 1,
        "user_id": 1,
        "definition_id": 1,
        "nft_instance_id": 1,
        "draw_number": "abc",
        "similarity_score": 0.5,
        "draw_top_digits": "1",
        "winning_top_digits": "2",
        "threshold_used": None,
        "outcome": "pending",
        "evaluated_at": T0,
    }
    with pytest.raises(ValidationError, match="without a winning number"):
        mapping.result_from_row(row, None)
