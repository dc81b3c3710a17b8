"""Entities built from whole rows of their table (``whole_rows``): instances and
definitions."""

from __future__ import annotations

import random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.adapters.sqlalchemy.mapping import (
    INSTANCE_COLUMNS,
    definition_from_row,
    definition_values,
    definitions_from_rows,
    instance_from_row,
    instance_values,
    instances_from_rows,
)
from nictbw.domain.entities import NFTDefinition, NFTInstance
from nictbw.testing.strategies import definitions, instances

KEYS = ("id", *INSTANCE_COLUMNS)


def _row(instance: NFTInstance, keys: tuple[str, ...]) -> list[object]:
    values = {"id": instance.id, **instance_values(instance)}
    return [values[key] for key in keys]


@given(st.lists(instances(user_id=3, definition_id=7), max_size=5), st.randoms())
def test_rows_in_any_column_order_give_what_instance_from_row_gives(
    found: list[NFTInstance], order: random.Random
) -> None:
    keys = list(KEYS)
    order.shuffle(keys)
    rows = [_row(instance, tuple(keys)) for instance in found]
    built = instances_from_rows(keys, rows)
    assert built == [instance_from_row(dict(zip(keys, row, strict=True))) for row in rows]
    assert built == found


@pytest.mark.parametrize(
    "keys",
    [KEYS[:-1], (*KEYS[:-1], "token"), (*KEYS, "extra"), ("id", "id", *KEYS[2:])],
    ids=["one missing", "one unknown", "one more", "one twice"],
)
def test_columns_that_are_not_an_instance_are_refused(keys: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="not the columns of NFTInstance"):
        instances_from_rows(keys, [])


def _definition_values(definition: NFTDefinition) -> dict[str, object]:
    return {
        "id": definition.id,
        "minted_count": definition.minted_count,
        **definition_values(definition),
    }


DEFINITION_KEYS = tuple(_definition_values(NFTDefinition(prefix="P", shared_key="k", name="n")))


@given(st.lists(st.tuples(definitions(), st.integers(1, 2**31 - 1)), max_size=5), st.randoms())
def test_definition_rows_in_any_column_order_give_what_definition_from_row_gives(
    found: list[tuple[NFTDefinition, int]], order: random.Random
) -> None:
    stored = [attrs.evolve(definition, id=definition_id) for definition, definition_id in found]
    keys = list(DEFINITION_KEYS)
    order.shuffle(keys)
    rows = [[_definition_values(definition)[key] for key in keys] for definition in stored]
    built = definitions_from_rows(keys, rows)
    assert built == [definition_from_row(dict(zip(keys, row, strict=True))) for row in rows]
    assert built == stored


@pytest.mark.parametrize(
    "keys",
    [DEFINITION_KEYS[:-1], (*DEFINITION_KEYS, "extra"), ("id", "id", *DEFINITION_KEYS[2:])],
    ids=["one missing", "one more", "one twice"],
)
def test_columns_that_are_not_a_definition_are_refused(keys: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="not the columns of NFTDefinition"):
        definitions_from_rows(keys, [])
