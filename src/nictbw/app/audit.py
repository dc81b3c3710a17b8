"""Draw export and offline verification: anyone holding an export can re-check a draw.

``export_draw`` reads the stored results of one draw (a draw type and one of its winning
numbers) and returns a JSON-ready document; ``verify_export`` recomputes, from that
document alone, every draw number, score, top digits, outcome and the ranking with ties,
and checks the candidate digest. Both are pure functions over a unit of work / a dict,
so they are usable without the command line.

Export format ``nictbw.draw-export/1`` (keys in this order)::

    format             "nictbw.draw-export/1"
    draw_type          {internal_name, display_name, algorithm_key, default_threshold}
    threshold          the threshold every result used (number or null)
    limit              the ranking limit of the winners (int >= 1, or null for all)
    winning_number     {id, value (raw, as submitted), normalized_value, metadata,
                        effective_at, expires_at, created_at}
    exported_at        when the export was made (informational, not verified)
    candidate_count    number of candidates
    candidates         one object per stored result, sorted by (instance_id, result_id):
                       result_id, instance_id, unique_instance_id, user_id, user
                       (in_app_id), definition_id, definition_prefix, nft_origin,
                       draw_number, similarity, draw_top_digits, winning_top_digits,
                       threshold_used, outcome, evaluated_at
    winners            the ranking with ties (domain-rules.md §7.6) of the candidates that
                       can win (outcome "win" when there is a threshold, else every scored
                       one), cut at ``limit``: rank, result_id, instance_id,
                       unique_instance_id, user, draw_number, similarity, outcome
    candidates_sha256  SHA-256 (lowercase hex) of the canonical JSON of the sorted
                       candidate list
    snapshot           null, or the latest snapshot of the draw type taken before the
                       winning number was created (``snapshot_prize_draw``): {id, scope,
                       attendance_definition_id, candidate_count, candidates_sha256,
                       created_at}. Its digest is
                       :func:`nictbw.domain.snapshots.candidate_set_digest` of the
                       candidates' (instance_id, user_id, draw_number), so it proves the
                       candidate set was fixed before the number was known.

Canonical JSON (the digest input): the candidate list sorted by ``(instance_id,
result_id)``, serialised with ``json.dumps(candidates, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False)`` and encoded as UTF-8.
Object keys are sorted, there is no whitespace, strings keep non-ASCII characters
literally, and numbers are written as Python writes them (integers in decimal, floats in
their shortest round-trip form, e.g. ``0.7752364105046057``). Changing any field of any
candidate changes the digest; threshold and winning value changes show up as score or
outcome mismatches, and the winners are recomputed from the candidates.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from nictbw.app.workflows.common import now_from
from nictbw.domain.engine import outcome_for
from nictbw.domain.entities import (
    OUTCOME_WIN,
    PrizeDrawResult,
    PrizeDrawSnapshot,
    PrizeDrawWinningNumber,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.ranking import rank_with_ties, validate_limit
from nictbw.domain.scoring import (
    DEFAULT_SCORING_REGISTRY,
    AlgorithmRegistry,
    derive_draw_number,
    normalize_winning_value,
)
from nictbw.domain.snapshots import candidate_set_digest
from nictbw.domain.timeutil import iso
from nictbw.ports import Clock, UnitOfWork

EXPORT_FORMAT: Final = "nictbw.draw-export/1"

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


# --- canonical form and digest ------------------------------------------------------------


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value``: sorted keys, no whitespace, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _candidate_order(candidate: Mapping[str, Any]) -> tuple[int, int]:
    return (int(candidate["instance_id"]), int(candidate["result_id"]))


def candidates_digest(candidates: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 hex of the canonical JSON of ``candidates`` sorted by (instance, result) id."""
    ordered = sorted(candidates, key=_candidate_order)
    return hashlib.sha256(canonical_json(ordered).encode("utf-8")).hexdigest()


def rank_candidates(
    candidates: Sequence[Mapping[str, Any]], threshold: float | None, limit: int | None
) -> list[JsonObject]:
    """The winners of a draw: its ranking with ties (§7.6) as export rows.

    Candidates that can win are the scored ones, restricted to outcome ``win`` when
    there is a threshold; they are ordered by similarity descending, instance id and
    result id, cut at ``limit`` with the ties at the cutoff kept.
    """
    by_result: dict[int, Mapping[str, Any]] = {}
    pool: list[PrizeDrawResult] = []
    for candidate in candidates:
        if candidate["similarity"] is None:
            continue
        if threshold is not None and candidate["outcome"] != OUTCOME_WIN:
            continue
        by_result[candidate["result_id"]] = candidate
        pool.append(
            PrizeDrawResult(
                id=candidate["result_id"],
                draw_type_id=0,
                user_id=candidate["user_id"],
                definition_id=candidate["definition_id"],
                nft_instance_id=candidate["instance_id"],
                draw_number=candidate["draw_number"],
                similarity_score=candidate["similarity"],
                outcome=candidate["outcome"],
            )
        )
    rows: list[JsonObject] = []
    for rank, result in enumerate(rank_with_ties(pool, limit), start=1):
        assert result.id is not None
        candidate = by_result[result.id]
        rows.append(
            {
                "rank": rank,
                "result_id": candidate["result_id"],
                "instance_id": candidate["instance_id"],
                "unique_instance_id": candidate["unique_instance_id"],
                "user": candidate["user"],
                "draw_number": candidate["draw_number"],
                "similarity": candidate["similarity"],
                "outcome": candidate["outcome"],
            }
        )
    return rows


# --- export -------------------------------------------------------------------------------


def export_draw(
    uow: UnitOfWork,
    draw_type_name: str,
    *,
    winning_number_id: int | None = None,
    limit: int | None = None,
    clock: Clock | None = None,
) -> JsonObject:
    """The export document of one draw: ``draw_type_name`` and one of its winning numbers.

    ``winning_number_id`` None takes the winning number in effect at the clock's now.
    Unknown draw type or winning number -> ``NotFoundError``; a winning number of another
    draw type, no results, or results that used different thresholds -> ``ValidationError``.
    Read-only.
    """
    checked_limit = validate_limit(limit, allow_none=True)
    now = now_from(clock)
    draw_type = uow.draw_types.get_by_internal_name(draw_type_name)
    if draw_type is None or draw_type.id is None:
        known = ", ".join(sorted(t.internal_name for t in uow.draw_types.list())) or "none"
        raise NotFoundError(f"draw type {draw_type_name!r} does not exist (known: {known})")
    number = _winning_number(uow, draw_type.id, draw_type_name, winning_number_id, now)
    assert number.id is not None
    results = uow.draw_results.list_for_draw_type(draw_type.id, number.id)
    if not results:
        raise ValidationError(
            f"no results stored for draw type {draw_type_name!r} and winning number "
            f"{number.id}; run the draw first"
        )
    thresholds = {r.threshold_used for r in results}
    if len(thresholds) > 1:
        shown = ", ".join(repr(t) for t in sorted(thresholds, key=lambda t: (t is None, t or 0)))
        raise ValidationError(
            f"results of draw type {draw_type_name!r} for winning number {number.id} used "
            f"several thresholds ({shown}); run the draw again before exporting it"
        )
    threshold = next(iter(thresholds))
    instances = uow.instances.get_many({r.nft_instance_id for r in results})
    users = uow.users.get_many({r.user_id for r in results})
    definitions = uow.definitions.get_many({r.definition_id for r in results})
    candidates: list[JsonObject] = []
    for result in results:
        instance = instances.get(result.nft_instance_id)
        user = users.get(result.user_id)
        definition = definitions.get(result.definition_id)
        candidates.append(
            {
                "result_id": result.id,
                "instance_id": result.nft_instance_id,
                "unique_instance_id": instance.unique_instance_id if instance else None,
                "user_id": result.user_id,
                "user": user.in_app_id if user else None,
                "definition_id": result.definition_id,
                "definition_prefix": definition.prefix if definition else None,
                "nft_origin": instance.nft_origin if instance else None,
                "draw_number": result.draw_number,
                "similarity": result.similarity_score,
                "draw_top_digits": result.draw_top_digits,
                "winning_top_digits": result.winning_top_digits,
                "threshold_used": result.threshold_used,
                "outcome": result.outcome,
                "evaluated_at": iso(result.evaluated_at),
            }
        )
    candidates.sort(key=_candidate_order)
    return {
        "format": EXPORT_FORMAT,
        "draw_type": {
            "internal_name": draw_type.internal_name,
            "display_name": draw_type.display_name,
            "algorithm_key": draw_type.algorithm_key,
            "default_threshold": draw_type.default_threshold,
        },
        "threshold": threshold,
        "limit": checked_limit,
        "winning_number": {
            "id": number.id,
            "value": number.value,
            "normalized_value": normalize_winning_value(number.value),
            "metadata": number.metadata,
            "effective_at": iso(number.effective_at),
            "expires_at": iso(number.expires_at),
            "created_at": iso(number.created_at),
        },
        "exported_at": iso(now),
        "candidate_count": len(candidates),
        "candidates": candidates,
        "winners": rank_candidates(candidates, threshold, checked_limit),
        "candidates_sha256": candidates_digest(candidates),
        "snapshot": _snapshot_json(_snapshot_before(uow, draw_type.id, number)),
    }


def _snapshot_before(
    uow: UnitOfWork, draw_type_id: int, number: PrizeDrawWinningNumber
) -> PrizeDrawSnapshot | None:
    """The latest snapshot of the draw type taken before ``number`` was created."""
    earlier = [
        s
        for s in uow.draw_snapshots.list_for_draw_type(draw_type_id)
        if s.created_at is not None
        and number.created_at is not None
        and s.created_at < number.created_at
    ]
    return max(earlier, key=lambda s: (s.created_at, s.id or 0), default=None)


def _snapshot_json(snapshot: PrizeDrawSnapshot | None) -> JsonObject | None:
    if snapshot is None:
        return None
    return {
        "id": snapshot.id,
        "scope": snapshot.scope,
        "attendance_definition_id": snapshot.attendance_definition_id,
        "candidate_count": snapshot.candidate_count,
        "candidates_sha256": snapshot.candidates_sha256,
        "created_at": iso(snapshot.created_at),
    }


def _winning_number(
    uow: UnitOfWork,
    draw_type_id: int,
    draw_type_name: str,
    winning_number_id: int | None,
    now: Any,
) -> PrizeDrawWinningNumber:
    if winning_number_id is None:
        number = uow.winning_numbers.latest_in_effect(draw_type_id, now)
        if number is None:
            known = [n.id for n in uow.winning_numbers.list_for_draw_type(draw_type_id)]
            raise ValidationError(
                f"draw type {draw_type_name!r} has no winning number in effect at "
                f"{iso(now)}; choose one by id (known: {known or 'none'})"
            )
        return number
    if isinstance(winning_number_id, bool) or not isinstance(winning_number_id, int):
        raise ValidationError(f"winning number id must be an int, got {winning_number_id!r}")
    found = uow.winning_numbers.get(winning_number_id)
    if found is None:
        raise NotFoundError(f"winning number {winning_number_id} does not exist")
    if found.draw_type_id != draw_type_id:
        raise ValidationError(
            f"winning number {winning_number_id} belongs to another draw type than "
            f"{draw_type_name!r}"
        )
    return found


# --- reading and verifying ----------------------------------------------------------------


def read_export(path: str | Path) -> JsonObject:
    """Load an export file; unreadable or not a JSON object -> ``ValidationError``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValidationError(f"cannot read export {str(path)!r}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"export {str(path)!r} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError(
            f"export {str(path)!r} must hold a JSON object, got {type(data).__name__}"
        )
    return data


def _field(data: Mapping[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ValidationError(f"export is malformed: {where} has no {key!r}")
    value = data[key]
    is_bool = isinstance(value, bool)
    if (is_bool and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
        raise ValidationError(
            f"export is malformed: {where}.{key} must be {names}, got {value!r:.60}"
        )
    return value


_NUMBER = (int, float)
_OPT_NUMBER = (int, float, type(None))
_OPT_STR = (str, type(None))


def _check_structure(data: object) -> tuple[JsonObject, list[JsonObject], list[JsonObject]]:
    """Check shapes and types; ``ValidationError`` names the first malformed part."""
    if not isinstance(data, dict):
        raise ValidationError(f"export must be a JSON object, got {type(data).__name__}")
    fmt = _field(data, "format", (str,), "export")
    if fmt != EXPORT_FORMAT:
        raise ValidationError(f"export format {fmt!r} is not {EXPORT_FORMAT!r}")
    draw_type = _field(data, "draw_type", (dict,), "export")
    _field(draw_type, "internal_name", (str,), "draw_type")
    _field(draw_type, "algorithm_key", (str,), "draw_type")
    _field(data, "threshold", _OPT_NUMBER, "export")
    _field(data, "limit", (int, type(None)), "export")
    number = _field(data, "winning_number", (dict,), "export")
    _field(number, "value", (str,), "winning_number")
    _field(number, "normalized_value", (str,), "winning_number")
    _field(data, "candidate_count", (int,), "export")
    candidates = _field(data, "candidates", (list,), "export")
    winners = _field(data, "winners", (list,), "export")
    _field(data, "candidates_sha256", (str,), "export")
    kinds: dict[str, tuple[type, ...]] = {
        "result_id": (int,),
        "instance_id": (int,),
        "unique_instance_id": _OPT_STR,
        "user_id": (int,),
        "user": _OPT_STR,
        "definition_id": (int,),
        "definition_prefix": _OPT_STR,
        "nft_origin": _OPT_STR,
        "draw_number": (str,),
        "similarity": _OPT_NUMBER,
        "draw_top_digits": _OPT_STR,
        "winning_top_digits": _OPT_STR,
        "threshold_used": _OPT_NUMBER,
        "outcome": (str,),
        "evaluated_at": _OPT_STR,
    }
    for position, candidate in enumerate(candidates):
        where = f"candidates[{position}]"
        if not isinstance(candidate, dict):
            raise ValidationError(f"export is malformed: {where} must be an object")
        for key in CANDIDATE_KEYS:
            _field(candidate, key, kinds[key], where)
        extra = sorted(set(candidate) - set(CANDIDATE_KEYS))
        if extra:
            raise ValidationError(f"export is malformed: {where} has unknown keys {extra}")
    for position, winner in enumerate(winners):
        if not isinstance(winner, dict):
            raise ValidationError(f"export is malformed: winners[{position}] must be an object")
    return data, candidates, winners


def _same_number(left: object, right: object) -> bool:
    if left is None or right is None:
        return left is right
    assert isinstance(left, int | float) and isinstance(right, int | float)
    return float(left) == float(right)


def verify_export(data: object, *, registry: AlgorithmRegistry | None = None) -> list[str]:
    """Recompute a draw from its export alone; return every mismatch (empty: it checks out).

    Checks, in order: the threshold and limit are usable; the normalised winning value;
    per candidate the threshold used, the draw number (from ``nft_origin``), the score and
    top digits (with the draw type's algorithm from ``registry``, default
    ``DEFAULT_SCORING_REGISTRY``) and the outcome; unique instance ids; the candidate
    count; the digest; and the winners against the ranking with ties recomputed from the
    candidates. A structurally malformed export raises ``ValidationError`` instead.
    """
    export, candidates, winners = _check_structure(data)
    registry = DEFAULT_SCORING_REGISTRY if registry is None else registry
    problems: list[str] = []
    threshold = export["threshold"]
    if threshold is not None and (
        not math.isfinite(float(threshold)) or not 0.0 <= float(threshold) <= 1.0
    ):
        problems.append(f"threshold {threshold!r} is not a number in [0, 1]")
    limit = export["limit"]
    if limit is not None and limit < 1:
        problems.append(f"limit {limit!r} is not an int >= 1")
        limit = None
    raw = export["winning_number"]["value"]
    stated = export["winning_number"]["normalized_value"]
    try:
        winning: str | None = normalize_winning_value(raw)
    except ValidationError as exc:
        problems.append(f"winning number value {raw!r} cannot be normalised: {exc}")
        winning = None
    if winning is not None and stated != winning:
        problems.append(
            f"winning number normalized_value {stated!r} differs from the recomputed {winning!r}"
        )
    algorithm_key = export["draw_type"]["algorithm_key"]
    try:
        algorithm = registry.get(algorithm_key)
    except NotFoundError:
        problems.append(f"algorithm {algorithm_key!r} is unknown; scores cannot be recomputed")
        algorithm = None

    recomputed: list[JsonObject] = []
    for candidate in candidates:
        label = f"candidate instance {candidate['instance_id']} (result {candidate['result_id']})"
        fixed = dict(candidate)
        if not _same_number(candidate["threshold_used"], threshold):
            problems.append(
                f"{label}: threshold_used {candidate['threshold_used']!r} differs from the "
                f"draw threshold {threshold!r}"
            )
        try:
            draw_number = derive_draw_number(candidate["nft_origin"])
        except ValidationError as exc:
            problems.append(f"{label}: no draw number can be derived: {exc}")
            recomputed.append(fixed)
            continue
        if draw_number != candidate["draw_number"]:
            problems.append(
                f"{label}: draw_number {candidate['draw_number']!r} differs from the "
                f"recomputed {draw_number!r}"
            )
        fixed["draw_number"] = draw_number
        if algorithm is not None and winning is not None:
            evaluation = algorithm.evaluate(draw_number, winning)
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
                    problems.append(
                        f"{label}: {key} {candidate[key]!r} differs from the recomputed {value!r}"
                    )
                fixed[key] = value
            outcome = outcome_for(evaluation.score, threshold)
            if candidate["outcome"] != outcome:
                problems.append(
                    f"{label}: outcome {candidate['outcome']!r} differs from the recomputed "
                    f"{outcome!r}"
                )
            fixed["outcome"] = outcome
        recomputed.append(fixed)

    seen: set[int] = set()
    for candidate in candidates:
        if candidate["instance_id"] in seen:
            problems.append(f"instance {candidate['instance_id']} appears more than once")
        seen.add(candidate["instance_id"])
    if export["candidate_count"] != len(candidates):
        problems.append(
            f"candidate_count {export['candidate_count']} differs from the "
            f"{len(candidates)} candidates listed"
        )
    digest = candidates_digest(candidates)
    if export["candidates_sha256"] != digest:
        problems.append(
            f"candidates_sha256 {export['candidates_sha256']!r} differs from the recomputed "
            f"{digest!r}"
        )
    problems.extend(_check_snapshot(export, recomputed))
    expected_winners = rank_candidates(recomputed, threshold, limit)
    problems.extend(_compare_winners(winners, expected_winners))
    return problems


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _check_snapshot(export: Mapping[str, Any], recomputed: Sequence[JsonObject]) -> list[str]:
    """The snapshot, when present, must hold exactly these candidates and predate the number."""
    snapshot = export.get("snapshot")
    if snapshot is None:
        return []
    if not isinstance(snapshot, dict):
        return [f"snapshot must be an object or null, got {snapshot!r:.60}"]
    problems: list[str] = []
    triples = [(c["instance_id"], c["user_id"], c["draw_number"]) for c in recomputed]
    try:
        digest: str | None = candidate_set_digest(triples)
    except ValidationError as exc:
        problems.append(f"snapshot digest cannot be recomputed: {exc}")
        digest = None
    if digest is not None and snapshot.get("candidates_sha256") != digest:
        problems.append(
            f"snapshot {snapshot.get('id')!r} candidates_sha256 "
            f"{snapshot.get('candidates_sha256')!r} differs from the recomputed {digest!r}: "
            "the candidates are not the set fixed before the winning number"
        )
    if snapshot.get("candidate_count") != len(recomputed):
        problems.append(
            f"snapshot candidate_count {snapshot.get('candidate_count')!r} differs from the "
            f"{len(recomputed)} candidates listed"
        )
    taken = _parse_time(snapshot.get("created_at"))
    created = _parse_time(export["winning_number"].get("created_at"))
    if taken is None or created is None:
        problems.append(
            f"snapshot created_at {snapshot.get('created_at')!r} or winning number created_at "
            f"{export['winning_number'].get('created_at')!r} is not an aware ISO-8601 time"
        )
    elif not taken < created:
        problems.append(
            f"snapshot created_at {snapshot.get('created_at')} is not before the winning "
            f"number's created_at {export['winning_number'].get('created_at')}"
        )
    return problems


def _compare_winners(stated: Sequence[Any], expected: Sequence[JsonObject]) -> list[str]:
    problems: list[str] = []
    if len(stated) != len(expected):
        problems.append(
            f"winners list {len(stated)} entries, the recomputed ranking has {len(expected)}"
        )
    for position, (given, wanted) in enumerate(zip(stated, expected, strict=False)):
        keys = list(WINNER_KEYS) + sorted(set(given) - set(WINNER_KEYS))
        for key in keys:
            value = given.get(key)
            target = wanted.get(key)
            same = (
                _same_number(value, target)
                if key == "similarity" and isinstance(value, int | float)
                else value == target and type(value) is type(target)
            )
            if not same:
                problems.append(
                    f"winner {position + 1}: {key} {value!r} differs from the recomputed {target!r}"
                )
    return problems


__all__ = [
    "CANDIDATE_KEYS",
    "EXPORT_FORMAT",
    "WINNER_KEYS",
    "candidates_digest",
    "canonical_json",
    "export_draw",
    "rank_candidates",
    "read_export",
    "verify_export",
]
