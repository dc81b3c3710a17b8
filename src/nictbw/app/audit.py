"""Draw export and offline verification, under their historical import path.

The pure half (format, canonical JSON, digests, reading and verifying) lives in
:mod:`nictbw.domain.export`; the exporter is the workflow
:mod:`nictbw.app.workflows.exports` (also in :mod:`nictbw.workflows`). This module
re-exports both so existing imports keep working.
"""

from __future__ import annotations

from nictbw.app.workflows.exports import export_draw, write_draw_export
from nictbw.domain.export import (
    CANDIDATE_KEYS,
    EXPORT_FORMAT,
    EXPORT_FORMAT_V1,
    EXPORT_FORMAT_V2,
    WINNER_KEYS,
    VerifyReport,
    candidate_rows_digest,
    canonical_json,
    rank_candidates,
    read_export,
    verify_document,
    verify_export,
    verify_export_file,
)

candidates_digest = candidate_rows_digest
"""The row digest under its version-1 name."""

__all__ = [
    "CANDIDATE_KEYS",
    "EXPORT_FORMAT",
    "EXPORT_FORMAT_V1",
    "EXPORT_FORMAT_V2",
    "WINNER_KEYS",
    "VerifyReport",
    "candidate_rows_digest",
    "candidates_digest",
    "canonical_json",
    "export_draw",
    "rank_candidates",
    "read_export",
    "verify_document",
    "verify_export",
    "verify_export_file",
    "write_draw_export",
]
