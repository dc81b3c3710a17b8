"""The entities and value objects of nictbw (domain-rules.md §2).

Entities are mutable attrs classes built by keyword; ``id`` stays ``None`` until a
repository stores them. Value objects are frozen. Field rules are checked by the
functions in :mod:`nictbw.domain.validation`, called by the workflows before they write.

Over 500 lines on purpose: every entity, its status enum and the value objects
built from it sit side by side, so the whole data model of domain-rules.md §2 reads in one
place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from itertools import repeat
from operator import itemgetter
from typing import Any, ClassVar, Final, Protocol, cast

from attrs import define, evolve, field, frozen

from nictbw.domain.errors import ValidationError
from nictbw.domain.sealing import seal_digest
from nictbw.domain.timeutil import iso

JsonDict = dict[str, Any]


class InstanceStatus(StrEnum):
    """The status of an instance (§2.4)."""

    SUCCEEDED = "succeeded"
    TRANSFERRED = "transferred"
    REVOKED = "revoked"


class DefinitionStatus(StrEnum):
    """The status of a definition (§2.3)."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class CardState(StrEnum):
    """The stored state of a bingo card (§2.5)."""

    ACTIVE = "active"
    COMPLETED = "completed"
    EXPIRED = "expired"


class CellState(StrEnum):
    """The state of a bingo cell (§2.6)."""

    LOCKED = "locked"
    UNLOCKED = "unlocked"


class Outcome(StrEnum):
    """The outcome of a draw result (§2.9)."""

    WIN = "win"
    LOSE = "lose"
    PENDING = "pending"


# The statuses as the plain strings entities hold (what storage gives back).
INSTANCE_SUCCEEDED: Final = InstanceStatus.SUCCEEDED.value
INSTANCE_TRANSFERRED: Final = InstanceStatus.TRANSFERRED.value
INSTANCE_REVOKED: Final = InstanceStatus.REVOKED.value
CARD_ACTIVE: Final = CardState.ACTIVE.value
CARD_COMPLETED: Final = CardState.COMPLETED.value
CARD_EXPIRED: Final = CardState.EXPIRED.value
CELL_LOCKED: Final = CellState.LOCKED.value
CELL_UNLOCKED: Final = CellState.UNLOCKED.value
OUTCOME_WIN: Final = Outcome.WIN.value
OUTCOME_LOSE: Final = Outcome.LOSE.value
OUTCOME_PENDING: Final = Outcome.PENDING.value
DEFINITION_ACTIVE: Final = DefinitionStatus.ACTIVE.value
DEFINITION_INACTIVE: Final = DefinitionStatus.INACTIVE.value

CENTER_IDX: Final = 4
WILDCARD_IDXS: Final = frozenset({4, 7})
WINNING_LINES: Final[tuple[tuple[int, int, int], ...]] = (
    (0, 1, 2),
    (3, 4, 5),
    (6, 7, 8),
    (0, 3, 6),
    (1, 4, 7),
    (2, 5, 8),
    (0, 4, 8),
    (2, 4, 6),
)


def normalize_email(value: str | None) -> str | None:
    """Trim and lower-case an email; blank becomes ``None``. Non-strings pass through."""
    if isinstance(value, str):
        value = value.strip().lower()
        return value or None
    return value


def _hidden(value: object) -> str:
    """The repr of a secret field: whether it is set, never its value."""
    return repr(value) if value is None or value == "" else "'***'"


@define(kw_only=True)
class User:
    """A visitor of the programme; ``on_chain_id`` is the chain username."""

    id: int | None = None
    in_app_id: str | None = None
    email: str | None = field(default=None, converter=normalize_email)
    password_hash: str | None = field(default=None, repr=_hidden)
    password_provided: bool = False
    nickname: str | None = None
    paymail: str | None = None
    on_chain_id: str | None = None
    fcm_token: str | None = field(default=None, repr=_hidden)
    initial_reward_claimed: bool = False
    is_test_user: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


@define(kw_only=True)
class Admin:
    """An operator who creates definitions."""

    id: int | None = None
    email: str | None = field(default=None, converter=normalize_email)
    password_hash: str = field(default="", repr=_hidden)
    name: str | None = None
    role: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@define(kw_only=True)
class NFTDefinition:
    """A badge kind, one per prefix; instances of it are issued to users."""

    id: int | None = None
    prefix: str
    shared_key: str
    name: str
    nft_type: str = "default"
    category: str | None = None
    subcategory: str | None = None
    description: str | None = None
    promotional_text: str | None = None
    store_url: str | None = None
    image_url: str | None = None
    qr_image_url: str | None = None
    local_image_path: str | None = None
    store_name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    max_supply: int | None = None
    minted_count: int = 0
    status: str = DEFINITION_ACTIVE
    triggers_bingo_card: bool = False
    bingo_random_candidate: bool = True
    card_lifetime_seconds: int | None = None
    is_dummy: bool = False
    is_public: bool = True
    created_by_admin_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    imported_extra: JsonDict | None = None
    """Fields of a legacy definition nictbw has no column for (set by the legacy import)."""

    @property
    def remaining_supply(self) -> int | None:
        """``None`` when unlimited, else ``max(0, max_supply - minted_count)``."""
        if self.max_supply is None:
            return None
        return max(0, self.max_supply - self.minted_count)

    @property
    def is_bingo_candidate(self) -> bool:
        """True when the definition may fill a non-centre cell of a new card."""
        return self.status == DEFINITION_ACTIVE and self.bingo_random_candidate

    def to_json(self, compact: bool = False) -> JsonDict:
        """JSON-ready dict with the keys of domain-rules.md §6, in order."""
        if compact:
            return {
                "id": self.id,
                "prefix": self.prefix,
                "name": self.name,
                "promotional_text": self.promotional_text,
                "image_url": self.image_url,
                "triggers_bingo_card": self.triggers_bingo_card,
                "is_dummy": self.is_dummy,
                "latitude": self.latitude,
                "longitude": self.longitude,
            }
        return {
            "id": self.id,
            "prefix": self.prefix,
            "shared_key": self.shared_key,
            "name": self.name,
            "nft_type": self.nft_type,
            "category": self.category,
            "subcategory": self.subcategory,
            "description": self.description,
            "promotional_text": self.promotional_text,
            "store_url": self.store_url,
            "image_url": self.image_url,
            "qr_image_url": self.qr_image_url,
            "max_supply": self.max_supply,
            "minted_count": self.minted_count,
            "status": self.status,
            "triggers_bingo_card": self.triggers_bingo_card,
            "is_dummy": self.is_dummy,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


@define(kw_only=True)
class NFTInstance:
    """One issued badge held by one user."""

    id: int | None = None
    user_id: int
    definition_id: int
    serial_number: int
    unique_instance_id: str
    acquired_at: datetime | None = None
    status: str = INSTANCE_SUCCEEDED
    nft_origin: str | None = None
    blockchain_nft_id: int | None = None
    current_nft_location: str | None = None
    blockchain_name: str | None = None
    sub_type: str | None = None
    blockchain_created_at: datetime | None = None
    blockchain_updated_at: datetime | None = None
    transaction_id: str | None = None
    contract_address: str | None = None
    token_id: str | None = None
    other_meta: JsonDict | None = None

    @property
    def is_draw_eligible(self) -> bool:
        """Eligible for draws: ``succeeded`` and holding an origin."""
        return self.status == INSTANCE_SUCCEEDED and self.nft_origin is not None

    @property
    def issue_order(self) -> tuple[int, int]:
        """Sort key of "earliest issued": serial number, then id."""
        return (self.serial_number, self.id if self.id is not None else 0)


@define(kw_only=True)
class BingoCell:
    """One of the nine cells of a card; unlocked by an instance of its target."""

    id: int | None = None
    bingo_card_id: int | None = None
    idx: int
    target_definition_id: int
    definition_id: int | None = None
    matched_nft_instance_id: int | None = None
    state: str = CELL_LOCKED
    unlocked_at: datetime | None = None

    @property
    def is_unlocked(self) -> bool:
        """True when the cell is unlocked."""
        return self.state == CELL_UNLOCKED

    @property
    def shown_definition_id(self) -> int:
        """The definition the cell's JSON shows as ``target_definition`` (§6): the
        target, or on an unlocked wildcard cell the definition that unlocked it."""
        shown = self.definition_id
        if shown is not None and self.idx in WILDCARD_IDXS and self.state == CELL_UNLOCKED:
            return shown
        return self.target_definition_id

    def unlock(self, instance_id: int | None, definition_id: int, now: datetime) -> None:
        """Unlock the cell with ``instance_id`` (an instance of ``definition_id``)."""
        self.state = CELL_UNLOCKED
        self.definition_id = definition_id
        self.matched_nft_instance_id = instance_id
        self.unlocked_at = now

    def to_json(
        self,
        compact: bool = False,
        definitions: Mapping[int, NFTDefinition] | None = None,
        *,
        targets: TargetJson | None = None,
    ) -> JsonDict:
        """JSON-ready dict (§6); ``target_definition`` comes from ``targets`` when given
        (rendered with its own ``compact``), else from ``definitions`` when given."""
        shown_id = self.shown_definition_id
        if targets is not None:
            target = targets.get(shown_id)
        else:
            shown = definitions.get(shown_id) if definitions is not None else None
            target = shown.to_json(compact) if shown is not None else None
        if compact:
            return {
                "id": self.id,
                "idx": self.idx,
                "state": self.state,
                "unlocked_at": iso(self.unlocked_at),
                "target_definition": target,
            }
        return {
            "id": self.id,
            "bingo_card_id": self.bingo_card_id,
            "idx": self.idx,
            "state": self.state,
            "unlocked_at": iso(self.unlocked_at),
            "definition_id": self.definition_id,
            "matched_nft_instance_id": self.matched_nft_instance_id,
            "target_definition": target,
        }


ATOMIC_TYPES: Final = frozenset({str, int, float, bool, type(None)})
"""Types of immutable values with nothing inside: a copy of a container holding only
these shares nothing with it (and ``copy.deepcopy`` returns them as they are)."""


class TargetJson:
    """The JSON of cells' target definitions (``NFTDefinition.to_json(compact)``), each
    definition rendered once and handed out as a new dict per cell.

    A definition's JSON holds atomic values only, so a shallow copy shares nothing with
    the other cells' copies; a rendering holding anything else is not kept and the
    definition is rendered anew for each cell.
    """

    __slots__ = ("_compact", "_definitions", "_rendered")

    def __init__(self, definitions: Mapping[int, NFTDefinition], compact: bool) -> None:
        self._definitions = definitions
        self._compact = compact
        self._rendered: dict[int, JsonDict] = {}

    def get(self, definition_id: int | None) -> JsonDict | None:
        """A new dict of the JSON of definition ``definition_id``; None when not given."""
        if definition_id is None:
            return None
        rendered = self._rendered.get(definition_id)
        if rendered is not None:
            return dict(rendered)
        definition = self._definitions.get(definition_id)
        if definition is None:
            return None
        fresh = definition.to_json(self._compact)
        if all(type(value) in ATOMIC_TYPES for value in fresh.values()):
            self._rendered[definition_id] = dict(fresh)
        return fresh


@define(kw_only=True)
class BingoCard:
    """A user's 3x3 card centred on a trigger definition."""

    winning_lines: ClassVar[tuple[tuple[int, int, int], ...]] = WINNING_LINES

    id: int | None = None
    user_id: int
    center_definition_id: int
    period_id: int | None = None
    issued_at: datetime | None = None
    start_time: datetime | None = None
    issuance_month: str | None = None
    completed_at: datetime | None = None
    expiry: datetime | None = None
    state: str = CARD_ACTIVE
    bingo_reward_claimed: bool = False
    cells: list[BingoCell] = field(factory=list)

    def cell_at(self, idx: int) -> BingoCell | None:
        """The cell with this ``idx`` (never by list position), or ``None``."""
        for cell in self.cells:
            if cell.idx == idx:
                return cell
        return None

    @property
    def unlocked_mask(self) -> int:
        """The unlocked cells as a bitmask over idx (bit ``idx`` set when unlocked).

        Derived from ``cells`` on every read; SQL storage keeps it in a column of the card
        row so completed lines can be found without visiting the cells.
        """
        mask = 0
        for cell in self.cells:
            if cell.state == CELL_UNLOCKED:
                mask |= 1 << cell.idx
        return mask

    def completed_lines(self) -> list[tuple[int, int, int]]:
        """The winning lines whose three cells exist and are unlocked, in line order."""
        unlocked = {cell.idx for cell in self.cells if cell.is_unlocked}
        return [line for line in WINNING_LINES if all(i in unlocked for i in line)]

    @property
    def is_full(self) -> bool:
        """True when all nine cells (idx 0-8) are unlocked."""
        unlocked = {cell.idx for cell in self.cells if cell.is_unlocked}
        return all(i in unlocked for i in range(9))

    def effective_state(self, now: datetime | None) -> str:
        """The stored state, or ``expired`` for an active card past its expiry at ``now``."""
        if (
            now is not None
            and self.state == CARD_ACTIVE
            and self.expiry is not None
            and now >= self.expiry
        ):
            return CARD_EXPIRED
        return self.state

    def to_json(
        self,
        compact: bool = False,
        *,
        now: datetime | None = None,
        definitions: Mapping[int, NFTDefinition] | None = None,
        targets: TargetJson | None = None,
    ) -> JsonDict:
        """JSON-ready dict (§6); cells in idx order, state effective at ``now`` when given.

        ``targets`` (made with the same ``definitions`` and ``compact``) renders each
        target definition once for all the cards it is passed to."""
        ordered = sorted(self.cells, key=lambda c: c.idx)
        cells = [c.to_json(compact, definitions, targets=targets) for c in ordered]
        state = self.effective_state(now)
        if compact:
            return {
                "id": self.id,
                "period_id": self.period_id,
                "start_time": iso(self.start_time),
                "expiry": iso(self.expiry),
                "issuance_month": self.issuance_month,
                "completed_at": iso(self.completed_at),
                "state": state,
                "bingo_reward_claimed": self.bingo_reward_claimed,
                "cells": cells,
            }
        return {
            "id": self.id,
            "user_id": self.user_id,
            "period_id": self.period_id,
            "issued_at": iso(self.issued_at),
            "start_time": iso(self.start_time),
            "expiry": iso(self.expiry),
            "issuance_month": self.issuance_month,
            "completed_at": iso(self.completed_at),
            "state": state,
            "bingo_reward_claimed": self.bingo_reward_claimed,
            "cells": cells,
        }


@define(kw_only=True)
class PrizeDrawType:
    """A kind of draw with its scoring algorithm and default threshold.

    ``max_wins_per_user`` caps how many ranked results one user can take (None: no cap).
    ``retired_at`` is set once the type is retired: it then refuses new draws and seals.
    """

    id: int | None = None
    internal_name: str
    display_name: str | None = None
    description: str | None = None
    algorithm_key: str
    default_threshold: float | None = None
    max_wins_per_user: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    retired_at: datetime | None = None

    @property
    def is_retired(self) -> bool:
        """True once the draw type is retired."""
        return self.retired_at is not None


@define(kw_only=True)
class PrizeDrawWinningNumber:
    """A winning value of a draw type, in effect during a half-open window."""

    id: int | None = None
    draw_type_id: int
    value: str
    metadata: JsonDict | None = None
    effective_at: datetime | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None

    def in_effect(self, at: datetime) -> bool:
        """True when ``at`` lies in ``[effective_at, expires_at)`` (open ends allowed)."""
        return (self.effective_at is None or self.effective_at <= at) and (
            self.expires_at is None or at < self.expires_at
        )


@define(kw_only=True)
class PrizeDrawResult:
    """The stored evaluation of one instance in one draw type for one winning number."""

    id: int | None = None
    draw_type_id: int
    winning_number_id: int | None = None
    user_id: int
    definition_id: int
    nft_instance_id: int
    draw_number: str
    similarity_score: float | None = None
    draw_top_digits: str | None = None
    winning_top_digits: str | None = None
    threshold_used: float | None = None
    outcome: str = OUTCOME_PENDING
    evaluated_at: datetime | None = None


@frozen(kw_only=True)
class DrawResultColumns:
    """Results of one draw evaluation as columns: what every row shares once, the rest
    one list per field, row ``i`` of every list belonging together.

    The bulk path of a draw stores results from this form without one
    :class:`PrizeDrawResult` per row; :meth:`result` gives the object view of a row.
    ``similarity_scores`` and ``draw_top_digits`` are None when no row is scored.
    """

    draw_type_id: int
    winning_number_id: int | None
    winning_top_digits: str | None
    threshold_used: float | None
    evaluated_at: datetime | None
    user_ids: list[int]
    definition_ids: list[int]
    nft_instance_ids: list[int]
    draw_numbers: list[str]
    similarity_scores: Sequence[float] | None
    draw_top_digits: Sequence[str | None] | None
    outcomes: list[str]

    def __len__(self) -> int:
        return len(self.nft_instance_ids)

    def result(self, row: int, result_id: int | None = None) -> PrizeDrawResult:
        """Row ``row`` as a :class:`PrizeDrawResult` with id ``result_id``."""
        scores, digits = self.similarity_scores, self.draw_top_digits
        return PrizeDrawResult(
            id=result_id,
            draw_type_id=self.draw_type_id,
            winning_number_id=self.winning_number_id,
            user_id=self.user_ids[row],
            definition_id=self.definition_ids[row],
            nft_instance_id=self.nft_instance_ids[row],
            draw_number=self.draw_numbers[row],
            similarity_score=None if scores is None else scores[row],
            draw_top_digits=None if digits is None else digits[row],
            winning_top_digits=self.winning_top_digits,
            threshold_used=self.threshold_used,
            outcome=self.outcomes[row],
            evaluated_at=self.evaluated_at,
        )

    def results(self) -> list[PrizeDrawResult]:
        """Every row as a :class:`PrizeDrawResult` (without ids), in row order."""
        count = len(self)
        scores = self.similarity_scores
        digits = self.draw_top_digits
        draw_type_id, number_id = self.draw_type_id, self.winning_number_id
        winning, threshold, at = self.winning_top_digits, self.threshold_used, self.evaluated_at
        return [
            PrizeDrawResult(
                draw_type_id=draw_type_id,
                winning_number_id=number_id,
                user_id=user_id,
                definition_id=definition_id,
                nft_instance_id=instance_id,
                draw_number=draw_number,
                similarity_score=score,
                draw_top_digits=digit,
                winning_top_digits=winning,
                threshold_used=threshold,
                outcome=outcome,
                evaluated_at=at,
            )
            for user_id, definition_id, instance_id, draw_number, score, digit, outcome in zip(
                self.user_ids,
                self.definition_ids,
                self.nft_instance_ids,
                self.draw_numbers,
                repeat(None, count) if scores is None else scores,
                repeat(None, count) if digits is None else digits,
                self.outcomes,
                strict=True,
            )
        ]


class SnapshotScope(StrEnum):
    """Which candidates a draw snapshot fixes."""

    BINGO = "bingo"
    ATTENDANCE = "attendance"


SNAPSHOT_BINGO: Final = SnapshotScope.BINGO.value
SNAPSHOT_ATTENDANCE: Final = SnapshotScope.ATTENDANCE.value


@define(kw_only=True)
class PrizeDrawSnapshot:
    """The candidate set of a draw, fixed (as a digest) before its winning number exists.

    ``scope`` is ``"bingo"`` (instances on completed lines) or ``"attendance"`` (instances
    of ``attendance_definition_id``); ``candidates_sha256`` is
    :func:`nictbw.domain.snapshots.candidate_set_digest` of the candidates.

    A sealed snapshot also commits to a randomness beacon (chain hash, public key,
    scheme) and to its round ``beacon_round``, published at ``beacon_round_at``: the
    draw's winning value is derived from that round (see ``nictbw.domain.sealing``).
    The five beacon fields are all set or all None. A sealed snapshot also commits to the
    winner cap ``max_wins_per_user`` its draw ranks with (None: no cap; always None on an
    unsealed snapshot); :attr:`seal_digest` covers the candidates, the round and the cap.
    """

    id: int | None = None
    draw_type_id: int
    scope: str
    attendance_definition_id: int | None = None
    candidate_count: int
    candidates_sha256: str
    created_at: datetime | None = None
    beacon_chain_hash: str | None = None
    beacon_public_key: str | None = None
    beacon_scheme: str | None = None
    beacon_round: int | None = None
    beacon_round_at: datetime | None = None
    max_wins_per_user: int | None = None

    @property
    def is_sealed(self) -> bool:
        """True when the snapshot commits to a beacon round."""
        return self.beacon_round is not None

    @property
    def seal_digest(self) -> str | None:
        """The digest an operator publishes for a sealed snapshot
        (:func:`nictbw.domain.sealing.seal_digest`); None when it is not sealed."""
        if self.beacon_round is None or self.beacon_chain_hash is None:
            return None
        return seal_digest(
            self.candidates_sha256,
            self.beacon_chain_hash,
            self.beacon_round,
            self.max_wins_per_user,
        )


@define(kw_only=True)
class AuditEntry:
    """One line of the append-only audit log: which admin did what to which entity, when.

    ``before`` and ``after`` hold only the fields that changed (secrets redacted, see
    :mod:`nictbw.domain.audit`); ``entity_id`` is None for an entity without one.
    """

    id: int | None = None
    at: datetime
    admin_id: int
    action: str
    entity_type: str
    entity_id: int | None = None
    before: JsonDict | None = None
    after: JsonDict | None = None


@frozen
class ScoreComputation:
    """What a scorer returns: the score and the top digits of both hashes."""

    score: float
    draw_top_digits: str | None = None
    winning_top_digits: str | None = None


@frozen
class ScoreEvaluation:
    """A score with its threshold; ``passed`` is None when there is no threshold."""

    algorithm_key: str
    score: float
    threshold: float | None
    passed: bool | None
    draw_top_digits: str | None = None
    winning_top_digits: str | None = None


@frozen
class PrizeDrawEvaluation:
    """The outcome of evaluating one instance: the stored result and its figures."""

    result: PrizeDrawResult
    draw_number: str
    threshold: float | None
    similarity: float | None


class CandidateSource(Protocol):
    """What :meth:`DrawCandidate.of` reads: an instance, or a row with its field names."""

    @property
    def id(self) -> int | None: ...
    @property
    def user_id(self) -> int: ...
    @property
    def definition_id(self) -> int: ...
    @property
    def nft_origin(self) -> str | None: ...
    @property
    def status(self) -> str: ...


@frozen
class DrawCandidate:
    """The few fields of an instance a draw needs, read in bulk."""

    instance_id: int
    user_id: int
    definition_id: int
    nft_origin: str | None
    status: str

    @classmethod
    def of(cls, instance: CandidateSource) -> DrawCandidate:
        """The candidate of a stored instance (or of a row with the same field names)."""
        if instance.id is None:
            raise ValidationError("a draw candidate needs a stored instance (id is None)")
        return cls(
            instance_id=instance.id,
            user_id=instance.user_id,
            definition_id=instance.definition_id,
            nft_origin=instance.nft_origin,
            status=instance.status,
        )

    @property
    def is_draw_eligible(self) -> bool:
        """Eligible for draws: ``succeeded`` and holding an origin."""
        return self.status == INSTANCE_SUCCEEDED and self.nft_origin is not None


def no_none(column: Sequence[object]) -> bool:
    """True when no value of ``column`` is None.

    ``all`` reads each value's truth, much faster than comparing it with None for text
    and ids; only a column holding a false value (an empty text, a 0) is compared.
    """
    return all(column) or None not in column


@frozen
class CandidateColumns:
    """Draw candidates as columns (row ``i`` of every list is one instance): what a bulk
    draw reads without one :class:`DrawCandidate` per instance."""

    instance_ids: list[int]
    user_ids: list[int]
    definition_ids: list[int]
    nft_origins: list[str | None]
    statuses: list[str]
    draw_numbers: list[str | None] | None = field(default=None, eq=False)
    """Optional: each origin's draw number already derived (``known_draw_number`` of
    scoring: None where the origin gives none), when the store keeps them; not compared."""

    def __len__(self) -> int:
        return len(self.instance_ids)

    def origin_texts(self) -> list[str]:
        """The origins, a missing one as the empty text (from which no draw number derives)."""
        origins = self.nft_origins
        return cast(list[str], origins) if no_none(origins) else [o or "" for o in origins]

    def all_eligible(self) -> bool:
        """True when every row is eligible for draws (see :meth:`eligible_rows`)."""
        statuses = self.statuses
        return no_none(self.nft_origins) and statuses.count(INSTANCE_SUCCEEDED) == len(statuses)

    @classmethod
    def of(cls, candidates: Iterable[DrawCandidate]) -> CandidateColumns:
        """The columns of ``candidates``, in their order."""
        rows = [
            (c.instance_id, c.user_id, c.definition_id, c.nft_origin, c.status) for c in candidates
        ]
        return cls.of_rows(rows)

    @classmethod
    def of_instances(cls, instances: Iterable[CandidateSource]) -> CandidateColumns:
        """The columns of stored ``instances`` (their ids already checked), in their order,
        without a :class:`DrawCandidate` per instance."""
        rows = [(i.id, i.user_id, i.definition_id, i.nft_origin, i.status) for i in instances]
        return cls.of_rows(rows)

    @classmethod
    def of_rows(cls, rows: Sequence[Sequence[Any]]) -> CandidateColumns:
        """The columns of rows of (instance id, user id, definition id, origin, status)."""
        if not rows:
            return cls([], [], [], [], [])
        ids, users, definitions, origins, statuses = map(list, zip(*rows, strict=True))
        return cls(ids, users, definitions, origins, statuses)

    def eligible_rows(self) -> list[int]:
        """The rows eligible for draws (``succeeded`` and holding an origin), in order."""
        statuses, origins = self.statuses, self.nft_origins
        count = len(statuses)
        if len(origins) == count and self.all_eligible():
            return list(range(len(statuses)))
        return [
            row
            for row, (status, origin) in enumerate(
                zip(self.statuses, self.nft_origins, strict=True)
            )
            if status == INSTANCE_SUCCEEDED and origin is not None
        ]

    def take(self, rows: Sequence[int]) -> CandidateColumns:
        """The columns of ``rows`` only, in that order."""
        draw_numbers = self.draw_numbers
        pick = itemgetter(*rows) if len(rows) > 1 else None
        if pick is None:
            taken = CandidateColumns.of_rows(
                [
                    (
                        self.instance_ids[r],
                        self.user_ids[r],
                        self.definition_ids[r],
                        self.nft_origins[r],
                        self.statuses[r],
                    )
                    for r in rows
                ]
            )
            if draw_numbers is None:
                return taken
            return evolve(taken, draw_numbers=[draw_numbers[r] for r in rows])
        origins = list(pick(self.nft_origins))
        return CandidateColumns(
            list(pick(self.instance_ids)),
            list(pick(self.user_ids)),
            list(pick(self.definition_ids)),
            origins,
            list(pick(self.statuses)),
            self._shared(draw_numbers, origins, lambda column: list(pick(column))),
        )

    def _shared(
        self,
        draw_numbers: list[str | None] | None,
        origins: list[str | None],
        part: Callable[[list[str | None]], list[str | None]],
    ) -> list[str | None] | None:
        """The draw numbers of a part whose origins are ``origins``: that same list when
        the draw numbers are the origins column itself, else ``part(draw_numbers)``."""
        if draw_numbers is None:
            return None
        return origins if draw_numbers is self.nft_origins else part(draw_numbers)

    def slice(self, start: int, stop: int) -> CandidateColumns:
        """Rows ``start`` to ``stop`` (exclusive)."""
        origins = self.nft_origins[start:stop]
        return CandidateColumns(
            self.instance_ids[start:stop],
            self.user_ids[start:stop],
            self.definition_ids[start:stop],
            origins,
            self.statuses[start:stop],
            self._shared(self.draw_numbers, origins, lambda column: column[start:stop]),
        )


@frozen
class SyncNote:
    """A skipped item or a warning of a sync, by 0-based position in the response."""

    index: int
    origin: str | None
    reason: str


@frozen
class SyncReport:
    """What a chain sync did (domain-rules.md §8.6)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    transferred: int = 0
    definitions_created: tuple[str, ...] = ()
    skipped: tuple[SyncNote, ...] = ()
    warnings: tuple[SyncNote, ...] = ()
    cards_created: int = 0
    cells_unlocked: int = 0
