"""``nictbw draw export`` and ``nictbw verify`` with files: atomic writes, pipes, exit codes."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nictbw.app.cli import app
from nictbw.app.cli import rendering as cli
from tests.trust import fake_public_key

RUNNER = CliRunner()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICTBW_")}
    env["COLUMNS"] = "120"
    return env


@pytest.fixture(scope="module")
def event_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("event") / "event.db"
    url = f"sqlite:///{path}"
    result = RUNNER.invoke(
        app, ["simulate", "--users", "80", "--days", "2", "--seed", "2", "--json", "-d", url]
    )
    assert result.exit_code == 0, result.output
    return url


def _module(
    *args: str, cwd: Path, limit_file_size: int | None = None
) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if limit_file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run(
        [sys.executable, "-m", "nictbw", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit,
    )


def _one_error_line(stderr: str, *fragments: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_export_to_a_file_writes_format_3_that_verifies(event_db: str, tmp_path: Path) -> None:
    target = tmp_path / "draw.json"
    result = RUNNER.invoke(
        app, ["draw", "export", "-t", "bingo_line", "-o", str(target), "-d", event_db]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["format"] == "nictbw.draw-export/3"
    checked = RUNNER.invoke(app, ["verify", "--public-key", fake_public_key(2), str(target)])
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith("OK: bingo_line")


def test_a_failing_export_keeps_the_previous_file(event_db: str, tmp_path: Path) -> None:
    # SQLite itself needs 32 KiB (its shared-memory file); the export is larger than the limit
    limit = 40_000
    whole = _module("draw", "export", "-t", "final_attendance", "-d", event_db, cwd=tmp_path)
    assert whole.returncode == 0, whole.stderr
    assert len(whole.stdout.encode("utf-8")) > limit
    target = tmp_path / "prev.json"
    target.write_text("previous good export\n", encoding="utf-8")
    done = _module(
        "draw", "export", "-t", "final_attendance", "-o", str(target), "-d", event_db,
        cwd=tmp_path, limit_file_size=limit,
    )  # fmt: skip
    assert done.returncode != 0
    _one_error_line(done.stderr, str(target), "File too large")
    assert target.read_text(encoding="utf-8") == "previous good export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["prev.json"]


def test_an_export_onto_a_symbolic_link_is_refused(event_db: str, tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("keep", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    result = RUNNER.invoke(
        app, ["draw", "export", "-t", "bingo_line", "-o", str(link), "-d", event_db]
    )
    assert result.exit_code == 1
    _one_error_line(result.stderr, str(link), "symbolic link")
    assert real.read_text(encoding="utf-8") == "keep"


def test_a_closed_stdout_exits_non_zero_with_a_message(event_db: str, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "nictbw", "draw", "export", "-t", "bingo_line", "-d", event_db],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # the reader goes away before the first byte
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 1
    _one_error_line(stderr, "broken pipe")


@pytest.fixture
def export_file(event_db: str, tmp_path: Path) -> Path:
    target = tmp_path / "draw.json"
    result = RUNNER.invoke(
        app, ["draw", "export", "-t", "bingo_line", "-o", str(target), "-d", event_db]
    )
    assert result.exit_code == 0, result.output
    return target


def test_verify_exits_1_on_a_mismatch(export_file: Path) -> None:
    document = json.loads(export_file.read_text(encoding="utf-8"))
    document["candidates"][0]["outcome"] = (
        "win" if document["candidates"][0]["outcome"] != "win" else "lose"
    )
    export_file.write_text(json.dumps(document), encoding="utf-8")
    result = RUNNER.invoke(app, ["verify", str(export_file)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1].startswith("FAILED:")


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda t: t.replace('"similarity": ', '"similarity": NaN, "x": ', 1), "not valid JSON"),
        (lambda t: t.replace('"threshold": ', '"threshold": 1e400, "x": ', 1), "not valid JSON"),
        (
            lambda t: t.replace(
                '"candidate_count": ', '"candidate_count": ' + "9" * 5000 + ', "x": ', 1
            ),
            "not valid JSON",
        ),
        (lambda t: "[" * 100_000 + "]" * 100_000, "deeper than"),
        (lambda t: t.replace('"id": ', '"ident": ', 1), "winning_number has no 'id'"),
        (lambda t: t.replace('"rank": 1', '"rank": "1"', 1), "winners[0].rank must be int"),
    ],
)
def test_verify_exits_2_on_a_malformed_file_and_prints_no_ok(
    export_file: Path, edit: object, fragment: str
) -> None:
    text = export_file.read_text(encoding="utf-8")
    assert callable(edit)
    export_file.write_text(edit(text), encoding="utf-8")
    result = RUNNER.invoke(app, ["verify", str(export_file)])
    assert result.exit_code == 2
    assert result.stdout == ""
    _one_error_line(result.stderr, "malformed export: ", fragment)


def test_verify_of_an_endless_device_exits_2(tmp_path: Path) -> None:
    done = _module("verify", "/dev/zero", cwd=tmp_path)
    assert done.returncode == 2
    _one_error_line(done.stderr, "malformed export: ", "/dev/zero")


def test_verify_refuses_a_file_over_the_size_limit(export_file: Path) -> None:
    result = RUNNER.invoke(app, ["verify", "--max-bytes", "1000", str(export_file)])
    assert result.exit_code == 2
    _one_error_line(result.stderr, "larger than the limit of 1000 bytes")


def test_verify_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["verify", str(tmp_path / "absent.json")])
    assert result.exit_code == 2
    _one_error_line(result.stderr, "cannot read export")


class _Terminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_appears_only_on_a_terminal_after_about_a_second(
    monkeypatch: pytest.MonkeyPatch, tty: bool
) -> None:
    now = [100.0]
    stream = _Terminal(tty)
    monkeypatch.setattr(cli.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(sys, "stderr", stream)
    with cli.slow_progress("verifying") as update:
        update(5000, None)
        assert stream.getvalue() == ""
        now[0] += 1.5
        update(10_000, 20_000)
        update(20_000, 20_000)
    assert ("verifying" in stream.getvalue()) is tty
