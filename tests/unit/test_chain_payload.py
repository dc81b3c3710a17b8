"""Parsing the chain's answers: domain-rules.md §8.2-8.3 (NFT list), §4.5 (mint), §9.4."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.domain.chain_payload import (
    MintInfo,
    ParsedNFT,
    _copied,
    additional_info_for,
    parse_mint_metadata,
    parse_nft_payloads,
)
from nictbw.domain.entities import NFTDefinition, SyncNote
from nictbw.domain.errors import ChainError, ValidationError

ORIGIN = "a" * 64 + "_0"
OTHER = "b" * 64 + "_0"


def one(item: dict[str, Any]) -> ParsedNFT:
    parsed = parse_nft_payloads([item])
    assert parsed.skipped == ()
    assert len(parsed.items) == 1
    return parsed.items[0]


def reasons(item: dict[str, Any]) -> list[str]:
    return [note.reason for note in parse_nft_payloads([item]).warnings]


def with_sub_type_data(data: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"nft_origin": ORIGIN, "metadata": {"MAP": {"subTypeData": data}}, **top}


# -- the answer itself --------------------------------------------------------------------


@pytest.mark.parametrize("answer", [None, {"items": []}, "[]", 3, ({"nft_origin": ORIGIN},)])
def test_answer_that_is_not_a_list_is_a_chain_error(answer: object) -> None:
    with pytest.raises(ChainError, match="not a JSON array"):
        parse_nft_payloads(answer)


def test_empty_list_parses_to_nothing() -> None:
    parsed = parse_nft_payloads([])
    assert (parsed.items, parsed.skipped, parsed.warnings) == ((), (), ())
    assert parsed.found_origins == frozenset()


def test_items_keep_response_order_and_positions() -> None:
    parsed = parse_nft_payloads(["junk", {"nft_origin": OTHER}, {"nft_origin": ORIGIN}])
    assert [(p.index, p.origin) for p in parsed.items] == [(1, OTHER), (2, ORIGIN)]


# -- skip reasons -------------------------------------------------------------------------


@pytest.mark.parametrize("item", [1, "x", None, [], True, 2.5])
def test_item_that_is_not_an_object_is_skipped(item: object) -> None:
    parsed = parse_nft_payloads([item])
    assert parsed.items == ()
    assert parsed.skipped == (SyncNote(index=0, origin=None, reason="not an object"),)


@pytest.mark.parametrize(
    "item",
    [
        {},
        {"nft_origin": None},
        {"nft_origin": "   "},
        {"nft_origin": 12, "origin": ""},
        {"txid": ["x"]},
        {"unique_nft_id": "u", "name": "n"},
    ],
)
def test_item_without_a_usable_origin_is_skipped(item: dict[str, Any]) -> None:
    parsed = parse_nft_payloads([item])
    assert parsed.skipped == (SyncNote(index=0, origin=None, reason="no origin"),)
    assert parsed.warnings == ()


@pytest.mark.parametrize(
    ("item", "origin"),
    [
        ({"nft_origin": "n1", "origin": "o1", "txid": "t1", "transaction_id": "x1"}, "n1"),
        ({"origin": "o1", "txid": "t1", "transaction_id": "x1"}, "o1"),
        ({"txid": "t1", "transaction_id": "x1"}, "t1"),
        ({"transaction_id": "x1"}, "x1"),
        ({"nft_origin": " ", "origin": None, "txid": "t1"}, "t1"),
    ],
)
def test_origin_is_the_first_key_holding_a_non_blank_string(
    item: dict[str, Any], origin: str
) -> None:
    assert one(item).origin == origin


def test_origin_key_with_a_wrong_type_is_a_warning_when_another_key_gives_the_origin() -> None:
    assert reasons({"nft_origin": 7, "origin": ORIGIN}) == [
        "nft_origin: nft_origin 7 is not a non-blank string; ignored"
    ]


@pytest.mark.parametrize("origin", ["é" * 10 + "_0", "x" * 256])
def test_non_ascii_or_over_long_origin_is_skipped_as_invalid(origin: str) -> None:
    parsed = parse_nft_payloads([{"nft_origin": origin}])
    assert parsed.skipped == (SyncNote(index=0, origin=origin, reason="invalid origin"),)
    assert parsed.found_origins == frozenset()


def test_origin_of_255_ascii_characters_is_valid() -> None:
    origin = "x" * 255
    assert one({"nft_origin": origin, "prefix": "P"}).origin == origin


def test_origin_seen_earlier_in_the_response_is_skipped_as_duplicate() -> None:
    parsed = parse_nft_payloads(
        [{"nft_origin": ORIGIN, "name": "first"}, {"origin": ORIGIN, "name": "second"}]
    )
    assert [p.instance_fields["blockchain_name"] for p in parsed.items] == ["first"]
    assert parsed.skipped == (SyncNote(index=1, origin=ORIGIN, reason="duplicate origin"),)


@pytest.mark.parametrize("prefix", ["", "   ", "two words", "tab\there", "P" * 101, 17, ["P"]])
def test_unusable_prefix_from_the_payload_skips_the_item(prefix: object) -> None:
    parsed = parse_nft_payloads([{"nft_origin": ORIGIN, "prefix": prefix}])
    assert parsed.items == ()
    assert parsed.skipped == (SyncNote(index=0, origin=ORIGIN, reason="invalid prefix"),)


def test_fallback_prefix_that_is_too_long_skips_the_item() -> None:
    origin = "c" * 93 + "_0"  # "onchain-" + 95 characters = 103 > 100
    parsed = parse_nft_payloads([{"nft_origin": origin}])
    assert parsed.skipped == (SyncNote(index=0, origin=origin, reason="invalid prefix"),)


def test_found_origins_include_skipped_items_with_a_valid_origin() -> None:
    parsed = parse_nft_payloads(
        [
            {"nft_origin": ORIGIN, "prefix": "bad prefix"},
            {"nft_origin": OTHER},
            {"nft_origin": "é"},
            {"nft_origin": OTHER},
        ]
    )
    assert parsed.found_origins == frozenset({ORIGIN, OTHER})


def test_skipped_item_contributes_no_warnings() -> None:
    parsed = parse_nft_payloads([{"nft_origin": ORIGIN, "prefix": "a b", "name": 5}])
    assert parsed.warnings == ()


# -- the metadata dict md -----------------------------------------------------------------


def test_sub_type_data_entries_feed_the_definition_fields() -> None:
    parsed = one(
        with_sub_type_data(
            {
                "prefix": "EXPO",
                "shared_key": "sk",
                "name": "Expo",
                "nft_type": "stamp",
                "category": "c",
                "subcategory": "s",
                "description": "d",
                "image_url": "http://img",
            }
        )
    )
    assert parsed.prefix == "EXPO"
    assert parsed.prefix_from_payload is True
    assert parsed.definition_fields == {
        "shared_key": "sk",
        "name": "Expo",
        "nft_type": "stamp",
        "category": "c",
        "subcategory": "s",
        "description": "d",
        "image_url": "http://img",
    }
    assert parsed.definition_defaults == {}


def test_sub_type_data_none_values_are_absent() -> None:
    parsed = one(with_sub_type_data({"prefix": "EXPO", "category": None}, category="top"))
    assert parsed.definition_fields["category"] == "top"


def test_map_name_is_the_name_unless_sub_type_data_has_one() -> None:
    def item(sub_type_data: dict[str, Any]) -> dict[str, Any]:
        map_ = {"name": "Map name", "subTypeData": sub_type_data}
        return {"nft_origin": ORIGIN, "metadata": {"MAP": map_}}

    assert one(item({})).definition_fields["name"] == "Map name"
    assert one(item({"name": "Sub name"})).definition_fields["name"] == "Sub name"


def test_blank_map_name_is_ignored() -> None:
    item = {"nft_origin": ORIGIN, "name": "Top", "metadata": {"MAP": {"name": "  "}}}
    assert one(item).definition_fields["name"] == "Top"


@pytest.mark.parametrize(
    ("alias", "canonical", "target"),
    [
        ("sharedKey", "shared_key", "shared_key"),
        ("subCategory", "subcategory", "subcategory"),
        ("imageUrl", "image_url", "image_url"),
    ],
)
def test_alias_key_fills_the_canonical_key_when_absent(
    alias: str, canonical: str, target: str
) -> None:
    parsed = one(with_sub_type_data({alias: "v"}))
    assert parsed.definition_fields[target] == "v"
    assert parsed.instance_fields["other_meta"] == {alias: "v", canonical: "v"}


def test_alias_key_never_overrides_the_canonical_key() -> None:
    parsed = one(with_sub_type_data({"sharedKey": "alias", "shared_key": "canon"}))
    assert parsed.definition_fields["shared_key"] == "canon"


def test_condition_id_alias_lands_in_other_meta() -> None:
    other_meta = one(with_sub_type_data({"conditionId": 3})).instance_fields["other_meta"]
    assert other_meta == {"conditionId": 3, "condition_id": 3}


def test_top_level_values_fill_md_when_absent_from_sub_type_data() -> None:
    parsed = one(
        with_sub_type_data(
            {"category": "from-md"},
            prefix="TOP",
            category="from-top",
            description="desc",
            shared_key="sk",
        )
    )
    assert parsed.prefix == "TOP"
    assert parsed.definition_fields["category"] == "from-md"
    assert parsed.definition_fields["description"] == "desc"
    assert parsed.definition_fields["shared_key"] == "sk"


@pytest.mark.parametrize(
    "metadata",
    [None, "text", {"MAP": None}, {"MAP": []}, {"MAP": {"subTypeData": "x"}}, [1, 2]],
)
def test_metadata_that_is_not_nested_objects_is_ignored(metadata: object) -> None:
    parsed = one({"nft_origin": ORIGIN, "metadata": metadata})
    assert parsed.prefix == "onchain-" + ORIGIN
    assert "other_meta" not in parsed.instance_fields


# -- derived definition fields ------------------------------------------------------------


def test_without_payload_values_the_creation_fallbacks_apply() -> None:
    parsed = one({"nft_origin": ORIGIN})
    assert parsed.prefix == "onchain-" + ORIGIN
    assert parsed.prefix_from_payload is False
    assert parsed.definition_fields == {}
    assert parsed.definition_defaults == {
        "shared_key": ORIGIN,
        "name": "onchain-" + ORIGIN,
        "nft_type": "default",
    }


def test_name_fallback_is_the_payload_prefix() -> None:
    assert one({"nft_origin": ORIGIN, "prefix": "EXPO"}).definition_defaults["name"] == "EXPO"


def test_shared_key_falls_back_to_top_level_shared_key_camel_case() -> None:
    parsed = one({"nft_origin": ORIGIN, "sharedKey": "camel"})
    assert parsed.definition_fields["shared_key"] == "camel"
    assert "shared_key" not in parsed.definition_defaults


def test_md_shared_key_wins_over_top_level_shared_key_camel_case() -> None:
    parsed = one(with_sub_type_data({"shared_key": "md"}, sharedKey="camel"))
    assert parsed.definition_fields["shared_key"] == "md"


def test_top_level_nft_type_wins_over_md_nft_type() -> None:
    parsed = one(with_sub_type_data({"nft_type": "md"}, nft_type="top"))
    assert parsed.definition_fields["nft_type"] == "top"


def test_md_nft_type_is_used_when_top_level_is_absent() -> None:
    assert one(with_sub_type_data({"nft_type": "md"})).definition_fields["nft_type"] == "md"


def test_over_long_value_is_absent_and_warned_never_truncated() -> None:
    item = with_sub_type_data({"name": "N" * 101, "category": "C" * 50})
    parsed = parse_nft_payloads([item])
    fields = parsed.items[0].definition_fields
    assert "name" not in fields
    assert fields["category"] == "C" * 50
    assert parsed.items[0].definition_defaults["name"] == "onchain-" + ORIGIN
    assert len(parsed.warnings) == 1
    assert "longer than 100" in parsed.warnings[0].reason


@pytest.mark.parametrize(
    ("key", "limit"),
    [
        ("shared_key", 255),
        ("name", 100),
        ("nft_type", 50),
        ("category", 50),
        ("subcategory", 50),
        ("image_url", 255),
    ],
)
def test_definition_column_widths(key: str, limit: int) -> None:
    assert one(with_sub_type_data({key: "x" * limit})).definition_fields[key] == "x" * limit
    assert f"longer than {limit}" in reasons(with_sub_type_data({key: "x" * (limit + 1)}))[0]


def test_description_has_no_length_limit() -> None:
    text = "d" * 5000
    assert one(with_sub_type_data({"description": text})).definition_fields["description"] == text


@pytest.mark.parametrize("value", [5, 1.5, True, ["x"], {"a": 1}])
def test_value_of_another_type_is_absent_and_warned(value: object) -> None:
    item = with_sub_type_data({"category": value})
    assert "category" not in one(item).definition_fields
    assert reasons(item) == [f"category: category {value!r} is not a string; ignored"]


@pytest.mark.parametrize("key", ["shared_key", "name", "nft_type"])
def test_blank_value_of_a_required_definition_field_is_absent_and_warned(key: str) -> None:
    item = with_sub_type_data({key: "  "})
    assert key not in one(item).definition_fields
    assert reasons(item) == [f"{key}: {key} '  ' is blank; ignored"]


def test_warning_names_position_and_origin() -> None:
    parsed = parse_nft_payloads([{"nft_origin": OTHER}, with_sub_type_data({"name": 3})])
    assert [(w.index, w.origin) for w in parsed.warnings] == [(1, ORIGIN)]


# -- derived instance fields --------------------------------------------------------------


def test_instance_fields_come_from_the_top_level() -> None:
    parsed = one(
        {
            "nft_origin": ORIGIN,
            "nft_id": 42,
            "current_nft_location": "loc_1",
            "name": "Minted name",
            "sub_type": "ticket",
            "transaction_id": "tx",
            "contract_address": "ca",
            "token_id": "t1",
        }
    )
    assert parsed.instance_fields == {
        "blockchain_nft_id": 42,
        "current_nft_location": "loc_1",
        "blockchain_name": "Minted name",
        "sub_type": "ticket",
        "transaction_id": "tx",
        "contract_address": "ca",
        "token_id": "t1",
        "other_meta": {"name": "Minted name"},
    }
    assert parsed.location_fallback == ORIGIN


def test_absent_instance_values_are_not_in_instance_fields() -> None:
    assert one({"nft_origin": ORIGIN, "current_nft_location": None}).instance_fields == {}


def test_sub_type_falls_back_to_md() -> None:
    assert one(with_sub_type_data({"sub_type": "md"})).instance_fields["sub_type"] == "md"
    parsed = one(with_sub_type_data({"sub_type": "md"}, sub_type="top"))
    assert parsed.instance_fields["sub_type"] == "top"


@pytest.mark.parametrize(
    ("column", "key", "limit"),
    [
        ("current_nft_location", "current_nft_location", 255),
        ("blockchain_name", "name", 100),
        ("sub_type", "sub_type", 50),
        ("transaction_id", "transaction_id", 255),
        ("contract_address", "contract_address", 255),
        ("token_id", "token_id", 255),
    ],
)
def test_instance_column_widths(column: str, key: str, limit: int) -> None:
    fits = one({"nft_origin": ORIGIN, key: "x" * limit}).instance_fields
    assert fits[column] == "x" * limit
    too_long = {"nft_origin": ORIGIN, key: "x" * (limit + 1)}
    assert column not in one(too_long).instance_fields
    assert any(r.startswith(f"{column}: ") for r in reasons(too_long))


@pytest.mark.parametrize(
    ("value", "expected"), [(7, 7), ("42", 42), (0, 0), (2**63 - 1, 2**63 - 1)]
)
def test_nft_id_is_an_int_or_a_digit_string(value: object, expected: int) -> None:
    assert one({"nft_origin": ORIGIN, "nft_id": value}).instance_fields["blockchain_nft_id"] == (
        expected
    )


@pytest.mark.parametrize("value", [True, False, "4x2", "-3", " 5", "", 1.0, "٣", 2**63, "9" * 30])
def test_nft_id_that_is_not_an_int_or_digit_string_is_absent_and_warned(value: object) -> None:
    item = {"nft_origin": ORIGIN, "nft_id": value}
    assert "blockchain_nft_id" not in one(item).instance_fields
    assert reasons(item)[0].startswith("blockchain_nft_id: nft_id")


def test_transaction_id_falls_back_to_txid() -> None:
    parsed = one({"nft_origin": ORIGIN, "txid": "tx2"})
    assert parsed.instance_fields["transaction_id"] == "tx2"


def test_transaction_id_is_never_the_origin() -> None:
    parsed = one({"txid": ORIGIN})
    assert parsed.origin == ORIGIN
    assert "transaction_id" not in parsed.instance_fields


def test_transaction_id_equal_to_the_origin_gives_way_to_txid() -> None:
    parsed = one({"nft_origin": ORIGIN, "transaction_id": ORIGIN, "txid": "t"})
    assert parsed.instance_fields["transaction_id"] == "t"


def test_other_meta_is_md_plus_unique_nft_id() -> None:
    parsed = one(with_sub_type_data({"prefix": "EXPO", "extra": {"k": [1]}}, unique_nft_id="u1"))
    assert parsed.instance_fields["other_meta"] == {
        "prefix": "EXPO",
        "extra": {"k": [1]},
        "unique_nft_id": "u1",
    }


def test_other_meta_holds_unique_nft_id_alone_when_md_is_empty() -> None:
    parsed = one({"nft_origin": ORIGIN, "unique_nft_id": "u1"})
    assert parsed.instance_fields["other_meta"] == {"unique_nft_id": "u1"}


def test_other_meta_is_absent_when_md_and_unique_nft_id_are_empty() -> None:
    assert "other_meta" not in one({"nft_origin": ORIGIN}).instance_fields


def test_parsed_values_do_not_alias_the_payload() -> None:
    payload = with_sub_type_data({"extra": {"k": [1]}})
    parsed = one(payload)
    payload["metadata"]["MAP"]["subTypeData"]["extra"]["k"].append(2)
    assert parsed.instance_fields["other_meta"] == {"extra": {"k": [1]}}


# -- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00:00.250Z", datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=UTC)),
        ("  2024-05-01T10:00:00Z  ", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01T19:00:00+09:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
    ],
)
def test_timestamps_are_read_as_iso_8601_in_utc(text: str, expected: datetime) -> None:
    parsed = one({"nft_origin": ORIGIN, "created_at": text, "updated_at": text})
    assert parsed.created_at == expected
    assert parsed.created_at is not None
    assert parsed.created_at.utcoffset() is not None
    assert parsed.instance_fields["blockchain_created_at"] == expected
    assert parsed.instance_fields["blockchain_updated_at"] == expected


@pytest.mark.parametrize(
    "value", ["yesterday", "2024-13-01T00:00:00Z", "", 1714557600, 1.7e9, True]
)
def test_unusable_timestamp_is_absent_and_warned(value: object) -> None:
    item = {"nft_origin": ORIGIN, "created_at": value, "updated_at": value}
    parsed = one(item)
    assert parsed.created_at is None
    assert "blockchain_created_at" not in parsed.instance_fields
    assert "blockchain_updated_at" not in parsed.instance_fields
    assert reasons(item) == [
        f"blockchain_created_at: created_at {value!r} is not an ISO-8601 timestamp; ignored",
        f"blockchain_updated_at: updated_at {value!r} is not an ISO-8601 timestamp; ignored",
    ]


def test_absent_timestamp_is_not_a_warning() -> None:
    assert reasons({"nft_origin": ORIGIN, "created_at": None}) == []


def test_timestamp_that_overflows_when_converted_is_absent() -> None:
    assert one({"nft_origin": ORIGIN, "created_at": "0001-01-01T00:00:00+01:00"}).created_at is None


# -- random shapes ------------------------------------------------------------------------

KEYS = [
    "nft_origin",
    "origin",
    "txid",
    "transaction_id",
    "nft_id",
    "prefix",
    "name",
    "sharedKey",
    "shared_key",
    "nft_type",
    "category",
    "sub_type",
    "created_at",
    "updated_at",
    "current_nft_location",
    "unique_nft_id",
    "metadata",
    "MAP",
    "subTypeData",
    "imageUrl",
]
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["2024-01-01T00:00:00Z", ORIGIN, "EXPO", "  ", "42", "é"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), children, max_size=6)
    ),
    max_leaves=25,
)


@settings(max_examples=200)
@given(json_values)
def test_parse_never_raises_anything_but_chain_error(payloads: object) -> None:
    try:
        parsed = parse_nft_payloads(payloads)
    except ChainError:
        assert not isinstance(payloads, list)
        return
    assert isinstance(payloads, list)
    assert len(parsed.items) + len(parsed.skipped) == len(payloads)
    assert {p.origin for p in parsed.items} <= parsed.found_origins


@settings(max_examples=200)
@given(st.lists(json_values, max_size=6))
def test_parse_of_any_list_accounts_for_every_item(payloads: list[Any]) -> None:
    parsed = parse_nft_payloads(payloads)
    positions = sorted([p.index for p in parsed.items] + [n.index for n in parsed.skipped])
    assert positions == list(range(len(payloads)))


# -- mint answers (§4.5 step 2) -----------------------------------------------------------


def test_mint_metadata_reads_nft_information_and_transaction_id() -> None:
    info = parse_mint_metadata(
        {
            "transaction_id": "tx",
            "transaction_hex": "0100",
            "unknown": 1,
            "nft_information": {"nft_id": 3, "nft_origin": ORIGIN, "current_nft_location": "loc"},
        }
    )
    assert info == MintInfo(
        nft_origin=ORIGIN, nft_id=3, current_nft_location="loc", transaction_id="tx"
    )


def test_mint_metadata_falls_back_to_top_level_values() -> None:
    info = parse_mint_metadata(
        {"nft_origin": ORIGIN, "nft_id": 4, "current_nft_location": "loc", "nft_information": {}}
    )
    assert info == MintInfo(
        nft_origin=ORIGIN, nft_id=4, current_nft_location="loc", transaction_id=None
    )


def test_mint_metadata_prefers_nft_information_over_top_level() -> None:
    info = parse_mint_metadata({"nft_origin": OTHER, "nft_information": {"nft_origin": ORIGIN}})
    assert info.nft_origin == ORIGIN


def test_empty_mint_metadata_reads_nothing() -> None:
    assert parse_mint_metadata({}) == MintInfo(None, None, None, None)


@pytest.mark.parametrize("value", [None, [], "x", 3])
def test_mint_metadata_that_is_not_an_object_is_a_validation_error(value: object) -> None:
    with pytest.raises(ValidationError, match="chain_metadata must be an object"):
        parse_mint_metadata(value)


@pytest.mark.parametrize(
    ("metadata", "key"),
    [
        ({"nft_information": []}, "nft_information"),
        ({"nft_information": {"nft_id": "3"}}, "nft_information.nft_id"),
        ({"nft_information": {"nft_id": True}}, "nft_information.nft_id"),
        ({"nft_id": 1.5}, "nft_id"),
        ({"nft_information": {"nft_origin": 5}}, "nft_information.nft_origin"),
        ({"current_nft_location": ["x"]}, "current_nft_location"),
        ({"transaction_id": 9}, "transaction_id"),
        ({"transaction_id": "t" * 256}, "transaction_id"),
        ({"nft_id": 2**64}, "nft_id"),
    ],
)
def test_mint_metadata_with_a_wrong_type_names_the_key(metadata: dict[str, Any], key: str) -> None:
    with pytest.raises(ValidationError, match=f"chain_metadata {key} "):
        parse_mint_metadata(metadata)


# -- additional_info (§9.4) ---------------------------------------------------------------


def test_additional_info_lists_the_definition_fields_in_order_without_none() -> None:
    definition = NFTDefinition(
        prefix="EXPO",
        shared_key="sk",
        name="Expo",
        category="cat",
        description=None,
        image_url="http://img",
        store_name="ignored",
    )
    info = additional_info_for(definition)
    assert info == {
        "prefix": "EXPO",
        "shared_key": "sk",
        "name": "Expo",
        "nft_type": "default",
        "category": "cat",
        "image_url": "http://img",
    }
    assert list(info) == ["prefix", "shared_key", "name", "nft_type", "category", "image_url"]


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=10,
)


@given(_JSON_VALUES)
def test_payload_values_are_copied_as_deepcopy_copies_them(value: Any) -> None:
    # Atomic values skip deepcopy's call (which returns them as they are); containers
    # are still deep copies: equal, and sharing nothing mutable with the payload.
    copied = _copied(value)
    assert copied == copy.deepcopy(value)
    if isinstance(value, list | dict):
        assert copied is not value
        before = copy.deepcopy(value)
        if isinstance(copied, list):
            copied.append("changed")
        else:
            copied["changed"] = 1
        assert value == before
    else:
        assert copied is value
