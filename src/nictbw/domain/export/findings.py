"""The findings of a verification: problems grouped by topic, and one line per topic."""

from __future__ import annotations

from typing import Final

import attrs

MAX_PROBLEMS: Final = 1000
"""Problems listed one by one; past this many only their number is reported."""


@attrs.frozen
class Finding:
    """One line of a verification: a topic that checks out (``ok``), or one problem of it."""

    topic: str
    ok: bool
    text: str


class Problems:
    """Problems found, each under its topic; past ``MAX_PROBLEMS`` only counted."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self.dropped = 0
        self.topics: set[str] = set()

    def add(self, problem: str, topic: str) -> None:
        """Record ``problem`` of ``topic``."""
        self.topics.add(topic)
        if len(self.items) < MAX_PROBLEMS:
            self.items.append((topic, problem))
        else:
            self.dropped += 1

    def more(self) -> list[str]:
        """The line counting the problems past the limit, if any."""
        return [f"... and {self.dropped} more problems"] if self.dropped else []

    def final(self) -> tuple[str, ...]:
        """Every problem kept, in the order found, then the count of the others."""
        return tuple([text for _topic, text in self.items] + self.more())


def topic_findings(topic: str, ok_line: str | None, problems: Problems) -> list[Finding]:
    """The lines of ``topic``: its OK line when it has no problem, else its problems."""
    if topic not in problems.topics:
        return [Finding(topic, True, ok_line or "checks out")]
    return [Finding(topic, False, text) for found, text in problems.items if found == topic]


__all__ = ["MAX_PROBLEMS", "Finding", "Problems", "topic_findings"]
