"""Reading export files: incremental parsing under a size and a depth limit.

The file is parsed event by event (ijson); the candidate and winner rows are checked one
at a time and handed on (candidates into an on-disk sort, winners into a spool), so a
file of any number of candidates is read in bounded memory. Anything that is not a
well-formed export within the limits raises :class:`MalformedExportError` naming the
file and what is wrong: invalid JSON, NaN, numbers beyond 64 bits or the float range,
nesting deeper than ``max_depth``, more than ``max_bytes`` bytes, duplicate keys.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final

import ijson

from nictbw.domain.errors import MalformedExportError, ValidationError
from nictbw.domain.export.format import JsonObject, ProgressCallback
from nictbw.domain.export.schema import check_candidate, check_format, check_winner, show
from nictbw.domain.export.sealed import VerifyPolicy
from nictbw.domain.export.spool import DEFAULT_RUN_SIZE, Spool
from nictbw.domain.export.verify import (
    VerifyReport,
    candidate_sort,
    iter_spool,
    verify_parts,
)
from nictbw.domain.scoring import AlgorithmRegistry

DEFAULT_MAX_EXPORT_BYTES: Final = 2 * 1024**3
"""Largest export file read by default (2 GiB: about 3.5 million candidates)."""
DEFAULT_MAX_DEPTH: Final = 64
"""Deepest nesting of arrays and objects accepted in an export."""
_STREAMED: Final = ("candidates", "winners")
_CHUNK: Final = 64 * 1024


class _Limited(io.RawIOBase):
    """A binary reader that refuses to deliver more than ``limit`` bytes."""

    def __init__(self, source: IO[bytes], limit: int, name: str) -> None:
        self._source = source
        self._left = limit
        self._limit = limit
        self._name = name
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        data = self._source.read(min(len(view), self._left + 1))
        if len(data) > self._left:
            raise MalformedExportError(
                f"export {self._name!r} is larger than the limit of {self._limit} bytes"
            )
        self._left -= len(data)
        self.consumed += len(data)
        view[: len(data)] = data
        return len(data)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _events(source: IO[bytes], name: str) -> Iterator[tuple[str, Any]]:
    # basic_parse: no prefix strings, whose cost grows with the nesting depth
    try:
        yield from ijson.basic_parse(source, use_float=True, buf_size=_CHUNK)
    except MalformedExportError:
        raise
    except (ijson.JSONError, ValueError, UnicodeError, RecursionError) as exc:
        raise MalformedExportError(
            f"export {name!r} is not valid JSON: {_first_line(exc)}"
        ) from None


def parse_stream(
    source: IO[bytes],
    name: str,
    on_row: Callable[[str, int, Any], None],
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> JsonObject:
    """Parse an export document from ``source``; the top-level object without its rows.

    Each item of the top-level ``candidates`` and ``winners`` lists is given to
    ``on_row(list_name, position, item)`` instead of being kept; those lists come back
    empty. ``name`` names the source in errors.
    """
    stack: list[Any] = []
    keys: list[str | None] = []
    counts = dict.fromkeys(_STREAMED, 0)
    top: Any = None
    seen_top = False
    for event, value in _events(source, name):
        if event == "map_key":
            keys[-1] = value
            if value in stack[-1]:
                raise MalformedExportError(
                    f"export {name!r} repeats the key {show(value)} in one object"
                )
            continue
        if event in ("start_map", "start_array"):
            if len(stack) >= max_depth:
                raise MalformedExportError(
                    f"export {name!r} nests arrays and objects deeper than {max_depth} levels"
                )
            stack.append({} if event == "start_map" else [])
            keys.append(None)
            continue
        if event in ("end_map", "end_array"):
            value = stack.pop()
            keys.pop()
        if not stack:
            top, seen_top = value, True
            continue
        parent = stack[-1]
        if isinstance(parent, dict):
            parent[keys[-1]] = value
            continue
        owner = keys[0] if len(stack) == 2 and isinstance(stack[0], dict) else None
        if owner in _STREAMED:
            assert owner is not None
            on_row(owner, counts[owner], value)
            counts[owner] += 1
        else:
            parent.append(value)
    if not seen_top:
        raise MalformedExportError(f"export {name!r} is empty")
    if not isinstance(top, dict):
        raise MalformedExportError(
            f"export {name!r} must hold a JSON object, got {type(top).__name__}"
        )
    return top


def _open(path: str | Path, max_bytes: int) -> IO[bytes]:
    name = str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller
        size = os.fstat(handle.fileno()).st_size
    except OSError as exc:
        raise ValidationError(f"cannot read export {name!r}: {exc.strerror or exc}") from None
    if size > max_bytes:
        handle.close()
        raise MalformedExportError(
            f"export {name!r} is larger than the limit of {max_bytes} bytes ({size} bytes)"
        )
    return handle


def _read(
    path: str | Path,
    on_row: Callable[[str, int, Any], None],
    max_bytes: int,
    max_depth: int,
) -> JsonObject:
    name = str(path)
    with _open(path, max_bytes) as handle:
        limited = io.BufferedReader(_Limited(handle, max_bytes, name), _CHUNK)
        try:
            return parse_stream(limited, name, on_row, max_depth=max_depth)
        except OSError as exc:
            raise ValidationError(f"cannot read export {name!r}: {exc.strerror or exc}") from None


def read_export(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_EXPORT_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> JsonObject:
    """Load a whole export file as a document (its rows in memory; see
    :func:`verify_export_file` for large files).

    Unreadable -> ``ValidationError``; not JSON, not an object, over ``max_bytes`` or
    nested deeper than ``max_depth`` -> ``MalformedExportError``; both name the file.
    """
    rows: dict[str, list[Any]] = {"candidates": [], "winners": []}

    def keep(owner: str, _position: int, item: Any) -> None:
        rows[owner].append(item)

    document = _read(path, keep, max_bytes, max_depth)
    for owner, items in rows.items():
        if owner in document:
            document[owner] = items
    return document


def verify_export_file(
    path: str | Path,
    *,
    registry: AlgorithmRegistry | None = None,
    max_bytes: int = DEFAULT_MAX_EXPORT_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    progress: ProgressCallback | None = None,
    run_size: int = DEFAULT_RUN_SIZE,
    policy: VerifyPolicy | None = None,
) -> VerifyReport:
    """Verify an export file in bounded memory: parse, check every row, recompute.

    Unreadable -> ``ValidationError``; malformed (see :func:`read_export`, and any field
    of the wrong type) -> ``MalformedExportError``; otherwise the report, whose problems
    are empty when the draw checks out. ``progress(done, total)`` is called while
    reading and recomputing (``total`` None until known). ``policy`` holds what the
    verifier trusts from outside the file (beacon key, margin, published digest).
    """
    candidates = candidate_sort(run_size)
    winners = Spool(run_size)

    def take(owner: str, position: int, item: Any) -> None:
        if owner == "candidates":
            candidates.add(check_candidate(item, position))
            if progress is not None and (position + 1) % 5000 == 0:
                progress(position + 1, None)
        else:
            winners.add(check_winner(item, position))

    try:
        header = _read(path, take, max_bytes, max_depth)
        check_format(header)
        return verify_parts(
            header,
            candidates,
            iter_spool(winners),
            registry=registry,
            progress=progress,
            run_size=run_size,
            policy=policy,
        )
    finally:
        candidates.close()
        winners.close()


__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_EXPORT_BYTES",
    "parse_stream",
    "read_export",
    "verify_export_file",
]
