"""The dialect-specific ``INSERT ... ON CONFLICT ... DO UPDATE`` of draw results.

Results have two partial unique keys (domain-rules.md §2.9, §7.5): (instance, draw type,
winning number) where the winning number is set, and (instance, draw type) where it is
not. One statement can name one conflict target, so scored and unscored results are
upserted by separate statements built here. On conflict the stored row keeps its ``id``
and ``draw_type_id``; every other column takes the new value.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from nictbw.adapters.sqlalchemy.tables import (
    SCORED_RESULT_KEY,
    UNSCORED_RESULT_KEY,
    prize_draw_results,
)

OVERWRITTEN_RESULT_COLUMNS = (
    "winning_number_id",
    "user_id",
    "definition_id",
    "nft_instance_id",
    "draw_number",
    "similarity_score",
    "draw_top_digits",
    "winning_top_digits",
    "threshold_used",
    "outcome",
    "evaluated_at",
)
"""Every result column but ``id`` and ``draw_type_id``."""


def result_upsert(dialect_name: str, *, scored: bool) -> Insert:
    """The upsert of results with (``scored``) or without a winning number.

    Returns ``id`` and the key columns of every written row, in no particular order.
    """
    table = prize_draw_results
    key: tuple[str, ...]
    where: ColumnElement[bool]
    if scored:
        key, where = SCORED_RESULT_KEY, table.c.winning_number_id.is_not(None)
    else:
        key, where = UNSCORED_RESULT_KEY, table.c.winning_number_id.is_(None)
    index_elements = [table.c[name] for name in key]
    returning = (table.c.id, *(table.c[name] for name in SCORED_RESULT_KEY))
    if dialect_name == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=index_elements,
            index_where=where,
            set_={name: pg.excluded[name] for name in OVERWRITTEN_RESULT_COLUMNS},
        ).returning(*returning)
    if dialect_name == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=index_elements,
            index_where=where,
            set_={name: lite.excluded[name] for name in OVERWRITTEN_RESULT_COLUMNS},
        ).returning(*returning)
    raise NotImplementedError(f"no result upsert for SQL dialect {dialect_name!r}")


__all__ = ["OVERWRITTEN_RESULT_COLUMNS", "result_upsert"]
