"""The ChainPort contract (domain-rules.md §9.3-9.5), run on the in-process FakeChain and on
HttpChainClient talking to the fake chain served over HTTP. Both must answer alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

from nictbw.adapters.chain import FakeChain, FakeChainServer, HttpChainClient
from nictbw.adapters.clock import FixedClock
from nictbw.domain.chain_payload import parse_nft_payloads
from nictbw.domain.errors import ChainError
from nictbw.ports.chain import ChainPort

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
SEED = 21
ORIGIN_RE = re.compile(r"^[0-9a-f]{64}_0$")

pytestmark = pytest.mark.timeout(60)


@frozen
class Rig:
    """The port under test and the fake chain state behind it."""

    port: ChainPort
    chain: FakeChain


def new_chain() -> FakeChain:
    return FakeChain(seed=SEED, clock=FixedClock(T0), users={"svc": "svc-pw"})


@pytest.fixture(params=["in_process", "http"])
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    chain = new_chain()
    if request.param == "in_process":
        yield Rig(port=chain, chain=chain)
        return
    with (
        FakeChainServer(chain) as server,
        HttpChainClient(
            server.base_url, username="svc", password="svc-pw", timeout=5, backoff=0.01
        ) as client,
    ):
        yield Rig(port=client, chain=chain)


def script(port: ChainPort) -> list[Any]:
    """A fixed sequence of calls whose answers both implementations must agree on."""
    answers: list[Any] = [
        port.signup_user("alice", "alice@example.org", "pw-a"),
        port.signup_user("bob", "bob@example.org", "pw-b", group="staff"),
    ]
    for user, prefix in [("alice", "EXPO"), ("bob", "EXPO"), ("alice", "FOOD")]:
        answers.append(
            port.mint_nft(
                name=f"{prefix} badge",
                additional_info={"prefix": prefix, "name": prefix.title(), "description": "é"},
                recipient_paymail=f"{user}@fake.chain",
            )
        )
    answers.append(port.get_user_nft_instances("alice"))
    answers.append(port.get_user_nft_instances("bob"))
    return answers


def mint_for(port: ChainPort, user: str, prefix: str = "EXPO") -> dict[str, Any]:
    return port.mint_nft(
        name=f"{prefix} badge",
        additional_info={"prefix": prefix},
        recipient_paymail=f"{user}@fake.chain",
    )


def test_both_implementations_answer_a_script_identically(rig: Rig) -> None:
    assert script(rig.port) == script(new_chain())


def test_signup_answers_success_with_the_paymail(rig: Rig) -> None:
    body = rig.port.signup_user("alice", "alice@example.org", "pw")
    assert body["status"] == "success"
    assert body["paymail"] == "alice@fake.chain"
    assert isinstance(body["message"], str)


def test_signup_with_a_picture_stores_it(rig: Rig, tmp_path: Path) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(b"picture")
    rig.port.signup_user("alice", "a@example.org", "pw", profile_pic_filepath=str(picture))
    assert rig.chain.accounts["alice"].profile_pic == b"picture"


def test_duplicate_username_is_a_chain_error_400(rig: Rig) -> None:
    rig.port.signup_user("alice", "alice@example.org", "pw")
    with pytest.raises(ChainError) as info:
        rig.port.signup_user("alice", "again@example.org", "pw")
    assert info.value.status == 400


def test_listing_of_an_unknown_user_is_a_chain_error_404(rig: Rig) -> None:
    with pytest.raises(ChainError) as info:
        rig.port.get_user_nft_instances("nobody")
    assert info.value.status == 404


def test_new_user_holds_an_empty_list(rig: Rig) -> None:
    rig.port.signup_user("alice", "alice@example.org", "pw")
    assert rig.port.get_user_nft_instances("alice") == []


def test_mint_answer_has_transaction_and_nft_information(rig: Rig) -> None:
    rig.port.signup_user("alice", "alice@example.org", "pw")
    body = mint_for(rig.port, "alice")
    assert isinstance(body["transaction_id"], str)
    assert isinstance(body["transaction_hex"], str)
    info = body["nft_information"]
    assert info["nft_id"] == 1
    assert ORIGIN_RE.match(info["nft_origin"])
    assert info["current_nft_location"] == info["nft_origin"]


def test_minted_nft_is_listed_for_its_recipient_with_the_chain_payload_keys(rig: Rig) -> None:
    rig.port.signup_user("alice", "alice@example.org", "pw")
    origin = mint_for(rig.port, "alice")["nft_information"]["nft_origin"]
    [item] = rig.port.get_user_nft_instances("alice")
    assert set(item) == {
        "nft_id",
        "nft_origin",
        "current_nft_location",
        "transaction_id",
        "name",
        "unique_nft_id",
        "created_at",
        "updated_at",
        "metadata",
    }
    assert item["nft_origin"] == origin
    assert item["created_at"].endswith("Z")
    assert item["metadata"]["MAP"] == {
        "app": "nictbw",
        "type": "ord",
        "name": "EXPO badge",
        "subTypeData": {"prefix": "EXPO"},
    }


def test_listing_parses_cleanly(rig: Rig) -> None:
    rig.port.signup_user("alice", "alice@example.org", "pw")
    mint_for(rig.port, "alice", "EXPO")
    mint_for(rig.port, "alice", "FOOD")
    parsed = parse_nft_payloads(rig.port.get_user_nft_instances("alice"))
    assert (parsed.skipped, parsed.warnings) == ((), ())
    assert [p.prefix for p in parsed.items] == ["EXPO", "FOOD"]


def test_unique_nft_id_is_shared_per_prefix(rig: Rig) -> None:
    rig.port.signup_user("alice", "alice@example.org", "pw")
    for prefix in ("EXPO", "EXPO", "FOOD"):
        mint_for(rig.port, "alice", prefix)
    ids = [item["unique_nft_id"] for item in rig.port.get_user_nft_instances("alice")]
    assert ids[0] == ids[1] != ids[2]


def test_mint_to_an_unknown_recipient_is_a_chain_error_400(rig: Rig) -> None:
    with pytest.raises(ChainError) as info:
        mint_for(rig.port, "ghost")
    assert info.value.status == 400
    assert rig.chain.nfts == []


def test_mint_with_additional_info_not_an_object_is_a_chain_error(rig: Rig) -> None:
    with pytest.raises(ChainError):
        rig.port.mint_nft(name="n", additional_info=[1])  # type: ignore[arg-type]
    assert rig.chain.nfts == []


def test_mint_sends_the_given_file(rig: Rig, tmp_path: Path) -> None:
    image = tmp_path / "badge.png"
    image.write_bytes(b"badge")
    rig.port.mint_nft(name="n", additional_info={}, file_path=str(image))
    assert rig.chain.nfts[0].image == b"badge"


def test_unreadable_file_is_a_chain_error_and_mints_nothing(rig: Rig, tmp_path: Path) -> None:
    with pytest.raises(ChainError):
        rig.port.mint_nft(name="n", additional_info={}, file_path=str(tmp_path / "none.png"))
    assert rig.chain.nfts == []


@pytest.mark.parametrize("username", ["a/b c?", "ünï", "50%+1"])
def test_any_username_round_trips(rig: Rig, username: str) -> None:
    assert rig.port.signup_user(username, "x@example.org", "pw")["paymail"] == (
        f"{username}@fake.chain"
    )
    rig.port.mint_nft(name="n", additional_info={}, recipient_paymail=f"{username}@fake.chain")
    assert len(rig.port.get_user_nft_instances(username)) == 1


def test_transfer_is_seen_through_the_port(rig: Rig) -> None:
    rig.port.signup_user("alice", "alice@example.org", "pw")
    rig.port.signup_user("bob", "bob@example.org", "pw")
    origin = mint_for(rig.port, "alice")["nft_information"]["nft_origin"]
    rig.chain.transfer(origin, "bob")
    assert rig.port.get_user_nft_instances("alice") == []
    [item] = rig.port.get_user_nft_instances("bob")
    assert item["nft_origin"] == origin
    assert item["current_nft_location"] != origin
