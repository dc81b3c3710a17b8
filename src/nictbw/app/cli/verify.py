"""``nictbw verify``: recompute an exported draw offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nictbw.app.cli.errors import EXIT_USAGE, CommandLineError
from nictbw.app.cli.rendering import slow_progress
from nictbw.app.cli.root import app
from nictbw.domain.errors import MalformedExportError, ValidationError
from nictbw.domain.export import DEFAULT_MAX_EXPORT_BYTES, verify_export_file


@app.command()
def verify(
    export_file: Annotated[Path, typer.Argument(metavar="FILE", help="A 'draw export' file.")],
    max_bytes: Annotated[
        int,
        typer.Option(
            "--max-bytes",
            min=1,
            metavar="N",
            help="Refuse files larger than this many bytes.",
        ),
    ] = DEFAULT_MAX_EXPORT_BYTES,
) -> None:
    """Recompute an exported draw offline; print OK or every mismatch.

    Exit code 0 when the draw checks out, 1 on any mismatch, 2 when the file cannot be
    checked at all (unreadable, malformed, over the size limit).
    """
    try:
        with slow_progress("verifying") as progress:
            report = verify_export_file(export_file, max_bytes=max_bytes, progress=progress)
    except MalformedExportError as exc:
        raise CommandLineError(f"malformed export: {exc}", EXIT_USAGE) from None
    except ValidationError as exc:
        raise CommandLineError(str(exc), EXIT_USAGE) from None
    if report.problems:
        for problem in report.problems:
            typer.echo(f"MISMATCH {problem}")
        typer.echo(f"FAILED: {len(report.problems)} mismatch(es) in {export_file}")
        raise typer.Exit(1)
    typer.echo(
        f"OK: {report.draw_type} with winning number {report.winning_value!r}: "
        f"{report.candidate_count} candidates and {report.winner_count} winners "
        f"recomputed, digest {report.digest}"
    )
    if report.snapshot_id is None:
        typer.echo("no snapshot: the export does not prove when the candidate set was fixed")
    else:
        typer.echo(
            f"candidate set fixed by snapshot {report.snapshot_id} at "
            f"{report.snapshot_created_at}, before the winning number "
            f"({report.winning_created_at})"
        )


__all__ = ["verify"]
