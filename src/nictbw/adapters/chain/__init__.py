"""Chain adapters: the httpx client, the in-process fake and the fake served over HTTP.

The server needs werkzeug (the ``fake-chain`` extra, included in ``cli`` and ``dev``); it
is imported on first use so that the client and the in-process fake work without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nictbw.adapters.chain.fake import (
    FAKE_CHAIN_PASSWORD,
    FAKE_CHAIN_USERNAME,
    ChainFault,
    FakeAccount,
    FakeChain,
    FakeNFT,
)
from nictbw.adapters.chain.http import HttpChainClient

if TYPE_CHECKING:
    from nictbw.adapters.chain.server import FakeChainServer, ServerFault, run_fake_chain

_SERVER_NAMES = frozenset({"FakeChainServer", "ServerFault", "run_fake_chain"})


def __getattr__(name: str) -> Any:
    if name in _SERVER_NAMES:
        try:
            from nictbw.adapters.chain import server
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith("werkzeug"):
                raise
            raise ModuleNotFoundError(
                f"{name} needs werkzeug; install nictbw[fake-chain]", name="werkzeug"
            ) from exc
        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FAKE_CHAIN_PASSWORD",
    "FAKE_CHAIN_USERNAME",
    "ChainFault",
    "FakeAccount",
    "FakeChain",
    "FakeChainServer",
    "FakeNFT",
    "HttpChainClient",
    "ServerFault",
    "run_fake_chain",
]
