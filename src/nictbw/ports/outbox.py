"""Ports of the outbox of domain events and of the idempotency keys (see
``docs/events.md``); held by the unit of work as ``events`` and ``idempotency_keys``."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from nictbw.domain.events import DomainEvent
from nictbw.domain.idempotency import IdempotencyRecord


class EventRepository(Protocol):
    """The outbox of domain events, appended in the transaction of their change.

    Ids increase with each append on one store (a rolled-back append may leave a gap).
    Delivery is at least once: events stay pending until ``mark_delivered``.
    """

    def append(self, event: DomainEvent) -> DomainEvent:
        """Store one event; returns it with its ``id``."""
        ...

    def append_many(self, events: Sequence[DomainEvent]) -> None:
        """Store many events in order with one bulk statement per chunk (ids not returned)."""
        ...

    def pending(
        self, *, after_id: int | None = None, limit: int = 100
    ) -> builtins.list[DomainEvent]:
        """Up to ``limit`` undelivered events with id above ``after_id``, ascending id."""
        ...

    def mark_delivered(self, ids: Collection[int], at: datetime) -> int:
        """Mark these events delivered at ``at`` (already delivered ones keep their time);
        how many were newly marked."""
        ...


class IdempotencyKeyRepository(Protocol):
    """Stored idempotency keys, unique per (workflow, key)."""

    def claim_many(self, records: Sequence[IdempotencyRecord]) -> dict[str, IdempotencyRecord]:
        """Store each record whose (workflow, key) is free; the already stored ones among
        them, keyed by key (records of one workflow).

        A key being claimed by a concurrent transaction is waited for where the backend
        can (PostgreSQL): once that one commits, its record is returned; if it rolls
        back, the key is claimed here.
        """
        ...

    def complete_many(self, workflow: str, results: Mapping[str, dict[str, Any]]) -> None:
        """Record the result reference of claimed keys of ``workflow`` (one statement per chunk)."""
        ...

    def get(self, workflow: str, key: str) -> IdempotencyRecord | None:
        """The stored record of ``key`` in ``workflow``, or ``None``."""
        ...

    def purge(self, older_than: datetime) -> int:
        """Delete the keys stored before ``older_than``; how many were deleted."""
        ...


__all__ = ["EventRepository", "IdempotencyKeyRepository"]
