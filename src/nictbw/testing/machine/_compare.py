"""Comparing answers and stored states of two compositions, ids as they are or by rank."""

from __future__ import annotations

import re
from typing import Any, Final

import attrs

from nictbw.ports import UnitOfWork

REPOSITORIES: Final = (
    "users",
    "admins",
    "definitions",
    "instances",
    "bingo_cards",
    "draw_types",
    "winning_numbers",
    "draw_results",
    "draw_snapshots",
    "audit",
)
"""The repositories whose ``list()`` makes up the stored state."""

_TABLE_OF: Final = {
    "User": "users",
    "Admin": "admins",
    "NFTDefinition": "definitions",
    "NFTInstance": "instances",
    "BingoCard": "bingo_cards",
    "BingoCell": "bingo_cells",
    "PrizeDrawType": "draw_types",
    "PrizeDrawWinningNumber": "winning_numbers",
    "PrizeDrawResult": "draw_results",
    "PrizeDrawSnapshot": "draw_snapshots",
    "AuditEntry": "audit",
}
"""Entity class name -> the table (repository) whose ids its ``id`` holds."""
_REFERENCES: Final = {
    "user_id": "users",
    "definition_id": "definitions",
    "center_definition_id": "definitions",
    "target_definition_id": "definitions",
    "created_by_admin_id": "admins",
    "admin_id": "admins",
    "attendance_definition_id": "definitions",
    "nft_instance_id": "instances",
    "matched_nft_instance_id": "instances",
    "bingo_card_id": "bingo_cards",
    "draw_type_id": "draw_types",
    "winning_number_id": "winning_numbers",
}
_JSON_CONTEXT: Final = {"cells": "bingo_cells", "target_definition": "definitions"}
"""Card JSON: the table whose ids ``id`` holds below these keys."""

_AUDITED: Final = {
    "definition": "definitions",
    "draw_type": "draw_types",
    "instance": "instances",
    "admin": "admins",
    "user": "users",
}
"""Audit entry ``entity_type`` -> the table whose ids its ``entity_id`` holds."""
_PSEUDONYM: Final = re.compile(r"erased-(\d+)")
"""An erased user's pseudonym holds the user's id (``erase_user``)."""

IdMaps = dict[str, dict[int, int]]


def state_of(uow: UnitOfWork) -> dict[str, list[Any]]:
    """Every repository's ``list()`` as seen by ``uow``."""
    return {name: getattr(uow, name).list() for name in REPOSITORIES}


def id_ranks(state: dict[str, list[Any]]) -> IdMaps:
    """Per table, each stored id -> its rank (1-based) among the table's ids."""
    ids: dict[str, list[int]] = {
        table: [row.id for row in rows] for table, rows in state.items() if table in REPOSITORIES
    }
    ids["bingo_cells"] = [cell.id for card in state["bingo_cards"] for cell in card.cells]
    return {
        table: {i: rank for rank, i in enumerate(sorted(found), 1)} for table, found in ids.items()
    }


def _ref(maps: IdMaps | None, table: str, value: Any) -> Any:
    if maps is None or not isinstance(value, int) or isinstance(value, bool):
        return value
    return maps.get(table, {}).get(value, ("not stored", value))


def _pseudonyms(text: str, maps: IdMaps | None) -> str:
    """``text`` with the user id in each erased user's pseudonym replaced by its rank."""
    if maps is None or "erased-" not in text:
        return text
    return _PSEUDONYM.sub(lambda m: f"erased-#{_ref(maps, 'users', int(m.group(1)))}", text)


def plain(value: Any, maps: IdMaps | None, table: str | None = None) -> Any:
    """``value`` as comparable data: attrs objects as (class, fields); with ``maps`` every
    id and reference replaced by its rank. ``table`` is the table of a JSON dict's ``id``."""
    if attrs.has(type(value)):
        own = _TABLE_OF.get(type(value).__name__)
        fields = {}
        for field in attrs.fields(type(value)):
            item = getattr(value, field.name)
            if field.name == "id" and own is not None:
                fields[field.name] = _ref(maps, own, item)
            elif field.name == "entity_id" and own == "audit":
                fields[field.name] = _ref(maps, _AUDITED.get(value.entity_type, "?"), item)
            elif field.name in _REFERENCES:
                fields[field.name] = _ref(maps, _REFERENCES[field.name], item)
            else:
                fields[field.name] = plain(item, maps)
        return (type(value).__name__, fields)
    if isinstance(value, (list, tuple)):
        return [plain(item, maps, table) for item in value]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "id" and table is not None:
                out[key] = _ref(maps, table, item)
            elif key in _REFERENCES:
                out[key] = _ref(maps, _REFERENCES[key], item)
            else:
                out[key] = plain(item, maps, _JSON_CONTEXT.get(key))
        return out
    if isinstance(value, str):
        return _pseudonyms(value, maps)
    return value
