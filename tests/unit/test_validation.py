"""Field validation of domain-rules.md §1.3, §1.4, §2 and §4: errors name field and value."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.domain.entities import Admin, NFTDefinition, PrizeDrawType, User
from nictbw.domain.errors import ValidationError
from nictbw.domain.validation import (
    USER_CHANGE_FIELDS,
    check_text,
    validate_admin,
    validate_aware,
    validate_definition,
    validate_draw_type_fields,
    validate_email_address,
    validate_metadata,
    validate_origin,
    validate_prefix,
    validate_user,
    validate_user_changes,
    validate_winning_value,
)


def raises_naming(*parts: str) -> Any:
    """``pytest.raises(ValidationError)`` whose message contains every part, in order."""
    return pytest.raises(ValidationError, match=".*".join(re.escape(p) for p in parts))


def good_definition(**changes: Any) -> NFTDefinition:
    base = NFTDefinition(prefix="EXPO-2026", shared_key="expo", name="Expo badge")
    return attrs.evolve(base, **changes)


def good_draw_type(**changes: Any) -> PrizeDrawType:
    base = PrizeDrawType(internal_name="bingo", algorithm_key="sha256_hex_proximity")
    return attrs.evolve(base, **changes)


# --------------------------------------------------------------------------- check_text


def test_check_text_returns_the_value_unchanged() -> None:
    assert check_text("  Hi ", "nickname", 50) == "  Hi "


def test_check_text_accepts_none_when_nullable() -> None:
    assert check_text(None, "nickname", 50) is None


def test_check_text_refuses_none_when_not_nullable() -> None:
    with raises_naming("name", "None"):
        check_text(None, "name", 100, nullable=False)


def test_check_text_counts_characters_not_bytes() -> None:
    assert check_text("é" * 50, "nickname", 50) == "é" * 50


def test_check_text_refuses_an_over_long_value() -> None:
    with raises_naming("nickname", "'" + "x" * 20, "51", "50"):
        check_text("x" * 51, "nickname", 50)


def test_check_text_refuses_a_blank_value_when_not_blank() -> None:
    with raises_naming("name", "'   '"):
        check_text("   ", "name", 100, not_blank=True)


def test_check_text_allows_a_blank_value_by_default() -> None:
    assert check_text("  ", "nickname", 50) == "  "


def test_check_text_refuses_a_non_string() -> None:
    with raises_naming("nickname", "42"):
        check_text(42, "nickname", 50)


# --------------------------------------------------------------------------- validate_aware


def test_validate_aware_converts_other_offsets_to_utc() -> None:
    tokyo = datetime(2026, 5, 1, 18, 0, tzinfo=timezone(timedelta(hours=9)))
    result = validate_aware(tokyo, "effective_at")
    assert result == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert result is not None
    assert result.utcoffset() == timedelta(0)


def test_validate_aware_refuses_a_naive_datetime() -> None:
    with raises_naming("expires_at", "2026-05-01T09:00:00", "naive"):
        validate_aware(datetime(2026, 5, 1, 9, 0), "expires_at")


def test_validate_aware_passes_none() -> None:
    assert validate_aware(None, "expires_at") is None


def test_validate_aware_refuses_a_non_datetime() -> None:
    with raises_naming("expires_at", "'2026-05-01'"):
        validate_aware("2026-05-01", "expires_at")


# --------------------------------------------------------------------------- email


def test_email_is_trimmed_and_lower_cased() -> None:
    assert validate_email_address("  Ann.Lee@Example.ORG ") == "ann.lee@example.org"


@pytest.mark.parametrize(
    "value",
    ["", "   ", "no-at-sign", "@example.org", "ann@", "ann@@example.org", "a b@example.org"],
)
def test_email_not_shaped_like_an_address_is_refused(value: str) -> None:
    with raises_naming("email", repr(value)):
        validate_email_address(value)


def test_email_over_100_characters_is_refused() -> None:
    value = "a" * 89 + "@example.org"  # 101 characters
    with raises_naming("contact", "aaaa", "101", "100"):
        validate_email_address(value, "contact")


def test_email_of_exactly_100_characters_is_accepted() -> None:
    value = "a" * 88 + "@example.org"
    assert validate_email_address(value) == value


def test_email_must_be_a_string() -> None:
    with raises_naming("email", "None"):
        validate_email_address(None)


# --------------------------------------------------------------------------- users


def test_a_plain_user_is_valid() -> None:
    validate_user(User(in_app_id="u-1", email="A@B.C", nickname="Ann"))


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"in_app_id": "  "}, ("in_app_id", "'  '")),
        ({"in_app_id": "i" * 101}, ("in_app_id", "101", "100")),
        ({"email": "not-an-address"}, ("email", "'not-an-address'")),
        ({"email": "x" * 95 + "@b.org"}, ("email", "101", "100")),
        ({"password_hash": "h" * 256}, ("password_hash", "256", "255")),
        ({"nickname": "n" * 51}, ("nickname", "51", "50")),
        ({"paymail": "p" * 256}, ("paymail", "256")),
        ({"on_chain_id": "o" * 256}, ("on_chain_id", "256")),
        ({"fcm_token": "f" * 256}, ("fcm_token", "256")),
        ({"password_provided": 1}, ("password_provided", "1")),
        ({"initial_reward_claimed": "yes"}, ("initial_reward_claimed", "'yes'")),
        ({"is_test_user": None}, ("is_test_user", "None")),
        ({"nickname": 7}, ("nickname", "7")),
        ({"created_at": datetime(2026, 1, 1)}, ("created_at", "2026-01-01T00:00:00", "naive")),
    ],
)
def test_user_breaking_a_field_rule_is_refused(
    changes: dict[str, Any], named: tuple[str, ...]
) -> None:
    user = attrs.evolve(User(in_app_id="u-1"), **changes)
    with raises_naming(*named):
        validate_user(user)


# --------------------------------------------------------------------------- admins


def test_a_plain_admin_is_valid() -> None:
    validate_admin(Admin(email="ops@city.example", password_hash="x", name="Ops", role="root"))


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"password_hash": ""}, ("password_hash", "''")),
        ({"password_hash": " \t"}, ("password_hash", "' \\t'")),
        ({"password_hash": None}, ("password_hash", "None")),
        ({"password_hash": "h" * 256}, ("password_hash", "256")),
        ({"email": "ops"}, ("email", "'ops'")),
        ({"name": "n" * 51}, ("name", "51", "50")),
        ({"role": "r" * 51}, ("role", "51", "50")),
    ],
)
def test_admin_breaking_a_field_rule_is_refused(
    changes: dict[str, Any], named: tuple[str, ...]
) -> None:
    admin = attrs.evolve(Admin(password_hash="x"), **changes)
    with raises_naming(*named):
        validate_admin(admin)


# --------------------------------------------------------------------------- prefixes


def test_prefix_may_contain_dashes_and_is_returned() -> None:
    assert validate_prefix("EXPO-2026-A") == "EXPO-2026-A"


@pytest.mark.parametrize("value", ["", "EX PO", " EXPO", "EXPO\n", "EX\tPO"])
def test_prefix_empty_or_with_whitespace_is_refused(value: str) -> None:
    with raises_naming("prefix", repr(value)):
        validate_prefix(value)


def test_prefix_over_100_characters_is_refused() -> None:
    with raises_naming("prefix", "PPPP", "101", "100"):
        validate_prefix("P" * 101)


def test_prefix_must_be_a_string() -> None:
    with raises_naming("prefix", "12"):
        validate_prefix(12)


# --------------------------------------------------------------------------- definitions


def test_a_plain_definition_is_valid() -> None:
    validate_definition(
        good_definition(
            latitude=35.6,
            longitude=139,
            max_supply=0,
            card_lifetime_seconds=1,
            description="d" * 5000,
        )
    )


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"prefix": "A B"}, ("prefix", "'A B'")),
        ({"shared_key": " "}, ("shared_key", "' '")),
        ({"shared_key": "k" * 256}, ("shared_key", "256", "255")),
        ({"name": ""}, ("name", "''")),
        ({"name": "n" * 101}, ("name", "101", "100")),
        ({"nft_type": "  "}, ("nft_type", "'  '")),
        ({"nft_type": None}, ("nft_type", "None")),
        ({"nft_type": "t" * 51}, ("nft_type", "51", "50")),
        ({"category": "c" * 51}, ("category", "51")),
        ({"subcategory": "s" * 51}, ("subcategory", "51")),
        ({"description": 5}, ("description", "5")),
        ({"promotional_text": b"x"}, ("promotional_text", "b'x'")),
        ({"store_url": "u" * 513}, ("store_url", "513", "512")),
        ({"image_url": "u" * 256}, ("image_url", "256")),
        ({"qr_image_url": "u" * 256}, ("qr_image_url", "256")),
        ({"local_image_path": "u" * 256}, ("local_image_path", "256")),
        ({"store_name": "u" * 256}, ("store_name", "256")),
        ({"latitude": math.nan}, ("latitude", "nan")),
        ({"longitude": math.inf}, ("longitude", "inf")),
        ({"latitude": "35.6"}, ("latitude", "'35.6'")),
        ({"longitude": True}, ("longitude", "True")),
        ({"max_supply": -1}, ("max_supply", "-1")),
        ({"max_supply": True}, ("max_supply", "True")),
        ({"max_supply": 10.0}, ("max_supply", "10.0")),
        ({"minted_count": -3}, ("minted_count", "-3")),
        ({"minted_count": None}, ("minted_count", "None")),
        ({"status": "paused"}, ("status", "'paused'")),
        ({"card_lifetime_seconds": 0}, ("card_lifetime_seconds", "0")),
        ({"card_lifetime_seconds": False}, ("card_lifetime_seconds", "False")),
        ({"triggers_bingo_card": 1}, ("triggers_bingo_card", "1")),
        ({"bingo_random_candidate": "no"}, ("bingo_random_candidate", "'no'")),
        ({"is_dummy": None}, ("is_dummy", "None")),
        ({"is_public": 0}, ("is_public", "0")),
        ({"created_by_admin_id": "1"}, ("created_by_admin_id", "'1'")),
        ({"updated_at": datetime(2026, 1, 1)}, ("updated_at", "naive")),
    ],
)
def test_definition_breaking_a_field_rule_is_refused(
    changes: dict[str, Any], named: tuple[str, ...]
) -> None:
    with raises_naming(*named):
        validate_definition(good_definition(**changes))


def test_definition_status_inactive_is_valid() -> None:
    validate_definition(good_definition(status="inactive"))


# --------------------------------------------------------------------------- origins


def test_origin_is_returned_unchanged() -> None:
    assert validate_origin(" abc_0 ") == " abc_0 "


@pytest.mark.parametrize("value", ["", "   ", "tx\u00e9_0", "o" * 256])
def test_origin_blank_non_ascii_or_over_long_is_refused(value: str) -> None:
    with raises_naming("nft_origin", repr(value)[:20]):
        validate_origin(value)


def test_origin_error_names_the_given_field() -> None:
    with raises_naming("origin", "None"):
        validate_origin(None, "origin")


# --------------------------------------------------------------------------- draw types


def test_a_plain_draw_type_is_valid() -> None:
    validate_draw_type_fields(good_draw_type(display_name="Bingo", default_threshold=0))
    validate_draw_type_fields(good_draw_type(default_threshold=1))


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"internal_name": ""}, ("internal_name", "''")),
        ({"internal_name": " bingo"}, ("internal_name", "' bingo'")),
        ({"internal_name": "bingo\n"}, ("internal_name", "'bingo\\n'")),
        ({"internal_name": "b" * 101}, ("internal_name", "101", "100")),
        ({"display_name": "d" * 256}, ("display_name", "256", "255")),
        ({"algorithm_key": " "}, ("algorithm_key", "' '")),
        ({"algorithm_key": "a" * 101}, ("algorithm_key", "101", "100")),
        ({"default_threshold": -0.01}, ("default_threshold", "-0.01")),
        ({"default_threshold": 1.5}, ("default_threshold", "1.5")),
        ({"default_threshold": math.nan}, ("default_threshold", "nan")),
        ({"default_threshold": True}, ("default_threshold", "True")),
        ({"default_threshold": "0.5"}, ("default_threshold", "'0.5'")),
    ],
)
def test_draw_type_breaking_a_field_rule_is_refused(
    changes: dict[str, Any], named: tuple[str, ...]
) -> None:
    with raises_naming(*named):
        validate_draw_type_fields(good_draw_type(**changes))


# --------------------------------------------------------------------------- winning values


def test_winning_value_is_returned_as_given() -> None:
    assert validate_winning_value("  ABD ") == "  ABD "


@pytest.mark.parametrize("value", ["", "  ", "\u00e4bc", "w" * 256])
def test_winning_value_blank_non_ascii_or_over_long_is_refused(value: str) -> None:
    with raises_naming("winning value", repr(value)[:20]):
        validate_winning_value(value)


def test_winning_value_must_be_a_string() -> None:
    with raises_naming("winning value", "123"):
        validate_winning_value(123)


# --------------------------------------------------------------------------- metadata


def test_metadata_none_stays_none() -> None:
    assert validate_metadata(None) is None


def test_metadata_is_returned_as_a_deep_copy() -> None:
    original: dict[str, Any] = {"round": 1, "source": {"names": ["a", "b"]}, "ok": True}
    copied = validate_metadata(original)
    assert copied == original
    assert copied is not None
    copied["source"]["names"].append("c")
    assert original["source"]["names"] == ["a", "b"]


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ([1, 2], ("metadata", "[1, 2]")),
        ("text", ("metadata", "'text'")),
        ({1: "a"}, ("metadata", "1")),
        ({"outer": {None: "a"}}, ("metadata", "None")),
        ({"when": datetime(2026, 1, 1, tzinfo=UTC)}, ("metadata", "datetime")),
        ({"score": math.nan}, ("metadata", "nan")),
        ({"score": math.inf}, ("metadata", "inf")),
        ({"s": {1, 2}}, ("metadata", "{1, 2}")),
    ],
)
def test_metadata_that_is_not_a_json_object_with_string_keys_is_refused(
    value: object, named: tuple[str, ...]
) -> None:
    with raises_naming(*named):
        validate_metadata(value)


def test_circular_metadata_is_refused() -> None:
    looped: dict[str, Any] = {}
    looped["self"] = looped
    with raises_naming("metadata", "Circular"):
        validate_metadata(looped)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=100)
@given(metadata=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_metadata_round_trips_any_json_object(metadata: dict[str, Any]) -> None:
    assert validate_metadata(metadata) == metadata


# --------------------------------------------------------------------------- update_user keys


def test_user_changes_allow_the_documented_fields() -> None:
    validate_user_changes(dict.fromkeys(USER_CHANGE_FIELDS))
    assert set(USER_CHANGE_FIELDS) == {
        "in_app_id",
        "email",
        "nickname",
        "password_hash",
        "password_provided",
        "fcm_token",
        "initial_reward_claimed",
        "is_test_user",
    }


@pytest.mark.parametrize(
    "key", ["id", "paymail", "on_chain_id", "created_at", "updated_at", "favourite_colour"]
)
def test_user_changes_with_another_key_are_refused_naming_it(key: str) -> None:
    with raises_naming(repr(key)):
        validate_user_changes({"nickname": "Ann", key: "x"})
