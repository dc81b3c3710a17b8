"""``nictbw fake-chain``: serve a fake chain API over HTTP."""

from __future__ import annotations

import socket
import sys
from typing import Annotated

import typer

from nictbw.app.cli.errors import CommandLineError
from nictbw.app.cli.root import app


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line when ``host:port`` cannot be bound (0 always can)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CommandLineError(f"cannot listen on {host}:{port}: {reason}") from None


@app.command("fake-chain")
def fake_chain(
    port: Annotated[int, typer.Option(min=0, max=65535, help="0 picks a free port.")] = 8123,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    seed: Annotated[int, typer.Option(help="Seed of transaction ids.")] = 0,
    username: Annotated[str, typer.Option(help="API username it accepts.")] = "nictbw",
    password: Annotated[str, typer.Option(help="API password it accepts.")] = "nictbw",
) -> None:
    """Serve a fake chain API over HTTP until Ctrl-C."""
    from nictbw.adapters.chain import run_fake_chain

    _check_port_free(host, port)

    def ready(url: str) -> None:
        typer.echo(f"fake chain listening on {url} (user {username!r}; Ctrl-C to stop)")
        sys.stdout.flush()

    run_fake_chain(port, host=host, seed=seed, users={username: password}, on_ready=ready)
    typer.echo("fake chain stopped")


__all__ = ["fake_chain"]
