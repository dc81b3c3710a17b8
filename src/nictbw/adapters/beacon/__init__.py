"""Randomness-beacon adapters: the drand HTTP client, an in-process fake with its own
BLS keys, and that fake served over HTTP (needs werkzeug; imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nictbw.adapters.beacon.drand import DEFAULT_BASE_URL, DrandBeacon
from nictbw.adapters.beacon.fake import FakeBeacon

if TYPE_CHECKING:
    from nictbw.adapters.beacon.server import FakeBeaconServer, serve_fake_beacon

_SERVER_NAMES = frozenset({"FakeBeaconServer", "serve_fake_beacon"})


def __getattr__(name: str) -> Any:
    if name in _SERVER_NAMES:
        from nictbw.adapters.beacon import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_BASE_URL",
    "DrandBeacon",
    "FakeBeacon",
    "FakeBeaconServer",
    "serve_fake_beacon",
]
