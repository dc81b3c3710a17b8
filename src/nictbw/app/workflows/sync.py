"""Reconciling a user's instances with what the chain says the user holds (§8).

The decisions are the domain's (``nictbw.domain.reconcile``); this workflow reads what
they need in a few set-based queries, stores them and runs the issuing pipeline.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable

from nictbw.app.workflows._issuing import Gain, IssuingPipeline
from nictbw.app.workflows.common import (
    atomic,
    lock_users,
    now_from,
    rng_or_none,
    stored_user,
)
from nictbw.app.workflows.issuance import refuse_colliding_origins
from nictbw.app.workflows.outbox import transferred_events
from nictbw.domain.chain_payload import DEFAULT_APP, ParsedPayloads, parse_nft_payloads
from nictbw.domain.entities import (
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    NFTDefinition,
    NFTInstance,
    SyncNote,
    SyncReport,
    User,
)
from nictbw.domain.errors import ValidationError
from nictbw.domain.reconcile import CREATED, UNCHANGED, UPDATED, Reconciliation, reconcile
from nictbw.ports import ChainPort, Clock, UnitOfWork


def _store_definitions(uow: UnitOfWork, decided: Reconciliation) -> dict[int, NFTDefinition]:
    """Store new and changed definitions; the stored definitions by (final) id, and the
    provisional ids of new ones replaced on the decided instances."""
    final: dict[int, int] = {}
    by_id: dict[int, NFTDefinition] = {}
    for definition in decided.new_definitions:
        assert definition.id is not None
        provisional = definition.id
        definition.id = None
        uow.definitions.add(definition)
        assert definition.id is not None
        final[provisional] = definition.id
        by_id[definition.id] = definition
    for definition in decided.changed_definitions:
        uow.definitions.update(definition)
        assert definition.id is not None
        by_id[definition.id] = definition
    for instance in decided.created:
        instance.definition_id = final.get(instance.definition_id, instance.definition_id)
    return by_id


def _new_origins(decided: Reconciliation, mine: Collection[NFTInstance]) -> list[str]:
    """Origins this sync gives the user: those of created instances and adopted ones."""
    before = {i.id: i.nft_origin for i in mine}
    origins = [i.nft_origin for i in decided.created if i.nft_origin is not None]
    origins += [
        i.nft_origin
        for i in decided.changed
        if i.nft_origin is not None and before.get(i.id) is None
    ]
    return origins


def origins_to_look_up(parsed: ParsedPayloads, mine: Iterable[NFTInstance]) -> set[str]:
    """The listed origins whose instances held by other users reconciliation may need.

    Reconciliation changes another user's instance of a listed origin only when it is
    ``succeeded`` (it becomes ``transferred``), and one origin has at most one succeeded
    instance. An origin the user already holds as ``succeeded`` therefore has none
    elsewhere and is not looked up: on a nightly sync only new and moved NFTs are.
    """
    held = {i.nft_origin for i in mine if i.status == INSTANCE_SUCCEEDED}
    return {item.origin for item in parsed.items if item.origin not in held}


def _trusted(trusted_apps: Collection[str] | None) -> frozenset[str]:
    if trusted_apps is None:
        return frozenset({DEFAULT_APP})
    if isinstance(trusted_apps, str) or not isinstance(trusted_apps, Collection):
        raise ValidationError(
            f"trusted_apps must be a collection of app names, got {trusted_apps!r}"
        )
    for app in trusted_apps:
        if not isinstance(app, str) or not app.strip():
            raise ValidationError(f"trusted app names must be non-blank strings, got {app!r}")
    return frozenset(trusted_apps)


def sync_nft_instances_from_chain(
    uow: UnitOfWork,
    user: User,
    *,
    chain: ChainPort,
    rng: random.Random | None = None,
    clock: Clock | None = None,
    trusted_apps: Collection[str] | None = None,
) -> SyncReport:
    """Reconcile the user's instances with the chain (§8); all or nothing, idempotent.

    Creates missing instances (and definitions), updates changed chain fields without
    ever writing None over a value, re-acquires and transfers instances, runs the bingo
    path for gained instances, and reports every item. Only items minted by one of
    ``trusted_apps`` (default: ``"nictbw"``; the container's ``trusted_apps`` gives the
    configured ``chain.trusted_apps``) create or change anything; definitions owned by
    an admin are never changed, and no definition goes past its ``max_supply`` (§8.4).
    """
    rng = rng_or_none(rng)
    trusted = _trusted(trusted_apps)
    stored = stored_user(uow, user)
    if stored.on_chain_id is None or not stored.on_chain_id.strip():
        raise ValidationError(
            f"user {stored.id} has no on_chain_id; register it on the chain first"
        )
    now = now_from(clock)
    parsed = parse_nft_payloads(chain.get_user_nft_instances(stored.on_chain_id))
    assert stored.id is not None
    user_id = stored.id
    lock_users(uow, [user_id])
    with atomic(uow):
        mine = uow.instances.list_for_user(user_id)
        held_before = {i.id for i in mine if i.status != INSTANCE_TRANSFERRED}
        definitions = uow.definitions.get_many_by_prefix({i.prefix for i in parsed.items})
        origins = origins_to_look_up(parsed, mine)
        holders = uow.instances.list_by_origins(origins) if origins else []
        decided = reconcile(
            parsed.items,
            user_id=user_id,
            mine=mine,
            holders=holders,
            definitions=definitions,
            found_origins=parsed.found_origins,
            now=now,
            trusted_apps=trusted,
        )
        refuse_colliding_origins(uow, _new_origins(decided, mine))
        definitions_by_id = {d.id: d for d in definitions.values() if d.id is not None}
        definitions_by_id.update(_store_definitions(uow, decided))

        pipeline = IssuingPipeline(uow, [user_id], now, rng)
        foreign = {i.definition_id for _, i, _ in decided.gains} - definitions_by_id.keys()
        if foreign:
            definitions_by_id.update(uow.definitions.get_many(foreign))
        gains = [
            Gain(instance, definitions_by_id[instance.definition_id], new=is_new)
            for _, instance, is_new in decided.gains
        ]
        pipeline.prepare(gains, enforce_supply=True)
        warnings = list(parsed.warnings) + list(decided.warnings)
        for k in pipeline.cardless:
            index, instance, _ = decided.gains[k]
            prefix = definitions_by_id[instance.definition_id].prefix
            warnings.append(
                SyncNote(
                    index,
                    instance.nft_origin,
                    f"no bingo card centred on '{prefix}': too few candidates",
                )
            )
        if decided.transferred_elsewhere:
            uow.instances.update_many(list(decided.transferred_elsewhere))
        if decided.changed:
            uow.instances.update_many(list(decided.changed))
        pipeline.store_and_unlock()
        moves: list[tuple[NFTInstance, int | None]] = [
            (instance, user_id) for instance in decided.transferred_elsewhere
        ]
        moves += [
            (instance, None)
            for instance in decided.changed
            if instance.status == INSTANCE_TRANSFERRED and instance.id in held_before
        ]
        if moves:
            uow.events.append_many(transferred_events(moves, now))

    return SyncReport(
        created=decided.count(CREATED),
        updated=decided.count(UPDATED),
        unchanged=decided.count(UNCHANGED),
        transferred=decided.transferred,
        definitions_created=decided.definitions_created,
        skipped=tuple(sorted(parsed.skipped + decided.skipped, key=lambda n: n.index)),
        warnings=tuple(sorted(warnings, key=lambda n: n.index)),
        cards_created=pipeline.bingo.cards_created,
        cells_unlocked=pipeline.bingo.cells_unlocked,
    )
