"""What a chain sync decides, item by item, without touching storage (domain-rules.md §8.4-8.5).

``reconcile`` is given what the sync read (the parsed items, the user's instances, other
users' instances holding the listed origins, the stored definitions of the listed prefixes)
and returns every decision: definitions to create or change, instances to create, update,
adopt an origin, re-acquire or transfer, and the outcome of each item. It works on copies:
the entities it is given are never changed. Applying the result is the workflow's job.

New definitions carry provisional negative ids until they are stored; instances created
for them carry the same provisional ``definition_id`` (see ``Reconciliation.new_definitions``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
from attrs import define, frozen

from nictbw.domain.bingo import earliest_issued
from nictbw.domain.chain_payload import ParsedNFT
from nictbw.domain.entities import (
    DEFINITION_ACTIVE,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    NFTDefinition,
    NFTInstance,
    SyncNote,
)

CREATED: Final = "created"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
SKIPPED: Final = "skipped"

NO_CREATED_AT: Final = "no usable created_at; acquired_at is now"
SUPPLY_EXHAUSTED: Final = "supply exhausted"


def untrusted_app_reason(app: str | None) -> str:
    """The skip reason of an item minted by ``app``, an app not trusted (§8.4 step 0)."""
    if app is None:
        return "untrusted app (none)"
    shown = app if len(app) <= 64 and app.isprintable() else repr(app[:64])
    return f"untrusted app {shown}"


@frozen
class ItemOutcome:
    """What became of one item: ``created``, ``updated``, ``unchanged`` or ``skipped``."""

    index: int
    origin: str
    outcome: str
    reason: str | None = None


@frozen
class Reconciliation:
    """Every decision of one sync, in item order (entities are changed copies)."""

    outcomes: tuple[ItemOutcome, ...]
    new_definitions: tuple[NFTDefinition, ...]
    """Definitions to create, each with a provisional negative ``id`` to replace on storing."""
    changed_definitions: tuple[NFTDefinition, ...]
    """Stored definitions whose fields changed (``updated_at`` set)."""
    changed: tuple[NFTInstance, ...]
    """Stored instances of the user that changed (fields, adopted origin, status)."""
    transferred_elsewhere: tuple[NFTInstance, ...]
    """Other users' instances that became ``transferred``."""
    created: tuple[NFTInstance, ...]
    """New instances in item order, without serial (-1) nor unique id ("")."""
    gains: tuple[tuple[int, NFTInstance, bool], ...]
    """(item index, instance, is new) of each created or re-acquired instance, in order."""
    warnings: tuple[SyncNote, ...]
    transferred: int
    """Instances that became ``transferred``: other holders and the user's missing ones."""

    def count(self, outcome: str) -> int:
        """How many items had ``outcome``."""
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def definitions_created(self) -> tuple[str, ...]:
        """The prefixes of the new definitions, in creation order."""
        return tuple(d.prefix for d in self.new_definitions)

    @property
    def skipped(self) -> tuple[SyncNote, ...]:
        """The items refused by the trust boundary or the supply, with their reasons."""
        return tuple(
            SyncNote(o.index, o.origin, o.reason or SKIPPED)
            for o in self.outcomes
            if o.outcome == SKIPPED
        )


def _differing(target: object, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The present fields (not ``None``) whose value differs from ``target``'s."""
    return {
        key: value
        for key, value in fields.items()
        if value is not None and getattr(target, key) != value
    }


def _assign(target: object, fields: Mapping[str, Any]) -> None:
    for key, value in fields.items():
        setattr(target, key, value)


def _apply_fields(target: object, fields: Mapping[str, Any]) -> bool:
    """Overwrite each present field that differs; True when anything changed."""
    differing = _differing(target, fields)
    _assign(target, differing)
    return bool(differing)


@define
class _Run:
    user_id: int
    now: datetime
    mine: list[NFTInstance]
    holders: list[NFTInstance]
    definitions: dict[str, NFTDefinition]
    trusted_apps: frozenset[str]
    outcomes: list[ItemOutcome] = attrs.Factory(list)
    new_definitions: list[NFTDefinition] = attrs.Factory(list)
    changed_definitions: dict[int, NFTDefinition] = attrs.Factory(dict)
    changed: dict[int, NFTInstance] = attrs.Factory(dict)
    elsewhere: dict[int, NFTInstance] = attrs.Factory(dict)
    created: list[NFTInstance] = attrs.Factory(list)
    gains: list[tuple[int, NFTInstance, bool]] = attrs.Factory(list)
    warnings: list[SyncNote] = attrs.Factory(list)
    transferred: int = 0
    minted: Counter[int] = attrs.Factory(Counter)
    owned: set[int] = attrs.Factory(set)
    """``id()`` of the entities this run made or copied: the only ones it may change."""

    def _own_instance(self, instance: NFTInstance, where: list[NFTInstance]) -> NFTInstance:
        """``instance`` (an element of ``where``), replaced there by a copy the first time
        the run is about to change it: the entities given are never changed."""
        if id(instance) in self.owned:
            return instance
        copy = attrs.evolve(instance)
        position = next(k for k, held in enumerate(where) if held is instance)
        where[position] = copy
        self.owned.add(id(copy))
        return copy

    def _own_definition(self, prefix: str, definition: NFTDefinition) -> NFTDefinition:
        """``definition`` (``definitions[prefix]``), replaced there by a copy the first
        time the run is about to change it."""
        if id(definition) in self.owned:
            return definition
        copy = attrs.evolve(definition)
        self.definitions[prefix] = copy
        self.owned.add(id(copy))
        return copy

    def exhausted(self, definition: NFTDefinition) -> bool:
        """True when one more instance would take ``definition`` past its supply."""
        assert definition.id is not None
        if definition.max_supply is None:
            return False
        return definition.minted_count + self.minted[definition.id] >= definition.max_supply

    def adopter(self, definition_id: int | None) -> NFTInstance | None:
        """The user's earliest issued succeeded instance of the definition without origin."""
        return earliest_issued(
            i
            for i in self.mine
            if i.definition_id == definition_id
            and i.status == INSTANCE_SUCCEEDED
            and i.nft_origin is None
        )

    def found(self, origin: str) -> NFTInstance | None:
        """The user's instance holding ``origin``: succeeded first, then earliest issued."""
        same_origin = [i for i in self.mine if i.nft_origin == origin]
        succeeded = [i for i in same_origin if i.status == INSTANCE_SUCCEEDED]
        return earliest_issued(succeeded) or earliest_issued(same_origin)

    def refusal(self, item: ParsedNFT) -> str | None:
        """Why ``item`` may change nothing (§8.4 step 0), or None when it may apply."""
        if item.app is None or item.app not in self.trusted_apps:
            return untrusted_app_reason(item.app)
        existing = self.definitions.get(item.prefix)
        if (
            existing is not None
            and self.found(item.origin) is None
            and self.adopter(existing.id) is None
            and self.exhausted(existing)
        ):
            return SUPPLY_EXHAUSTED
        return None

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
            definition.id = -1 - len(self.new_definitions)
            self.new_definitions.append(definition)
            self.definitions[item.prefix] = definition
            self.owned.add(id(definition))
            return definition, False
        if definition.created_by_admin_id is not None:
            return definition, False  # owned by the local catalogue: sync never changes it
        differing = _differing(definition, item.definition_fields)
        if differing:
            definition = self._own_definition(item.prefix, definition)
            _assign(definition, differing)
            definition.updated_at = self.now
            assert definition.id is not None
            if definition.id > 0:
                self.changed_definitions[definition.id] = definition
            return definition, True
        return definition, False

    def apply(self, item: ParsedNFT) -> None:
        reason = self.refusal(item)
        if reason is not None:
            self.outcomes.append(ItemOutcome(item.index, item.origin, SKIPPED, reason))
            return
        definition, definition_changed = self.definition_for(item)
        assert definition.id is not None
        found = self.found(item.origin)
        outcome = UNCHANGED
        if found is not None:
            differing = _differing(found, item.instance_fields)
            if differing or found.status == INSTANCE_TRANSFERRED:
                found = self._own_instance(found, self.mine)
            _assign(found, differing)
            changed = bool(differing)
            if found.status == INSTANCE_TRANSFERRED:
                found.status = INSTANCE_SUCCEEDED
                changed = True
                self.gains.append((item.index, found, False))
            if changed:
                self._mark(found)
                outcome = UPDATED
        else:
            adopter = self.adopter(definition.id)
            if adopter is not None:
                adopter = self._own_instance(adopter, self.mine)
                adopter.nft_origin = item.origin
                _apply_fields(adopter, item.instance_fields)
                self._mark(adopter)
                outcome = UPDATED
            else:
                self.create(item, definition)
                outcome = CREATED
        for holder in list(self.holders):
            if holder.nft_origin == item.origin and holder.status == INSTANCE_SUCCEEDED:
                holder = self._own_instance(holder, self.holders)
                holder.status = INSTANCE_TRANSFERRED
                assert holder.id is not None
                self.elsewhere[holder.id] = holder
                self.transferred += 1
        if outcome == UNCHANGED and definition_changed:
            outcome = UPDATED
        self.outcomes.append(ItemOutcome(item.index, item.origin, outcome))

    def create(self, item: ParsedNFT, definition: NFTDefinition) -> None:
        assert definition.id is not None
        fields = dict(item.instance_fields)
        fields.setdefault("current_nft_location", item.location_fallback)
        acquired = item.created_at
        if acquired is None:
            acquired = self.now
            self.warnings.append(SyncNote(item.index, item.origin, NO_CREATED_AT))
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
        self.owned.add(id(instance))
        self.minted[definition.id] += 1
        self.created.append(instance)
        self.gains.append((item.index, instance, True))

    def _mark(self, instance: NFTInstance) -> None:
        assert instance.id is not None
        self.changed[instance.id] = instance

    def transfer_missing(self, found_origins: Collection[str]) -> None:
        for instance in list(self.mine):
            if (
                instance.id is not None
                and instance.status == INSTANCE_SUCCEEDED
                and instance.nft_origin is not None
                and instance.nft_origin not in found_origins
            ):
                instance = self._own_instance(instance, self.mine)
                instance.status = INSTANCE_TRANSFERRED
                self._mark(instance)
                self.transferred += 1


def reconcile(
    items: Sequence[ParsedNFT],
    *,
    user_id: int,
    mine: Sequence[NFTInstance],
    holders: Sequence[NFTInstance],
    definitions: Mapping[str, NFTDefinition],
    found_origins: Collection[str],
    now: datetime,
    trusted_apps: Collection[str],
) -> Reconciliation:
    """Decide the sync of ``user_id`` against the parsed chain ``items`` (§8.4, §8.5).

    ``mine`` are the user's stored instances, ``holders`` other users' instances holding
    a listed origin, ``definitions`` the stored definitions by prefix and
    ``found_origins`` every valid origin of the response (skipped items included). Items
    are applied in order, each seeing the decisions of the ones before it. Nothing given
    is changed: the result holds changed copies, each entity copied when first changed.

    The trust boundary comes first (§8.4 step 0): an item minted by an app outside
    ``trusted_apps`` is skipped (its origin still counts as found), a definition owned by
    an admin (``created_by_admin_id`` set) is never changed, and an item that would create
    an instance past its definition's ``max_supply`` is skipped as ``supply exhausted``.
    """
    run = _Run(
        user_id=user_id,
        now=now,
        mine=list(mine),
        holders=[h for h in holders if h.user_id != user_id],
        definitions=dict(definitions),
        trusted_apps=frozenset(trusted_apps),
    )
    for item in items:
        run.apply(item)
    run.transfer_missing(found_origins)
    return Reconciliation(
        outcomes=tuple(run.outcomes),
        new_definitions=tuple(run.new_definitions),
        changed_definitions=tuple(run.changed_definitions.values()),
        changed=tuple(run.changed.values()),
        transferred_elsewhere=tuple(run.elsewhere.values()),
        created=tuple(run.created),
        gains=tuple(run.gains),
        warnings=tuple(run.warnings),
        transferred=run.transferred,
    )


__all__ = [
    "CREATED",
    "SKIPPED",
    "SUPPLY_EXHAUSTED",
    "UNCHANGED",
    "UPDATED",
    "ItemOutcome",
    "Reconciliation",
    "reconcile",
    "untrusted_app_reason",
]
