"""``nictbw draw seal``, ``draw run --sealed`` and ``verify`` against a fake drand relay
served over HTTP; ``fake-beacon`` as a process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import pytest
from typer.testing import CliRunner, Result

from nictbw.adapters.beacon import FakeBeacon, FakeBeaconServer
from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork, make_engine
from nictbw.app.cli import app
from nictbw.domain.sealing import seal_digest
from nictbw.ports.clock import SystemClock
from nictbw.workflows import create_nft_definition
from tests.support.signals import default_sigint

RUNNER = CliRunner()
EVENT_ARGS = ["--users", "30", "--days", "2", "--seed", "4"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("NICTBW_") and key != "NICTBW_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def relay() -> Iterator[FakeBeaconServer]:
    """A fake drand chain on the system clock, one round a second, over HTTP."""
    with FakeBeaconServer(FakeBeacon(SystemClock(), seed=21, period=1)) as server:
        yield server


@pytest.fixture(scope="module")
def simulated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sealed") / "event.db"
    result = RUNNER.invoke(app, ["simulate", *EVENT_ARGS, "--json", "-d", f"sqlite:///{path}"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def event_db(simulated_file: Path, tmp_path: Path) -> str:
    target = tmp_path / "event.db"
    shutil.copyfile(simulated_file, target)
    return f"sqlite:///{target}"


def cli(relay: FakeBeaconServer, *args: str) -> Result:
    env = {"NICTBW_BEACON_CHAIN_HASH": relay.beacon.info().chain_hash}
    return RUNNER.invoke(app, list(args), env=env)


def _wait_until(moment: str) -> None:
    left = datetime.fromisoformat(moment) - datetime.now(tz=datetime.fromisoformat(moment).tzinfo)
    time.sleep(max(0.0, left.total_seconds()) + 0.3)


def _seal_and_run(relay: FakeBeaconServer, event_db: str, tmp_path: Path) -> tuple[Any, Path]:
    url = relay.base_url
    sealed = cli(relay, "draw", "seal", "-t", "final_attendance", "--attendance", "FINAL-DAY",
                 "--beacon-url", url, "--margin", "1", "-d", event_db, "--json")  # fmt: skip
    assert sealed.exit_code == 0, sealed.output
    line = json.loads(sealed.stdout)
    assert line["beacon_chain_hash"] == relay.beacon.info().chain_hash
    _wait_until(line["beacon_round_at"])
    ran = cli(relay, "draw", "run", "-t", "final_attendance", "--sealed",
              str(line["snapshot_id"]), "--beacon-url", url, "--limit", "5", "-d", event_db,
              "--json")  # fmt: skip
    assert ran.exit_code == 0, ran.output
    summary = json.loads(ran.stdout)
    assert summary["eligible"] > 0, summary
    assert summary["beacon_round"] == line["beacon_round"]
    assert summary["sealed_snapshot_id"] == line["snapshot_id"]
    target = tmp_path / "draw.json"
    exported = cli(relay, "draw", "export", "-t", "final_attendance", "--winning-number-id",
                   str(summary["winning_number_id"]), "--limit", "5", "-o", str(target),
                   "-d", event_db)  # fmt: skip
    assert exported.exit_code == 0, exported.output
    return line, target


def test_seal_run_export_and_verify_a_sealed_draw(
    relay: FakeBeaconServer, event_db: str, tmp_path: Path
) -> None:
    line, target = _seal_and_run(relay, event_db, tmp_path)
    key = relay.beacon.info().public_key
    assert line["seal_digest"] == seal_digest(
        line["candidates_sha256"], line["beacon_chain_hash"], line["beacon_round"],
        line["max_wins_per_user"],
    )  # fmt: skip
    checked = cli(relay, "verify", "--public-key", key, "--expect-snapshot",
                  line["seal_digest"], str(target))  # fmt: skip
    assert checked.exit_code == 0, checked.output
    lines = checked.stdout.splitlines()
    for topic in ("beacon signature", "public key", "round time", "winning value",
                  "candidates", "scores and outcomes", "cap and ranking"):  # fmt: skip
        assert [x for x in lines if x.startswith(f"OK {topic}: ")], (topic, checked.stdout)
    assert f"snapshot digest: {line['candidates_sha256']}" in checked.stdout
    assert f"seal digest: {line['seal_digest']}" in checked.stdout
    assert "WARNING" not in checked.stdout

    plain = cli(relay, "verify", "--public-key", key, "--expect-snapshot",
                line["candidates_sha256"], str(target))  # fmt: skip
    assert plain.exit_code == 1
    assert "that is the candidate digest" in plain.stdout

    wrong = cli(relay, "verify", "--public-key", key, "--expect-snapshot", "0" * 64, str(target))
    assert wrong.exit_code == 1
    assert [x for x in wrong.stdout.splitlines() if x.startswith("MISMATCH candidates: ")]
    assert wrong.stdout.splitlines()[-1].startswith("FAILED:")

    untrusted = cli(relay, "verify", str(target))
    assert untrusted.exit_code == 1
    assert "MISMATCH public key: " in untrusted.stdout


def test_a_sealed_draw_is_refused_before_its_round(relay: FakeBeaconServer, event_db: str) -> None:
    url = relay.base_url
    sealed = cli(relay, "draw", "seal", "-t", "final_attendance", "--attendance", "FINAL-DAY",
                 "--beacon-url", url, "--margin", "600", "-d", event_db, "--json")  # fmt: skip
    assert sealed.exit_code == 0, sealed.output
    snapshot_id = json.loads(sealed.stdout)["snapshot_id"]
    ran = cli(relay, "draw", "run", "-t", "final_attendance", "--sealed", str(snapshot_id),
              "--beacon-url", url, "-d", event_db)  # fmt: skip
    assert ran.exit_code == 1
    errors = ran.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith("error: ")
    assert "not published" in errors[0]


def test_the_seal_line_shows_the_committed_cap_and_the_seal_digest(
    relay: FakeBeaconServer, event_db: str
) -> None:
    url = relay.base_url
    sealed = cli(relay, "draw", "seal", "-t", "final_attendance", "--attendance", "FINAL-DAY",
                 "--beacon-url", url, "--margin", "600", "--max-wins-per-user", "2", "-d",
                 event_db)  # fmt: skip
    assert sealed.exit_code == 0, sealed.output
    text = " ".join(sealed.stdout.split())
    assert "winners at most 2 per user" in text
    digest = text.split("seal digest ")[1].split()[0]
    engine = make_engine(event_db)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            latest = uow.draw_snapshots.list()[-1]
    finally:
        engine.dispose()
    assert latest.max_wins_per_user == 2
    assert digest == latest.seal_digest
    uncapped = cli(relay, "draw", "seal", "-t", "final_attendance", "--attendance",
                   "FINAL-DAY", "--beacon-url", url, "--margin", "600", "--no-cap", "-d",
                   event_db, "--json")  # fmt: skip
    assert uncapped.exit_code == 0, uncapped.output
    line = json.loads(uncapped.stdout)
    assert line["max_wins_per_user"] is None
    assert line["seal_digest"] not in (None, digest)
    both = cli(relay, "draw", "seal", "-t", "bingo_line", "--no-cap", "--max-wins-per-user",
               "1", "-d", event_db)  # fmt: skip
    assert both.exit_code == 2
    assert "--no-cap" in both.stderr


def test_sealing_no_candidates_is_one_error_line(relay: FakeBeaconServer, event_db: str) -> None:
    engine = make_engine(event_db)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            model = uow.definitions.get_by_prefix("FINAL-DAY")
            assert model is not None
            create_nft_definition(
                uow,
                attrs.evolve(model, id=None, prefix="EMPTY-DAY", shared_key="expo/empty-day",
                             minted_count=0, created_at=None, updated_at=None),
            )  # fmt: skip
            before = len(uow.draw_snapshots.list())
            uow.commit()
    finally:
        engine.dispose()
    sealed = cli(relay, "draw", "seal", "-t", "final_attendance", "--attendance", "EMPTY-DAY",
                 "--beacon-url", relay.base_url, "-d", event_db)  # fmt: skip
    assert sealed.exit_code == 1
    errors = sealed.stderr.strip().splitlines()
    assert len(errors) == 1, sealed.stderr
    assert errors[0].startswith("error: ")
    assert "'final_attendance'" in errors[0]
    assert "no candidates" in errors[0]
    engine = make_engine(event_db)
    try:
        with SqlAlchemyUnitOfWork(engine) as uow:
            assert len(uow.draw_snapshots.list()) == before
    finally:
        engine.dispose()


def test_sealed_excludes_a_winning_number(relay: FakeBeaconServer, event_db: str) -> None:
    ran = cli(relay, "draw", "run", "-t", "bingo_line", "--sealed", "1", "--winning-number",
              "x", "-d", event_db)  # fmt: skip
    assert ran.exit_code == 2
    assert "--sealed" in ran.stderr


def test_an_unsealed_draw_verifies_with_a_warning(
    relay: FakeBeaconServer, event_db: str, tmp_path: Path
) -> None:
    ran = cli(relay, "draw", "run", "-t", "final_attendance", "--attendance", "FINAL-DAY",
              "--winning-number", "chosen-7", "-d", event_db, "--json")  # fmt: skip
    assert ran.exit_code == 0, ran.output
    target = tmp_path / "plain.json"
    exported = cli(relay, "draw", "export", "-t", "final_attendance", "-o", str(target), "-d",
                   event_db)  # fmt: skip
    assert exported.exit_code == 0, exported.output
    checked = cli(relay, "verify", str(target))
    assert checked.exit_code == 0, checked.output
    warnings = [x for x in checked.stdout.splitlines() if x.startswith("WARNING: ")]
    assert any("chosen by the operator" in w and "not sealed" in w for w in warnings)
    assert "MISMATCH" not in checked.stdout


def test_fake_beacon_serves_http_until_interrupted(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NICTBW_")}
    with subprocess.Popen(
        [sys.executable, "-m", "nictbw", "fake-beacon", "--port", "0", "--seed", "3",
         "--period", "1"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_sigint,
    ) as process:  # fmt: skip
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            chain = process.stdout.readline().split()[-1]
            base = first.split()[4]
            import httpx

            answer = httpx.get(f"{base}/{chain}/info", timeout=10).json()
            assert answer["hash"] == chain
            process.send_signal(signal.SIGINT)
            out, _err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
    assert "fake beacon stopped" in out
