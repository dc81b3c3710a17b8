"""``ChainPort`` over the chain's REST API with httpx (domain-rules.md §9).

A thin translation layer: explicit timeouts on every call, a lazily fetched bearer token
renewed once on 401, path segments percent-encoded, retries only where repeating cannot
duplicate an effect, and every failure turned into a ``ChainError`` carrying the method,
URL, HTTP status and (truncated) body. The password never appears in a repr, a log line
or an error message.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import random
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeVar
from urllib.parse import quote

import httpx

from nictbw.adapters.chain.common import DEFAULT_APP, DEFAULT_IMAGE, default_image, read_upload
from nictbw.domain.errors import ChainError, ValidationError
from nictbw.ports.chain import ChainPort

logger = logging.getLogger("nictbw.chain")

TOKEN_PATH: Final = "/api/v1/auth/jwt-token"
SIGNUP_PATH: Final = "/api/v1/auth/sign-up"
NFTS_PATH: Final = "/api/v1/admin/nfts/info/"
MINT_PATH: Final = "/api/v1/nft/create"
RETRY_STATUSES: Final = frozenset({502, 503, 504})
BODY_LIMIT: Final = 500
_JITTER: Final = 0.1

T = TypeVar("T")


def _segment(value: str) -> str:
    """Percent-encode one path segment with no safe characters (``/`` → ``%2F``).

    ``.`` and ``..`` are dot-segments that URL normalisation would remove; their dots
    are encoded as ``%2E`` so the server still sees the name.
    """
    if value in (".", ".."):
        return "%2E" * len(value)
    return quote(value, safe="")


class HttpChainClient(ChainPort):
    """The chain API client.

    ``retries`` is the number of attempts for a call that may be repeated: a GET on a
    transport error, a timeout or 502/503/504, and any call whose connection could not be
    established; a request that went out otherwise is never re-sent. Backoff is
    ``backoff * 2**(attempt - 1)`` seconds plus up to 10 % jitter. No I/O happens before
    the first call; use as a context manager or call ``close()``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        username: str,
        password: str,
        timeout: float = 45.0,
        app: str = DEFAULT_APP,
        retries: int = 3,
        backoff: float = 0.25,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = base_url.strip().rstrip("/")
        try:
            url = httpx.URL(base)
        except httpx.InvalidURL as exc:
            raise ValidationError(f"chain base_url {base_url!r} is not a URL: {exc}") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise ValidationError(f"chain base_url {base_url!r} needs an http(s) scheme and host")
        if url.query or url.fragment:
            raise ValidationError(f"chain base_url {base_url!r} must not have a query or fragment")
        if not timeout > 0:
            raise ValidationError(f"chain timeout must be positive, got {timeout!r}")
        if retries < 1:
            raise ValidationError(f"chain retries must be at least 1, got {retries!r}")
        if backoff < 0:
            raise ValidationError(f"chain backoff must not be negative, got {backoff!r}")
        self.base_url = base
        self.username = username
        self.timeout = float(timeout)
        self.app = app
        self.retries = retries
        self.backoff = backoff
        self._password = password
        self._token: str | None = None
        self._auth_lock = threading.Lock()
        self._jitter = random.Random()
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(
                connect=self.timeout, read=self.timeout, write=self.timeout, pool=self.timeout
            ),
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return (
            f"HttpChainClient(base_url={self.base_url!r}, username={self.username!r}, "
            f"timeout={self.timeout!r})"
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # -- errors -----------------------------------------------------------------------

    def _redact(self, text: str, secrets: tuple[str, ...] = ()) -> str:
        for secret in (self._password, *secrets):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _body_text(self, response: httpx.Response, secrets: tuple[str, ...]) -> str:
        try:
            text = response.text
        except (httpx.HTTPError, UnicodeDecodeError, LookupError):
            text = response.content.decode("utf-8", "replace")
        text = self._redact(text, secrets)
        if len(text) > BODY_LIMIT:
            return text[:BODY_LIMIT] + "…"
        return text

    def _status_error(
        self,
        method: str,
        url: str,
        response: httpx.Response,
        problem: str | None = None,
        secrets: tuple[str, ...] = (),
    ) -> ChainError:
        body = self._body_text(response, secrets)
        detail = problem
        if detail is None:
            try:
                data = json.loads(response.content)
            except ValueError:
                data = None
            if isinstance(data, dict):
                found = data.get("message") or data.get("detail")
                if isinstance(found, str):
                    detail = self._redact(found, secrets)
        message = f"{method} {url} answered {response.status_code}"
        message += f": {detail}" if detail else f"; body: {body[:200]!r}"
        return ChainError(message, status=response.status_code, body=body)

    def _transport_error(
        self, method: str, url: str, exc: Exception, secrets: tuple[str, ...]
    ) -> ChainError:
        if isinstance(exc, httpx.TimeoutException):
            cause = f"timed out after {self.timeout:g}s ({type(exc).__name__})"
        else:
            cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return ChainError(self._redact(f"{method} {url} failed: {cause}", secrets))

    # -- transport --------------------------------------------------------------------

    def _pause(self, attempt: int) -> None:
        delay = self.backoff * 2 ** (attempt - 1)
        time.sleep(delay + delay * self._jitter.uniform(0, _JITTER))

    def _send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        secrets: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """One logical request, with the retries §9.6 allows."""
        for attempt in range(1, self.retries + 1):
            last = attempt == self.retries
            started = time.monotonic()
            try:
                response = self._client.request(method, url, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                # A request that never left can always be repeated; one that went out
                # only when it is a GET.
                never_sent = isinstance(
                    exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
                )
                if last or not (never_sent or method == "GET"):
                    raise self._transport_error(method, url, exc, secrets) from exc
                reason = type(exc).__name__
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise self._transport_error(method, url, exc, secrets) from exc
            else:
                logger.debug(
                    "%s %s -> %d in %.3fs",
                    method,
                    url,
                    response.status_code,
                    time.monotonic() - started,
                )
                if last or method != "GET" or response.status_code not in RETRY_STATUSES:
                    return response
                reason = f"answered {response.status_code}"
            logger.warning(
                "%s %s failed (%s), retrying: attempt %d of %d",
                method,
                url,
                reason,
                attempt + 1,
                self.retries,
            )
            self._pause(attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _login(self) -> str:
        """Fetch a new access token (§9.2) and keep it."""
        url = self.base_url + TOKEN_PATH
        response = self._send(
            "POST", url, json={"username": self.username, "password": self._password}
        )
        if response.status_code == 401:
            raise self._status_error(
                "POST", url, response, f"the chain refused the credentials of {self.username!r}"
            )
        if not response.is_success:
            raise self._status_error("POST", url, response)
        data = self._json(response, "POST", url, dict)
        access = data.get("access")
        if not isinstance(access, str) or not access:
            raise self._status_error(
                "POST", url, response, "the token answer has no string 'access'"
            )
        self._token = access
        logger.debug("authenticated to %s as %r", self.base_url, self.username)
        return access

    def _current_token(self, stale: str | None = None) -> str:
        with self._auth_lock:
            if self._token is None or self._token == stale:
                return self._login()
            return self._token

    def _authed(
        self, method: str, url: str, *, secrets: tuple[str, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        """An authenticated call: one re-login and one repeat on 401 (§9.2)."""
        token = self._current_token()
        response = self._send(
            method, url, headers={"Authorization": f"Bearer {token}"}, secrets=secrets, **kwargs
        )
        if response.status_code == 401:
            logger.info("%s %s answered 401, logging in again", method, url)
            token = self._current_token(stale=token)
            response = self._send(
                method,
                url,
                headers={"Authorization": f"Bearer {token}"},
                secrets=secrets,
                **kwargs,
            )
        if not response.is_success:
            raise self._status_error(method, url, response, secrets=secrets)
        return response

    def _json(
        self,
        response: httpx.Response,
        method: str,
        url: str,
        expected: type[T],
        secrets: tuple[str, ...] = (),
    ) -> T:
        try:
            data = json.loads(response.content)
        except ValueError:
            raise self._status_error(
                method, url, response, "the body is not JSON", secrets
            ) from None
        if not isinstance(data, expected):
            kind = "an object" if expected is dict else "an array"
            raise self._status_error(
                method,
                url,
                response,
                f"expected {kind}, got JSON {type(data).__name__}",
                secrets,
            )
        return data

    # -- ChainPort --------------------------------------------------------------------

    def signup_user(
        self,
        username: str,
        email: str,
        password: str,
        *,
        group: str | None = None,
        profile_pic_filepath: str | None = None,
    ) -> dict[str, Any]:
        """``POST /api/v1/auth/sign-up``; JSON, or multipart with ``profile_pic``."""
        url = self.base_url + SIGNUP_PATH
        fields = {"username": username, "email": email, "password": password, "group": group}
        secrets = (password,)
        if profile_pic_filepath is None:
            response = self._authed("POST", url, json=fields, secrets=secrets)
        else:
            picture = read_upload(profile_pic_filepath, "profile picture")
            name = Path(profile_pic_filepath).name
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            response = self._authed(
                "POST",
                url,
                data={k: v for k, v in fields.items() if v is not None},
                files={"profile_pic": (name, picture, mime)},
                secrets=secrets,
            )
        return self._json(response, "POST", url, dict, secrets)

    def get_user_nft_instances(self, on_chain_id: str) -> list[Any]:
        """``GET /api/v1/admin/nfts/info/{username}``: the NFT payloads as sent."""
        url = self.base_url + NFTS_PATH + _segment(on_chain_id)
        response = self._authed("GET", url)
        return self._json(response, "GET", url, list)

    def mint_nft(
        self,
        *,
        app: str | None = None,
        name: str,
        additional_info: dict[str, Any],
        recipient_paymail: str | None = None,
        file_path: str | None = None,
    ) -> dict[str, Any]:
        """``POST /api/v1/nft/create``: multipart with ``additional_info`` as JSON text."""
        url = self.base_url + MINT_PATH
        if not isinstance(additional_info, dict):
            raise ChainError(
                f"POST {url} not sent: additional_info must be a JSON object, "
                f"got {type(additional_info).__name__}"
            )
        try:
            info_text = json.dumps(additional_info, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ChainError(f"POST {url} not sent: additional_info is not JSON: {exc}") from exc
        if file_path is None:
            image, filename = default_image(), DEFAULT_IMAGE
        else:
            image, filename = read_upload(file_path, "NFT image"), Path(file_path).name
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        data = {"app": app if app is not None else self.app, "name": name}
        if recipient_paymail is not None:
            data["recipient_paymail"] = recipient_paymail
        data["additional_info"] = info_text
        response = self._authed("POST", url, data=data, files={"file": (filename, image, mime)})
        return self._json(response, "POST", url, dict)


__all__ = ["HttpChainClient"]
