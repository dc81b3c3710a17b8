"""Reading what the chain answers (domain-rules.md §8.2-8.3, §4.5, §9.4).

Pure functions: no I/O, no time, no randomness. ``parse_nft_payloads`` turns the list the
chain returns for a user into ``ParsedNFT`` items plus skip and warning notes, and never
fails on a malformed item; only an answer that is not a list is a ``ChainError``.

Over 500 lines on purpose: one reader for one untrusted wire format (§8.2-8.3), every field
check beside the others, so a reviewer audits the whole parse in one place.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeGuard

from attrs import frozen

from nictbw.domain.entities import ATOMIC_TYPES, NFTDefinition, SyncNote
from nictbw.domain.errors import ChainError, ValidationError
from nictbw.domain.messages import shown as _show
from nictbw.domain.validation import ORIGIN_MAX_LENGTH, PREFIX_MAX_LENGTH
from nictbw.domain.values import (
    check_characters,
    describe_character,
    has_whitespace,
    is_storable_utc,
    refused_character,
)

SKIP_NOT_AN_OBJECT: Final = "not an object"
SKIP_NO_ORIGIN: Final = "no origin"
SKIP_INVALID_ORIGIN: Final = "invalid origin"
SKIP_DUPLICATE_ORIGIN: Final = "duplicate origin"
SKIP_INVALID_PREFIX: Final = "invalid prefix"

FALLBACK_PREFIX: Final = "onchain-"
DEFAULT_NFT_TYPE: Final = "default"
DEFAULT_APP: Final = "nictbw"
"""The app name nictbw mints under unless configured otherwise (``chain.app``)."""
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

ORIGIN_KEYS: Final = ("nft_origin", "origin", "txid", "transaction_id")
METADATA_ALIASES: Final = (
    ("sharedKey", "shared_key"),
    ("subCategory", "subcategory"),
    ("imageUrl", "image_url"),
    ("conditionId", "condition_id"),
)
TOP_LEVEL_METADATA_KEYS: Final = (
    "prefix",
    "shared_key",
    "category",
    "subcategory",
    "description",
    "image_url",
    "name",
)

# Column widths of the definition and instance tables (§2.3, §2.4); None = unbounded text.
DEFINITION_COLUMNS: Final[Mapping[str, int | None]] = {
    "shared_key": 255,
    "name": 100,
    "nft_type": 50,
    "category": 50,
    "subcategory": 50,
    "description": None,
    "image_url": 255,
}
INSTANCE_COLUMNS: Final[Mapping[str, int | None]] = {
    "current_nft_location": 255,
    "blockchain_name": 100,
    "sub_type": 50,
    "transaction_id": 255,
    "contract_address": 255,
    "token_id": 255,
}
NOT_BLANK_DEFINITION_FIELDS: Final = frozenset({"shared_key", "name", "nft_type"})
FREE_TEXT_FIELDS: Final = frozenset({"description"})
"""Fields that may hold tab and line breaks; no other control character is read anywhere."""


@frozen
class ParsedNFT:
    """One usable chain item, with its derived fields (§8.3).

    ``definition_fields`` and ``instance_fields`` hold only the values present in the item
    (they may overwrite stored ones); ``definition_defaults`` and ``location_fallback`` are
    used only when a definition or instance is created.
    """

    index: int
    origin: str
    prefix: str
    prefix_from_payload: bool
    definition_fields: dict[str, Any]
    definition_defaults: dict[str, Any]
    instance_fields: dict[str, Any]
    location_fallback: str
    created_at: datetime | None
    app: str | None = None
    """``metadata.MAP.app``: the app that minted the item (None when absent or not text)."""


@frozen
class ParsedPayloads:
    """The parsed answer: usable items in response order, skipped items and warnings.

    ``found_origins`` holds every valid origin seen, including those of skipped items.
    """

    items: tuple[ParsedNFT, ...]
    skipped: tuple[SyncNote, ...]
    warnings: tuple[SyncNote, ...]
    found_origins: frozenset[str]


@frozen
class MintInfo:
    """What nictbw reads from a mint answer (§4.5 step 2)."""

    nft_origin: str | None
    nft_id: int | None
    current_nft_location: str | None
    transaction_id: str | None


def _is_blank(value: str) -> bool:
    return not value.strip()


def is_valid_prefix(value: object) -> TypeGuard[str]:
    """§2.3: a non-empty string of at most 100 characters without whitespace or control
    characters."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= PREFIX_MAX_LENGTH
        and not has_whitespace(value)
        and refused_character(value) is None
    )


def _origin_problem(origin: str) -> bool:
    return (
        not origin.isascii()
        or len(origin) > ORIGIN_MAX_LENGTH
        or refused_character(origin) is not None
    )


class _ItemReader:
    """Reads the fields of one item, collecting a warning for each unusable value."""

    def __init__(self, index: int, item: Mapping[str, Any]) -> None:
        self.index = index
        self.item = item
        self.origin: str | None = None
        self.notes: list[str] = []

    def warn(self, reason: str) -> None:
        self.notes.append(reason)

    def first_text(
        self,
        target: str,
        sources: Iterable[tuple[str, object]],
        *,
        max_len: int | None,
        not_blank: bool = False,
        skip: Callable[[str], bool] | None = None,
    ) -> str | None:
        """The first usable string among ``sources`` (``(key, value)`` pairs), or None."""
        for key, value in sources:
            if value is None:
                continue
            if not isinstance(value, str):
                self.warn(f"{target}: {key} {_show(value)} is not a string; ignored")
                continue
            if skip is not None and skip(value):
                continue
            char = refused_character(value, free_text=target in FREE_TEXT_FIELDS)
            if char is not None:
                self.warn(
                    f"{target}: {key} {_show(value)} contains {describe_character(char)}; ignored"
                )
                continue
            if not_blank and _is_blank(value):
                self.warn(f"{target}: {key} {_show(value)} is blank; ignored")
                continue
            if max_len is not None and len(value) > max_len:
                self.warn(
                    f"{target}: {key} {_show(value)} is {len(value)} characters, "
                    f"longer than {max_len}; ignored"
                )
                continue
            return value
        return None

    def timestamp(self, target: str, key: str) -> datetime | None:
        """The item's ``key`` parsed as an ISO-8601 timestamp in UTC, or None."""
        value = self.item.get(key)
        if value is None:
            return None
        parsed = parse_chain_timestamp(value)
        if parsed is None:
            self.warn(f"{target}: {key} {_show(value)} is not an ISO-8601 timestamp; ignored")
        return parsed

    def nft_id(self) -> int | None:
        value = self.item.get("nft_id")
        if value is None:
            return None
        number = _chain_int(value)
        if number is None:
            self.warn(
                f"blockchain_nft_id: nft_id {_show(value)} is not a 64-bit integer "
                "or digit string; ignored"
            )
        return number


def _chain_int(value: object) -> int | None:
    """An int (not bool) or an ASCII digit string within the signed 64-bit range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    if INT64_MIN <= number <= INT64_MAX:
        return number
    return None


def parse_chain_timestamp(value: object) -> datetime | None:
    """§8.2: a string, trimmed, trailing ``Z`` read as UTC, ISO-8601, naive read as UTC.

    Returns the aware UTC datetime, or None for anything else (numbers included, and
    instants outside the storable range of :mod:`nictbw.domain.values`).
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=UTC)
        utc = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return utc if is_storable_utc(utc) else None


def _copied(value: Any) -> Any:
    """``copy.deepcopy(value)``, without its call for the atomic values most payload
    fields hold (for which it returns ``value`` itself)."""
    return value if type(value) in ATOMIC_TYPES else copy.deepcopy(value)


def _metadata_dict(reader: _ItemReader) -> dict[str, Any]:
    """The metadata dict ``md`` of §8.2, built in the documented order."""
    item = reader.item
    md: dict[str, Any] = {}
    metadata = item.get("metadata")
    map_ = metadata.get("MAP") if isinstance(metadata, dict) else None
    if isinstance(map_, dict):
        sub_type_data = map_.get("subTypeData")
        if isinstance(sub_type_data, dict):
            for key, value in sub_type_data.items():
                if value is None:
                    continue
                if not isinstance(key, str):
                    reader.warn(
                        f"other_meta: subTypeData key {_show(key)} is not a string; ignored"
                    )
                    continue
                md[key] = _copied(value)
        map_name = map_.get("name")
        if isinstance(map_name, str) and not _is_blank(map_name) and "name" not in md:
            md["name"] = map_name
    for alias, canonical in METADATA_ALIASES:
        if canonical not in md and alias in md:
            md[canonical] = _copied(md[alias])
    for key in TOP_LEVEL_METADATA_KEYS:
        if key not in md and item.get(key) is not None:
            md[key] = _copied(item[key])
    return md


def _parse_item(
    reader: _ItemReader, origin: str, md: dict[str, Any]
) -> tuple[ParsedNFT | None, str | None]:
    """The parsed item, or ``(None, reason)`` when it must be skipped."""
    item = reader.item
    raw_prefix = md.get("prefix")
    from_payload = raw_prefix is not None
    prefix = raw_prefix if from_payload else FALLBACK_PREFIX + origin
    if not is_valid_prefix(prefix):
        return None, SKIP_INVALID_PREFIX

    definition_sources: dict[str, list[tuple[str, object]]] = {
        "shared_key": [("shared_key", md.get("shared_key")), ("sharedKey", item.get("sharedKey"))],
        "name": [("name", md.get("name"))],
        "nft_type": [("nft_type", item.get("nft_type")), ("nft_type", md.get("nft_type"))],
        "category": [("category", md.get("category"))],
        "subcategory": [("subcategory", md.get("subcategory"))],
        "description": [("description", md.get("description"))],
        "image_url": [("image_url", md.get("image_url"))],
    }
    definition_fields: dict[str, Any] = {}
    for target, sources in definition_sources.items():
        value = reader.first_text(
            target,
            sources,
            max_len=DEFINITION_COLUMNS[target],
            not_blank=target in NOT_BLANK_DEFINITION_FIELDS,
        )
        if value is not None:
            definition_fields[target] = value
    fallbacks = {"shared_key": origin, "name": prefix, "nft_type": DEFAULT_NFT_TYPE}
    definition_defaults = {k: v for k, v in fallbacks.items() if k not in definition_fields}

    instance_fields: dict[str, Any] = {}

    def put(target: str, value: object) -> None:
        if value is not None:
            instance_fields[target] = value

    def text(target: str, *sources: tuple[str, object]) -> None:
        skip = (lambda v: v == origin) if target == "transaction_id" else None
        put(target, reader.first_text(target, sources, max_len=INSTANCE_COLUMNS[target], skip=skip))

    put("blockchain_nft_id", reader.nft_id())
    text("current_nft_location", ("current_nft_location", item.get("current_nft_location")))
    text("blockchain_name", ("name", item.get("name")))
    text("sub_type", ("sub_type", item.get("sub_type")), ("sub_type", md.get("sub_type")))
    created_at = reader.timestamp("blockchain_created_at", "created_at")
    put("blockchain_created_at", created_at)
    put("blockchain_updated_at", reader.timestamp("blockchain_updated_at", "updated_at"))
    text(
        "transaction_id", ("transaction_id", item.get("transaction_id")), ("txid", item.get("txid"))
    )
    text("contract_address", ("contract_address", item.get("contract_address")))
    text("token_id", ("token_id", item.get("token_id")))
    other_meta = dict(md)
    unique_nft_id = item.get("unique_nft_id")
    if unique_nft_id is not None:
        other_meta["unique_nft_id"] = _copied(unique_nft_id)
    if other_meta:
        instance_fields["other_meta"] = other_meta

    parsed = ParsedNFT(
        index=reader.index,
        origin=origin,
        prefix=prefix,
        prefix_from_payload=from_payload,
        definition_fields=definition_fields,
        definition_defaults=definition_defaults,
        instance_fields=instance_fields,
        location_fallback=origin,
        created_at=created_at,
        app=_minting_app(item),
    )
    return parsed, None


def _minting_app(item: Mapping[str, Any]) -> str | None:
    """``metadata.MAP.app`` when it is a string, else None."""
    metadata = item.get("metadata")
    map_ = metadata.get("MAP") if isinstance(metadata, dict) else None
    app = map_.get("app") if isinstance(map_, dict) else None
    return app if isinstance(app, str) else None


def _find_origin(reader: _ItemReader) -> str | None:
    """The first origin key holding a non-blank string (§8.2)."""
    for key in ORIGIN_KEYS:
        value = reader.item.get(key)
        if value is None:
            continue
        if isinstance(value, str) and not _is_blank(value):
            return value
        reader.warn(f"nft_origin: {key} {_show(value)} is not a non-blank string; ignored")
    return None


def parse_nft_payloads(payloads: object) -> ParsedPayloads:
    """Parse the chain's NFT list for one user (§8.2-8.3), items in response order.

    A malformed item is skipped with one of the reasons ``not an object``, ``no origin``,
    ``invalid origin``, ``duplicate origin`` or ``invalid prefix``; present but unusable
    values are left out and noted as warnings. Raises ``ChainError`` only when
    ``payloads`` is not a list.
    """
    if not isinstance(payloads, list):
        raise ChainError(
            f"the chain's NFT list is not a JSON array: got {type(payloads).__name__} "
            f"{_show(payloads)}",
            body=_show(payloads),
        )
    items: list[ParsedNFT] = []
    skipped: list[SyncNote] = []
    warnings: list[SyncNote] = []
    seen: set[str] = set()
    for index, item in enumerate(payloads):
        if not isinstance(item, dict):
            skipped.append(SyncNote(index=index, origin=None, reason=SKIP_NOT_AN_OBJECT))
            continue
        reader = _ItemReader(index, item)
        origin = _find_origin(reader)
        if origin is None:
            skipped.append(SyncNote(index=index, origin=None, reason=SKIP_NO_ORIGIN))
            continue
        if _origin_problem(origin):
            skipped.append(SyncNote(index=index, origin=origin, reason=SKIP_INVALID_ORIGIN))
            continue
        if origin in seen:
            skipped.append(SyncNote(index=index, origin=origin, reason=SKIP_DUPLICATE_ORIGIN))
            continue
        seen.add(origin)
        md = _metadata_dict(reader)
        parsed, reason = _parse_item(reader, origin, md)
        if parsed is None:
            skipped.append(SyncNote(index=index, origin=origin, reason=reason or "skipped"))
            continue
        items.append(parsed)
        warnings.extend(SyncNote(index=index, origin=origin, reason=r) for r in reader.notes)
    return ParsedPayloads(
        items=tuple(items),
        skipped=tuple(skipped),
        warnings=tuple(warnings),
        found_origins=frozenset(seen),
    )


def _mint_text(key: str, value: object, max_len: int | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"chain_metadata {key} must be a string, got {_show(value)}")
    check_characters(value, f"chain_metadata {key}")
    if max_len is not None and len(value) > max_len:
        raise ValidationError(
            f"chain_metadata {key} {_show(value)} is {len(value)} characters, longer than {max_len}"
        )
    return value


def parse_mint_metadata(chain_metadata: object) -> MintInfo:
    """Read a mint answer (§4.5 step 2).

    ``nft_origin``, ``nft_id`` and ``current_nft_location`` come from ``nft_information``,
    else from the top level; ``transaction_id`` from the top level. ``transaction_hex`` and
    unknown keys are ignored. Wrong types raise ``ValidationError`` naming the key.
    """
    if not isinstance(chain_metadata, dict):
        raise ValidationError(
            f"chain_metadata must be an object, got {type(chain_metadata).__name__} "
            f"{_show(chain_metadata)}"
        )
    info = chain_metadata.get("nft_information")
    if info is None:
        info = {}
    elif not isinstance(info, dict):
        raise ValidationError(
            f"chain_metadata nft_information must be an object, got {_show(info)}"
        )

    def nested(key: str) -> tuple[str, object]:
        if info.get(key) is not None:
            return f"nft_information.{key}", info[key]
        return key, chain_metadata.get(key)

    origin_key, origin = nested("nft_origin")
    location_key, location = nested("current_nft_location")
    id_key, raw_id = nested("nft_id")
    nft_id: int | None = None
    if raw_id is not None:
        if isinstance(raw_id, bool) or not isinstance(raw_id, int):
            raise ValidationError(
                f"chain_metadata {id_key} must be an integer, got {_show(raw_id)}"
            )
        if not INT64_MIN <= raw_id <= INT64_MAX:
            raise ValidationError(f"chain_metadata {id_key} {raw_id} does not fit a 64-bit integer")
        nft_id = raw_id
    return MintInfo(
        nft_origin=_mint_text(origin_key, origin, None),
        nft_id=nft_id,
        current_nft_location=_mint_text(location_key, location, 255),
        transaction_id=_mint_text("transaction_id", chain_metadata.get("transaction_id"), 255),
    )


ADDITIONAL_INFO_KEYS: Final = (
    "prefix",
    "shared_key",
    "name",
    "nft_type",
    "category",
    "subcategory",
    "description",
    "image_url",
)


def additional_info_for(definition: NFTDefinition) -> dict[str, Any]:
    """The ``additional_info`` object minted with an instance of ``definition`` (§9.4)."""
    info: dict[str, Any] = {}
    for key in ADDITIONAL_INFO_KEYS:
        value = getattr(definition, key)
        if value is not None:
            info[key] = value
    return info


__all__ = [
    "SKIP_DUPLICATE_ORIGIN",
    "SKIP_INVALID_ORIGIN",
    "SKIP_INVALID_PREFIX",
    "SKIP_NOT_AN_OBJECT",
    "SKIP_NO_ORIGIN",
    "MintInfo",
    "ParsedNFT",
    "ParsedPayloads",
    "additional_info_for",
    "is_valid_prefix",
    "parse_chain_timestamp",
    "parse_mint_metadata",
    "parse_nft_payloads",
]
