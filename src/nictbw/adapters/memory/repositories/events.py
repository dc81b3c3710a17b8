"""The outbox of domain events and the idempotency keys in the in-memory store."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import evolve

from nictbw.adapters.memory.table import copy_json
from nictbw.adapters.memory.transaction import Transaction
from nictbw.domain.events import DomainEvent, validate_event_page
from nictbw.domain.idempotency import IdempotencyRecord
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.values import check_lookup_key, check_lookup_keys
from nictbw.ports.repositories import EventRepository, IdempotencyKeyRepository


def _copy(event: DomainEvent) -> DomainEvent:
    return evolve(event, payload=copy_json(event.payload))


class InMemoryEventRepository(EventRepository):
    """Domain events in the in-memory store, by id in append order."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def append(self, event: DomainEvent) -> DomainEvent:
        """Store one event; returns it with its id."""
        first = self._store([event])
        return evolve(event, id=first, payload=copy_json(event.payload))

    def append_many(self, events: Sequence[DomainEvent]) -> None:
        """Store many events in order (kept as given: their payloads become the store's)."""
        if events:
            self._store(events)

    def _store(self, events: Sequence[DomainEvent]) -> int:
        """Store ``events`` under consecutive ids (without copying them: an event is
        frozen, its id and delivery are kept beside it); the first id."""
        store = self._tx.tables()
        table = store.events
        first = store.next_event_id
        end = first + len(events)
        with self._tx.statement() as journal:
            table.update(zip(range(first, end), events, strict=True))
            store.next_event_id = end

            def undo() -> None:
                for event_id in range(first, end):
                    table.pop(event_id, None)
                store.next_event_id = first

            journal.append(undo)
        return first

    def pending(
        self, *, after_id: int | None = None, limit: int = 100
    ) -> builtins.list[DomainEvent]:
        """Up to ``limit`` undelivered events with id above ``after_id``, ascending id."""
        validate_event_page(after_id, limit)
        store = self._tx.tables()
        delivered = store.delivered_events
        found: builtins.list[DomainEvent] = []
        floor = after_id if after_id is not None else 0
        for event_id, event in store.events.items():
            if event_id > floor and event_id not in delivered:
                found.append(evolve(event, id=event_id, payload=copy_json(event.payload)))
                if len(found) == limit:
                    break
        return found

    def mark_delivered(self, ids: Collection[int], at: datetime) -> int:
        """Mark these events delivered at ``at``; how many were newly marked."""
        check_lookup_keys(ids, "event id")
        moment = ensure_utc(at, "at")
        assert moment is not None
        store = self._tx.tables()
        delivered = store.delivered_events
        marked = [i for i in set(ids) if i in store.events and i not in delivered]
        with self._tx.statement() as journal:
            delivered.update(dict.fromkeys(marked, moment))

            def undo() -> None:
                for event_id in marked:
                    delivered.pop(event_id, None)

            journal.append(undo)
        return len(marked)


class InMemoryIdempotencyKeyRepository(IdempotencyKeyRepository):
    """Idempotency keys in the in-memory store, by (workflow, key)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def claim_many(self, records: Sequence[IdempotencyRecord]) -> dict[str, IdempotencyRecord]:
        """Store the free records; the stored ones among them by key."""
        table = self._tx.tables().idempotency_keys
        found: dict[str, IdempotencyRecord] = {}
        added: builtins.list[tuple[str, str]] = []
        with self._tx.statement() as journal:
            for record in records:
                check_lookup_key(record.key, "idempotency key")
                slot = (record.workflow, record.key)
                held = table.get(slot)
                if held is not None:
                    if slot not in added:
                        found[record.key] = evolve(held, result=copy_json(held.result))
                    continue
                table[slot] = evolve(record, result=copy_json(record.result))
                added.append(slot)

            def undo() -> None:
                for slot in added:
                    table.pop(slot, None)

            journal.append(undo)
        return found

    def complete_many(self, workflow: str, results: Mapping[str, dict[str, Any]]) -> None:
        """Record the result references of claimed keys."""
        table = self._tx.tables().idempotency_keys
        before: builtins.list[IdempotencyRecord] = []
        with self._tx.statement() as journal:
            for key, result in results.items():
                held = table.get((workflow, key))
                if held is None:
                    continue
                before.append(held)
                table[(workflow, key)] = evolve(held, result=copy_json(result))

            def undo() -> None:
                for record in before:
                    table[(record.workflow, record.key)] = record

            journal.append(undo)

    def get(self, workflow: str, key: str) -> IdempotencyRecord | None:
        """The stored record, or ``None``."""
        check_lookup_key(key, "idempotency key")
        held = self._tx.tables().idempotency_keys.get((workflow, key))
        return None if held is None else evolve(held, result=copy_json(held.result))

    def purge(self, older_than: datetime) -> int:
        """Delete the keys stored before ``older_than``."""
        moment = ensure_utc(older_than, "older_than")
        assert moment is not None
        table = self._tx.tables().idempotency_keys
        with self._tx.statement() as journal:
            gone = {slot: r for slot, r in table.items() if r.created_at < moment}
            for slot in gone:
                del table[slot]
            journal.append(lambda: table.update(gone))
        return len(gone)


__all__ = ["InMemoryEventRepository", "InMemoryIdempotencyKeyRepository"]
