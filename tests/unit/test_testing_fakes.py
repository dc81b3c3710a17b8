"""nictbw.testing.fakes, the pytest plugin's fixtures, checks and the package surface."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from typing import Any

import pytest
from attrs import evolve

import nictbw.testing
from nictbw.adapters.chain.http import HttpChainClient
from nictbw.domain.entities import Admin, NFTDefinition, User
from nictbw.domain.errors import ValidationError
from nictbw.ports import UnitOfWork
from nictbw.testing import checks, fakes
from nictbw.workflows import create_and_issue_instance, create_nft_definition, register_admin

START = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def test_stepping_clock_moves_on_after_every_reading() -> None:
    clock = fakes.SteppingClock(START, timedelta(minutes=5))
    assert [clock.now(), clock.now()] == [START, START + timedelta(minutes=5)]
    assert clock.peek() == START + timedelta(minutes=10)
    assert fakes.stepping_clock().now() == fakes.DEFAULT_START


def test_stepping_clock_refuses_naive_starts_and_negative_steps() -> None:
    with pytest.raises(ValidationError, match="aware"):
        fakes.SteppingClock(datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="negative"):
        fakes.SteppingClock(START, timedelta(seconds=-1))


def test_seeded_rng_repeats() -> None:
    assert fakes.seeded_rng(3).random() == fakes.seeded_rng(3).random()
    assert fakes.seeded_rng(3).random() != fakes.seeded_rng(4).random()


def test_fakes_are_nictbws_own_adapters() -> None:
    from nictbw.adapters.beacon import FakeBeacon
    from nictbw.adapters.chain import FakeChain, FakeChainServer
    from nictbw.adapters.clock import FixedClock

    assert fakes.FakeChain is FakeChain
    assert fakes.FakeChainServer is FakeChainServer
    assert fakes.FixedClock is FixedClock
    assert fakes.FakeBeacon is FakeBeacon


def test_serve_fake_chain_answers_over_http() -> None:
    with fakes.serve_fake_chain() as server:
        client = HttpChainClient(
            server.base_url, username=fakes.FAKE_CHAIN_USERNAME, password=fakes.FAKE_CHAIN_PASSWORD
        )
        answer = client.signup_user("ana", "ana@example.org", "pw")
        client.close()
    assert answer["status"] == "success"
    assert "ana" in server.chain.accounts


def test_package_reexports_lazily() -> None:
    for name in nictbw.testing.__all__:
        assert getattr(nictbw.testing, name) is not None
    with pytest.raises(AttributeError):
        nictbw.testing.no_such_name  # noqa: B018


def test_plugin_is_registered_and_loads_without_hypothesis() -> None:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "nictbw"]
    assert [ep.value for ep in found] == ["nictbw.testing.pytest_plugin"]
    code = (
        "import sys; sys.modules['hypothesis'] = None; "
        "import nictbw.testing.pytest_plugin, nictbw.testing; "
        "print('hypothesis' in sys.modules and sys.modules['hypothesis'] is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plugin_fixtures(nictbw_container: Any, nictbw_uow: UnitOfWork, nictbw_chain: Any) -> None:
    assert nictbw_container.chain() is nictbw_chain
    assert nictbw_container.clock().now() == fakes.DEFAULT_START
    register_admin(nictbw_uow, Admin(password_hash="h"))
    nictbw_uow.commit()
    with nictbw_container.unit_of_work() as other:
        assert len(other.admins.list()) == 1


def test_fake_chain_server_fixture(fake_chain_server: Any, nictbw_chain: Any) -> None:
    assert fake_chain_server.chain is nictbw_chain
    assert fake_chain_server.base_url.startswith("http://127.0.0.1:")


def _issued(uow: UnitOfWork, count: int) -> NFTDefinition:
    admin = register_admin(uow, Admin(password_hash="h"))
    definition = create_nft_definition(
        uow, NFTDefinition(prefix="B", shared_key="k", name="n", created_by_admin_id=admin.id)
    )
    uow.users.add(User(in_app_id="u", created_at=START, updated_at=START))
    user = uow.users.list()[0]
    for _ in range(count):
        create_and_issue_instance(uow, user, definition, clock=fakes.fixed_clock())
    return definition


def test_checks_pass_on_what_workflows_write(nictbw_uow: UnitOfWork) -> None:
    _issued(nictbw_uow, 3)
    assert checks.invariant_violations(nictbw_uow, START) == []
    checks.assert_invariants(nictbw_uow, START)


class _Listing:
    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def list(self) -> list[Any]:
        return list(self.rows)


class _Snapshot:
    """What the checks read, frozen from a unit of work, so rows can be planted."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.definitions = _Listing(uow.definitions.list())
        self.instances = _Listing(uow.instances.list())
        self.bingo_cards = _Listing(uow.bingo_cards.list())


def test_checks_find_planted_serial_gap_count_and_supply(nictbw_uow: UnitOfWork) -> None:
    _issued(nictbw_uow, 2)
    snapshot: Any = _Snapshot(nictbw_uow)
    snapshot.instances.rows[1] = evolve(snapshot.instances.rows[1], serial_number=5)
    snapshot.definitions.rows[0] = evolve(
        snapshot.definitions.rows[0], minted_count=7, max_supply=1
    )
    problems = checks.invariant_violations(snapshot, START)
    assert any("serials [0, 5]" in p for p in problems), problems
    assert any("minted_count 7" in p for p in problems), problems
    assert any("max_supply 1" in p for p in problems), problems
    with pytest.raises(AssertionError, match="invariants violated"):
        checks.assert_invariants(snapshot, START)


def test_checks_find_a_duplicated_origin_and_unique_id(nictbw_uow: UnitOfWork) -> None:
    _issued(nictbw_uow, 2)
    snapshot: Any = _Snapshot(nictbw_uow)
    first, second = snapshot.instances.rows
    snapshot.instances.rows = [
        evolve(first, nft_origin="TX_0"),
        evolve(second, nft_origin="tx_0 ", unique_instance_id=first.unique_instance_id),
    ]
    problems = checks.invariant_violations(snapshot, START)
    assert any("'tx_0' is held by" in p for p in problems), problems
    assert any("used twice" in p for p in problems), problems


def test_checks_find_planted_card_faults(nictbw_uow: UnitOfWork) -> None:
    uow = nictbw_uow
    admin = register_admin(uow, Admin(password_hash="h"))
    made = {
        prefix: create_nft_definition(
            uow,
            NFTDefinition(
                prefix=prefix,
                shared_key="k",
                name="n",
                triggers_bingo_card=prefix == "FAIR",
                bingo_random_candidate=prefix != "FAIR",
                created_by_admin_id=admin.id,
            ),
        )
        for prefix in ["FAIR", *(f"B{i}" for i in range(8))]
    }
    uow.users.add(User(in_app_id="u", created_at=START, updated_at=START))
    user = uow.users.list()[0]
    for prefix in ("FAIR", "B0"):
        create_and_issue_instance(uow, user, made[prefix], clock=fakes.fixed_clock())
    assert checks.check_cards(uow, START) == []

    snapshot: Any = _Snapshot(uow)
    card = snapshot.bingo_cards.rows[0]
    b0_cell = next(c for c in card.cells if c.target_definition_id == made["B0"].id)
    b0_cell.state, b0_cell.unlocked_at = "locked", None
    problems = checks.check_cards(snapshot, START)
    assert any("locked although user" in p for p in problems), problems
    card.state = "completed"
    problems = checks.check_cards(snapshot, START)
    assert any("is completed with completed_at None" in p for p in problems), problems
    snapshot.bingo_cards.rows.append(evolve(card, id=99))
    assert any("two cards centred" in p for p in checks.check_cards(snapshot, START))
