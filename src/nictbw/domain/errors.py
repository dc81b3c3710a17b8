"""The nictbw error hierarchy: every failure a caller can act on is one of these."""

from __future__ import annotations

from datetime import datetime


class NictbwError(Exception):
    """Base class of every error nictbw raises on purpose."""


class ValidationError(NictbwError, ValueError):
    """An argument or field breaks a rule; nothing was changed."""


class NotFoundError(NictbwError, LookupError):
    """An entity, row, id or registry key does not exist."""


class ConflictError(NictbwError):
    """A unique key is taken, supply is exhausted or a concurrent change won."""


class ForbiddenError(NictbwError):
    """An admin's role does not allow the operation (``operation``); nothing was changed."""

    def __init__(self, message: str, *, admin_id: int | None, operation: str) -> None:
        super().__init__(message)
        self.admin_id = admin_id
        self.operation = operation


class ChainError(NictbwError):
    """The chain API failed, timed out, refused or answered something unusable.

    ``status`` is the HTTP status when one was received and ``body`` the (possibly
    truncated) response text.
    """

    def __init__(self, message: str, *, status: int | None = None, body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class BeaconError(NictbwError):
    """A randomness beacon failed, answered something unusable, or a round does not verify."""


class BeaconRoundNotPublishedError(BeaconError):
    """The beacon round asked for is not published yet; ``publish_at`` says when it will be."""

    def __init__(self, round_number: int, publish_at: datetime | None) -> None:
        when = "at an unknown time" if publish_at is None else f"at {publish_at.isoformat()}"
        super().__init__(f"beacon round {round_number} is not published yet; expected {when}")
        self.round = round_number
        self.publish_at = publish_at


class MalformedExportError(ValidationError):
    """A draw export file is not a well-formed export (wrong shape, type, size or depth).

    Distinct from a verification failure: a malformed file cannot be checked at all.
    """


__all__ = [
    "BeaconError",
    "BeaconRoundNotPublishedError",
    "ChainError",
    "ConflictError",
    "ForbiddenError",
    "MalformedExportError",
    "NictbwError",
    "NotFoundError",
    "ValidationError",
]
