"""``nictbw verify``: recompute an exported draw offline, and for a sealed draw prove that
nobody chose its winning number."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from nictbw.app.cli.errors import EXIT_USAGE, CommandLineError
from nictbw.app.cli.rendering import slow_progress
from nictbw.app.cli.root import app
from nictbw.domain.errors import MalformedExportError, ValidationError
from nictbw.domain.export import (
    DEFAULT_MAX_EXPORT_BYTES,
    VerifyPolicy,
    VerifyReport,
    verify_export_file,
)


@app.command()
def verify(
    export_file: Annotated[Path, typer.Argument(metavar="FILE", help="A 'draw export' file.")],
    expect_snapshot: Annotated[
        str | None,
        typer.Option(
            "--expect-snapshot",
            metavar="DIGEST",
            help="The candidate digest the operator published before the draw.",
            show_default=False,
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            metavar="HEX",
            help="Trust this beacon public key (default: the drand chains nictbw knows).",
            show_default=False,
        ),
    ] = None,
    chain_hash: Annotated[
        str | None,
        typer.Option(
            "--chain-hash",
            metavar="HEX",
            help="The beacon chain the draw must have used.",
            show_default=False,
        ),
    ] = None,
    min_margin: Annotated[
        float | None,
        typer.Option(
            "--min-margin",
            metavar="SECONDS",
            min=0,
            help="Least time between the snapshot and the beacon round (default: one period).",
            show_default=False,
        ),
    ] = None,
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
    """Recompute an exported draw offline; print one line per check, then the snapshot
    digest.

    For a sealed draw: the beacon signature, its public key, the round's time, the
    derivation of the winning number; for every draw: the candidates against the
    snapshot, the scores and outcomes, the cap and the ranking. An unsealed draw checks
    out with a warning: its winning number was chosen by the operator. Exit code 0 when
    the draw checks out, 1 on any mismatch, 2 when the file cannot be checked at all
    (unreadable, malformed, over the size limit).
    """
    policy = VerifyPolicy(
        public_key=public_key,
        chain_hash=chain_hash,
        min_margin=None if min_margin is None else timedelta(seconds=min_margin),
        expect_snapshot=expect_snapshot,
    )
    try:
        with slow_progress("verifying") as progress:
            report = verify_export_file(
                export_file, max_bytes=max_bytes, progress=progress, policy=policy
            )
    except MalformedExportError as exc:
        raise CommandLineError(f"malformed export: {exc}", EXIT_USAGE) from None
    except ValidationError as exc:
        raise CommandLineError(str(exc), EXIT_USAGE) from None
    for line in report_lines(report):
        typer.echo(line)
    if report.problems:
        typer.echo(f"FAILED: {len(report.problems)} mismatch(es) in {export_file}")
        raise typer.Exit(1)


def report_lines(report: VerifyReport) -> list[str]:
    """The lines ``nictbw verify`` prints for ``report`` (before a final FAILED line)."""
    lines: list[str] = []
    if report.ok:
        lines.append(
            f"OK: {report.draw_type} with winning number {report.winning_value!r}: "
            f"{report.candidate_count} candidates and {report.winner_count} winners "
            f"recomputed, digest {report.digest}"
        )
    for finding in report.findings:
        label = "OK" if finding.ok else "MISMATCH"
        lines.append(f"{label} {finding.topic}: {finding.text}")
    if report.snapshot_digest is None:
        lines.append("snapshot digest: none (the export carries no snapshot)")
    else:
        lines.append(
            f"snapshot digest: {report.snapshot_digest} (snapshot {report.snapshot_id}, "
            f"taken {report.snapshot_created_at}); compare it with the one the operator "
            "published"
        )
    lines.extend(f"WARNING: {warning}" for warning in report.warnings)
    return lines


__all__ = ["report_lines", "verify"]
