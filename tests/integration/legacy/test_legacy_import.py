"""import_legacy: every mapped field row by row, the report, refusal, read-only source."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from nictbw.adapters.clock import FixedClock
from nictbw.adapters.legacy import LegacySource
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.legacy_import import UNKNOWN_WINNING_VALUE, import_legacy, run_import_legacy
from nictbw.domain import ConflictError, User, ValidationError
from tests.integration.legacy.conftest import LegacySourceDb
from tests.integration.legacy.support import DEFINITION_EXTRA_FIELDS, file_sha256

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

USER_FIELDS = (
    "in_app_id",
    "password_hash",
    "password_provided",
    "nickname",
    "paymail",
    "on_chain_id",
    "fcm_token",
    "initial_reward_claimed",
    "is_test_user",
    "created_at",
    "updated_at",
)
DEFINITION_FIELDS = (
    "prefix",
    "shared_key",
    "name",
    "nft_type",
    "category",
    "subcategory",
    "description",
    "promotional_text",
    "store_url",
    "image_url",
    "qr_image_url",
    "local_image_path",
    "store_name",
    "latitude",
    "longitude",
    "max_supply",
    "status",
    "triggers_bingo_card",
    "bingo_random_candidate",
    "is_dummy",
    "is_public",
    "created_by_admin_id",
    "created_at",
    "updated_at",
)
INSTANCE_FIELDS = (
    "user_id",
    "definition_id",
    "serial_number",
    "unique_instance_id",
    "acquired_at",
    "status",
    "nft_origin",
    "blockchain_nft_id",
    "current_nft_location",
    "blockchain_name",
    "sub_type",
    "blockchain_created_at",
    "blockchain_updated_at",
    "transaction_id",
    "contract_address",
    "token_id",
)
CARD_FIELDS = (
    "user_id",
    "period_id",
    "issued_at",
    "start_time",
    "issuance_month",
    "completed_at",
    "expiry",
    "state",
    "bingo_reward_claimed",
)
CELL_FIELDS = (
    "bingo_card_id",
    "idx",
    "target_definition_id",
    "definition_id",
    "matched_nft_instance_id",
    "state",
    "unlocked_at",
)
DRAW_TYPE_FIELDS = (
    "internal_name",
    "display_name",
    "description",
    "algorithm_key",
    "default_threshold",
    "created_at",
    "updated_at",
)
RESULT_FIELDS = (
    "draw_type_id",
    "user_id",
    "definition_id",
    "nft_instance_id",
    "draw_number",
    "similarity_score",
    "draw_top_digits",
    "winning_top_digits",
    "threshold_used",
    "outcome",
    "evaluated_at",
)


def _same(entity: Any, row: dict[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        assert getattr(entity, name) == row[name], (type(entity).__name__, entity.id, name)


def _email(value: str | None) -> str | None:
    return (value.strip().lower() or None) if value is not None else None


def _import(legacy: LegacySourceDb, uow_factory: Callable[[], Any]) -> Any:
    with uow_factory() as uow:
        report = import_legacy(legacy.url, uow, clock=FixedClock(NOW))
        uow.commit()
    return report


def _assert_imported_rows(legacy: LegacySourceDb, uow_factory: Callable[[], Any]) -> None:
    data = legacy.data
    with uow_factory() as uow:
        users = {user.id: user for user in uow.users.list()}
        assert sorted(users) == [row["id"] for row in data.kept("users")]
        for row in data.kept("users"):
            _same(users[row["id"]], row, USER_FIELDS)
            assert users[row["id"]].email == _email(row["email"])
        admins = {admin.id: admin for admin in uow.admins.list()}
        assert sorted(admins) == [row["id"] for row in data.kept("admins")]
        for row in data.kept("admins"):
            _same(admins[row["id"]], row, ("password_hash", "name", "role", "created_at"))
            assert admins[row["id"]].email == _email(row["email"])
        definitions = {d.id: d for d in uow.definitions.list()}
        assert sorted(definitions) == [row["id"] for row in data.kept("definitions")]
        counts: dict[int, int] = {}
        for row in data.rows["instances"]:
            counts[row["definition_id"]] = max(
                counts.get(row["definition_id"], 0), row["serial_number"] + 1
            )
        for row in data.kept("definitions"):
            definition = definitions[row["id"]]
            _same(definition, row, DEFINITION_FIELDS)
            extra = {key: row[key] for key in DEFINITION_EXTRA_FIELDS if row[key] is not None}
            assert definition.imported_extra == (extra or None)
            assert definition.minted_count == max(row["minted_count"], counts.get(row["id"], 0))
        instances = {i.id: i for i in uow.instances.list()}
        assert sorted(instances) == [row["id"] for row in data.kept("instances")]
        for row in data.kept("instances"):
            instance = instances[row["id"]]
            _same(instance, row, INSTANCE_FIELDS)
            meta = json.loads(row["other_meta"]) if row["other_meta"] else None
            extra = {
                key: row[key] for key in ("nft_id_hash", "error_message") if row[key] is not None
            }
            if row.get("raw_tx_data") is not None and data.generation == "v1":
                extra["raw_tx_data"] = {
                    "bytes": len(row["raw_tx_data"]),
                    "sha256": instance.other_meta["imported_extra"]["raw_tx_data"]["sha256"],
                }
            expected = {**(meta or {}), "imported_extra": extra} if extra else meta
            assert instance.other_meta == expected
        cards = {card.id: card for card in uow.bingo_cards.list()}
        assert sorted(cards) == [row["id"] for row in data.kept("bingo_cards")]
        cells = {cell["id"]: cell for cell in data.rows["bingo_cells"]}
        for row in data.kept("bingo_cards"):
            card = cards[row["id"]]
            _same(card, row, CARD_FIELDS)
            stored = {cell.id: cell for cell in card.cells}
            expected_cells = [c for c in cells.values() if c["bingo_card_id"] == row["id"]]
            assert sorted(stored) == sorted(c["id"] for c in expected_cells)
            for cell_row in expected_cells:
                _same(stored[cell_row["id"]], cell_row, CELL_FIELDS)
            assert card.center_definition_id == card.cell_at(4).target_definition_id
        draw_types = {dt.id: dt for dt in uow.draw_types.list()}
        assert sorted(draw_types) == [row["id"] for row in data.kept("draw_types")]
        for row in data.kept("draw_types"):
            _same(draw_types[row["id"]], row, DRAW_TYPE_FIELDS)
        numbers = {n.id: n for n in uow.winning_numbers.list()}
        kept_numbers = data.kept("winning_numbers")
        unknown_id = max(row["id"] for row in data.rows["winning_numbers"]) + 1
        assert sorted(numbers) == [*(row["id"] for row in kept_numbers), unknown_id]
        for row in kept_numbers:
            _same(numbers[row["id"]], row, ("draw_type_id", "value", "created_at"))
        unknown = numbers[unknown_id]
        assert unknown.value == UNKNOWN_WINNING_VALUE
        assert not unknown.in_effect(NOW)
        results = {r.id: r for r in uow.draw_results.list()}
        assert sorted(results) == [row["id"] for row in data.kept("results")]
        for row in data.kept("results"):
            result = results[row["id"]]
            _same(result, row, RESULT_FIELDS)
            if row["winning_number_id"] is None and row["similarity_score"] is not None:
                assert result.winning_number_id == unknown_id
            else:
                assert result.winning_number_id == row["winning_number_id"]


def test_import_keeps_every_mapped_field_and_id(
    legacy: LegacySourceDb, uow_factory: Callable[[], Any]
) -> None:
    before = file_sha256(legacy.path) if legacy.path is not None else None
    _import(legacy, uow_factory)
    _assert_imported_rows(legacy, uow_factory)
    if legacy.path is not None:
        assert file_sha256(legacy.path) == before


def test_report_counts_skips_and_cross_checks(
    legacy: LegacySourceDb, uow_factory: Callable[[], Any]
) -> None:
    report = _import(legacy, uow_factory)
    data = legacy.data
    assert report.generation == data.generation
    for kind, rows in data.rows.items():
        assert report.read[kind] == len(rows), kind
    assert report.imported["users"] == len(data.kept("users"))
    assert report.imported["instances"] == len(data.kept("instances"))
    assert report.imported["bingo_cells"] == 9
    assert report.imported["winning_numbers"] == len(data.kept("winning_numbers"))
    assert list(report.unknown_winning_numbers) == [1]
    assert report.imported["results"] == len(data.kept("results"))
    skipped = {(row.table, row.row_id): row.reason for row in report.skipped}
    assert set(skipped) == set(data.skipped)
    for key, fragment in data.skipped.items():
        assert fragment in skipped[key], (key, skipped[key])
    assert report.completed_lines == 1
    assert report.card_checks == ()
    assert report.results_on_unknown == 1
    assert report.results_rescored == 2
    [disagreement] = report.score_disagreements
    assert disagreement.result_id == 2
    assert disagreement.from_normalisation is True
    assert "similarity_score" in disagreement.fields
    minted = {check.definition_id: check for check in report.minted_checks}
    assert minted[2].legacy_minted_count == 5
    assert minted[2].imported_minted_count == 5
    assert minted[3].imported_minted_count == 1
    assert json.loads(json.dumps(report.to_dict()))["imported"] == dict(report.imported)
    with uow_factory() as uow:
        extra = uow.definitions.get(2).imported_extra
    assert extra["template_id"] == 7
    assert extra["bingo_period_id"] == 3
    assert extra["bingo_group_id"] == 2
    assert extra["distributes_coupons"] is True


def test_second_import_is_refused_and_changes_nothing(
    legacy: LegacySourceDb, uow_factory: Callable[[], Any]
) -> None:
    _import(legacy, uow_factory)
    with pytest.raises(ConflictError, match="not empty"):
        _import(legacy, uow_factory)
    _assert_imported_rows(legacy, uow_factory)


def test_a_failure_midway_leaves_the_target_empty(
    legacy: LegacySourceDb, uow_factory: Callable[[], Any]
) -> None:
    def fail_at_cards(kind: str, done: int, total: int) -> None:
        if kind == "bingo_cards":
            raise RuntimeError("interrupted")

    with uow_factory() as uow, pytest.raises(RuntimeError, match="interrupted"):
        import_legacy(legacy.url, uow, progress=fail_at_cards)
    with uow_factory() as uow:
        assert uow.users.list() == []
        assert uow.instances.list() == []
    _import(legacy, uow_factory)
    _assert_imported_rows(legacy, uow_factory)


def test_ids_continue_after_the_highest_imported_id(
    legacy: LegacySourceDb, uow_factory: Callable[[], Any]
) -> None:
    _import(legacy, uow_factory)
    highest = max(row["id"] for row in legacy.data.kept("users"))
    with uow_factory() as uow:
        user = uow.users.add(User(in_app_id="after-import", created_at=NOW, updated_at=NOW))
        uow.commit()
    assert user.id == highest + 1
    with uow_factory() as uow:
        assert uow.users.get(user.id) is not None


def test_dry_run_imports_into_memory_only(legacy_sqlite: LegacySourceDb, tmp_path: Any) -> None:
    target = tmp_path / "target.db"
    report, rendered = run_import_legacy(
        legacy_sqlite.url, database=f"sqlite:///{target}", dry_run=True
    )
    assert report.dry_run is True
    assert rendered["dry_run"] is True
    assert rendered["imported"]["users"] == len(legacy_sqlite.data.kept("users"))
    assert not target.exists()


def test_command_imports_into_a_database_and_commits(
    legacy_sqlite: LegacySourceDb, tmp_path: Any
) -> None:
    target = f"sqlite:///{tmp_path / 'target.db'}"
    report, _ = run_import_legacy(legacy_sqlite.url, database=target)
    assert report.dry_run is False
    from nictbw.adapters.sqlalchemy import make_engine
    from tests.sql_backends import SqlUowFactory

    engine = make_engine(target)
    try:
        _assert_imported_rows(legacy_sqlite, SqlUowFactory(engine))
    finally:
        engine.dispose()
    with pytest.raises(ConflictError):
        run_import_legacy(legacy_sqlite.url, database=target)


def test_progress_is_reported_per_kind(legacy_sqlite: LegacySourceDb) -> None:
    seen: list[tuple[str, int, int]] = []
    with InMemoryUnitOfWork(InMemoryStore()) as uow:
        import_legacy(legacy_sqlite.url, uow, progress=lambda *args: seen.append(args))
    kinds = {kind for kind, _, _ in seen}
    assert {"users", "instances", "bingo_cards", "results"} <= kinds
    assert (
        "users",
        len(legacy_sqlite.data.rows["users"]),
        len(legacy_sqlite.data.rows["users"]),
    ) in seen


def test_small_chunks_give_the_same_import(legacy_sqlite: LegacySourceDb) -> None:
    with InMemoryUnitOfWork(InMemoryStore()) as uow:
        whole = import_legacy(legacy_sqlite.url, uow, clock=FixedClock(NOW))
    with InMemoryUnitOfWork(InMemoryStore()) as uow:
        chunked = import_legacy(legacy_sqlite.url, uow, clock=FixedClock(NOW), chunk_size=2)
    assert chunked == whole


def test_source_is_opened_read_only(legacy: LegacySourceDb) -> None:
    with LegacySource(legacy.url) as source, pytest.raises(DBAPIError):
        source._conn.exec_driver_sql("DELETE FROM users")


def test_a_database_without_legacy_tables_is_refused(tmp_path: Any) -> None:
    empty = tmp_path / "empty.db"
    import sqlite3

    sqlite3.connect(empty).close()
    with (
        InMemoryUnitOfWork(InMemoryStore()) as uow,
        pytest.raises(ValidationError, match=r"neither the v0\.x tables"),
    ):
        import_legacy(f"sqlite:///{empty}", uow)


def test_a_missing_file_is_refused(tmp_path: Any) -> None:
    with (
        InMemoryUnitOfWork(InMemoryStore()) as uow,
        pytest.raises(ValidationError, match="does not exist"),
    ):
        import_legacy(f"sqlite:///{tmp_path / 'nope.db'}", uow)
    assert not (tmp_path / "nope.db").exists()


_LISTED = (
    "users",
    "admins",
    "definitions",
    "instances",
    "bingo_cards",
    "draw_types",
    "winning_numbers",
    "draw_results",
)


def _stored(uow_factory: Callable[[], Any]) -> dict[str, list[Any]]:
    with uow_factory() as uow:
        return {name: getattr(uow, name).list() for name in _LISTED}


@pytest.mark.parametrize("target", ["memory", "sqlite", "postgres"])
@pytest.mark.parametrize("chunk_size", [2, 5_000])
def test_column_path_stores_what_the_row_path_stores(
    legacy: LegacySourceDb,
    tmp_path: Any,
    target: str,
    chunk_size: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nictbw.adapters.memory.importing import InMemoryRowImporter
    from nictbw.adapters.sqlalchemy.importing import SqlRowImporter
    from tests.conftest import make_uow_factory

    bulk_kinds: list[str] = []
    for cls in (InMemoryRowImporter, SqlRowImporter):
        original = cls.import_columns

        def spy(self: Any, kind: str, columns: Any, _original: Any = original) -> None:
            bulk_kinds.append(kind)
            _original(self, kind, columns)

        monkeypatch.setattr(cls, "import_columns", spy)
    reports = {}
    stored = {}
    for bulk in (True, False):
        folder = tmp_path / str(bulk)
        folder.mkdir()
        factories = make_uow_factory(target, folder)
        factory = next(factories)
        with factory() as uow:
            reports[bulk] = import_legacy(
                legacy.url, uow, clock=FixedClock(NOW), chunk_size=chunk_size, bulk=bulk
            )
            uow.commit()
        stored[bulk] = _stored(factory)
        factories.close()
        if bulk and chunk_size == 2:  # the clean pairs of rows went column by column
            assert {"users", "instances", "results"} <= set(bulk_kinds)
        if not bulk:
            assert bulk_kinds == []
        bulk_kinds.clear()
    assert reports[True] == reports[False]
    assert stored[True] == stored[False]
