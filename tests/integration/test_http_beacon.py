"""DrandBeacon over a real loopback socket against the fake beacon server, faults included."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from nictbw.adapters.beacon import DrandBeacon, FakeBeacon, FakeBeaconServer, serve_fake_beacon
from nictbw.adapters.clock import FixedClock
from nictbw.domain.beacon import verify_beacon
from nictbw.domain.errors import BeaconError, BeaconRoundNotPublishedError, ValidationError

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
PERIOD = 10


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + timedelta(seconds=25))


@pytest.fixture
def fake(clock: FixedClock) -> FakeBeacon:
    """Rounds 1-3 published at the clock's time."""
    return FakeBeacon(clock, seed=21, period=PERIOD, genesis_time=int(T0.timestamp()))


@pytest.fixture
def server(fake: FakeBeacon) -> Iterator[FakeBeaconServer]:
    with FakeBeaconServer(fake) as running:
        yield running


@pytest.fixture
def drand(server: FakeBeaconServer, fake: FakeBeacon, clock: FixedClock) -> Iterator[DrandBeacon]:
    with DrandBeacon(
        server.base_url, fake.info().chain_hash, clock=clock, timeout=5, backoff=0
    ) as client:
        yield client


def test_info_and_rounds_come_back_verified(drand: DrandBeacon, fake: FakeBeacon) -> None:
    assert drand.info() == fake.info()
    got = drand.get(3)
    assert got == fake.get(3)
    verify_beacon(fake.info(), got)
    assert drand.round_at(T0 + timedelta(seconds=25)) == 3
    assert drand.time_of(4) == T0 + timedelta(seconds=30)


def test_info_is_fetched_once(drand: DrandBeacon, server: FakeBeaconServer) -> None:
    drand.info()
    drand.get(1)
    drand.get(2)
    assert server.hits == {"info": 1, "public": 2}


def test_a_future_round_is_not_yet_published(drand: DrandBeacon) -> None:
    with pytest.raises(BeaconRoundNotPublishedError) as caught:
        drand.get(4)
    assert caught.value.round == 4
    assert caught.value.publish_at == T0 + timedelta(seconds=30)


def test_a_missing_past_round_is_a_beacon_error(
    server: FakeBeaconServer, drand: DrandBeacon, clock: FixedClock
) -> None:
    server.fail_next("status", status=404)
    clock.advance(timedelta(minutes=5))
    with pytest.raises(BeaconError, match="answered 404") as caught:
        drand.get(2)
    assert not isinstance(caught.value, BeaconRoundNotPublishedError)


def test_a_server_error_is_a_beacon_error(server: FakeBeaconServer, drand: DrandBeacon) -> None:
    server.fail_next("status", status=500)
    with pytest.raises(BeaconError, match="answered 500"):
        drand.get(2)
    assert server.hits["public"] == 1


def test_a_bad_gateway_is_retried(server: FakeBeaconServer, drand: DrandBeacon) -> None:
    server.fail_next("status", status=503, times=2)
    assert drand.get(2).round == 2
    assert server.hits["public"] == 3


def test_retries_are_bounded(server: FakeBeaconServer, drand: DrandBeacon) -> None:
    server.fail_next("status", status=502, times=5)
    with pytest.raises(BeaconError, match="answered 502"):
        drand.get(2)
    assert server.hits["public"] == 3


def test_malformed_json_is_a_beacon_error(server: FakeBeaconServer, drand: DrandBeacon) -> None:
    server.fail_next("malformed")
    with pytest.raises(BeaconError, match="malformed JSON"):
        drand.get(2)


def test_a_signature_that_does_not_verify_is_refused(
    server: FakeBeaconServer, drand: DrandBeacon
) -> None:
    server.fail_next("forged")
    with pytest.raises(BeaconError, match="does not verify"):
        drand.get(2)


def test_another_round_than_asked_is_refused(server: FakeBeaconServer, drand: DrandBeacon) -> None:
    server.fail_next("wrong_round")
    with pytest.raises(BeaconError, match="answered round 3, not 2"):
        drand.get(2)


def test_another_chain_is_refused(server: FakeBeaconServer, clock: FixedClock) -> None:
    client = DrandBeacon(server.base_url, "ab" * 32, clock=clock, backoff=0)
    with client, pytest.raises(BeaconError, match="answered 404"):
        client.info()


def test_an_answer_over_the_size_cap_is_refused(
    server: FakeBeaconServer, fake: FakeBeacon, clock: FixedClock
) -> None:
    with (
        DrandBeacon(
            server.base_url, fake.info().chain_hash, clock=clock, max_bytes=64, backoff=0
        ) as client,
        pytest.raises(BeaconError, match="cap"),
    ):
        client.info()


def test_transport_errors_are_retried_then_reported(fake: FakeBeacon, clock: FixedClock) -> None:
    calls: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        raise httpx.ReadTimeout("too slow", request=request)

    with (
        DrandBeacon(
            "http://beacon.invalid",
            fake.info().chain_hash,
            clock=clock,
            retries=2,
            backoff=0,
            transport=httpx.MockTransport(refuse),
        ) as client,
        pytest.raises(BeaconError, match="ReadTimeout"),
    ):
        client.info()
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "ftp://relay.example"}, "http"),
        ({"base_url": "https://user:secret@relay.example"}, "credentials"),
        ({"chain_hash": "xyz"}, "chain_hash"),
        ({"timeout": 0}, "timeout"),
        ({"deadline": -1}, "deadline"),
        ({"retries": 0}, "retries"),
        ({"max_bytes": 0}, "max_bytes"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {"base_url": "https://relay.example", "chain_hash": "ab" * 32}
    settings.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        DrandBeacon(**settings)  # type: ignore[arg-type]


def test_the_overall_deadline_bounds_retries(fake: FakeBeacon, clock: FixedClock) -> None:
    calls: list[str] = []

    def slow_gateway(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        time.sleep(0.2)
        return httpx.Response(502, text="bad gateway")

    client = DrandBeacon(
        "http://beacon.invalid",
        fake.info().chain_hash,
        clock=clock,
        retries=50,
        backoff=0,
        deadline=0.5,
        transport=httpx.MockTransport(slow_gateway),
    )
    with client, pytest.raises(BeaconError, match="deadline"):
        client.info()
    assert 1 <= len(calls) < 50


def test_serve_fake_beacon_serves_until_stopped(clock: FixedClock) -> None:
    ready: queue.Queue[FakeBeaconServer] = queue.Queue()
    thread = threading.Thread(
        target=serve_fake_beacon,
        args=(clock,),
        kwargs={
            "seed": 4,
            "period": PERIOD,
            "genesis_time": int(T0.timestamp()),
            "on_ready": ready.put,
        },
        daemon=True,
    )
    thread.start()
    server = ready.get(timeout=30)
    try:
        chain_hash = server.beacon.info().chain_hash
        with DrandBeacon(server.base_url, chain_hash, clock=clock) as client:
            assert client.get(1) == server.beacon.get(1)
    finally:
        server.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
