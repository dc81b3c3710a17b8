"""Field validation (domain-rules.md §1.3, §1.4, §2, §4).

Each function raises :class:`~nictbw.domain.errors.ValidationError` naming the field and the
offending value, and returns the normalised value where there is one. Workflows call them
before they write, so an invalid entity never reaches a repository.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from nictbw.domain.entities import (
    Admin,
    DefinitionStatus,
    NFTDefinition,
    PrizeDrawType,
    User,
)
from nictbw.domain.errors import ValidationError
from nictbw.domain.messages import shown as _show
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.values import (
    INT32_MAX,
    check_characters,
    check_id,
    check_int_range,
    has_whitespace,
)

EMAIL_MAX_LENGTH: Final = 100
PREFIX_MAX_LENGTH: Final = 100
ORIGIN_MAX_LENGTH: Final = 255
WINNING_VALUE_MAX_LENGTH: Final = 255
DEFINITION_STATUSES: Final = frozenset(status.value for status in DefinitionStatus)
USER_CHANGE_FIELDS: Final = (
    "in_app_id",
    "email",
    "nickname",
    "password_hash",
    "password_provided",
    "fcm_token",
    "initial_reward_claimed",
    "is_test_user",
)
"""The fields ``update_user`` may change (§4.3)."""


def _is_blank(value: str) -> bool:
    return not value.strip()


def check_text(
    value: object,
    field: str,
    max_length: int,
    *,
    nullable: bool = True,
    not_blank: bool = False,
) -> str | None:
    """Check a text field: a ``str`` of at most ``max_length`` characters, or None if nullable.

    With ``not_blank`` an all-whitespace value is refused. Returns the value unchanged.
    """
    if value is None:
        if nullable:
            return None
        raise ValidationError(f"{field} is required, got None")
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {_show(value)}")
    _refuse_nul(value, field)
    check_characters(value, field)
    if not_blank and _is_blank(value):
        raise ValidationError(f"{field} must not be blank, got {value!r}")
    if len(value) > max_length:
        raise ValidationError(
            f"{field} {_show(value)} is {len(value)} characters long, at most {max_length} allowed"
        )
    return value


def _refuse_nul(value: str, field: str) -> None:
    """Text columns cannot hold NUL characters (PostgreSQL refuses them)."""
    if "\x00" in value:
        raise ValidationError(f"{field} {_show(value)} contains a NUL character")


def _check_free_text(value: object, field: str) -> str | None:
    """A nullable text column without a length limit; tab and line breaks allowed."""
    if value is None:
        return value
    if isinstance(value, str):
        _refuse_nul(value, field)
        check_characters(value, field, free_text=True)
        return value
    raise ValidationError(f"{field} must be a string, got {_show(value)}")


def _check_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{field} must be a bool, got {_show(value)}")
    return value


def _check_int(
    value: object,
    field: str,
    *,
    minimum: int | None,
    nullable: bool,
    maximum: int = INT32_MAX,
) -> int | None:
    """An ``int`` (never a ``bool``) of at least ``minimum`` and at most ``maximum`` (the
    width of an ``INTEGER`` column by default), or None when nullable."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer, got {_show(value)}")
    if minimum is not None and value < minimum:
        raise ValidationError(f"{field} must be at least {minimum}, got {value!r}")
    check_int_range(
        value, field, minimum=minimum if minimum is not None else -maximum - 1, maximum=maximum
    )
    return value


def _check_real(value: object, field: str) -> float | None:
    """None or a finite real number (never a ``bool``), as a float."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(f"{field} must be a number, got {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{field} must be finite, got {value!r}")
    return number


def validate_aware(value: object, field: str) -> datetime | None:
    """None, or a timezone-aware datetime converted to UTC; naive -> ``ValidationError``."""
    if value is not None and not isinstance(value, datetime):
        raise ValidationError(f"{field} must be a datetime, got {_show(value)}")
    return ensure_utc(value, field)


def _check_timestamps(entity: User | Admin | NFTDefinition | PrizeDrawType) -> None:
    validate_aware(entity.created_at, "created_at")
    validate_aware(entity.updated_at, "updated_at")


def validate_email_address(value: object, field: str = "email") -> str:
    """Normalise (strip, lower-case) and check an email; returns the normalised address.

    Refused: non-strings, blank values, more than 100 characters, anything that is not
    ``local@domain`` with exactly one ``@``, both parts non-empty and no whitespace.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, got {_show(value)}")
    email = value.strip().lower()
    if not email:
        raise ValidationError(f"{field} must not be blank, got {value!r}")
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(
            f"{field} {_show(email)} is {len(email)} characters long, "
            f"at most {EMAIL_MAX_LENGTH} allowed"
        )
    check_characters(email, field)
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or has_whitespace(email):
        raise ValidationError(f"{field} {_show(value)} is not an address of the form local@domain")
    return email


def _check_optional_email(value: object, field: str = "email") -> None:
    if value is not None:
        validate_email_address(value, field)


def validate_user(user: User) -> None:
    """Check a user's fields against §2.1."""
    check_text(user.in_app_id, "in_app_id", 100, not_blank=True)
    _check_optional_email(user.email)
    check_secret(user.password_hash, "password_hash", 255)
    check_text(user.nickname, "nickname", 50)
    check_text(user.paymail, "paymail", 255)
    check_text(user.on_chain_id, "on_chain_id", 255)
    check_secret(user.fcm_token, "fcm_token", 255)
    _check_bool(user.password_provided, "password_provided")
    _check_bool(user.initial_reward_claimed, "initial_reward_claimed")
    _check_bool(user.is_test_user, "is_test_user")
    _check_timestamps(user)


def validate_admin(admin: Admin) -> None:
    """Check an admin's fields against §2.2."""
    _check_optional_email(admin.email)
    check_secret(admin.password_hash, "password_hash", 255, nullable=False, not_blank=True)
    check_text(admin.name, "name", 50)
    check_text(admin.role, "role", 50)
    _check_timestamps(admin)


def validate_prefix(prefix: object) -> str:
    """A definition prefix: a non-empty ``str`` without whitespace, at most 100 characters."""
    if not isinstance(prefix, str):
        raise ValidationError(f"prefix must be a string, got {_show(prefix)}")
    if not prefix:
        raise ValidationError("prefix must not be empty, got ''")
    if has_whitespace(prefix):
        raise ValidationError(f"prefix {_show(prefix)} must not contain whitespace")
    check_characters(prefix, "prefix")
    if len(prefix) > PREFIX_MAX_LENGTH:
        raise ValidationError(
            f"prefix {_show(prefix)} is {len(prefix)} characters long, "
            f"at most {PREFIX_MAX_LENGTH} allowed"
        )
    return prefix


def validate_definition(definition: NFTDefinition) -> None:
    """Check a definition's fields against §2.3."""
    validate_prefix(definition.prefix)
    check_text(definition.shared_key, "shared_key", 255, nullable=False, not_blank=True)
    check_text(definition.name, "name", 100, nullable=False, not_blank=True)
    check_text(definition.nft_type, "nft_type", 50, nullable=False, not_blank=True)
    check_text(definition.category, "category", 50)
    check_text(definition.subcategory, "subcategory", 50)
    _check_free_text(definition.description, "description")
    _check_free_text(definition.promotional_text, "promotional_text")
    check_text(definition.store_url, "store_url", 512)
    check_text(definition.image_url, "image_url", 255)
    check_text(definition.qr_image_url, "qr_image_url", 255)
    check_text(definition.local_image_path, "local_image_path", 255)
    check_text(definition.store_name, "store_name", 255)
    _check_real(definition.latitude, "latitude")
    _check_real(definition.longitude, "longitude")
    _check_int(definition.max_supply, "max_supply", minimum=0, nullable=True)
    _check_int(definition.minted_count, "minted_count", minimum=0, nullable=False)
    if definition.status not in DEFINITION_STATUSES:
        raise ValidationError(
            f"status must be one of {sorted(DEFINITION_STATUSES)}, got {_show(definition.status)}"
        )
    _check_int(definition.card_lifetime_seconds, "card_lifetime_seconds", minimum=1, nullable=True)
    _check_bool(definition.triggers_bingo_card, "triggers_bingo_card")
    _check_bool(definition.bingo_random_candidate, "bingo_random_candidate")
    _check_bool(definition.is_dummy, "is_dummy")
    _check_bool(definition.is_public, "is_public")
    if definition.created_by_admin_id is not None:
        check_id(definition.created_by_admin_id, "created_by_admin_id")
    _check_timestamps(definition)


def validate_origin(origin: object, field: str = "nft_origin") -> str:
    """An NFT origin: an ASCII ``str``, not blank, at most 255 characters; returned unchanged."""
    if not isinstance(origin, str):
        raise ValidationError(f"{field} must be a string, got {_show(origin)}")
    if _is_blank(origin):
        raise ValidationError(f"{field} must not be blank, got {origin!r}")
    if not origin.isascii():
        raise ValidationError(f"{field} {_show(origin)} must be ASCII")
    _refuse_nul(origin, field)
    check_characters(origin, field)
    if len(origin) > ORIGIN_MAX_LENGTH:
        raise ValidationError(
            f"{field} {_show(origin)} is {len(origin)} characters long, "
            f"at most {ORIGIN_MAX_LENGTH} allowed"
        )
    return origin


def validate_draw_type_fields(draw_type: PrizeDrawType) -> None:
    """Check a draw type's own fields against §2.7.

    The registry checks (known ``algorithm_key``, threshold within the algorithm's
    ``max_score``) belong to the workflow that holds the registry.
    """
    name = check_text(draw_type.internal_name, "internal_name", 100, nullable=False, not_blank=True)
    if name is not None and name != name.strip():
        raise ValidationError(f"internal_name {_show(name)} must not start or end with whitespace")
    check_text(draw_type.display_name, "display_name", 255)
    _check_free_text(draw_type.description, "description")
    check_text(draw_type.algorithm_key, "algorithm_key", 100, nullable=False, not_blank=True)
    threshold = _check_real(draw_type.default_threshold, "default_threshold")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ValidationError(
            f"default_threshold must lie in [0, 1], got {draw_type.default_threshold!r}"
        )
    validate_max_wins(draw_type.max_wins_per_user)
    _check_timestamps(draw_type)


MAX_WINS_LIMIT: Final = 2**31 - 1


def validate_max_wins(value: object) -> int | None:
    """A per-user winner cap: None (no cap) or an int >= 1 (not a bool)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"max_wins_per_user must be None or an int >= 1, got {_show(value)}")
    if value > MAX_WINS_LIMIT:
        raise ValidationError(f"max_wins_per_user {value} is above {MAX_WINS_LIMIT}")
    return value


def validate_winning_value(value: object) -> str:
    """A winning value (§4.9 step 2): a ``str``, not blank, ASCII after trimming, <= 255.

    Returned exactly as given; scoring normalises it separately.
    """
    if not isinstance(value, str):
        raise ValidationError(f"winning value must be a string, got {_show(value)}")
    trimmed = value.strip()
    if not trimmed:
        raise ValidationError(f"winning value must not be blank, got {value!r}")
    if not trimmed.isascii():
        raise ValidationError(f"winning value {_show(value)} must be ASCII")
    _refuse_nul(value, "winning value")
    check_characters(value, "winning value")
    if len(value) > WINNING_VALUE_MAX_LENGTH:
        raise ValidationError(
            f"winning value {_show(value)} is {len(value)} characters long, "
            f"at most {WINNING_VALUE_MAX_LENGTH} allowed"
        )
    return value


def _non_string_key(value: object) -> tuple[object] | None:
    """The first dict key at any depth of ``value`` that is not a ``str``, boxed; else None.

    The key comes in a one-element tuple so that a ``None`` key is reported too.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return (key,)
            found = _non_string_key(item)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for item in value:
            found = _non_string_key(item)
            if found is not None:
                return found
    return None


def validate_metadata(metadata: object) -> dict[str, Any] | None:
    """None, or a JSON object with string keys; returns a deep copy made by a JSON round trip.

    Refused: non-dicts, keys that are not strings at any depth, values ``json.dumps``
    rejects (with ``allow_nan=False``: NaN and infinities too), circular structures.
    """
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise ValidationError(f"metadata must be a JSON object, got {_show(metadata)}")
    try:
        text = json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ValidationError(
            f"metadata {_show(metadata)} does not serialise to JSON: {exc}"
        ) from exc
    bad_key = _non_string_key(metadata)
    if bad_key is not None:
        raise ValidationError(
            f"metadata keys must be strings, got {_show(bad_key[0])} in {_show(metadata)}"
        )
    copied: dict[str, Any] = json.loads(text)
    return copied


def validate_user_changes(changes: Mapping[str, object]) -> None:
    """Refuse keys ``update_user`` may not change (§4.3), naming them."""
    unknown = [key for key in changes if key not in USER_CHANGE_FIELDS]
    if unknown:
        shown = ", ".join(_show(key) for key in unknown)
        raise ValidationError(
            f"update_user cannot change {shown}; allowed fields: {', '.join(USER_CHANGE_FIELDS)}"
        )


def check_secret(
    value: object, field: str, max_length: int, *, nullable: bool = True, not_blank: bool = False
) -> str | None:
    """``check_text`` for a secret (a password hash, a push token): the same rules, but a
    refusal names the field and the rule, never the value (``None`` and blank values, which
    hide nothing, are shown)."""
    if value is None or (isinstance(value, str) and _is_blank(value) and "\x00" not in value):
        return check_text(value, field, max_length, nullable=nullable, not_blank=not_blank)
    try:
        return check_text(value, field, max_length, nullable=nullable, not_blank=not_blank)
    except ValidationError:
        pass
    if not isinstance(value, str):
        problem = f"must be a string, got {type(value).__name__}"
    elif len(value) > max_length:
        problem = f"is {len(value)} characters long, at most {max_length} allowed"
    else:
        problem = "contains a character that is not allowed"
    raise ValidationError(f"{field} (value not shown) {problem}")


__all__ = [
    "USER_CHANGE_FIELDS",
    "check_secret",
    "check_text",
    "validate_admin",
    "validate_aware",
    "validate_definition",
    "validate_draw_type_fields",
    "validate_email_address",
    "validate_metadata",
    "validate_origin",
    "validate_prefix",
    "validate_user",
    "validate_user_changes",
    "validate_winning_value",
]
