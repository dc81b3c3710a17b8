"""Bounded-memory sequences of JSON rows: a spool (keeps order) and an external sort.

A draw can hold hundreds of thousands of candidates; export and verify keep at most
``run_size`` rows in memory and spill the rest to anonymous temporary files (one JSON text
per line), so their memory does not grow with the number of candidates.
"""

from __future__ import annotations

import heapq
import json
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any, Final

DEFAULT_RUN_SIZE: Final = 20_000
"""Rows kept in memory before a spool or sort spills a run to disk."""


def _dump(rows: list[Any]) -> IO[str]:
    run = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed by owner
    for row in rows:
        run.write(json.dumps(row, ensure_ascii=False, allow_nan=False))
        run.write("\n")
    run.seek(0)
    return run


def _load(run: IO[str]) -> Iterator[Any]:
    run.seek(0)
    for line in run:
        yield json.loads(line)


class Spool:
    """Rows in the order they were added; past ``run_size`` they go to temporary files."""

    def __init__(self, run_size: int = DEFAULT_RUN_SIZE) -> None:
        self._run_size = run_size
        self._buffer: list[Any] = []
        self._runs: list[IO[str]] = []
        self.count = 0

    def add(self, row: Any) -> None:
        """Append one JSON-serialisable row."""
        self._buffer.append(row)
        self.count += 1
        if len(self._buffer) >= self._run_size:
            self._runs.append(_dump(self._buffer))
            self._buffer = []

    def __iter__(self) -> Iterator[Any]:
        for run in self._runs:
            yield from _load(run)
        yield from self._buffer

    def close(self) -> None:
        """Drop the rows and delete the temporary files."""
        for run in self._runs:
            run.close()
        self._runs = []
        self._buffer = []


class ExternalSort(Spool):
    """Rows given in any order, read back sorted by ``key`` (stable) in bounded memory."""

    def __init__(self, key: Callable[[Any], Any], run_size: int = DEFAULT_RUN_SIZE) -> None:
        super().__init__(run_size)
        self._key = key

    def add(self, row: Any) -> None:
        """Add one JSON-serialisable row."""
        self._buffer.append(row)
        self.count += 1
        if len(self._buffer) >= self._run_size:
            self._buffer.sort(key=self._key)
            self._runs.append(_dump(self._buffer))
            self._buffer = []

    def __iter__(self) -> Iterator[Any]:
        self._buffer.sort(key=self._key)
        if not self._runs:
            return iter(list(self._buffer))
        sources = [_load(run) for run in self._runs] + [iter(self._buffer)]
        return heapq.merge(*sources, key=self._key)


__all__ = ["DEFAULT_RUN_SIZE", "ExternalSort", "Spool"]
