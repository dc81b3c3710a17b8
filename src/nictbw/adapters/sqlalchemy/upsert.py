"""The columns a draw-result upsert overwrites (domain-rules.md §2.9, §7.5).

The ``INSERT ... ON CONFLICT ... DO UPDATE`` itself is built in ``repositories.py``
(``_conflict_clause``); on conflict the stored row keeps its ``id`` and ``draw_type_id``
and every column named here takes the new value.
"""

from __future__ import annotations

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

__all__ = ["OVERWRITTEN_RESULT_COLUMNS"]
