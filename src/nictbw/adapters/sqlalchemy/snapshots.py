"""Draw snapshots in ``prize_draw_snapshots``."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import RowMapping, select

from nictbw.adapters.sqlalchemy.repositories import SqlRepository
from nictbw.adapters.sqlalchemy.tables import prize_draw_snapshots
from nictbw.domain.entities import PrizeDrawSnapshot
from nictbw.domain.errors import ValidationError
from nictbw.domain.values import check_lookup_key
from nictbw.ports.repositories import DrawSnapshotRepository


def _snapshot_values(snapshot: PrizeDrawSnapshot) -> dict[str, Any]:
    return {
        "draw_type_id": snapshot.draw_type_id,
        "scope": snapshot.scope,
        "attendance_definition_id": snapshot.attendance_definition_id,
        "candidate_count": snapshot.candidate_count,
        "candidates_sha256": snapshot.candidates_sha256,
        "created_at": snapshot.created_at,
        "beacon_chain_hash": snapshot.beacon_chain_hash,
        "beacon_public_key": snapshot.beacon_public_key,
        "beacon_scheme": snapshot.beacon_scheme,
        "beacon_round": snapshot.beacon_round,
        "beacon_round_at": snapshot.beacon_round_at,
        "max_wins_per_user": snapshot.max_wins_per_user,
    }


def _snapshot_from_row(row: RowMapping) -> PrizeDrawSnapshot:
    return PrizeDrawSnapshot(
        id=row["id"],
        draw_type_id=row["draw_type_id"],
        scope=row["scope"],
        attendance_definition_id=row["attendance_definition_id"],
        candidate_count=row["candidate_count"],
        candidates_sha256=row["candidates_sha256"],
        created_at=row["created_at"],
        beacon_chain_hash=row["beacon_chain_hash"],
        beacon_public_key=row["beacon_public_key"],
        beacon_scheme=row["beacon_scheme"],
        beacon_round=row["beacon_round"],
        beacon_round_at=row["beacon_round_at"],
        max_wins_per_user=row["max_wins_per_user"],
    )


class SqlDrawSnapshotRepository(SqlRepository, DrawSnapshotRepository):
    """Candidate-set snapshots of draws."""

    def add(self, snapshot: PrizeDrawSnapshot) -> PrizeDrawSnapshot:
        """Store a new snapshot; assigns ``id``."""
        if snapshot.id is not None:
            raise ValidationError(f"snapshot {snapshot.id} is already stored")
        snapshot.id = self._insert_one(prize_draw_snapshots, _snapshot_values(snapshot))
        return snapshot

    def get(self, snapshot_id: int) -> PrizeDrawSnapshot | None:
        """The snapshot with this id, or ``None``."""
        check_lookup_key(snapshot_id, "snapshot id")
        table = prize_draw_snapshots
        row = self._one(select(table).where(table.c.id == snapshot_id))
        return None if row is None else _snapshot_from_row(row)

    def list(self) -> builtins.list[PrizeDrawSnapshot]:
        """Every snapshot, ascending id."""
        table = prize_draw_snapshots
        return [_snapshot_from_row(r) for r in self._rows(select(table).order_by(table.c.id))]

    def list_for_draw_type(self, draw_type_id: int) -> builtins.list[PrizeDrawSnapshot]:
        """The draw type's snapshots, ascending id."""
        check_lookup_key(draw_type_id, "draw type id")
        table = prize_draw_snapshots
        statement = select(table).where(table.c.draw_type_id == draw_type_id).order_by(table.c.id)
        return [_snapshot_from_row(r) for r in self._rows(statement)]
