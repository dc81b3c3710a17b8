"""Fixtures of the host's tests: the host composed over nictbw's test container.

``nictbw_container``, ``nictbw_uow`` and ``nictbw_chain`` come from nictbw's pytest plugin
(installed with ``nictbw[testing]``); nothing else of nictbw is needed here.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from dependency_injector import providers

from host_service import HostContainer, create_app
from nictbw.testing import fakes


class Client:
    """Calls the WSGI app in process; answers ``(status code, JSON body)``."""

    def __init__(self, host: HostContainer) -> None:
        self.app = create_app(host)

    def request(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """Send one request."""
        raw = b"" if body is None else json.dumps(body).encode("utf-8")
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "CONTENT_LENGTH": str(len(raw)),
            "CONTENT_TYPE": "application/json",
            "wsgi.input": io.BytesIO(raw),
        }
        seen: list[str] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], object]:
            seen.append(status)
            return lambda data: None

        chunks = self.app(environ, start_response)
        return int(seen[0].split()[0]), json.loads(b"".join(chunks))


def compose(nictbw_container: Any) -> HostContainer:
    """The host's container with its nested nictbw replaced by ``nictbw_container``."""
    host = HostContainer()
    host.nictbw.override(nictbw_container)
    return host


def fresh_host(seed: int = 0) -> HostContainer:
    """A host on a fresh in-memory nictbw with nictbw's fake clock and chain, for tests
    that build one per hypothesis example (fixtures live once per test)."""
    host = HostContainer()
    host.config.from_dict({"nictbw": {"database_url": "memory://", "seed": seed}})
    clock = fakes.fixed_clock()
    host.nictbw.clock.override(providers.Object(clock))
    host.nictbw.chain.override(providers.Object(fakes.FakeChain(seed=seed, clock=clock)))
    return host


@pytest.fixture
def host(nictbw_container: Any) -> HostContainer:
    """The host composed over the plugin's container (memory storage, fake clock and chain)."""
    return compose(nictbw_container)


@pytest.fixture
def client(host: HostContainer) -> Client:
    """An in-process client of the host's HTTP routes."""
    return Client(host)
