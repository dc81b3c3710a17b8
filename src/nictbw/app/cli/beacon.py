"""The randomness beacon of the command line: the configured relay, and ``nictbw
fake-beacon`` serving a fake drand chain over HTTP."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from nictbw.app.cli.fake_chain import _check_port_free
from nictbw.app.cli.root import app
from nictbw.app.container import Container
from nictbw.ports import RandomnessBeacon

if TYPE_CHECKING:
    from nictbw.adapters.beacon import FakeBeaconServer


@contextmanager
def configured_beacon(beacon_url: str | None) -> Iterator[RandomnessBeacon]:
    """The beacon of the ``beacon.*`` settings (``NICTBW_BEACON_*``), ``beacon_url``
    replacing the relay's base URL when given; closed on exit."""
    container = Container.from_env()
    if beacon_url is not None:
        container.config.beacon.base_url.from_value(beacon_url.strip())
    try:
        yield container.beacon()
    finally:
        container.shutdown_resources()


@app.command("fake-beacon")
def fake_beacon(
    port: Annotated[int, typer.Option(min=0, max=65535, help="0 picks a free port.")] = 8124,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of the beacon's key pair.")] = 0,
    period: Annotated[
        int, typer.Option(min=1, max=86_400, help="Seconds between two rounds.")
    ] = 30,
    genesis: Annotated[
        int | None,
        typer.Option(
            metavar="UNIX_SECONDS",
            min=0,
            max=2**40,
            help="When round 1 is published (default: now).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve a fake drand chain (its own BLS keys, rounds on the system clock) until Ctrl-C.

    Point a draw at it with --beacon-url and NICTBW_BEACON_CHAIN_HASH; verify its draws
    with --public-key.
    """
    from nictbw.adapters.beacon import serve_fake_beacon
    from nictbw.ports.clock import SystemClock

    _check_port_free(host, port)

    def ready(server: FakeBeaconServer) -> None:
        info = server.beacon.info()
        typer.echo(
            f"fake beacon listening on {server.base_url} (Ctrl-C to stop)\n"
            f"chain hash {info.chain_hash}\npublic key {info.public_key}\n"
            f"period {info.period} s, genesis {info.genesis_time}, scheme {info.scheme}"
        )
        sys.stdout.flush()

    with contextlib.suppress(KeyboardInterrupt):
        serve_fake_beacon(
            SystemClock(),
            host=host,
            port=port,
            seed=seed,
            period=period,
            genesis_time=genesis,
            on_ready=ready,
        )
    typer.echo("fake beacon stopped")


__all__ = ["configured_beacon", "fake_beacon"]
