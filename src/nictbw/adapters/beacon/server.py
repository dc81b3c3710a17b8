"""A ``FakeBeacon`` served over HTTP on loopback, speaking the subset of drand's API that
``DrandBeacon`` uses: ``GET /{chain_hash}/info`` and ``GET /{chain_hash}/public/{round}``
(and ``/public/latest``). A round after the fake's clock answers 404, as drand relays do.

Fault switches make the next answers of ``/public/{round}`` fail: an HTTP status, a body
that is not JSON, a signature with one bit flipped (and the randomness made to match it,
so only the BLS check can catch it), or another round than the one asked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from nictbw.adapters.beacon.fake import FakeBeacon
from nictbw.domain.errors import BeaconError, BeaconRoundNotPublishedError, ValidationError
from nictbw.ports.clock import Clock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger("nictbw.beacon")

BeaconFault = Literal["status", "malformed", "forged", "wrong_round"]
FAULTS: Final = ("status", "malformed", "forged", "wrong_round")


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("fake beacon: " + message, *args)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _round_json(beacon_round: Any) -> dict[str, Any]:
    body = {
        "round": beacon_round.round,
        "randomness": beacon_round.randomness,
        "signature": beacon_round.signature,
    }
    if beacon_round.previous_signature is not None:
        body["previous_signature"] = beacon_round.previous_signature
    return body


class FakeBeaconServer:
    """Serve ``beacon`` on ``host:port`` (0 = a free port); ``base_url`` for a DrandBeacon.

    Use as a context manager or with ``start()``/``stop()``. ``hits`` counts the
    requests of each kind (``info``, ``public``).
    """

    def __init__(self, beacon: FakeBeacon, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.beacon = beacon
        self.host = host
        self.port = port
        self.hits: dict[str, int] = {"info": 0, "public": 0}
        self._faults: deque[tuple[BeaconFault, int]] = deque()
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"FakeBeaconServer({self.host}:{self.port}, {state})"

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._server is None:
            raise ValidationError("the fake beacon server is not started")
        return f"http://{self.host}:{self.port}"

    def _bind(self) -> BaseWSGIServer:
        try:
            server = make_server(
                self.host, self.port, self._app, threaded=True, request_handler=_QuietHandler
            )
        except SystemExit as exc:  # werkzeug exits when the port cannot be bound
            raise OSError(f"cannot listen on {self.host}:{self.port}") from exc
        self.port = server.port
        self._server = server
        return server

    def start(self) -> Self:
        """Bind and serve in a background thread; returns self."""
        if self._server is not None:
            return self
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-beacon-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Bind and serve in this thread until ``stop()`` or Ctrl-C."""
        server = self._bind()
        if on_ready is not None:
            on_ready(self.base_url)
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            self._server = None

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        server.server_close()
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def fail_next(self, fault: BeaconFault, *, status: int = 500, times: int = 1) -> None:
        """Make the next ``times`` round answers carry ``fault`` (``status`` for "status")."""
        if fault not in FAULTS:
            raise ValidationError(f"unknown beacon fault {fault!r}; known: {list(FAULTS)}")
        with self._lock:
            self._faults.extend([(fault, status)] * times)

    def _hit(self, route: str) -> None:
        with self._lock:
            self.hits[route] += 1

    def _next_fault(self) -> tuple[BeaconFault, int] | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self._handle(request.path)
        return response(environ, start_response)

    def _handle(self, path: str) -> Response:
        parts = [p for p in path.split("/") if p]
        info = self.beacon.info()
        if len(parts) < 2 or parts[0] != info.chain_hash:
            return _json({"error": "unknown chain"}, 404)
        if parts[1:] == ["info"]:
            self._hit("info")
            return _json(
                {
                    "public_key": info.public_key,
                    "period": info.period,
                    "genesis_time": info.genesis_time,
                    "hash": info.chain_hash,
                    "groupHash": self.beacon.genesis_signature,
                    "schemeID": info.scheme,
                    "metadata": {"beaconID": "fake"},
                }
            )
        if len(parts) != 3 or parts[1] != "public":
            return _json({"error": "not found"}, 404)
        self._hit("public")
        try:
            if parts[2] == "latest":
                beacon_round = self.beacon.latest()
            elif parts[2].isdigit():
                beacon_round = self.beacon.get(int(parts[2]))
            else:
                return _json({"error": f"bad round {parts[2]!r}"}, 400)
        except BeaconRoundNotPublishedError:
            return _json({"error": "round not published yet"}, 404)
        except BeaconError as exc:
            return _json({"error": str(exc)}, 400)
        return self._faulty(_round_json(beacon_round))

    def _faulty(self, body: dict[str, Any]) -> Response:
        found = self._next_fault()
        if found is None:
            return _json(body)
        fault, status = found
        if fault == "status":
            return _json({"error": "injected failure"}, status)
        if fault == "malformed":
            return Response('{"round": ', status=200, mimetype="application/json")
        if fault == "forged":
            signature = bytearray(bytes.fromhex(body["signature"]))
            signature[-1] ^= 0x01
            body["signature"] = signature.hex()
            body["randomness"] = hashlib.sha256(signature).hexdigest()
            return _json(body)
        body["round"] += 1
        return _json(body)


def serve_fake_beacon(
    clock: Clock,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    period: int = 30,
    genesis_time: int | None = None,
    on_ready: Callable[[FakeBeaconServer], None] | None = None,
) -> None:
    """Serve a ``FakeBeacon`` of ``seed`` on ``clock`` in this thread until interrupted.

    ``on_ready(server)`` is called once the socket listens: ``server.base_url`` and
    ``server.beacon.info().chain_hash`` are what a ``DrandBeacon`` (or the ``beacon.*``
    configuration) needs, and ``server.stop()`` ends the serving from another thread.
    """
    beacon = FakeBeacon(clock, seed=seed, period=period, genesis_time=genesis_time)
    server = FakeBeaconServer(beacon, host=host, port=port)

    def ready(_: str) -> None:
        if on_ready is not None:
            on_ready(server)

    server.serve_forever(ready)


__all__ = ["FAULTS", "BeaconFault", "FakeBeaconServer", "serve_fake_beacon"]
