"""``RandomnessBeacon`` over drand's HTTP API with httpx.

``GET {base}/{chain_hash}/info`` and ``GET {base}/{chain_hash}/public/{round}``. The same
transport discipline as the chain client: explicit timeouts, an overall deadline per
call, bounded retries (transport errors, 502/503/504) with backoff, and a cap on the size
of an answer. The chain info must carry the configured chain hash, and every round
returned is the round asked for and verifies against the chain's public key; anything
else is a ``BeaconError``. A round the relay does not have yet (404/425 for a round after
"now") raises ``BeaconRoundNotPublishedError`` with its publication time.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Final, Self

import httpx

from nictbw.domain.beacon import (
    BeaconInfo,
    BeaconRound,
    check_pinned_key,
    hex_bytes,
    verify_beacon,
)
from nictbw.domain.errors import BeaconError, BeaconRoundNotPublishedError, ValidationError
from nictbw.domain.jsontext import loads_bounded
from nictbw.ports.beacon import RandomnessBeacon
from nictbw.ports.clock import Clock, SystemClock

logger = logging.getLogger("nictbw.beacon")

DEFAULT_BASE_URL: Final = "https://api.drand.sh"
RETRY_STATUSES: Final = frozenset({502, 503, 504})
NOT_YET_STATUSES: Final = frozenset({404, 425})
MAX_RESPONSE_BYTES: Final = 64 * 1024
MAX_JSON_DEPTH: Final = 16
"""A drand answer is a flat object; anything nested deeper is refused unparsed."""
_JITTER: Final = 0.1


class DrandBeacon(RandomnessBeacon):
    """A drand relay for one chain, identified by ``chain_hash``.

    ``timeout`` bounds each network step, ``deadline`` a whole call with its retries,
    ``retries`` is the number of attempts of a GET. The chain info is fetched once and
    kept. No I/O happens before the first call; close with ``close()`` or a ``with``.
    """

    def __init__(
        self,
        base_url: str,
        chain_hash: str,
        *,
        timeout: float = 10.0,
        deadline: float = 30.0,
        retries: int = 3,
        backoff: float = 0.25,
        max_bytes: int = MAX_RESPONSE_BYTES,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        base = base_url.strip().rstrip("/") if isinstance(base_url, str) else base_url
        try:
            url = httpx.URL(base)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ValidationError(f"beacon base_url {base_url!r} is not a URL: {exc}") from exc
        if url.scheme not in ("http", "https") or not url.host:
            raise ValidationError(f"beacon base_url {base_url!r} needs an http(s) scheme and host")
        if url.query or url.fragment or url.userinfo:
            raise ValidationError(
                f"beacon base_url {base_url!r} must not have credentials, a query or a fragment"
            )
        try:
            hex_bytes(chain_hash, "beacon chain_hash", 32)
        except BeaconError as exc:
            raise ValidationError(str(exc)) from exc
        for name, value in (("timeout", timeout), ("deadline", deadline)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ValidationError(f"beacon {name} must be a positive number, got {value!r}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            raise ValidationError(f"beacon retries must be an int >= 1, got {retries!r}")
        if not backoff >= 0:
            raise ValidationError(f"beacon backoff must not be negative, got {backoff!r}")
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValidationError(f"beacon max_bytes must be an int >= 1, got {max_bytes!r}")
        self.base_url = str(base)
        self.chain_hash = chain_hash
        self.timeout = float(timeout)
        self.deadline = float(deadline)
        self.retries = retries
        self.backoff = float(backoff)
        self.max_bytes = max_bytes
        self.clock: Clock = clock or SystemClock()
        self._info: BeaconInfo | None = None
        self._jitter = random.Random()
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.timeout),
            headers={"Accept": "application/json"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"DrandBeacon(base_url={self.base_url!r}, chain_hash={self.chain_hash!r})"

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

    # -- transport --------------------------------------------------------------------

    def _get(self, path: str) -> tuple[int, bytes, str]:
        """GET ``path`` with retries inside the deadline: (status, body, url)."""
        url = f"{self.base_url}{path}"
        ends = time.monotonic() + self.deadline
        for attempt in range(1, self.retries + 1):
            remaining = ends - time.monotonic()
            if remaining <= 0:
                raise BeaconError(f"GET {url} gave up after the {self.deadline:g}s deadline")
            step = min(self.timeout, remaining)
            last = attempt == self.retries
            try:
                status, body = self._fetch(url, step, ends)
            except httpx.TransportError as exc:
                if last:
                    raise BeaconError(f"GET {url} failed: {type(exc).__name__}: {exc}") from exc
                reason = type(exc).__name__
            except httpx.HTTPError as exc:
                raise BeaconError(f"GET {url} failed: {type(exc).__name__}: {exc}") from exc
            else:
                if last or status not in RETRY_STATUSES:
                    return status, body, url
                reason = f"answered {status}"
            logger.warning("GET %s failed (%s), retry %d of %d", url, reason, attempt, self.retries)
            delay = self.backoff * 2 ** (attempt - 1)
            pause = delay * (1 + self._jitter.uniform(0, _JITTER))
            time.sleep(max(0.0, min(pause, ends - time.monotonic())))
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _fetch(self, url: str, step: float, ends: float) -> tuple[int, bytes]:
        with self._client.stream("GET", url, timeout=httpx.Timeout(step)) as response:
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                raise BeaconError(
                    f"GET {url} answer of {declared} bytes is over the {self.max_bytes} cap"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise BeaconError(f"GET {url} answer is over the {self.max_bytes} byte cap")
                if time.monotonic() > ends:
                    raise BeaconError(f"GET {url} gave up after the {self.deadline:g}s deadline")
                chunks.append(chunk)
            return response.status_code, b"".join(chunks)

    @staticmethod
    def _object(url: str, status: int, body: bytes) -> dict[str, Any]:
        if status != 200:
            text = body[:200].decode("utf-8", "replace")
            raise BeaconError(f"GET {url} answered {status}; body: {text!r}")
        try:
            data = loads_bounded(body, max_depth=MAX_JSON_DEPTH)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BeaconError(f"GET {url} answered malformed JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BeaconError(f"GET {url} answered {type(data).__name__}, not a JSON object")
        return data

    # -- the port ---------------------------------------------------------------------

    def info(self) -> BeaconInfo:
        """The chain info, fetched once; its hash must be the configured chain hash."""
        if self._info is not None:
            return self._info
        status, body, url = self._get(f"/{self.chain_hash}/info")
        data = self._object(url, status, body)
        try:
            info = BeaconInfo(
                chain_hash=data.get("hash"),  # type: ignore[arg-type]
                public_key=data.get("public_key"),  # type: ignore[arg-type]
                period=data.get("period"),  # type: ignore[arg-type]
                genesis_time=data.get("genesis_time"),  # type: ignore[arg-type]
                scheme=data.get("schemeID", "pedersen-bls-chained"),
            )
        except BeaconError as exc:
            raise BeaconError(f"GET {url} answered unusable chain info: {exc}") from exc
        if info.chain_hash != self.chain_hash:
            raise BeaconError(
                f"GET {url} answered the info of chain {info.chain_hash}, not {self.chain_hash}"
            )
        check_pinned_key(info)
        self._info = info
        return info

    def round_at(self, time: datetime) -> int:
        """The latest round published at ``time``."""
        return self.info().round_at(time)

    def time_of(self, round_number: int) -> datetime:
        """When ``round_number`` is published."""
        return self.info().time_of(round_number)

    def get(self, round_number: int) -> BeaconRound:
        """Round ``round_number``, checked to be that round and verified."""
        info = self.info()
        publish_at = info.time_of(round_number)
        status, body, url = self._get(f"/{self.chain_hash}/public/{round_number}")
        if status in NOT_YET_STATUSES and self.clock.now() < publish_at + _grace(info):
            raise BeaconRoundNotPublishedError(round_number, publish_at)
        data = self._object(url, status, body)
        got = data.get("round")
        if got != round_number or isinstance(got, bool):
            raise BeaconError(f"GET {url} answered round {got!r:.40}, not {round_number}")
        previous = data.get("previous_signature")
        beacon_round = BeaconRound(
            round=round_number,
            randomness=data.get("randomness"),  # type: ignore[arg-type]
            signature=data.get("signature"),  # type: ignore[arg-type]
            previous_signature=previous if previous not in (None, "") else None,
        )
        verify_beacon(info, beacon_round)
        return beacon_round


def _grace(info: BeaconInfo) -> timedelta:
    """How long after its time a round may still be missing from a relay: one period."""
    return timedelta(seconds=info.period)
