"""Small helpers shared by the workflows: defaults, stored-entity lookups, atomicity."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from nictbw.domain.entities import (
    NFTInstance,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.scoring import DEFAULT_SCORING_REGISTRY, AlgorithmRegistry
from nictbw.domain.values import check_id, to_storable_utc
from nictbw.ports import Clock, UnitOfWork
from nictbw.ports.clock import SystemClock

logger = logging.getLogger("nictbw.workflows")


def now_from(clock: Clock | None) -> datetime:
    """The current time of ``clock`` (the system clock when None), checked to be aware UTC."""
    now = (clock or SystemClock()).now()
    if now.tzinfo is None:
        raise ValidationError(f"clock returned a naive datetime {now.isoformat()}")
    to_storable_utc(now, "clock time")
    return now


def rng_or_none(rng: random.Random | None) -> random.Random | None:
    """Validate an optional ``rng`` argument."""
    if rng is not None and not isinstance(rng, random.Random):
        raise ValidationError(f"rng must be a random.Random, got {rng!r}")
    return rng


def registry_or_default(registry: AlgorithmRegistry | None) -> AlgorithmRegistry:
    """The given registry or ``DEFAULT_SCORING_REGISTRY``."""
    return DEFAULT_SCORING_REGISTRY if registry is None else registry


def lock_users(uow: UnitOfWork, user_ids: Iterable[int]) -> None:
    """Serialise concurrent workflows on these users where the storage needs it.

    Issuance, sync and ``update_user_bingo_info`` read a user's cards and instances and
    write them back; two of them running at once on PostgreSQL (READ COMMITTED) could
    each miss the other's card or unlock. Call before those reads. The in-memory
    adapter runs units of work one at a time and needs nothing.
    """
    uow.lock_users(sorted(set(user_ids)))


@contextmanager
def atomic(uow: UnitOfWork) -> Iterator[None]:
    """Run a workflow body so that, if it raises, the unit of work is left unchanged."""
    with uow.savepoint():
        yield


def _stored_id(entity: object, kind: str) -> int:
    entity_id = getattr(entity, "id", None)
    if entity_id is None:
        raise NotFoundError(f"{kind} {entity!r} is not stored (id is None)")
    if isinstance(entity_id, bool) or not isinstance(entity_id, int):
        raise ValidationError(f"{kind} id must be an int, got {entity_id!r}")
    return check_id(entity_id, f"{kind} id")


def user_id_of(user: User) -> int:
    """The id of ``user``, checked to be a storable id, without reading storage."""
    return _stored_id(user, "user")


def stored_user(uow: UnitOfWork, user: User) -> User:
    """Re-read ``user`` by id; ``NotFoundError`` when it is not stored."""
    user_id = _stored_id(user, "user")
    found = uow.users.get(user_id)
    if found is None:
        raise NotFoundError(f"user {user_id} does not exist")
    return found


def stored_instance(uow: UnitOfWork, instance: NFTInstance) -> NFTInstance:
    """Re-read ``instance`` by id; ``NotFoundError`` when it is not stored."""
    instance_id = _stored_id(instance, "instance")
    found = uow.instances.get(instance_id)
    if found is None:
        raise NotFoundError(f"instance {instance_id} does not exist")
    return found


def stored_draw_type(uow: UnitOfWork, draw_type: PrizeDrawType) -> PrizeDrawType:
    """Re-read ``draw_type`` by id; ``NotFoundError`` when it is not stored."""
    draw_type_id = _stored_id(draw_type, "draw type")
    found = uow.draw_types.get(draw_type_id)
    if found is None:
        raise NotFoundError(f"draw type {draw_type_id} does not exist")
    return found


def open_draw_type(uow: UnitOfWork, draw_type: PrizeDrawType) -> PrizeDrawType:
    """:func:`stored_draw_type`, refused with ``ValidationError`` when the type is retired
    (a retired type takes no new winning number, draw, snapshot or seal)."""
    found = stored_draw_type(uow, draw_type)
    if found.retired_at is not None:
        raise ValidationError(
            f"draw type '{found.internal_name}' ({found.id}) was retired at "
            f"{found.retired_at.isoformat()}; it takes no new draws"
        )
    return found


def reject_stored(entity: object, kind: str) -> None:
    """A create/register workflow refuses an entity that already has an id."""
    entity_id = getattr(entity, "id", None)
    if entity_id is not None:
        raise ValidationError(f"{kind} already has id {entity_id!r}; create takes a new {kind}")


def resolve_winning_number(
    uow: UnitOfWork,
    draw_type: PrizeDrawType,
    winning_number: PrizeDrawWinningNumber | None,
    now: datetime,
) -> PrizeDrawWinningNumber | None:
    """The given winning number (checked stored and of this draw type) or the one in effect."""
    assert draw_type.id is not None
    if winning_number is None:
        return uow.winning_numbers.latest_in_effect(draw_type.id, now)
    number_id = getattr(winning_number, "id", None)
    if number_id is None:
        raise ValidationError(f"winning number {winning_number!r} is not stored")
    check_id(number_id, "winning number id")
    found = uow.winning_numbers.get(number_id)
    if found is None:
        raise ValidationError(f"winning number {number_id} does not exist")
    if found.draw_type_id != draw_type.id:
        raise ValidationError(
            f"winning number {number_id} belongs to draw type {found.draw_type_id}, "
            f"not to '{draw_type.internal_name}' ({draw_type.id})"
        )
    return found
