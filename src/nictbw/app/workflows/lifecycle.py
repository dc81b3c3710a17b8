"""The catalogue's whole life: validated edits, retirement and revocation, each audited.

Every workflow here takes the acting ``admin`` keyword-only. It is re-read from storage
and its stored role is checked against the permission table
(:mod:`nictbw.domain.permissions`) before anything else, so a refused call changes
nothing. Then the arguments are validated, and only then the change, its audit entry
(:mod:`nictbw.domain.audit`) and its domain event are written in one savepoint: a
failure leaves the unit of work exactly as it was. The caller commits.

A call that changes nothing (every given value already stored) writes nothing and
records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from attrs import asdict, evolve, frozen

from nictbw.app.workflows._authority import acting_admin
from nictbw.app.workflows.common import (
    atomic,
    lock_users,
    now_from,
    registry_or_default,
    stored_draw_type,
    stored_instance,
)
from nictbw.app.workflows.outbox import record_event
from nictbw.domain.audit import AuditAction, AuditEntity, changed_fields
from nictbw.domain.bingo import (
    MIN_CANDIDATES,
    bingo_candidate_ids,
    held_by_definition,
    release_instance,
)
from nictbw.domain.engine import resolve_threshold
from nictbw.domain.entities import (
    DEFINITION_INACTIVE,
    INSTANCE_REVOKED,
    Admin,
    AuditEntry,
    NFTDefinition,
    NFTInstance,
    PrizeDrawType,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.permissions import Operation
from nictbw.domain.scoring import AlgorithmRegistry
from nictbw.domain.validation import (
    check_text,
    validate_definition,
    validate_draw_type_fields,
)
from nictbw.domain.values import check_id
from nictbw.ports import Clock, UnitOfWork

DEFINITION_EDITABLE: Final = (
    "name",
    "description",
    "promotional_text",
    "category",
    "subcategory",
    "store_url",
    "store_name",
    "image_url",
    "qr_image_url",
    "local_image_path",
    "latitude",
    "longitude",
    "status",
    "max_supply",
    "triggers_bingo_card",
    "bingo_random_candidate",
    "card_lifetime_seconds",
    "is_public",
)
"""The definition fields :func:`update_nft_definition` may change."""

DRAW_TYPE_EDITABLE: Final = (
    "display_name",
    "description",
    "default_threshold",
    "max_wins_per_user",
)
"""The draw type fields :func:`update_prize_draw_type` may change."""

REASON_MAX_LENGTH: Final = 500
"""The longest revocation reason kept in the audit log."""

# Names of the domain events these workflows emit (see :func:`_emit`).
EVENT_DEFINITION_CHANGED: Final = "DefinitionChanged"
EVENT_BADGE_REVOKED: Final = "BadgeRevoked"
EVENT_DRAW_TYPE_CHANGED: Final = "DrawTypeChanged"
EVENT_USER_ERASED: Final = "UserErased"


@frozen
class Revocation:
    """What :func:`revoke_instance` did: the revoked instance and its effect on bingo."""

    instance: NFTInstance
    cells_relocked: int
    cells_rematched: int
    cards_reopened: int


def _emit(uow: UnitOfWork, type_name: str, user_id: int | None, payload: dict[str, Any]) -> None:
    """Append a domain event to the outbox, in the transaction of its effect."""
    record_event(uow, type_name, user_id=user_id, payload=payload)


def record(
    uow: UnitOfWork,
    *,
    admin: Admin,
    at: datetime,
    action: AuditAction,
    entity: AuditEntity,
    entity_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Append one audit entry (call inside the workflow's savepoint)."""
    assert admin.id is not None
    entry = AuditEntry(
        at=at,
        admin_id=admin.id,
        action=action.value,
        entity_type=entity.value,
        entity_id=entity_id,
        before=before,
        after=after,
    )
    return uow.audit.append(entry)


def checked_changes(
    changes: Mapping[str, Any], editable: tuple[str, ...], kind: str
) -> dict[str, Any]:
    """``changes`` as a dict, ``ValidationError`` naming the first field not in ``editable``."""
    if not changes:
        raise ValidationError(f"no {kind} field to change was given")
    for name in changes:
        if name not in editable:
            raise ValidationError(
                f"{kind} field {name!r} cannot be changed here; editable: {list(editable)}"
            )
    return dict(changes)


def entity_fields(entity: object, names: tuple[str, ...]) -> dict[str, Any]:
    values = asdict(entity, recurse=False)  # type: ignore[arg-type]
    return {name: values[name] for name in names}


def _starved_triggers(
    catalogue: list[NFTDefinition], changed: NFTDefinition
) -> list[tuple[str, int]]:
    """Trigger definitions that the change leaves with too few candidates for new cards
    (and that had enough before): (prefix, candidates after)."""
    after = [changed if d.id == changed.id else d for d in catalogue]
    starved: list[tuple[str, int]] = []
    for trigger in after:
        if not trigger.triggers_bingo_card or trigger.id is None:
            continue
        now_count = len(bingo_candidate_ids(after, trigger.id))
        if now_count >= MIN_CANDIDATES:
            continue
        if len(bingo_candidate_ids(catalogue, trigger.id)) >= MIN_CANDIDATES:
            starved.append((trigger.prefix, now_count))
    return starved


def update_nft_definition(
    uow: UnitOfWork,
    definition: NFTDefinition,
    *,
    admin: Admin,
    clock: Clock | None = None,
    **changes: Any,
) -> NFTDefinition:
    """Change editable fields of a stored definition (``DEFINITION_EDITABLE``); returns it.

    Checked like a new definition, plus: ``max_supply`` not below the current
    ``minted_count`` (read under the definition's row lock, so a concurrent issuance
    cannot slip past it), and no change that leaves a bingo trigger with fewer than
    ``MIN_CANDIDATES`` candidates when it had enough. Needs the ``catalogue`` permission.
    Audited as ``update_definition`` (``deactivate_definition`` when it only
    deactivates); emits ``DefinitionChanged``.
    """
    return _update_definition(uow, definition, admin, clock, changes)


def deactivate_nft_definition(
    uow: UnitOfWork, definition: NFTDefinition, *, admin: Admin, clock: Clock | None = None
) -> NFTDefinition:
    """Set a definition ``inactive``: it cannot be issued any more and leaves the bingo
    candidates of new cards; badges already issued and cards already laid out stay."""
    return _update_definition(uow, definition, admin, clock, {"status": DEFINITION_INACTIVE})


def _update_definition(
    uow: UnitOfWork,
    definition: NFTDefinition,
    admin: Admin,
    clock: Clock | None,
    changes: Mapping[str, Any],
) -> NFTDefinition:
    actor = acting_admin(uow, admin, Operation.EDIT_CATALOGUE)
    wanted = checked_changes(changes, DEFINITION_EDITABLE, "definition")
    definition_id = getattr(definition, "id", None)
    if definition_id is None:
        raise NotFoundError(f"definition {definition!r} is not stored (id is None)")
    check_id(definition_id, "definition id")
    if uow.definitions.get(definition_id) is None:
        raise NotFoundError(f"definition {definition_id} does not exist")
    # Lock the row (adding 0 serials) so minted_count cannot move until we commit.
    minted = uow.definitions.reserve_serials(definition_id, 0, enforce_supply=False)
    stored = uow.definitions.get(definition_id)
    assert stored is not None and minted is not None
    candidate = evolve(stored, **wanted)
    validate_definition(candidate)
    if candidate.max_supply is not None and candidate.max_supply < minted:
        raise ValidationError(
            f"max_supply {candidate.max_supply} of '{stored.prefix}' is below its "
            f"minted_count {minted}"
        )
    before = entity_fields(stored, DEFINITION_EDITABLE)
    old, new = changed_fields(
        before, entity_fields(candidate, DEFINITION_EDITABLE), DEFINITION_EDITABLE
    )
    if not new:
        return stored
    starved = _starved_triggers(uow.definitions.list(), candidate)
    if starved:
        prefix, count = starved[0]
        raise ValidationError(
            f"this change leaves bingo trigger '{prefix}' with {count} candidate "
            f"definitions, {MIN_CANDIDATES} needed for new cards"
        )
    now = now_from(clock)
    candidate.updated_at = now
    action = (
        AuditAction.DEACTIVATE_DEFINITION
        if set(new) == {"status"} and new["status"] == DEFINITION_INACTIVE
        else AuditAction.UPDATE_DEFINITION
    )
    with atomic(uow):
        uow.definitions.update(candidate)
        record(
            uow,
            admin=actor,
            at=now,
            action=action,
            entity=AuditEntity.DEFINITION,
            entity_id=definition_id,
            before=old,
            after=new,
        )
        _emit(
            uow,
            EVENT_DEFINITION_CHANGED,
            None,
            {"definition_id": definition_id, "fields": sorted(new)},
        )
    return candidate


def update_prize_draw_type(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    *,
    admin: Admin,
    registry: AlgorithmRegistry | None = None,
    clock: Clock | None = None,
    **changes: Any,
) -> PrizeDrawType:
    """Change ``display_name``, ``description``, ``default_threshold`` (checked against the
    type's algorithm) or ``max_wins_per_user`` of a stored, unretired draw type.

    Results already stored keep the threshold they were evaluated with. Needs the
    ``catalogue`` permission; audited as ``update_draw_type``.
    """
    actor = acting_admin(uow, admin, Operation.EDIT_CATALOGUE)
    wanted = checked_changes(changes, DRAW_TYPE_EDITABLE, "draw type")
    stored = stored_draw_type(uow, draw_type)
    if stored.retired_at is not None:
        raise ValidationError(
            f"draw type '{stored.internal_name}' ({stored.id}) is retired; it cannot be changed"
        )
    candidate = evolve(stored, **wanted)
    validate_draw_type_fields(candidate)
    if candidate.default_threshold is not None:
        algorithm = registry_or_default(registry).get(candidate.algorithm_key)
        resolve_threshold(None, candidate.default_threshold, algorithm)
    old, new = changed_fields(
        entity_fields(stored, DRAW_TYPE_EDITABLE),
        entity_fields(candidate, DRAW_TYPE_EDITABLE),
        DRAW_TYPE_EDITABLE,
    )
    if not new:
        return stored
    now = now_from(clock)
    candidate.updated_at = now
    with atomic(uow):
        uow.draw_types.update(candidate)
        record(
            uow,
            admin=actor,
            at=now,
            action=AuditAction.UPDATE_DRAW_TYPE,
            entity=AuditEntity.DRAW_TYPE,
            entity_id=stored.id,
            before=old,
            after=new,
        )
        _emit(
            uow, EVENT_DRAW_TYPE_CHANGED, None, {"draw_type_id": stored.id, "fields": sorted(new)}
        )
    return candidate


def retire_prize_draw_type(
    uow: UnitOfWork, draw_type: PrizeDrawType, *, admin: Admin, clock: Clock | None = None
) -> PrizeDrawType:
    """Retire a draw type: from now on it takes no winning number, draw, snapshot or seal.

    Stored results, snapshots and exports stay readable; a draw sealed before retirement
    can still be run. Retiring twice is a ``ConflictError``. Needs the ``catalogue``
    permission; audited as ``retire_draw_type``.
    """
    actor = acting_admin(uow, admin, Operation.EDIT_CATALOGUE)
    stored = stored_draw_type(uow, draw_type)
    if stored.retired_at is not None:
        raise ConflictError(
            f"draw type '{stored.internal_name}' ({stored.id}) is already retired "
            f"(at {stored.retired_at.isoformat()})"
        )
    now = now_from(clock)
    stored.retired_at = now
    stored.updated_at = now
    with atomic(uow):
        uow.draw_types.update(stored)
        record(
            uow,
            admin=actor,
            at=now,
            action=AuditAction.RETIRE_DRAW_TYPE,
            entity=AuditEntity.DRAW_TYPE,
            entity_id=stored.id,
            before={"retired_at": None},
            after={"retired_at": now.isoformat()},
        )
        _emit(uow, EVENT_DRAW_TYPE_CHANGED, None, {"draw_type_id": stored.id, "retired": True})
    return stored


def revoke_instance(
    uow: UnitOfWork,
    instance: NFTInstance,
    *,
    admin: Admin,
    reason: str,
    clock: Clock | None = None,
) -> Revocation:
    """Revoke a badge: its status becomes ``revoked`` and it stops counting.

    Every cell of the holder's cards it matched is matched to another held instance of
    the same definition, or locked again; a completed card that is no longer full is
    reopened (or expired when past its expiry), so a line that depended on the badge is
    no longer complete and no new draw sees it. A revoked badge is ineligible for every
    draw; results already stored are kept. Its serial number stays used. ``reason``
    (not blank, at most ``REASON_MAX_LENGTH`` characters) goes to the audit log.
    Needs the ``issue`` permission; revoking twice is a ``ConflictError``.
    """
    actor = acting_admin(uow, admin, Operation.ISSUE)
    checked_reason = check_text(reason, "reason", REASON_MAX_LENGTH, nullable=False, not_blank=True)
    first = stored_instance(uow, instance)
    lock_users(uow, [first.user_id])
    stored = stored_instance(uow, first)  # re-read under the holder's lock
    assert stored.id is not None
    if stored.status == INSTANCE_REVOKED:
        raise ConflictError(f"instance {stored.id} is already revoked")
    now = now_from(clock)
    previous = stored.status
    stored.status = INSTANCE_REVOKED
    others = [i for i in uow.instances.list_for_user(stored.user_id) if i.id != stored.id]
    held = held_by_definition(others)
    relocked = rematched = reopened = 0
    changed = []
    for card in uow.bingo_cards.list_for_user(stored.user_id):
        state = card.state
        matched = {c.idx for c in card.cells if c.matched_nft_instance_id == stored.id}
        if not release_instance(card, stored.id, held, now):
            continue
        changed.append(card)
        still = sum(1 for c in card.cells if c.idx in matched and c.is_unlocked)
        rematched += still
        relocked += len(matched) - still
        reopened += int(state != card.state)
    with atomic(uow):
        uow.instances.update(stored)
        if changed:
            uow.bingo_cards.update_many(changed)
        record(
            uow,
            admin=actor,
            at=now,
            action=AuditAction.REVOKE_INSTANCE,
            entity=AuditEntity.INSTANCE,
            entity_id=stored.id,
            before={"status": previous},
            after={"status": INSTANCE_REVOKED, "reason": checked_reason},
        )
        _emit(
            uow,
            EVENT_BADGE_REVOKED,
            stored.user_id,
            {
                "instance_id": stored.id,
                "definition_id": stored.definition_id,
                "cells_relocked": relocked,
            },
        )
    return Revocation(
        instance=stored,
        cells_relocked=relocked,
        cells_rematched=rematched,
        cards_reopened=reopened,
    )


__all__ = [
    "DEFINITION_EDITABLE",
    "DRAW_TYPE_EDITABLE",
    "Revocation",
    "checked_changes",
    "deactivate_nft_definition",
    "entity_fields",
    "record",
    "retire_prize_draw_type",
    "revoke_instance",
    "update_nft_definition",
    "update_prize_draw_type",
]
