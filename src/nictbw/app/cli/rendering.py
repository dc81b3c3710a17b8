"""How results look on a terminal: consoles, tables, bingo grids, progress bars, JSON.

Stored text (user ids, definition names, winning numbers) is never read as rich markup
or emoji codes: both consoles have markup and emoji off, so ``x[/bold]`` prints as
itself, and styles are given as ``Text`` and table arguments only. ``emit`` renders
everything first and writes it in one go, so a failure never leaves half an output.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

from rich import box
from rich.console import Console, Group, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from nictbw.domain.entities import WINNING_LINES

LINE_NAMES: Final = (
    "top row",
    "middle row",
    "bottom row",
    "left column",
    "middle column",
    "right column",
    "diagonal",
    "anti-diagonal",
)


CELL_STYLES: Final = {"line": "bold black on green", "unlocked": "green", "locked": "dim"}
"""How a bingo cell is drawn: on a completed line, unlocked, locked."""


def stdout() -> Console:
    """The console of results: the terminal's width, 120 columns when not a terminal."""
    width = None if sys.stdout.isatty() else shutil.get_terminal_size((120, 24)).columns
    return Console(file=sys.stdout, highlight=False, markup=False, emoji=False, width=width)


def stderr() -> Console:
    """The console of progress bars."""
    return Console(file=sys.stderr, highlight=False, markup=False, emoji=False)


def emit(*renderables: RenderableType) -> None:
    """Render ``renderables`` completely, then write them to stdout at once."""
    console = stdout()
    with console.capture() as captured:
        for renderable in renderables:
            console.print(renderable)
    sys.stdout.write(captured.get())
    sys.stdout.flush()


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON, without markup."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


class RichProgress:
    """Simulation progress as rich progress bars on ``console``, shown from the first phase."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._started = False
        self._task: TaskID | None = None
        self._total = 0

    def start_phase(self, name: str, total: int) -> None:
        """Add a bar for the phase."""
        if not self._started:
            self._progress.start()
            self._started = True
        self._total = max(total, 1)
        self._task = self._progress.add_task(name, total=self._total)

    def advance(self, amount: int = 1) -> None:
        """Move the current bar."""
        if self._task is not None:
            self._progress.advance(self._task, amount)

    def end_phase(self) -> None:
        """Fill the current bar."""
        if self._task is not None:
            self._progress.update(self._task, completed=self._total)
            self._task = None

    def close(self) -> None:
        """Stop drawing the bars."""
        if self._started:
            self._progress.stop()
            self._started = False


def titled(title: str, table: Table) -> Group:
    """A table under a bold title line (titles never wrap to the table's width)."""
    return Group(Text(title, style="bold"), table)


def key_value_table(title: str, rows: Sequence[tuple[str, Any]]) -> Group:
    """A two-column table of names and values under a title."""
    table = Table(show_header=False, box=box.SIMPLE)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in rows:
        table.add_row(key, str(value))
    return titled(title, table)


def short(value: str | None, keep: int = 16) -> str:
    """``value`` cut to ``keep`` characters and an ellipsis; ``-`` for None."""
    if value is None:
        return "-"
    return value if len(value) <= keep + 1 else value[:keep] + "…"


def winners_table(title: str, rows: Sequence[dict[str, Any]]) -> Group:
    """Ranked winner rows (see ``winner_rows``) as a table under a title."""
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("user", no_wrap=True)
    table.add_column("badge", no_wrap=True)
    table.add_column("draw number", no_wrap=True)
    table.add_column("similarity", justify="right", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    for row in rows:
        similarity = row["similarity"]
        table.add_row(
            str(row["rank"]),
            str(row["user"]),
            str(row["unique_id"]),
            short(row["draw_number"]),
            "-" if similarity is None else f"{similarity:.6f}",
            str(row["outcome"]),
        )
    if not rows:
        table.add_row("-", "no winner", "", "", "", "")
    return titled(title, table)


def report_renderables(report: dict[str, Any], url: str) -> list[RenderableType]:
    """The report of ``simulate`` as renderables, in order."""
    parts: list[RenderableType] = [
        Text(
            f"Simulated {report['users']} users over {report['days']} days "
            f"(seed {report['seed']}, from {report['start']}) on {url}\n"
        ),
        key_value_table("Counts", counts(report)),
    ]
    lines = Table(box=box.SIMPLE_HEAD)
    lines.add_column("completed lines", justify="right")
    lines.add_column("cards", justify="right")
    for count, cards in report["lines_per_card"].items():
        lines.add_row(count, str(cards))
    parts.append(titled("Bingo lines per card", lines))
    rows: list[tuple[str, Any]] = [
        (key.replace("_", " "), ", ".join(value) if isinstance(value, list) else value)
        for key, value in report["sync"].items()
    ]
    parts.append(key_value_table("Chain sync of wallet users (totals)", rows))
    update = report["bingo_update"]
    parts.append(
        key_value_table(
            "update_user_bingo_info for every user",
            [
                ("cards created", update["cards_created"]),
                ("cells unlocked", update["cells_unlocked"]),
            ],
        )
    )
    for draw in report["draws"].values():
        if draw.get("not_drawn"):
            parts.append(
                Text(f"Winners of {draw['draw_type']}: none, not drawn ({draw['not_drawn']})")
            )
            continue
        parts.append(
            winners_table(
                f"Winners of {draw['draw_type']}: winning number {draw['winning_number']}, "
                f"threshold {draw['threshold']}, {draw['eligible']} eligible, "
                f"{draw['ineligible']} ineligible left out",
                draw["winners"],
            )
        )
    parts.append(
        key_value_table(
            "Time per phase (s)",
            [(name, f"{seconds:.3f}") for name, seconds in report["timings"].items()],
        )
    )
    return parts


def counts(report: dict[str, Any]) -> list[tuple[str, Any]]:
    """The counts of a simulation report as table rows."""
    rows: list[tuple[str, Any]] = []
    for key, value in report["counts"].items():
        if isinstance(value, dict):
            value = ", ".join(f"{name} {count}" for name, count in value.items())
        rows.append((key.replace("_", " "), value))
    rows.append(("issued per day", " ".join(str(n) for n in report["issued_per_day"])))
    return rows


def card_grid(card: dict[str, Any]) -> Table:
    """One bingo card (an item of ``bingo_cards_json``) as a 3x3 grid."""
    cells = {cell["idx"]: cell for cell in card["cells"]}
    unlocked = {idx for idx, cell in cells.items() if cell["state"] == "unlocked"}
    completed = [
        number for number, line in enumerate(WINNING_LINES) if all(idx in unlocked for idx in line)
    ]
    on_line = {idx for number in completed for idx in WINNING_LINES[number]}
    centre = cells.get(4, {}).get("target_definition") or {}
    caption = (
        "completed: " + ", ".join(LINE_NAMES[n] for n in completed)
        if completed
        else "no completed line"
    )
    table = Table(
        title=f"card {card['id']} · centre {centre.get('name', '?')} · {card['state']}",
        title_justify="left",
        caption=caption,
        caption_justify="left",
        show_header=False,
        show_lines=True,
    )
    for _ in range(3):
        table.add_column(width=22, justify="center")
    for row in range(3):
        rendered: list[Text] = []
        for column in range(3):
            idx = 3 * row + column
            cell = cells.get(idx)
            if cell is None:
                rendered.append(Text("(missing)", style="red"))
                continue
            target = cell.get("target_definition") or {}
            name = str(target.get("name") or f"definition {cell.get('definition_id')}")
            state = "unlocked" if idx in unlocked else "locked"
            style = CELL_STYLES["line" if idx in on_line else state]
            text = Text(name, style=style)
            text.append(f"\n{'★ ' if idx == 4 else ''}{state}", style=style)
            rendered.append(text)
        table.add_row(*rendered)
    return table


@contextmanager
def slow_progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress callback that shows a rich bar on stderr once a task has run for about
    a second, and only when stderr is a terminal; the bar is removed at the end."""
    started = time.monotonic()
    bar: Progress | None = None
    task: TaskID | None = None

    def update(done: int, total: int | None) -> None:
        nonlocal bar, task
        if bar is None:
            if not sys.stderr.isatty() or time.monotonic() - started < 1.0:
                return
            bar = Progress(
                TextColumn(label),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stderr(),
                transient=True,
            )
            bar.start()
            task = bar.add_task(label, total=total)
        assert task is not None
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()


__all__ = [
    "CELL_STYLES",
    "LINE_NAMES",
    "RichProgress",
    "card_grid",
    "emit",
    "key_value_table",
    "print_json",
    "report_renderables",
    "slow_progress",
    "stderr",
    "stdout",
    "winners_table",
]
