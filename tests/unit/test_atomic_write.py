"""Whole-or-nothing file writes (nictbw.app.files.atomic_write)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nictbw.app.files import FileWriteError, atomic_write
from nictbw.domain.errors import NictbwError, ValidationError


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_completed_write_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "draw.json"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target) as stream:
        stream.write("new")
    assert target.read_text(encoding="utf-8") == "new"
    assert _leftovers(tmp_path) == []


def test_a_failing_writer_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "draw.json"
    target.write_text("previous good export", encoding="utf-8")

    def write_half() -> None:
        with atomic_write(target) as stream:
            stream.write("half of a new one")
            raise ValidationError("boom")

    with pytest.raises(ValidationError, match="boom"):
        write_half()
    assert target.read_text(encoding="utf-8") == "previous good export"
    assert _leftovers(tmp_path) == []


def test_a_failing_disk_keeps_the_previous_file_and_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "draw.json"
    target.write_text("previous good export", encoding="utf-8")

    def full(_descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with (
        pytest.raises(FileWriteError, match=r"cannot write '.*draw\.json': No space left"),
        atomic_write(target) as stream,
    ):
        stream.write("x" * 1000)
    assert target.read_text(encoding="utf-8") == "previous good export"
    assert _leftovers(tmp_path) == []


def test_a_file_size_limit_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "draw.json"
    target.write_text("previous good export", encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import resource, sys
        from nictbw.app.files import FileWriteError, atomic_write
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            with atomic_write({str(target)!r}) as stream:
                for _ in range(100):
                    stream.write("x" * 1000)
        except FileWriteError as exc:
            print(exc)
            sys.exit(3)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 3, done.stderr
    assert f"cannot write {str(target)!r}: File too large" in done.stdout
    assert target.read_text(encoding="utf-8") == "previous good export"
    assert _leftovers(tmp_path) == []


def test_a_symbolic_link_is_refused_and_left_alone(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("keep", encoding="utf-8")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with (
        pytest.raises(FileWriteError, match=r"'.*link\.json': it is a symbolic link"),
        atomic_write(link) as stream,
    ):
        stream.write("new")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "keep"


@pytest.mark.parametrize("where", ["directory", "missing-parent"])
def test_a_target_that_cannot_be_a_file_is_refused(tmp_path: Path, where: str) -> None:
    target = tmp_path if where == "directory" else tmp_path / "absent" / "x.json"
    with pytest.raises(FileWriteError, match="cannot write") as caught, atomic_write(target) as s:
        s.write("new")
    assert isinstance(caught.value, NictbwError)
    assert str(target) in str(caught.value)


def test_the_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "draw.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    with atomic_write(target) as stream:
        stream.write("new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
