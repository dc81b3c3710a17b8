"""Offline verification of a draw export: recompute the draw from the document alone.

The candidates are taken in canonical order (sorted on disk when a file lists them
otherwise), so the digests, duplicate check, scores and the ranking are computed one row
at a time; memory does not grow with the number of candidates. A malformed document
raises :class:`~nictbw.domain.errors.MalformedExportError` before anything is
recomputed; a document that is well formed but does not check out yields problems.

Over 500 lines on purpose: the recomputation of every check of an export (candidates,
scores, snapshot, seal digest, committed cap, ranking) reads in one place.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

import attrs

from nictbw.domain.engine import outcome_for
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.export.findings import MAX_PROBLEMS, Finding, Problems, topic_findings
from nictbw.domain.export.format import (
    ROWS_DIGEST_KEY,
    SET_DIGEST_KEY,
    WINNER_KEYS,
    JsonObject,
    ProgressCallback,
    RowsDigest,
    SetDigest,
    can_win,
    candidate_order,
    ranked_with_ties,
    ranking_order,
)
from nictbw.domain.export.schema import check_candidate, check_header, check_winner
from nictbw.domain.export.sealed import (
    ARITHMETIC_TOPICS,
    SEALED_TOPICS,
    TOPIC_CANDIDATES,
    TOPIC_RANKING,
    TOPIC_SCORES,
    UNSEALED_WARNING,
    VerifyPolicy,
    check_sealed,
    check_sealed_block,
    parse_time,
)
from nictbw.domain.export.spool import DEFAULT_RUN_SIZE, ExternalSort, Spool
from nictbw.domain.scoring import (
    DEFAULT_SCORING_REGISTRY,
    AlgorithmRegistry,
    ScoringAlgorithm,
    derive_draw_number,
    normalize_winning_value,
)
from nictbw.domain.sealing import seal_digest

PROGRESS_EVERY: Final = 5000


@attrs.frozen
class VerifyReport:
    """The outcome of verifying one export: what was checked and every problem found.

    ``findings`` lists, topic by topic in the order verify reports them, one OK line per
    topic that checks out and each problem of the others. ``sealed`` is True when the
    winning value was derived from a beacon round; ``warnings`` say what the export does
    not prove (an unsealed draw's number was chosen by the operator). ``seal_digest`` is
    a sealed draw's :func:`~nictbw.domain.sealing.seal_digest` as the file states it
    (candidates, chain, round and committed cap): what its operator published;
    ``committed_cap`` the cap its sealed block states (None: no cap, or not sealed).
    """

    format: str
    draw_type: str
    winning_value: str
    winning_created_at: str | None
    candidate_count: int
    winner_count: int
    digest: str
    snapshot_id: int | None
    snapshot_created_at: str | None
    problems: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    sealed: bool = False
    snapshot_digest: str | None = None
    max_wins_per_user: int | None = None
    warnings: tuple[str, ...] = ()
    seal_digest: str | None = None
    committed_cap: int | None = None

    @property
    def ok(self) -> bool:
        """True when the export checks out."""
        return not self.problems


def _same_number(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is right
    assert isinstance(left, int | float) and isinstance(right, int | float)
    return float(left) == float(right)


class _Verifier:
    """Recomputes a checked export header against candidates fed in canonical order."""

    def __init__(
        self,
        header: JsonObject,
        registry: AlgorithmRegistry,
        run_size: int,
        policy: VerifyPolicy,
    ) -> None:
        self.header = header
        self.policy = policy
        self.problems = Problems()
        self.threshold: float | None = header["threshold"]
        threshold = self.threshold
        if threshold is not None and not 0.0 <= float(threshold) <= 1.0:
            self.problems.add(f"threshold {threshold!r} is not a number in [0, 1]", TOPIC_SCORES)
        self.limit: int | None = header["limit"]
        if self.limit is not None and self.limit < 1:
            self.problems.add(f"limit {self.limit!r} is not an int >= 1", TOPIC_RANKING)
            self.limit = None
        self.cap: int | None = header.get("max_wins_per_user")
        if self.cap is not None and self.cap < 1:
            self.problems.add(
                f"max_wins_per_user {self.cap!r} is not None or an int >= 1", TOPIC_RANKING
            )
            self.cap = None
        number = header["winning_number"]
        raw, stated = number["value"], number["normalized_value"]
        self.winning: str | None
        try:
            self.winning = normalize_winning_value(raw)
        except ValidationError as exc:
            self.problems.add(
                f"winning number value {raw!r} cannot be normalised: {exc}", TOPIC_SCORES
            )
            self.winning = None
        if self.winning is not None and stated != self.winning:
            self.problems.add(
                f"winning number normalized_value {stated!r} differs from the recomputed "
                f"{self.winning!r}",
                TOPIC_SCORES,
            )
        key = header["draw_type"]["algorithm_key"]
        self.algorithm: ScoringAlgorithm | None
        try:
            self.algorithm = registry.get(key)
        except NotFoundError:
            self.problems.add(
                f"algorithm {key!r} is unknown; scores cannot be recomputed", TOPIC_SCORES
            )
            self.algorithm = None
        self.rows = RowsDigest()
        self.triples = SetDigest()
        self.ranking = ExternalSort(ranking_order, run_size)
        self.count = 0
        self.previous: int | None = None
        self.duplicated = False

    def candidate(self, candidate: JsonObject) -> None:
        """Check one candidate; candidates come in canonical order."""
        self.count += 1
        self.rows.add(candidate)
        instance_id = candidate["instance_id"]
        if instance_id == self.previous:
            self.problems.add(f"instance {instance_id} appears more than once", TOPIC_CANDIDATES)
            self.duplicated = True
        self.previous = instance_id
        fixed = self._recomputed(candidate)
        self.triples.add(instance_id, fixed["user_id"], fixed["draw_number"])
        if can_win(fixed, self.threshold):
            self.ranking.add(fixed)

    def _recomputed(self, candidate: JsonObject) -> JsonObject:
        label = f"candidate instance {candidate['instance_id']} (result {candidate['result_id']})"
        fixed = dict(candidate)
        if not _same_number(candidate["threshold_used"], self.threshold):
            self.problems.add(
                f"{label}: threshold_used {candidate['threshold_used']!r} differs from the "
                f"draw threshold {self.threshold!r}",
                TOPIC_SCORES,
            )
        try:
            draw_number = derive_draw_number(candidate["nft_origin"])
        except ValidationError as exc:
            self.problems.add(f"{label}: no draw number can be derived: {exc}", TOPIC_SCORES)
            return fixed
        if draw_number != candidate["draw_number"]:
            self.problems.add(
                f"{label}: draw_number {candidate['draw_number']!r} differs from the "
                f"recomputed {draw_number!r}",
                TOPIC_SCORES,
            )
        fixed["draw_number"] = draw_number
        if self.algorithm is None or self.winning is None:
            return fixed
        evaluation = self.algorithm.evaluate(draw_number, self.winning)
        expected = {
            "similarity": evaluation.score,
            "draw_top_digits": evaluation.draw_top_digits,
            "winning_top_digits": evaluation.winning_top_digits,
        }
        for key, value in expected.items():
            same = (
                _same_number(candidate[key], value)
                if key == "similarity"
                else candidate[key] == value
            )
            if not same:
                self.problems.add(
                    f"{label}: {key} {candidate[key]!r} differs from the recomputed {value!r}",
                    TOPIC_SCORES,
                )
            fixed[key] = value
        outcome = outcome_for(evaluation.score, self.threshold)
        if candidate["outcome"] != outcome:
            self.problems.add(
                f"{label}: outcome {candidate['outcome']!r} differs from the recomputed "
                f"{outcome!r}",
                TOPIC_SCORES,
            )
        fixed["outcome"] = outcome
        return fixed

    def finish(self, winners: Iterable[JsonObject]) -> VerifyReport:
        """Compare the totals, digests, snapshot, seal and winners; the report of everything."""
        header = self.header
        fmt = header["format"]
        if header["candidate_count"] != self.count:
            self.problems.add(
                f"candidate_count {header['candidate_count']} differs from the "
                f"{self.count} candidates listed",
                TOPIC_CANDIDATES,
            )
        digest = self.rows.hexdigest()
        key = ROWS_DIGEST_KEY[fmt]
        if header[key] != digest:
            self.problems.add(
                f"{key} {header[key]!r} differs from the recomputed {digest!r}", TOPIC_CANDIDATES
            )
        snapshot = header["snapshot"]
        snapshot_digest = None if snapshot is None else snapshot[SET_DIGEST_KEY[fmt]]
        block = header.get("sealed")
        sealed_digest = None if block is None else _seal_digest(block, snapshot_digest)
        self._check_snapshot()
        self._check_expected_snapshot(snapshot_digest, block, sealed_digest)
        if block is not None:
            self._check_committed_cap(block)
        stated_count = self._compare_winners(winners)
        findings: list[Finding] = []
        if block is not None:
            found = check_sealed(
                block, snapshot, snapshot_digest, header["winning_number"], self.policy
            )
            for topic in SEALED_TOPICS:
                for problem in found.problems[topic]:
                    self.problems.add(problem, topic)
                findings.extend(topic_findings(topic, found.passed.get(topic), self.problems))
        arithmetic = {
            TOPIC_CANDIDATES: self._candidates_line(snapshot, snapshot_digest, sealed_digest),
            TOPIC_SCORES: f"{self.count} draw numbers, scores and outcomes recomputed with "
            f"{header['draw_type']['algorithm_key']} (threshold {self.threshold!r})",
            TOPIC_RANKING: f"{stated_count} winners recomputed (limit "
            f"{'none' if self.limit is None else self.limit}, "
            + ("no cap per user" if self.cap is None else f"at most {self.cap} per user")
            + (", the cap committed by the seal" if block is not None else "")
            + "), ties at the cutoff kept",
        }
        for topic in ARITHMETIC_TOPICS:
            findings.extend(topic_findings(topic, arithmetic[topic], self.problems))
        findings.extend(Finding("more", False, text) for text in self.problems.more())
        warnings: list[str] = []
        if block is None:
            warnings.append(UNSEALED_WARNING)
        if snapshot is None:
            warnings.append(
                "no snapshot: the export does not show when the candidate set was fixed"
            )
        number = header["winning_number"]
        return VerifyReport(
            format=fmt,
            draw_type=header["draw_type"]["internal_name"],
            winning_value=number["value"],
            winning_created_at=number["created_at"],
            candidate_count=self.count,
            winner_count=stated_count,
            digest=header[key],
            snapshot_id=None if snapshot is None else snapshot["id"],
            snapshot_created_at=None if snapshot is None else snapshot["created_at"],
            problems=self.problems.final(),
            findings=tuple(findings),
            sealed=block is not None,
            snapshot_digest=snapshot_digest,
            max_wins_per_user=self.cap,
            warnings=tuple(warnings),
            seal_digest=sealed_digest,
            committed_cap=None if block is None else block["max_wins_per_user"],
        )

    def _candidates_line(
        self, snapshot: JsonObject | None, snapshot_digest: str | None, sealed: str | None
    ) -> str:
        if snapshot is None:
            return f"{self.count} candidates; row digest {self.rows.hexdigest()}"
        expected = ""
        if self.policy.expect_snapshot and sealed is not None:
            expected = f" (seal digest {sealed}, the digest you expected)"
        elif self.policy.expect_snapshot:
            expected = " (the digest you expected)"
        return (
            f"{self.count} candidates are snapshot {snapshot['id']}'s set, fixed at "
            f"{snapshot['created_at']}: digest {snapshot_digest}{expected}"
        )

    def _check_committed_cap(self, block: JsonObject) -> None:
        committed, used = block["max_wins_per_user"], self.header["max_wins_per_user"]
        if committed is not None and committed < 1:
            self.problems.add(
                f"sealed max_wins_per_user {committed!r} is not None or an int >= 1",
                TOPIC_RANKING,
            )
        elif committed != used:
            self.problems.add(
                f"the winners were ranked with max_wins_per_user {used!r}, but the seal "
                f"committed to {committed!r}: the cap was changed after sealing",
                TOPIC_RANKING,
            )

    def _check_expected_snapshot(
        self, snapshot_digest: str | None, block: JsonObject | None, sealed_digest: str | None
    ) -> None:
        expected = self.policy.expect_snapshot
        if expected is None:
            return
        if block is not None:
            if expected == sealed_digest:
                return
            hint = (
                " (that is the candidate digest; a sealed draw is published by its seal "
                "digest, which also covers the beacon round and the cap)"
                if expected == snapshot_digest
                else ""
            )
            self.problems.add(
                f"the seal digest {sealed_digest!r} is not the published {expected!r}{hint}: "
                "these are not the candidates, round and cap the operator announced",
                TOPIC_CANDIDATES,
            )
            return
        if expected == snapshot_digest:
            return
        self.problems.add(
            f"the snapshot digest {snapshot_digest!r} is not the published {expected!r}: "
            "these are not the candidates the operator announced",
            TOPIC_CANDIDATES,
        )

    def _check_snapshot(self) -> None:
        snapshot = self.header["snapshot"]
        if snapshot is None:
            return
        key = SET_DIGEST_KEY[self.header["format"]]
        if self.duplicated:
            self.problems.add(
                "snapshot digest cannot be recomputed: an instance appears twice in the "
                "candidate set",
                TOPIC_CANDIDATES,
            )
        else:
            digest = self.triples.hexdigest()
            if snapshot[key] != digest:
                self.problems.add(
                    f"snapshot {snapshot['id']!r} {key} {snapshot[key]!r} differs from the "
                    f"recomputed {digest!r}: the candidates are not the set fixed before the "
                    "winning number",
                    TOPIC_CANDIDATES,
                )
        if snapshot["candidate_count"] != self.count:
            self.problems.add(
                f"snapshot candidate_count {snapshot['candidate_count']!r} differs from the "
                f"{self.count} candidates listed",
                TOPIC_CANDIDATES,
            )
        number_created = self.header["winning_number"]["created_at"]
        taken = parse_time(snapshot["created_at"])
        created = parse_time(number_created)
        if taken is None or created is None:
            self.problems.add(
                f"snapshot created_at {snapshot['created_at']!r} or winning number created_at "
                f"{number_created!r} is not an aware ISO-8601 time",
                TOPIC_CANDIDATES,
            )
        elif not taken < created:
            self.problems.add(
                f"snapshot created_at {snapshot['created_at']} is not before the winning "
                f"number's created_at {number_created}",
                TOPIC_CANDIDATES,
            )

    def _compare_winners(self, stated: Iterable[JsonObject]) -> int:
        expected = ranked_with_ties(self.ranking, self.limit, self.cap)
        stated_count = expected_count = 0
        missing = object()
        for given, wanted in itertools.zip_longest(stated, expected, fillvalue=missing):
            if given is not missing:
                stated_count += 1
            if wanted is not missing:
                expected_count += 1
            if given is missing or wanted is missing:
                continue
            assert isinstance(given, dict) and isinstance(wanted, dict)
            for key in WINNER_KEYS:
                value, target = given[key], wanted[key]
                same = (
                    _same_number(value, target)
                    if key == "similarity" and isinstance(value, int | float)
                    else value == target and type(value) is type(target)
                )
                if not same:
                    self.problems.add(
                        f"winner {stated_count}: {key} {value!r} differs from the "
                        f"recomputed {target!r}",
                        TOPIC_RANKING,
                    )
        self.ranking.close()
        if stated_count != expected_count:
            self.problems.add(
                f"winners list {stated_count} entries, the recomputed ranking has {expected_count}",
                TOPIC_RANKING,
            )
        return stated_count


def _seal_digest(block: Mapping[str, Any], snapshot_digest: str | None) -> str | None:
    """The seal digest a sealed block and its snapshot digest state, or None when a field
    is unusable (other checks report it)."""
    if snapshot_digest is None:
        return None
    try:
        return seal_digest(
            snapshot_digest,
            block["beacon"]["chain_hash"],
            block["round"]["round"],
            block["max_wins_per_user"],
        )
    except ValidationError:
        return None


def verify_parts(
    header: Mapping[str, Any],
    candidates: ExternalSort,
    winners: Iterable[JsonObject],
    *,
    registry: AlgorithmRegistry | None = None,
    progress: ProgressCallback | None = None,
    run_size: int = DEFAULT_RUN_SIZE,
    policy: VerifyPolicy | None = None,
) -> VerifyReport:
    """Verify an export given as a checked header, its checked candidates (sorted on
    reading) and its checked winners in stated order."""
    checked = check_header(dict(header))
    if checked.get("sealed") is not None:
        check_sealed_block(checked["sealed"])
    verifier = _Verifier(
        checked,
        DEFAULT_SCORING_REGISTRY if registry is None else registry,
        run_size,
        VerifyPolicy() if policy is None else policy,
    )
    total = candidates.count
    for done, candidate in enumerate(candidates, start=1):
        verifier.candidate(candidate)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
    candidates.close()
    if progress is not None:
        progress(total, total)
    return verifier.finish(winners)


def candidate_sort(run_size: int = DEFAULT_RUN_SIZE) -> ExternalSort:
    """An empty on-disk sort of candidate rows in canonical order."""
    return ExternalSort(candidate_order, run_size)


def verify_document(
    data: object,
    *,
    registry: AlgorithmRegistry | None = None,
    progress: ProgressCallback | None = None,
    policy: VerifyPolicy | None = None,
) -> VerifyReport:
    """Verify an export document held in memory (as ``json.load`` gives it).

    A malformed document raises ``MalformedExportError`` naming the first bad part.
    """
    header = check_header(data)
    candidates = candidate_sort()
    for position, row in enumerate(header["candidates"]):
        candidates.add(check_candidate(row, position))
    winners = [check_winner(row, position) for position, row in enumerate(header["winners"])]
    return verify_parts(
        header, candidates, winners, registry=registry, progress=progress, policy=policy
    )


def verify_export(
    data: object,
    *,
    registry: AlgorithmRegistry | None = None,
    policy: VerifyPolicy | None = None,
) -> list[str]:
    """Recompute a draw from its export document alone; every problem (empty: it checks out).

    Checks, in order: the threshold and limit are usable; the normalised winning value;
    per candidate the threshold used, the draw number (from ``nft_origin``), the score and
    top digits (with the draw type's algorithm from ``registry``, default
    ``DEFAULT_SCORING_REGISTRY``), the outcome and that no instance repeats; the
    candidate count; the row digest; the snapshot; a sealed draw's beacon round, key,
    timing and derived winning value (trusting what ``policy`` says); and the winners
    against the ranking with ties and the per-user cap recomputed from the candidates. A
    malformed export raises ``MalformedExportError`` (a ``ValidationError``) instead.
    """
    return list(verify_document(data, registry=registry, policy=policy).problems)


def iter_spool(spool: Spool) -> Iterator[JsonObject]:
    """The rows of a spool, then the spool closed."""
    try:
        yield from spool
    finally:
        spool.close()


__all__ = [
    "MAX_PROBLEMS",
    "Finding",
    "VerifyReport",
    "candidate_sort",
    "iter_spool",
    "verify_document",
    "verify_export",
    "verify_parts",
]
