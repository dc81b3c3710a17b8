"""``nictbw events tail``: the pending domain events of the outbox, oldest first."""

from __future__ import annotations

import json
import sys
import time
from typing import Annotated, Final

import typer
from rich.text import Text

from nictbw.app.cli.rendering import emit
from nictbw.app.cli.root import INT64_MAX, DatabaseOption, JsonOption, events_app
from nictbw.app.cli.session import Access, session
from nictbw.domain.events import MAX_EVENT_PAGE, DomainEvent
from nictbw.workflows import mark_events_delivered, pending_events

DEFAULT_INTERVAL: Final = 1.0
"""Seconds between two polls of ``--follow``."""


def _line(event: DomainEvent) -> Text:
    user = "-" if event.user_id is None else str(event.user_id)
    payload = json.dumps(event.payload, ensure_ascii=False, separators=(", ", ": "))
    return Text(
        f"#{event.id}  {event.occurred_at.isoformat()}  {event.type}  user {user}  {payload}"
    )


def _print(events: list[DomainEvent], as_json: bool) -> None:
    if as_json:
        for event in events:
            sys.stdout.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    elif events:
        emit(*(_line(event) for event in events))


@events_app.command("tail")
def events_tail(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep polling for new events until Ctrl-C.")
    ] = False,
    after: Annotated[
        int | None,
        typer.Option("--after", metavar="ID", min=0, max=INT64_MAX, help="Only events after ID."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(metavar="N", min=1, max=MAX_EVENT_PAGE, help="Events per read."),
    ] = 100,
    mark_delivered: Annotated[
        bool,
        typer.Option(
            "--mark-delivered",
            help="Mark the printed events delivered (committed after they were printed).",
        ),
    ] = False,
    interval: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=0.01, max=3600, help="Pause between polls."),
    ] = DEFAULT_INTERVAL,
    polls: Annotated[int | None, typer.Option(hidden=True, min=1)] = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print pending events in id order (one JSON object per line with --json).

    Without --follow prints one page (--limit events). Delivery is at least once: with
    --mark-delivered the events are marked only after they were printed; without it they
    stay pending and are printed again next time.
    """
    access = Access.WRITE if mark_delivered else Access.READ
    with session(database, access) as (uow, clock):
        cursor = after
        done = 0
        while True:
            events = pending_events(uow, after_id=cursor, limit=limit)
            _print(events, json_output)
            if events:
                cursor = events[-1].id
            if mark_delivered and events:
                ids = [e.id for e in events if e.id is not None]
                mark_events_delivered(uow, ids, clock=clock)
                uow.commit()
            else:
                uow.rollback()  # a fresh snapshot for the next poll
            done += 1
            if not follow or (polls is not None and done >= polls):
                return
            if len(events) < limit:
                time.sleep(interval)


__all__ = ["events_tail"]
