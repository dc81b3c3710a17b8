"""Writing an export document incrementally, one candidate row at a time.

The writer is given the header, the candidate rows in canonical order and the snapshot;
it writes the JSON text (two-space indentation, keys in format order) as the rows come,
computes the row digest on the way, ranks the rows that can win on disk and writes the
winners, the digest and the snapshot after the candidates. Memory stays bounded by the
run size of the on-disk sort whatever the number of candidates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

import attrs

from nictbw.domain.errors import ValidationError
from nictbw.domain.export.format import (
    EXPORT_FORMAT,
    ROWS_DIGEST_KEY,
    JsonObject,
    ProgressCallback,
    RowsDigest,
    can_win,
    candidate_order,
    ranked_with_ties,
    ranking_order,
)
from nictbw.domain.export.spool import DEFAULT_RUN_SIZE, ExternalSort

HEADER_KEYS = (
    "draw_type",
    "threshold",
    "limit",
    "max_wins_per_user",
    "winning_number",
    "exported_at",
    "candidate_count",
)
PROGRESS_EVERY = 5000


@attrs.frozen
class ExportTotals:
    """What an export holds: candidates, winners and the row digest written."""

    candidate_count: int
    winner_count: int
    digest: str


def _dumps(value: Any, depth: int) -> str:
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=2)
    return text.replace("\n", "\n" + "  " * depth)


def write_export(
    out: TextIO,
    header: Mapping[str, Any],
    candidates: Iterable[JsonObject],
    snapshot: JsonObject | None,
    *,
    sealed: JsonObject | None = None,
    progress: ProgressCallback | None = None,
    run_size: int = DEFAULT_RUN_SIZE,
) -> ExportTotals:
    """Write one export document (format ``EXPORT_FORMAT``) to ``out``.

    ``header`` holds the keys of ``HEADER_KEYS``; ``sealed`` is the sealed block of a
    draw whose value came from a beacon round (see :mod:`nictbw.domain.export.sealed`),
    None otherwise; the winners are ranked with ``header["max_wins_per_user"]``;
    ``candidates`` come in canonical order
    (ascending ``(instance_id, result_id)``, one per instance) and number
    ``header["candidate_count"]``; otherwise ``ValidationError`` (the text written so
    far is then incomplete: write to a temporary file).
    """
    expected = header["candidate_count"]
    threshold = header["threshold"]
    out.write("{\n")
    out.write(f'  "format": {_dumps(EXPORT_FORMAT, 1)},\n')
    for key in HEADER_KEYS:
        out.write(f"  {json.dumps(key)}: {_dumps(header[key], 1)},\n")
    out.write('  "candidates": [')
    digest = RowsDigest()
    ranking = ExternalSort(ranking_order, run_size)
    count = 0
    previous: tuple[int, int] | None = None
    try:
        for candidate in candidates:
            order = candidate_order(candidate)
            if previous is not None and order[0] <= previous[0]:
                raise ValidationError(
                    f"candidate rows must come in ascending instance order, got instance "
                    f"{order[0]} after {previous[0]}"
                )
            previous = order
            out.write("\n    " if count == 0 else ",\n    ")
            out.write(_dumps(candidate, 2))
            digest.add(candidate)
            if can_win(candidate, threshold):
                ranking.add(candidate)
            count += 1
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count, expected)
        if count != expected:
            raise ValidationError(
                f"candidate_count {expected} differs from the {count} candidate rows given"
            )
        out.write("\n  ],\n" if count else "],\n")
        out.write('  "winners": [')
        winners = 0
        for row in ranked_with_ties(ranking, header["limit"], header["max_wins_per_user"]):
            out.write("\n    " if winners == 0 else ",\n    ")
            out.write(_dumps(row, 2))
            winners += 1
        out.write("\n  ],\n" if winners else "],\n")
    finally:
        ranking.close()
    hexdigest = digest.hexdigest()
    out.write(f'  "{ROWS_DIGEST_KEY[EXPORT_FORMAT]}": "{hexdigest}",\n')
    out.write(f'  "snapshot": {_dumps(snapshot, 1)},\n')
    out.write(f'  "sealed": {_dumps(sealed, 1)}\n')
    out.write("}\n")
    if progress is not None:
        progress(count, expected)
    return ExportTotals(candidate_count=count, winner_count=winners, digest=hexdigest)


__all__ = ["HEADER_KEYS", "ExportTotals", "write_export"]
