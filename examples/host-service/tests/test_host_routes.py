"""The host's HTTP routes, driven by nictbw's strategies, fixtures and fakes."""

from __future__ import annotations

from typing import Any

from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Client, fresh_host
from host_service import HostContainer
from nictbw import Admin, NFTDefinition, User
from nictbw.ports import UnitOfWork
from nictbw.testing import fakes
from nictbw.testing import strategies as nst
from nictbw.testing.checks import assert_invariants
from nictbw.workflows import create_nft_definition, register_admin

FEW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def seed_catalogue(uow: UnitOfWork) -> None:
    """One bingo trigger ``FAIR`` and nine plain badges ``B0``..``B8``; commits."""
    admin = register_admin(uow, Admin(password_hash="hash"))
    for prefix in ["FAIR", *(f"B{i}" for i in range(9))]:
        create_nft_definition(
            uow,
            NFTDefinition(
                prefix=prefix,
                shared_key=prefix.lower(),
                name=prefix,
                triggers_bingo_card=prefix == "FAIR",
                bingo_random_candidate=prefix != "FAIR",
                created_by_admin_id=admin.id,
            ),
        )
    uow.commit()


def sign_up_body(user: User, email: str = "visitor@example.org") -> dict[str, Any]:
    """The ``POST /users`` body for ``user``."""
    return {
        "in_app_id": user.in_app_id if user.in_app_id is not None else "visitor",
        "email": email,
        "password": "secret",
        "nickname": user.nickname,
    }


def test_issue_a_badge_and_read_the_card(client: Client, nictbw_uow: UnitOfWork) -> None:
    seed_catalogue(nictbw_uow)
    assert client.request("POST", "/users", sign_up_body(User(in_app_id="ana")))[0] == 201
    status, badge = client.request("POST", "/badges", {"in_app_id": "ana", "prefix": "FAIR"})
    assert (status, badge["serial_number"], badge["prefix"]) == (201, 0, "FAIR")
    assert badge["unique_instance_id"].startswith("FAIR-")
    status, cards = client.request("GET", "/users/ana/cards")
    assert status == 200
    assert len(cards) == 1
    centre = next(cell for cell in cards[0]["cells"] if cell["idx"] == 4)
    assert centre["state"] == "unlocked"


def test_unknown_visitor_and_badge_are_404(client: Client, nictbw_uow: UnitOfWork) -> None:
    seed_catalogue(nictbw_uow)
    assert client.request("GET", "/users/nobody/cards")[0] == 404
    client.request("POST", "/users", sign_up_body(User(in_app_id="ana")))
    status, answer = client.request("POST", "/badges", {"in_app_id": "ana", "prefix": "NOPE"})
    assert status == 404
    assert "NOPE" in answer["error"]


@FEW
@given(nst.users())
def test_sign_up_accepts_every_valid_visitor(user: User) -> None:
    client = Client(fresh_host())
    status, answer = client.request("POST", "/users", sign_up_body(user))
    assert status == 201, answer
    assert answer["paymail"].endswith("@fake.chain")


@FEW
@given(nst.invalid_users().filter(lambda b: b.field in {"in_app_id", "nickname"}))
def test_sign_up_refuses_a_broken_visitor(broken: nst.Broken[User]) -> None:
    client = Client(fresh_host())
    body = sign_up_body(evolve(broken.value, in_app_id=broken.value.in_app_id or ""))
    status, answer = client.request("POST", "/users", body)
    assert status == 400, answer
    assert broken.field in answer["error"] or "username" in answer["error"]
    assert client.request("GET", f"/users/{body['in_app_id']}/cards")[0] in (400, 404)


@FEW
@given(nst.invalid_emails())
def test_sign_up_refuses_a_broken_email(email: str) -> None:
    client = Client(fresh_host())
    status, answer = client.request("POST", "/users", sign_up_body(User(), email=email))
    assert status == 400
    assert "email" in answer["error"]


@FEW
@given(
    st.one_of(nst.origins().map(lambda o: (o, 201)), nst.invalid_origins().map(lambda o: (o, 400)))
)
def test_badges_take_valid_origins_only(origin_and_status: tuple[str, int]) -> None:
    origin, expected = origin_and_status
    host = fresh_host()
    with host.nictbw.unit_of_work() as uow:
        seed_catalogue(uow)
    client = Client(host)
    client.request("POST", "/users", sign_up_body(User(in_app_id="ana")))
    body = {"in_app_id": "ana", "prefix": "B0", "nft_origin": origin}
    assert client.request("POST", "/badges", body)[0] == expected


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nst.events(max_users=3, max_definitions=10, max_grants=12))
def test_a_whole_event_reads_back_through_the_host(event: nst.Event) -> None:
    host = fresh_host()
    with host.nictbw.unit_of_work() as uow:
        applied = nst.apply_event(uow, event, chain=host.nictbw.chain(), clock=host.nictbw.clock())
        uow.commit()
    client = Client(host)
    with host.nictbw.unit_of_work() as uow:
        assert_invariants(uow, host.nictbw.clock().now())
    triggers = {d.id for d in applied.definitions if d.triggers_bingo_card}
    for user in applied.users:
        status, cards = client.request("GET", f"/users/{user.in_app_id}/cards")
        held = {i.definition_id for i in applied.instances if i.user_id == user.id}
        assert status == 200
        assert len(cards) == len(held & triggers)


def test_sign_up_over_http_on_the_fake_chain_server(fake_chain_server: Any) -> None:
    host = HostContainer()
    host.config.from_dict(
        {
            "nictbw": {
                "database_url": "memory://",
                "chain": {
                    "base_url": fake_chain_server.base_url,
                    "username": fakes.FAKE_CHAIN_USERNAME,
                    "password": fakes.FAKE_CHAIN_PASSWORD,
                },
            }
        }
    )
    try:
        status, answer = Client(host).request("POST", "/users", sign_up_body(User(in_app_id="bo")))
        assert status == 201, answer
        assert "bo" in fake_chain_server.chain.accounts
    finally:
        host.shutdown_resources()
