"""Reconciling many users with the chain at once: the nightly reconciliation (§8).

``sync_many`` gives exactly what one ``sync_nft_instances_from_chain`` per user, in the
order given, gives (same instances, ids drawn, cards, reports), with a constant number
of statements per chunk of users instead of some twenty per user. Each chunk is read in
a few set-based queries; the users are then reconciled one after the other in memory,
each seeing the decisions of the ones before it, and the chunk is written in bulk.

Later users of a batch read the earlier users' decisions from memory: instances marked
transferred, definitions changed, serials taken. What that cannot replay starts a new
batch, read after the earlier one is written: a user listed twice, an origin two users
list, a definition an earlier user creates. That is rare (a new partner definition, a
user listed twice), so a chunk is nearly always one batch.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from attrs import define, evolve, field

from nictbw.app.workflows._gcpause import collector_paused
from nictbw.app.workflows._issuing import Gain, IssuingPipeline
from nictbw.app.workflows.common import atomic, lock_users, now_from, rng_or_none
from nictbw.app.workflows.issuance import refuse_colliding_origins
from nictbw.app.workflows.sync import (
    _new_origins,
    _store_definitions,
    _trusted,
    origins_to_look_up,
)
from nictbw.domain.chain_payload import ParsedPayloads, parse_nft_payloads
from nictbw.domain.entities import NFTDefinition, NFTInstance, SyncNote, SyncReport, User
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.reconcile import CREATED, UNCHANGED, UPDATED, Reconciliation, reconcile
from nictbw.domain.values import check_id
from nictbw.ports import ChainPort, Clock, UnitOfWork

DEFAULT_SYNC_CHUNK = 500
"""Users read, reconciled and written together."""


@define
class _Planned:
    """One user of a batch: what the chain listed and what reconciliation decided."""

    user_id: int
    parsed: ParsedPayloads
    decided: Reconciliation
    mine: list[NFTInstance]


@define
class _Batch:
    """Users reconciled in memory on one read of storage, written together."""

    planned: list[_Planned] = field(factory=list)
    touched_users: set[int] = field(factory=set)
    """The batch's users (a user listed twice starts a new batch)."""
    listed_origins: set[str] = field(factory=set)
    new_prefixes: set[str] = field(factory=set)


def _user_ids(users: Sequence[User]) -> list[int]:
    if isinstance(users, str) or not isinstance(users, Sequence):
        raise ValidationError(f"users must be a sequence of stored users, got {users!r}")
    ids: list[int] = []
    for user in users:
        user_id = getattr(user, "id", None)
        if user_id is None:
            raise NotFoundError(f"user {user!r} is not stored (id is None)")
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise ValidationError(f"user id must be an int, got {user_id!r}")
        ids.append(check_id(user_id, "user id"))
    return ids


def sync_many(
    uow: UnitOfWork,
    users: Sequence[User],
    *,
    chain: ChainPort,
    rng: random.Random | None = None,
    clock: Clock | None = None,
    trusted_apps: Collection[str] | None = None,
    chunk_size: int = DEFAULT_SYNC_CHUNK,
) -> list[SyncReport]:
    """Reconcile every user of ``users`` with the chain (§8), in order; one ``SyncReport``
    per user, in order. All or nothing: any error (a user not stored or without
    ``on_chain_id``, a chain failure, a colliding origin, a supply reserved meanwhile)
    propagates and nothing is changed.

    The outcome is that of ``sync_nft_instances_from_chain`` called for each user in
    turn with the same ``rng``, ``clock`` and ``trusted_apps``, trust boundary included:
    only items minted by a trusted app create or change anything, definitions owned by
    an admin are never changed and no definition goes past its ``max_supply``. Storage is
    read and written per chunk of ``chunk_size`` users with a constant number of
    statements (plus one serial reservation per definition gaining instances).
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValidationError(f"chunk_size must be a positive int, got {chunk_size!r}")
    rng = rng_or_none(rng)
    trusted = _trusted(trusted_apps)
    ids = _user_ids(users)
    stored = uow.users.get_many(ids)
    for user_id in ids:
        found = stored.get(user_id)
        if found is None:
            raise NotFoundError(f"user {user_id} does not exist")
        if found.on_chain_id is None or not found.on_chain_id.strip():
            raise ValidationError(
                f"user {user_id} has no on_chain_id; register it on the chain first"
            )
    now = now_from(clock)
    reports: list[SyncReport] = []
    with collector_paused(), atomic(uow):
        for start in range(0, len(ids), chunk_size):
            chunk = ids[start : start + chunk_size]
            listed: list[tuple[int, ParsedPayloads]] = []
            for user_id in chunk:
                on_chain_id = stored[user_id].on_chain_id
                assert on_chain_id is not None
                listed.append(
                    (user_id, parse_nft_payloads(chain.get_user_nft_instances(on_chain_id)))
                )
            lock_users(uow, chunk)
            while listed:
                done = _sync_batch(uow, listed, now, rng, trusted, reports)
                listed = listed[done:]
    return reports


def _sync_batch(
    uow: UnitOfWork,
    listed: Sequence[tuple[int, ParsedPayloads]],
    now: datetime,
    rng: random.Random | None,
    trusted: frozenset[str],
    reports: list[SyncReport],
) -> int:
    """Read storage for ``listed``, reconcile the longest independent prefix of it, write
    it and append its reports; how many users it took (at least one)."""
    user_ids = sorted({user_id for user_id, _ in listed})
    mine_of: dict[int, list[NFTInstance]] = defaultdict(list)
    for instance in uow.instances.list_for_users(user_ids):
        mine_of[instance.user_id].append(instance)
    prefixes = {item.prefix for _, parsed in listed for item in parsed.items}
    definitions = dict(uow.definitions.get_many_by_prefix(prefixes)) if prefixes else {}
    origins = _origins_to_look_up(listed, mine_of)
    holders_of: dict[str, list[NFTInstance]] = defaultdict(list)
    for holder in uow.instances.list_by_origins(origins) if origins else []:
        assert holder.nft_origin is not None
        holders_of[holder.nft_origin].append(holder)

    batch = _Batch()
    overlay: dict[int, NFTInstance] = {}
    """Instances as the batch's decisions so far left them (what a later user reads)."""
    for user_id, parsed in listed:
        user_prefixes = {item.prefix for item in parsed.items}
        if batch.planned and (
            user_id in batch.touched_users
            or not batch.listed_origins.isdisjoint(parsed.found_origins)
            or not batch.new_prefixes.isdisjoint(user_prefixes)
        ):
            break
        user_origins = {item.origin for item in parsed.items}
        holders = [
            overlay.get(h.id or 0, h) for origin in user_origins for h in holders_of.get(origin, ())
        ]
        holders.sort(key=lambda h: h.id or 0)
        mine = [overlay.get(i.id or 0, i) for i in mine_of.get(user_id, ())]
        decided = reconcile(
            parsed.items,
            user_id=user_id,
            mine=mine,
            holders=holders,
            definitions={p: definitions[p] for p in user_prefixes if p in definitions},
            found_origins=parsed.found_origins,
            now=now,
            trusted_apps=trusted,
        )
        for changed in decided.changed_definitions:
            definitions[changed.prefix] = changed
        minted = Counter(i.definition_id for i in decided.created if i.definition_id > 0)
        for prefix, definition in list(definitions.items()):
            count = minted.get(definition.id or 0, 0)
            if count:
                definitions[prefix] = evolve(
                    definition, minted_count=definition.minted_count + count
                )
        for instance in (*decided.transferred_elsewhere, *decided.changed):
            assert instance.id is not None
            overlay[instance.id] = instance
        batch.planned.append(_Planned(user_id, parsed, decided, mine))
        batch.touched_users.add(user_id)
        batch.listed_origins |= parsed.found_origins
        batch.new_prefixes |= set(decided.definitions_created)
    _write_batch(uow, batch, definitions, now, rng, reports)
    return len(batch.planned)


def _origins_to_look_up(
    listed: Sequence[tuple[int, ParsedPayloads]], mine_of: dict[int, list[NFTInstance]]
) -> set[str]:
    """The listed origins whose other holders the batch may need (``origins_to_look_up``
    per user). No earlier user of a batch lists an origin a later one lists (the batch
    would end before it), so what each user holds as read is what it holds when its turn
    comes."""
    wanted: set[str] = set()
    for user_id, parsed in listed:
        wanted |= origins_to_look_up(parsed, mine_of.get(user_id, ()))
    return wanted


def _write_batch(
    uow: UnitOfWork,
    batch: _Batch,
    definitions: dict[str, NFTDefinition],
    now: datetime,
    rng: random.Random | None,
    reports: list[SyncReport],
) -> None:
    """Store the batch's decisions as one sync per user would, with bulk statements."""
    planned = batch.planned
    refuse_colliding_origins(uow, [o for p in planned for o in _new_origins(p.decided, p.mine)])
    by_id = {d.id: d for d in definitions.values() if d.id is not None}
    for plan in planned:
        by_id.update(_store_definitions(uow, plan.decided))
    gains: list[Gain] = []
    owners: list[int] = []
    wanted = {i.definition_id for p in planned for _, i, _ in p.decided.gains}
    foreign = wanted - by_id.keys()
    if foreign:
        by_id.update(uow.definitions.get_many(foreign))
    for plan in planned:
        for _, instance, is_new in plan.decided.gains:
            gains.append(Gain(instance, by_id[instance.definition_id], new=is_new))
            owners.append(plan.user_id)
    # A user's sync changes other users' instances only by marking them transferred, and
    # only those of users after it in the batch (an earlier user either listed the origin
    # too, which starts a new batch, or already marked its own instance transferred).
    # One sync per user writes those before the later user's bingo path reads its
    # instances, so they are written first here too; each user's own changes come after.
    elsewhere = {i.id: i for p in planned for i in p.decided.transferred_elsewhere}
    if elsewhere:
        uow.instances.update_many(list(elsewhere.values()))
    pipeline = IssuingPipeline(uow, [p.user_id for p in planned], now, rng)
    pipeline.prepare(gains, enforce_supply=True)
    changed = {i.id: i for p in planned for i in p.decided.changed}
    if changed:
        uow.instances.update_many(list(changed.values()))
    pipeline.store_and_unlock()

    cardless: dict[int, list[int]] = defaultdict(list)
    offsets: list[int] = []
    position = 0
    for plan in planned:
        offsets.append(position)
        position += len(plan.decided.gains)
    for k in pipeline.cardless:
        cardless[owners[k]].append(k)
    for plan, offset in zip(planned, offsets, strict=True):
        decided, parsed = plan.decided, plan.parsed
        warnings = list(parsed.warnings) + list(decided.warnings)
        for k in cardless.get(plan.user_id, ()):
            index, instance, _ = decided.gains[k - offset]
            prefix = by_id[instance.definition_id].prefix
            warnings.append(
                SyncNote(
                    index,
                    instance.nft_origin,
                    f"no bingo card centred on '{prefix}': too few candidates",
                )
            )
        reports.append(
            SyncReport(
                created=decided.count(CREATED),
                updated=decided.count(UPDATED),
                unchanged=decided.count(UNCHANGED),
                transferred=decided.transferred,
                definitions_created=decided.definitions_created,
                skipped=tuple(sorted(parsed.skipped + decided.skipped, key=lambda n: n.index)),
                warnings=tuple(sorted(warnings, key=lambda n: n.index)),
                cards_created=pipeline.bingo.cards_created_for[plan.user_id],
                cells_unlocked=pipeline.bingo.cells_unlocked_for[plan.user_id],
            )
        )


__all__ = ["DEFAULT_SYNC_CHUNK", "sync_many"]
