"""HttpChainClient against hostile chain servers on 127.0.0.1: size, time and depth limits.

Each server here (tests/integration/hostile_server.py) answers the token request normally
and then trickles, floods or nests. Every server stops by itself
after a bounded number of bytes or seconds, so a client without the limit under test ends
the test with a wrong result, never a hang.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pytest

from nictbw.adapters.chain import HttpChainClient
from nictbw.adapters.chain.http import MINT_OUTCOME_UNKNOWN
from nictbw.domain.errors import ChainError, ValidationError
from tests.integration.hostile_server import Behaviour, HostileServer, answer

pytestmark = pytest.mark.timeout(60)


def client_for(server: HostileServer, **options: Any) -> HttpChainClient:
    settings: dict[str, Any] = {"username": "svc", "password": "pw-1", "backoff": 0.01}
    settings.update(options)
    return HttpChainClient(server.base_url, **settings)


# -- overall deadline -----------------------------------------------------------------------


def test_a_body_trickled_byte_by_byte_ends_at_the_deadline(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    body = b"[" + b" " * 40 + b"]"

    def behaviour(conn: socket.socket, line: str) -> None:
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        conn.sendall(head)
        server.trickle(conn, body, 0.1)

    server = serve(behaviour)
    client = client_for(server, timeout=0.5, deadline=1.0)
    with client, pytest.raises(ChainError, match="deadline of 1s") as info:
        client.get_user_nft_instances("alice")
    assert info.value.status is None
    assert server.sent < len(body)


def test_headers_trickled_byte_by_byte_end_at_the_deadline(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    response = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 40 + b"\r\nContent-Length: 2\r\n\r\n[]"

    def behaviour(conn: socket.socket, line: str) -> None:
        server.trickle(conn, response, 0.1)

    server = serve(behaviour)
    client = client_for(server, timeout=0.5, deadline=1.0)
    with client, pytest.raises(ChainError, match="deadline"):
        client.get_user_nft_instances("alice")
    assert server.sent < len(response)


def test_retries_share_the_calls_deadline(serve: Callable[[Behaviour], HostileServer]) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        time.sleep(0.45)
        answer(conn, b"{}", "503 Service Unavailable")

    server = serve(behaviour)
    client = client_for(server, timeout=2.0, deadline=1.0, retries=10)
    with client, pytest.raises(ChainError, match="deadline"):
        client.get_user_nft_instances("alice")
    assert len([r for r in server.requests if "/nfts/" in r]) < 10


def test_the_deadline_defaults_to_twice_the_timeout() -> None:
    client = HttpChainClient("http://chain.test", username="u", password="p", timeout=3)
    assert client.deadline == 6.0
    assert "deadline=6.0" in repr(client)


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), float("inf")])
def test_the_deadline_must_be_a_positive_number(deadline: float) -> None:
    with pytest.raises(ValidationError, match="deadline"):
        HttpChainClient("http://chain.test", username="u", password="p", deadline=deadline)


# -- size -------------------------------------------------------------------------------------


def test_an_answer_larger_than_the_limit_is_refused_while_streaming(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    total = 8 * 1024 * 1024

    def behaviour(conn: socket.socket, line: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        piece = b"[" + b" " * 65534 + b" "
        for _ in range(total // len(piece)):
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            server.sent += len(piece)
        conn.sendall(b"0\r\n\r\n")

    server = serve(behaviour)
    client = client_for(server, timeout=5, max_response_bytes=256 * 1024)
    with client, pytest.raises(ChainError, match="larger than 262144 bytes") as info:
        client.get_user_nft_instances("alice")
    assert info.value.status is None


def test_an_answer_declaring_a_length_over_the_limit_is_refused_before_reading(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n[")

    server = serve(behaviour)
    client = client_for(server, timeout=5, max_response_bytes=4096)
    with client, pytest.raises(ChainError, match="larger than 4096 bytes"):
        client.get_user_nft_instances("alice")


def test_the_size_limit_is_at_least_a_kibibyte() -> None:
    with pytest.raises(ValidationError, match="max_response_bytes"):
        HttpChainClient("http://chain.test", username="u", password="p", max_response_bytes=10)


# -- depth ------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [150, 100_000])
def test_deeply_nested_json_is_a_chain_error(
    serve: Callable[[Behaviour], HostileServer], depth: int
) -> None:
    body = b"[" * depth + b"]" * depth

    def behaviour(conn: socket.socket, line: str) -> None:
        answer(conn, body)

    server = serve(behaviour)
    with client_for(server, timeout=5) as client, pytest.raises(ChainError) as info:
        client.get_user_nft_instances("alice")
    assert info.value.status == 200
    assert "nests deeper" in str(info.value) or "not JSON" in str(info.value)


def test_deeply_nested_json_in_an_error_answer_is_a_chain_error(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    body = b'{"message":' * 50_000 + b"1" + b"}" * 50_000

    def behaviour(conn: socket.socket, line: str) -> None:
        answer(conn, body, "400 Bad Request")

    server = serve(behaviour)
    with client_for(server, timeout=5) as client, pytest.raises(ChainError) as info:
        client.get_user_nft_instances("alice")
    assert info.value.status == 400


# -- mints whose outcome is unknown -------------------------------------------------------------


def mint(client: HttpChainClient) -> dict[str, Any]:
    return client.mint_nft(name="n", additional_info={"prefix": "P"}, recipient_paymail="a@x")


def test_a_mint_that_timed_out_says_its_outcome_is_unknown(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        time.sleep(1.5)

    server = serve(behaviour)
    with client_for(server, timeout=0.3) as client, pytest.raises(ChainError) as info:
        mint(client)
    assert MINT_OUTCOME_UNKNOWN in str(info.value)
    assert "outcome unknown; sync to reconcile" in str(info.value)


def test_a_dropped_mint_says_its_outcome_is_unknown(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        conn.shutdown(socket.SHUT_RDWR)

    server = serve(behaviour)
    with client_for(server, timeout=2) as client, pytest.raises(ChainError) as info:
        mint(client)
    assert "outcome unknown" in str(info.value)


def test_a_mint_answered_with_a_server_error_says_its_outcome_is_unknown(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        answer(conn, b'{"message": "gateway gave up"}', "504 Gateway Timeout")

    server = serve(behaviour)
    with client_for(server, timeout=2) as client, pytest.raises(ChainError) as info:
        mint(client)
    assert info.value.status == 504
    assert "gateway gave up" in str(info.value)
    assert "outcome unknown" in str(info.value)


def test_a_refused_mint_does_not_claim_an_unknown_outcome(
    serve: Callable[[Behaviour], HostileServer],
) -> None:
    def behaviour(conn: socket.socket, line: str) -> None:
        answer(conn, b'{"message": "no such recipient"}', "400 Bad Request")

    server = serve(behaviour)
    with client_for(server, timeout=2) as client, pytest.raises(ChainError) as info:
        mint(client)
    assert "no such recipient" in str(info.value)
    assert "outcome unknown" not in str(info.value)


def test_a_mint_that_never_connected_does_not_claim_an_unknown_outcome() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        unused_port = taken.getsockname()[1]
    client = HttpChainClient(
        f"http://127.0.0.1:{unused_port}", username="u", password="p", timeout=1, backoff=0.01
    )
    with client, pytest.raises(ChainError, match="ConnectError") as info:
        mint(client)
    assert "outcome unknown" not in str(info.value)
