"""Statements built once and cached, with bound parameters.

SQLAlchemy compiles a statement once and caches it, but building the construct and its
cache key again on every call costs as much as a small lookup; the statements of the
per-id, per-key and per-user reads are therefore built once here.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    Select,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql.dml import Update
from sqlalchemy.types import ARRAY

from nictbw.adapters.sqlalchemy.mapping import CANDIDATE_COLUMNS
from nictbw.adapters.sqlalchemy.tables import (
    ORIGIN_KEY,
    Trim,
    bingo_cards,
    bingo_cells,
    nft_instances,
)
from nictbw.domain.bingo import CARD_CELL_COUNT, LINE_MASKS
from nictbw.domain.entities import CardState, CellState


@functools.cache
def select_by(table: Table, column: str) -> Select[Any]:
    """``SELECT * FROM table WHERE column = :key ORDER BY id``."""
    return select(table).where(table.c[column] == bindparam("key")).order_by(table.c.id)


@functools.cache
def select_all(table: Table) -> Select[Any]:
    """``SELECT * FROM table ORDER BY id``."""
    return select(table).order_by(table.c.id)


@functools.cache
def among_keys(dialect_name: str, column: Column[Any]) -> ColumnElement[bool]:
    """``column`` among the bound parameter ``keys``, one parameter however many keys.

    An expanded ``IN (?, ?, ...)`` is rendered anew for every call and planned anew by
    PostgreSQL, which costs more than the lookup; instead SQLite reads the keys from a JSON
    array (``json_each``) and PostgreSQL compares with ``= ANY(array)``. The parameter's
    value comes from ``SqlRepository._keys``.
    """
    if dialect_name == "postgresql":
        return column == any_(bindparam("keys", type_=ARRAY(column.type)))
    values: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam("keys"))
    )
    return column.in_(values)


@functools.cache
def select_among(dialect_name: str, table: Table, column: str) -> Select[Any]:
    """``SELECT * FROM table WHERE column`` among ``:keys`` (see :func:`among_keys`)."""
    return select(table).where(among_keys(dialect_name, table.c[column]))


@functools.cache
def select_by_origin_keys(dialect_name: str) -> Select[Any]:
    """``SELECT * FROM nft_instances WHERE lower(trim(nft_origin))`` among ``:keys``.

    ``ORIGIN_KEY`` is :func:`nictbw.domain.scoring.origin_key` in SQL (origins are ASCII,
    so both lower-case alike); the index ``uq_nft_instances_origin_key`` serves it. The
    keys are bound as in :func:`among_keys`: one parameter however many keys.
    """
    if dialect_name == "postgresql":
        condition = any_(bindparam("keys", type_=ARRAY(String()))) == ORIGIN_KEY
    else:
        keys: Select[Any] = select(literal_column("value")).select_from(
            func.json_each(bindparam("keys"))
        )
        condition = ORIGIN_KEY.in_(keys)
    return select(nft_instances).where(condition).order_by(nft_instances.c.id)


@functools.cache
def select_by_origins(dialect_name: str) -> Select[Any]:
    """``SELECT * FROM nft_instances WHERE nft_origin`` among ``:keys``, read through
    ``uq_nft_instances_origin_key``.

    Every row holding an exact origin holds its origin key, so the rows are found by the
    keys of the bound origins, computed in SQL as the index computes them (no lower-casing
    rule of Python's to agree with), and the exact matches are kept. The keys are bound
    as in :func:`among_keys`: one parameter however many origins.
    """
    if dialect_name == "postgresql":
        keys_array = bindparam("keys", type_=ARRAY(String()))
        bound = func.unnest(keys_array).table_valued("value").render_derived()
    else:
        bound = func.json_each(bindparam("keys")).table_valued("value")
    keys: Select[Any] = select(func.lower(Trim(bound.c.value)))
    exact: Select[Any] = select(bound.c.value)
    condition = and_(ORIGIN_KEY.in_(keys), nft_instances.c.nft_origin.in_(exact))
    return select(nft_instances).where(condition).order_by(nft_instances.c.id)


CARD_CELL_COLUMNS: Final = (
    "id",
    "idx",
    "target_definition_id",
    "definition_id",
    "matched_nft_instance_id",
    "state",
    "unlocked_at",
)
"""The cell columns of :func:`card_query`, in order after the card's columns."""
CARD_READ_COLUMNS: Final = tuple(
    column.name for column in bingo_cards.c if column.name != "unlocked_mask"
)
"""The card columns of :func:`card_query` (``bingo_cards`` order): all but
``unlocked_mask``, which the cells read with the card give again."""


@functools.cache
def card_query(column: str | None, dialect_name: str = "", among: bool = False) -> Select[Any]:
    """The cards whose ``column`` is the bound ``key`` (among the bound ``keys`` with
    ``among``; every card when ``column`` is None), each joined with its cells: one row
    per cell, in card id then idx order.

    The card's columns come first (``CARD_READ_COLUMNS``), then the cell's
    (``CARD_CELL_COLUMNS`` order, labelled ``cell_<name>``); a card without cells gives
    one row whose cell columns are NULL.
    """
    cards, cells = bingo_cards, bingo_cells
    query = (
        select(
            *(cards.c[name] for name in CARD_READ_COLUMNS),
            *(cells.c[name].label(f"cell_{name}") for name in CARD_CELL_COLUMNS),
        )
        .select_from(cards.outerjoin(cells, cells.c.bingo_card_id == cards.c.id))
        .order_by(cards.c.id, cells.c.idx)
    )
    if column is not None:
        target = cards.c[column]
        query = query.where(
            among_keys(dialect_name, target) if among else target == bindparam("key")
        )
    return query


@functools.cache
def stored_unlocked_mask() -> ColumnElement[int]:
    """A card row's unlocked cells as a bitmask by idx, read from its stored cells (0 when
    none is unlocked): the value ``bingo_cards.unlocked_mask`` holds, correlated to the
    ``bingo_cards`` row of the enclosing statement."""
    cells = bingo_cells
    total = (
        select(func.sum(literal(1, Integer).bitwise_lshift(cells.c.idx)))
        .where(
            cells.c.bingo_card_id == bingo_cards.c.id,
            cells.c.state == CellState.UNLOCKED.value,
        )
        .correlate(bingo_cards)
        .scalar_subquery()
    )
    return func.coalesce(total, 0)


def mask_from_cells(where: ColumnElement[bool]) -> Update:
    """``UPDATE bingo_cards``: ``unlocked_mask`` set from the stored cells of the cards
    matching ``where``."""
    return update(bingo_cards).where(where).values(unlocked_mask=stored_unlocked_mask())


def _constant(value: int) -> ColumnElement[int]:
    """An integer written into the statement's text (a fixed part of the query, not a
    bound parameter)."""
    return literal_column(str(value), Integer)


@functools.cache
def completed_line_candidates(dialect_name: str = "") -> Select[Any]:
    """The draw candidates matched on completed lines of cards live at the bound ``now``
    (domain-rules.md §5.6), each once, ascending instance id.

    A card row holds its unlocked cells as a bitmask by idx (``unlocked_mask``): the live
    cards whose mask contains one of the domain's ``LINE_MASKS`` are found from the card
    rows alone, each with the bits of the lines it contains (``covered``, materialized so
    the planner cannot fold it into a scan of every cell). On SQLite each covered idx of
    such a card (the correlated list of ``bits``) is one lookup of the cell by its key
    (card id, idx); PostgreSQL, whose correlated lists run per joined row, hash-joins the
    cells of those cards and keeps the covered bits. The cells' matched instances are the
    candidates.
    """
    cards, cells = bingo_cards, bingo_cells
    mask = cards.c.unlocked_mask
    live = or_(
        cards.c.state == CardState.COMPLETED.value,
        and_(
            cards.c.state == CardState.ACTIVE.value,
            or_(cards.c.expiry.is_(None), cards.c.expiry > bindparam("now")),
        ),
    )
    on_lines = [
        case(
            (mask.bitwise_and(_constant(line)) == _constant(line), _constant(line)),
            else_=_constant(0),
        )
        for line in LINE_MASKS
    ]
    covered_mask: ColumnElement[int] = on_lines[0]
    for line_bits in on_lines[1:]:
        covered_mask = covered_mask.bitwise_or(line_bits)
    has_line = or_(*(mask.bitwise_and(_constant(line)) == _constant(line) for line in LINE_MASKS))
    covered = (
        select(cards.c.id.label("card_id"), covered_mask.label("covered"))
        .where(live, has_line)
        .cte("covered")
        .prefix_with("MATERIALIZED")
    )
    if dialect_name == "postgresql":
        bit = _constant(1).bitwise_lshift(cells.c.idx)
        matched = (
            select(cells.c.matched_nft_instance_id)
            .select_from(covered.join(cells, cells.c.bingo_card_id == covered.c.card_id))
            .where(covered.c.covered.bitwise_and(bit) != _constant(0))
        )
    else:
        bits = union_all(
            *(select(_constant(idx).label("idx")) for idx in range(CARD_CELL_COUNT))
        ).cte("bits")
        bit = _constant(1).bitwise_lshift(bits.c.idx)
        covered_idx = select(bits.c.idx).where(covered.c.covered.bitwise_and(bit) != _constant(0))
        matched = select(cells.c.matched_nft_instance_id).select_from(
            covered.join(
                cells,
                and_(cells.c.bingo_card_id == covered.c.card_id, cells.c.idx.in_(covered_idx)),
            )
        )
    return (
        select(*CANDIDATE_COLUMNS)
        .where(nft_instances.c.id.in_(matched))
        .order_by(nft_instances.c.id)
    )


__all__ = [
    "CARD_CELL_COLUMNS",
    "CARD_READ_COLUMNS",
    "among_keys",
    "card_query",
    "completed_line_candidates",
    "mask_from_cells",
    "select_all",
    "select_among",
    "select_by",
    "stored_unlocked_mask",
]
