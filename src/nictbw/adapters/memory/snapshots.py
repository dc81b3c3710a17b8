"""Draw snapshots in the in-memory store."""

from __future__ import annotations

import builtins

from nictbw.adapters.memory.transaction import Transaction
from nictbw.domain.entities import PrizeDrawSnapshot
from nictbw.domain.errors import ValidationError
from nictbw.ports.repositories import DrawSnapshotRepository


class InMemoryDrawSnapshotRepository(DrawSnapshotRepository):
    """Candidate-set snapshots in the in-memory store."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, snapshot: PrizeDrawSnapshot) -> PrizeDrawSnapshot:
        """Store a copy of a new snapshot and set its ``id``."""
        if snapshot.id is not None:
            raise ValidationError(f"snapshot {snapshot.id} is already stored")
        with self._tx.statement() as journal:
            table = self._tx.store.draw_snapshots
            row = table.prepare(snapshot)
            table.insert_many([row], journal)
        snapshot.id = row.id
        return snapshot

    def get(self, snapshot_id: int) -> PrizeDrawSnapshot | None:
        """A copy of the snapshot, or ``None``."""
        return self._tx.tables().draw_snapshots.read(snapshot_id)

    def list(self) -> builtins.list[PrizeDrawSnapshot]:
        """Every snapshot, ascending id."""
        return self._tx.tables().draw_snapshots.read_all()

    def list_for_draw_type(self, draw_type_id: int) -> builtins.list[PrizeDrawSnapshot]:
        """The draw type's snapshots, ascending id."""
        table = self._tx.tables().draw_snapshots
        return table.read_many(table.indexes["draw_type_id"].ids(draw_type_id))
