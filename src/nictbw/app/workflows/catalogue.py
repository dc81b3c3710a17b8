"""Definitions, draw types and winning numbers: validated creation (§4.4, §4.8, §4.9)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nictbw.app.workflows._authority import authorise
from nictbw.app.workflows.common import (
    atomic,
    now_from,
    open_draw_type,
    registry_or_default,
    reject_stored,
)
from nictbw.app.workflows.idempotency import (
    SUBMIT_WINNING_NUMBER,
    check_key,
    claim_key,
    complete_keys,
    stored_ids,
)
from nictbw.domain.engine import resolve_threshold
from nictbw.domain.entities import Admin, NFTDefinition, PrizeDrawType, PrizeDrawWinningNumber
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.permissions import Operation, require_permission
from nictbw.domain.scoring import AlgorithmRegistry
from nictbw.domain.validation import (
    validate_aware,
    validate_definition,
    validate_draw_type_fields,
    validate_metadata,
    validate_winning_value,
)
from nictbw.ports import Clock, UnitOfWork


def create_nft_definition(
    uow: UnitOfWork, definition: NFTDefinition, *, clock: Clock | None = None
) -> NFTDefinition:
    """Store a new definition created by an admin; the prefix must be free (§4.4).

    The creating admin's role must allow editing the catalogue (``ForbiddenError``).
    """
    reject_stored(definition, "definition")
    validate_definition(definition)
    if definition.minted_count != 0:
        raise ValidationError(
            f"a new definition starts with minted_count 0, got {definition.minted_count!r}"
        )
    if definition.created_by_admin_id is None:
        raise ValidationError(f"definition '{definition.prefix}' needs created_by_admin_id")
    creator = uow.admins.get(definition.created_by_admin_id)
    if creator is None:
        raise NotFoundError(f"admin {definition.created_by_admin_id} does not exist")
    require_permission(creator, Operation.EDIT_CATALOGUE)
    holder = uow.definitions.get_by_prefix(definition.prefix)
    if holder is not None:
        raise ConflictError(f"prefix '{definition.prefix}' is already taken")
    now = now_from(clock)
    with atomic(uow):
        definition.created_at = definition.created_at or now
        definition.updated_at = definition.updated_at or now
        uow.definitions.add(definition)
    return definition


def get_prize_draw_type(uow: UnitOfWork, internal_name: str) -> PrizeDrawType | None:
    """The draw type with exactly this internal name, or ``None``."""
    if not isinstance(internal_name, str):
        raise ValidationError(f"internal_name must be a string, got {internal_name!r}")
    return uow.draw_types.get_by_internal_name(internal_name)


def create_prize_draw_type(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    *,
    registry: AlgorithmRegistry | None = None,
    clock: Clock | None = None,
) -> PrizeDrawType:
    """Store a new draw type whose algorithm and default threshold can work (§4.8)."""
    reject_stored(draw_type, "draw type")
    validate_draw_type_fields(draw_type)
    registry = registry_or_default(registry)
    if draw_type.algorithm_key not in registry:
        raise ValidationError(
            f"algorithm '{draw_type.algorithm_key}' is not registered; "
            f"known: {sorted(registry.available_algorithms())}"
        )
    algorithm = registry.get(draw_type.algorithm_key)
    if draw_type.default_threshold is not None:
        resolve_threshold(None, draw_type.default_threshold, algorithm)
    holder = uow.draw_types.get_by_internal_name(draw_type.internal_name)
    if holder is not None:
        raise ConflictError(f"draw type '{draw_type.internal_name}' already exists")
    now = now_from(clock)
    with atomic(uow):
        draw_type.created_at = draw_type.created_at or now
        draw_type.updated_at = draw_type.updated_at or now
        uow.draw_types.add(draw_type)
    return draw_type


def submit_winning_number(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    value: str,
    *,
    metadata: dict[str, Any] | None = None,
    effective_at: datetime | None = None,
    expires_at: datetime | None = None,
    clock: Clock | None = None,
    idempotency_key: str | None = None,
    admin: Admin | None = None,
) -> PrizeDrawWinningNumber:
    """Store a winning number of ``draw_type``, in effect in ``[effective_at, expires_at)``.

    With ``idempotency_key`` a repeat with the same arguments returns the first call's
    number and stores nothing; other arguments: ``ConflictError``.
    """
    key = check_key(idempotency_key)
    authorise(uow, admin, Operation.RUN_DRAWS)
    stored = open_draw_type(uow, draw_type)
    checked_value = validate_winning_value(value)
    checked_metadata = validate_metadata(metadata)
    start = validate_aware(effective_at, "effective_at")
    end = validate_aware(expires_at, "expires_at")
    if start is not None and end is not None and end <= start:
        raise ValidationError(
            f"expires_at {end.isoformat()} must be after effective_at {start.isoformat()}"
        )
    assert stored.id is not None
    now = now_from(clock)
    number = PrizeDrawWinningNumber(
        draw_type_id=stored.id,
        value=checked_value,
        metadata=checked_metadata,
        effective_at=start,
        expires_at=end,
        created_at=now,
    )
    arguments = {
        "draw_type_id": stored.id,
        "value": checked_value,
        "metadata": checked_metadata,
        "effective_at": start,
        "expires_at": end,
    }
    with atomic(uow):
        replay = claim_key(uow, SUBMIT_WINNING_NUMBER, key, arguments, now)
        if replay is not None:
            (number_id,) = stored_ids([replay], "winning_number_id")
            found = uow.winning_numbers.get(number_id)
            if found is None:
                raise NotFoundError(
                    f"winning number {number_id} of idempotency_key {key!r} is gone"
                )
            return found
        uow.winning_numbers.add(number)
        if key is not None:
            complete_keys(uow, SUBMIT_WINNING_NUMBER, {key: {"winning_number_id": number.id}})
    return number
