"""What a prize draw returns: its ranked winners and the facts the draw established."""

from __future__ import annotations

from collections.abc import Iterable

from nictbw.domain.entities import PrizeDrawResult, PrizeDrawWinningNumber


class DrawOutcome(list[PrizeDrawResult]):
    """The ranked winners of a draw (ties kept), as a list, plus the facts of the draw.

    It is the list of winning ``PrizeDrawResult``s callers always received (``len``,
    iteration, indexing and ``==`` with a list behave as before; ``==`` compares only the
    winners), and it carries what the draw established, so a caller renders it instead of
    querying the candidate pool again: ``evaluated`` results scored and stored,
    ``eligible`` candidates that took part, ``ineligible`` candidates left out
    (transferred, or without an origin), the ``threshold`` used (``None`` when the
    algorithm has none) and the ``winning_number`` the draw was scored against.
    """

    __slots__ = ("eligible", "evaluated", "ineligible", "threshold", "winning_number")

    def __init__(
        self,
        winners: Iterable[PrizeDrawResult] = (),
        *,
        winning_number: PrizeDrawWinningNumber,
        threshold: float | None,
        eligible: int,
        ineligible: int,
        evaluated: int,
    ) -> None:
        super().__init__(winners)
        self.winning_number = winning_number
        self.threshold = threshold
        self.eligible = eligible
        self.ineligible = ineligible
        self.evaluated = evaluated

    @property
    def winners(self) -> list[PrizeDrawResult]:
        """The ranked winners as a plain list."""
        return list(self)

    def __repr__(self) -> str:
        return (
            f"DrawOutcome(winners={list.__repr__(self)}, "
            f"winning_number_id={self.winning_number.id!r}, threshold={self.threshold!r}, "
            f"eligible={self.eligible}, ineligible={self.ineligible}, "
            f"evaluated={self.evaluated})"
        )


__all__ = ["DrawOutcome"]
