"""Repository ports, one per aggregate, and the unit of work that holds them.

Every repository assigns ``id`` on ``add`` (usable before commit), returns domain
entities (never storage rows) that the caller may mutate freely, and persists changes
to a stored entity only through ``update``/``update_many``. Bulk methods exist so that
workflows touching many rows stay set-based on every adapter.

Over 500 lines on purpose: the whole storage contract an adapter must meet reads in one
file, one Protocol per aggregate beside the unit of work that holds them.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from nictbw.domain.entities import (
    Admin,
    AuditEntry,
    BingoCard,
    CandidateColumns,
    DrawCandidate,
    DrawResultColumns,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawSnapshot,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.ports.outbox import EventRepository, IdempotencyKeyRepository


class UserRepository(Protocol):
    """Stored users.

    In every repository an id argument or lookup key that no backend could hold (an id
    outside the 32-bit key range, text with a control character; see
    :mod:`nictbw.domain.values`) raises ``ValidationError`` naming it, on every backend,
    before any storage call; a well-formed key that is not stored gives ``None`` (or
    leaves the answer without it).
    """

    def add(self, user: User) -> User:
        """Store a new user (``ConflictError`` on a taken unique key); assigns ``id``."""
        ...

    def add_many(self, users: Sequence[User]) -> None:
        """Store many new users, all or none, with a constant number of statements per
        chunk; assigns their ids in order. A unique key taken by a stored user or given
        to two of ``users`` -> ``ConflictError`` naming the value, and nothing is stored."""
        ...

    def get(self, user_id: int) -> User | None:
        """The user with this id, or ``None``."""
        ...

    def get_many(self, ids: Collection[int]) -> dict[int, User]:
        """The stored users among ``ids``, keyed by id."""
        ...

    def list(self) -> builtins.list[User]:
        """Every user, ascending id."""
        ...

    def get_by_in_app_id(self, in_app_id: str) -> User | None:
        """Lookup by exact ``in_app_id``."""
        ...

    def get_by_paymail(self, paymail: str) -> User | None:
        """Lookup by exact paymail."""
        ...

    def get_by_email(self, email: str) -> User | None:
        """Lookup by email, normalised like the stored value."""
        ...

    def get_by_on_chain_id(self, on_chain_id: str) -> User | None:
        """Lookup by exact chain username."""
        ...

    def list_holding(self, keys: Mapping[str, Collection[str]]) -> builtins.list[User]:
        """The stored users holding one of ``keys`` (unique column name -> exact values;
        names among ``in_app_id``, ``email``, ``paymail``, ``on_chain_id``), ascending
        id; a constant number of queries per chunk of values."""
        ...

    def update(self, user: User) -> None:
        """Write every field of a stored user (``ConflictError`` on a taken unique key)."""
        ...


class AdminRepository(Protocol):
    """Stored admins."""

    def add(self, admin: Admin) -> Admin:
        """Store a new admin; assigns ``id``."""
        ...

    def get(self, admin_id: int) -> Admin | None:
        """The admin with this id, or ``None``."""
        ...

    def list(self) -> builtins.list[Admin]:
        """Every admin, ascending id."""
        ...

    def get_by_email(self, email: str) -> Admin | None:
        """Lookup by email, normalised like the stored value."""
        ...

    def replace_password_hash(
        self, admin_id: int, old_hash: str, new_hash: str, updated_at: datetime
    ) -> bool:
        """Set the admin's ``password_hash`` to ``new_hash`` only if it still is
        ``old_hash`` (one atomic compare-and-set); whether it was replaced."""
        ...

    def update(self, admin: Admin) -> None:
        """Write every field of a stored admin (``ConflictError`` on a taken email)."""
        ...


class DefinitionRepository(Protocol):
    """Stored NFT definitions."""

    def add(self, definition: NFTDefinition) -> NFTDefinition:
        """Store a new definition; assigns ``id``."""
        ...

    def get(self, definition_id: int) -> NFTDefinition | None:
        """The definition with this id, or ``None``."""
        ...

    def get_many(self, ids: Collection[int]) -> dict[int, NFTDefinition]:
        """The stored definitions among ``ids``, keyed by id."""
        ...

    def list(self) -> builtins.list[NFTDefinition]:
        """Every definition, ascending id."""
        ...

    def catalogue(self) -> tuple[NFTDefinition, ...]:
        """Every definition, ascending id, read at most once per transaction.

        The answer is shared between calls and must not be mutated (use ``get`` for a
        definition to change). Any write of a definition through this unit of work, a
        commit and a rollback make the next call read again; one definition-repository
        read per unit of work serves every per-user bingo path.
        """
        ...

    def catalogue_among(self, ids: Collection[int]) -> dict[int, NFTDefinition]:
        """The stored definitions among ``ids``, keyed by id, as :meth:`catalogue` holds
        them: shared between calls, not to be mutated, forgotten on the same events.

        Only what the unit of work does not hold yet is read: nothing once the catalogue
        is read, else one statement per chunk for the ids not seen in this transaction.
        A call that needs a few definitions (one user's cards) pays for those alone.
        """
        ...

    def get_by_prefix(self, prefix: str) -> NFTDefinition | None:
        """Lookup by exact, case-sensitive prefix."""
        ...

    def get_many_by_prefix(self, prefixes: Collection[str]) -> dict[str, NFTDefinition]:
        """The stored definitions among ``prefixes`` (one query), keyed by prefix."""
        ...

    def update(self, definition: NFTDefinition) -> None:
        """Write every field of a stored definition except ``minted_count``."""
        ...

    def reserve_serials(
        self, definition_id: int, count: int, *, enforce_supply: bool
    ) -> int | None:
        """Atomically add ``count`` to ``minted_count`` and return the old value.

        With ``enforce_supply`` the increment only happens when the new count stays
        within ``max_supply``; otherwise ``None`` is returned and nothing changes. The
        row is locked for the rest of the transaction where the backend can.
        """
        ...


class InstanceRepository(Protocol):
    """Stored NFT instances."""

    def add(self, instance: NFTInstance) -> NFTInstance:
        """Store a new instance; assigns ``id``."""
        ...

    def add_many(self, instances: Sequence[NFTInstance]) -> None:
        """Store many new instances in one bulk insert; assigns their ids in order."""
        ...

    def get(self, instance_id: int) -> NFTInstance | None:
        """The instance with this id, or ``None``."""
        ...

    def get_many(self, ids: Collection[int]) -> dict[int, NFTInstance]:
        """The stored instances among ``ids``, keyed by id."""
        ...

    def list(self) -> builtins.list[NFTInstance]:
        """Every instance, ascending id."""
        ...

    def list_for_user(self, user_id: int) -> builtins.list[NFTInstance]:
        """The user's instances, ascending id."""
        ...

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[NFTInstance]:
        """The instances of all these users (one query), ascending id."""
        ...

    def list_for_definition(self, definition_id: int) -> builtins.list[NFTInstance]:
        """The definition's instances, ascending id."""
        ...

    def list_by_origins(self, origins: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance (any user, any status) whose origin is among ``origins``, ascending id."""
        ...

    def list_by_origin_keys(self, keys: Collection[str]) -> builtins.list[NFTInstance]:
        """Every instance (any user, any status) whose origin, trimmed of spaces and
        lower-cased (:func:`~nictbw.domain.scoring.origin_key`), is among ``keys``;
        ascending id, one query per chunk of keys.
        """
        ...

    def existing_unique_ids(self, candidates: Collection[str]) -> set[str]:
        """The members of ``candidates`` already used as ``unique_instance_id``."""
        ...

    def existing_ids(self, ids: Collection[int]) -> set[int]:
        """The members of ``ids`` that are stored instances (ids only, one query per
        chunk): a check that builds no entity."""
        ...

    def candidate_columns_of(self, ids: Sequence[int]) -> CandidateColumns:
        """The draw candidate columns of the stored instances among ``ids``, in the order
        of ``ids`` (an id given twice gives one row, at its first place; an id not stored
        gives none), one query per chunk: what a draw over given ids reads, without an
        entity per instance."""
        ...

    def candidates_for_definition(self, definition_id: int) -> builtins.list[DrawCandidate]:
        """Draw candidates for every instance of the definition, ascending instance id."""
        ...

    def count_by_status(self) -> dict[str, int]:
        """How many instances have each status, by status in ascending order (a status
        no instance has is left out); one query, no entity built."""
        ...

    def update(self, instance: NFTInstance) -> None:
        """Write every field of a stored instance."""
        ...

    def update_many(self, instances: Sequence[NFTInstance]) -> None:
        """Write every field of many stored instances in one bulk statement."""
        ...


class BingoCardRepository(Protocol):
    """Stored bingo cards, always with their nine cells."""

    def add(self, card: BingoCard) -> BingoCard:
        """Store a new card with its cells; assigns card and cell ids."""
        ...

    def add_many(self, cards: Sequence[BingoCard]) -> None:
        """Store many new cards with their cells in bulk; assigns ids."""
        ...

    def get(self, card_id: int) -> BingoCard | None:
        """The card with this id and its cells, or ``None``."""
        ...

    def list(self) -> builtins.list[BingoCard]:
        """Every card with its cells, ascending id."""
        ...

    def list_for_user(self, user_id: int) -> builtins.list[BingoCard]:
        """The user's cards with cells, ascending id."""
        ...

    def list_for_users(self, user_ids: Collection[int]) -> builtins.list[BingoCard]:
        """The cards (with cells) of all these users in a constant number of queries."""
        ...

    def update(self, card: BingoCard) -> None:
        """Write the card's fields and every one of its cells."""
        ...

    def update_many(self, cards: Sequence[BingoCard]) -> None:
        """Write many cards and their cells with a constant number of bulk statements."""
        ...

    def completed_line_candidates(self, now: datetime) -> builtins.list[DrawCandidate]:
        """Matched instances of cells on completed lines of cards active or completed at
        ``now`` (an active card past its expiry is expired), de-duplicated, ascending id.
        """
        ...

    def completed_line_candidate_columns(self, now: datetime) -> CandidateColumns:
        """``completed_line_candidates`` as columns: the same rows in the same order,
        without one object per instance."""
        ...


class DrawTypeRepository(Protocol):
    """Stored prize draw types."""

    def add(self, draw_type: PrizeDrawType) -> PrizeDrawType:
        """Store a new draw type; assigns ``id``."""
        ...

    def get(self, draw_type_id: int) -> PrizeDrawType | None:
        """The draw type with this id, or ``None``."""
        ...

    def list(self) -> builtins.list[PrizeDrawType]:
        """Every draw type, ascending id."""
        ...

    def get_by_internal_name(self, internal_name: str) -> PrizeDrawType | None:
        """Lookup by exact, case-sensitive internal name."""
        ...

    def update(self, draw_type: PrizeDrawType) -> None:
        """Write every field of a stored draw type."""
        ...


class WinningNumberRepository(Protocol):
    """Stored winning numbers."""

    def add(self, winning_number: PrizeDrawWinningNumber) -> PrizeDrawWinningNumber:
        """Store a new winning number; assigns ``id``."""
        ...

    def get(self, winning_number_id: int) -> PrizeDrawWinningNumber | None:
        """The winning number with this id, or ``None``."""
        ...

    def list(self) -> builtins.list[PrizeDrawWinningNumber]:
        """Every winning number, ascending id."""
        ...

    def list_for_draw_type(self, draw_type_id: int) -> builtins.list[PrizeDrawWinningNumber]:
        """The draw type's winning numbers, ascending id."""
        ...

    def latest_in_effect(self, draw_type_id: int, at: datetime) -> PrizeDrawWinningNumber | None:
        """The draw type's number in effect at ``at``: newest ``created_at``, then highest id."""
        ...


class DrawResultRepository(Protocol):
    """Stored prize draw results."""

    def add(self, result: PrizeDrawResult) -> PrizeDrawResult:
        """Store a new result; assigns ``id``."""
        ...

    def get(self, result_id: int) -> PrizeDrawResult | None:
        """The result with this id, or ``None``."""
        ...

    def list(self) -> builtins.list[PrizeDrawResult]:
        """Every result, ascending id."""
        ...

    def get_many(self, ids: Collection[int]) -> dict[int, PrizeDrawResult]:
        """The stored results among ``ids``, by id (one query per chunk of ids)."""
        ...

    def list_for_draw_type(
        self, draw_type_id: int, winning_number_id: int | None = None
    ) -> builtins.list[PrizeDrawResult]:
        """Results of the draw type, ascending id; those of ``winning_number_id`` when given."""
        ...

    def page_for_draw(
        self,
        draw_type_id: int,
        winning_number_id: int,
        *,
        after: tuple[int, int] | None,
        size: int,
    ) -> builtins.list[PrizeDrawResult]:
        """Up to ``size`` results of one draw ordered by (instance id, id), those after the
        key ``after`` = (instance id, id) only: keyset pages for reading a big draw."""
        ...

    def upsert_many(self, results: Sequence[PrizeDrawResult]) -> None:
        """Insert or overwrite results by key (instance, draw type, winning number).

        An existing row keeps its ``id`` and ``draw_type_id``; every other field is
        overwritten. Each result's ``id`` is set to the stored row's id. Done with a
        constant number of bulk statements per chunk.
        """
        ...

    def upsert_columns(self, columns: DrawResultColumns) -> builtins.list[int]:
        """``upsert_many`` of the rows of ``columns`` without one object per row: the
        same rows stored, the same statements; returns each row's stored id, in row order.
        """
        ...

    def top(
        self,
        draw_type_id: int,
        winning_number_id: int,
        *,
        limit: int,
        include_pending: bool = True,
        with_ties: bool = False,
    ) -> builtins.list[PrizeDrawResult]:
        """Scored results ranked by similarity desc, instance id asc, id asc; first ``limit``,
        plus every result tying the ``limit``-th when ``with_ties``.
        """
        ...


class DrawSnapshotRepository(Protocol):
    """Stored candidate-set snapshots of draws."""

    def add(self, snapshot: PrizeDrawSnapshot) -> PrizeDrawSnapshot:
        """Store a new snapshot; assigns ``id``."""
        ...

    def get(self, snapshot_id: int) -> PrizeDrawSnapshot | None:
        """The snapshot with this id, or ``None``."""
        ...

    def list(self) -> builtins.list[PrizeDrawSnapshot]:
        """Every snapshot, ascending id."""
        ...

    def list_for_draw_type(self, draw_type_id: int) -> builtins.list[PrizeDrawSnapshot]:
        """The draw type's snapshots, ascending id."""
        ...


class AuditLogRepository(Protocol):
    """The append-only audit log: entries are added, never changed or removed."""

    def append(self, entry: AuditEntry) -> AuditEntry:
        """Store a new entry; assigns ``id`` (ascending in the order of appending)."""
        ...

    def list(
        self,
        *,
        admin_id: int | None = None,
        entity_type: str | None = None,
        entity_id: int | None = None,
        action: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> builtins.list[AuditEntry]:
        """The entries matching every filter given (``since``: ``at`` at or after it),
        ascending id; with ``limit`` only the newest ``limit`` of them (still ascending)."""
        ...


class UnitOfWork(Protocol):
    """A transaction over every repository: commit explicitly, anything else rolls back."""

    users: UserRepository
    admins: AdminRepository
    definitions: DefinitionRepository
    instances: InstanceRepository
    bingo_cards: BingoCardRepository
    draw_types: DrawTypeRepository
    winning_numbers: WinningNumberRepository
    draw_results: DrawResultRepository
    draw_snapshots: DrawSnapshotRepository
    events: EventRepository
    idempotency_keys: IdempotencyKeyRepository
    audit: AuditLogRepository

    def __enter__(self) -> Self:
        """Begin the transaction."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Make every change of this unit of work durable."""
        ...

    def rollback(self) -> None:
        """Discard every change since the last commit."""
        ...

    def lock_users(self, user_ids: Collection[int]) -> None:
        """Hold, until the transaction ends, a lock on these users (ascending id).

        Issuance, sync and bingo updates call it before reading a user's cards and
        instances, so concurrent writers on one user take turns. Adapters whose units of
        work already run one at a time do nothing.
        """
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested block whose changes are undone when it raises; the transaction goes on.

        Workflows run inside one so that a failure midway leaves the unit of work exactly
        as it was before the call.
        """
        ...


__all__ = [
    "AdminRepository",
    "AuditLogRepository",
    "BingoCardRepository",
    "DefinitionRepository",
    "DrawResultRepository",
    "DrawSnapshotRepository",
    "DrawTypeRepository",
    "EventRepository",
    "IdempotencyKeyRepository",
    "InstanceRepository",
    "UnitOfWork",
    "UserRepository",
    "WinningNumberRepository",
]
