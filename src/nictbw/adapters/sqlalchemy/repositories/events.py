"""The outbox (``domain_events``) and the idempotency keys (``idempotency_keys``)."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    RowMapping,
    String,
    Table,
    Text,
    bindparam,
    delete,
    select,
    update,
)

from nictbw.adapters.sqlalchemy.bulk import BulkStatements, chunked, distinct_keys
from nictbw.adapters.sqlalchemy.repositories.base import SqlRepository
from nictbw.adapters.sqlalchemy.tables import domain_events, idempotency_keys
from nictbw.adapters.sqlalchemy.types import UTCDateTime
from nictbw.domain.errors import ValidationError
from nictbw.domain.events import DomainEvent, EventType, validate_event_page
from nictbw.domain.idempotency import IdempotencyRecord
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.values import check_lookup_key
from nictbw.ports.repositories import EventRepository, IdempotencyKeyRepository

EVENT_COLUMNS: Final = ("type", "occurred_at", "user_id", "payload")
EVENT_CHUNK_FACTOR: Final = 10
"""Events are narrow rows (four columns) and a workflow appends several per row it
writes (an issued badge, its card, its cells, its lines), so they go in chunks of ten
times the repository's ``chunk_size`` (fewer where the driver limits parameters: 8,191
on SQLite): issuing 1,000 badges appends all their events with one statement."""
_EVENT_ROWS: Final = Table(
    "domain_events",
    MetaData(),
    Column("type", String(40)),
    Column("occurred_at", UTCDateTime()),
    Column("user_id", Integer),
    Column("payload", Text),
)
"""The columns bulk appends write, with the payload as ready JSON text: encoding every
payload with one reused encoder costs less than the column type's ``json.dumps``. Only
bulk appends use ``BulkStatements`` on ``domain_events`` (its cache is keyed by table
name and columns), so they always get these plain-text statements."""


def payload_encoder() -> Callable[[Any], str]:
    """A function giving the payload text of ``JSONText`` (non-ASCII kept literally,
    default separators): exactly ``json.JSONEncoder(ensure_ascii=False).encode``.

    ``encode`` builds a new C encoder for every call, which is a third of its time on
    the small payloads of events; where CPython's C encoder is available one is built
    once here and reused (same arguments as ``JSONEncoder.iterencode`` gives it, so the
    same text), else the plain ``encode`` is used.
    """
    reference = json.JSONEncoder(ensure_ascii=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return reference.encode
    try:
        iterencode = make(
            None,
            reference.default,
            json.encoder.encode_basestring,
            None,
            reference.key_separator,
            reference.item_separator,
            False,
            False,
            True,
        )
    except TypeError:
        return reference.encode
    join = "".join

    def encode(payload: Any) -> str:
        if isinstance(payload, dict):
            return join(iterencode(payload, 0))
        return reference.encode(payload)

    return encode


_ENCODE: Final = payload_encoder()
"""The payload text of ``JSONText`` (see :func:`payload_encoder`)."""
_PG_APPEND: Final = (
    "INSERT INTO domain_events (type, occurred_at, user_id, payload) "
    "SELECT e->>0, (e->>1)::timestamptz, (e->>2)::integer, (e->3)::text "
    "FROM json_array_elements(%s::json) AS e"
)
KEY_COLUMNS: Final = ("workflow", "key", "fingerprint", "result", "created_at")


def _event_from_row(row: RowMapping) -> DomainEvent:
    return DomainEvent(
        id=row["id"],
        type=EventType(row["type"]),
        occurred_at=row["occurred_at"],
        user_id=row["user_id"],
        payload=row["payload"],
        delivered_at=row["delivered_at"],
    )


class SqlEventRepository(SqlRepository, EventRepository):
    """Domain events in ``domain_events``; ids from the table's sequence."""

    def append(self, event: DomainEvent) -> DomainEvent:
        """Store one event; returns it with its id."""
        values = {
            "type": str(event.type),
            "occurred_at": event.occurred_at,
            "user_id": event.user_id,
            "payload": event.payload,
        }
        event_id = self._insert_one(domain_events, values)
        return DomainEvent(
            id=event_id,
            type=event.type,
            occurred_at=event.occurred_at,
            user_id=event.user_id,
            payload=event.payload,
        )

    def append_many(self, events: Sequence[DomainEvent]) -> None:
        """Store many events in order: one multi-row insert per chunk of
        ``EVENT_CHUNK_FACTOR * chunk_size`` events, nothing returned."""
        if not events:
            return
        encode = _ENCODE
        if self._connection().dialect.name == "postgresql":
            self._append_postgresql(events)
            return
        rows = [(e.type.value, e.occurred_at, e.user_id, encode(e.payload)) for e in events]
        bulk = BulkStatements.of(self._connection().dialect, _EVENT_ROWS, EVENT_COLUMNS)
        size = bulk.rows_per_statement(self.chunk_size * EVENT_CHUNK_FACTOR)
        chunks = list(chunked(rows, size))
        with self._atomic(always=len(chunks) > 1):
            for chunk in chunks:
                self._driver_write(bulk.insert(len(chunk)), bulk.parameters(chunk))

    def _append_postgresql(self, events: Sequence[DomainEvent]) -> None:
        """One ``INSERT ... SELECT`` over a single JSON document per chunk.

        Text arrays (``unnest``) make the driver quote every JSON payload and timestamp
        element by element in Python; one document of ``[type, time, user, payload]``
        rows is built with plain string joins and split by the server instead. The
        payload keeps its exact text (``json`` values are stored verbatim).
        """
        encode = _ENCODE
        times: dict[datetime, str] = {}
        parts: builtins.list[str] = []
        for event in events:
            at = event.occurred_at
            text = times.get(at)
            if text is None:
                utc = ensure_utc(at, "occurred_at")
                assert utc is not None
                text = times[at] = utc.isoformat()
            user = "null" if event.user_id is None else str(int(event.user_id))
            parts.append(f'["{event.type.value}","{text}",{user},{encode(event.payload)}]')
        size = self.chunk_size * EVENT_CHUNK_FACTOR
        chunks = [parts[i : i + size] for i in range(0, len(parts), size)]
        with self._atomic(always=len(chunks) > 1):
            for chunk in chunks:
                self._driver_write(_PG_APPEND, ["[" + ",".join(chunk) + "]"])

    def pending(
        self, *, after_id: int | None = None, limit: int = 100
    ) -> builtins.list[DomainEvent]:
        """Up to ``limit`` undelivered events with id above ``after_id``, ascending id."""
        validate_event_page(after_id, limit)
        table = domain_events
        statement = select(table).where(table.c.delivered_at.is_(None))
        if after_id is not None:
            statement = statement.where(table.c.id > after_id)
        statement = statement.order_by(table.c.id).limit(limit)
        return [_event_from_row(row) for row in self._rows(statement)]

    def mark_delivered(self, ids: Collection[int], at: datetime) -> int:
        """Mark these events delivered at ``at``: one update per chunk of ids."""
        moment = ensure_utc(at, "at")
        table = domain_events
        statement = (
            update(table)
            .where(self._among(table.c.id), table.c.delivered_at.is_(None))
            .values(delivered_at=bindparam("at", type_=table.c.delivered_at.type))
        )
        marked = 0
        with self._atomic():
            for chunk in chunked(distinct_keys(ids), self.chunk_size):
                _, count = self._write(statement, {**self._keys(chunk), "at": moment})
                marked += count
        return marked


def _record_from_row(row: RowMapping) -> IdempotencyRecord:
    return IdempotencyRecord(
        workflow=row["workflow"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        created_at=row["created_at"],
        result=row["result"],
    )


class SqlIdempotencyKeyRepository(SqlRepository, IdempotencyKeyRepository):
    """Idempotency keys in ``idempotency_keys`` (primary key: workflow, key)."""

    def claim_many(self, records: Sequence[IdempotencyRecord]) -> dict[str, IdempotencyRecord]:
        """Insert the records with ``ON CONFLICT DO NOTHING`` (ascending key, so concurrent
        claims lock keys in one order); read back those that were already stored."""
        if not records:
            return {}
        workflows = {record.workflow for record in records}
        if len(workflows) != 1:
            raise ValidationError(f"claim_many takes records of one workflow, got {workflows}")
        for record in records:
            check_lookup_key(record.key, "idempotency key")
        ordered = sorted(records, key=lambda record: record.key)
        rows = [(r.workflow, r.key, r.fingerprint, r.result, r.created_at) for r in ordered]
        with self._atomic():
            returned = self._bulk_insert(
                idempotency_keys,
                KEY_COLUMNS,
                rows,
                returning=("key",),
                conflict="ON CONFLICT (workflow, key) DO NOTHING",
            )
            claimed = {found[0] for found in returned}
            taken = [r.key for r in ordered if r.key not in claimed]
            return self._read_many(workflows.pop(), taken)

    def _read_many(self, workflow: str, keys: Sequence[str]) -> dict[str, IdempotencyRecord]:
        table = idempotency_keys
        statement = select(table).where(table.c.workflow == workflow, self._among(table.c.key))
        found: dict[str, IdempotencyRecord] = {}
        for chunk in chunked(distinct_keys(keys), self.chunk_size):
            for row in self._rows(statement, {**self._keys(chunk), "workflow": workflow}):
                found[row["key"]] = _record_from_row(row)
        return found

    def complete_many(self, workflow: str, results: Mapping[str, dict[str, Any]]) -> None:
        """Record result references with one ``executemany`` per chunk."""
        if not results:
            return
        dialect = self._connection().dialect
        bulk = BulkStatements.of(dialect, idempotency_keys, ("result",))
        mark = bulk.placeholder
        sql = (
            f"UPDATE idempotency_keys SET result = {mark} WHERE workflow = {mark} AND key = {mark}"
        )
        params = [
            (json.dumps(result, ensure_ascii=False), workflow, key)
            for key, result in sorted(results.items())
        ]
        with self._atomic():
            for chunk in chunked(params, self.chunk_size):
                self._driver_write(sql, chunk, many=True)

    def get(self, workflow: str, key: str) -> IdempotencyRecord | None:
        """The stored record, or ``None``."""
        check_lookup_key(key, "idempotency key")
        table = idempotency_keys
        statement = select(table).where(table.c.workflow == workflow, table.c.key == key)
        row = self._one(statement)
        return None if row is None else _record_from_row(row)

    def purge(self, older_than: datetime) -> int:
        """Delete the keys stored before ``older_than``."""
        moment = ensure_utc(older_than, "older_than")
        table = idempotency_keys
        _, count = self._write(delete(table).where(table.c.created_at < moment))
        return max(count, 0)


__all__ = ["SqlEventRepository", "SqlIdempotencyKeyRepository"]
