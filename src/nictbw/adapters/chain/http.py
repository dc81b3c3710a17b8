"""``ChainPort`` over the chain's REST API with httpx (domain-rules.md §9).

A thin translation layer: explicit timeouts on every call, a lazily fetched bearer token
renewed once on 401, path segments percent-encoded, retries only where repeating cannot
duplicate an effect, and every failure turned into a ``ChainError`` carrying the method,
URL, HTTP status and (truncated) body.

Limits: every public call, with its retries and a re-login, ends within one overall
``deadline`` (default ``DEADLINE_FACTOR * timeout``), however slowly the server sends; an
answer larger than ``max_response_bytes`` is refused while it streams in; JSON nested
deeper than ``MAX_JSON_DEPTH`` is refused. Secrets (the password, the bearer token, a
signed-up user's password, credentials a server echoes) never appear in a repr, a log line,
an error message or ``ChainError.body``: see :mod:`nictbw.domain.redaction`.

Over 500 lines on purpose: one client whose every call shares the same retry, re-login,
deadline, size-cap and redaction path; the socket-level deadline lives in
:mod:`nictbw.adapters.chain.deadline`.
"""

from __future__ import annotations

import json
import logging
import math
import mimetypes
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeVar
from urllib.parse import quote

import httpx
from attrs import frozen

from nictbw.adapters.chain.common import DEFAULT_APP, DEFAULT_IMAGE, default_image, read_upload
from nictbw.adapters.chain.deadline import DeadlineError, deadline_transport
from nictbw.domain.errors import ChainError, ValidationError
from nictbw.domain.jsontext import loads_bounded
from nictbw.domain.redaction import mask_url, redact
from nictbw.ports.chain import ChainPort

logger = logging.getLogger("nictbw.chain")

TOKEN_PATH: Final = "/api/v1/auth/jwt-token"
SIGNUP_PATH: Final = "/api/v1/auth/sign-up"
NFTS_PATH: Final = "/api/v1/admin/nfts/info/"
MINT_PATH: Final = "/api/v1/nft/create"
RETRY_STATUSES: Final = frozenset({502, 503, 504})
BODY_LIMIT: Final = 500
DEFAULT_MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
"""The largest answer read, in bytes (after content decoding)."""
DEADLINE_FACTOR: Final = 2.0
"""Without an explicit ``deadline`` a call may take ``DEADLINE_FACTOR * timeout`` seconds."""
MAX_JSON_DEPTH: Final = 100
"""The deepest nesting of arrays and objects accepted in an answer."""
MINT_OUTCOME_UNKNOWN: Final = "the NFT may have been minted: outcome unknown; sync to reconcile"
_ERROR_TEXT_BYTES: Final = 64 * 1024
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


@frozen
class _Answer:
    """An answer read whole (within the size limit)."""

    status_code: int
    content: bytes
    charset: str | None

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300


@frozen
class _Call:
    """One public call: its deadline, the secrets to hide and whether its effect is unsure
    once it may have been sent."""

    name: str
    deadline: float
    secrets: tuple[str, ...] = ()
    mint: bool = False


class _OversizeError(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class HttpChainClient(ChainPort):
    """The chain API client.

    ``retries`` is the number of attempts for a call that may be repeated: a GET on a
    transport error, a timeout or 502/503/504, and any call whose connection could not be
    established; a request that went out otherwise is never re-sent. Backoff is
    ``backoff * 2**(attempt - 1)`` seconds plus up to 10 % jitter. ``timeout`` bounds each
    phase of one request (connect, write, each read); ``deadline`` bounds a whole call,
    retries and re-login included (default ``DEADLINE_FACTOR * timeout``); answers over
    ``max_response_bytes`` are refused. No I/O happens before the first call; use as a
    context manager or call ``close()``.

    ``base_url`` must not carry credentials (``http://user:pw@host``): the chain takes them
    as ``username`` and ``password``.
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
        deadline: float | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not isinstance(base_url, str):
            raise ValidationError(f"chain base_url must be a string, got {type(base_url).__name__}")
        base = base_url.strip().rstrip("/")
        shown = mask_url(base)
        try:
            url = httpx.URL(base)
        except httpx.InvalidURL:
            raise ValidationError(f"chain base_url {shown!r} is not a URL") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise ValidationError(f"chain base_url {shown!r} needs an http(s) scheme and host")
        if url.userinfo:
            raise ValidationError(
                f"chain base_url {shown!r} must not carry credentials; "
                "give them as chain.username and chain.password"
            )
        if url.query or url.fragment:
            raise ValidationError(f"chain base_url {shown!r} must not have a query or fragment")
        if not _positive_seconds(timeout):
            raise ValidationError(f"chain timeout must be positive, got {timeout!r}")
        if deadline is not None and not _positive_seconds(deadline):
            raise ValidationError(f"chain deadline must be positive, got {deadline!r}")
        if retries < 1:
            raise ValidationError(f"chain retries must be at least 1, got {retries!r}")
        if backoff < 0:
            raise ValidationError(f"chain backoff must not be negative, got {backoff!r}")
        if (
            isinstance(max_response_bytes, bool)
            or not isinstance(max_response_bytes, int)
            or max_response_bytes < 1024
        ):
            raise ValidationError(
                f"chain max_response_bytes must be an integer of at least 1024, "
                f"got {max_response_bytes!r}"
            )
        self.base_url = base
        self.username = username
        self.timeout = float(timeout)
        self.deadline = DEADLINE_FACTOR * self.timeout if deadline is None else float(deadline)
        self.max_response_bytes = max_response_bytes
        self.app = app
        self.retries = retries
        self.backoff = backoff
        self._password = password
        self._token: str | None = None
        self._auth_lock = threading.Lock()
        self._local = threading.local()
        self._jitter = random.Random()
        self._client = httpx.Client(
            transport=transport if transport is not None else deadline_transport(self),
            timeout=httpx.Timeout(
                connect=self.timeout, read=self.timeout, write=self.timeout, pool=self.timeout
            ),
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return (
            f"HttpChainClient(base_url={self.base_url!r}, username={self.username!r}, "
            f"timeout={self.timeout!r}, deadline={self.deadline!r})"
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

    # -- deadline ---------------------------------------------------------------------

    @contextmanager
    def _call(
        self, name: str, *, secrets: tuple[str, ...] = (), mint: bool = False
    ) -> Iterator[_Call]:
        """One public call; its deadline applies to every socket operation in this thread."""
        call = _Call(name, time.monotonic() + self.deadline, secrets, mint)
        previous = getattr(self._local, "deadline", None)
        self._local.deadline = call.deadline
        try:
            yield call
        finally:
            self._local.deadline = previous

    def _clamp(self, timeout: float | None, error: type[Exception]) -> float | None:
        """``timeout`` shortened to what is left of the current call; none left -> ``error``."""
        deadline: float | None = getattr(self._local, "deadline", None)
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise error("the call's deadline has passed")
        return left if timeout is None else min(timeout, left)

    # -- errors -----------------------------------------------------------------------

    def _secrets(self, call: _Call) -> tuple[str, ...]:
        token = self._token
        return (self._password, *((token,) if token else ()), *call.secrets)

    def _unsure(self, call: _Call, message: str, *, sent: bool = True) -> str:
        """``message``, saying that a mint may have happened when its request went out."""
        return f"{message}; {MINT_OUTCOME_UNKNOWN}" if call.mint and sent else message

    def _body_text(self, answer: _Answer, call: _Call) -> str:
        raw = answer.content[:_ERROR_TEXT_BYTES]
        try:
            text = raw.decode(answer.charset or "utf-8", "replace")
        except LookupError:
            text = raw.decode("utf-8", "replace")
        text = redact(text, self._secrets(call))
        if len(text) > BODY_LIMIT:
            return text[:BODY_LIMIT] + "…"
        return text

    def _status_error(
        self,
        call: _Call,
        method: str,
        url: str,
        answer: _Answer,
        problem: str | None = None,
    ) -> ChainError:
        body = self._body_text(answer, call)
        detail = problem
        if detail is None:
            try:
                data = loads_bounded(answer.content[:_ERROR_TEXT_BYTES], max_depth=MAX_JSON_DEPTH)
            except (ValueError, RecursionError):
                data = None
            if isinstance(data, dict):
                found = data.get("message") or data.get("detail")
                if isinstance(found, str):
                    detail = redact(found, self._secrets(call))[:BODY_LIMIT]
        message = f"{method} {url} answered {answer.status_code}"
        message += f": {detail}" if detail else f"; body: {body[:200]!r}"
        unsure = answer.is_success or answer.status_code >= 500
        return ChainError(
            self._unsure(call, message, sent=unsure), status=answer.status_code, body=body
        )

    def _transport_error(
        self, call: _Call, method: str, url: str, exc: Exception, *, sent: bool
    ) -> ChainError:
        if isinstance(exc, httpx.TimeoutException | DeadlineError):
            if time.monotonic() >= call.deadline:
                cause = f"exceeded the call's deadline of {self.deadline:g}s"
            else:
                cause = f"timed out after {self.timeout:g}s ({type(exc).__name__})"
        elif isinstance(exc, _OversizeError):
            cause = f"the answer is larger than {self.max_response_bytes} bytes"
        else:
            cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        message = redact(f"{method} {url} failed: {cause}", self._secrets(call))
        return ChainError(self._unsure(call, message, sent=sent))

    # -- transport --------------------------------------------------------------------

    def _pause(self, call: _Call, attempt: int) -> None:
        delay = self.backoff * 2 ** (attempt - 1)
        delay += delay * self._jitter.uniform(0, _JITTER)
        if time.monotonic() + delay >= call.deadline:
            raise DeadlineError
        time.sleep(delay)

    def _read(self, response: httpx.Response, call: _Call) -> bytes:
        """The answer's body, refused past ``max_response_bytes`` or the deadline."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise _OversizeError(int(declared))
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise _OversizeError(size)
            chunks.append(chunk)
            if time.monotonic() >= call.deadline:
                raise DeadlineError
        return b"".join(chunks)

    def _send(
        self,
        call: _Call,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> _Answer:
        """One logical request, with the retries §9.6 allows, within the call's deadline."""
        for attempt in range(1, self.retries + 1):
            last = attempt == self.retries
            started = time.monotonic()
            sent = False
            try:
                if started >= call.deadline:
                    raise DeadlineError
                request = self._client.build_request(method, url, headers=headers, **kwargs)
                sent = True
                response = self._client.send(request, stream=True)
                try:
                    content = self._read(response, call)
                finally:
                    response.close()
            except (httpx.TransportError, DeadlineError) as exc:
                # A request that never left can always be repeated; one that went out
                # only when it is a GET.
                never_sent = not sent or isinstance(
                    exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
                )
                if (
                    last
                    or isinstance(exc, DeadlineError)
                    or time.monotonic() >= call.deadline
                    or not (never_sent or method == "GET")
                ):
                    raise self._transport_error(
                        call, method, url, exc, sent=not never_sent
                    ) from None
                reason = type(exc).__name__
            except (httpx.HTTPError, httpx.InvalidURL, _OversizeError) as exc:
                raise self._transport_error(call, method, url, exc, sent=sent) from None
            else:
                logger.debug(
                    "%s %s -> %d in %.3fs",
                    method,
                    url,
                    response.status_code,
                    time.monotonic() - started,
                )
                answer = _Answer(response.status_code, content, response.charset_encoding)
                if last or method != "GET" or response.status_code not in RETRY_STATUSES:
                    return answer
                reason = f"answered {response.status_code}"
            logger.warning(
                "%s %s failed (%s), retrying: attempt %d of %d",
                method,
                url,
                reason,
                attempt + 1,
                self.retries,
            )
            try:
                self._pause(call, attempt)
            except DeadlineError as exc:
                raise self._transport_error(call, method, url, exc, sent=True) from None
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _login(self, call: _Call) -> str:
        """Fetch a new access token (§9.2) and keep it."""
        url = self.base_url + TOKEN_PATH
        login = _Call(call.name, call.deadline, call.secrets)
        answer = self._send(
            login, "POST", url, json={"username": self.username, "password": self._password}
        )
        if answer.status_code == 401:
            raise self._status_error(
                login,
                "POST",
                url,
                answer,
                f"the chain refused the credentials of {self.username!r}",
            )
        if not answer.is_success:
            raise self._status_error(login, "POST", url, answer)
        data = self._json(login, answer, "POST", url, dict)
        access = data.get("access")
        if not isinstance(access, str) or not access:
            raise ChainError(
                f"POST {url} answered {answer.status_code}: "
                "the token answer has no string 'access'",
                status=answer.status_code,
                body="(the token answer is not shown)",
            )
        self._token = access
        logger.debug("authenticated to %s as %r", self.base_url, self.username)
        return access

    def _current_token(self, call: _Call, stale: str | None = None) -> str:
        with self._auth_lock:
            if self._token is None or self._token == stale:
                return self._login(call)
            return self._token

    def _authed(self, call: _Call, method: str, url: str, **kwargs: Any) -> _Answer:
        """An authenticated call: one re-login and one repeat on 401 (§9.2)."""
        token = self._current_token(call)
        answer = self._send(
            call, method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )
        if answer.status_code == 401:
            logger.info("%s %s answered 401, logging in again", method, url)
            token = self._current_token(call, stale=token)
            answer = self._send(
                call, method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
        if not answer.is_success:
            raise self._status_error(call, method, url, answer)
        return answer

    def _json(self, call: _Call, answer: _Answer, method: str, url: str, expected: type[T]) -> T:
        try:
            data = loads_bounded(answer.content, max_depth=MAX_JSON_DEPTH)
        except ValidationError as exc:
            raise self._status_error(call, method, url, answer, str(exc)) from None
        except (ValueError, RecursionError):
            raise self._status_error(call, method, url, answer, "the body is not JSON") from None
        if not isinstance(data, expected):
            kind = "an object" if expected is dict else "an array"
            raise self._status_error(
                call, method, url, answer, f"expected {kind}, got JSON {type(data).__name__}"
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
        with self._call("sign-up", secrets=(password,)) as call:
            if profile_pic_filepath is None:
                answer = self._authed(call, "POST", url, json=fields)
            else:
                picture = read_upload(profile_pic_filepath, "profile picture")
                name = Path(profile_pic_filepath).name
                mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
                answer = self._authed(
                    call,
                    "POST",
                    url,
                    data={k: v for k, v in fields.items() if v is not None},
                    files={"profile_pic": (name, picture, mime)},
                )
            return self._json(call, answer, "POST", url, dict)

    def get_user_nft_instances(self, on_chain_id: str) -> list[Any]:
        """``GET /api/v1/admin/nfts/info/{username}``: the NFT payloads as sent."""
        url = self.base_url + NFTS_PATH + _segment(on_chain_id)
        with self._call("listing") as call:
            answer = self._authed(call, "GET", url)
            return self._json(call, answer, "GET", url, list)

    def mint_nft(
        self,
        *,
        app: str | None = None,
        name: str,
        additional_info: dict[str, Any],
        recipient_paymail: str | None = None,
        file_path: str | None = None,
    ) -> dict[str, Any]:
        """``POST /api/v1/nft/create``: multipart with ``additional_info`` as JSON text.

        A failure after the request may have reached the chain (a timeout, a dropped
        connection, a 5xx, an unusable success answer) says the outcome is unknown: the NFT
        may exist, and a sync of the recipient reconciles it.
        """
        url = self.base_url + MINT_PATH
        if not isinstance(additional_info, dict):
            raise ChainError(
                f"POST {url} not sent: additional_info must be a JSON object, "
                f"got {type(additional_info).__name__}"
            )
        try:
            info_text = json.dumps(additional_info, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ChainError(f"POST {url} not sent: additional_info is not JSON: {exc}") from None
        if file_path is None:
            image, filename = default_image(), DEFAULT_IMAGE
        else:
            image, filename = read_upload(file_path, "NFT image"), Path(file_path).name
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        data = {"app": app if app is not None else self.app, "name": name}
        if recipient_paymail is not None:
            data["recipient_paymail"] = recipient_paymail
        data["additional_info"] = info_text
        with self._call("mint", mint=True) as call:
            answer = self._authed(
                call, "POST", url, data=data, files={"file": (filename, image, mime)}
            )
            return self._json(call, answer, "POST", url, dict)


def _positive_seconds(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


__all__ = ["DEADLINE_FACTOR", "DEFAULT_MAX_RESPONSE_BYTES", "MAX_JSON_DEPTH", "HttpChainClient"]
