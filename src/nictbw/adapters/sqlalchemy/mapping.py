"""Row <-> entity translation of the SQL adapter, one pair of functions per entity.

``<entity>_values`` gives the column values of an entity (every column but ``id``), in the
order of the table's bulk statements; ``<entity>_from_row`` builds the entity back from a
row. A new column is one line in each. :class:`RowMapper` bundles a table with its pair for
the generic repository base.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, Final, Generic, TypeVar

from attrs import fields, frozen
from sqlalchemy import Table

from nictbw.adapters.sqlalchemy.tables import (
    admins,
    nft_definitions,
    nft_instances,
    prize_draw_results,
    prize_draw_types,
    prize_draw_winning_numbers,
    users,
)
from nictbw.domain.entities import (
    Admin,
    BingoCard,
    BingoCell,
    NFTDefinition,
    NFTInstance,
    PrizeDrawResult,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)

E = TypeVar("E")


@frozen
class RowMapper(Generic[E]):
    """A table and the translation of its rows: what the generic repository base needs."""

    table: Table
    what: str
    """The entity's name in error messages ("user", "draw type")."""
    values: Callable[[E], dict[str, Any]]
    from_row: Callable[[Mapping[Any, Any]], E]


# -- users ----------------------------------------------------------------------------


def user_values(user: User) -> dict[str, Any]:
    return {
        "in_app_id": user.in_app_id,
        "email": user.email,
        "password_hash": user.password_hash,
        "password_provided": user.password_provided,
        "nickname": user.nickname,
        "paymail": user.paymail,
        "on_chain_id": user.on_chain_id,
        "fcm_token": user.fcm_token,
        "initial_reward_claimed": user.initial_reward_claimed,
        "is_test_user": user.is_test_user,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def user_from_row(row: Mapping[Any, Any]) -> User:
    return User(
        id=row["id"],
        in_app_id=row["in_app_id"],
        email=row["email"],
        password_hash=row["password_hash"],
        password_provided=row["password_provided"],
        nickname=row["nickname"],
        paymail=row["paymail"],
        on_chain_id=row["on_chain_id"],
        fcm_token=row["fcm_token"],
        initial_reward_claimed=row["initial_reward_claimed"],
        is_test_user=row["is_test_user"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


# -- admins ---------------------------------------------------------------------------


def admin_values(admin: Admin) -> dict[str, Any]:
    return {
        "email": admin.email,
        "password_hash": admin.password_hash,
        "name": admin.name,
        "role": admin.role,
        "created_at": admin.created_at,
        "updated_at": admin.updated_at,
    }


def admin_from_row(row: Mapping[Any, Any]) -> Admin:
    return Admin(
        id=row["id"],
        email=row["email"],
        password_hash=row["password_hash"],
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


# -- definitions ----------------------------------------------------------------------


def definition_values(definition: NFTDefinition) -> dict[str, Any]:
    """Every column but ``id`` and ``minted_count``."""
    return {
        "prefix": definition.prefix,
        "shared_key": definition.shared_key,
        "name": definition.name,
        "nft_type": definition.nft_type,
        "category": definition.category,
        "subcategory": definition.subcategory,
        "description": definition.description,
        "promotional_text": definition.promotional_text,
        "store_url": definition.store_url,
        "image_url": definition.image_url,
        "qr_image_url": definition.qr_image_url,
        "local_image_path": definition.local_image_path,
        "store_name": definition.store_name,
        "latitude": definition.latitude,
        "longitude": definition.longitude,
        "max_supply": definition.max_supply,
        "status": definition.status,
        "triggers_bingo_card": definition.triggers_bingo_card,
        "bingo_random_candidate": definition.bingo_random_candidate,
        "card_lifetime_seconds": definition.card_lifetime_seconds,
        "is_dummy": definition.is_dummy,
        "is_public": definition.is_public,
        "created_by_admin_id": definition.created_by_admin_id,
        "created_at": definition.created_at,
        "updated_at": definition.updated_at,
        "imported_extra": definition.imported_extra,
    }


def definition_from_row(row: Mapping[Any, Any]) -> NFTDefinition:
    return NFTDefinition(
        id=row["id"],
        prefix=row["prefix"],
        shared_key=row["shared_key"],
        name=row["name"],
        nft_type=row["nft_type"],
        category=row["category"],
        subcategory=row["subcategory"],
        description=row["description"],
        promotional_text=row["promotional_text"],
        store_url=row["store_url"],
        image_url=row["image_url"],
        qr_image_url=row["qr_image_url"],
        local_image_path=row["local_image_path"],
        store_name=row["store_name"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        max_supply=row["max_supply"],
        minted_count=row["minted_count"],
        status=row["status"],
        triggers_bingo_card=row["triggers_bingo_card"],
        bingo_random_candidate=row["bingo_random_candidate"],
        card_lifetime_seconds=row["card_lifetime_seconds"],
        is_dummy=row["is_dummy"],
        is_public=row["is_public"],
        created_by_admin_id=row["created_by_admin_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        imported_extra=row["imported_extra"],
    )


# -- instances ------------------------------------------------------------------------


def instance_values(instance: NFTInstance) -> dict[str, Any]:
    return {
        "user_id": instance.user_id,
        "definition_id": instance.definition_id,
        "serial_number": instance.serial_number,
        "unique_instance_id": instance.unique_instance_id,
        "acquired_at": instance.acquired_at,
        "status": instance.status,
        "nft_origin": instance.nft_origin,
        "blockchain_nft_id": instance.blockchain_nft_id,
        "current_nft_location": instance.current_nft_location,
        "blockchain_name": instance.blockchain_name,
        "sub_type": instance.sub_type,
        "blockchain_created_at": instance.blockchain_created_at,
        "blockchain_updated_at": instance.blockchain_updated_at,
        "transaction_id": instance.transaction_id,
        "contract_address": instance.contract_address,
        "token_id": instance.token_id,
        "other_meta": instance.other_meta,
    }


INSTANCE_COLUMNS: Final = tuple(
    instance_values(NFTInstance(user_id=0, definition_id=0, serial_number=0, unique_instance_id=""))
)
instance_row: Callable[[NFTInstance], tuple[Any, ...]] = attrgetter(*INSTANCE_COLUMNS)
"""The values of ``instance_values`` as a tuple, in ``INSTANCE_COLUMNS`` order."""


def instance_from_row(row: Mapping[Any, Any]) -> NFTInstance:
    return NFTInstance(
        id=row["id"],
        user_id=row["user_id"],
        definition_id=row["definition_id"],
        serial_number=row["serial_number"],
        unique_instance_id=row["unique_instance_id"],
        acquired_at=row["acquired_at"],
        status=row["status"],
        nft_origin=row["nft_origin"],
        blockchain_nft_id=row["blockchain_nft_id"],
        current_nft_location=row["current_nft_location"],
        blockchain_name=row["blockchain_name"],
        sub_type=row["sub_type"],
        blockchain_created_at=row["blockchain_created_at"],
        blockchain_updated_at=row["blockchain_updated_at"],
        transaction_id=row["transaction_id"],
        contract_address=row["contract_address"],
        token_id=row["token_id"],
        other_meta=row["other_meta"],
    )


INSTANCE_FIELDS: Final = frozenset(field.name for field in fields(NFTInstance))
DEFINITION_FIELDS: Final = frozenset(field.name for field in fields(NFTDefinition))


def whole_rows(
    kind: type[E], names: frozenset[str], keys: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[E]:
    """The ``kind`` entities of rows whose column ``keys`` are exactly its field ``names``
    (a read of whole rows of its table), in row order.

    What the mapper's ``from_row`` gives for each row, built from one dict of the row
    passed as keywords: about half its cost, which counts where many rows are read. The
    rows come from the cursor whose description gave ``keys``, so each holds one value
    per key; keys interned as ``DriverRead`` interns them match the parameters by
    identity (names compared by their characters cost several times more).
    """
    if len(keys) != len(names) or frozenset(keys) != names:
        raise ValueError(f"not the columns of {kind.__name__}: {list(keys)!r}")
    return [kind(**dict(zip(keys, row, strict=False))) for row in rows]


def instances_from_rows(keys: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[NFTInstance]:
    """:func:`whole_rows` of ``nft_instances``."""
    return whole_rows(NFTInstance, INSTANCE_FIELDS, keys, rows)


def definitions_from_rows(
    keys: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[NFTDefinition]:
    """:func:`whole_rows` of ``nft_definitions``."""
    return whole_rows(NFTDefinition, DEFINITION_FIELDS, keys, rows)


CANDIDATE_COLUMNS: Final = (
    nft_instances.c.id,
    nft_instances.c.user_id,
    nft_instances.c.definition_id,
    nft_instances.c.nft_origin,
    nft_instances.c.status,
)
"""The columns :meth:`DrawCandidate.of` reads, as a row with the instance's field names."""


# -- bingo cards ----------------------------------------------------------------------


def card_values(card: BingoCard) -> dict[str, Any]:
    return {
        "user_id": card.user_id,
        "center_definition_id": card.center_definition_id,
        "period_id": card.period_id,
        "issued_at": card.issued_at,
        "start_time": card.start_time,
        "issuance_month": card.issuance_month,
        "completed_at": card.completed_at,
        "expiry": card.expiry,
        "state": card.state,
        "bingo_reward_claimed": card.bingo_reward_claimed,
        "unlocked_mask": card.unlocked_mask,
    }


def cell_values(cell: BingoCell, card_id: int | None) -> dict[str, Any]:
    return {
        "bingo_card_id": card_id,
        "idx": cell.idx,
        "target_definition_id": cell.target_definition_id,
        "definition_id": cell.definition_id,
        "matched_nft_instance_id": cell.matched_nft_instance_id,
        "state": cell.state,
        "unlocked_at": cell.unlocked_at,
    }


def cell_from_row(row: Mapping[Any, Any]) -> BingoCell:
    return BingoCell(
        id=row["id"],
        bingo_card_id=row["bingo_card_id"],
        idx=row["idx"],
        target_definition_id=row["target_definition_id"],
        definition_id=row["definition_id"],
        matched_nft_instance_id=row["matched_nft_instance_id"],
        state=row["state"],
        unlocked_at=row["unlocked_at"],
    )


def card_from_row(row: Mapping[Any, Any], cells: list[BingoCell]) -> BingoCard:
    return BingoCard(
        id=row["id"],
        user_id=row["user_id"],
        center_definition_id=row["center_definition_id"],
        period_id=row["period_id"],
        issued_at=row["issued_at"],
        start_time=row["start_time"],
        issuance_month=row["issuance_month"],
        completed_at=row["completed_at"],
        expiry=row["expiry"],
        state=row["state"],
        bingo_reward_claimed=row["bingo_reward_claimed"],
        cells=cells,
    )


CARD_COLUMNS: Final = tuple(card_values(BingoCard(user_id=0, center_definition_id=0)))
card_row: Callable[[BingoCard], tuple[Any, ...]] = attrgetter(*CARD_COLUMNS)
CELL_COLUMNS: Final = tuple(cell_values(BingoCell(idx=0, target_definition_id=0), None))
cell_row: Callable[[BingoCell], tuple[Any, ...]] = attrgetter(*CELL_COLUMNS[1:])
"""A cell's values but its card id, in ``CELL_COLUMNS`` order after ``bingo_card_id``."""
CARD_KEY: Final = ("user_id", "center_definition_id")


# -- draw types -----------------------------------------------------------------------


def draw_type_values(draw_type: PrizeDrawType) -> dict[str, Any]:
    return {
        "internal_name": draw_type.internal_name,
        "display_name": draw_type.display_name,
        "description": draw_type.description,
        "algorithm_key": draw_type.algorithm_key,
        "default_threshold": draw_type.default_threshold,
        "max_wins_per_user": draw_type.max_wins_per_user,
        "created_at": draw_type.created_at,
        "updated_at": draw_type.updated_at,
        "retired_at": draw_type.retired_at,
    }


def draw_type_from_row(row: Mapping[Any, Any]) -> PrizeDrawType:
    return PrizeDrawType(
        id=row["id"],
        internal_name=row["internal_name"],
        display_name=row["display_name"],
        description=row["description"],
        algorithm_key=row["algorithm_key"],
        default_threshold=row["default_threshold"],
        max_wins_per_user=row["max_wins_per_user"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        retired_at=row["retired_at"],
    )


# -- winning numbers ------------------------------------------------------------------


def winning_number_values(number: PrizeDrawWinningNumber) -> dict[str, Any]:
    return {
        "draw_type_id": number.draw_type_id,
        "value": number.value,
        "metadata_": number.metadata,
        "effective_at": number.effective_at,
        "expires_at": number.expires_at,
        "created_at": number.created_at,
    }


def winning_number_from_row(row: Mapping[Any, Any]) -> PrizeDrawWinningNumber:
    return PrizeDrawWinningNumber(
        id=row["id"],
        draw_type_id=row["draw_type_id"],
        value=row["value"],
        metadata=row["metadata_"],
        effective_at=row["effective_at"],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
    )


# -- draw results ---------------------------------------------------------------------


def result_values(result: PrizeDrawResult) -> dict[str, Any]:
    return {
        "draw_type_id": result.draw_type_id,
        "winning_number_id": result.winning_number_id,
        "user_id": result.user_id,
        "definition_id": result.definition_id,
        "nft_instance_id": result.nft_instance_id,
        "draw_number": result.draw_number,
        "similarity_score": result.similarity_score,
        "draw_top_digits": result.draw_top_digits,
        "winning_top_digits": result.winning_top_digits,
        "threshold_used": result.threshold_used,
        "outcome": result.outcome,
        "evaluated_at": result.evaluated_at,
    }


def result_from_row(row: Mapping[Any, Any]) -> PrizeDrawResult:
    return PrizeDrawResult(
        id=row["id"],
        draw_type_id=row["draw_type_id"],
        winning_number_id=row["winning_number_id"],
        user_id=row["user_id"],
        definition_id=row["definition_id"],
        nft_instance_id=row["nft_instance_id"],
        draw_number=row["draw_number"],
        similarity_score=row["similarity_score"],
        draw_top_digits=row["draw_top_digits"],
        winning_top_digits=row["winning_top_digits"],
        threshold_used=row["threshold_used"],
        outcome=row["outcome"],
        evaluated_at=row["evaluated_at"],
    )


RESULT_COLUMNS: Final = tuple(
    result_values(
        PrizeDrawResult(
            draw_type_id=0, user_id=0, definition_id=0, nft_instance_id=0, draw_number=""
        )
    )
)
result_row: Callable[[PrizeDrawResult], tuple[Any, ...]] = attrgetter(*RESULT_COLUMNS)


# -- mappers of the generic repository base --------------------------------------------

USERS: Final = RowMapper[User](table=users, what="user", values=user_values, from_row=user_from_row)
ADMINS: Final = RowMapper[Admin](
    table=admins, what="admin", values=admin_values, from_row=admin_from_row
)
DEFINITIONS: Final = RowMapper[NFTDefinition](
    table=nft_definitions,
    what="definition",
    values=definition_values,
    from_row=definition_from_row,
)
INSTANCES: Final = RowMapper[NFTInstance](
    table=nft_instances, what="instance", values=instance_values, from_row=instance_from_row
)
DRAW_TYPES: Final = RowMapper[PrizeDrawType](
    table=prize_draw_types,
    what="draw type",
    values=draw_type_values,
    from_row=draw_type_from_row,
)
WINNING_NUMBERS: Final = RowMapper[PrizeDrawWinningNumber](
    table=prize_draw_winning_numbers,
    what="winning number",
    values=winning_number_values,
    from_row=winning_number_from_row,
)
RESULTS: Final = RowMapper[PrizeDrawResult](
    table=prize_draw_results, what="result", values=result_values, from_row=result_from_row
)
