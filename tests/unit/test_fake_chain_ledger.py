"""The fake chain's columnar ledger answers as a plain record per NFT would."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.adapters.chain.ledger import TXID_BYTES, Ledger

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
HOLDERS = (None, "alice", "bob", "carol")

# One step: ("mint", holder, kind, minutes) or ("move", pick, holder, minutes).
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("mint"),
            st.sampled_from(HOLDERS),
            st.sampled_from(("badge", "stamp")),
            st.integers(0, 5),
        ),
        st.tuples(
            st.just("move"),
            st.integers(0, 10_000),
            st.sampled_from(HOLDERS[1:]),
            st.integers(0, 5),
        ),
    ),
    max_size=120,
)


@given(steps=steps, salt=st.binary(min_size=1, max_size=4))
def test_the_ledger_answers_as_one_record_per_nft(
    steps: list[tuple[str, object, object, int]], salt: bytes
) -> None:
    ledger: Ledger[str] = Ledger()
    model: dict[int, dict[str, object]] = {}
    for step, first, second, minutes in steps:
        at = T0 + timedelta(minutes=minutes)
        if step == "mint":
            txid = hashlib.sha256(salt + len(model).to_bytes(4, "big")).digest()
            nft_id = ledger.mint(txid, first, second, at)  # type: ignore[arg-type]
            assert nft_id == len(model) + 1
            model[nft_id] = {
                "txid": txid,
                "holder": first,
                "kind": second,
                "created": at,
                "updated": at,
                "moved": None,
            }
        elif model:
            nft_id = 1 + int(first) % len(model)  # type: ignore[call-overload]
            ledger.transfer(nft_id, str(second), f"t{nft_id}", f"l{nft_id}", at)
            model[nft_id].update(holder=second, updated=at, moved=(f"t{nft_id}", f"l{nft_id}"))
    assert len(ledger) == len(model)
    for nft_id, record in model.items():
        assert ledger.txid(nft_id) == record["txid"]
        assert ledger.find(ledger.txid(nft_id)) == nft_id
        assert ledger.holder(nft_id) == record["holder"]
        assert ledger.kind(nft_id) == record["kind"]
        assert ledger.created_at(nft_id) == record["created"]
        assert ledger.updated_at(nft_id) == record["updated"]
        assert ledger.moved(nft_id) == record["moved"]
    for holder in (*HOLDERS, "nobody"):
        expected = sorted(n for n, r in model.items() if r["holder"] == holder)
        assert list(ledger.held_by(holder)) == expected
    absent = hashlib.sha256(b"never minted" + salt).digest()
    assert ledger.find(absent) is None
    assert ledger.find(absent[: TXID_BYTES - 1]) is None


def test_find_survives_the_index_growing_past_many_collisions() -> None:
    ledger: Ledger[str] = Ledger()
    # Every id shares its first 8 bytes: each lands on the same slot and probes onward.
    txids = [bytes(8) + n.to_bytes(24, "big") for n in range(3_000)]
    for txid in txids:
        ledger.mint(txid, "alice", "badge", T0)
    assert [ledger.find(txid) for txid in txids] == list(range(1, 3_001))
    assert ledger.find(bytes(8) + (3_000).to_bytes(24, "big")) is None
    assert ledger.find(b"short") is None


def test_equal_instants_in_other_zones_keep_their_zone() -> None:
    ledger: Ledger[str] = Ledger()
    tokyo = T0.astimezone(timezone(timedelta(hours=9)))
    ledger.mint(bytes(31) + b"\x01", "alice", "badge", T0)
    ledger.mint(bytes(31) + b"\x02", "alice", "badge", tokyo)
    assert ledger.created_at(1).utcoffset() == timedelta(0)
    assert ledger.created_at(2).utcoffset() == timedelta(hours=9)


def test_a_transaction_id_must_have_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes, got 3"):
        Ledger[str]().mint(b"abc", None, "badge", T0)
