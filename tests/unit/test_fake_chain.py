"""The in-process fake chain: domain-rules.md §9.5 behaviour, tokens and fault injection."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.chain.common import default_image
from nictbw.adapters.clock import FixedClock
from nictbw.domain.chain_payload import parse_nft_payloads
from nictbw.domain.errors import ChainError, ValidationError

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ORIGIN_RE = re.compile(r"^[0-9a-f]{64}_0$")


@pytest.fixture
def fixed() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def chain(fixed: FixedClock) -> FakeChain:
    return FakeChain(seed=3, clock=fixed, users={"svc": "svc-pw"}, token_lifetime=60)


def signed_up(chain: FakeChain, *names: str) -> None:
    for name in names:
        chain.signup_user(name, f"{name}@example.org", "pw")


def mint_to(chain: FakeChain, username: str, prefix: str = "EXPO", **extra: Any) -> dict[str, Any]:
    return chain.mint_nft(
        name=f"{prefix} badge",
        additional_info={"prefix": prefix, "name": prefix.title(), **extra},
        recipient_paymail=f"{username}@fake.chain",
    )


# -- accounts -----------------------------------------------------------------------------


def test_signup_answers_success_with_a_paymail_on_the_configured_domain() -> None:
    chain = FakeChain(paymail_domain="chain.example")
    body = chain.signup_user("alice", "a@example.org", "pw", group="g1")
    assert body["status"] == "success"
    assert body["paymail"] == "alice@chain.example"
    assert chain.accounts["alice"].group == "g1"


def test_duplicate_username_is_refused_with_400(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    with pytest.raises(ChainError, match="'alice' is already taken") as info:
        chain.signup_user("alice", "other@example.org", "pw")
    assert info.value.status == 400
    assert info.value.body is not None
    assert '"status": "error"' in info.value.body


@pytest.mark.parametrize(("username", "email", "password"), [(" ", "e", "p"), ("u", "", "p")])
def test_signup_without_username_or_email_is_refused_with_400(
    chain: FakeChain, username: str, email: str, password: str
) -> None:
    with pytest.raises(ChainError) as info:
        chain.signup_user(username, email, password)
    assert info.value.status == 400


def test_signup_stores_the_profile_picture(chain: FakeChain, tmp_path: Path) -> None:
    picture = tmp_path / "me.png"
    picture.write_bytes(b"picture-bytes")
    chain.signup_user("alice", "a@example.org", "pw", profile_pic_filepath=str(picture))
    assert chain.accounts["alice"].profile_pic == b"picture-bytes"


def test_unreadable_profile_picture_is_a_chain_error_naming_the_path(
    chain: FakeChain, tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.png")
    with pytest.raises(ChainError, match=r"missing\.png"):
        chain.signup_user("alice", "a@example.org", "pw", profile_pic_filepath=missing)
    assert chain.accounts == {}


def test_account_repr_hides_the_password(chain: FakeChain) -> None:
    chain.signup_user("alice", "a@example.org", "s3cret-pw")
    assert "s3cret-pw" not in repr(chain.accounts["alice"])


# -- NFTs ---------------------------------------------------------------------------------


def test_unknown_user_listing_is_a_404(chain: FakeChain) -> None:
    with pytest.raises(ChainError, match="'nobody' not found") as info:
        chain.get_user_nft_instances("nobody")
    assert info.value.status == 404


def test_new_user_holds_nothing(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    assert chain.get_user_nft_instances("alice") == []


def test_mint_answers_transaction_and_nft_information(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    body = mint_to(chain, "alice")
    info = body["nft_information"]
    assert info["nft_id"] == 1
    assert ORIGIN_RE.match(info["nft_origin"])
    assert info["nft_origin"] == body["transaction_id"] + "_0"
    assert info["current_nft_location"] == info["nft_origin"]
    assert isinstance(body["transaction_hex"], str)


def test_nft_ids_count_up_per_chain(chain: FakeChain) -> None:
    signed_up(chain, "alice", "bob")
    ids = [mint_to(chain, name)["nft_information"]["nft_id"] for name in ("alice", "bob", "alice")]
    assert ids == [1, 2, 3]


def test_listing_has_the_payload_shape_of_the_chain(chain: FakeChain, fixed: FixedClock) -> None:
    signed_up(chain, "alice")
    body = mint_to(chain, "alice", category="food")
    [item] = chain.get_user_nft_instances("alice")
    origin = body["nft_information"]["nft_origin"]
    assert item == {
        "nft_id": 1,
        "nft_origin": origin,
        "current_nft_location": origin,
        "transaction_id": body["transaction_id"],
        "name": "EXPO badge",
        "unique_nft_id": item["unique_nft_id"],
        "created_at": "2026-05-01T09:00:00.000Z",
        "updated_at": "2026-05-01T09:00:00.000Z",
        "metadata": {
            "MAP": {
                "app": "nictbw",
                "type": "ord",
                "name": "EXPO badge",
                "subTypeData": {"prefix": "EXPO", "name": "Expo", "category": "food"},
            }
        },
    }


def test_listing_parses_without_skips_or_warnings(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    mint_to(chain, "alice", "EXPO")
    mint_to(chain, "alice", "FOOD")
    parsed = parse_nft_payloads(chain.get_user_nft_instances("alice"))
    assert (parsed.skipped, parsed.warnings) == ((), ())
    assert [p.prefix for p in parsed.items] == ["EXPO", "FOOD"]
    assert parsed.items[0].created_at == T0


def test_same_seed_gives_the_same_origins() -> None:
    def origins(seed: int) -> list[str]:
        chain = FakeChain(seed=seed)
        signed_up(chain, "alice")
        return [mint_to(chain, "alice")["nft_information"]["nft_origin"] for _ in range(3)]

    assert origins(11) == origins(11)
    assert origins(11) != origins(12)


def test_unique_nft_id_is_shared_by_every_nft_of_a_prefix(chain: FakeChain) -> None:
    signed_up(chain, "alice", "bob")
    mint_to(chain, "alice", "EXPO")
    mint_to(chain, "bob", "EXPO")
    mint_to(chain, "alice", "FOOD")
    alice = chain.get_user_nft_instances("alice")
    [bob] = chain.get_user_nft_instances("bob")
    assert alice[0]["unique_nft_id"] == bob["unique_nft_id"]
    assert alice[1]["unique_nft_id"] != bob["unique_nft_id"]


def test_mint_without_recipient_is_held_by_nobody(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    chain.mint_nft(name="n", additional_info={"prefix": "EXPO"})
    assert chain.get_user_nft_instances("alice") == []
    assert chain.nfts[0].holder is None


def test_mint_to_an_unknown_recipient_is_refused_with_400(chain: FakeChain) -> None:
    with pytest.raises(ChainError, match=r"recipient 'ghost@fake\.chain' not found") as info:
        chain.mint_nft(name="n", additional_info={}, recipient_paymail="ghost@fake.chain")
    assert info.value.status == 400
    assert chain.nfts == []


@pytest.mark.parametrize("info", [["x"], "text", None, {"bad": {1, 2}}])
def test_additional_info_that_is_not_a_json_object_is_refused_with_400(
    chain: FakeChain, info: Any
) -> None:
    with pytest.raises(ChainError) as raised:
        chain.mint_nft(name="n", additional_info=info)
    assert raised.value.status == 400


_INFO_VALUES = st.one_of(
    st.sampled_from([0, False, 0.0, -0.0, 1, True, 1.0, None, "1", ""]),
    st.lists(st.sampled_from([1, True, 1.0]), max_size=2),
    st.dictionaries(st.just("x"), st.sampled_from([1, True, None]), max_size=1),
)


@settings(max_examples=100, deadline=None)
@example(infos=[{"a": 1}, {"a": True}, {"a": 1.0}, {"a": 0}, {"a": False}, {"a": 0.0}, {"a": -0.0}])
@given(
    infos=st.lists(
        st.dictionaries(st.sampled_from(["a", "b"]), _INFO_VALUES, min_size=1, max_size=2),
        min_size=2,
        max_size=8,
    )
)
def test_every_nft_keeps_the_json_of_its_own_additional_info(
    infos: list[dict[str, Any]],
) -> None:
    # NFTs minted alike share one stored copy; values equal in Python but different in
    # JSON (1, True, 1.0; 0.0, -0.0) must never share one.
    chain = FakeChain(seed=1, clock=FixedClock(T0))
    chain.signup_user("alice", "alice@example.org", "pw")
    for info in infos:
        chain.mint_nft(name="n", additional_info=info, recipient_paymail="alice@fake.chain")
    listed = chain.get_user_nft_instances("alice")
    kept = [item["metadata"]["MAP"]["subTypeData"] for item in listed]
    assert [json.dumps(k) for k in kept] == [json.dumps(json.loads(json.dumps(i))) for i in infos]
    assert [json.dumps(n.additional_info) for n in chain.nfts] == [json.dumps(i) for i in infos]


def test_mint_app_defaults_to_the_chain_app_and_can_be_given(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    chain.mint_nft(name="a", additional_info={}, recipient_paymail="alice@fake.chain")
    chain.mint_nft(app="other", name="b", additional_info={}, recipient_paymail="alice@fake.chain")
    apps = [i["metadata"]["MAP"]["app"] for i in chain.get_user_nft_instances("alice")]
    assert apps == ["nictbw", "other"]


def test_mint_stores_the_given_file_or_the_shipped_png(chain: FakeChain, tmp_path: Path) -> None:
    image = tmp_path / "badge.png"
    image.write_bytes(b"my-image")
    chain.mint_nft(name="a", additional_info={}, file_path=str(image))
    chain.mint_nft(name="b", additional_info={})
    assert [nft.image for nft in chain.nfts] == [b"my-image", default_image()]
    assert default_image().startswith(b"\x89PNG\r\n\x1a\n")


def test_mint_with_an_unreadable_file_is_a_chain_error(chain: FakeChain, tmp_path: Path) -> None:
    with pytest.raises(ChainError, match=r"nope\.png"):
        chain.mint_nft(name="a", additional_info={}, file_path=str(tmp_path / "nope.png"))


def test_listing_is_a_copy_of_the_chain_state(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    mint_to(chain, "alice")
    chain.get_user_nft_instances("alice")[0]["metadata"]["MAP"]["subTypeData"]["prefix"] = "X"
    assert chain.get_user_nft_instances("alice")[0]["metadata"]["MAP"]["subTypeData"] == {
        "prefix": "EXPO",
        "name": "Expo",
    }


def test_transfer_moves_the_nft_keeping_its_origin(chain: FakeChain, fixed: FixedClock) -> None:
    signed_up(chain, "alice", "bob")
    origin = mint_to(chain, "alice")["nft_information"]["nft_origin"]
    fixed.advance(timedelta(minutes=5))
    moved = chain.transfer(origin, "bob")
    assert chain.get_user_nft_instances("alice") == []
    [item] = chain.get_user_nft_instances("bob")
    assert item == moved
    assert item["nft_origin"] == origin
    assert item["current_nft_location"] != origin
    assert item["current_nft_location"] == item["transaction_id"] + "_0"
    assert item["updated_at"] == "2026-05-01T09:05:00.000Z"
    assert item["created_at"] == "2026-05-01T09:00:00.000Z"


def test_transfer_takes_a_given_location(chain: FakeChain) -> None:
    signed_up(chain, "alice", "bob")
    origin = mint_to(chain, "alice")["nft_information"]["nft_origin"]
    assert chain.transfer(origin, "bob", new_location="loc_7")["current_nft_location"] == "loc_7"


def test_transfer_of_an_unknown_origin_or_to_an_unknown_user_is_a_404(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    origin = mint_to(chain, "alice")["nft_information"]["nft_origin"]
    with pytest.raises(ChainError) as unknown_origin:
        chain.transfer("f" * 64 + "_0", "alice")
    with pytest.raises(ChainError) as unknown_user:
        chain.transfer(origin, "ghost")
    assert (unknown_origin.value.status, unknown_user.value.status) == (404, 404)


# -- credentials and tokens ---------------------------------------------------------------


def test_login_issues_an_access_token_that_checks(chain: FakeChain) -> None:
    tokens = chain.login("svc", "svc-pw")
    assert chain.check_token(tokens["access"])
    assert tokens["access"].count(".") == 2


def test_refresh_token_is_not_an_access_token(chain: FakeChain) -> None:
    assert not chain.check_token(chain.login("svc", "svc-pw")["refresh"])


def test_wrong_credentials_are_refused_with_401_without_echoing_the_password(
    chain: FakeChain,
) -> None:
    with pytest.raises(ChainError) as info:
        chain.login("svc", "not-the-pw")
    assert info.value.status == 401
    assert "not-the-pw" not in str(info.value)
    assert "not-the-pw" not in (info.value.body or "")


def test_signed_up_account_may_log_in(chain: FakeChain) -> None:
    chain.signup_user("alice", "a@example.org", "alice-pw")
    assert chain.check_token(chain.login("alice", "alice-pw")["access"])


def test_default_credentials_are_nictbw() -> None:
    assert FakeChain().login("nictbw", "nictbw")["access"]


def test_token_expires_after_its_lifetime(chain: FakeChain, fixed: FixedClock) -> None:
    token = chain.login("svc", "svc-pw")["access"]
    fixed.advance(timedelta(seconds=59))
    assert chain.check_token(token)
    fixed.advance(timedelta(seconds=1))
    assert not chain.check_token(token)


def test_revoked_tokens_no_longer_check(chain: FakeChain) -> None:
    token = chain.login("svc", "svc-pw")["access"]
    chain.revoke_tokens()
    assert not chain.check_token(token)
    assert chain.check_token(chain.login("svc", "svc-pw")["access"])


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x.y.z.w"])
def test_garbage_tokens_do_not_check(chain: FakeChain, token: str) -> None:
    assert not chain.check_token(token)


def test_token_of_another_chain_does_not_check() -> None:
    token = FakeChain(seed=1).login("nictbw", "nictbw")["access"]
    assert not FakeChain(seed=2).check_token(token)


def test_tampered_token_does_not_check(chain: FakeChain) -> None:
    header, payload, signature = chain.login("svc", "svc-pw")["access"].split(".")
    other = chain.login("svc", "svc-pw")["access"].split(".")[1]
    assert not chain.check_token(f"{header}.{other}.{signature}")
    assert payload != other


# -- faults -------------------------------------------------------------------------------


def test_calls_count_every_port_call(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    chain.get_user_nft_instances("alice")
    with pytest.raises(ChainError):
        chain.get_user_nft_instances("ghost")
    assert chain.calls == 3
    assert chain.call_log == ["signup_user", "get_user_nft_instances", "get_user_nft_instances"]


def test_status_fault_fails_exactly_the_kth_call(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    chain.fail_on(3, "status", status=503)
    chain.get_user_nft_instances("alice")
    with pytest.raises(ChainError) as info:
        chain.get_user_nft_instances("alice")
    assert info.value.status == 503
    assert chain.get_user_nft_instances("alice") == []


def test_timeout_fault_is_a_chain_error_without_status(chain: FakeChain) -> None:
    chain.fail_next("timeout")
    with pytest.raises(ChainError, match="timed out") as info:
        chain.signup_user("alice", "a@example.org", "pw")
    assert info.value.status is None
    assert chain.accounts == {}


def test_faulted_mint_mints_nothing(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    chain.fail_next("status", status=500)
    with pytest.raises(ChainError):
        mint_to(chain, "alice")
    assert chain.nfts == []
    assert mint_to(chain, "alice")["nft_information"]["nft_id"] == 1


def test_malformed_fault_answers_a_listing_that_is_not_a_list(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    chain.fail_next("malformed")
    answer: object = chain.get_user_nft_instances("alice")
    assert not isinstance(answer, list)
    with pytest.raises(ChainError):
        parse_nft_payloads(answer)


def test_malformed_fault_answers_signup_and_mint_with_a_non_object(chain: FakeChain) -> None:
    chain.fail_next("malformed", times=2)
    signup: object = chain.signup_user("alice", "a@example.org", "pw")
    mint: object = chain.mint_nft(name="n", additional_info={})
    assert not isinstance(signup, dict)
    assert not isinstance(mint, dict)


def test_missing_fields_fault_strips_the_origin_from_listed_items(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    mint_to(chain, "alice")
    chain.fail_next("missing_fields")
    listed = chain.get_user_nft_instances("alice")
    assert "nft_origin" not in listed[0]
    assert "name" in listed[0]
    assert [n.reason for n in parse_nft_payloads(listed).skipped] == ["no origin"]


def test_missing_fields_fault_strips_chosen_fields(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    chain.fail_next("missing_fields", fields=("nft_id", "nft_origin"))
    info = mint_to(chain, "alice")["nft_information"]
    assert set(info) == {"current_nft_location"}


def test_missing_fields_fault_strips_the_paymail_from_signup(chain: FakeChain) -> None:
    chain.fail_next("missing_fields")
    assert "paymail" not in chain.signup_user("alice", "a@example.org", "pw")


def test_fault_on_a_past_call_is_refused(chain: FakeChain) -> None:
    signed_up(chain, "alice")
    with pytest.raises(ValidationError, match="call 1 already happened"):
        chain.fail_on(1)


def test_unknown_fault_kind_is_refused(chain: FakeChain) -> None:
    with pytest.raises(ValidationError, match="'explode'"):
        chain.fail_next("explode")  # type: ignore[arg-type]


def test_cleared_faults_do_not_fire(chain: FakeChain) -> None:
    chain.fail_next("status", times=3)
    chain.clear_faults()
    signed_up(chain, "alice")
    assert chain.get_user_nft_instances("alice") == []


def test_chain_adapters_import_without_werkzeug() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["werkzeug"] = None  # as if the fake-chain extra were not installed
        import nictbw.adapters.chain as chain
        assert chain.FakeChain(seed=1).app == "nictbw"
        assert chain.HttpChainClient is not None
        try:
            chain.FakeChainServer
        except ModuleNotFoundError as exc:
            print(exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "install nictbw[fake-chain]" in done.stdout


def test_one_fault_table_serves_the_fake_and_its_server() -> None:
    from nictbw.adapters.chain import fake, server

    assert not hasattr(server, "_DEFAULT_MISSING")
    assert not hasattr(server, "main")
    assert server.ROUTES == fake.ROUTES
    chain = FakeChain(seed=1)
    chain.fail_next("missing_fields")
    body = chain.signup_user("ann", "ann@example.org", "pw")
    assert "paymail" not in body


# -- indexes: holders and paymails give what a scan of the whole chain gives ---------------

_ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("signup"), st.integers(0, 5)),
        st.tuples(st.just("mint"), st.integers(-1, 6)),
        st.tuples(st.just("transfer"), st.integers(0, 40), st.integers(0, 5)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(actions=_ACTIONS)
def test_listing_and_mint_recipients_match_a_scan_of_the_chain(
    actions: list[tuple[Any, ...]],
) -> None:
    chain = FakeChain(seed=5, clock=FixedClock(T0))
    names = [f"holder-{n}" for n in range(6)]
    for action in actions:
        kind = action[0]
        if kind == "signup" and names[action[1]] not in chain.accounts:
            chain.signup_user(names[action[1]], f"{names[action[1]]}@example.org", "pw")
        elif kind == "mint":
            paymail = None if action[1] < 0 else f"{names[action[1] % 6]}@fake.chain"
            known = paymail is None or any(a.paymail == paymail for a in chain.accounts.values())
            if known:
                mint_to_paymail(chain, paymail)
                holder = None if paymail is None else paymail.split("@")[0]
                assert chain.nfts[-1].holder == holder
            else:
                with pytest.raises(ChainError, match="not found"):
                    mint_to_paymail(chain, paymail)
        elif kind == "transfer":
            minted = chain.nfts
            target = names[action[2]]
            if minted and target in chain.accounts:
                chain.transfer(minted[action[1] % len(minted)].origin, target)
    everything = chain.nfts
    for name in chain.accounts:
        scanned = [nft.origin for nft in everything if nft.holder == name]
        listed = [item["nft_origin"] for item in chain.get_user_nft_instances(name)]
        assert listed == scanned


def mint_to_paymail(chain: FakeChain, paymail: str | None) -> dict[str, Any]:
    return chain.mint_nft(
        name="Expo", additional_info={"prefix": "EXPO"}, recipient_paymail=paymail
    )
