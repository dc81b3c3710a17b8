"""Writing files whole or not at all.

:func:`atomic_write` writes to a temporary file in the target's directory, flushes and
fsyncs it, then renames it over the target: a failure at any point (disk full, file size
limit, an exception of the writer) leaves the previous file untouched and removes the
temporary one. A symbolic link as target is refused rather than followed or replaced;
every error names the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from nictbw.domain.errors import NictbwError


class FileWriteError(NictbwError):
    """A file could not be written; the message names the path and the reason."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _mode_for(target: Path) -> int:
    """The mode of the existing target, else what a new file gets under the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _check_target(target: Path) -> None:
    if target.is_symlink():
        raise FileWriteError(
            f"cannot write {str(target)!r}: it is a symbolic link; give the real path"
        )
    if target.exists() and not target.is_file():
        raise FileWriteError(f"cannot write {str(target)!r}: it is not a regular file")
    if not target.parent.is_dir():
        raise FileWriteError(f"cannot write {str(target)!r}: no directory {str(target.parent)!r}")


@contextlib.contextmanager
def atomic_write(path: str | Path, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """A text stream whose content replaces ``path`` only when the block ends without error.

    Refuses a symbolic link, a directory or a missing parent directory with
    ``FileWriteError``; an ``OSError`` while writing, flushing or renaming becomes a
    ``FileWriteError`` naming the path. The file keeps the mode of the file it replaces.
    """
    target = Path(path)
    _check_target(target)
    shown = str(target)
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise FileWriteError(f"cannot write {shown!r}: {_reason(exc)}") from None
    done = False
    try:
        with os.fdopen(descriptor, "w", encoding=encoding, newline="") as stream:
            try:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            except OSError as exc:
                raise FileWriteError(f"cannot write {shown!r}: {_reason(exc)}") from None
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
        done = True
        _sync_directory(target.parent)
    except OSError as exc:
        raise FileWriteError(f"cannot write {shown!r}: {_reason(exc)}") from None
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)


__all__ = ["FileWriteError", "atomic_write"]
