"""Socket-level deadlines for httpx: every connect, read and write ends by the call's deadline.

httpx's timeouts bound each phase of a request, not the whole of it: a server that sends one
byte just inside every read timeout can hold a call forever. The backend here wraps httpcore's
sockets so each operation gets the shorter of its own timeout and what is left of the current
call, asked of the owner through ``_clamp``.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpcore
import httpx


class DeadlineOwner(Protocol):
    """What the transport asks: a timeout shortened to what is left of the current call."""

    def _clamp(self, timeout: float | None, error: type[Exception]) -> float | None: ...


class DeadlineError(Exception):
    """The call's deadline passed between two socket operations."""


class DeadlineStream(httpcore.NetworkStream):
    """A socket whose every read and write also ends by the call's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, client: DeadlineOwner) -> None:
        self._inner = inner
        self._owner = client

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._owner._clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._owner._clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = self._owner._clamp(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, timeout), self._owner
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with the call's deadline on connecting, reading, writing."""

    def __init__(self, inner: httpcore.NetworkBackend, client: DeadlineOwner) -> None:
        self._inner = inner
        self._owner = client

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        timeout = self._owner._clamp(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return DeadlineStream(stream, self._owner)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - the client never uses a unix socket
        timeout = self._owner._clamp(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._inner.connect_unix_socket(path, timeout, socket_options), self._owner
        )

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore retries are off
        self._inner.sleep(seconds)


def deadline_transport(client: DeadlineOwner) -> httpx.HTTPTransport:
    """httpx's own transport, its connection pool on the deadline-aware backend."""
    transport = httpx.HTTPTransport()
    pool = transport._pool
    if isinstance(pool, httpcore.ConnectionPool):
        pool._network_backend = DeadlineBackend(pool._network_backend, client)
    return transport


__all__ = ["DeadlineError", "DeadlineOwner", "deadline_transport"]
