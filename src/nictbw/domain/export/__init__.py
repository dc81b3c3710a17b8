"""Draw exports, pure: the format, canonical JSON, digests, reading, writing and verifying.

A verifier needs nothing but this package (and the scoring rules of the domain): no
storage, no application layer. The exporter workflow feeds :func:`write_export` with
rows read from storage; :func:`verify_export_file` re-checks a file in bounded memory.
"""

from nictbw.domain.export.format import (
    CANDIDATE_KEYS,
    EXPORT_FORMAT,
    EXPORT_FORMAT_V1,
    EXPORT_FORMAT_V2,
    EXPORT_FORMAT_V3,
    EXPORT_FORMATS,
    ROWS_DIGEST_KEY,
    SET_DIGEST_KEY,
    WINNER_KEYS,
    JsonObject,
    ProgressCallback,
    RowsDigest,
    SetDigest,
    candidate_order,
    candidate_rows_digest,
    canonical_json,
    rank_candidates,
    ranked_with_ties,
    ranking_order,
    winner_row,
)
from nictbw.domain.export.reader import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_EXPORT_BYTES,
    read_export,
    verify_export_file,
)
from nictbw.domain.export.sealed import UNSEALED_WARNING, VerifyPolicy, sealed_block
from nictbw.domain.export.verify import Finding, VerifyReport, verify_document, verify_export
from nictbw.domain.export.writer import ExportTotals, write_export

__all__ = [
    "CANDIDATE_KEYS",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_EXPORT_BYTES",
    "EXPORT_FORMAT",
    "EXPORT_FORMATS",
    "EXPORT_FORMAT_V1",
    "EXPORT_FORMAT_V2",
    "EXPORT_FORMAT_V3",
    "ROWS_DIGEST_KEY",
    "SET_DIGEST_KEY",
    "UNSEALED_WARNING",
    "WINNER_KEYS",
    "ExportTotals",
    "Finding",
    "JsonObject",
    "ProgressCallback",
    "RowsDigest",
    "SetDigest",
    "VerifyPolicy",
    "VerifyReport",
    "candidate_order",
    "candidate_rows_digest",
    "canonical_json",
    "rank_candidates",
    "ranked_with_ties",
    "ranking_order",
    "read_export",
    "sealed_block",
    "verify_document",
    "verify_export",
    "verify_export_file",
    "winner_row",
    "write_export",
]
