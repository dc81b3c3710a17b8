"""Small helpers shared by the chain adapters: uploads, the shipped image, error bodies."""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path
from typing import Final

from nictbw.domain import chain_payload
from nictbw.domain.errors import ChainError

DEFAULT_IMAGE: Final = "default.png"
DEFAULT_APP: Final = chain_payload.DEFAULT_APP


@functools.cache
def default_image() -> bytes:
    """The PNG shipped with nictbw, minted when no file is given (§9.4); read once."""
    return resources.files("nictbw.adapters.chain").joinpath(DEFAULT_IMAGE).read_bytes()


def read_upload(path: str, what: str) -> bytes:
    """The bytes of a file to upload; an unreadable file is a ``ChainError`` naming it."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ChainError(f"cannot read {what} {path!r}: {exc.strerror or exc}") from exc


def error_body(message: str) -> str:
    """The JSON error body the chain sends: ``{"status": "error", "message": ...}``."""
    return json.dumps({"status": "error", "message": message}, ensure_ascii=False)
