"""The fake chain served over real HTTP (domain-rules.md §9.2-9.3), for tests and simulations.

``FakeChainServer`` wraps a ``FakeChain`` in a threaded werkzeug server on a local port.
Faults are switched on per route at run time: an error status, a slow answer, a dropped
connection, a body that is not JSON, or items with fields missing. Every request is
recorded (route, raw URI, decoded username, headers, form fields, files) so tests can
count hits and see exactly what arrived.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import unquote

from attrs import define, field, frozen
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from nictbw.adapters.chain.common import error_body
from nictbw.adapters.chain.fake import (
    ROUTE_MINT,
    ROUTE_NFTS,
    ROUTE_SIGNUP,
    ROUTE_TOKEN,
    ROUTES,
    FakeChain,
    strip_fields,
)
from nictbw.domain.errors import ChainError, ValidationError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger("nictbw.chain.server")

ServerFaultKind = Literal["status", "slow", "drop", "malformed", "missing_fields"]


@frozen
class ServerFault:
    """What the server does instead of answering normally.

    ``status``: answer ``status`` with ``body`` (default: an error object); ``slow``:
    sleep ``delay`` seconds, then answer normally; ``drop``: close the connection without
    answering; ``malformed``: answer 200 with a body that is not JSON; ``missing_fields``:
    answer normally without ``fields`` (from every item of the NFT list, else from the
    body and its ``nft_information``).
    """

    kind: ServerFaultKind
    status: int = 500
    body: str | None = None
    delay: float = 0.0
    fields: tuple[str, ...] | None = None


@define
class RecordedRequest:
    """One request as the server saw it."""

    route: str | None
    method: str
    raw_uri: str
    headers: dict[str, str]
    username: str | None = None
    json: Any = None
    form: dict[str, str] = field(factory=dict)
    files: dict[str, tuple[str | None, bytes, str | None]] = field(factory=dict)


class _DroppedConnectionError(ConnectionAbortedError):
    """Raised inside the app to make werkzeug abandon a connection it already closed."""


class _QuietHandler(WSGIRequestHandler):
    """Request handler that logs to ``nictbw.chain.server`` at debug level."""

    protocol_version = "HTTP/1.1"

    def log(self, type: str, message: str, *args: Any) -> None:
        logger.debug("%s " + message, type, *args)


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json"
    )


def _from_error(exc: ChainError) -> Response:
    status = exc.status if exc.status is not None else 500
    body = exc.body if exc.body is not None else error_body(str(exc))
    return Response(body, status=status, mimetype="application/json")


def _bad_request(message: str) -> Response:
    return Response(error_body(message), status=400, mimetype="application/json")


def _normalise_prefix(prefix: str) -> str:
    prefix = prefix.strip().rstrip("/")
    if prefix and not prefix.startswith("/"):
        prefix = "/" + prefix
    return prefix


class FakeChainServer:
    """Serve ``chain`` over HTTP on ``host:port`` (0 = a free port) under ``prefix``.

    Use as a context manager or with ``start()``/``stop()``; ``base_url`` is what an
    ``HttpChainClient`` needs. Thread-safe fault switches: ``fail_next``, ``slow_next``,
    ``drop_next``, ``malformed_next``, ``strip_fields_next`` (or ``inject``).
    """

    def __init__(
        self, chain: FakeChain, *, host: str = "127.0.0.1", port: int = 0, prefix: str = ""
    ) -> None:
        self.chain = chain
        self.host = host
        self.port = port
        self.prefix = _normalise_prefix(prefix)
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._faults: dict[str, deque[ServerFault]] = {route: deque() for route in ROUTES}
        self._hits: dict[str, int] = dict.fromkeys(ROUTES, 0)
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "running" if self._server is not None else "stopped"
        return f"FakeChainServer({self.host}:{self.port}{self.prefix}, {state})"

    # -- lifecycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://host:port/prefix`` of the running server."""
        if self._server is None:
            raise ValidationError("the fake chain server is not started")
        return f"http://{self.host}:{self.port}{self.prefix}"

    def _bind(self) -> BaseWSGIServer:
        try:
            server = make_server(
                self.host, self.port, self._app, threaded=True, request_handler=_QuietHandler
            )
        except SystemExit as exc:  # werkzeug exits when the port cannot be bound
            raise OSError(f"cannot listen on {self.host}:{self.port}") from exc
        self.port = server.port
        self._stopping.clear()
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
            name=f"fake-chain-{self.port}",
            daemon=True,
        )
        self._thread.start()
        logger.info("fake chain serving on %s", self.base_url)
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
        """Stop serving, wake slow answers and close the socket."""
        server, thread = self._server, self._thread
        self._stopping.set()
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

    # -- faults and inspection --------------------------------------------------------

    def inject(self, route: str, fault: ServerFault, *, times: int = 1) -> None:
        """Apply ``fault`` to the next ``times`` requests of ``route``."""
        if route not in self._faults:
            raise ValidationError(f"route {route!r} is not one of {ROUTES}")
        with self._lock:
            self._faults[route].extend([fault] * times)

    def fail_next(
        self, route: str, status: int = 500, *, times: int = 1, body: str | None = None
    ) -> None:
        """Answer the next ``times`` requests of ``route`` with ``status``."""
        self.inject(route, ServerFault(kind="status", status=status, body=body), times=times)

    def slow_next(self, route: str, delay: float, *, times: int = 1) -> None:
        """Delay the next ``times`` answers of ``route`` by ``delay`` seconds."""
        self.inject(route, ServerFault(kind="slow", delay=delay), times=times)

    def drop_next(self, route: str, *, times: int = 1) -> None:
        """Close the connection of the next ``times`` requests of ``route`` unanswered."""
        self.inject(route, ServerFault(kind="drop"), times=times)

    def malformed_next(self, route: str, *, times: int = 1) -> None:
        """Answer the next ``times`` requests of ``route`` 200 with a non-JSON body."""
        self.inject(route, ServerFault(kind="malformed"), times=times)

    def strip_fields_next(
        self, route: str, fields: Iterable[str] | None = None, *, times: int = 1
    ) -> None:
        """Answer the next ``times`` requests of ``route`` with ``fields`` removed."""
        chosen = tuple(fields) if fields is not None else None
        self.inject(route, ServerFault(kind="missing_fields", fields=chosen), times=times)

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            for queue in self._faults.values():
                queue.clear()

    def hits(self, route: str) -> int:
        """How many requests reached ``route`` (faulted ones included)."""
        with self._lock:
            return self._hits[route]

    def requests_for(self, route: str) -> list[RecordedRequest]:
        """The recorded requests of ``route``, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.route == route]

    # -- the WSGI application ---------------------------------------------------------

    def _route(self, raw_path: str) -> tuple[str | None, str | None]:
        """``(route, username)`` for a raw request path, ``(None, None)`` when unknown."""
        if self.prefix:
            if raw_path != self.prefix and not raw_path.startswith(self.prefix + "/"):
                return None, None
            raw_path = raw_path[len(self.prefix) :]
        segments = raw_path.split("/")
        if segments[:3] != ["", "api", "v1"]:
            return None, None
        rest = segments[3:]
        if rest == ["auth", "jwt-token"]:
            return ROUTE_TOKEN, None
        if rest == ["auth", "sign-up"]:
            return ROUTE_SIGNUP, None
        if rest == ["nft", "create"]:
            return ROUTE_MINT, None
        if len(rest) == 4 and rest[:3] == ["admin", "nfts", "info"] and rest[3]:
            return ROUTE_NFTS, unquote(rest[3], errors="strict")
        return None, None

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        raw_uri = environ.get("REQUEST_URI") or request.full_path
        raw_uri = raw_uri.encode("latin-1").decode("utf-8", "replace")
        raw_path = raw_uri.split("?", 1)[0]
        try:
            route, username = self._route(raw_path)
        except UnicodeDecodeError:
            route, username = None, None
        recorded = RecordedRequest(
            route=route,
            method=request.method,
            raw_uri=raw_uri,
            headers=dict(request.headers.items()),
            username=username,
        )
        fault: ServerFault | None = None
        with self._lock:
            self.requests.append(recorded)
            if route is not None:
                self._hits[route] += 1
                if self._faults[route]:
                    fault = self._faults[route].popleft()
        try:
            response = self._answer(request, environ, route, username, recorded, fault)
        finally:
            request.close()
        return response(environ, start_response)

    def _answer(
        self,
        request: Request,
        environ: WSGIEnvironment,
        route: str | None,
        username: str | None,
        recorded: RecordedRequest,
        fault: ServerFault | None,
    ) -> Response:
        if route is None:
            return _json({"detail": f"no route for {request.method} {recorded.raw_uri}"}, 404)
        expected = "GET" if route == ROUTE_NFTS else "POST"
        if request.method != expected:
            return _json({"detail": f"method {request.method} not allowed"}, 405)
        if fault is not None:
            if fault.kind == "status":
                body = fault.body if fault.body is not None else error_body("injected failure")
                return Response(body, status=fault.status, mimetype="application/json")
            if fault.kind == "drop":
                sock = environ.get("werkzeug.socket")
                if isinstance(sock, socket.socket):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                raise _DroppedConnectionError("connection dropped on purpose")
            if fault.kind == "malformed":
                return Response(
                    '{"status": "success", "oops', status=200, mimetype="application/json"
                )
            if fault.kind == "slow" and self._stopping.wait(fault.delay):
                return _json({"detail": "server stopping"}, 503)
        response_body, status = self._handle(request, route, username, recorded)
        if fault is not None and fault.kind == "missing_fields" and status == 200:
            response_body = strip_fields(response_body, route, fault.fields)
        if isinstance(response_body, Response):
            return response_body
        return _json(response_body, status)

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme == "Bearer" and bool(token) and self.chain.check_token(token.strip())

    def _handle(
        self, request: Request, route: str, username: str | None, recorded: RecordedRequest
    ) -> tuple[Any, int]:
        """``(body, status)``: a JSON-ready body, or a ready ``Response`` for errors."""
        if route == ROUTE_TOKEN:
            data = request.get_json(silent=True)
            recorded.json = data
            if (
                not isinstance(data, dict)
                or not isinstance(data.get("username"), str)
                or not isinstance(data.get("password"), str)
            ):
                return _bad_request("username and password are required"), 400
            try:
                return self.chain.login(data["username"], data["password"]), 200
            except ChainError as exc:
                return _from_error(exc), exc.status or 500
        if not self._authorised(request):
            detail = {
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
            }
            return _json(detail, 401), 401
        try:
            if route == ROUTE_NFTS:
                assert username is not None
                return self.chain.nfts_of(username), 200
            if route == ROUTE_SIGNUP:
                return self._signup(request, recorded)
            return self._mint(request, recorded)
        except ChainError as exc:
            return _from_error(exc), exc.status or 500

    @staticmethod
    def _read_form(request: Request, recorded: RecordedRequest) -> None:
        recorded.form = dict(request.form.items())
        recorded.files = {
            name: (upload.filename, upload.read(), upload.mimetype or None)
            for name, upload in request.files.items()
        }

    def _signup(self, request: Request, recorded: RecordedRequest) -> tuple[Any, int]:
        picture: bytes | None = None
        if request.mimetype == "application/json":
            data = request.get_json(silent=True)
            recorded.json = data
            if not isinstance(data, dict):
                return _bad_request("the body must be a JSON object"), 400
            fields: Mapping[str, Any] = data
        elif request.mimetype == "multipart/form-data":
            self._read_form(request, recorded)
            fields = recorded.form
            if "profile_pic" in recorded.files:
                picture = recorded.files["profile_pic"][1]
        else:
            return _bad_request(f"unsupported content type {request.mimetype!r}"), 400
        group = fields.get("group")
        values = [fields.get(k) for k in ("username", "email", "password")]
        if not all(isinstance(v, str) for v in values) or not (
            group is None or isinstance(group, str)
        ):
            return _bad_request("username, email and password must be strings"), 400
        username, email, password = (str(v) for v in values)
        body = self.chain.create_account(
            username, email, password, group=group, profile_pic=picture
        )
        return body, 200

    def _mint(self, request: Request, recorded: RecordedRequest) -> tuple[Any, int]:
        if request.mimetype != "multipart/form-data":
            return _bad_request(f"mint needs multipart/form-data, got {request.mimetype!r}"), 400
        self._read_form(request, recorded)
        form = recorded.form
        if "file" not in recorded.files:
            return _bad_request("the file part is missing"), 400
        raw_info = form.get("additional_info")
        if raw_info is None:
            return _bad_request("additional_info is required"), 400
        try:
            info = json.loads(raw_info)
        except ValueError:
            return _bad_request(f"additional_info is not JSON: {raw_info[:100]!r}"), 400
        body = self.chain.mint(
            app=form.get("app") or self.chain.app,
            name=form.get("name", ""),
            additional_info=info,
            recipient_paymail=form.get("recipient_paymail"),
            image=recorded.files["file"][1],
        )
        return body, 200


def run_fake_chain(
    port: int = 8123,
    *,
    host: str = "127.0.0.1",
    seed: int = 0,
    users: Mapping[str, str] | None = None,
    paymail_domain: str = "fake.chain",
    token_lifetime: float = 300.0,
    prefix: str = "",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve a fresh ``FakeChain`` on ``host:port`` until Ctrl-C (blocking).

    ``on_ready`` is called with the base URL once the socket listens.
    """
    chain = FakeChain(
        seed=seed, paymail_domain=paymail_domain, token_lifetime=token_lifetime, users=users
    )
    server = FakeChainServer(chain, host=host, port=port, prefix=prefix)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(on_ready=on_ready)


__all__ = [
    "ROUTES",
    "ROUTE_MINT",
    "ROUTE_NFTS",
    "ROUTE_SIGNUP",
    "ROUTE_TOKEN",
    "FakeChainServer",
    "RecordedRequest",
    "ServerFault",
    "run_fake_chain",
]
