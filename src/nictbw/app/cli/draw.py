"""``nictbw draw``: run, snapshot, rank and export prize draws."""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from nictbw.app.cli.beacon import configured_beacon
from nictbw.app.cli.errors import CommandLineError
from nictbw.app.cli.rendering import emit, print_json, slow_progress, winners_table
from nictbw.app.cli.root import (
    INT64_MAX,
    DatabaseOption,
    DrawTypeOption,
    JsonOption,
    WinningNumberIdOption,
    draw_app,
)
from nictbw.app.cli.session import Access, session
from nictbw.app.files import atomic_write
from nictbw.app.reporting import winner_rows
from nictbw.app.workflows.sealed import METADATA_KEY as SEALED_METADATA_KEY
from nictbw.domain.entities import PrizeDrawSnapshot, PrizeDrawType, PrizeDrawWinningNumber
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.outcomes import DrawOutcome
from nictbw.domain.timeutil import iso
from nictbw.ports import Clock, UnitOfWork
from nictbw.workflows import (
    get_prize_draw_type,
    run_bingo_prize_draw,
    run_final_attendance_prize_draw,
    run_sealed_prize_draw,
    seal_prize_draw,
    select_top_prize_draw_results,
    snapshot_prize_draw,
    submit_winning_number,
    write_draw_export,
)


def _draw_type(uow: UnitOfWork, name: str) -> PrizeDrawType:
    draw_type = get_prize_draw_type(uow, name)
    if draw_type is None:
        known = ", ".join(sorted(t.internal_name for t in uow.draw_types.list())) or "none"
        raise NotFoundError(f"draw type {name!r} does not exist (known: {known})")
    return draw_type


def _sealed_snapshot(uow: UnitOfWork, kind: PrizeDrawType, snapshot_id: int) -> PrizeDrawSnapshot:
    snapshot = uow.draw_snapshots.get(snapshot_id)
    if snapshot is None:
        raise NotFoundError(f"snapshot {snapshot_id} does not exist")
    if snapshot.draw_type_id != kind.id:
        raise ValidationError(
            f"snapshot {snapshot_id} belongs to another draw type than {kind.internal_name!r}"
        )
    return snapshot


def _operator_draw(
    uow: UnitOfWork,
    kind: PrizeDrawType,
    number: PrizeDrawWinningNumber | None,
    attendance: str | None,
    threshold: float | None,
    limit: int | None,
    clock: Clock,
) -> DrawOutcome:
    """A draw whose winning number the operator gave (or the one in effect)."""
    if attendance is None:
        return run_bingo_prize_draw(
            uow, kind, winning_number=number, threshold=threshold, limit=limit, clock=clock
        )
    definition = uow.definitions.get_by_prefix(attendance)
    if definition is None or definition.id is None:
        raise NotFoundError(f"definition {attendance!r} does not exist")
    return run_final_attendance_prize_draw(
        uow,
        kind,
        attendance_definition_id=definition.id,
        winning_number=number,
        threshold=threshold,
        limit=limit,
        clock=clock,
    )


BeaconUrlOption = Annotated[
    str | None,
    typer.Option(
        "--beacon-url",
        metavar="URL",
        help="drand relay (default: the beacon.base_url setting, $NICTBW_BEACON_BASE_URL).",
        show_default=False,
    ),
]


@draw_app.command("run")
def draw_run(
    draw_type: DrawTypeOption,
    winning_number: Annotated[
        str | None,
        typer.Option("--winning-number", metavar="V", help="Submit V as a new winning number."),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, max=INT64_MAX, help="Winners to keep (ties at the cutoff kept)."),
    ] = None,
    bingo: Annotated[
        bool, typer.Option("--bingo", help="Among badges on completed bingo lines (default).")
    ] = False,
    attendance: Annotated[
        str | None,
        typer.Option(
            "--attendance", metavar="DEF_PREFIX", help="Among the badges of this definition."
        ),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Threshold instead of the draw type's default.")
    ] = None,
    sealed: Annotated[
        int | None,
        typer.Option(
            "--sealed",
            metavar="SNAPSHOT_ID",
            min=1,
            max=INT64_MAX,
            help="Run the draw sealed by 'draw seal': its beacon round decides.",
            show_default=False,
        ),
    ] = None,
    beacon_url: BeaconUrlOption = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Run a draw, commit its results and print the winners.

    With --sealed the winning number is derived from the beacon round the snapshot
    committed to (refused before that round is published); nobody chooses it.
    """
    if bingo and attendance is not None:
        raise typer.BadParameter("--bingo and --attendance exclude each other")
    if sealed is not None and (winning_number is not None or bingo or attendance is not None):
        raise typer.BadParameter(
            "--sealed runs the sealed snapshot's candidates with its derived number; it "
            "excludes --winning-number, --bingo and --attendance"
        )
    if sealed is None and beacon_url is not None:
        raise typer.BadParameter("--beacon-url is only used with --sealed")
    with contextlib.ExitStack() as stack:
        uow, clock = stack.enter_context(session(database, Access.WRITE))
        kind = _draw_type(uow, draw_type)
        if sealed is not None:
            snapshot = _sealed_snapshot(uow, kind, sealed)
            beacon = stack.enter_context(configured_beacon(beacon_url))
            outcome = run_sealed_prize_draw(
                uow, snapshot, beacon=beacon, threshold=threshold, limit=limit, clock=clock
            )
        else:
            number = None
            if winning_number is not None:
                number = submit_winning_number(uow, kind, winning_number, clock=clock)
            outcome = _operator_draw(uow, kind, number, attendance, threshold, limit, clock)
        rows = winner_rows(uow, outcome)
        uow.commit()
    summary = {
        "draw_type": kind.internal_name,
        "winning_number_id": outcome.winning_number.id,
        "winning_number": outcome.winning_number.value,
        "threshold": outcome.threshold,
        "eligible": outcome.eligible,
        "ineligible": outcome.ineligible,
        "winners": rows,
    }
    record = (outcome.winning_number.metadata or {}).get(SEALED_METADATA_KEY)
    if sealed is not None and isinstance(record, dict):
        summary["sealed_snapshot_id"] = sealed
        summary["beacon_round"] = record.get("round")
    if json_output:
        print_json(summary)
        return
    emit(
        winners_table(
            f"{kind.internal_name}: winning number {outcome.winning_number.value} "
            f"(id {outcome.winning_number.id}), threshold {outcome.threshold}",
            rows,
        ),
        Text(
            f"{outcome.eligible} eligible instances evaluated, "
            f"{outcome.ineligible} ineligible instances left out"
        ),
    )


@draw_app.command("snapshot")
def draw_snapshot(
    draw_type: DrawTypeOption,
    attendance: Annotated[
        str | None,
        typer.Option(
            "--attendance",
            metavar="DEF_PREFIX",
            help="Fix the badges of this definition (default: badges on completed lines).",
        ),
    ] = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fix a draw's candidate set (digest and pending results) before its winning number."""
    with session(database, Access.WRITE) as (uow, clock):
        kind = _draw_type(uow, draw_type)
        definition_id = None
        if attendance is not None:
            definition = uow.definitions.get_by_prefix(attendance)
            if definition is None or definition.id is None:
                raise NotFoundError(f"definition {attendance!r} does not exist")
            definition_id = definition.id
        taken = snapshot_prize_draw(uow, kind, attendance_definition_id=definition_id, clock=clock)
        uow.commit()
    summary = {
        "draw_type": kind.internal_name,
        "snapshot_id": taken.id,
        "scope": taken.scope,
        "candidate_count": taken.candidate_count,
        "candidates_sha256": taken.candidates_sha256,
        "created_at": iso(taken.created_at),
    }
    if json_output:
        print_json(summary)
        return
    emit(
        Text(
            f"snapshot {taken.id} of {kind.internal_name} ({taken.scope}): "
            f"{taken.candidate_count} candidates fixed at {summary['created_at']}, "
            f"digest {taken.candidates_sha256}"
        )
    )


@draw_app.command("seal")
def draw_seal(
    draw_type: DrawTypeOption,
    attendance: Annotated[
        str | None,
        typer.Option(
            "--attendance",
            metavar="DEF_PREFIX",
            help="Among the badges of this definition (default: badges on completed lines).",
        ),
    ] = None,
    margin: Annotated[
        float | None,
        typer.Option(
            "--margin",
            metavar="SECONDS",
            min=0.001,
            max=365 * 86_400,
            help="Least time until the committed round (default: two beacon periods).",
            show_default=False,
        ),
    ] = None,
    beacon_url: BeaconUrlOption = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Seal a draw: fix its candidates and commit to a future beacon round.

    Publish the printed line (snapshot, digest, round) before the round's time; then run
    the draw with 'nictbw draw run --type T --sealed ID'.
    """
    with contextlib.ExitStack() as stack:
        uow, clock = stack.enter_context(session(database, Access.WRITE))
        kind = _draw_type(uow, draw_type)
        definition_id = None
        if attendance is not None:
            definition = uow.definitions.get_by_prefix(attendance)
            if definition is None or definition.id is None:
                raise NotFoundError(f"definition {attendance!r} does not exist")
            definition_id = definition.id
        beacon = stack.enter_context(configured_beacon(beacon_url))
        taken = seal_prize_draw(
            uow,
            kind,
            beacon=beacon,
            attendance_definition_id=definition_id,
            margin=None if margin is None else timedelta(seconds=margin),
            clock=clock,
        )
        uow.commit()
    summary = {
        "draw_type": kind.internal_name,
        "snapshot_id": taken.id,
        "scope": taken.scope,
        "candidate_count": taken.candidate_count,
        "candidates_sha256": taken.candidates_sha256,
        "created_at": iso(taken.created_at),
        "beacon_chain_hash": taken.beacon_chain_hash,
        "beacon_round": taken.beacon_round,
        "beacon_round_at": iso(taken.beacon_round_at),
    }
    if json_output:
        print_json(summary)
        return
    emit(
        Text(
            f"sealed snapshot {taken.id} of {kind.internal_name} ({taken.scope}): "
            f"{taken.candidate_count} candidates, digest {taken.candidates_sha256}; the "
            f"winning number will come from round {taken.beacon_round} of beacon chain "
            f"{taken.beacon_chain_hash}, published at {summary['beacon_round_at']}"
        ),
        Text(
            f"publish this line before {summary['beacon_round_at']}, then run: nictbw draw "
            f"run --type {kind.internal_name} --sealed {taken.id}"
        ),
    )


@draw_app.command("top")
def draw_top(
    draw_type: DrawTypeOption,
    limit: Annotated[int, typer.Option(min=1, max=INT64_MAX, help="How many results.")] = 10,
    with_ties: Annotated[
        bool, typer.Option("--with-ties", help="Add the results tying the last one.")
    ] = False,
    winning_number_id: WinningNumberIdOption = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """The best stored results of a draw type, highest similarity first."""
    with session(database) as (uow, clock):
        kind = _draw_type(uow, draw_type)
        number = None
        if winning_number_id is not None:
            number = uow.winning_numbers.get(winning_number_id)
            if number is None:
                raise NotFoundError(f"winning number {winning_number_id} does not exist")
        results = select_top_prize_draw_results(
            uow, kind, number, limit=limit, with_ties=with_ties, clock=clock
        )
        rows = winner_rows(uow, results)
    if json_output:
        print_json(rows)
        return
    emit(winners_table(f"top {limit} of {kind.internal_name}", rows))


@draw_app.command("export")
def draw_export(
    draw_type: DrawTypeOption,
    winning_number_id: WinningNumberIdOption = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, max=INT64_MAX, help="Winners to list (default: all that can win)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to this file, not stdout (replaced whole or not at all; "
            "a symbolic link is refused).",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Export a draw (candidates, scores, winners, digest) as JSON for offline checks."""
    with session(database) as (uow, clock), slow_progress("exporting") as progress:
        if output is not None:
            with atomic_write(output) as stream:
                totals = write_draw_export(
                    uow, draw_type, stream, winning_number_id=winning_number_id,
                    limit=limit, clock=clock, progress=progress,
                )  # fmt: skip
            typer.echo(f"wrote {totals.candidate_count} candidates to {output}", err=True)
            return
        try:
            write_draw_export(
                uow, draw_type, sys.stdout, winning_number_id=winning_number_id,
                limit=limit, clock=clock, progress=progress,
            )  # fmt: skip
            sys.stdout.flush()
        except BrokenPipeError:
            # nothing more can reach the reader; keep the interpreter from failing again
            # when it flushes stdout at exit
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            raise CommandLineError(
                "stdout was closed before the export was complete (broken pipe)"
            ) from None


__all__ = ["draw_export", "draw_run", "draw_seal", "draw_snapshot", "draw_top"]
