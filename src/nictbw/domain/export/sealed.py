"""The ``sealed`` block of a draw export (format 3) and its offline checks.

A sealed draw's export carries everything its winning value was derived from, so a
participant re-checks it with the file alone (and a BLS12-381 library for the signature)::

    "sealed": {
      "version": "nictbw/sealed-draw/v1",
      "snapshot_id": 7,
      "beacon": {"chain_hash": "…", "public_key": "…", "scheme": "pedersen-bls-chained",
                 "period": 30, "genesis_time": 1595431050},
      "round": {"round": 123, "randomness": "…", "signature": "…",
                "previous_signature": "…"},
      "round_at": "2025-10-10T12:00:00+00:00",
      "max_wins_per_user": 1
    }

``max_wins_per_user`` is the winner cap committed when the draw was sealed (null: no cap);
the export's top-level cap must equal it, and the seal digest
(:func:`nictbw.domain.sealing.seal_digest`, what the operator published) covers it.

The snapshot (its id, time and candidate-set digest) is the export's ``snapshot`` block.
:func:`check_sealed` verifies, one topic each: the round's signature against the public
key in the file; that public key against the chains nictbw pins (``KNOWN_CHAINS``) or the
key the verifier trusts; that the round was published at least a margin after the
snapshot; and that the winning value is the one derived from the round and the snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from attrs import field, frozen

from nictbw.domain.beacon import KNOWN_CHAINS, BeaconInfo, BeaconRound, verify_beacon
from nictbw.domain.errors import BeaconError, ValidationError
from nictbw.domain.export.format import JsonObject
from nictbw.domain.export.schema import check_object
from nictbw.domain.sealing import SEALED_DRAW_VERSION, sealed_winning_value
from nictbw.domain.timeutil import iso

TOPIC_SIGNATURE: Final = "beacon signature"
TOPIC_PUBLIC_KEY: Final = "public key"
TOPIC_ROUND_TIME: Final = "round time"
TOPIC_WINNING_VALUE: Final = "winning value"
TOPIC_CANDIDATES: Final = "candidates"
TOPIC_SCORES: Final = "scores and outcomes"
TOPIC_RANKING: Final = "cap and ranking"
SEALED_TOPICS: Final = (
    TOPIC_SIGNATURE,
    TOPIC_PUBLIC_KEY,
    TOPIC_ROUND_TIME,
    TOPIC_WINNING_VALUE,
)
ARITHMETIC_TOPICS: Final = (TOPIC_CANDIDATES, TOPIC_SCORES, TOPIC_RANKING)
"""What verify checks, in the order it reports them (sealed topics only for sealed draws)."""

UNSEALED_WARNING: Final = (
    "the draw is not sealed: its winning number was chosen by the operator, not derived "
    "from a public beacon round; this export proves the arithmetic, not that the draw was fair"
)

SEALED_KINDS: Final = {
    "version": "str",
    "snapshot_id": "int",
    "beacon": "object",
    "round": "object",
    "round_at": "str",
    "max_wins_per_user": "int?",
}
BEACON_KINDS: Final = {
    "chain_hash": "str",
    "public_key": "str",
    "scheme": "str",
    "period": "int",
    "genesis_time": "int",
}
ROUND_KINDS: Final = {
    "round": "int",
    "randomness": "str",
    "signature": "str",
    "previous_signature": "str?",
}
_RECORD_KEYS: Final = (
    "version",
    "snapshot_id",
    "chain_hash",
    "public_key",
    "scheme",
    "period",
    "genesis_time",
    "round",
    "round_at",
    "randomness",
    "signature",
    "previous_signature",
    "max_wins_per_user",
)


def _check_margin(value: object) -> timedelta | None:
    if value is None:
        return None
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ValidationError(f"minimum margin must be a timedelta >= 0, got {value!r:.80}")
    return value


def _check_hex_option(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"a trusted key or digest must be a non-blank string, got {value!r}")
    return value.strip().lower()


@frozen
class VerifyPolicy:
    """What the verifier brings from outside the file.

    ``public_key``/``chain_hash``: the beacon the verifier trusts (default: the chains
    pinned in ``KNOWN_CHAINS``). ``min_margin``: how long at least between the snapshot
    and the round's publication (default: one period of the beacon). ``expect_snapshot``:
    the digest the operator published before the round: for a sealed draw its seal digest
    (:func:`nictbw.domain.sealing.seal_digest`: candidates, chain, round and cap), for an
    unsealed draw the snapshot's candidate-set digest.
    """

    public_key: str | None = field(default=None, converter=_check_hex_option)
    chain_hash: str | None = field(default=None, converter=_check_hex_option)
    min_margin: timedelta | None = field(default=None, converter=_check_margin)
    expect_snapshot: str | None = field(default=None, converter=_check_hex_option)


def check_sealed_block(data: object) -> JsonObject:
    """The ``sealed`` block of a format-3 export, its fields' types checked."""
    block = check_object(data, SEALED_KINDS, "sealed")
    check_object(block["beacon"], BEACON_KINDS, "sealed.beacon")
    check_object(block["round"], ROUND_KINDS, "sealed.round")
    return block


def sealed_block(record: Mapping[str, Any]) -> JsonObject:
    """The ``sealed`` block of an export, built from the record a sealed run stores in its
    winning number's metadata (``ValidationError`` when a field is missing)."""
    missing = [key for key in _RECORD_KEYS if key not in record]
    if missing:
        raise ValidationError(f"the sealed-draw record of the winning number lacks {missing}")
    block = {
        "version": record["version"],
        "snapshot_id": record["snapshot_id"],
        "beacon": {key: record[key] for key in BEACON_KINDS},
        "round": {key: record[key] for key in ROUND_KINDS},
        "round_at": record["round_at"],
        "max_wins_per_user": record["max_wins_per_user"],
    }
    try:
        return check_sealed_block(block)
    except ValidationError as exc:
        raise ValidationError(f"the sealed-draw record of the winning number: {exc}") from None


def parse_time(value: object) -> datetime | None:
    """An aware datetime from ISO-8601 text, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class SealedFindings:
    """Problems and OK lines of the sealed checks, per topic."""

    def __init__(self) -> None:
        self.problems: dict[str, list[str]] = {topic: [] for topic in SEALED_TOPICS}
        self.passed: dict[str, str] = {}

    def fail(self, topic: str, problem: str) -> None:
        """Record a problem of ``topic``."""
        self.problems[topic].append(problem)

    def ok(self, topic: str, line: str) -> None:
        """Record what ``topic`` established (shown only when it has no problem)."""
        self.passed[topic] = line


def _short(value: str) -> str:
    return value[:16] + "…" if len(value) > 16 else value


def check_sealed(
    block: Mapping[str, Any],
    snapshot: Mapping[str, Any] | None,
    snapshot_digest: str | None,
    winning_number: Mapping[str, Any],
    policy: VerifyPolicy,
) -> SealedFindings:
    """Check a sealed draw's block against its snapshot and winning number (see the module
    doc); ``snapshot_digest`` is the snapshot's candidate-set digest as stated."""
    found = SealedFindings()
    beacon, stated = block["beacon"], block["round"]
    try:
        info = BeaconInfo(**{key: beacon[key] for key in BEACON_KINDS})
    except BeaconError as exc:
        for topic in SEALED_TOPICS:
            found.fail(topic, f"the beacon of the sealed block is unusable: {exc}")
        return found
    beacon_round = BeaconRound(**{key: stated[key] for key in ROUND_KINDS})
    _signature(found, info, beacon_round)
    _public_key(found, info, policy)
    _round_time(found, info, block, snapshot, winning_number, policy)
    _winning_value(found, info, block, snapshot, snapshot_digest, winning_number)
    return found


def _signature(found: SealedFindings, info: BeaconInfo, beacon_round: BeaconRound) -> None:
    try:
        verify_beacon(info, beacon_round)
    except BeaconError as exc:
        found.fail(TOPIC_SIGNATURE, str(exc))
        return
    found.ok(
        TOPIC_SIGNATURE,
        f"round {beacon_round.round} ({info.scheme}) is signed by public key "
        f"{_short(info.public_key)} and its randomness is the SHA-256 of that signature",
    )


def _public_key(found: SealedFindings, info: BeaconInfo, policy: VerifyPolicy) -> None:
    if policy.chain_hash is not None and policy.chain_hash != info.chain_hash:
        found.fail(
            TOPIC_PUBLIC_KEY,
            f"the draw used chain {info.chain_hash}, not the chain {policy.chain_hash} you gave",
        )
    if policy.public_key is not None:
        if policy.public_key != info.public_key:
            found.fail(
                TOPIC_PUBLIC_KEY,
                f"the draw used public key {info.public_key}, not the key {policy.public_key} "
                "you gave",
            )
        else:
            found.ok(TOPIC_PUBLIC_KEY, f"{_short(info.public_key)} is the key you gave")
        return
    pinned = KNOWN_CHAINS.get(info.chain_hash)
    if pinned is None:
        found.fail(
            TOPIC_PUBLIC_KEY,
            f"chain {info.chain_hash} is not a chain nictbw knows, so its key "
            f"{_short(info.public_key)} may be the operator's own (who could then sign any "
            "randomness); pass --public-key with a key you trust",
        )
    elif pinned != info.public_key:
        found.fail(
            TOPIC_PUBLIC_KEY,
            f"chain {_short(info.chain_hash)} has the known public key {_short(pinned)}, the "
            f"file names {_short(info.public_key)}",
        )
    else:
        found.ok(
            TOPIC_PUBLIC_KEY,
            f"{_short(info.public_key)} is the known key of drand chain {_short(info.chain_hash)}",
        )


def _round_time(
    found: SealedFindings,
    info: BeaconInfo,
    block: Mapping[str, Any],
    snapshot: Mapping[str, Any] | None,
    winning_number: Mapping[str, Any],
    policy: VerifyPolicy,
) -> None:
    number = block["round"]["round"]
    try:
        scheduled = info.time_of(number)
    except BeaconError as exc:
        found.fail(TOPIC_ROUND_TIME, str(exc))
        return
    stated = parse_time(block["round_at"])
    if stated != scheduled:
        found.fail(
            TOPIC_ROUND_TIME,
            f"sealed round_at {block['round_at']!r} is not round {number}'s publication time "
            f"{iso(scheduled)}",
        )
    taken = None if snapshot is None else parse_time(snapshot["created_at"])
    if taken is None:
        found.fail(
            TOPIC_ROUND_TIME,
            "the snapshot's created_at is missing or not an aware ISO-8601 time: nothing "
            "shows the candidates were fixed before the round",
        )
        return
    margin = policy.min_margin
    if margin is None:
        margin = timedelta(seconds=info.period)
    if scheduled < taken + margin:
        found.fail(
            TOPIC_ROUND_TIME,
            f"round {number} was published at {iso(scheduled)}, less than {_seconds(margin)} "
            f"after the snapshot at {iso(taken)}",
        )
    created = parse_time(winning_number["created_at"])
    if created is not None and created < scheduled:
        found.fail(
            TOPIC_ROUND_TIME,
            f"the winning number was created at {iso(created)}, before round {number} "
            f"was published at {iso(scheduled)}",
        )
    found.ok(
        TOPIC_ROUND_TIME,
        f"round {number} was published at {iso(scheduled)}, {_seconds(scheduled - taken)} "
        f"after the snapshot at {iso(taken)} (at least {_seconds(margin)} required)",
    )


def _seconds(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    return f"{seconds:g} s"


def _winning_value(
    found: SealedFindings,
    info: BeaconInfo,
    block: Mapping[str, Any],
    snapshot: Mapping[str, Any] | None,
    snapshot_digest: str | None,
    winning_number: Mapping[str, Any],
) -> None:
    if block["version"] != SEALED_DRAW_VERSION:
        found.fail(
            TOPIC_WINNING_VALUE,
            f"sealed version {block['version']!r:.60} is not {SEALED_DRAW_VERSION!r}",
        )
        return
    if snapshot is None or snapshot_digest is None:
        found.fail(TOPIC_WINNING_VALUE, "a sealed export must carry its snapshot")
        return
    if block["snapshot_id"] != snapshot["id"]:
        found.fail(
            TOPIC_WINNING_VALUE,
            f"sealed snapshot_id {block['snapshot_id']} is not the snapshot {snapshot['id']} "
            "of the export",
        )
    stated = block["round"]
    try:
        derived = sealed_winning_value(
            info.chain_hash, stated["round"], stated["randomness"], snapshot_digest
        )
    except ValidationError as exc:
        found.fail(TOPIC_WINNING_VALUE, f"no winning value can be derived: {exc}")
        return
    if winning_number["value"] != derived:
        found.fail(
            TOPIC_WINNING_VALUE,
            f"winning number {winning_number['value']!r:.80} is not the value {derived} "
            f"derived from round {stated['round']} and the candidate digest: someone chose it",
        )
        return
    found.ok(
        TOPIC_WINNING_VALUE,
        f"{derived} = SHA-256 of ({SEALED_DRAW_VERSION}, chain hash, round {stated['round']}, "
        "its randomness, the candidate digest)",
    )


__all__ = [
    "ARITHMETIC_TOPICS",
    "BEACON_KINDS",
    "ROUND_KINDS",
    "SEALED_KINDS",
    "SEALED_TOPICS",
    "TOPIC_CANDIDATES",
    "TOPIC_PUBLIC_KEY",
    "TOPIC_RANKING",
    "TOPIC_ROUND_TIME",
    "TOPIC_SCORES",
    "TOPIC_SIGNATURE",
    "TOPIC_WINNING_VALUE",
    "UNSEALED_WARNING",
    "SealedFindings",
    "VerifyPolicy",
    "check_sealed",
    "check_sealed_block",
    "parse_time",
    "sealed_block",
]
