"""Legacy rows -> nictbw entities, one row at a time, checked against nictbw's rules.

Each function takes a row labelled with the v1.x column names and returns the entity,
or raises :class:`~nictbw.domain.errors.ValidationError` whose message becomes the
row's reason in the report. Checks that need other rows (orphans, duplicates) are the
importer's.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from nictbw.domain.entities import (
    CARD_COMPLETED,
    CELL_UNLOCKED,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    OUTCOME_LOSE,
    OUTCOME_PENDING,
    OUTCOME_WIN,
    Admin,
    BingoCard,
    BingoCell,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.scoring import AlgorithmRegistry
from nictbw.domain.validation import (
    check_text,
    validate_admin,
    validate_definition,
    validate_draw_type_fields,
    validate_origin,
    validate_user,
    validate_winning_value,
)

Row = Mapping[Any, Any]

INT32_MAX: Final = 2**31 - 1
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

DEFINITION_EXTRA_FIELDS: Final = (
    "template_id",
    "condition_id",
    "distributes_coupons",
    "bingo_period_id",
    "bingo_is_center",
    "bingo_force_include",
    "can_be_center",
    "allow_bingo_duplicates",
    "bingo_group_id",
)
"""Legacy definition columns nictbw has no field for; kept in ``imported_extra``."""

INSTANCE_EXTRA_FIELDS: Final = (
    "bingo_period_id",
    "nft_id_hash",
    "user_claim_hash",
    "error_message",
)
"""Legacy instance columns nictbw has no field for; kept under ``other_meta.imported_extra``."""

IMPORTED_EXTRA_KEY: Final = "imported_extra"

_INSTANCE_STATUSES: Final = frozenset({INSTANCE_SUCCEEDED, INSTANCE_TRANSFERRED})
_CARD_STATES: Final = frozenset({"active", "completed", "expired"})
_CELL_STATES: Final = frozenset({"locked", "unlocked"})
_OUTCOMES: Final = frozenset({OUTCOME_WIN, OUTCOME_LOSE, OUTCOME_PENDING})


def row_id(row: Row, key: str = "id", *, nullable: bool = False) -> int | None:
    """An id column as an int in nictbw's id range (1 .. 2^31 - 1)."""
    value = row[key]
    if value is None:
        if nullable:
            return None
        raise ValidationError(f"{key} is NULL")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT32_MAX:
        raise ValidationError(f"{key} {value!r} is outside nictbw's id range 1..{INT32_MAX}")
    return value


def _required_id(row: Row, key: str) -> int:
    value = row_id(row, key)
    assert value is not None
    return value


def _int(row: Row, key: str, *, minimum: int, maximum: int = INT32_MAX) -> int | None:
    value = row[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ValidationError(f"{key} {value!r} is outside nictbw's range {minimum}..{maximum}")
    return value


def _timestamp(row: Row, key: str, *, required: bool) -> datetime | None:
    value = row[key]
    if value is None:
        if required:
            raise ValidationError(f"{key} is NULL")
        return None
    if not isinstance(value, datetime):
        raise ValidationError(f"{key} {value!r} is not a readable timestamp")
    return value


def _required_timestamp(row: Row, key: str) -> datetime:
    value = _timestamp(row, key, required=True)
    assert value is not None
    return value


def _bool(row: Row, key: str, default: bool) -> bool:
    value = row[key]
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValidationError(f"{key} {value!r} is not a boolean")


def _real(row: Row, key: str) -> float | None:
    value = row[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{key} {value!r} is not a finite number")
    return float(value)


def _one_of(row: Row, key: str, allowed: frozenset[str]) -> str:
    value = row[key]
    if value not in allowed:
        raise ValidationError(f"{key} {value!r} is not one of {sorted(allowed)}")
    assert isinstance(value, str)
    return value


def user_from_row(row: Row) -> User:
    """A user; the email is normalised, the password hash kept as an opaque value."""
    user = User(
        id=row_id(row),
        in_app_id=row["in_app_id"],
        email=row["email"],
        password_hash=row["password_hash"],
        password_provided=_bool(row, "password_provided", False),
        nickname=row["nickname"],
        paymail=row["paymail"],
        on_chain_id=row["on_chain_id"],
        fcm_token=row["fcm_token"],
        initial_reward_claimed=_bool(row, "initial_reward_claimed", False),
        is_test_user=_bool(row, "is_test_user", False),
        created_at=_required_timestamp(row, "created_at"),
        updated_at=_required_timestamp(row, "updated_at"),
    )
    validate_user(user)
    return user


def admin_from_row(row: Row) -> Admin:
    """An admin; the password hash is kept as an opaque value."""
    admin = Admin(
        id=row_id(row),
        email=row["email"],
        password_hash=row["password_hash"],
        name=row["name"],
        role=row["role"],
        created_at=_required_timestamp(row, "created_at"),
        updated_at=_required_timestamp(row, "updated_at"),
    )
    validate_admin(admin)
    return admin


def definition_extras(row: Row) -> dict[str, Any]:
    """The legacy definition fields nictbw drops, NULLs left out."""
    return {key: row[key] for key in DEFINITION_EXTRA_FIELDS if row[key] is not None}


def definition_from_row(row: Row, minted_count: int) -> NFTDefinition:
    """A definition with ``minted_count`` as the importer settled it."""
    definition = NFTDefinition(
        id=row_id(row),
        prefix=row["prefix"],
        shared_key=row["shared_key"],
        name=row["name"],
        nft_type=row["nft_type"],
        category=row["category"],
        subcategory=row["subcategory"],
        description=row["description"],
        promotional_text=row["promotional_text"],
        store_url=row["store_url"],
        image_url=row["image_url"],
        qr_image_url=row["qr_image_url"],
        local_image_path=row["local_image_path"],
        store_name=row["store_name"],
        latitude=_real(row, "latitude"),
        longitude=_real(row, "longitude"),
        max_supply=_int(row, "max_supply", minimum=0),
        minted_count=minted_count,
        status=row["status"],
        triggers_bingo_card=_bool(row, "triggers_bingo_card", False),
        bingo_random_candidate=_bool(row, "bingo_random_candidate", True),
        is_dummy=_bool(row, "is_dummy", False),
        is_public=_bool(row, "is_public", True),
        created_by_admin_id=row_id(row, "created_by_admin_id", nullable=True),
        created_at=_required_timestamp(row, "created_at"),
        updated_at=_required_timestamp(row, "updated_at"),
        imported_extra=definition_extras(row) or None,
    )
    validate_definition(definition)
    return definition


def other_meta(row: Row) -> dict[str, Any] | None:
    """The instance's ``other_meta`` JSON object plus the dropped legacy fields."""
    extra: dict[str, Any] = {}
    for key in INSTANCE_EXTRA_FIELDS:
        value = row[key]
        if value is not None:
            extra[key] = value
    raw = row.get("raw_tx_data")
    if raw is not None:
        data = bytes(raw)
        extra["raw_tx_data"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    text = row["other_meta"]
    meta: dict[str, Any] | None = None
    if text is not None:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            meta = parsed
        else:
            extra["other_meta_text"] = text
    for key, value in extra.items():
        if isinstance(value, str):
            check_text(value, key, len(value))
    if not extra:
        return meta
    return {**(meta or {}), IMPORTED_EXTRA_KEY: extra}


INSTANCE_TEXT: Final = (
    ("current_nft_location", 255),
    ("blockchain_name", 100),
    ("sub_type", 50),
    ("transaction_id", 255),
    ("contract_address", 255),
    ("token_id", 255),
)


def instance_from_row(row: Row) -> NFTInstance:
    """An instance: serial, unique id, origin and chain fields kept as stored."""
    origin = row["nft_origin"]
    if origin is not None:
        validate_origin(origin)
    serial = _int(row, "serial_number", minimum=0)
    if serial is None:
        raise ValidationError("serial_number is NULL")
    unique_id = check_text(
        row["unique_instance_id"], "unique_instance_id", 255, nullable=False, not_blank=True
    )
    assert unique_id is not None
    for key, length in INSTANCE_TEXT:
        value = row[key]
        if value is not None:
            check_text(value, key, length)
    return NFTInstance(
        id=row_id(row),
        user_id=_required_id(row, "user_id"),
        definition_id=_required_id(row, "definition_id"),
        serial_number=serial,
        unique_instance_id=unique_id,
        acquired_at=_required_timestamp(row, "acquired_at"),
        status=_one_of(row, "status", _INSTANCE_STATUSES),
        nft_origin=origin,
        blockchain_nft_id=_int(row, "blockchain_nft_id", minimum=INT64_MIN, maximum=INT64_MAX),
        current_nft_location=row["current_nft_location"],
        blockchain_name=row["blockchain_name"],
        sub_type=row["sub_type"],
        blockchain_created_at=_timestamp(row, "blockchain_created_at", required=False),
        blockchain_updated_at=_timestamp(row, "blockchain_updated_at", required=False),
        transaction_id=row["transaction_id"],
        contract_address=row["contract_address"],
        token_id=row["token_id"],
        other_meta=other_meta(row),
    )


def _cell_from_row(row: Row) -> BingoCell:
    idx = _int(row, "cell_idx", minimum=0, maximum=8)
    if idx is None:
        raise ValidationError(f"cell {row['cell_id']!r}: idx is NULL")
    cell = BingoCell(
        id=row_id(row, "cell_id"),
        bingo_card_id=row_id(row, "cell_bingo_card_id"),
        idx=idx,
        target_definition_id=_required_id(row, "cell_target_definition_id"),
        definition_id=row_id(row, "cell_definition_id", nullable=True),
        matched_nft_instance_id=row_id(row, "cell_matched_nft_instance_id", nullable=True),
        state=_one_of(row, "cell_state", _CELL_STATES),
        unlocked_at=_timestamp(row, "cell_unlocked_at", required=False),
    )
    if (cell.state == CELL_UNLOCKED) != (cell.unlocked_at is not None):
        raise ValidationError(
            f"cell {cell.id} (idx {cell.idx}): state {cell.state!r} and unlocked_at "
            f"{cell.unlocked_at!r} disagree"
        )
    return cell


def card_from_rows(row: Row, cell_rows: Sequence[Row]) -> BingoCard:
    """A card with its nine cells; its centre is the target of the cell at idx 4."""
    cells = [_cell_from_row(cell) for cell in cell_rows]
    idxs = sorted(cell.idx for cell in cells)
    if idxs != list(range(9)):
        raise ValidationError(f"has cells at idx {idxs}, nictbw needs exactly idx 0..8")
    targets = [cell.target_definition_id for cell in cells]
    if len(set(targets)) != len(targets):
        raise ValidationError(f"targets a definition twice ({sorted(targets)})")
    card = BingoCard(
        id=row_id(row),
        user_id=_required_id(row, "user_id"),
        center_definition_id=cells[4].target_definition_id,
        period_id=_int(row, "period_id", minimum=-INT32_MAX - 1),
        issued_at=_required_timestamp(row, "issued_at"),
        start_time=_timestamp(row, "start_time", required=False),
        issuance_month=check_text(row["issuance_month"], "issuance_month", 7),
        completed_at=_timestamp(row, "completed_at", required=False),
        expiry=_timestamp(row, "expiry", required=False),
        state=_one_of(row, "state", _CARD_STATES),
        bingo_reward_claimed=_bool(row, "bingo_reward_claimed", False),
        cells=cells,
    )
    if (card.state == CARD_COMPLETED) != (card.completed_at is not None):
        raise ValidationError(
            f"state {card.state!r} and completed_at {card.completed_at!r} disagree"
        )
    return card


def draw_type_from_row(row: Row, registry: AlgorithmRegistry) -> PrizeDrawType:
    """A draw type whose algorithm is registered and whose threshold it can reach."""
    draw_type = PrizeDrawType(
        id=row_id(row),
        internal_name=row["internal_name"],
        display_name=row["display_name"],
        description=row["description"],
        algorithm_key=row["algorithm_key"],
        default_threshold=_real(row, "default_threshold"),
        created_at=_required_timestamp(row, "created_at"),
        updated_at=_required_timestamp(row, "updated_at"),
    )
    validate_draw_type_fields(draw_type)
    try:
        algorithm = registry.get(draw_type.algorithm_key)
    except NotFoundError as exc:
        raise ValidationError(
            f"algorithm_key {draw_type.algorithm_key!r} is not a registered algorithm"
        ) from exc
    threshold = draw_type.default_threshold
    if threshold is not None and threshold > algorithm.max_score:
        raise ValidationError(
            f"default_threshold {threshold!r} is above the highest score "
            f"{algorithm.max_score!r} of {algorithm.key!r}"
        )
    return draw_type


def winning_number_from_row(row: Row) -> PrizeDrawWinningNumber:
    """A winning number, its value kept exactly as stored."""
    return PrizeDrawWinningNumber(
        id=row_id(row),
        draw_type_id=_required_id(row, "draw_type_id"),
        value=validate_winning_value(row["value"]),
        created_at=_required_timestamp(row, "created_at"),
    )


def result_from_row(row: Row, winning_number_id: int | None) -> PrizeDrawResult:
    """A result attached to ``winning_number_id``, its figures kept exactly as stored."""
    draw_number = check_text(row["draw_number"], "draw_number", 255, nullable=False)
    assert draw_number is not None
    score = _real(row, "similarity_score")
    draw_digits = check_text(row["draw_top_digits"], "draw_top_digits", 10)
    winning_digits = check_text(row["winning_top_digits"], "winning_top_digits", 10)
    if (score is None) != (winning_number_id is None):
        raise ValidationError(
            f"similarity_score {score!r} without a winning number, or the reverse"
        )
    if (score is None) != (draw_digits is None) or (score is None) != (winning_digits is None):
        raise ValidationError(
            f"top digits {draw_digits!r}/{winning_digits!r} disagree with similarity_score "
            f"{score!r}"
        )
    return PrizeDrawResult(
        id=row_id(row),
        draw_type_id=_required_id(row, "draw_type_id"),
        winning_number_id=winning_number_id,
        user_id=_required_id(row, "user_id"),
        definition_id=_required_id(row, "definition_id"),
        nft_instance_id=_required_id(row, "nft_instance_id"),
        draw_number=draw_number,
        similarity_score=score,
        draw_top_digits=draw_digits,
        winning_top_digits=winning_digits,
        threshold_used=_real(row, "threshold_used"),
        outcome=_one_of(row, "outcome", _OUTCOMES),
        evaluated_at=_required_timestamp(row, "evaluated_at"),
    )


__all__ = [
    "DEFINITION_EXTRA_FIELDS",
    "IMPORTED_EXTRA_KEY",
    "INSTANCE_EXTRA_FIELDS",
    "INSTANCE_TEXT",
    "admin_from_row",
    "card_from_rows",
    "definition_extras",
    "definition_from_row",
    "draw_type_from_row",
    "instance_from_row",
    "other_meta",
    "result_from_row",
    "row_id",
    "user_from_row",
    "winning_number_from_row",
]
