"""Idempotency keys: a retried call returns what the first call did, once.

A service receives requests at least once. A caller that passes an ``idempotency_key``
to a workflow makes the call safe to repeat: the first call stores the key, a
fingerprint of its arguments and a reference to its result in the same transaction as
its effect; a repeat with the same arguments returns the original result and writes
nothing; a repeat with other arguments is a ``ConflictError`` naming the key. Keys are
unique per workflow (``IdempotencyRecord.workflow``), not across workflows.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Final

from attrs import define

from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.messages import shown
from nictbw.domain.values import check_characters

MAX_IDEMPOTENCY_KEY_LENGTH: Final = 200
"""The longest key a caller may pass (characters)."""


@define
class IdempotencyRecord:
    """A stored key: its workflow, the fingerprint of the first call's arguments, when it
    was stored and (once the effect is written) a reference to the result."""

    workflow: str
    key: str
    fingerprint: str
    created_at: datetime
    result: dict[str, Any] | None = None


def validate_idempotency_key(key: object) -> str | None:
    """``None`` or a non-blank string of at most :data:`MAX_IDEMPOTENCY_KEY_LENGTH`
    characters without control characters; ``ValidationError`` naming it otherwise."""
    if key is None:
        return None
    if not isinstance(key, str):
        raise ValidationError(f"idempotency_key must be a string, got {shown(key)}")
    if not key.strip():
        raise ValidationError(f"idempotency_key {shown(key)} is blank")
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationError(
            f"idempotency_key {shown(key)} is longer than {MAX_IDEMPOTENCY_KEY_LENGTH} characters"
        )
    check_characters(key, "idempotency_key")
    return key


def arguments_fingerprint(workflow: str, arguments: dict[str, Any]) -> str:
    """The sha256 (hex) of the canonical JSON of ``workflow`` and ``arguments`` (sorted
    keys, compact separators); non-JSON values are rendered with ``str``."""
    text = json.dumps(
        {"workflow": workflow, "arguments": arguments},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_replay(record: IdempotencyRecord, fingerprint: str) -> dict[str, Any]:
    """The stored result of a repeated call; ``ConflictError`` naming the key when the
    arguments differ from the first call's, or when that call's result is not recorded."""
    if record.fingerprint != fingerprint:
        raise ConflictError(
            f"idempotency_key {shown(record.key)} of {record.workflow} was first used with "
            "other arguments"
        )
    if record.result is None:
        raise ConflictError(
            f"idempotency_key {shown(record.key)} of {record.workflow} is in use by a call "
            "that has not finished"
        )
    return record.result


__all__ = [
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "IdempotencyRecord",
    "arguments_fingerprint",
    "check_replay",
    "validate_idempotency_key",
]
