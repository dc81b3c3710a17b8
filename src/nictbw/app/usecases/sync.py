"""Reconciling a user's instances with what the chain says the user holds (§8)."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from nictbw.app.usecases.bingo_path import MIN_CANDIDATES, BingoBatch
from nictbw.app.usecases.common import (
    atomic,
    lock_users,
    now_from,
    rng_or_none,
    stored_user,
)
from nictbw.app.usecases.issuance import (
    draw_checked_unique_ids,
    refuse_colliding_origins,
    store_new_instances,
)
from nictbw.domain.bingo import earliest_issued
from nictbw.domain.chain_payload import ParsedNFT, parse_nft_payloads
from nictbw.domain.entities import (
    DEFINITION_ACTIVE,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    NFTDefinition,
    NFTInstance,
    SyncNote,
    SyncReport,
    User,
)
from nictbw.domain.errors import ValidationError
from nictbw.ports import ChainPort, Clock, UnitOfWork


def _apply_fields(target: object, fields: dict[str, Any]) -> bool:
    """Overwrite each present field that differs; returns True when anything changed."""
    changed = False
    for key, value in fields.items():
        if value is not None and getattr(target, key) != value:
            setattr(target, key, value)
            changed = True
    return changed


class _Sync:
    """One run of a sync: the state read up front and the changes decided item by item."""

    def __init__(self, uow: UnitOfWork, user: User, now: Any) -> None:
        assert user.id is not None
        self.uow = uow
        self.user_id = user.id
        self.now = now
        self.mine = uow.instances.list_for_user(user.id)
        self.changed: dict[int, NFTInstance] = {}
        self.others_transferred: dict[int, NFTInstance] = {}
        self.created: list[tuple[int, NFTInstance]] = []
        self.gains: list[tuple[int, NFTInstance, bool]] = []
        self.definitions_created: list[str] = []
        self.new_origins: list[str] = []
        self.warnings: list[SyncNote] = []
        self.counts: Counter[str] = Counter()
        self.transferred = 0

    def load(self, items: tuple[ParsedNFT, ...]) -> None:
        self.definitions = self.uow.definitions.get_many_by_prefix({i.prefix for i in items})
        origins = {i.origin for i in items}
        self.holders = (
            [h for h in self.uow.instances.list_by_origins(origins) if h.user_id != self.user_id]
            if origins
            else []
        )

    def definition_for(self, item: ParsedNFT) -> tuple[NFTDefinition, bool]:
        definition = self.definitions.get(item.prefix)
        if definition is None:
            fields = {**item.definition_defaults, **item.definition_fields}
            definition = NFTDefinition(
                prefix=item.prefix,
                status=DEFINITION_ACTIVE,
                triggers_bingo_card=False,
                bingo_random_candidate=False,
                created_by_admin_id=None,
                created_at=self.now,
                updated_at=self.now,
                **fields,
            )
            self.uow.definitions.add(definition)
            self.definitions[item.prefix] = definition
            self.definitions_created.append(item.prefix)
            return definition, False
        if _apply_fields(definition, item.definition_fields):
            definition.updated_at = self.now
            self.uow.definitions.update(definition)
            return definition, True
        return definition, False

    def apply(self, item: ParsedNFT) -> None:
        definition, definition_changed = self.definition_for(item)
        assert definition.id is not None
        same_origin = [i for i in self.mine if i.nft_origin == item.origin]
        succeeded = [i for i in same_origin if i.status == INSTANCE_SUCCEEDED]
        found = earliest_issued(succeeded) or earliest_issued(same_origin)
        outcome = "unchanged"
        if found is not None:
            changed = _apply_fields(found, item.instance_fields)
            if found.status == INSTANCE_TRANSFERRED:
                found.status = INSTANCE_SUCCEEDED
                changed = True
                self.gains.append((item.index, found, False))
            if changed:
                assert found.id is not None
                self.changed[found.id] = found
                outcome = "updated"
        else:
            adopter = earliest_issued(
                i
                for i in self.mine
                if i.definition_id == definition.id
                and i.status == INSTANCE_SUCCEEDED
                and i.nft_origin is None
            )
            if adopter is not None:
                adopter.nft_origin = item.origin
                self.new_origins.append(item.origin)
                _apply_fields(adopter, item.instance_fields)
                assert adopter.id is not None
                self.changed[adopter.id] = adopter
                outcome = "updated"
            else:
                fields = dict(item.instance_fields)
                fields.setdefault("current_nft_location", item.location_fallback)
                acquired = item.created_at
                if acquired is None:
                    acquired = self.now
                    self.warnings.append(
                        SyncNote(
                            item.index, item.origin, "no usable created_at; acquired_at is now"
                        )
                    )
                instance = NFTInstance(
                    user_id=self.user_id,
                    definition_id=definition.id,
                    serial_number=-1,
                    unique_instance_id="",
                    acquired_at=acquired,
                    status=INSTANCE_SUCCEEDED,
                    nft_origin=item.origin,
                    **fields,
                )
                self.mine.append(instance)
                self.new_origins.append(item.origin)
                self.created.append((item.index, instance))
                self.gains.append((item.index, instance, True))
                outcome = "created"
        for holder in self.holders:
            if holder.nft_origin == item.origin and holder.status == INSTANCE_SUCCEEDED:
                holder.status = INSTANCE_TRANSFERRED
                assert holder.id is not None
                self.others_transferred[holder.id] = holder
                self.transferred += 1
        if outcome == "unchanged" and definition_changed:
            outcome = "updated"
        self.counts[outcome] += 1

    def transfer_missing(self, found_origins: frozenset[str]) -> None:
        for instance in self.mine:
            if (
                instance.id is not None
                and instance.status == INSTANCE_SUCCEEDED
                and instance.nft_origin is not None
                and instance.nft_origin not in found_origins
            ):
                instance.status = INSTANCE_TRANSFERRED
                self.changed[instance.id] = instance
                self.transferred += 1


def sync_nft_instances_from_chain(
    uow: UnitOfWork,
    user: User,
    *,
    chain: ChainPort,
    rng: random.Random | None = None,
    clock: Clock | None = None,
) -> SyncReport:
    """Reconcile the user's instances with the chain (§8); all or nothing, idempotent.

    Creates missing instances (and definitions), updates changed chain fields without
    ever writing None over a value, re-acquires and transfers instances, runs the bingo
    path for gained instances, and reports every item.
    """
    rng = rng_or_none(rng)
    stored = stored_user(uow, user)
    if stored.on_chain_id is None or not stored.on_chain_id.strip():
        raise ValidationError(
            f"user {stored.id} has no on_chain_id; register it on the chain first"
        )
    now = now_from(clock)
    parsed = parse_nft_payloads(chain.get_user_nft_instances(stored.on_chain_id))
    assert stored.id is not None
    lock_users(uow, [stored.id])
    run = _Sync(uow, stored, now)
    warnings = list(parsed.warnings)
    with atomic(uow):
        run.load(parsed.items)
        for item in parsed.items:
            run.apply(item)
        run.transfer_missing(parsed.found_origins)
        refuse_colliding_origins(uow, run.new_origins)

        bingo = BingoBatch(uow, [run.user_id], now)
        layout_rng = rng if rng is not None else random.Random()
        definitions_by_id = {d.id: d for d in run.definitions.values()}
        foreign = {i.definition_id for _, i, _ in run.gains} - definitions_by_id.keys()
        if foreign:
            for definition_id, definition in uow.definitions.get_many(foreign).items():
                definitions_by_id[definition_id] = definition
        created_ids = {id(instance) for _, instance in run.created}
        prefixes: list[str | None] = [
            definitions_by_id[instance.definition_id].prefix
            if id(instance) in created_ids
            else None
            for _, instance, _ in run.gains
        ]

        def plan(k: int) -> None:
            index, instance, _ = run.gains[k]
            definition = definitions_by_id[instance.definition_id]
            if not bingo.needs_card(run.user_id, definition):
                return
            if len(bingo.candidates(definition)) < MIN_CANDIDATES:
                run.warnings.append(
                    SyncNote(
                        index,
                        instance.nft_origin,
                        f"no bingo card centred on '{definition.prefix}': too few candidates",
                    )
                )
                return
            bingo.plan_card(k, run.user_id, definition, layout_rng)

        planned_from = len(run.warnings)

        def restart() -> None:
            nonlocal bingo
            bingo = BingoBatch(uow, [run.user_id], now)
            del run.warnings[planned_from:]

        unique_ids = draw_checked_unique_ids(uow, prefixes, rng, plan, restart)
        for k, (_, instance, _) in enumerate(run.gains):
            if unique_ids[k] is not None:
                instance.unique_instance_id = str(unique_ids[k])

        per_definition = Counter(instance.definition_id for _, instance in run.created)
        next_serial: dict[int, int] = {}
        for definition_id, count in sorted(per_definition.items()):
            start = uow.definitions.reserve_serials(definition_id, count, enforce_supply=False)
            assert start is not None
            next_serial[definition_id] = start
        for _, instance in run.created:
            instance.serial_number = next_serial[instance.definition_id]
            next_serial[instance.definition_id] += 1

        if run.others_transferred:
            uow.instances.update_many(list(run.others_transferred.values()))
        if run.changed:
            uow.instances.update_many(list(run.changed.values()))
        if run.created:
            store_new_instances(uow, [instance for _, instance in run.created], rng)
        for k, (_, instance, _) in enumerate(run.gains):
            bingo.gain(k, instance)
        bingo.flush()

    return SyncReport(
        created=run.counts["created"],
        updated=run.counts["updated"],
        unchanged=run.counts["unchanged"],
        transferred=run.transferred,
        definitions_created=tuple(run.definitions_created),
        skipped=parsed.skipped,
        warnings=tuple(sorted(warnings + run.warnings, key=lambda n: n.index)),
        cards_created=bingo.cards_created,
        cells_unlocked=bingo.cells_unlocked,
    )
