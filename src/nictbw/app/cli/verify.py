"""``nictbw verify``: recompute an exported draw offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nictbw.app.audit import read_export, verify_export
from nictbw.app.cli.root import app


@app.command()
def verify(
    export_file: Annotated[Path, typer.Argument(metavar="FILE", help="A 'draw export' file.")],
) -> None:
    """Recompute an exported draw offline; print OK or every mismatch."""
    document = read_export(export_file)
    problems = verify_export(document)
    if problems:
        for problem in problems:
            typer.echo(f"MISMATCH {problem}")
        typer.echo(f"FAILED: {len(problems)} mismatch(es) in {export_file}")
        raise typer.Exit(1)
    number = document["winning_number"]
    typer.echo(
        f"OK: {document['draw_type']['internal_name']} with winning number "
        f"{number['value']!r}: {document['candidate_count']} candidates and "
        f"{len(document['winners'])} winners recomputed, "
        f"digest {document['candidates_sha256']}"
    )
    snapshot = document.get("snapshot")
    if snapshot is None:
        typer.echo("no snapshot: the export does not prove when the candidate set was fixed")
    else:
        typer.echo(
            f"candidate set fixed by snapshot {snapshot['id']} at {snapshot['created_at']}, "
            f"before the winning number ({number.get('created_at')})"
        )


__all__ = ["verify"]
