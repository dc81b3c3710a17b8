"""The host's composition (a container nesting nictbw's) and its WSGI application."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from dependency_injector import containers, providers

from nictbw import (
    ChainError,
    ConflictError,
    NictbwError,
    NotFoundError,
    User,
    ValidationError,
)
from nictbw import Container as NictbwContainer
from nictbw.ports import UnitOfWork
from nictbw.workflows import bingo_cards_json, create_and_issue_instance, register_user

MAX_BODY_BYTES: Final = 64 * 1024

_STATUS: Final[dict[type[NictbwError], str]] = {
    ValidationError: "400 Bad Request",
    NotFoundError: "404 Not Found",
    ConflictError: "409 Conflict",
    ChainError: "502 Bad Gateway",
}


class HostContainer(containers.DeclarativeContainer):
    """The host's own providers, with nictbw nested under ``nictbw``.

    ``config.nictbw`` is nictbw's configuration (``database_url``, ``chain.*``, ``seed``);
    ``config.service_name`` is the host's own setting.
    """

    config = providers.Configuration()
    nictbw = providers.Container(NictbwContainer, config=config.nictbw)


class _HttpError(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def _status_of(error: NictbwError) -> str:
    for kind, status in _STATUS.items():
        if isinstance(error, kind):
            return status
    return "500 Internal Server Error"


def _json_body(environ: WSGIEnvironment) -> dict[str, Any]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _HttpError("400 Bad Request", "Content-Length is not a number") from None
    if length > MAX_BODY_BYTES:
        raise _HttpError("413 Content Too Large", f"body above {MAX_BODY_BYTES} bytes")
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise _HttpError("400 Bad Request", "body is not JSON") from None
    if not isinstance(body, dict):
        raise _HttpError("400 Bad Request", "body must be a JSON object")
    return body


def _text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _HttpError("400 Bad Request", f"{key} must be a string")
    return value


def _user(uow: UnitOfWork, in_app_id: str) -> User:
    user = uow.users.get_by_in_app_id(in_app_id)
    if user is None:
        raise NotFoundError(f"no user with in_app_id {in_app_id!r}")
    return user


class BadgeService:
    """The routes, each in its own unit of work of the nested nictbw container."""

    def __init__(self, host: HostContainer) -> None:
        self.host = host

    def _nictbw(self) -> Any:
        return self.host.nictbw

    def sign_up(self, body: dict[str, Any]) -> tuple[str, object]:
        """``POST /users``."""
        nictbw = self._nictbw()
        user = User(
            in_app_id=_text(body, "in_app_id"), nickname=_text(body, "nickname", required=False)
        )
        with nictbw.unit_of_work() as uow:
            stored = register_user(
                uow,
                user,
                password=_text(body, "password") or "",
                email=_text(body, "email") or "",
                chain=nictbw.chain(),
                clock=nictbw.clock(),
            )
            uow.commit()
        return "201 Created", {
            "id": stored.id,
            "in_app_id": stored.in_app_id,
            "paymail": stored.paymail,
        }

    def issue_badge(self, body: dict[str, Any]) -> tuple[str, object]:
        """``POST /badges``."""
        nictbw = self._nictbw()
        in_app_id = _text(body, "in_app_id") or ""
        prefix = _text(body, "prefix") or ""
        origin = _text(body, "nft_origin", required=False)
        with nictbw.unit_of_work() as uow:
            user = _user(uow, in_app_id)
            definition = uow.definitions.get_by_prefix(prefix)
            if definition is None:
                raise NotFoundError(f"no badge with prefix {prefix!r}")
            instance = create_and_issue_instance(
                uow,
                user,
                definition,
                nft_origin=origin,
                rng=nictbw.rng(),
                clock=nictbw.clock(),
            )
            uow.commit()
        return "201 Created", {
            "unique_instance_id": instance.unique_instance_id,
            "serial_number": instance.serial_number,
            "prefix": prefix,
        }

    def cards(self, in_app_id: str) -> tuple[str, object]:
        """``GET /users/<in_app_id>/cards``."""
        nictbw = self._nictbw()
        with nictbw.unit_of_work() as uow:
            cards = bingo_cards_json(uow, _user(uow, in_app_id), clock=nictbw.clock())
        return "200 OK", cards

    def route(self, environ: WSGIEnvironment) -> tuple[str, object]:
        """Dispatch one request; returns the status line and the JSON answer."""
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        parts = [part for part in path.split("/") if part]
        if method == "POST" and parts == ["users"]:
            return self.sign_up(_json_body(environ))
        if method == "POST" and parts == ["badges"]:
            return self.issue_badge(_json_body(environ))
        if method == "GET" and len(parts) == 3 and parts[0] == "users" and parts[2] == "cards":
            return self.cards(parts[1])
        raise _HttpError("404 Not Found", f"no route {method} {path}")


def create_app(host: HostContainer) -> WSGIApplication:
    """The WSGI application of ``host``."""
    service = BadgeService(host)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, answer = service.route(environ)
        except _HttpError as exc:
            status, answer = exc.status, {"error": str(exc)}
        except NictbwError as exc:
            status, answer = _status_of(exc), {"error": str(exc)}
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    return app


__all__ = ["BadgeService", "HostContainer", "create_app"]
