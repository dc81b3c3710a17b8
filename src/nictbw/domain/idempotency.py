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
from collections.abc import Iterable
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


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """``ids`` in their order as ``[first, last]`` runs of consecutive ascending ids: a
    result reference whose size follows the runs, not the ids (a fresh batch of
    results is a few runs however many rows it stored)."""
    runs: list[list[int]] = []
    for value in ids:
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return runs


def expand_id_ranges(runs: object) -> list[int]:
    """The ids of :func:`id_ranges` runs, in order; ``ValidationError`` naming a run that
    is not two ascending ints."""
    if not isinstance(runs, list):
        raise ValidationError(f"stored id runs must be a list, got {shown(runs)}")
    ids: list[int] = []
    for run in runs:
        if (
            not isinstance(run, list)
            or len(run) != 2
            or any(isinstance(v, bool) or not isinstance(v, int) for v in run)
            or run[0] > run[1]
        ):
            raise ValidationError(f"stored id run {shown(run)} is not [first, last]")
        ids.extend(range(run[0], run[1] + 1))
    return ids


class SequenceDigest:
    """A running sha256 of a sequence of ids as given (order and repeats count): what a
    keyed call over a stream of instances remembers of it without holding the stream."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.count = 0

    def add(self, value: object) -> None:
        """Take the next id of the sequence (``None`` and non-ints by their repr)."""
        self._hash.update(f"{value!r},".encode())
        self.count += 1

    def hexdigest(self) -> str:
        """The digest of the ids taken so far, with their count."""
        return f"{self.count}:{self._hash.hexdigest()}"


__all__ = [
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "IdempotencyRecord",
    "SequenceDigest",
    "arguments_fingerprint",
    "check_replay",
    "expand_id_ranges",
    "id_ranges",
    "validate_idempotency_key",
]
