"""Issuing badges: one at a time or many at once, with identical semantics (§3, §4.5)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from nictbw.app.workflows._authority import authorise
from nictbw.app.workflows._gcpause import collector_paused
from nictbw.app.workflows._issuing import Gain, IssuingPipeline
from nictbw.app.workflows.common import atomic, lock_users, now_from, rng_or_none
from nictbw.app.workflows.idempotency import (
    ISSUE,
    check_key,
    claim_key,
    claim_keys,
    complete_keys,
    fingerprint,
    stored_ids,
)
from nictbw.domain.chain_payload import parse_mint_metadata
from nictbw.domain.entities import (
    DEFINITION_INACTIVE,
    INSTANCE_SUCCEEDED,
    Admin,
    NFTDefinition,
    NFTInstance,
    User,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.permissions import Operation
from nictbw.domain.scoring import derive_draw_number, origin_key
from nictbw.domain.validation import validate_origin
from nictbw.ports import Clock, UnitOfWork


@frozen
class Grant:
    """One badge to issue: a stored user, a stored definition and an optional origin."""

    user: User
    definition: NFTDefinition
    nft_origin: str | None = None
    idempotency_key: str | None = None
    """Makes this grant safe to repeat: a later grant or ``create_and_issue_instance``
    with the same key and arguments returns this grant's instance and issues nothing."""


GrantLike = Grant | tuple[User, NFTDefinition, str | None] | tuple[User, NFTDefinition]


def _as_grant(item: object, position: int) -> Grant:
    if isinstance(item, tuple) and len(item) in (2, 3):
        origin = item[2] if len(item) == 3 else None
        item = Grant(user=item[0], definition=item[1], nft_origin=origin)
    if (
        isinstance(item, Grant)
        and isinstance(item.user, User)
        and isinstance(item.definition, NFTDefinition)
    ):
        return item
    raise ValidationError(f"grant {position} must be (user, definition, nft_origin), got {item!r}")


def _load_grants(
    uow: UnitOfWork, grants: Sequence[Grant]
) -> tuple[dict[int, User], dict[int, NFTDefinition]]:
    user_ids: set[int] = set()
    definition_ids: set[int] = set()
    for position, grant in enumerate(grants):
        if grant.user.id is None:
            raise NotFoundError(f"grant {position}: user {grant.user!r} is not stored")
        if grant.definition.id is None:
            raise NotFoundError(f"grant {position}: definition {grant.definition!r} is not stored")
        user_ids.add(grant.user.id)
        definition_ids.add(grant.definition.id)
    users = uow.users.get_many(user_ids)
    definitions = uow.definitions.get_many(definition_ids)
    for missing in sorted(user_ids - users.keys()):
        raise NotFoundError(f"user {missing} does not exist")
    for missing in sorted(definition_ids - definitions.keys()):
        raise NotFoundError(f"definition {missing} does not exist")
    for definition in definitions.values():
        if definition.status == DEFINITION_INACTIVE:
            raise ValidationError(
                f"definition '{definition.prefix}' is inactive; it cannot be issued"
            )
    return users, definitions


def refuse_colliding_origins(uow: UnitOfWork, origins: Iterable[str]) -> list[NFTInstance]:
    """Refuse new (valid) origins that give one draw number with different spellings.

    ``" ABC "`` and ``"abc"`` both give the draw number ``"abc"`` (§7.1), so they may not
    both be held: two of ``origins``, or one of them and a stored instance's origin (any
    user, any status), that differ but share a draw number raise ``ConflictError`` naming
    both. Equal spellings are left to the caller. Returns the stored instances sharing a
    draw number with one of ``origins``, read with one query.
    """
    by_key: dict[str, str] = {}
    for origin in origins:
        key = derive_draw_number(origin)
        first = by_key.setdefault(key, origin)
        if first != origin:
            raise ConflictError(
                f"nft_origin {origin!r} collides with {first!r}: both give draw number {key!r}"
            )
    if not by_key:
        return []
    holders = uow.instances.list_by_origin_keys(by_key)
    for holder in holders:
        held = holder.nft_origin
        if held is None:
            continue
        key = origin_key(held)
        wanted = by_key.get(key)
        if wanted is not None and held != wanted:
            raise ConflictError(
                f"nft_origin {wanted!r} collides with {held!r} of instance {holder.id} "
                f"({holder.unique_instance_id}): both give draw number {key!r}"
            )
    return holders


def _check_origins(uow: UnitOfWork, origins: Iterable[str | None]) -> None:
    seen: dict[str, None] = {}
    for origin in origins:
        if origin is None:
            continue
        if origin in seen:
            raise ConflictError(f"nft_origin '{origin}' is granted twice in one batch")
        seen[origin] = None
    for holder in refuse_colliding_origins(uow, seen):
        if holder.nft_origin in seen and holder.status == INSTANCE_SUCCEEDED:
            raise ConflictError(
                f"nft_origin '{holder.nft_origin}' is already held by instance {holder.id} "
                f"({holder.unique_instance_id})"
            )


def _issue(
    uow: UnitOfWork,
    grants: Sequence[Grant],
    *,
    rng: random.Random | None,
    now: datetime,
    chain_fields: Sequence[dict[str, Any]] | None = None,
) -> list[NFTInstance]:
    users, definitions = _load_grants(uow, grants)
    lock_users(uow, users.keys())
    for grant in grants:
        if grant.nft_origin is not None:
            validate_origin(grant.nft_origin)
    _check_origins(uow, (g.nft_origin for g in grants))

    assert all(g.definition.id is not None and g.user.id is not None for g in grants)
    def_ids = [g.definition.id for g in grants]
    counts = Counter(def_ids)
    for definition_id, count in counts.items():
        assert definition_id is not None
        definition = definitions[definition_id]
        if (
            definition.max_supply is not None
            and definition.minted_count + count > definition.max_supply
        ):
            raise ConflictError(
                f"supply of '{definition.prefix}' exhausted "
                f"({definition.minted_count}/{definition.max_supply}, {count} requested)"
            )

    pipeline = IssuingPipeline(uow, users.keys(), now, rng)
    for grant in grants:
        assert grant.user.id is not None and grant.definition.id is not None
        definition = definitions[grant.definition.id]
        if pipeline.bingo.needs_card(grant.user.id, definition):
            pipeline.bingo.check_can_generate(definition)

    gains: list[Gain] = []
    for i, grant in enumerate(grants):
        assert grant.user.id is not None and grant.definition.id is not None
        extra = chain_fields[i] if chain_fields is not None else {}
        instance = NFTInstance(
            user_id=grant.user.id,
            definition_id=grant.definition.id,
            serial_number=-1,
            unique_instance_id="",
            acquired_at=now,
            status=INSTANCE_SUCCEEDED,
            nft_origin=grant.nft_origin,
            **extra,
        )
        gains.append(Gain(instance, definitions[grant.definition.id], new=True))
    pipeline.prepare(gains, enforce_supply=True)
    pipeline.store_and_unlock()
    return [gain.instance for gain in gains]


def issue_instances(
    uow: UnitOfWork,
    grants: Iterable[GrantLike],
    *,
    rng: random.Random | None = None,
    clock: Clock | None = None,
    admin: Admin | None = None,
) -> list[NFTInstance]:
    """Issue many ``(user, definition, nft_origin)`` grants at once, set-based.

    Exactly the semantics of calling ``create_and_issue_instance`` for each grant in order
    (serials, supply, unique ids, cards, unlocks, completion, rng order), but all or
    nothing: any invalid grant raises and nothing is issued. Returns the instances in
    grant order.
    """
    authorise(uow, admin, Operation.ISSUE)
    rng = rng_or_none(rng)
    normalized = [_as_grant(item, i) for i, item in enumerate(grants)]
    if not normalized:
        return []
    now = now_from(clock)
    keyed = _grant_keys(normalized)
    with collector_paused(), atomic(uow):
        if not keyed:
            return _issue(uow, normalized, rng=rng, now=now)
        return _issue_keyed(uow, normalized, keyed, rng=rng, now=now)


def _grant_arguments(grant: Grant, chain: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "user_id": grant.user.id,
        "definition_id": grant.definition.id,
        "nft_origin": grant.nft_origin,
        "chain": chain or {},
    }


def _grant_keys(grants: Sequence[Grant]) -> dict[str, str]:
    """The grants' keys with their fingerprints; a key given twice with other arguments
    is a ``ConflictError``."""
    keyed: dict[str, str] = {}
    for grant in grants:
        key = check_key(grant.idempotency_key)
        if key is None:
            continue
        fp = fingerprint(ISSUE, _grant_arguments(grant))
        if keyed.setdefault(key, fp) != fp:
            raise ConflictError(
                f"idempotency_key {key!r} is given to two grants with other arguments"
            )
    return keyed


def _issue_keyed(
    uow: UnitOfWork,
    grants: Sequence[Grant],
    keyed: dict[str, str],
    *,
    rng: random.Random | None,
    now: datetime,
) -> list[NFTInstance]:
    """Issue the grants whose key is new (or absent); the others replay their instance."""
    replays = claim_keys(uow, ISSUE, keyed, now)
    fresh: list[Grant] = []
    seen: set[str] = set(replays)
    for grant in grants:
        key = grant.idempotency_key
        if key is None or key not in seen:
            fresh.append(grant)
            if key is not None:
                seen.add(key)
    issued = _issue(uow, fresh, rng=rng, now=now) if fresh else []
    by_key: dict[str, NFTInstance] = {}
    for grant, instance in zip(fresh, issued, strict=True):
        if grant.idempotency_key is not None:
            by_key[grant.idempotency_key] = instance
    complete_keys(uow, ISSUE, {key: {"instance_id": i.id} for key, i in by_key.items()})
    replayed = dict(zip(replays, stored_ids(list(replays.values()), "instance_id"), strict=True))
    found = uow.instances.get_many(replayed.values()) if replayed else {}
    for key, instance_id in replayed.items():
        if instance_id not in found:
            raise NotFoundError(f"instance {instance_id} of idempotency_key {key!r} is gone")
        by_key[key] = found[instance_id]
    out: list[NFTInstance] = []
    plain = iter(i for g, i in zip(fresh, issued, strict=True) if g.idempotency_key is None)
    for grant in grants:
        key = grant.idempotency_key
        out.append(next(plain) if key is None else by_key[key])
    return out


def create_and_issue_instance(
    uow: UnitOfWork,
    user: User,
    definition: NFTDefinition,
    *,
    nft_origin: str | None = None,
    chain_metadata: dict[str, Any] | None = None,
    rng: random.Random | None = None,
    clock: Clock | None = None,
    idempotency_key: str | None = None,
    admin: Admin | None = None,
) -> NFTInstance:
    """Issue one badge of ``definition`` to ``user`` (§4.5) and run the bingo path.

    ``chain_metadata`` is the answer of ``ChainPort.mint_nft`` when the badge was minted;
    its origin, nft id, location and transaction id are recorded on the instance. With
    ``idempotency_key`` a repeat with the same arguments returns the first call's
    instance and writes nothing (other arguments: ``ConflictError``).
    """
    authorise(uow, admin, Operation.ISSUE)
    rng = rng_or_none(rng)
    key = check_key(idempotency_key)
    now = now_from(clock)
    fields: dict[str, Any] = {}
    if chain_metadata is not None:
        info = parse_mint_metadata(chain_metadata)
        if info.nft_origin is not None:
            validate_origin(info.nft_origin)
            if nft_origin is not None and nft_origin != info.nft_origin:
                raise ValidationError(
                    f"nft_origin '{nft_origin}' differs from the minted origin '{info.nft_origin}'"
                )
            nft_origin = info.nft_origin
        if info.nft_id is not None:
            fields["blockchain_nft_id"] = info.nft_id
        if info.current_nft_location is not None:
            fields["current_nft_location"] = info.current_nft_location
        if info.transaction_id is not None:
            fields["transaction_id"] = info.transaction_id
    grant = Grant(user=user, definition=definition, nft_origin=nft_origin)
    with atomic(uow):
        replay = claim_key(uow, ISSUE, key, _grant_arguments(grant, fields), now)
        if replay is not None:
            return _replayed_instance(uow, replay)
        instance = _issue(uow, [grant], rng=rng, now=now, chain_fields=[fields])[0]
        if key is not None:
            complete_keys(uow, ISSUE, {key: {"instance_id": instance.id}})
        return instance


def _replayed_instance(uow: UnitOfWork, result: dict[str, Any]) -> NFTInstance:
    (instance_id,) = stored_ids([result], "instance_id")
    found = uow.instances.get(instance_id)
    if found is None:
        raise NotFoundError(f"instance {instance_id} of the idempotency key is gone")
    return found
