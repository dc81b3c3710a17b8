"""Fakes for tests of services that embed nictbw.

Nothing here is a copy: the chain fakes are nictbw's own (``nictbw.adapters.chain``), the
clocks its clock adapters, the beacon its in-process drand stand-in. This module gathers
them under one stable public name and adds the few helpers a test wants:

- :class:`FakeChain`: the chain in process (accounts, mints, tokens, injectable faults);
  :class:`FakeChainServer`: the same chain served over HTTP (needs werkzeug, the
  ``fake-chain`` extra, which ``testing`` includes); :func:`serve_fake_chain` starts one.
- :class:`FixedClock` (stays where it is set) and :class:`SteppingClock` (moves on by a
  step after every reading).
- :func:`seeded_rng`: the ``random.Random`` workflows take as ``rng``.
- :class:`FakeBeacon`: a drand-like randomness beacon with its own BLS keys.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from nictbw.adapters.beacon.fake import FakeBeacon
from nictbw.adapters.chain.fake import (
    FAKE_CHAIN_PASSWORD,
    FAKE_CHAIN_USERNAME,
    ChainFault,
    FakeChain,
)
from nictbw.adapters.clock import FixedClock, SteppingClock

if TYPE_CHECKING:
    from nictbw.adapters.chain.server import FakeChainServer, ServerFault

DEFAULT_START: Final = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
"""Where the clocks made here start unless told otherwise."""


def fixed_clock(at: datetime = DEFAULT_START) -> FixedClock:
    """A :class:`FixedClock` at ``at`` (default :data:`DEFAULT_START`)."""
    return FixedClock(at)


def stepping_clock(
    start: datetime = DEFAULT_START, step: timedelta = timedelta(seconds=1)
) -> SteppingClock:
    """A :class:`SteppingClock` from ``start`` moving on by ``step`` per reading."""
    return SteppingClock(start, step)


def seeded_rng(seed: int = 0) -> random.Random:
    """``random.Random(seed)``: the same seed gives the same ids, cards and draws."""
    return random.Random(seed)


@contextmanager
def serve_fake_chain(
    chain: FakeChain | None = None, **server_options: Any
) -> Iterator[FakeChainServer]:
    """Serve ``chain`` (a fresh ``FakeChain(seed=0)`` by default) over HTTP on a free port
    for the ``with`` block; yields the running server (``server.base_url``)."""
    from nictbw.adapters.chain.server import FakeChainServer

    server = FakeChainServer(chain if chain is not None else FakeChain(seed=0), **server_options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def __getattr__(name: str) -> Any:
    if name in {"FakeChainServer", "ServerFault"}:
        from nictbw.adapters.chain import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_START",
    "FAKE_CHAIN_PASSWORD",
    "FAKE_CHAIN_USERNAME",
    "ChainFault",
    "FakeBeacon",
    "FakeChain",
    "FakeChainServer",
    "FixedClock",
    "ServerFault",
    "SteppingClock",
    "fixed_clock",
    "seeded_rng",
    "serve_fake_chain",
    "stepping_clock",
]
