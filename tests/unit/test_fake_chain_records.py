"""The fake chain's compact NFT records: what is read back is what was minted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.domain.errors import ChainError

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _chain() -> tuple[FakeChain, FixedClock, str]:
    clock = FixedClock(T0)
    chain = FakeChain(seed=3, clock=clock)
    for name in ("alice", "bob"):
        chain.signup_user(name, f"{name}@example.org", "pw")
    answer = chain.mint_nft(
        name="Expo badge",
        additional_info={"prefix": "EXPO", "tags": ["a"]},
        recipient_paymail="alice@fake.chain",
    )
    return chain, clock, str(answer["nft_information"]["nft_origin"])


@pytest.mark.parametrize(
    "mangle",
    [
        str.upper,
        lambda origin: origin[:-2] + "_1",
        lambda origin: origin[:-2],
        lambda origin: origin[:-4] + "_0",
        lambda origin: origin[:2] + " " + origin[4:],
        lambda origin: "zz" + origin[2:],
    ],
)
def test_only_the_exact_origin_finds_an_nft(mangle: Callable[[str], str]) -> None:
    chain, _, origin = _chain()
    with pytest.raises(ChainError) as refused:
        chain.transfer(mangle(origin), "bob")
    assert refused.value.status == 404


def test_the_nft_view_follows_a_transfer_and_owns_its_additional_info() -> None:
    chain, clock, origin = _chain()
    [before] = chain.nfts
    clock.advance(timedelta(minutes=1))
    moved = chain.transfer(origin, "bob", new_location="loc_7")
    [after] = chain.nfts
    assert (before.origin, before.transaction_id, before.current_nft_location) == (
        origin,
        origin[:-2],
        origin,
    )
    assert (after.origin, after.holder, after.current_nft_location) == (origin, "bob", "loc_7")
    assert after.transaction_id == moved["transaction_id"] != before.transaction_id
    assert after.updated_at == T0 + timedelta(minutes=1)
    assert after.created_at == T0
    assert after.payload() == moved == chain.get_user_nft_instances("bob")[0]
    after.additional_info["tags"] = ["changed"]
    assert chain.nfts[0].additional_info == {"prefix": "EXPO", "tags": ["a"]}


def test_nfts_minted_alike_share_their_unique_id_and_differ_in_origin() -> None:
    chain, _, origin = _chain()
    again = chain.mint_nft(
        name="Expo badge", additional_info={"prefix": "EXPO", "tags": ["a"]}, recipient_paymail=None
    )
    first, second = chain.nfts
    assert first.unique_nft_id == second.unique_nft_id
    assert (first.origin, second.origin) == (origin, again["nft_information"]["nft_origin"])
    assert first.origin != second.origin
    assert second.holder is None
