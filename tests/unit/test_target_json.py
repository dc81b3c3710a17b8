"""``TargetJson``: the cards' JSON with each target definition rendered once.

Rendering cards through one ``TargetJson`` must give exactly what rendering each cell's
definition gives, and every cell must get its own dict: a caller changing one card's JSON
changes no other card's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import attrs
from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.entities import BingoCard, NFTDefinition, TargetJson
from nictbw.testing.strategies import (
    CARD_POOL,
    EVENT_START,
    bingo_cards,
    definitions,
    utc_datetimes,
)


@st.composite
def catalogues(draw: st.DrawFn) -> dict[int, NFTDefinition]:
    """Stored definitions for some of the pool's ids (a card may name a missing one)."""
    kept = draw(st.sets(st.sampled_from(CARD_POOL), min_size=1))
    found = {}
    for definition_id in sorted(kept):
        spec = draw(definitions())
        found[definition_id] = attrs.evolve(
            spec,
            id=definition_id,
            created_at=draw(utc_datetimes()),
            updated_at=draw(st.none() | utc_datetimes()),
        )
    return found


def targets_of(rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        cell["target_definition"]
        for card in rendered
        for cell in card["cells"]
        if cell["target_definition"] is not None
    ]


@given(
    cards=st.lists(bingo_cards(), min_size=1, max_size=4),
    catalogue=catalogues(),
    compact=st.booleans(),
    later=st.integers(min_value=0, max_value=10**7),
)
def test_cards_render_as_with_each_definition_rendered_per_cell(
    cards: list[BingoCard], catalogue: dict[int, NFTDefinition], compact: bool, later: int
) -> None:
    now = EVENT_START + timedelta(seconds=later)
    expected = [card.to_json(compact, now=now, definitions=catalogue) for card in cards]
    targets = TargetJson(catalogue, compact)
    got = [card.to_json(compact, now=now, targets=targets) for card in cards]
    assert got == expected
    shown = targets_of(got)
    assert len({id(target) for target in shown}) == len(shown)
    if shown:
        shown[0]["name"] = "changed by the caller"
        again = [card.to_json(compact, now=now, targets=targets) for card in cards]
        assert again == expected


class _ListValued:
    """A definition whose JSON holds a list (not atomic): it must not be shared."""

    def __init__(self) -> None:
        self.renders = 0

    def to_json(self, compact: bool = False) -> dict[str, Any]:
        self.renders += 1
        return {"id": 7, "tags": ["a", "b"], "compact": compact}


def test_a_rendering_holding_a_list_is_made_anew_for_each_cell() -> None:
    definition = _ListValued()
    targets = TargetJson(cast(dict[int, NFTDefinition], {7: definition}), True)
    first, second = targets.get(7), targets.get(7)
    assert first == second == {"id": 7, "tags": ["a", "b"], "compact": True}
    assert first is not None
    assert second is not None
    assert first["tags"] is not second["tags"]
    assert definition.renders == 2


def test_an_unknown_or_missing_definition_gives_none() -> None:
    targets = TargetJson({}, False)
    assert targets.get(None) is None
    assert targets.get(3) is None
