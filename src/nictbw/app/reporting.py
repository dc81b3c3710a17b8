"""Draw results as report rows, shared by the command line and the simulation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nictbw.domain.entities import PrizeDrawResult
from nictbw.ports import UnitOfWork


def winner_rows(uow: UnitOfWork, results: Sequence[PrizeDrawResult]) -> list[dict[str, Any]]:
    """Ranked results as report rows: rank, user, badge unique id, draw number, score, outcome.

    Users and instances are read with one bulk query each.
    """
    users = uow.users.get_many({r.user_id for r in results})
    instances = uow.instances.get_many({r.nft_instance_id for r in results})
    rows: list[dict[str, Any]] = []
    for rank, result in enumerate(results, start=1):
        user = users.get(result.user_id)
        instance = instances.get(result.nft_instance_id)
        rows.append(
            {
                "rank": rank,
                "user": user.in_app_id if user is not None else None,
                "unique_id": instance.unique_instance_id if instance is not None else None,
                "draw_number": result.draw_number,
                "similarity": result.similarity_score,
                "outcome": result.outcome,
            }
        )
    return rows


__all__ = ["winner_rows"]
