"""No secret of the chain client shows in a message, a body, a repr or a log line.

Servers that echo what they were sent (headers, the request body, the password in JSON
escapes) run on 127.0.0.1 (tests/integration/hostile_server.py).
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from typing import Any

import pytest

from nictbw.adapters.chain import HttpChainClient
from nictbw.domain.errors import ChainError, ValidationError
from tests.integration.hostile_server import ACCESS_TOKEN, Behaviour, HostileServer, answer

pytestmark = pytest.mark.timeout(60)

Serve = Callable[[Behaviour], HostileServer]


def shown(error: ChainError) -> str:
    """Everything a ChainError lets a person see."""
    return f"{error} {error!r} {error.body}"


def echo_headers(conn: socket.socket, line: str, *, status: str = "400 Bad Request") -> None:
    """Answers with the request's Authorization header quoted back (as some proxies do)."""
    detail = f"bad request; Authorization: Bearer {ACCESS_TOKEN}"
    answer(
        conn, json.dumps({"message": detail, "headers": {"auth": ACCESS_TOKEN}}).encode(), status
    )


def client_for(server: HostileServer, password: str = "pw-1", **options: Any) -> HttpChainClient:
    return HttpChainClient(
        server.base_url, username="svc", password=password, timeout=2, backoff=0.01, **options
    )


def test_a_server_echoing_the_bearer_token_does_not_show_it(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(echo_headers)
    caplog.set_level(logging.DEBUG)
    client = client_for(server)
    with client, pytest.raises(ChainError) as info:
        client.get_user_nft_instances("alice")
    assert info.value.status == 400
    assert ACCESS_TOKEN not in shown(info.value)
    assert "bad request" in str(info.value)
    assert all(ACCESS_TOKEN not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "password", ["P\u00e4ss-w\u00f6rd", 'pa"ss\\word', "s\u00e9cr\u00e8t \U0001f511 k"]
)
@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_a_password_echoed_as_escaped_json_is_not_shown(
    serve: Serve, password: str, ensure_ascii: bool
) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        body = json.dumps({"detail": f"user svc sent {password}"}, ensure_ascii=ensure_ascii)
        answer(conn, body.encode(), "500 Internal Server Error")

    server = serve(behaviour)
    client = client_for(server, password)
    with client, pytest.raises(ChainError) as info:
        client.get_user_nft_instances("alice")
    escaped = json.dumps(password, ensure_ascii=ensure_ascii)[1:-1]
    for form in {password, escaped}:
        assert form not in shown(info.value)
    assert "user svc sent ***" in str(info.value)


@pytest.mark.parametrize("password", ["admin", "http", "svc"])
def test_a_short_password_is_masked_whole_and_never_cut_out_of_other_words(
    serve: Serve, password: str
) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        text = f"administrator says: http://docs.example/svc-help, password {password}."
        answer(conn, json.dumps({"message": text}).encode(), "500 Internal Server Error")

    server = serve(behaviour)
    client = client_for(server, password)
    with client, pytest.raises(ChainError) as info:
        client.get_user_nft_instances("alice")
    message = str(info.value)
    assert message.startswith(f"GET {server.base_url}/api/v1/admin/nfts/info/alice answered 500")
    assert "administrator says: http://docs.example/svc-help, password ***." in message


def test_a_sign_up_echoing_the_users_password_does_not_show_it(serve: Serve) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        body = {"status": "error", "message": "weak password 'hunter2'", "password": "hunter2"}
        answer(conn, json.dumps(body).encode(), "400 Bad Request")

    server = serve(behaviour)
    client = client_for(server)
    with client, pytest.raises(ChainError) as info:
        client.signup_user("alice", "a@example.org", "hunter2")
    assert "hunter2" not in shown(info.value)
    assert "weak password '***'" in str(info.value)


def test_a_token_answer_without_access_does_not_show_the_refresh_token(serve: Serve) -> None:
    server = serve(echo_headers)
    server.token_answer = json.dumps({"refresh": "ref-SECRET-9", "acces": 1}).encode()
    client = client_for(server)
    with client, pytest.raises(ChainError, match="no string 'access'") as info:
        client.get_user_nft_instances("alice")
    assert "ref-SECRET-9" not in shown(info.value)


@pytest.mark.parametrize(
    "base_url", ["http://svc:pw-in-url@127.0.0.1:9", "https://svc:pw-in-url@chain.test/api"]
)
def test_a_base_url_with_credentials_is_refused_without_showing_them(base_url: str) -> None:
    with pytest.raises(ValidationError, match="must not carry credentials") as info:
        HttpChainClient(base_url, username="svc", password="p")
    assert "pw-in-url" not in str(info.value)
    assert "svc:***@" in str(info.value)


def test_a_refused_base_url_does_not_show_its_password() -> None:
    with pytest.raises(ValidationError) as info:
        HttpChainClient("ftp://svc:pw-in-url@chain.test", username="svc", password="p")
    assert "pw-in-url" not in str(info.value)


def test_the_password_and_token_are_not_in_the_repr(serve: Serve) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        answer(conn, b"[]")

    server = serve(behaviour)
    client = client_for(server, "pw-repr-1")
    with client:
        assert client.get_user_nft_instances("alice") == []
        assert "pw-repr-1" not in repr(client)
        assert ACCESS_TOKEN not in repr(client)
