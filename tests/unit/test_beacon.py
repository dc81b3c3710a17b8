"""verify_beacon on real drand mainnet rounds and on the fake beacon; the round schedule."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from attrs import evolve
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.adapters.beacon import FakeBeacon
from nictbw.adapters.clock import FixedClock
from nictbw.domain.beacon import (
    DRAND_MAINNET_CHAIN_HASH,
    DRAND_MAINNET_PUBLIC_KEY,
    SCHEME_CHAINED,
    SCHEME_UNCHAINED,
    BeaconInfo,
    BeaconRound,
    bls_library,
    check_pinned_key,
    verify_beacon,
)
from nictbw.domain.errors import BeaconError, BeaconRoundNotPublishedError, ValidationError
from nictbw.domain.sealing import sealed_draw_bytes, sealed_winning_value, sealing_round

MAINNET = BeaconInfo(
    chain_hash=DRAND_MAINNET_CHAIN_HASH,
    public_key=DRAND_MAINNET_PUBLIC_KEY,
    period=30,
    genesis_time=1595431050,
    scheme=SCHEME_CHAINED,
)
# drand mainnet (League of Entropy "default" chain) rounds 1 and 2 as its relays publish
# them; round 1's previous signature is the chain's group hash.
ROUND_1 = BeaconRound(
    round=1,
    randomness="101297f1ca7dc44ef6088d94ad5fb7ba03455dc33d53ddb412bbc4564ed986ec",
    signature=(
        "8d61d9100567de44682506aea1a7a6fa6e5491cd27a0a0ed349ef6910ac5ac20ff7bc3e09d7c046566c9f7f3"
        "c6f3b10104990e7cb424998203d8f7de586fb7fa5f60045417a432684f85093b06ca91c769f0e7ca19268375"
        "e659c2a2352b4655"
    ),
    previous_signature="176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
)
ROUND_2 = BeaconRound(
    round=2,
    randomness="e8fee7dac6eb2b89df97d631cfccedbada7d5d05495bb546eef462e4145fdf8f",
    signature=(
        "aa18facd2d51b616511d542de6f9af8a3b920121401dad1434ed1db4a565f10e04fad8d9b2b4e3e009436437"
        "4caafe9b10478bf75650124831509c638b5a36a7a232ec70289f8751a2adb47fc32eb70b57dc81c39d48cbca"
        "c9fec46cdfc31663"
    ),
    previous_signature=ROUND_1.signature,
)
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def flip(hex_text: str, bit: int) -> str:
    raw = bytearray(bytes.fromhex(hex_text))
    raw[bit // 8] ^= 1 << (bit % 8)
    return raw.hex()


def with_signature(beacon_round: BeaconRound, signature: str) -> BeaconRound:
    """The round with another signature and the randomness that matches it."""
    randomness = hashlib.sha256(bytes.fromhex(signature)).hexdigest()
    return evolve(beacon_round, signature=signature, randomness=randomness)


@pytest.mark.parametrize("beacon_round", [ROUND_1, ROUND_2], ids=["round-1", "round-2"])
def test_real_mainnet_rounds_verify(beacon_round: BeaconRound) -> None:
    verify_beacon(MAINNET, beacon_round)


def test_mainnet_schedule() -> None:
    genesis = datetime.fromtimestamp(1595431050, UTC)
    assert MAINNET.time_of(1) == genesis
    assert MAINNET.time_of(2) == genesis + timedelta(seconds=30)
    assert MAINNET.round_at(genesis - timedelta(microseconds=1)) == 0
    assert MAINNET.round_at(genesis) == 1
    assert MAINNET.round_at(genesis + timedelta(seconds=29, microseconds=999_999)) == 1
    assert MAINNET.round_at(genesis + timedelta(seconds=30)) == 2


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 96 * 8 - 1))
def test_a_flipped_signature_bit_fails(bit: int) -> None:
    flipped = flip(ROUND_2.signature, bit)
    with pytest.raises(BeaconError, match="SHA-256 of its signature"):
        verify_beacon(MAINNET, evolve(ROUND_2, signature=flipped))
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(MAINNET, with_signature(ROUND_2, flipped))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 96 * 8 - 1))
def test_a_flipped_previous_signature_bit_fails(bit: int) -> None:
    tampered = evolve(ROUND_2, previous_signature=flip(ROUND_2.previous_signature or "", bit))
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(MAINNET, tampered)


@given(st.integers(0, 255))
def test_a_flipped_randomness_bit_fails(bit: int) -> None:
    tampered = evolve(ROUND_1, randomness=flip(ROUND_1.randomness, bit))
    with pytest.raises(BeaconError, match="randomness"):
        verify_beacon(MAINNET, tampered)


@pytest.mark.parametrize("round_number", [2, 3, 1 + 2**32])
def test_another_round_number_fails(round_number: int) -> None:
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(MAINNET, evolve(ROUND_1, round=round_number))


def test_another_public_key_or_the_unchained_message_fails() -> None:
    other_key = FakeBeacon(FixedClock(T0), seed=3).info().public_key
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(evolve(MAINNET, public_key=other_key), ROUND_1)
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(evolve(MAINNET, scheme=SCHEME_UNCHAINED), ROUND_1)


@pytest.mark.parametrize(
    ("info", "beacon_round", "message"),
    [
        (evolve(MAINNET, scheme="bls-unchained-g1-rfc9380"), ROUND_1, "not supported"),
        (MAINNET, evolve(ROUND_1, previous_signature=None), "no previous_signature"),
        (MAINNET, evolve(ROUND_1, signature=ROUND_1.signature.upper()), "lower-case hex"),
        (MAINNET, evolve(ROUND_1, signature=ROUND_1.signature[:-2]), "96 bytes"),
        (MAINNET, evolve(ROUND_1, round=0), "round"),
        (MAINNET, evolve(ROUND_1, round=True), "round"),
        (MAINNET, evolve(ROUND_1, randomness=None), "randomness"),
    ],
)
def test_malformed_input_is_refused(
    info: BeaconInfo, beacon_round: BeaconRound, message: str
) -> None:
    with pytest.raises(BeaconError, match=message):
        verify_beacon(info, beacon_round)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("chain_hash", "abc", "chain_hash"),
        ("public_key", "zz", "public_key"),
        ("period", 0, "period"),
        ("period", True, "period"),
        ("genesis_time", "1595431050", "genesis_time"),
        ("scheme", "", "scheme"),
    ],
)
def test_beacon_info_checks_its_fields(field: str, value: object, message: str) -> None:
    with pytest.raises(BeaconError, match=message):
        evolve(MAINNET, **{field: value})


@pytest.mark.parametrize("scheme", [SCHEME_CHAINED, SCHEME_UNCHAINED])
def test_fake_beacon_rounds_verify_like_real_ones(scheme: str) -> None:
    clock = FixedClock(T0)
    beacon = FakeBeacon(clock, seed=5, period=10, scheme=scheme)
    clock.advance(timedelta(seconds=25))
    assert beacon.round_at(clock.now()) == 3
    third = beacon.get(3)
    verify_beacon(beacon.info(), third)
    assert (third.previous_signature is None) == (scheme == SCHEME_UNCHAINED)
    if scheme == SCHEME_CHAINED:
        assert third.previous_signature == beacon.get(2).signature
    with pytest.raises(BeaconRoundNotPublishedError) as caught:
        beacon.get(4)
    assert caught.value.publish_at == T0 + timedelta(seconds=30)
    assert "2026-05-01T09:00:30+00:00" in str(caught.value)


# The identity of G1 and G2 in canonical compressed form (flags: compressed, infinity),
# and spellings of it with other bits set, which a strict decoder must refuse.
G1_IDENTITY = "c0" + "00" * 47
G2_IDENTITY = "c0" + "00" * 95


@pytest.mark.parametrize(
    "public_key",
    [G1_IDENTITY, "ff" * 48, "e0" + "00" * 47, "c0" + "00" * 46 + "01"],
    ids=["identity", "all-ones", "sign-bit-on-identity", "identity-with-a-bit"],
)
@pytest.mark.parametrize(
    "signature", [G2_IDENTITY, "ff" * 96, ROUND_1.signature], ids=["identity", "all-ones", "real"]
)
def test_the_identity_as_public_key_never_verifies(public_key: str, signature: str) -> None:
    """With the identity as key, the identity as signature would pass the pairing check."""
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(evolve(MAINNET, public_key=public_key), with_signature(ROUND_1, signature))


def test_points_outside_the_prime_order_subgroup_are_refused_when_decoded() -> None:
    """x = 4 is on BLS12-381's G1 curve (4**3 + 4 is a square mod p) but not in the
    prime-order subgroup. ``verify_beacon`` relies on the library's checked decoding to
    refuse such points (a key there could open small-subgroup forgeries)."""
    bls = bls_library()
    outside = (4 | 1 << 383).to_bytes(48, "big")  # compressed flag, x = 4
    assert not bls.G1Point.from_compressed_bytes_unchecked(outside).is_in_subgroup()
    with pytest.raises(ValueError, match="invalid"):
        bls.G1Point.from_compressed_bytes(outside)
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(evolve(MAINNET, public_key=outside.hex()), ROUND_1)


@pytest.mark.parametrize(
    "signature",
    [G2_IDENTITY, "ff" * 96, "e0" + "00" * 95, "00" * 96],
    ids=["identity", "all-ones", "sign-bit-on-identity", "uncompressed-flag"],
)
def test_the_identity_or_a_malformed_signature_never_verifies(signature: str) -> None:
    with pytest.raises(BeaconError, match="does not verify"):
        verify_beacon(MAINNET, with_signature(ROUND_1, signature))


def test_fake_beacon_keys_and_signatures_are_the_pinned_bls_values() -> None:
    """Seed 5's key pair (IETF KeyGen, then SkToPk) and its unchained round 1, as first
    computed with an independent BLS12-381 implementation: a seeded event keeps its
    beacon rounds, hence its winners, whatever library does the arithmetic."""
    beacon = FakeBeacon(FixedClock(T0), seed=5, scheme=SCHEME_UNCHAINED)
    assert beacon.info().public_key == (
        "b69fde7b1fbceb5e22ad44057024b1417c9d09baf8f1747cdbee1e31f7bd8cc6a4b8c71cf811ed7c49efc68ef8684e2a"
    )
    assert beacon.sign(1).signature == (
        "950bd02d4291b10e160c5be8c08b43177ee31e6cc41f2a0848649e72863908e92562f24395f4974b28bdb8a65f0d8dea"
        "0aced5260e25255748444b6dc573471c0182352bc12441d832cb82f41f12249e073347332f54e25cf825c632be89f984"
    )


def test_fake_beacons_are_reproducible_and_seeds_differ() -> None:
    clock = FixedClock(T0)
    one = FakeBeacon(clock, seed=5, period=10)
    assert FakeBeacon(clock, seed=5, period=10).sign(2) == one.sign(2)
    other = FakeBeacon(clock, seed=6, period=10)
    assert other.info().public_key != one.info().public_key
    assert other.info().chain_hash != one.info().chain_hash
    with pytest.raises(ValidationError, match="scheme"):
        FakeBeacon(clock, scheme="bls-unchained-g1-rfc9380")


def test_a_round_beyond_the_calendar_is_a_beacon_error() -> None:
    with pytest.raises(BeaconError, match="beyond the last representable date"):
        MAINNET.time_of(2**62)


@given(st.integers(1, 10**7), st.integers(1, 3600))
def test_time_of_and_round_at_agree(round_number: int, period: int) -> None:
    info = evolve(MAINNET, period=period)
    at = info.time_of(round_number)
    assert info.round_at(at) == round_number
    assert info.round_at(at - timedelta(microseconds=1)) == round_number - 1
    assert info.first_round_at_or_after(at) == round_number
    assert info.first_round_at_or_after(at + timedelta(microseconds=1)) == round_number + 1


@given(st.integers(0, 10**6), st.integers(1, 10**5))
def test_sealing_round_is_the_first_at_least_margin_ahead(offset: int, margin: int) -> None:
    now = MAINNET.genesis + timedelta(seconds=offset, microseconds=offset % 7)
    chosen = sealing_round(MAINNET, now, timedelta(seconds=margin))
    assert MAINNET.time_of(chosen) >= now + timedelta(seconds=margin)
    if chosen > 1:
        assert MAINNET.time_of(chosen - 1) < now + timedelta(seconds=margin)


def test_the_sealed_value_is_a_hash_of_the_documented_bytes() -> None:
    digest = "ab" * 32
    data = sealed_draw_bytes(DRAND_MAINNET_CHAIN_HASH, 2, ROUND_2.randomness, digest)
    assert data == (
        b"nictbw/sealed-draw/v1\n"
        + bytes.fromhex(DRAND_MAINNET_CHAIN_HASH)
        + (2).to_bytes(8, "big")
        + bytes.fromhex(ROUND_2.randomness)
        + bytes.fromhex(digest)
    )
    value = sealed_winning_value(DRAND_MAINNET_CHAIN_HASH, 2, ROUND_2.randomness, digest)
    assert value == hashlib.sha256(data).hexdigest()
    assert len(value) == 64
    assert value == value.lower()


@given(st.sampled_from(["chain", "round", "randomness", "digest"]), st.integers(0, 255))
def test_every_input_changes_the_sealed_value(which: str, bit: int) -> None:
    inputs = {
        "chain": DRAND_MAINNET_CHAIN_HASH,
        "round": 2**40 + 2,
        "randomness": ROUND_2.randomness,
        "digest": "ab" * 32,
    }
    base = sealed_winning_value(*inputs.values())  # type: ignore[arg-type]
    if which == "round":
        inputs["round"] = (2**40 + 2) ^ (1 << (bit % 62))
    else:
        inputs[which] = flip(str(inputs[which]), bit)
    assert sealed_winning_value(*inputs.values()) != base  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("abc", 1, "00" * 32, "00" * 32), "chain hash"),
        ((DRAND_MAINNET_CHAIN_HASH, 0, "00" * 32, "00" * 32), "round"),
        ((DRAND_MAINNET_CHAIN_HASH, 1, "00" * 31, "00" * 32), "randomness"),
        ((DRAND_MAINNET_CHAIN_HASH, 1, "00" * 32, "0G" * 32), "candidates_sha256"),
    ],
)
def test_sealed_value_refuses_malformed_inputs(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        sealed_winning_value(*args)  # type: ignore[arg-type]


def test_a_pinned_chain_must_announce_its_pinned_key() -> None:
    check_pinned_key(MAINNET)
    impostor = evolve(MAINNET, public_key=FakeBeacon(FixedClock(T0), seed=1).info().public_key)
    with pytest.raises(BeaconError, match="pinned key is 868f005eb8e6e4ca"):
        check_pinned_key(impostor)


def test_an_unpinned_chain_may_announce_any_key() -> None:
    fake = FakeBeacon(FixedClock(T0), seed=1).info()
    check_pinned_key(fake)
