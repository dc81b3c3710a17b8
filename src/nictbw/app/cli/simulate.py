"""``nictbw simulate``: a whole seeded event on a database."""

from __future__ import annotations

from typing import Annotated

import typer

from nictbw.app.cli.errors import CommandLineError
from nictbw.app.cli.rendering import RichProgress, emit, print_json, report_renderables, stderr
from nictbw.app.cli.root import INT64_MAX, INT64_MIN, DatabaseOption, JsonOption, app
from nictbw.app.cli.session import (
    Access,
    build_container,
    database_url,
    delete_sqlite,
    open_schema,
    shown_url,
)
from nictbw.app.simulation import DatabaseNotEmptyError, SimulationSettings, run_simulation


@app.command()
def simulate(
    users: Annotated[int, typer.Option(min=1, help="Number of visitors.")] = 200,
    seed: Annotated[
        int | None,
        typer.Option(
            min=INT64_MIN,
            max=INT64_MAX,
            help="Seed of every random choice (default: $NICTBW_SEED, else 0).",
            show_default=False,
        ),
    ] = None,
    database: DatabaseOption = None,
    days: Annotated[int, typer.Option(min=1, help="Event days.")] = 5,
    json_output: JsonOption = False,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Delete the SQLite database file first.")
    ] = False,
) -> None:
    """Run a whole seeded event through the real workflows and print a report."""
    container = build_container(database)
    if seed is None:
        configured = container.config.seed()
        seed = 0 if configured is None else int(configured)
    settings = SimulationSettings(users=users, days=days, seed=seed)
    settings.check()
    url = database_url(container)
    try:
        if fresh:
            delete_sqlite(url)
        open_schema(container, Access.CREATE)
        bars = None if json_output else RichProgress(stderr())
        try:
            report = run_simulation(container.unit_of_work, settings, progress=bars)
        finally:
            if bars is not None:
                bars.close()
    except DatabaseNotEmptyError as exc:
        raise CommandLineError(
            f"{shown_url(url)}: {exc}; pass --fresh to delete it first or --database to use another"
        ) from None
    finally:
        container.shutdown_resources()
    if json_output:
        print_json(report)
    else:
        emit(*report_renderables(report, shown_url(url)))


__all__ = ["simulate"]
