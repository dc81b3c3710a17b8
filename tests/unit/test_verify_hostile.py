"""Hostile and malformed export files: typed one-line errors, never a crash or a false OK."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.simulation import SimulationSettings, run_simulation
from nictbw.domain.errors import MalformedExportError, ValidationError
from nictbw.domain.export import (
    EXPORT_FORMAT_V1,
    EXPORT_FORMAT_V2,
    read_export,
)
from nictbw.domain.export import verify_document as _verify_document
from nictbw.domain.export import verify_export as _verify_export
from nictbw.domain.export import verify_export_file as _verify_export_file
from nictbw.workflows import export_draw
from tests.trust import trusting

AFTER_EVENT = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))

TRUST = trusting(5)
"""The simulated draws are sealed on the simulation's fake beacon: trust its key."""


def verify_document(data: Any, **options: Any) -> Any:
    """``verify_document`` trusting the simulation's beacon unless told otherwise."""
    options.setdefault("policy", TRUST)
    return _verify_document(data, **options)


def verify_export(data: Any, **options: Any) -> Any:
    """``verify_export`` trusting the simulation's beacon unless told otherwise."""
    options.setdefault("policy", TRUST)
    return _verify_export(data, **options)


def verify_export_file(data: Any, **options: Any) -> Any:
    """``verify_export_file`` trusting the simulation's beacon unless told otherwise."""
    options.setdefault("policy", TRUST)
    return _verify_export_file(data, **options)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The export of a small simulated attendance draw (it has a snapshot)."""
    store = InMemoryStore()
    run_simulation(lambda: InMemoryUnitOfWork(store), SimulationSettings(users=30, days=2, seed=5))
    with InMemoryUnitOfWork(store) as uow:
        return export_draw(uow, "final_attendance", clock=AFTER_EVENT)


def _write(tmp_path: Path, data: Any, name: str = "draw.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_the_fixture_verifies_from_a_file(document: dict[str, Any], tmp_path: Path) -> None:
    assert document["snapshot"] is not None
    report = verify_export_file(_write(tmp_path, document))
    assert report.problems == ()
    assert report.candidate_count == len(document["candidates"]) > 0


# --- the file itself ----------------------------------------------------------------------


def test_deeply_nested_json_is_malformed_not_a_recursion_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "[" * 200_000 + "]" * 200_000)
    for read in (read_export, verify_export_file):
        with pytest.raises(MalformedExportError, match="deeper than 64 levels") as caught:
            read(path)
        assert "draw.json" in _one_line(caught)


def test_deep_nesting_inside_a_field_is_malformed(document: dict[str, Any], tmp_path: Path) -> None:
    text = json.dumps(document).replace(
        '"metadata": {', '"metadata": {"x": ' + "[" * 5000 + "]" * 5000 + ", ", 1
    )
    with pytest.raises(MalformedExportError, match="deeper than"):
        verify_export_file(_write(tmp_path, text))


@pytest.mark.parametrize(
    "literal", ["9" * 5000, "12345678901234567890123", "1e400", "-1e400", "NaN", "Infinity"]
)
def test_numbers_out_of_range_are_malformed(
    document: dict[str, Any], tmp_path: Path, literal: str
) -> None:
    text = json.dumps(document).replace(
        '"candidate_count": ', f'"candidate_count": {literal}, "x": ', 1
    )
    path = _write(tmp_path, text)
    with pytest.raises(MalformedExportError) as caught:
        verify_export_file(path)
    assert "draw.json" in _one_line(caught)


@pytest.mark.parametrize("literal", ["NaN", "1e400", "-Infinity"])
@pytest.mark.parametrize("field", ["similarity", "threshold_used"])
def test_non_finite_scores_in_a_file_are_malformed(
    document: dict[str, Any], tmp_path: Path, literal: str, field: str
) -> None:
    text = json.dumps(document)
    head, _, tail = text.partition(f'"{field}": ')
    value_end = min(i for i in (tail.find(","), tail.find("}")) if i >= 0)
    path = _write(tmp_path, head + f'"{field}": {literal}' + tail[value_end:])
    with pytest.raises(MalformedExportError):
        verify_export_file(path)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("where", ["threshold", "similarity", "default_threshold"])
def test_non_finite_numbers_in_a_document_are_malformed(
    document: dict[str, Any], value: float, where: str
) -> None:
    tampered = copy.deepcopy(document)
    if where == "threshold":
        tampered["threshold"] = value
    elif where == "similarity":
        tampered["candidates"][0]["similarity"] = value
    else:
        tampered["draw_type"]["default_threshold"] = value
    with pytest.raises(MalformedExportError, match="finite number"):
        verify_export(tampered)


def test_an_integer_beyond_64_bits_in_a_document_is_malformed(document: dict[str, Any]) -> None:
    tampered = copy.deepcopy(document)
    tampered["candidates"][0]["user_id"] = 10**5000
    with pytest.raises(MalformedExportError, match=r"candidates\[0\]\.user_id .*64 bits"):
        verify_export(tampered)


def test_a_file_over_the_size_limit_is_refused_before_reading(
    document: dict[str, Any], tmp_path: Path
) -> None:
    path = _write(tmp_path, document)
    with pytest.raises(MalformedExportError, match="larger than the limit of 100 bytes"):
        verify_export_file(path, max_bytes=100)


def test_an_endless_device_is_refused_not_a_memory_error() -> None:
    with pytest.raises(MalformedExportError, match="/dev/zero"):
        verify_export_file("/dev/zero")


def test_an_endless_stream_is_cut_at_the_size_limit(tmp_path: Path) -> None:
    # a pipe has no size to check up front: the reader must stop at the limit itself
    path = tmp_path / "pipe.json"
    os.mkfifo(path)

    def feed() -> None:
        with contextlib.suppress(OSError), path.open("w", encoding="utf-8") as pipe:
            pipe.write('{"format": "')
            for _ in range(1000):
                pipe.write("x" * 1000)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    with pytest.raises(MalformedExportError, match="larger than the limit of 10000 bytes"):
        verify_export_file(path, max_bytes=10_000)
    writer.join(timeout=10)


def test_a_duplicate_key_is_malformed(document: dict[str, Any], tmp_path: Path) -> None:
    text = json.dumps(document).replace('"limit": ', '"limit": 3, "limit": ', 1)
    with pytest.raises(MalformedExportError, match="repeats the key 'limit'"):
        verify_export_file(_write(tmp_path, text))


@pytest.mark.parametrize("text", ["", "   ", "\x00\x00", '{"a": 1} [', "\udcff", "null"])
def test_garbage_is_malformed(tmp_path: Path, text: str) -> None:
    path = tmp_path / "g.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(MalformedExportError):
        verify_export_file(path)


def test_an_unreadable_file_is_a_validation_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"cannot read export .*absent\.json") as caught:
        verify_export_file(tmp_path / "absent.json")
    assert not isinstance(caught.value, MalformedExportError)


# --- the structure ------------------------------------------------------------------------


def test_a_snapshot_without_id_is_malformed(document: dict[str, Any], tmp_path: Path) -> None:
    tampered = copy.deepcopy(document)
    del tampered["snapshot"]["id"]
    with pytest.raises(MalformedExportError, match="snapshot has no 'id'"):
        verify_export(tampered)
    with pytest.raises(MalformedExportError, match="snapshot has no 'id'"):
        verify_export_file(_write(tmp_path, tampered))


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (_set(("candidates",), {"a": 1}), "export.candidates must be list"),
        (_set(("winners",), "none"), "export.winners must be list"),
        (_set(("candidates", 0), [1, 2]), r"candidates\[0\] must be an? object"),
        (_set(("winners", 0), 7), r"winners\[0\] must be an? object"),
        (_set(("winners", 0, "rank"), "1"), r"winners\[0\]\.rank must be int"),
        (_set(("candidates", 0, "similarity"), [[[]]]), r"candidates\[0\]\.similarity"),
        (_set(("candidates", 0, "outcome"), None), r"candidates\[0\]\.outcome must be str"),
        (_set(("candidates", 0, "result_id"), True), r"candidates\[0\]\.result_id must be int"),
        (_set(("winning_number",), []), "export.winning_number must be object"),
        (_set(("winning_number", "value"), 42), "winning_number.value must be str"),
        (_set(("draw_type", "algorithm_key"), None), "draw_type.algorithm_key must be str"),
        (_set(("snapshot", "candidate_set_sha256"), 5), "snapshot.candidate_set_sha256"),
        (_set(("snapshot",), "yes"), "export.snapshot must be object or null"),
        (_set(("limit",), 2.5), "export.limit must be int or null"),
        (_set(("threshold",), "0.5"), "export.threshold must be number or null"),
        (_set(("candidate_count",), None), "export.candidate_count must be int"),
        (_set(("format",), ["nictbw.draw-export/2"]), "export format a list of 1 items"),
        (_set(("bonus",), 1), r"unknown keys \['bonus'\]"),
        (_set(("winners", 0, "extra"), 1), "unknown keys"),
    ],
)
def test_wrong_types_anywhere_are_malformed_in_a_document_and_a_file(
    document: dict[str, Any], tmp_path: Path, change: Any, fragment: str
) -> None:
    tampered = copy.deepcopy(document)
    change(tampered)
    with pytest.raises(MalformedExportError, match=fragment) as caught:
        verify_export(tampered)
    _one_line(caught)
    with pytest.raises(MalformedExportError, match=fragment):
        verify_export_file(_write(tmp_path, tampered))


def test_a_deeply_nested_value_is_described_without_walking_into_it(
    document: dict[str, Any],
) -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    tampered = copy.deepcopy(document)
    tampered["candidates"][0]["user"] = deep
    with pytest.raises(MalformedExportError, match=r"candidates\[0\]\.user must be str or null"):
        verify_export(tampered)


# --- order, size and the old format -------------------------------------------------------


def test_candidates_in_any_order_verify_from_a_file_with_an_on_disk_sort(
    document: dict[str, Any], tmp_path: Path
) -> None:
    shuffled = copy.deepcopy(document)
    random.Random(4).shuffle(shuffled["candidates"])
    report = verify_export_file(_write(tmp_path, shuffled), run_size=3)
    assert report.problems == ()


def test_tampering_is_still_found_with_an_on_disk_sort(
    document: dict[str, Any], tmp_path: Path
) -> None:
    tampered = copy.deepcopy(document)
    loser = next(c for c in reversed(tampered["candidates"]) if c["outcome"] == "lose")
    loser["user"] = "mallory"
    report = verify_export_file(_write(tmp_path, tampered), run_size=2)
    assert len(report.problems) == 1
    assert "candidate_rows_sha256" in report.problems[0]


def test_a_duplicated_candidate_is_found_with_an_on_disk_sort(
    document: dict[str, Any], tmp_path: Path
) -> None:
    tampered = copy.deepcopy(document)
    tampered["candidates"].insert(0, dict(tampered["candidates"][-1]))
    tampered["candidate_count"] += 1
    report = verify_export_file(_write(tmp_path, tampered), run_size=2)
    assert any("appears more than once" in p for p in report.problems)


def _as_version_2(document: dict[str, Any]) -> dict[str, Any]:
    """The same uncapped draw written in format 2 (a sealed block dropped: then unsealed)."""
    assert document["max_wins_per_user"] is None
    old = {k: v for k, v in document.items() if k not in ("sealed", "max_wins_per_user")}
    old["format"] = EXPORT_FORMAT_V2
    return old


def test_format_2_files_are_still_read_and_verified(
    document: dict[str, Any], tmp_path: Path
) -> None:
    old = _as_version_2(document)
    assert verify_export(old) == []
    report = verify_export_file(_write(tmp_path, old))
    assert report.problems == ()
    assert report.format == EXPORT_FORMAT_V2
    assert not report.sealed


def test_a_sealed_block_is_refused_in_a_format_2_file(document: dict[str, Any]) -> None:
    old = _as_version_2(document)
    old["sealed"] = None
    with pytest.raises(MalformedExportError, match="unknown keys"):
        verify_export(old)


def _as_version_1(document: dict[str, Any]) -> dict[str, Any]:
    """The same draw written in format 1: one name for both digests."""
    old: dict[str, Any] = {}
    for key, value in _as_version_2(document).items():
        if key == "candidate_rows_sha256":
            old["candidates_sha256"] = value
        elif key == "snapshot" and value is not None:
            old[key] = {
                ("candidates_sha256" if k == "candidate_set_sha256" else k): v
                for k, v in value.items()
            }
        else:
            old[key] = value
    old["format"] = EXPORT_FORMAT_V1
    return old


def test_format_1_files_are_still_read_and_verified(
    document: dict[str, Any], tmp_path: Path
) -> None:
    old = _as_version_1(document)
    assert verify_export(old) == []
    report = verify_export_file(_write(tmp_path, old))
    assert report.problems == ()
    assert report.format == EXPORT_FORMAT_V1
    assert read_export(_write(tmp_path, old, "again.json")) == old


@pytest.mark.parametrize("where", ["top", "snapshot"])
def test_tampering_with_a_format_1_digest_fails(document: dict[str, Any], where: str) -> None:
    old = _as_version_1(document)
    (old if where == "top" else old["snapshot"])["candidates_sha256"] = "0" * 64
    problems = verify_export(old)
    assert len(problems) == 1
    assert "candidates_sha256" in problems[0]


def test_format_2_names_refused_in_a_format_1_file(document: dict[str, Any]) -> None:
    mixed = copy.deepcopy(document)
    mixed["format"] = EXPORT_FORMAT_V1
    with pytest.raises(MalformedExportError, match="has no 'candidates_sha256'"):
        verify_export(mixed)


def test_the_report_holds_everything_the_ok_line_needs(document: dict[str, Any]) -> None:
    report = verify_document(copy.deepcopy(document))
    assert report.ok
    assert report.draw_type == "final_attendance"
    assert report.winner_count == len(document["winners"])
    assert report.digest == document["candidate_rows_sha256"]
    assert report.snapshot_id == document["snapshot"]["id"]
