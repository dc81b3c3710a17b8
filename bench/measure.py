"""Measuring a phase: wall time, SQL statements, peak RSS, optional cProfile; the hashing limit.

Peak RSS is the kernel's high-water mark (``VmHWM``). Where Linux allows it, the mark is
reset at the start of every phase (``/proc/self/clear_refs``), so each phase reports its
own peak; elsewhere the process peak so far is reported.
"""

from __future__ import annotations

import cProfile
import gc
import hashlib
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from attrs import define
from sqlalchemy import Engine, event

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@define
class Phase:
    """What one phase did and cost."""

    name: str
    items: int = 0
    seconds: float = 0.0
    statements: int | None = None
    peak_rss_mb: float = 0.0
    calls: int = 1
    active_seconds: float | None = None

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Count only the time spent in such blocks (the rest of the phase is set-up)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.active_seconds = (self.active_seconds or 0.0) + time.perf_counter() - start

    @property
    def per_second(self) -> float:
        """Items per second."""
        return self.items / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        """The phase as JSON-ready data."""
        return {
            "name": self.name,
            "items": self.items,
            "seconds": self.seconds,
            "per_second": self.per_second,
            "statements": self.statements,
            "calls": self.calls,
            "peak_rss_mb": self.peak_rss_mb,
        }


class StatementCounter:
    """Counts the data statements (not transaction control) an engine sends."""

    def __init__(self, engine: Engine | None) -> None:
        self.count = 0
        self._engine = engine
        if engine is not None:
            event.listen(engine, "before_cursor_execute", self._record)

    def _record(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if not statement.lstrip()[:9].upper().startswith(_CONTROL):
            self.count += 1

    @property
    def enabled(self) -> bool:
        """True when an engine is watched (SQL adapters)."""
        return self._engine is not None

    def close(self) -> None:
        """Stop counting."""
        if self._engine is not None:
            event.remove(self._engine, "before_cursor_execute", self._record)
            self._engine = None


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset the peak-RSS mark to the current RSS; False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """The peak resident set size since the last reset (or since start), in MiB."""
    kib = _status_kib("VmHWM")
    if kib is None:
        scale = 1 if sys.platform == "darwin" else 1024
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale // 1024
    return kib / 1024


class Meter:
    """Runs phases under measurement and keeps what they cost."""

    def __init__(self, engine: Engine | None, profile_dir: Path | None = None) -> None:
        self.statements = StatementCounter(engine)
        self.phases: list[Phase] = []
        self.profile_dir = profile_dir
        self.process_peak_mb = 0.0

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        """Measure the block as phase ``name``; the block sets ``items`` (and ``calls``).

        A full garbage collection runs first (not measured), so that a phase never pays
        for collecting what earlier phases left behind.
        """
        self.process_peak_mb = max(self.process_peak_mb, peak_rss_mb())
        gc.collect()
        reset_peak_rss()
        measured = Phase(name)
        profiler = cProfile.Profile() if self.profile_dir is not None else None
        before = self.statements.count
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        try:
            yield measured
        finally:
            if profiler is not None:
                profiler.disable()
            elapsed = time.perf_counter() - start
            active = measured.active_seconds
            measured.seconds = elapsed if active is None else active
            if self.statements.enabled:
                measured.statements = self.statements.count - before
            measured.peak_rss_mb = peak_rss_mb()
            self.process_peak_mb = max(self.process_peak_mb, measured.peak_rss_mb)
            if profiler is not None and self.profile_dir is not None:
                self.profile_dir.mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(str(self.profile_dir / f"{name.replace(' ', '_')}.prof"))
        self.phases.append(measured)


def hashing_limit(draw_numbers: Sequence[str], *, repeat: int = 3) -> float:
    """Items per second of a bare loop of ``hashlib.sha256`` + ``int(hexdigest, 16)``.

    The best of ``repeat`` runs over ``draw_numbers``: the cost of the arithmetic core of
    ``sha256_hex_proximity`` alone, without scoring, results or storage.
    """
    if not draw_numbers:
        return 0.0
    sha256 = hashlib.sha256
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for draw in draw_numbers:
            int(sha256(draw.encode("ascii")).hexdigest(), 16)
        best = min(best, time.perf_counter() - start)
    return len(draw_numbers) / best
