"""``nictbw audit``: the audit log of admin actions, filtered."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from nictbw.app.cli.errors import EXIT_USAGE, CommandLineError
from nictbw.app.cli.rendering import emit, print_json, titled
from nictbw.app.cli.root import INT64_MAX, DatabaseOption, JsonOption, app
from nictbw.app.cli.session import session
from nictbw.domain.entities import AuditEntry
from nictbw.domain.timeutil import iso
from nictbw.workflows import read_audit_log


def parse_entity(value: str) -> tuple[str, int | None]:
    """``TYPE`` or ``TYPE:ID`` of ``--entity``; a malformed value is a usage error."""
    kind, colon, number = value.partition(":")
    if not kind:
        raise CommandLineError(f"--entity {value!r} must be TYPE or TYPE:ID", EXIT_USAGE)
    if not colon:
        return kind, None
    if not number.isdigit() or not 1 <= int(number) <= INT64_MAX:
        raise CommandLineError(f"--entity {value!r}: ID must be a positive integer", EXIT_USAGE)
    return kind, int(number)


def parse_since(value: str) -> datetime:
    """The ISO 8601 instant of ``--since``, with its offset; anything else is a usage error."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        message = f"--since {value!r} is not an ISO 8601 datetime"
        raise CommandLineError(message, EXIT_USAGE) from None
    if parsed.tzinfo is None:
        raise CommandLineError(
            f"--since {value!r} needs an offset (e.g. 2026-05-01T09:00:00+00:00)", EXIT_USAGE
        )
    return parsed


def entry_json(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as JSON-ready data."""
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "admin_id": entry.admin_id,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "before": entry.before,
        "after": entry.after,
    }


def _compact(value: object) -> str:
    return "-" if value is None else json.dumps(value, ensure_ascii=True, sort_keys=True)


@app.command("audit")
def audit(
    admin: Annotated[
        int | None,
        typer.Option("--admin", metavar="ID", min=1, max=INT64_MAX, help="Only this admin."),
    ] = None,
    entity: Annotated[
        str | None,
        typer.Option(
            "--entity",
            metavar="TYPE[:ID]",
            help="Only this entity type (definition, draw_type, instance, admin, user), "
            "or one entity of it.",
        ),
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", metavar="ACTION", help="Only this action.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="ISO", help="Only entries at or after this instant."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", metavar="N", min=1, max=INT64_MAX, help="Only the newest N."),
    ] = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show the audit log: who changed what, when (oldest first)."""
    entity_type, entity_id = parse_entity(entity) if entity is not None else (None, None)
    since_at = parse_since(since) if since is not None else None
    with session(database) as (uow, _clock):
        entries = read_audit_log(
            uow,
            by_admin_id=admin,
            entity_type=entity_type,
            entity_id=entity_id,
            action=action,
            since=since_at,
            limit=limit,
        )
    if json_output:
        print_json([entry_json(entry) for entry in entries])
        return
    if not entries:
        emit(Text("no audit entry matches"))
        return
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("id", "at", "admin", "action", "entity", "before", "after"):
        table.add_column(name, no_wrap=name not in ("before", "after"))
    for entry in entries:
        target = (
            entry.entity_type
            if entry.entity_id is None
            else (f"{entry.entity_type}:{entry.entity_id}")
        )
        table.add_row(
            str(entry.id),
            iso(entry.at) or "",
            str(entry.admin_id),
            entry.action,
            target,
            _compact(entry.before),
            _compact(entry.after),
        )
    emit(titled(f"Audit log ({len(entries)} entries)", table))


__all__ = ["audit", "entry_json", "parse_entity", "parse_since"]
