"""The line masks adapters compile into storage queries agree with the card's own rule
(domain-rules.md §5.6)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.bingo import COVERED_BY_LINES, LINE_MASKS, covered_by_lines
from nictbw.domain.entities import (
    CELL_LOCKED,
    CELL_UNLOCKED,
    WINNING_LINES,
    BingoCard,
    BingoCell,
)


def test_each_line_mask_has_the_bits_of_its_three_cells() -> None:
    assert LINE_MASKS == (
        0b111,
        0b111000,
        0b111000000,
        0b1001001,
        0b10010010,
        0b100100100,
        0b100010001,
        0b1010100,
    )


def card_with_unlocked(mask: int) -> BingoCard:
    cells = [
        BingoCell(
            idx=idx,
            target_definition_id=idx + 1,
            state=CELL_UNLOCKED if mask >> idx & 1 else CELL_LOCKED,
        )
        for idx in range(9)
    ]
    return BingoCard(user_id=1, center_definition_id=5, cells=cells)


@given(st.integers(min_value=0, max_value=(1 << 9) - 1))
def test_covered_cells_are_the_cells_of_the_cards_completed_lines(mask: int) -> None:
    lines = card_with_unlocked(mask).completed_lines()
    expected = {idx for line in lines for idx in line}
    covered = covered_by_lines(mask)
    assert {idx for idx in range(9) if covered >> idx & 1} == expected
    assert COVERED_BY_LINES[mask] == covered


def test_every_winning_line_alone_covers_exactly_its_cells() -> None:
    for line, mask in zip(WINNING_LINES, LINE_MASKS, strict=True):
        assert covered_by_lines(mask) == mask
        assert covered_by_lines(mask & ~(1 << line[1])) == 0
