"""HttpChainClient against the fake chain served on 127.0.0.1 (domain-rules.md §9)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from nictbw.adapters.chain import FakeChain, FakeChainServer, HttpChainClient
from nictbw.adapters.chain.common import default_image
from nictbw.adapters.chain.server import ROUTE_MINT, ROUTE_NFTS, ROUTE_SIGNUP, ROUTE_TOKEN
from nictbw.adapters.clock import FixedClock
from nictbw.domain.chain_payload import parse_nft_payloads
from nictbw.domain.errors import ChainError, ValidationError
from tests.support.signals import default_sigint

PASSWORD = "pa55-Word-never-shown"
TIMEOUT = 0.3
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fixed() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def chain(fixed: FixedClock) -> FakeChain:
    return FakeChain(seed=5, clock=fixed, users={"svc": PASSWORD}, token_lifetime=60)


@pytest.fixture
def server(chain: FakeChain) -> Iterator[FakeChainServer]:
    with FakeChainServer(chain) as running:
        yield running


ClientFactory = Callable[..., HttpChainClient]


@pytest.fixture
def make_client(server: FakeChainServer) -> Iterator[ClientFactory]:
    made: list[HttpChainClient] = []

    def make(**overrides: Any) -> HttpChainClient:
        options: dict[str, Any] = {
            "username": "svc",
            "password": PASSWORD,
            "timeout": 2.0,
            "backoff": 0.01,
        }
        options.update(overrides)
        base_url = options.pop("base_url", server.base_url)
        client = HttpChainClient(base_url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> HttpChainClient:
    return make_client()


def sign_up(client: HttpChainClient, username: str = "alice") -> dict[str, Any]:
    return client.signup_user(username, f"{len(username)}@example.org", "user-pw")


def mint_to(client: HttpChainClient, username: str = "alice") -> dict[str, Any]:
    return client.mint_nft(
        name="Expo badge",
        additional_info={"prefix": "EXPO", "name": "Expo", "description": "Ünïcode"},
        recipient_paymail=f"{username}@fake.chain",
    )


# -- every endpoint -----------------------------------------------------------------------


def test_token_endpoint_gets_the_credentials_as_json(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    [token] = server.requests_for(ROUTE_TOKEN)
    assert token.method == "POST"
    assert token.json == {"username": "svc", "password": PASSWORD}
    assert "Authorization" not in token.headers


def test_signup_without_picture_sends_json_with_null_group(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    body = client.signup_user("alice", "a@example.org", "user-pw")
    assert body["status"] == "success"
    assert body["paymail"] == "alice@fake.chain"
    [request] = server.requests_for(ROUTE_SIGNUP)
    assert request.json == {
        "username": "alice",
        "email": "a@example.org",
        "password": "user-pw",
        "group": None,
    }


def test_signup_with_picture_sends_multipart_without_null_fields(
    client: HttpChainClient, server: FakeChainServer, chain: FakeChain, tmp_path: Path
) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(b"\x89PNG-me")
    client.signup_user("alice", "a@example.org", "user-pw", profile_pic_filepath=str(picture))
    [request] = server.requests_for(ROUTE_SIGNUP)
    assert request.form == {"username": "alice", "email": "a@example.org", "password": "user-pw"}
    assert request.files["profile_pic"][:2] == ("me.png", b"\x89PNG-me")
    assert chain.accounts["alice"].profile_pic == b"\x89PNG-me"


def test_signup_with_group_in_multipart_sends_it(
    client: HttpChainClient, server: FakeChainServer, tmp_path: Path
) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(b"x")
    client.signup_user("alice", "a@x.org", "pw", group="g7", profile_pic_filepath=str(picture))
    assert server.requests_for(ROUTE_SIGNUP)[0].form["group"] == "g7"


def test_duplicate_signup_is_a_chain_error_400_with_the_chain_message(
    client: HttpChainClient,
) -> None:
    sign_up(client)
    with pytest.raises(ChainError, match="'alice' is already taken") as info:
        sign_up(client)
    assert info.value.status == 400
    assert info.value.body is not None
    assert json.loads(info.value.body)["status"] == "error"


def test_mint_sends_multipart_with_additional_info_as_json_text_and_the_shipped_png(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    body = mint_to(client)
    assert body["nft_information"]["nft_id"] == 1
    [request] = server.requests_for(ROUTE_MINT)
    assert request.form["app"] == "nictbw"
    assert request.form["name"] == "Expo badge"
    assert request.form["recipient_paymail"] == "alice@fake.chain"
    assert json.loads(request.form["additional_info"]) == {
        "prefix": "EXPO",
        "name": "Expo",
        "description": "Ünïcode",
    }
    filename, content, mime = request.files["file"]
    assert (filename, content, mime) == ("default.png", default_image(), "image/png")


def test_mint_sends_the_given_file_and_app_and_omits_a_missing_recipient(
    client: HttpChainClient, server: FakeChainServer, tmp_path: Path
) -> None:
    image = tmp_path / "badge.png"
    image.write_bytes(b"badge-bytes")
    client.mint_nft(app="kiosk", name="n", additional_info={}, file_path=str(image))
    [request] = server.requests_for(ROUTE_MINT)
    assert "recipient_paymail" not in request.form
    assert request.form["app"] == "kiosk"
    assert request.files["file"][:2] == ("badge.png", b"badge-bytes")


def test_mint_to_unknown_recipient_is_a_chain_error_400(client: HttpChainClient) -> None:
    with pytest.raises(ChainError, match="not found") as info:
        mint_to(client, "ghost")
    assert info.value.status == 400


def test_server_refuses_additional_info_that_is_not_a_json_object(
    server: FakeChainServer, chain: FakeChain
) -> None:
    token = chain.login("svc", PASSWORD)["access"]
    for text in ("[1, 2]", "not json"):
        response = httpx.post(
            server.base_url + "/api/v1/nft/create",
            data={"name": "n", "additional_info": text},
            files={"file": ("f.png", b"x", "image/png")},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 400
        assert response.json()["status"] == "error"


def test_mint_with_additional_info_not_an_object_sends_nothing(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    with pytest.raises(ChainError, match="must be a JSON object"):
        client.mint_nft(name="n", additional_info=["x"])  # type: ignore[arg-type]
    assert server.hits(ROUTE_MINT) == 0


def test_mint_with_an_unreadable_file_sends_nothing(
    client: HttpChainClient, server: FakeChainServer, tmp_path: Path
) -> None:
    with pytest.raises(ChainError, match=r"gone\.png"):
        client.mint_nft(name="n", additional_info={}, file_path=str(tmp_path / "gone.png"))
    assert server.hits(ROUTE_MINT) == 0


def test_listing_returns_the_payloads_as_sent(client: HttpChainClient, chain: FakeChain) -> None:
    sign_up(client)
    mint_to(client)
    listed = client.get_user_nft_instances("alice")
    assert listed == chain.get_user_nft_instances("alice")
    parsed = parse_nft_payloads(listed)
    assert (parsed.skipped, parsed.warnings) == ((), ())
    assert parsed.items[0].definition_fields["description"] == "Ünïcode"


def test_listing_of_an_unknown_user_is_a_chain_error_404(client: HttpChainClient) -> None:
    with pytest.raises(ChainError, match="'ghost' not found") as info:
        client.get_user_nft_instances("ghost")
    assert info.value.status == 404


def test_every_request_accepts_json_and_authenticated_ones_carry_the_bearer(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    mint_to(client)
    client.get_user_nft_instances("alice")
    assert all(r.headers.get("Accept") == "application/json" for r in server.requests)
    authed = [r for r in server.requests if r.route != ROUTE_TOKEN]
    assert len(authed) == 3
    assert all(r.headers["Authorization"].startswith("Bearer ") for r in authed)


# -- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not.a.token", "Basic abc"])
def test_server_answers_401_without_a_valid_bearer_token(
    server: FakeChainServer, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = httpx.get(server.base_url + "/api/v1/admin/nfts/info/alice", headers=headers)
    assert response.status_code == 401


def test_no_network_in_the_constructor() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    transport = httpx.MockTransport(record)
    HttpChainClient("http://chain.invalid", username="u", password="p", transport=transport)
    HttpChainClient("http://127.0.0.1:9", username="u", password="p")
    assert seen == []


def test_token_is_fetched_once_and_reused(client: HttpChainClient, server: FakeChainServer) -> None:
    sign_up(client)
    client.get_user_nft_instances("alice")
    client.get_user_nft_instances("alice")
    assert server.hits(ROUTE_TOKEN) == 1


def test_expired_token_is_renewed_by_one_login_and_the_call_repeated(
    client: HttpChainClient, server: FakeChainServer, fixed: FixedClock
) -> None:
    sign_up(client)
    fixed.advance(timedelta(seconds=61))
    assert client.get_user_nft_instances("alice") == []
    assert server.hits(ROUTE_TOKEN) == 2
    assert server.hits(ROUTE_NFTS) == 2


def test_a_second_401_is_a_chain_error_401(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    server.fail_next(ROUTE_NFTS, 401, times=2, body='{"detail": "still no"}')
    with pytest.raises(ChainError, match="still no") as info:
        client.get_user_nft_instances("alice")
    assert info.value.status == 401
    assert server.hits(ROUTE_TOKEN) == 2
    assert server.hits(ROUTE_NFTS) == 2


def test_wrong_credentials_are_a_chain_error_401_without_the_password(
    make_client: ClientFactory, server: FakeChainServer
) -> None:
    client = make_client(password="wrong-" + PASSWORD)
    with pytest.raises(ChainError, match="refused the credentials of 'svc'") as info:
        client.get_user_nft_instances("alice")
    assert info.value.status == 401
    assert PASSWORD not in str(info.value)
    assert server.hits(ROUTE_NFTS) == 0


def test_token_answer_without_access_is_a_chain_error(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    server.strip_fields_next(ROUTE_TOKEN, ["access"])
    with pytest.raises(ChainError, match="no string 'access'") as info:
        sign_up(client)
    assert info.value.status == 200


def test_password_never_appears_in_repr_errors_or_logs(
    make_client: ClientFactory, server: FakeChainServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    echo = json.dumps({"detail": f"bad password {PASSWORD}"})
    server.fail_next(ROUTE_TOKEN, 401, body=echo)
    caplog.set_level(logging.DEBUG, logger="nictbw")
    with pytest.raises(ChainError) as info:
        sign_up(client)
    assert PASSWORD not in repr(client)
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in (info.value.body or "")
    assert caplog.records
    assert all(PASSWORD not in r.getMessage() for r in caplog.records)


# -- faults -------------------------------------------------------------------------------


def test_error_status_is_a_chain_error_naming_method_url_status_and_message(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    server.fail_next(ROUTE_NFTS, 500)
    with pytest.raises(ChainError) as info:
        client.get_user_nft_instances("alice")
    message = str(info.value)
    assert message.startswith(f"GET {server.base_url}/api/v1/admin/nfts/info/alice answered 500")
    assert "injected failure" in message
    assert info.value.status == 500
    assert server.hits(ROUTE_NFTS) == 1


def test_error_body_is_truncated(client: HttpChainClient, server: FakeChainServer) -> None:
    sign_up(client)
    server.fail_next(ROUTE_NFTS, 500, body="x" * 5000)
    with pytest.raises(ChainError) as info:
        client.get_user_nft_instances("alice")
    assert info.value.body is not None
    assert 500 <= len(info.value.body) <= 510


def test_timeout_on_a_post_is_a_chain_error_within_the_timeout(
    make_client: ClientFactory, server: FakeChainServer
) -> None:
    client = make_client(timeout=TIMEOUT)
    sign_up(client)
    server.slow_next(ROUTE_MINT, 3.0)
    started = time.monotonic()
    with pytest.raises(ChainError, match="timed out") as info:
        mint_to(client)
    assert time.monotonic() - started < 3 * TIMEOUT
    assert info.value.status is None
    assert server.hits(ROUTE_MINT) == 1


def test_timeout_on_a_get_without_retries_is_a_chain_error_within_the_timeout(
    make_client: ClientFactory, server: FakeChainServer
) -> None:
    client = make_client(timeout=TIMEOUT, retries=1)
    sign_up(client)
    server.slow_next(ROUTE_NFTS, 3.0)
    started = time.monotonic()
    with pytest.raises(ChainError, match="timed out"):
        client.get_user_nft_instances("alice")
    assert time.monotonic() - started < 3 * TIMEOUT


def test_timeout_applies_to_authentication_too(
    make_client: ClientFactory, server: FakeChainServer
) -> None:
    client = make_client(timeout=TIMEOUT)
    server.slow_next(ROUTE_TOKEN, 3.0)
    started = time.monotonic()
    with pytest.raises(ChainError, match="jwt-token failed: timed out"):
        sign_up(client)
    assert time.monotonic() - started < 3 * TIMEOUT


def test_get_is_retried_after_a_timeout(
    make_client: ClientFactory, server: FakeChainServer
) -> None:
    client = make_client(timeout=TIMEOUT)
    sign_up(client)
    server.slow_next(ROUTE_NFTS, 3.0)
    assert client.get_user_nft_instances("alice") == []
    assert server.hits(ROUTE_NFTS) == 2


def test_get_is_retried_on_502_503_504(client: HttpChainClient, server: FakeChainServer) -> None:
    sign_up(client)
    server.fail_next(ROUTE_NFTS, 503)
    server.fail_next(ROUTE_NFTS, 504)
    assert client.get_user_nft_instances("alice") == []
    assert server.hits(ROUTE_NFTS) == 3


def test_get_gives_up_after_three_attempts(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    server.fail_next(ROUTE_NFTS, 502, times=5)
    with pytest.raises(ChainError) as info:
        client.get_user_nft_instances("alice")
    assert info.value.status == 502
    assert server.hits(ROUTE_NFTS) == 3


def test_get_is_not_retried_on_other_errors(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    server.fail_next(ROUTE_NFTS, 500, times=2)
    with pytest.raises(ChainError):
        client.get_user_nft_instances("alice")
    assert server.hits(ROUTE_NFTS) == 1


def test_get_is_retried_after_a_dropped_connection(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    server.drop_next(ROUTE_NFTS)
    assert client.get_user_nft_instances("alice") == []
    assert server.hits(ROUTE_NFTS) == 2


def test_retries_are_logged_on_nictbw_chain(
    client: HttpChainClient, server: FakeChainServer, caplog: pytest.LogCaptureFixture
) -> None:
    sign_up(client)
    server.fail_next(ROUTE_NFTS, 503)
    with caplog.at_level(logging.WARNING, logger="nictbw.chain"):
        client.get_user_nft_instances("alice")
    assert [r.name for r in caplog.records] == ["nictbw.chain"]
    assert "(answered 503), retrying: attempt 2 of 3" in caplog.records[0].getMessage()


def test_dropped_post_is_a_chain_error_and_never_resent(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    server.drop_next(ROUTE_MINT)
    with pytest.raises(ChainError, match="nft/create failed") as info:
        mint_to(client)
    assert info.value.status is None
    assert server.hits(ROUTE_MINT) == 1


def test_post_is_not_retried_on_503(client: HttpChainClient, server: FakeChainServer) -> None:
    sign_up(client)
    server.fail_next(ROUTE_MINT, 503)
    with pytest.raises(ChainError) as info:
        mint_to(client)
    assert info.value.status == 503
    assert server.hits(ROUTE_MINT) == 1


def test_malformed_json_is_a_chain_error_with_status_and_body(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    server.malformed_next(ROUTE_NFTS)
    with pytest.raises(ChainError, match="not JSON") as info:
        client.get_user_nft_instances("alice")
    assert info.value.status == 200
    assert info.value.body is not None
    assert info.value.body.startswith('{"status": "success", "oops')


def test_json_of_the_wrong_type_is_a_chain_error(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    server.fail_next(ROUTE_NFTS, 200, body='{"items": []}')
    with pytest.raises(ChainError, match="expected an array, got JSON dict"):
        client.get_user_nft_instances("alice")
    server.fail_next(ROUTE_SIGNUP, 200, body="[1]")
    with pytest.raises(ChainError, match="expected an object, got JSON list"):
        sign_up(client, "bob")


def test_items_missing_fields_come_through_and_are_skipped_by_the_parser(
    client: HttpChainClient, server: FakeChainServer
) -> None:
    sign_up(client)
    mint_to(client)
    server.strip_fields_next(ROUTE_NFTS)
    listed = client.get_user_nft_instances("alice")
    assert "nft_origin" not in listed[0]
    assert [n.reason for n in parse_nft_payloads(listed).skipped] == ["no origin"]


def test_unreachable_chain_is_a_chain_error_after_retries(unused_port: int) -> None:
    client = HttpChainClient(
        f"http://127.0.0.1:{unused_port}", username="u", password="p", timeout=1, backoff=0.01
    )
    with client, pytest.raises(ChainError, match="ConnectError") as info:
        client.get_user_nft_instances("alice")
    assert info.value.status is None


# -- transport-level retry rules with a scripted transport --------------------------------


def scripted(
    *steps: Exception | httpx.Response,
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return httpx.MockTransport(handler), seen


TOKEN = httpx.Response(200, json={"access": "t", "refresh": "r"})


def test_post_is_retried_when_the_connection_could_not_be_established() -> None:
    transport, seen = scripted(
        TOKEN,
        httpx.ConnectError("refused"),
        httpx.Response(200, json={"status": "success", "paymail": "a@x"}),
    )
    client = HttpChainClient(
        "http://chain.test", username="u", password="p", transport=transport, backoff=0
    )
    assert client.signup_user("a", "a@x.org", "pw")["paymail"] == "a@x"
    assert [r.url.path for r in seen] == [
        "/api/v1/auth/jwt-token",
        "/api/v1/auth/sign-up",
        "/api/v1/auth/sign-up",
    ]


def test_post_is_not_retried_when_reading_the_answer_failed() -> None:
    transport, seen = scripted(TOKEN, httpx.ReadError("reset"), TOKEN)
    client = HttpChainClient(
        "http://chain.test", username="u", password="p", transport=transport, backoff=0
    )
    with pytest.raises(ChainError, match="ReadError"):
        client.mint_nft(name="n", additional_info={})
    assert len(seen) == 2


def test_get_backs_off_exponentially_with_small_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("nictbw.adapters.chain.http.time.sleep", sleeps.append)
    transport, seen = scripted(TOKEN, *[httpx.Response(502)] * 3)
    client = HttpChainClient("http://chain.test", username="u", password="p", transport=transport)
    with pytest.raises(ChainError):
        client.get_user_nft_instances("a")
    assert len(seen) == 4
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.25 * 1.1
    assert 0.5 <= sleeps[1] <= 0.5 * 1.1


def test_cookies_are_kept_across_calls() -> None:
    transport, seen = scripted(
        httpx.Response(200, json={"access": "t"}, headers={"Set-Cookie": "sid=abc; Path=/"}),
        httpx.Response(200, json=[]),
    )
    client = HttpChainClient("http://chain.test", username="u", password="p", transport=transport)
    client.get_user_nft_instances("a")
    assert seen[1].headers["Cookie"] == "sid=abc"


def test_every_call_has_an_explicit_timeout_on_all_phases() -> None:
    transport, seen = scripted(TOKEN, httpx.Response(200, json=[]))
    client = HttpChainClient(
        "http://chain.test", username="u", password="p", transport=transport, timeout=7
    )
    client.get_user_nft_instances("a")
    for request in seen:
        assert request.extensions["timeout"] == {
            "connect": 7.0,
            "read": 7.0,
            "write": 7.0,
            "pool": 7.0,
        }


# -- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    ["a/b", "what?x=1", "with space", "ünïcødé", "100%", "a+b", "#frag", "..", ".", "x;y"],
)
def test_usernames_are_escaped_so_the_server_sees_them_exactly(
    client: HttpChainClient, server: FakeChainServer, username: str
) -> None:
    sign_up(client, username)
    assert client.get_user_nft_instances(username) == []
    [request] = server.requests_for(ROUTE_NFTS)
    assert request.username == username
    assert "/" not in request.raw_uri.removeprefix("/api/v1/admin/nfts/info/")


def test_base_url_with_a_path_prefix_and_trailing_slash(
    chain: FakeChain, make_client: ClientFactory
) -> None:
    with FakeChainServer(chain, prefix="/chain/v2") as prefixed:
        client = make_client(base_url=prefixed.base_url + "/")
        sign_up(client)
        assert client.get_user_nft_instances("alice") == []
        assert {r.raw_uri.split("/api/")[0] for r in prefixed.requests} == {"/chain/v2"}


def test_base_url_without_the_servers_prefix_is_a_chain_error_404(
    chain: FakeChain, make_client: ClientFactory
) -> None:
    with FakeChainServer(chain, prefix="/chain") as prefixed:
        client = make_client(base_url=prefixed.base_url.removesuffix("/chain"))
        with pytest.raises(ChainError) as info:
            sign_up(client)
        assert info.value.status == 404


@pytest.mark.parametrize("base_url", ["ftp://host", "not a url", "http://", "http://h/?q=1"])
def test_base_url_must_be_http_with_a_host(base_url: str) -> None:
    with pytest.raises(ValidationError, match="base_url"):
        HttpChainClient(base_url, username="u", password="p")


# -- the command-line server --------------------------------------------------------------


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_fake_chain_command_serves_until_interrupted() -> None:
    command = [sys.executable, "-m", "nictbw", "fake-chain", "--port", "0", "--seed", "4"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=env, preexec_fn=default_sigint
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            base_url = line.split(" listening on ")[1].split()[0]
            with HttpChainClient(base_url, username="nictbw", password="nictbw") as client:
                assert sign_up(client)["paymail"] == "alice@fake.chain"
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
