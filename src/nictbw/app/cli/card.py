"""``nictbw card``: the bingo cards of a user."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from nictbw.app.cli.rendering import card_grid, emit, print_json
from nictbw.app.cli.root import DatabaseOption, JsonOption, card_app
from nictbw.app.cli.session import session
from nictbw.domain.errors import NotFoundError
from nictbw.workflows import bingo_cards_json


@card_app.command("show")
def card_show(
    user: Annotated[str, typer.Option("--user", "-u", metavar="IN_APP_ID", help="The user.")],
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Draw the user's bingo cards as 3x3 grids."""
    with session(database) as (uow, clock):
        found = uow.users.get_by_in_app_id(user)
        if found is None:
            raise NotFoundError(f"user {user!r} does not exist")
        cards = bingo_cards_json(uow, found, clock=clock)
    if json_output:
        print_json(cards)
        return
    if not cards:
        emit(Text(f"{user} has no bingo card"))
        return
    emit(*(card_grid(card) for card in cards))


__all__ = ["card_show"]
