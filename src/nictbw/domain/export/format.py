"""The draw export format: names, canonical JSON and the two digests.

Three versions exist. ``nictbw.draw-export/3`` (written today) is version 2 plus the
per-user winner cap (``max_wins_per_user``) and the ``sealed`` block of a draw whose
winning value was derived from a beacon round (:mod:`nictbw.domain.export.sealed`;
null for a draw whose number the operator submitted). ``nictbw.draw-export/2`` names its
two digests apart:
``candidate_rows_sha256`` is the SHA-256 of the canonical JSON of the full candidate rows
sorted by ``(instance_id, result_id)``, and the snapshot's ``candidate_set_sha256`` is
:func:`nictbw.domain.snapshots.candidate_set_digest` of the ``(instance_id, user_id,
draw_number)`` triples. Version 1 called both ``candidates_sha256``; it is still read and
verified. Version 2 also writes its candidates in canonical order (a verifier accepts any
order).

Canonical JSON: ``json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)`` encoded as UTF-8. The canonical text of a list is
``"["`` + the items' canonical texts joined by ``","`` + ``"]"``, so both digests are
computed one row at a time (:class:`RowsDigest`, :class:`SetDigest`) in constant memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final

from nictbw.domain.ranking import cut_ranking

EXPORT_FORMAT_V1: Final = "nictbw.draw-export/1"
EXPORT_FORMAT_V2: Final = "nictbw.draw-export/2"
EXPORT_FORMAT_V3: Final = "nictbw.draw-export/3"
EXPORT_FORMAT: Final = EXPORT_FORMAT_V3
"""The format written by the exporter."""
EXPORT_FORMATS: Final = (EXPORT_FORMAT_V1, EXPORT_FORMAT_V2, EXPORT_FORMAT_V3)

ROWS_DIGEST_KEY: Final = {
    EXPORT_FORMAT_V1: "candidates_sha256",
    EXPORT_FORMAT_V2: "candidate_rows_sha256",
    EXPORT_FORMAT_V3: "candidate_rows_sha256",
}
"""Top-level key of the digest over the full candidate rows, per format."""
SET_DIGEST_KEY: Final = {
    EXPORT_FORMAT_V1: "candidates_sha256",
    EXPORT_FORMAT_V2: "candidate_set_sha256",
    EXPORT_FORMAT_V3: "candidate_set_sha256",
}
"""Snapshot key of the digest over the (instance, user, draw number) triples, per format."""

CANDIDATE_KEYS: Final = (
    "result_id",
    "instance_id",
    "unique_instance_id",
    "user_id",
    "user",
    "definition_id",
    "definition_prefix",
    "nft_origin",
    "draw_number",
    "similarity",
    "draw_top_digits",
    "winning_top_digits",
    "threshold_used",
    "outcome",
    "evaluated_at",
)
WINNER_KEYS: Final = (
    "rank",
    "result_id",
    "instance_id",
    "unique_instance_id",
    "user",
    "draw_number",
    "similarity",
    "outcome",
)

JsonObject = dict[str, Any]
ProgressCallback = Callable[[int, int | None], None]
"""Called now and then with (candidates done, candidates in all or None when unknown)."""


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no whitespace, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def candidate_order(candidate: Mapping[str, Any]) -> tuple[int, int]:
    """The canonical order of candidate rows: (instance_id, result_id)."""
    return (int(candidate["instance_id"]), int(candidate["result_id"]))


def ranking_order(row: Mapping[str, Any]) -> tuple[float, int, int]:
    """The ranking order of §7.6 on export rows: similarity desc, instance id, result id."""
    return (-float(row["similarity"]), int(row["instance_id"]), int(row["result_id"]))


class RowsDigest:
    """SHA-256 of the canonical JSON of a list fed one row at a time, in list order."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256(b"[")
        self._first = True

    def add_text(self, text: str) -> None:
        """Append one row given as its canonical JSON text."""
        self._hash.update(text.encode("utf-8") if self._first else b"," + text.encode("utf-8"))
        self._first = False

    def add(self, row: Any) -> None:
        """Append one row."""
        self.add_text(canonical_json(row))

    def hexdigest(self) -> str:
        """The digest of the rows added so far (lowercase hex)."""
        final = self._hash.copy()
        final.update(b"]")
        return final.hexdigest()


class SetDigest:
    """:func:`~nictbw.domain.snapshots.candidate_set_digest`, fed triples in instance order."""

    def __init__(self) -> None:
        self._rows = RowsDigest()

    def add(self, instance_id: int, user_id: int, draw_number: str) -> None:
        """Append the next triple; the caller keeps instance ids ascending and unique."""
        text = json.dumps(
            [int(instance_id), int(user_id), str(draw_number)],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        self._rows.add_text(text)

    def hexdigest(self) -> str:
        """The digest of the triples added so far."""
        return self._rows.hexdigest()


def candidate_rows_digest(candidates: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 hex of the canonical JSON of ``candidates`` sorted by (instance, result) id."""
    digest = RowsDigest()
    for candidate in sorted(candidates, key=candidate_order):
        digest.add(candidate)
    return digest.hexdigest()


def winner_row(rank: int, candidate: Mapping[str, Any]) -> JsonObject:
    """The winners-list row of ``candidate`` at ``rank``."""
    return {
        "rank": rank,
        "result_id": candidate["result_id"],
        "instance_id": candidate["instance_id"],
        "unique_instance_id": candidate["unique_instance_id"],
        "user": candidate["user"],
        "draw_number": candidate["draw_number"],
        "similarity": candidate["similarity"],
        "outcome": candidate["outcome"],
    }


def can_win(candidate: Mapping[str, Any], threshold: float | None) -> bool:
    """Whether a candidate enters the ranking: scored, and outcome ``win`` under a threshold."""
    if candidate["similarity"] is None:
        return False
    return threshold is None or candidate["outcome"] == "win"


def ranked_with_ties(
    ordered: Iterable[Mapping[str, Any]],
    limit: int | None,
    max_wins_per_user: int | None = None,
) -> Iterator[JsonObject]:
    """Winner rows of candidates already in :func:`ranking_order`: the first ``limit``
    plus the ties at the cutoff (exact equality with the ``limit``-th similarity), ranked
    from 1, a user's rows past ``max_wins_per_user`` skipped
    (:func:`nictbw.domain.ranking.cut_ranking`). ``limit`` and ``max_wins_per_user`` None
    keep all. Streams: memory does not grow with the candidates."""
    kept = cut_ranking(
        ordered,
        limit,
        max_wins_per_user,
        score=lambda row: row["similarity"],
        user=lambda row: row["user_id"],
    )
    for rank, row in enumerate(kept, start=1):
        yield winner_row(rank, row)


def rank_candidates(
    candidates: Iterable[Mapping[str, Any]],
    threshold: float | None,
    limit: int | None,
    max_wins_per_user: int | None = None,
) -> list[JsonObject]:
    """The winners of a draw held in memory: its ranking with ties (§7.6) as export rows.

    Candidates that can win are the scored ones, restricted to outcome ``win`` when
    there is a threshold; they are ordered by similarity descending, instance id and
    result id, cut at ``limit`` with the ties at the cutoff kept, and a user keeps at
    most ``max_wins_per_user`` of them.
    """
    pool = sorted((c for c in candidates if can_win(c, threshold)), key=ranking_order)
    return list(ranked_with_ties(pool, limit, max_wins_per_user))


__all__ = [
    "CANDIDATE_KEYS",
    "EXPORT_FORMAT",
    "EXPORT_FORMATS",
    "EXPORT_FORMAT_V1",
    "EXPORT_FORMAT_V2",
    "EXPORT_FORMAT_V3",
    "ROWS_DIGEST_KEY",
    "SET_DIGEST_KEY",
    "WINNER_KEYS",
    "JsonObject",
    "ProgressCallback",
    "RowsDigest",
    "SetDigest",
    "can_win",
    "candidate_order",
    "candidate_rows_digest",
    "canonical_json",
    "rank_candidates",
    "ranked_with_ties",
    "ranking_order",
    "winner_row",
]
