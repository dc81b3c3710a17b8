"""Domain events: what happened, recorded in the same transaction as the change.

Workflows append events to an outbox (``uow.events``); a consumer reads the pending ones
in id order, delivers them (push notifications, webhooks, analytics) and marks them
delivered. Delivery is at least once: a consumer that crashes before marking sees the
same events again, so consumers must be idempotent by event ``id``.

Each event carries a small JSON payload of ids, counts and public values (documented per
type in ``docs/events.md``); never a secret, never personal data beyond the user id.
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from attrs import frozen

from nictbw.domain.errors import ValidationError
from nictbw.domain.messages import shown
from nictbw.domain.values import check_characters, check_id, check_int_range, to_storable_utc


class EventType(StrEnum):
    """The kinds of domain events (their stored and published names)."""

    BADGE_ISSUED = "BadgeIssued"
    BADGE_TRANSFERRED = "BadgeTransferred"
    BADGE_REVOKED = "BadgeRevoked"
    CARD_CREATED = "CardCreated"
    CELL_UNLOCKED = "CellUnlocked"
    LINE_COMPLETED = "LineCompleted"
    CARD_EXPIRED = "CardExpired"
    DRAW_SEALED = "DrawSealed"
    DRAW_RUN = "DrawRun"
    PRIZE_WON = "PrizeWon"
    DEFINITION_CHANGED = "DefinitionChanged"
    DRAW_TYPE_CHANGED = "DrawTypeChanged"
    USER_ERASED = "UserErased"


_EVENT_NAMES: Final = frozenset(kind.value for kind in EventType)

MAX_EVENT_PAYLOAD_CHARS: Final = 4000
"""The longest payload, as compact JSON text: events are notifications, not documents."""

SECRET_PAYLOAD_WORDS: Final = frozenset(
    {"password", "secret", "token", "hash", "private", "credential", "api_key"}
)
"""A payload key containing one of these words is refused: events never carry a secret."""


MAX_EVENT_PAGE: Final = 100_000
"""The most events one ``pending`` read returns."""


@frozen
class DomainEvent:
    """One recorded event; ``id`` is assigned by the outbox, increasing with each append."""

    type: EventType
    occurred_at: datetime
    payload: dict[str, Any]
    user_id: int | None = None
    id: int | None = None
    delivered_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """The event as JSON-ready data (what ``nictbw events tail --json`` prints)."""
        return {
            "id": self.id,
            "type": str(self.type),
            "occurred_at": self.occurred_at.isoformat(),
            "user_id": self.user_id,
            "payload": self.payload,
            "delivered_at": None if self.delivered_at is None else self.delivered_at.isoformat(),
        }


def _secret_key(payload: Any) -> str | None:
    """The first key of ``payload`` (nested included) that names a secret, if any."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            lowered = str(key).lower()
            if any(word in lowered for word in SECRET_PAYLOAD_WORDS):
                return str(key)
            found = _secret_key(value)
            if found is not None:
                return found
    elif isinstance(payload, list):
        for item in payload:
            found = _secret_key(item)
            if found is not None:
                return found
    return None


def validate_event(
    type: object, payload: object, user_id: object, occurred_at: datetime
) -> EventType:
    """Check what a caller asks to record; the event type. ``ValidationError`` naming the
    offending value: an unknown type, a payload that is not a small JSON object of plain
    values, a key naming a secret, a user id that is not an int."""
    if not isinstance(type, str) or type not in _EVENT_NAMES:
        raise ValidationError(
            f"event type {shown(type)} is not one of {[t.value for t in EventType]}"
        )
    kind = EventType(type)
    if not isinstance(payload, dict):
        raise ValidationError(f"event payload must be a JSON object, got {shown(payload)}")
    try:
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"event payload {shown(payload)} is not plain JSON: {exc}") from None
    if len(text) > MAX_EVENT_PAYLOAD_CHARS:
        raise ValidationError(
            f"event payload is {len(text)} characters of JSON, more than {MAX_EVENT_PAYLOAD_CHARS}"
        )
    check_characters(text, "event payload", free_text=True)
    secret = _secret_key(payload)
    if secret is not None:
        raise ValidationError(f"event payload key {secret!r} names a secret; events carry none")
    if user_id is not None:
        check_id(user_id, "event user_id")
    to_storable_utc(occurred_at, "event occurred_at")
    return kind


def validate_event_page(after_id: object, limit: object) -> None:
    """A ``pending`` read's cursor (``None`` or an id) and page size (1 ..
    :data:`MAX_EVENT_PAGE`); ``ValidationError`` naming the value otherwise."""
    if after_id is not None:
        check_id(after_id, "after_id")
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ValidationError(f"limit must be an int, got {shown(limit)}")
    check_int_range(limit, "limit", minimum=1, maximum=MAX_EVENT_PAGE)


__all__ = [
    "MAX_EVENT_PAGE",
    "MAX_EVENT_PAYLOAD_CHARS",
    "SECRET_PAYLOAD_WORDS",
    "DomainEvent",
    "EventType",
    "validate_event",
    "validate_event_page",
]
