"""Issuing badges: one at a time or many at once, with identical semantics (§3, §4.5)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from nictbw.app.usecases.bingo_path import BingoBatch
from nictbw.app.usecases.common import atomic, lock_users, now_from, rng_or_none
from nictbw.app.usecases.gcpause import collector_paused
from nictbw.domain.chain_payload import parse_mint_metadata
from nictbw.domain.entities import (
    DEFINITION_INACTIVE,
    INSTANCE_SUCCEEDED,
    NFTDefinition,
    NFTInstance,
    User,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.domain.identifiers import (
    MAX_UNIQUE_ID_ATTEMPTS,
    UNIQUE_SUFFIX_LENGTH,
    random_suffix,
)
from nictbw.domain.scoring import derive_draw_number, origin_key
from nictbw.domain.validation import validate_origin
from nictbw.ports import Clock, UnitOfWork


@frozen
class Grant:
    """One badge to issue: a stored user, a stored definition and an optional origin."""

    user: User
    definition: NFTDefinition
    nft_origin: str | None = None


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


def draw_unique_ids(
    prefixes: Sequence[str | None],
    rng: random.Random | None,
    is_taken: Callable[[str], bool],
    between: Callable[[int], None] | None = None,
) -> list[str | None]:
    """Draw one unique id per prefix in order, redrawing taken candidates (§3.1).

    A ``None`` prefix draws nothing. ``between(i)`` runs after the i-th position is
    handled: card layouts consume the rng there, interleaved exactly as in one-by-one
    issuance.
    """
    chosen: list[str | None] = []
    used: set[str] = set()
    for i, prefix in enumerate(prefixes):
        candidate: str | None = None
        if prefix is not None:
            for _attempt in range(MAX_UNIQUE_ID_ATTEMPTS):
                candidate = f"{prefix}-{random_suffix(rng)}"
                if candidate not in used and not is_taken(candidate):
                    break
            else:
                raise ConflictError(
                    f"no free unique id for prefix '{prefix}' after "
                    f"{MAX_UNIQUE_ID_ATTEMPTS} attempts"
                )
            used.add(candidate)
        chosen.append(candidate)
        if between is not None:
            between(i)
    return chosen


def draw_checked_unique_ids(
    uow: UnitOfWork,
    prefixes: Sequence[str | None],
    rng: random.Random | None,
    between: Callable[[int], None] | None,
    restart: Callable[[], None],
) -> list[str | None]:
    """``draw_unique_ids`` checked against storage with one query.

    Should a stored id be drawn (astronomically rare), ``restart`` resets the callers'
    plans, the rng is rewound and the draws are replayed checking storage per candidate,
    so the outcome is exactly that of one-by-one issuance.
    """
    state = rng.getstate() if rng is not None else None
    drawn = draw_unique_ids(prefixes, rng, lambda _c: False, between)
    if not uow.instances.existing_unique_ids([c for c in drawn if c is not None]):
        return drawn
    if state is not None and rng is not None:
        rng.setstate(state)
    restart()
    return draw_unique_ids(
        prefixes, rng, lambda c: bool(uow.instances.existing_unique_ids([c])), between
    )


def _redraw_taken(
    uow: UnitOfWork,
    instances: Sequence[NFTInstance],
    taken: set[str],
    rng: random.Random | None,
) -> None:
    used = {instance.unique_instance_id for instance in instances}
    for instance in instances:
        if instance.unique_instance_id in taken:
            prefix = instance.unique_instance_id[: -UNIQUE_SUFFIX_LENGTH - 1]
            (fresh,) = draw_unique_ids(
                [prefix],
                rng,
                lambda c: c in used or bool(uow.instances.existing_unique_ids([c])),
            )
            assert fresh is not None
            used.add(fresh)
            instance.unique_instance_id = fresh


def store_new_instances(
    uow: UnitOfWork, instances: Sequence[NFTInstance], rng: random.Random | None
) -> None:
    """``uow.instances.add_many(instances)``, redrawing unique ids taken meanwhile.

    The ids were checked free when drawn, but a concurrent transaction may have stored
    the same candidate since (a seeded ``rng`` makes that likely). When the insert is
    refused and some of the ids are now stored, those are redrawn (§3.1) and the insert
    is tried again, at most ``MAX_UNIQUE_ID_ATTEMPTS`` times; any other refusal propagates.
    """
    for _attempt in range(MAX_UNIQUE_ID_ATTEMPTS):
        try:
            uow.instances.add_many(instances)
        except ConflictError:
            drawn = [instance.unique_instance_id for instance in instances]
            taken = uow.instances.existing_unique_ids(drawn)
            if not taken:
                raise
            _redraw_taken(uow, instances, taken, rng)
        else:
            return
    raise ConflictError(
        f"unique ids of {len(instances)} new instance(s) kept colliding with concurrent "
        f"issuance after {MAX_UNIQUE_ID_ATTEMPTS} attempts"
    )


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

    bingo = BingoBatch(uow, users.keys(), now)
    for grant in grants:
        assert grant.user.id is not None and grant.definition.id is not None
        definition = definitions[grant.definition.id]
        if bingo.needs_card(grant.user.id, definition):
            bingo.check_can_generate(definition)

    layout_rng = rng if rng is not None else random.Random()
    prefixes: list[str | None] = [definitions[d].prefix for d in def_ids if d is not None]

    def plan(i: int) -> None:
        grant = grants[i]
        assert grant.user.id is not None and grant.definition.id is not None
        bingo.plan_card(i, grant.user.id, definitions[grant.definition.id], layout_rng)

    def restart() -> None:
        nonlocal bingo
        bingo = BingoBatch(uow, users.keys(), now)

    unique_ids = draw_checked_unique_ids(uow, prefixes, rng, plan, restart)

    first_serial: dict[int, int] = {}
    # Ascending id: concurrent issuances lock definition rows in one order, no deadlock.
    for definition_id, count in sorted(counts.items(), key=lambda item: item[0] or 0):
        assert definition_id is not None
        start = uow.definitions.reserve_serials(definition_id, count, enforce_supply=True)
        if start is None:
            definition = definitions[definition_id]
            raise ConflictError(
                f"supply of '{definition.prefix}' exhausted ({definition.max_supply} max, "
                f"{count} requested)"
            )
        first_serial[definition_id] = start

    instances: list[NFTInstance] = []
    for i, grant in enumerate(grants):
        assert grant.user.id is not None and grant.definition.id is not None
        serial = first_serial[grant.definition.id]
        first_serial[grant.definition.id] = serial + 1
        extra = chain_fields[i] if chain_fields is not None else {}
        instances.append(
            NFTInstance(
                user_id=grant.user.id,
                definition_id=grant.definition.id,
                serial_number=serial,
                unique_instance_id=str(unique_ids[i]),
                acquired_at=now,
                status=INSTANCE_SUCCEEDED,
                nft_origin=grant.nft_origin,
                **extra,
            )
        )
    store_new_instances(uow, instances, rng)
    for i, instance in enumerate(instances):
        bingo.gain(i, instance)
    bingo.flush()
    return instances


def issue_instances(
    uow: UnitOfWork,
    grants: Iterable[GrantLike],
    *,
    rng: random.Random | None = None,
    clock: Clock | None = None,
) -> list[NFTInstance]:
    """Issue many ``(user, definition, nft_origin)`` grants at once, set-based.

    Exactly the semantics of calling ``create_and_issue_instance`` for each grant in order
    (serials, supply, unique ids, cards, unlocks, completion, rng order), but all or
    nothing: any invalid grant raises and nothing is issued. Returns the instances in
    grant order.
    """
    rng = rng_or_none(rng)
    normalized = [_as_grant(item, i) for i, item in enumerate(grants)]
    if not normalized:
        return []
    now = now_from(clock)
    with collector_paused(), atomic(uow):
        return _issue(uow, normalized, rng=rng, now=now)


def create_and_issue_instance(
    uow: UnitOfWork,
    user: User,
    definition: NFTDefinition,
    *,
    nft_origin: str | None = None,
    chain_metadata: dict[str, Any] | None = None,
    rng: random.Random | None = None,
    clock: Clock | None = None,
) -> NFTInstance:
    """Issue one badge of ``definition`` to ``user`` (§4.5) and run the bingo path.

    ``chain_metadata`` is the answer of ``ChainPort.mint_nft`` when the badge was minted;
    its origin, nft id, location and transaction id are recorded on the instance.
    """
    rng = rng_or_none(rng)
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
        return _issue(uow, [grant], rng=rng, now=now, chain_fields=[fields])[0]
