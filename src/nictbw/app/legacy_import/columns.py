"""The bulk path of the import: a chunk of legacy rows checked column by column.

The row path (:mod:`.mapping`) builds and validates one entity per row. For the large
kinds (users, instances) a chunk is first transposed into columns and each column is
checked at once against the same rules (types, id and integer ranges, text lengths,
blank values, refused characters, required timestamps, parents and duplicate keys). A
chunk that passes every check is written column by column without building entities;
a chunk with any doubtful row returns ``None`` and goes through the row path, which
gives every refused row its reason. Both paths store the same values for a valid row.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from nictbw.app.legacy_import import mapping
from nictbw.domain.entities import (
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    OUTCOME_LOSE,
    OUTCOME_PENDING,
    OUTCOME_WIN,
    normalize_email,
)
from nictbw.domain.errors import ValidationError
from nictbw.domain.validation import validate_email_address
from nictbw.domain.values import refused_character

Columns = dict[str, Sequence[Any]]

_NONE: Final = type(None)
_INSTANCE_STATUSES: Final = frozenset({INSTANCE_SUCCEEDED, INSTANCE_TRANSFERRED})


def transpose(chunk: Sequence[Any]) -> Columns:
    """The columns of a chunk of plain rows, by column name."""
    names = chunk[0]._fields
    return dict(zip(names, zip(*chunk, strict=True), strict=True))


def _present(column: Sequence[Any]) -> list[Any]:
    return [value for value in column if value is not None]


def ids_ok(column: Sequence[Any], *, nullable: bool = False) -> bool:
    """Every value an int id in 1 .. 2^31 - 1 (or None when ``nullable``)."""
    allowed = {int, _NONE} if nullable else {int}
    if not set(map(type, column)) <= allowed:
        return False
    values = _present(column) if nullable else column
    return not values or (min(values) >= 1 and max(values) <= mapping.INT32_MAX)


def ints_ok(column: Sequence[Any], minimum: int, maximum: int, *, nullable: bool) -> bool:
    """Every value an int within ``minimum`` .. ``maximum`` (or None when ``nullable``)."""
    allowed = {int, _NONE} if nullable else {int}
    if not set(map(type, column)) <= allowed:
        return False
    values = _present(column) if nullable else column
    return not values or (min(values) >= minimum and max(values) <= maximum)


def texts_ok(
    column: Sequence[Any], max_length: int, *, nullable: bool = True, not_blank: bool = False
) -> bool:
    """Every value a str of at most ``max_length`` characters without a refused character
    (and not blank when ``not_blank``), or None when ``nullable``."""
    types = set(map(type, column))
    if not types <= ({str, _NONE} if nullable else {str}):
        return False
    values = _present(column) if _NONE in types else column
    if not values:
        return True
    if max(map(len, values)) > max_length:
        return False
    if not_blank and not all(map(str.strip, values)):
        return False
    return refused_character("".join(values)) is None


def timestamps_ok(column: Sequence[Any], *, nullable: bool) -> bool:
    """Every value a datetime (the reader gives aware UTC ones), or None when ``nullable``."""
    return set(map(type, column)) <= ({datetime, _NONE} if nullable else {datetime})


def bools_ok(column: Sequence[Any]) -> bool:
    """Every value a bool (a NULL takes the row path, which applies the default)."""
    return set(map(type, column)) <= {bool}


def parents_ok(
    references: Sequence[Any], found: Sequence[Any], gone: Collection[int], *, nullable: bool
) -> bool:
    """Every reference names an existing row that was imported."""
    if nullable:
        pairs = [(ref, hit) for ref, hit in zip(references, found, strict=True) if ref is not None]
        if any(hit is None for _, hit in pairs):
            return False
    elif None in found:
        return False
    return not gone or set(gone).isdisjoint(references)


def unheld(keys: Sequence[Any], holders: Mapping[Any, int]) -> bool:
    """No key is one that several legacy rows hold (those rows take the row path)."""
    return not holders or holders.keys().isdisjoint(keys)


def user_columns(
    columns: Columns, holders: Mapping[str, Mapping[Any, int]]
) -> dict[str, Sequence[Any]] | None:
    """The users of a chunk, column by column, or None when a row needs the row path."""
    emails: list[str | None] = []
    try:
        for value in columns["email"]:
            email = normalize_email(value)
            if email is not None:
                validate_email_address(email)
            emails.append(email)
    except (ValidationError, AttributeError, TypeError):
        return None
    if not (
        ids_ok(columns["id"])
        and texts_ok(columns["in_app_id"], 100, not_blank=True)
        and texts_ok(columns["password_hash"], 255)
        and texts_ok(columns["nickname"], 50)
        and texts_ok(columns["paymail"], 255)
        and texts_ok(columns["on_chain_id"], 255)
        and texts_ok(columns["fcm_token"], 255)
        and bools_ok(columns["password_provided"])
        and bools_ok(columns["initial_reward_claimed"])
        and bools_ok(columns["is_test_user"])
        and timestamps_ok(columns["created_at"], nullable=False)
        and timestamps_ok(columns["updated_at"], nullable=False)
        and unheld(emails, holders["email"])
        and all(
            unheld(columns[key], holders[key]) for key in ("in_app_id", "paymail", "on_chain_id")
        )
    ):
        return None
    names = (
        "id",
        "in_app_id",
        "password_hash",
        "password_provided",
        "nickname",
        "paymail",
        "on_chain_id",
        "fcm_token",
        "initial_reward_claimed",
        "is_test_user",
        "created_at",
        "updated_at",
    )
    out: dict[str, Sequence[Any]] = {name: columns[name] for name in names}
    out["email"] = emails
    return out


_EXTRA_COLUMNS: Final = (*mapping.INSTANCE_EXTRA_FIELDS, "raw_tx_data", "other_meta")


def _other_meta(chunk: Sequence[Any], columns: Columns) -> list[Any]:
    extras = [columns[name] for name in _EXTRA_COLUMNS if name in columns]
    count = len(chunk)
    if all(column.count(None) == count for column in extras):
        return [None] * count
    out: list[Any] = []
    for row, *values in zip(chunk, *extras, strict=True):
        if all(value is None for value in values):
            out.append(None)
        else:
            out.append(mapping.other_meta(row._mapping))
    return out


def instance_columns(
    chunk: Sequence[Any],
    columns: Columns,
    gone: Mapping[str, Collection[int]],
    holders: Mapping[str, Mapping[Any, int]],
) -> dict[str, Sequence[Any]] | None:
    """The instances of a chunk, column by column, or None when a row needs the row path."""
    origins = columns["nft_origin"]
    present = _present(origins)
    if not (
        ids_ok(columns["id"])
        and ids_ok(columns["user_id"])
        and ids_ok(columns["definition_id"])
        and parents_ok(columns["user_id"], columns["user_found"], gone["users"], nullable=False)
        and parents_ok(
            columns["definition_id"],
            columns["definition_found"],
            gone["definitions"],
            nullable=False,
        )
        and ints_ok(columns["serial_number"], 0, mapping.INT32_MAX, nullable=False)
        and texts_ok(columns["unique_instance_id"], 255, nullable=False, not_blank=True)
        and timestamps_ok(columns["acquired_at"], nullable=False)
        and set(columns["status"]) <= _INSTANCE_STATUSES
        and texts_ok(origins, 255, not_blank=True)
        and "".join(present).isascii()
        and ints_ok(
            columns["blockchain_nft_id"], mapping.INT64_MIN, mapping.INT64_MAX, nullable=True
        )
        and all(texts_ok(columns[key], length) for key, length in mapping.INSTANCE_TEXT)
        and timestamps_ok(columns["blockchain_created_at"], nullable=True)
        and timestamps_ok(columns["blockchain_updated_at"], nullable=True)
        and unheld(columns["unique_instance_id"], holders["unique_instance_id"])
        and unheld(
            list(zip(columns["definition_id"], columns["serial_number"], strict=True)),
            holders["serial"],
        )
        and unheld(present, holders["origin"])
    ):
        return None
    try:
        other_meta = _other_meta(chunk, columns)
    except ValidationError:
        return None
    names = (
        "id",
        "user_id",
        "definition_id",
        "serial_number",
        "unique_instance_id",
        "acquired_at",
        "status",
        "nft_origin",
        "blockchain_nft_id",
        "current_nft_location",
        "blockchain_name",
        "sub_type",
        "blockchain_created_at",
        "blockchain_updated_at",
        "transaction_id",
        "contract_address",
        "token_id",
    )
    out: dict[str, Sequence[Any]] = {name: columns[name] for name in names}
    out["other_meta"] = other_meta
    return out


_OUTCOMES: Final = frozenset({OUTCOME_WIN, OUTCOME_LOSE, OUTCOME_PENDING})


def reals_ok(column: Sequence[Any], *, nullable: bool) -> bool:
    """Every value a finite float (or None when ``nullable``)."""
    if not set(map(type, column)) <= ({float, _NONE} if nullable else {float}):
        return False
    values = _present(column) if nullable else column
    return all(map(math.isfinite, values))


def result_columns(
    columns: Columns, gone: Mapping[str, Collection[int]]
) -> dict[str, Sequence[Any]] | None:
    """The scored results of a chunk whose winning numbers were imported, column by
    column, or None when a row needs the row path (unscored results, results whose
    winning number is gone, anything doubtful)."""
    draw_types = columns["draw_type_id"]
    winning = columns["winning_number_id"]
    if not (
        ids_ok(columns["id"])
        and ids_ok(draw_types)
        and ids_ok(columns["user_id"])
        and ids_ok(columns["definition_id"])
        and ids_ok(columns["nft_instance_id"])
        and ids_ok(winning)
        and parents_ok(draw_types, columns["draw_type_found"], gone["draw_types"], nullable=False)
        and parents_ok(columns["user_id"], columns["user_found"], gone["users"], nullable=False)
        and parents_ok(
            columns["definition_id"],
            columns["definition_found"],
            gone["definitions"],
            nullable=False,
        )
        and parents_ok(
            columns["nft_instance_id"],
            columns["instance_found"],
            gone["instances"],
            nullable=False,
        )
        and parents_ok(winning, columns["winning_found"], gone["winning_numbers"], nullable=False)
        and list(columns["winning_draw_type_id"]) == list(draw_types)
        and texts_ok(columns["draw_number"], 255, nullable=False)
        and reals_ok(columns["similarity_score"], nullable=False)
        and texts_ok(columns["draw_top_digits"], 10, nullable=False)
        and texts_ok(columns["winning_top_digits"], 10, nullable=False)
        and reals_ok(columns["threshold_used"], nullable=True)
        and set(columns["outcome"]) <= _OUTCOMES
        and timestamps_ok(columns["evaluated_at"], nullable=False)
    ):
        return None
    names = (
        "id",
        "draw_type_id",
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
    return {name: columns[name] for name in names}


__all__ = [
    "Columns",
    "bools_ok",
    "ids_ok",
    "instance_columns",
    "ints_ok",
    "parents_ok",
    "reals_ok",
    "result_columns",
    "texts_ok",
    "timestamps_ok",
    "transpose",
    "unheld",
    "user_columns",
]
