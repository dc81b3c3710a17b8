"""``import_legacy``: copy a legacy database into an empty nictbw database.

The source is read through :class:`~nictbw.adapters.legacy.LegacySource` (read-only,
one snapshot, chunks); each chunk is mapped (:mod:`.mapping`), checked against what was
already left out, and written with its ids through a
:class:`~nictbw.ports.importing.RowImporter` inside one savepoint of the caller's unit of
work: all or nothing, and the caller commits. Memory holds one chunk plus the ids of the
rows left out (and the few definitions and draw types), never the whole source.

Over 500 lines on purpose: one run over the source's tables in dependency order, each step
reading what the earlier ones left out; split, that shared state would cross modules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple, TypeVar

from sqlalchemy import func

from nictbw.adapters.clock import SystemClock
from nictbw.adapters.legacy.reader import DEFAULT_CHUNK_SIZE, LegacySource
from nictbw.app.legacy_import import columns as bulk
from nictbw.app.legacy_import import mapping
from nictbw.app.legacy_import.report import (
    KINDS,
    CardCheck,
    ImportReport,
    MintedCheck,
    ScoreDisagreement,
    SkippedRow,
)
from nictbw.app.legacy_import.targets import row_importer_for
from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    INSTANCE_SUCCEEDED,
    OUTCOME_LOSE,
    OUTCOME_PENDING,
    OUTCOME_WIN,
    BingoCard,
    PrizeDrawResult,
    PrizeDrawWinningNumber,
)
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.domain.scoring import (
    DEFAULT_SCORING_REGISTRY,
    AlgorithmRegistry,
    derive_draw_number,
    normalize_winning_value,
)
from nictbw.ports.clock import Clock
from nictbw.ports.importing import RowImporter
from nictbw.ports.repositories import UnitOfWork

Progress = Callable[[str, int, int], None]
"""``progress(kind, rows_done, rows_total)``, called after every chunk."""

Row = mapping.Row
E = TypeVar("E")

UNKNOWN_WINNING_VALUE: Final = "unknown (deleted in the legacy database)"
"""Value of the winning number that results whose own number is gone are attached to."""

_NEVER_FROM: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NEVER_UNTIL: Final = _NEVER_FROM + timedelta(microseconds=1)


class _Scored(NamedTuple):
    """What re-scoring reads of a result on the column path (no entity is built)."""

    id: int
    draw_type_id: int
    draw_number: str
    similarity_score: float | None
    draw_top_digits: str | None
    winning_top_digits: str | None
    threshold_used: float | None
    outcome: str
    winning_value: Any
    instance_origin: Any


_Result = PrizeDrawResult | _Scored


class _SkipRowError(Exception):
    """A row that cannot be imported; the message is the reason."""


def import_legacy(
    source_url: str,
    uow: UnitOfWork,
    *,
    clock: Clock | None = None,
    progress: Progress | None = None,
    registry: AlgorithmRegistry | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    dry_run: bool = False,
    bulk: bool = True,
) -> ImportReport:
    """Import the legacy database at ``source_url`` into the empty target ``uow``.

    Reads the source read-only, keeps ids, writes every row that fits nictbw's rules and
    reports every other one with its reason. A target holding any row →
    ``ConflictError``; an unreadable source → ``ValidationError``; either way nothing is
    written. ``dry_run`` only marks the report (pass an in-memory unit of work). With
    ``bulk`` (the default) chunks of users, instances and results are checked and
    written column by column (:mod:`.columns`); ``bulk=False`` takes the row path for
    every row, which is slower and stores the same. The caller commits.
    """
    clock = clock or SystemClock()
    target = row_importer_for(uow, chunk_size=chunk_size)
    with LegacySource(source_url, chunk_size=chunk_size) as source:
        if not target.is_empty():
            raise ConflictError(
                "the target database is not empty; legacy data is only imported into an "
                "empty nictbw database"
            )
        run = _ImportRun(source, target, clock.now(), progress, registry, bulk=bulk)
        with uow.savepoint():
            run.run()
            target.finish()
        return run.report(dry_run)


class _ImportRun:
    """The state of one import: counters, rows left out, cross-checks."""

    def __init__(
        self,
        source: LegacySource,
        target: RowImporter,
        now: datetime,
        progress: Progress | None,
        registry: AlgorithmRegistry | None,
        *,
        bulk: bool = True,
    ) -> None:
        self.bulk = bulk
        self.source = source
        self.target = target
        self.now = now
        self.progress = progress
        self.registry = registry if registry is not None else DEFAULT_SCORING_REGISTRY
        self.read: Counter[str] = Counter(dict.fromkeys(KINDS, 0))
        self.imported: Counter[str] = Counter(dict.fromkeys(KINDS, 0))
        self.skipped: list[SkippedRow] = []
        self.gone: dict[str, set[int]] = {kind: set() for kind in KINDS}
        self.minted_checks: list[MintedCheck] = []
        self.card_checks: list[CardCheck] = []
        self.completed_lines = 0
        self.unknown: dict[int, int] = {}
        self.results_on_unknown = 0
        self.disagreements: list[ScoreDisagreement] = []
        self.rescored = 0
        self.algorithms: dict[int, str] = {}

    # -- plumbing ------------------------------------------------------------------------

    def _skip(self, kind: str, table: str, raw_id: object, reason: str) -> None:
        row_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
        self.skipped.append(SkippedRow(table, row_id, reason))
        if row_id is not None:
            self.gone[kind].add(row_id)

    def _stage(
        self,
        kind: str,
        table: str,
        chunks: Iterable[Sequence[Row]],
        convert: Callable[[Row], E],
        write: Callable[[Sequence[E]], None],
    ) -> None:
        total = self.source.count(kind)
        for chunk in chunks:
            batch: list[E] = []
            for row in chunk:
                self.read[kind] += 1
                try:
                    batch.append(convert(row))
                except (_SkipRowError, ValidationError) as exc:
                    self._skip(kind, table, row["id"], str(exc))
            write(batch)
            self.imported[kind] += len(batch)
            if self.progress is not None:
                self.progress(kind, self.read[kind], total)

    def _column_stage(
        self,
        kind: str,
        table: str,
        chunks: Iterable[Sequence[Any]],
        screen: Callable[[Sequence[Any], bulk.Columns], Mapping[str, Sequence[Any]] | None],
        convert: Callable[[Row], E],
        write: Callable[[Sequence[E]], None],
    ) -> None:
        """A stage over plain rows: a chunk that passes ``screen`` (checked column by
        column) is written column by column; any other chunk goes row by row."""
        total = self.source.count(kind)
        for chunk in chunks:
            if not chunk:
                continue
            columns = screen(chunk, bulk.transpose(chunk)) if self.bulk else None
            self.read[kind] += len(chunk)
            if columns is not None:
                self.target.import_columns(kind, columns)
                self.imported[kind] += len(chunk)
            else:
                batch: list[E] = []
                for plain in chunk:
                    row = plain._mapping
                    try:
                        batch.append(convert(row))
                    except (_SkipRowError, ValidationError) as exc:
                        self._skip(kind, table, row["id"], str(exc))
                write(batch)
                self.imported[kind] += len(batch)
            if self.progress is not None:
                self.progress(kind, self.read[kind], total)

    def _parent(self, row: Row, key: str, found: str, kind: str, what: str) -> None:
        """Refuse a row whose reference ``key`` names a missing or left-out parent."""
        value = row[key]
        if value is None:
            return
        if row[found] is None:
            raise _SkipRowError(f"orphan: {what} {value!r} does not exist")
        if value in self.gone[kind]:
            raise _SkipRowError(f"{what} {value!r} was not imported")

    @staticmethod
    def _unique(row: Row, key: object, holders: dict[Any, int], what: str) -> None:
        """Refuse a row whose unique ``key`` is held by a row with a lower id."""
        if key is None:
            return
        keeper = holders.get(key)
        if keeper is not None and keeper != row["id"]:
            raise _SkipRowError(f"duplicate {what} {key!r} (kept on row {keeper})")

    # -- stages --------------------------------------------------------------------------

    def run(self) -> None:
        """Import every kind in dependency order."""
        self._users()
        self._admins()
        self._definitions()
        self._instances()
        self._cards()
        self._draw_types()
        self._winning_numbers()
        self._results()

    def _users(self) -> None:
        t = self.source.tables
        users = t.users
        email = func.lower(func.trim(users.c.email))
        holders = {
            "email": self.source.duplicates("users", email, where=func.trim(users.c.email) != ""),
            "in_app_id": self.source.duplicates("users", users.c.in_app_id),
            "paymail": self.source.duplicates("users", users.c.paymail),
            "on_chain_id": self.source.duplicates("users", users.c.on_chain_id),
        }

        def convert(row: Row) -> Any:
            user = mapping.user_from_row(row)
            for key, taken in holders.items():
                self._unique(row, getattr(user, key), taken, key)
            return user

        def screen(chunk: Sequence[Any], columns: bulk.Columns) -> Any:
            return bulk.user_columns(columns, holders)

        self._column_stage(
            "users", users.name, self.source.users(), screen, convert, self.target.import_users
        )

    def _admins(self) -> None:
        admins = self.source.tables.admins
        email = func.lower(func.trim(admins.c.email))
        holders = self.source.duplicates("admins", email, where=func.trim(admins.c.email) != "")

        def convert(row: Row) -> Any:
            admin = mapping.admin_from_row(row)
            self._unique(row, admin.email, holders, "email")
            return admin

        self._stage("admins", admins.name, self.source.admins(), convert, self.target.import_admins)

    def _definitions(self) -> None:
        definitions = self.source.tables.definitions
        stats = self.source.serial_stats()
        prefixes = self.source.duplicates("definitions", definitions.c.prefix)

        def convert(row: Row) -> Any:
            self._parent(row, "created_by_admin_id", "admin_found", "admins", "admin")
            self._unique(row, row["prefix"], prefixes, "prefix")
            legacy = row["minted_count"]
            count, highest = stats.get(row["id"], (0, -1))
            minted = max(legacy if isinstance(legacy, int) else 0, highest + 1)
            definition = mapping.definition_from_row(row, minted)
            if legacy != count or minted != legacy:
                self.minted_checks.append(
                    MintedCheck(
                        definition_id=row["id"],
                        prefix=row["prefix"],
                        legacy_minted_count=legacy,
                        instances=count,
                        highest_serial=highest if highest >= 0 else None,
                        imported_minted_count=minted,
                    )
                )
            return definition

        self._stage(
            "definitions",
            definitions.name,
            self.source.definitions(),
            convert,
            self.target.import_definitions,
        )

    def _instances(self) -> None:
        t = self.source.tables
        instances = t.instances
        unique_ids = self.source.duplicates("instances", t.col(instances, "unique_instance_id"))
        serials = self.source.duplicates(
            "instances", t.col(instances, "definition_id"), instances.c.serial_number
        )
        origins = self.source.duplicates(
            "instances", instances.c.nft_origin, where=instances.c.status == INSTANCE_SUCCEEDED
        )

        def convert(row: Row) -> Any:
            self._parent(row, "user_id", "user_found", "users", "user")
            self._parent(row, "definition_id", "definition_found", "definitions", "definition")
            instance = mapping.instance_from_row(row)
            self._unique(row, instance.unique_instance_id, unique_ids, "unique_instance_id")
            self._unique(row, (instance.definition_id, instance.serial_number), serials, "serial")
            if instance.status == INSTANCE_SUCCEEDED:
                self._unique(row, instance.nft_origin, origins, "succeeded nft_origin")
            return instance

        keys = {"unique_instance_id": unique_ids, "serial": serials, "origin": origins}

        def screen(chunk: Sequence[Any], columns: bulk.Columns) -> Any:
            return bulk.instance_columns(chunk, columns, self.gone, keys)

        self._column_stage(
            "instances",
            instances.name,
            self.source.instances(),
            screen,
            convert,
            self.target.import_instances,
        )

    def _cards(self) -> None:
        t = self.source.tables
        centres = self.source.duplicate_card_centres()
        for cell_id, card_id in self.source.orphan_cells():
            self.read["bingo_cells"] += 1
            self._skip(
                "bingo_cells", t.bingo_cells.name, cell_id, f"orphan: card {card_id} does not exist"
            )
        total = self.source.count("bingo_cards")
        for chunk in self.source.cards():
            batch: list[BingoCard] = []
            for row, cells in chunk:
                self.read["bingo_cards"] += 1
                self.read["bingo_cells"] += len(cells)
                try:
                    card = self._card(row, cells, centres)
                except (_SkipRowError, ValidationError) as exc:
                    self._skip("bingo_cards", t.bingo_cards.name, row["id"], str(exc))
                    continue
                batch.append(card)
            self.target.import_cards(batch)
            self.imported["bingo_cards"] += len(batch)
            self.imported["bingo_cells"] += sum(len(card.cells) for card in batch)
            if self.progress is not None:
                self.progress("bingo_cards", self.read["bingo_cards"], total)

    def _card(
        self, row: Row, cells: Sequence[Row], centres: dict[tuple[int, int], int]
    ) -> BingoCard:
        self._parent(row, "user_id", "user_found", "users", "user")
        card = mapping.card_from_rows(row, list(cells))
        self._unique(row, (card.user_id, card.center_definition_id), centres, "card centre")
        for cell_row in cells:
            self._cell_links(card, cell_row)
        lines = len(card.completed_lines())
        self.completed_lines += lines
        unlocked = sum(1 for cell in card.cells if cell.is_unlocked)
        reason = None
        if card.state == CARD_COMPLETED and not card.is_full:
            reason = f"completed with {unlocked} of 9 cells unlocked"
        elif card.state == CARD_ACTIVE and card.is_full:
            reason = "all 9 cells unlocked but the card is active"
        if reason is not None and card.id is not None:
            self.card_checks.append(CardCheck(card.id, card.state, unlocked, lines, reason))
        return card

    def _cell_links(self, card: BingoCard, row: Row) -> None:
        idx = row["cell_idx"]
        target = row["cell_target_definition_id"]
        if row["cell_target_found"] is None:
            raise _SkipRowError(f"cell idx {idx}: target definition {target!r} does not exist")
        if target in self.gone["definitions"]:
            raise _SkipRowError(f"cell idx {idx}: target definition {target!r} was not imported")
        unlocked_by = row["cell_definition_id"]
        if unlocked_by is not None and (
            row["cell_definition_found"] is None or unlocked_by in self.gone["definitions"]
        ):
            raise _SkipRowError(f"cell idx {idx}: broken unlock link to definition {unlocked_by!r}")
        matched = row["cell_matched_nft_instance_id"]
        if matched is None:
            return
        if row["matched_found"] is None or matched in self.gone["instances"]:
            raise _SkipRowError(f"cell idx {idx}: broken unlock link to instance {matched!r}")
        if row["matched_user_id"] != card.user_id:
            raise _SkipRowError(
                f"cell idx {idx}: broken unlock link: instance {matched!r} belongs to user "
                f"{row['matched_user_id']!r}, not {card.user_id!r}"
            )
        if unlocked_by is not None and row["matched_definition_id"] != unlocked_by:
            raise _SkipRowError(
                f"cell idx {idx}: broken unlock link: instance {matched!r} is of definition "
                f"{row['matched_definition_id']!r}, not {unlocked_by!r}"
            )

    def _draw_types(self) -> None:
        draw_types = self.source.tables.draw_types
        names = self.source.duplicates("draw_types", draw_types.c.internal_name)

        def convert(row: Row) -> Any:
            self._unique(row, row["internal_name"], names, "internal_name")
            draw_type = mapping.draw_type_from_row(row, self.registry)
            assert draw_type.id is not None
            self.algorithms[draw_type.id] = draw_type.algorithm_key
            return draw_type

        self._stage(
            "draw_types",
            draw_types.name,
            self.source.draw_types(),
            convert,
            self.target.import_draw_types,
        )

    def _winning_numbers(self) -> None:
        numbers = self.source.tables.winning_numbers

        def convert(row: Row) -> Any:
            self._parent(row, "draw_type_id", "draw_type_found", "draw_types", "draw type")
            return mapping.winning_number_from_row(row)

        self._stage(
            "winning_numbers",
            numbers.name,
            self.source.winning_numbers(),
            convert,
            self.target.import_winning_numbers,
        )
        next_id = self.source.max_id("winning_numbers") + 1
        synthetic: list[PrizeDrawWinningNumber] = []
        for draw_type_id in self.source.draw_types_with_lost_numbers():
            if draw_type_id not in self.algorithms:
                continue
            synthetic.append(
                PrizeDrawWinningNumber(
                    id=next_id,
                    draw_type_id=draw_type_id,
                    value=UNKNOWN_WINNING_VALUE,
                    metadata={"imported": "legacy", "unknown": True},
                    effective_at=_NEVER_FROM,
                    expires_at=_NEVER_UNTIL,
                    created_at=self.now,
                )
            )
            self.unknown[draw_type_id] = next_id
            next_id += 1
        if next_id - 1 > mapping.INT32_MAX:
            raise ValidationError(
                f"no id is left for the stand-in winning numbers (highest legacy id "
                f"{next_id - 1 - len(synthetic)})"
            )
        self.target.import_winning_numbers(synthetic)

    def _results(self) -> None:
        results = self.source.tables.results

        def screen(chunk: Sequence[Any], columns: bulk.Columns) -> Any:
            out = bulk.result_columns(columns, self.gone)
            if out is not None:
                fields = (columns[name] for name in _Scored._fields)
                for scored in map(_Scored._make, zip(*fields, strict=True)):
                    self._rescore(scored, scored.winning_value, scored.instance_origin)
            return out

        self._column_stage(
            "results",
            results.name,
            self.source.results(),
            screen,
            self._result,
            self.target.import_results,
        )

    def _result(self, row: Row) -> PrizeDrawResult:
        self._parent(row, "draw_type_id", "draw_type_found", "draw_types", "draw type")
        self._parent(row, "user_id", "user_found", "users", "user")
        self._parent(row, "definition_id", "definition_found", "definitions", "definition")
        if row["nft_instance_id"] is None:
            raise _SkipRowError("no instance: nft_instance_id is NULL")
        self._parent(row, "nft_instance_id", "instance_found", "instances", "instance")
        winning_id = row["winning_number_id"]
        on_unknown = False
        if winning_id is not None and row["winning_found"] is not None:
            if winning_id in self.gone["winning_numbers"]:
                raise _SkipRowError(f"winning number {winning_id!r} was not imported")
            if row["winning_draw_type_id"] != row["draw_type_id"]:
                raise _SkipRowError(
                    f"winning number {winning_id!r} belongs to draw type "
                    f"{row['winning_draw_type_id']!r}, not {row['draw_type_id']!r}"
                )
        elif row["similarity_score"] is not None:
            winning_id = self.unknown.get(row["draw_type_id"])
            if winning_id is None:
                raise _SkipRowError("its winning number is gone and its draw type has no stand-in")
            on_unknown = True
        else:
            winning_id = None
        result = mapping.result_from_row(row, winning_id)
        if on_unknown:
            self.results_on_unknown += 1
        elif winning_id is not None:
            self._rescore(result, row["winning_value"], row["instance_origin"])
        return result

    def _rescore(self, result: _Result, value: Any, origin: Any) -> None:
        """Score the result again with nictbw's engine and list any disagreement."""
        key = self.algorithms[result.draw_type_id]
        fields: list[str] = []
        try:
            if derive_draw_number(origin) != result.draw_number:
                fields.append("draw_number")
        except ValidationError:
            pass
        self.rescored += 1
        try:
            fresh = self._evaluate(key, result, normalize_winning_value(value))
        except ValidationError:
            fresh = None
        if fresh is None:
            fields.append("unscorable")
            score, outcome = None, result.outcome
        else:
            fields.extend(self._differences(result, fresh))
            score, outcome = fresh[0], fresh[3]
        if not fields:
            return
        try:
            raw = self._evaluate(key, result, value)
        except ValidationError:
            raw = None
        self.disagreements.append(
            ScoreDisagreement(
                result_id=result.id if result.id is not None else 0,
                fields=tuple(fields),
                legacy_score=result.similarity_score,
                rescored_score=score,
                legacy_outcome=result.outcome,
                rescored_outcome=outcome,
                from_normalisation=raw is not None and not self._differences(result, raw),
            )
        )

    def _evaluate(
        self, key: str, result: _Result, winning: str
    ) -> tuple[float, str | None, str | None, str]:
        evaluation = self.registry.evaluate(key, result.draw_number, winning, result.threshold_used)
        if evaluation.passed is None:
            outcome = OUTCOME_PENDING
        else:
            outcome = OUTCOME_WIN if evaluation.passed else OUTCOME_LOSE
        return (
            evaluation.score,
            evaluation.draw_top_digits,
            evaluation.winning_top_digits,
            outcome,
        )

    @staticmethod
    def _differences(
        result: _Result, fresh: tuple[float, str | None, str | None, str]
    ) -> list[str]:
        stored = (
            result.similarity_score,
            result.draw_top_digits,
            result.winning_top_digits,
            result.outcome,
        )
        names = ("similarity_score", "draw_top_digits", "winning_top_digits", "outcome")
        return [name for name, old, new in zip(names, stored, fresh, strict=True) if old != new]

    # -- report --------------------------------------------------------------------------

    def report(self, dry_run: bool) -> ImportReport:
        """The report of the finished run."""
        return ImportReport(
            source=self.source.url,
            generation=self.source.generation,
            dry_run=dry_run,
            started_at=self.now,
            read=dict(self.read),
            imported=dict(self.imported),
            skipped=tuple(self.skipped),
            minted_checks=tuple(self.minted_checks),
            card_checks=tuple(self.card_checks),
            completed_lines=self.completed_lines,
            unknown_winning_numbers=dict(self.unknown),
            results_on_unknown=self.results_on_unknown,
            results_rescored=self.rescored,
            score_disagreements=tuple(self.disagreements),
        )


__all__ = ["UNKNOWN_WINNING_VALUE", "Progress", "import_legacy"]
