"""An in-process chain that behaves like the chain API (domain-rules.md §9.5).

``FakeChain`` implements ``ChainPort`` directly and is also the state behind
``FakeChainServer``. It is deterministic per seed: transaction ids come from a seeded
``random.Random``, timestamps from the given clock. Faults can be injected per call; the
fault table (routes and the fields a ``missing_fields`` fault removes) is here, shared by
the fake server.

Over 500 lines on purpose: one chain (accounts, tokens, minting, holdings, faults) whose
parts share one lock and one state; split, each part would reach into the others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
import uuid
from collections.abc import Hashable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, Literal, cast

from attrs import define, evolve, field, frozen

from nictbw.adapters.chain.common import DEFAULT_APP, default_image, error_body, read_upload
from nictbw.adapters.chain.ledger import Ledger
from nictbw.domain.errors import ChainError, ValidationError
from nictbw.ports.chain import ChainPort
from nictbw.ports.clock import Clock, SystemClock

FAKE_CHAIN_USERNAME: Final = "nictbw"
FAKE_CHAIN_PASSWORD: Final = "nictbw"

FaultKind = Literal["status", "timeout", "malformed", "missing_fields"]
FAULT_KINDS: Final = ("status", "timeout", "malformed", "missing_fields")

ROUTE_TOKEN: Final = "token"
ROUTE_SIGNUP: Final = "signup"
ROUTE_NFTS: Final = "nfts"
ROUTE_MINT: Final = "mint"
ROUTES: Final = (ROUTE_TOKEN, ROUTE_SIGNUP, ROUTE_NFTS, ROUTE_MINT)
"""The chain API's routes, as the fake server names them."""

DEFAULT_MISSING_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    ROUTE_TOKEN: ("access",),
    ROUTE_SIGNUP: ("paymail",),
    ROUTE_NFTS: ("nft_origin", "transaction_id"),
    ROUTE_MINT: ("nft_information",),
}
"""What a ``missing_fields`` fault removes by default, per route: the one fault table of
the in-process fake (``ChainFault``) and the fake server (``ServerFault``)."""


def strip_fields(body: Any, route: str, fields: Sequence[str] | None) -> Any:
    """``body`` without ``fields`` (``None``: the route's defaults), as a ``missing_fields``
    fault answers: removed from every item of the NFT list, else from the body and its
    ``nft_information``."""
    drop = DEFAULT_MISSING_FIELDS[route] if fields is None else tuple(fields)
    if route == ROUTE_NFTS and isinstance(body, list):
        return [
            {k: v for k, v in item.items() if k not in drop} if isinstance(item, dict) else item
            for item in body
        ]
    if isinstance(body, dict):
        stripped = {k: v for k, v in body.items() if k not in drop}
        info = stripped.get("nft_information")
        if isinstance(info, dict):
            stripped["nft_information"] = {k: v for k, v in info.items() if k not in drop}
        return stripped
    return body


@lru_cache(maxsize=4096)
def chain_timestamp(value: datetime) -> str:
    """ISO-8601 in UTC with a trailing ``Z`` and milliseconds, as the chain writes it.

    Remembered per value: a listing repeats the few times NFTs were minted and moved at.
    """
    utc = value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


_SHARED_INFOS: Final = 10_000
"""At most this many distinct ``additional_info`` objects are kept for sharing."""

_JSON_SCALARS: Final = frozenset({str, int, bool, type(None)})
"""Exact types a JSON round trip gives back as they are, with equality that tells their
JSON apart once the type is known (not floats: ``0.0 == -0.0``; not subclasses)."""


def _json_copy(value: Any) -> Any:
    """A deep copy of JSON data (objects, arrays, scalars), as a JSON round trip gives."""
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@frozen
class ChainFault:
    """A failure the fake answers with instead of doing the call.

    ``status``: a ``ChainError`` with that HTTP status; ``timeout``: a ``ChainError``
    without status, as a timed-out request; ``malformed``: an answer of the wrong JSON
    type (an object instead of the NFT list, a list instead of an object);
    ``missing_fields``: the normal answer with ``fields`` removed (from each item of the
    NFT list, from the body and ``nft_information`` otherwise); by default the keys that
    carry the origin of listed items, the paymail of a sign-up, the mint's
    ``nft_information``.
    """

    kind: FaultKind = "status"
    status: int = 500
    body: str | None = None
    fields: tuple[str, ...] | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValidationError(f"fault kind {self.kind!r} is not one of {FAULT_KINDS}")


@define(kw_only=True)
class FakeAccount:
    """A chain account created by sign-up."""

    username: str
    email: str
    password: str = field(repr=False)
    group: str | None
    paymail: str
    profile_pic: bytes | None = field(default=None, repr=False)
    created_at: datetime


@define(kw_only=True)
class FakeNFT:
    """One minted NFT and who holds it (``holder`` None: the minting app keeps it)."""

    nft_id: int
    origin: str
    transaction_id: str
    current_nft_location: str
    holder: str | None
    app: str
    name: str
    additional_info: dict[str, Any]
    unique_nft_id: str
    image: bytes = field(repr=False)
    created_at: datetime
    updated_at: datetime

    def payload(self) -> dict[str, Any]:
        """The NFT as the chain lists it (§9.5)."""
        return _payload(
            self.nft_id,
            self.origin,
            self.current_nft_location,
            self.transaction_id,
            self.name,
            self.unique_nft_id,
            self.created_at,
            self.updated_at,
            self.app,
            self.additional_info,
        )


def _payload(
    nft_id: int,
    origin: str,
    location: str,
    txid: str,
    name: str,
    unique_nft_id: str,
    created_at: datetime,
    updated_at: datetime,
    app: str,
    additional_info: dict[str, Any],
) -> dict[str, Any]:
    return {
        "nft_id": nft_id,
        "nft_origin": origin,
        "current_nft_location": location,
        "transaction_id": txid,
        "name": name,
        "unique_nft_id": unique_nft_id,
        "created_at": chain_timestamp(created_at),
        "updated_at": chain_timestamp(updated_at),
        "metadata": {
            "MAP": {
                "app": app,
                "type": "ord",
                "name": name,
                "subTypeData": _json_copy(additional_info),
            }
        },
    }


@frozen
class _Kind:
    """What NFTs minted alike share: app, name, ``additional_info``, unique id, image."""

    app: str
    name: str
    info: dict[str, Any]
    unique_nft_id: str
    image: bytes


class _Minted:
    """One minted NFT read back from the ``Ledger``: its ``FakeNFT`` and payload are
    built on read. ``txid`` is the mint's transaction id (the origin is ``{txid}_0``);
    ``moved`` the transaction id and location of the last transfer, None until one."""

    __slots__ = ("created_at", "holder", "kind", "moved", "nft_id", "txid", "updated_at")

    def __init__(self, ledger: Ledger[_Kind], nft_id: int) -> None:
        self.nft_id = nft_id
        self.txid = ledger.txid(nft_id)
        self.holder = ledger.holder(nft_id)
        self.kind = ledger.kind(nft_id)
        self.created_at = ledger.created_at(nft_id)
        self.updated_at = ledger.updated_at(nft_id)
        self.moved = ledger.moved(nft_id)

    def _place(self) -> tuple[str, str, str]:
        """Origin, latest transaction id and current location."""
        txid = self.txid.hex()
        origin = f"{txid}_0"
        if self.moved is None:
            return origin, txid, origin
        return origin, *self.moved

    def view(self) -> FakeNFT:
        """The NFT as a ``FakeNFT`` (its own ``additional_info``)."""
        origin, moved_txid, location = self._place()
        kind = self.kind
        return FakeNFT(
            nft_id=self.nft_id,
            origin=origin,
            transaction_id=moved_txid,
            current_nft_location=location,
            holder=self.holder,
            app=kind.app,
            name=kind.name,
            additional_info=dict(kind.info),
            unique_nft_id=kind.unique_nft_id,
            image=kind.image,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    def payload(self) -> dict[str, Any]:
        """The NFT as the chain lists it (§9.5)."""
        origin, moved_txid, location = self._place()
        kind = self.kind
        return _payload(
            self.nft_id,
            origin,
            location,
            moved_txid,
            kind.name,
            kind.unique_nft_id,
            self.created_at,
            self.updated_at,
            kind.app,
            kind.info,
        )


class FakeChain(ChainPort):
    """The chain, in process: accounts, NFTs, tokens and injectable faults.

    ``users`` are the API credentials accepted by ``login`` (signed-up accounts may log
    in too); by default ``{"nictbw": "nictbw"}``. Tokens expire ``token_lifetime``
    seconds after issue by ``clock``. Thread-safe, so the HTTP server can share it.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        paymail_domain: str = "fake.chain",
        clock: Clock | None = None,
        token_lifetime: float = 300.0,
        users: Mapping[str, str] | None = None,
        app: str = DEFAULT_APP,
    ) -> None:
        if token_lifetime <= 0:
            raise ValidationError(f"token_lifetime must be positive, got {token_lifetime!r}")
        self.seed = seed
        self.paymail_domain = paymail_domain
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.token_lifetime = token_lifetime
        self.app = app
        self._credentials = (
            dict(users) if users is not None else {FAKE_CHAIN_USERNAME: FAKE_CHAIN_PASSWORD}
        )
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._secret = hashlib.sha256(f"nictbw-fake-chain:{seed}".encode()).digest()
        self._accounts: dict[str, FakeAccount] = {}
        self._ledger: Ledger[_Kind] = Ledger()
        """Every minted NFT, in columns, found by the transaction id of its mint (the
        origin is ``{txid}_0``) and listed by holder."""
        self._by_paymail: dict[str, str] = {}
        """Account username by paymail (mint looks its recipient up here)."""
        self._infos: dict[Hashable, dict[str, Any]] = {}
        """Stored ``additional_info`` by its items or JSON text (``_shared_info``): NFTs
        minted alike share one (never changed: listings copy it), so a city-sized event
        does not hold a million dicts."""
        self._kinds: dict[tuple[str, str, Hashable, bytes], _Kind] = {}
        """What NFTs minted alike share, by app, name, ``additional_info`` key and image."""
        self._token_serial = 0
        self._token_generation = 0
        self._faults: dict[int, ChainFault] = {}
        self._calls = 0
        self.call_log: list[str] = []

    def __repr__(self) -> str:
        return (
            f"FakeChain(seed={self.seed}, paymail_domain={self.paymail_domain!r}, "
            f"accounts={len(self._accounts)}, nfts={len(self._ledger)})"
        )

    # -- inspection -------------------------------------------------------------------

    @property
    def calls(self) -> int:
        """How many ``ChainPort`` calls were made in process (faulted ones included)."""
        return self._calls

    @property
    def accounts(self) -> dict[str, FakeAccount]:
        """Copies of the accounts, by username."""
        with self._lock:
            return {name: evolve(acc) for name, acc in self._accounts.items()}

    @property
    def nfts(self) -> list[FakeNFT]:
        """Copies of every minted NFT, ascending ``nft_id``."""
        with self._lock:
            ledger = self._ledger
            return [_Minted(ledger, nft_id).view() for nft_id in range(1, len(ledger) + 1)]

    # -- faults -----------------------------------------------------------------------

    def fail_on(
        self,
        call_number: int,
        kind: FaultKind = "status",
        *,
        status: int = 500,
        body: str | None = None,
        fields: tuple[str, ...] | None = None,
    ) -> None:
        """Make the ``call_number``-th ``ChainPort`` call (1-based, counted by ``calls``) fail."""
        with self._lock:
            if call_number <= self._calls:
                raise ValidationError(
                    f"call {call_number} already happened ({self._calls} calls so far)"
                )
            self._faults[call_number] = ChainFault(
                kind=kind, status=status, body=body, fields=fields
            )

    def fail_next(
        self,
        kind: FaultKind = "status",
        *,
        status: int = 500,
        times: int = 1,
        body: str | None = None,
        fields: tuple[str, ...] | None = None,
    ) -> None:
        """Make the next ``times`` ``ChainPort`` calls fail."""
        with self._lock:
            for offset in range(1, times + 1):
                self.fail_on(self._calls + offset, kind, status=status, body=body, fields=fields)

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        with self._lock:
            self._faults.clear()

    def _begin(self, method: str) -> ChainFault | None:
        with self._lock:
            self._calls += 1
            self.call_log.append(method)
            return self._faults.pop(self._calls, None)

    @staticmethod
    def _raise_for(fault: ChainFault, method: str) -> None:
        if fault.kind == "status":
            body = fault.body if fault.body is not None else error_body("injected failure")
            raise ChainError(
                f"fake chain {method} answered {fault.status}: injected failure",
                status=fault.status,
                body=body,
            )
        if fault.kind == "timeout":
            raise ChainError(f"fake chain {method} timed out (injected)")

    # -- tokens -----------------------------------------------------------------------

    def _check_password(self, username: str, password: str) -> bool:
        expected = self._credentials.get(username)
        if expected is None and username in self._accounts:
            expected = self._accounts[username].password
        return expected is not None and hmac.compare_digest(
            expected.encode("utf-8"), password.encode("utf-8")
        )

    def _token(self, username: str, kind: str, lifetime: float) -> str:
        self._token_serial += 1
        claims = {
            "sub": username,
            "typ": kind,
            "exp": self.clock.now().timestamp() + lifetime,
            "jti": self._token_serial,
            "gen": self._token_generation,
        }
        header = _b64(b'{"alg":"HS256","typ":"JWT"}')
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        signature = hmac.new(self._secret, f"{header}.{payload}".encode(), "sha256").digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def login(self, username: str, password: str) -> dict[str, str]:
        """Issue ``{"access", "refresh"}`` tokens; wrong credentials → ``ChainError(401)``."""
        with self._lock:
            if not self._check_password(username, password):
                message = "No active account found with the given credentials"
                raise ChainError(
                    f"fake chain refused the credentials of {username!r}",
                    status=401,
                    body=json.dumps({"detail": message}),
                )
            return {
                "access": self._token(username, "access", self.token_lifetime),
                "refresh": self._token(username, "refresh", self.token_lifetime * 24),
            }

    def check_token(self, token: str) -> bool:
        """True when ``token`` is an access token of this chain, not expired nor revoked."""
        parts = token.split(".")
        if len(parts) != 3:
            return False
        header, payload, signature = parts
        expected = hmac.new(self._secret, f"{header}.{payload}".encode(), "sha256").digest()
        try:
            if not hmac.compare_digest(_unb64(signature), expected):
                return False
            claims = json.loads(_unb64(payload))
        except ValueError:
            return False
        if not isinstance(claims, dict) or claims.get("typ") != "access":
            return False
        with self._lock:
            if claims.get("gen") != self._token_generation:
                return False
        exp = claims.get("exp")
        return isinstance(exp, int | float) and self.clock.now().timestamp() < exp

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far (the next authenticated call gets 401)."""
        with self._lock:
            self._token_generation += 1

    # -- the chain's state changes (shared by the port methods and the server) -------

    def _hex(self) -> str:
        return f"{self._rng.getrandbits(256):064x}"

    def _txid(self) -> bytes:
        """A transaction id as ``_hex`` draws it, as its 32 bytes."""
        return self._rng.getrandbits(256).to_bytes(32, "big")

    def _find(self, origin: str) -> int | None:
        """The id of the NFT whose origin is exactly ``origin``, or None."""
        txid, _, output = origin.rpartition("_")
        if output != "0" or len(txid) != 64:
            return None
        try:
            key = bytes.fromhex(txid)
        except ValueError:
            return None
        if key.hex() != txid:
            return None  # the same bytes written otherwise (upper case): not this origin
        return self._ledger.find(key)

    def _unique_nft_id(self, additional_info: Mapping[str, Any], name: str) -> str:
        prefix = additional_info.get("prefix")
        key = f"prefix:{prefix}" if isinstance(prefix, str) else f"name:{name}"
        digest = hashlib.sha256(self._secret + key.encode("utf-8")).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))

    def create_account(
        self,
        username: str,
        email: str,
        password: str,
        *,
        group: str | None = None,
        profile_pic: bytes | None = None,
    ) -> dict[str, Any]:
        """Sign a user up; a blank or taken username → ``ChainError(400)``."""
        for key, value in (("username", username), ("email", email), ("password", password)):
            if not isinstance(value, str) or not value.strip():
                message = f"{key} is required"
                raise ChainError(
                    f"fake chain refused sign-up: {message}", status=400, body=error_body(message)
                )
        with self._lock:
            if username in self._accounts or username in self._credentials:
                message = f"username {username!r} is already taken"
                raise ChainError(
                    f"fake chain refused sign-up: {message}", status=400, body=error_body(message)
                )
            paymail = f"{username}@{self.paymail_domain}"
            self._accounts[username] = FakeAccount(
                username=username,
                email=email,
                password=password,
                group=group,
                paymail=paymail,
                profile_pic=profile_pic,
                created_at=self.clock.now(),
            )
            self._by_paymail.setdefault(paymail, username)
        return {
            "status": "success",
            "paymail": paymail,
            "message": f"user {username!r} signed up",
        }

    def nfts_of(self, username: str) -> list[dict[str, Any]]:
        """The payloads of the NFTs ``username`` holds; unknown user → ``ChainError(404)``."""
        with self._lock:
            if username not in self._accounts:
                message = f"user {username!r} not found"
                raise ChainError(f"fake chain: {message}", status=404, body=error_body(message))
            ledger = self._ledger
            return [_Minted(ledger, nft_id).payload() for nft_id in ledger.held_by(username)]

    def _shared_info(self, additional_info: dict[Any, Any]) -> tuple[Hashable, dict[str, Any]]:
        """The stored copy of ``additional_info`` (what a JSON round trip gives), shared by
        NFTs minted alike, and the key it is kept by; not JSON → ``ChainError(400)``.

        A flat object (string keys; strings, ints, booleans and nulls) is kept by its items
        and their types: such an object is its own JSON round trip. Any other is kept by
        its JSON text, made and read back.
        """
        items = tuple(additional_info.items())
        types = tuple(type(v) for v in additional_info.values())
        key: Hashable
        flat = all(type(k) is str for k, _ in items) and _JSON_SCALARS.issuperset(types)
        if flat:
            key = (items, types)  # the types too: 1 == True, yet they are different JSON
        else:
            try:
                key = json.dumps(additional_info)
            except (TypeError, ValueError) as exc:
                message = f"additional_info is not JSON: {exc}"
                raise ChainError(
                    f"fake chain refused mint: {message}", status=400, body=error_body(message)
                ) from exc
        info = self._infos.get(key)
        if info is not None:
            return key, info
        info = dict(additional_info) if flat else json.loads(cast(str, key))
        if len(self._infos) >= _SHARED_INFOS:
            self._infos.clear()
        self._infos[key] = info
        return key, info

    def mint(
        self,
        *,
        app: str,
        name: str,
        additional_info: object,
        recipient_paymail: str | None = None,
        image: bytes | None = None,
    ) -> dict[str, Any]:
        """Mint an NFT for ``recipient_paymail`` (None: the app keeps it).

        ``additional_info`` must be a JSON object; an unknown recipient or a bad
        ``additional_info`` → ``ChainError(400)``.
        """
        if not isinstance(additional_info, dict):
            message = f"additional_info must be a JSON object, got {type(additional_info).__name__}"
            raise ChainError(
                f"fake chain refused mint: {message}", status=400, body=error_body(message)
            )
        info_key, info = self._shared_info(additional_info)
        if not isinstance(name, str) or not name.strip():
            message = f"name is required, got {name!r}"
            raise ChainError(
                f"fake chain refused mint: {message}", status=400, body=error_body(message)
            )
        with self._lock:
            holder: str | None = None
            if recipient_paymail is not None:
                holder = self._by_paymail.get(recipient_paymail)
                if holder is None:
                    message = f"recipient {recipient_paymail!r} not found"
                    raise ChainError(
                        f"fake chain refused mint: {message}", status=400, body=error_body(message)
                    )
            picture = image if image is not None else default_image()
            kind = self._kinds.get((app, name, info_key, picture))
            if kind is None:
                if len(self._kinds) >= _SHARED_INFOS:
                    self._kinds.clear()
                kind = _Kind(app, name, info, self._unique_nft_id(info, name), picture)
                self._kinds[app, name, info_key, picture] = kind
            key = self._txid()
            nft_id = self._ledger.mint(key, holder, kind, self.clock.now())
            txid = key.hex()
            origin = f"{txid}_0"
        return {
            "transaction_id": txid,
            "transaction_hex": "0100000001" + txid,
            "nft_information": {
                "nft_id": nft_id,
                "nft_origin": origin,
                "current_nft_location": origin,
            },
        }

    def transfer(
        self, origin: str, to_username: str, new_location: str | None = None
    ) -> dict[str, Any]:
        """Test-only: move the NFT ``origin`` to ``to_username`` with a new location.

        The origin stays; the location and transaction id change. Returns the new payload.
        Unknown origin or user → ``ChainError(404)``.
        """
        with self._lock:
            nft_id = self._find(origin)
            if nft_id is None:
                message = f"NFT {origin!r} not found"
                raise ChainError(f"fake chain: {message}", status=404, body=error_body(message))
            if to_username not in self._accounts:
                message = f"user {to_username!r} not found"
                raise ChainError(f"fake chain: {message}", status=404, body=error_body(message))
            txid = self._hex()
            location = new_location if new_location is not None else f"{txid}_0"
            self._ledger.transfer(nft_id, to_username, txid, location, self.clock.now())
            return _Minted(self._ledger, nft_id).payload()

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
        """Create a chain account; duplicate username → ``ChainError(400)``."""
        fault = self._begin("signup_user")
        if fault is not None:
            self._raise_for(fault, "signup_user")
            if fault.kind == "malformed":
                return cast(dict[str, Any], ["malformed answer"])
        picture = (
            read_upload(profile_pic_filepath, "profile picture")
            if profile_pic_filepath is not None
            else None
        )
        body = self.create_account(username, email, password, group=group, profile_pic=picture)
        if fault is not None:
            body = strip_fields(body, ROUTE_SIGNUP, fault.fields or None)
        return body

    def get_user_nft_instances(self, on_chain_id: str) -> list[Any]:
        """The NFT payloads ``on_chain_id`` holds; unknown user → ``ChainError(404)``."""
        fault = self._begin("get_user_nft_instances")
        if fault is not None:
            self._raise_for(fault, "get_user_nft_instances")
            if fault.kind == "malformed":
                return cast(list[Any], {"status": "error", "message": "malformed answer"})
        items = self.nfts_of(on_chain_id)
        if fault is not None:
            items = strip_fields(items, ROUTE_NFTS, fault.fields or None)
        return items

    def mint_nft(
        self,
        *,
        app: str | None = None,
        name: str,
        additional_info: dict[str, Any],
        recipient_paymail: str | None = None,
        file_path: str | None = None,
    ) -> dict[str, Any]:
        """Mint an NFT; unknown recipient or bad ``additional_info`` → ``ChainError(400)``."""
        fault = self._begin("mint_nft")
        if fault is not None:
            self._raise_for(fault, "mint_nft")
            if fault.kind == "malformed":
                return cast(dict[str, Any], ["malformed answer"])
        image = read_upload(file_path, "NFT image") if file_path is not None else None
        body = self.mint(
            app=app if app is not None else self.app,
            name=name,
            additional_info=additional_info,
            recipient_paymail=recipient_paymail,
            image=image,
        )
        if fault is not None:
            body = strip_fields(body, ROUTE_MINT, fault.fields or None)
        return body


__all__ = [
    "DEFAULT_MISSING_FIELDS",
    "FAKE_CHAIN_PASSWORD",
    "FAKE_CHAIN_USERNAME",
    "ROUTES",
    "ROUTE_MINT",
    "ROUTE_NFTS",
    "ROUTE_SIGNUP",
    "ROUTE_TOKEN",
    "ChainFault",
    "FakeAccount",
    "FakeChain",
    "FakeNFT",
    "FaultKind",
    "chain_timestamp",
]
