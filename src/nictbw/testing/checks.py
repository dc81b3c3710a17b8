"""nictbw's invariants as pure checks over a unit of work.

Each ``check_*`` function reads through the repositories of a unit of work, writes
nothing, and returns the violations it finds as sentences (an empty list: the invariant
holds). :func:`assert_invariants` runs them all and raises ``AssertionError`` listing
every violation. A host runs them after its own code drove nictbw, an event machine after
every step (domain-rules.md §3, §5)::

    with container.unit_of_work() as uow:
        assert_invariants(uow, now=clock.now())
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final

from nictbw.domain.entities import BingoCard, NFTDefinition, NFTInstance
from nictbw.domain.identifiers import BASE62_ALPHABET as ALPHABET
from nictbw.domain.identifiers import UNIQUE_SUFFIX_LENGTH as SUFFIX_LENGTH
from nictbw.domain.scoring import origin_key
from nictbw.ports import UnitOfWork

CENTRE_IDX: Final = 4


def _by_definition(instances: Iterable[NFTInstance]) -> dict[int, list[NFTInstance]]:
    grouped: dict[int, list[NFTInstance]] = defaultdict(list)
    for instance in instances:
        grouped[instance.definition_id].append(instance)
    return grouped


def check_minted_counts(uow: UnitOfWork) -> list[str]:
    """Every definition's ``minted_count`` equals the number of its instances (§3.2)."""
    grouped = _by_definition(uow.instances.list())
    return [
        f"definition {d.prefix!r} has minted_count {d.minted_count} "
        f"but {len(grouped.get(d.id or -1, []))} instances"
        for d in uow.definitions.list()
        if d.minted_count != len(grouped.get(d.id or -1, []))
    ]


def check_serials(uow: UnitOfWork) -> list[str]:
    """Serials of each definition are exactly 0, 1, ..., n-1 (§3.2)."""
    problems = []
    prefixes = {d.id: d.prefix for d in uow.definitions.list()}
    for definition_id, held in _by_definition(uow.instances.list()).items():
        serials = sorted(instance.serial_number for instance in held)
        if serials != list(range(len(held))):
            shown = serials if len(serials) <= 20 else [*serials[:20], "..."]
            problems.append(
                f"definition {prefixes.get(definition_id)!r} has serials {shown}, "
                f"not 0..{len(held) - 1}"
            )
    return problems


def check_supply(uow: UnitOfWork) -> list[str]:
    """No definition holds more instances than its ``max_supply`` (§3.2, §8.4)."""
    grouped = _by_definition(uow.instances.list())
    problems = []
    for definition in uow.definitions.list():
        count = len(grouped.get(definition.id or -1, []))
        if definition.max_supply is not None and count > definition.max_supply:
            problems.append(
                f"definition {definition.prefix!r} holds {count} instances, "
                f"above its max_supply {definition.max_supply}"
            )
    return problems


def check_unique_ids(uow: UnitOfWork) -> list[str]:
    """Unique ids are distinct and read ``<prefix>-<12 base-62 characters>`` (§3.1)."""
    prefixes = {d.id: d.prefix for d in uow.definitions.list()}
    problems = []
    seen: set[str] = set()
    for instance in uow.instances.list():
        uid = instance.unique_instance_id
        if uid in seen:
            problems.append(f"unique id {uid!r} is used twice")
        seen.add(uid)
        prefix = prefixes.get(instance.definition_id)
        suffix = uid[-SUFFIX_LENGTH:]
        if (
            prefix is None
            or uid != f"{prefix}-{suffix}"
            or len(suffix) != SUFFIX_LENGTH
            or any(char not in ALPHABET for char in suffix)
        ):
            problems.append(f"instance {instance.id} has unique id {uid!r} for prefix {prefix!r}")
    return problems


def check_origins(uow: UnitOfWork) -> list[str]:
    """At most one ``succeeded`` instance holds an origin (compared as sync compares)."""
    holders: dict[str, list[int | None]] = defaultdict(list)
    for instance in uow.instances.list():
        if instance.status == "succeeded" and instance.nft_origin is not None:
            holders[origin_key(instance.nft_origin)].append(instance.id)
    return [
        f"origin {key!r} is held by succeeded instances {ids}"
        for key, ids in holders.items()
        if len(ids) > 1
    ]


def _card_shape(card: BingoCard) -> list[str]:
    problems = []
    name = f"card {card.id} of user {card.user_id}"
    idxs = sorted(cell.idx for cell in card.cells)
    if idxs != list(range(9)):
        problems.append(f"{name} has cells at idx {idxs}, not 0..8")
    targets = [cell.target_definition_id for cell in card.cells]
    if len(set(targets)) != len(targets):
        problems.append(f"{name} targets a definition twice: {targets}")
    centre = card.cell_at(CENTRE_IDX)
    if centre is not None and centre.target_definition_id != card.center_definition_id:
        problems.append(f"{name} has centre target {centre.target_definition_id}")
    for cell in card.cells:
        if cell.is_unlocked != (cell.unlocked_at is not None):
            problems.append(f"{name} cell {cell.idx} is {cell.state} with {cell.unlocked_at}")
    if (card.state == "completed") != (card.completed_at is not None):
        problems.append(f"{name} is {card.state} with completed_at {card.completed_at}")
    if card.state == "completed" and not all(cell.is_unlocked for cell in card.cells):
        problems.append(f"{name} is completed with locked cells")
    if card.state == "active" and len(card.cells) == 9 and card.is_full:
        problems.append(f"{name} has every cell unlocked but is still active")
    return problems


def check_cards(uow: UnitOfWork, now: datetime) -> list[str]:
    """Cards are well formed (§2.5, §5.1, §5.5), one per (user, centre), and on every
    card active at ``now`` a cell is unlocked iff its user holds (or held, when it was
    unlocked) a ``succeeded`` instance of its target (§5.4)."""
    instances = uow.instances.list()
    by_id = {instance.id: instance for instance in instances}
    holding: dict[tuple[int, int], bool] = {}
    for instance in instances:
        if instance.status == "succeeded":
            holding[(instance.user_id, instance.definition_id)] = True
    problems = []
    centres: set[tuple[int, int]] = set()
    for card in uow.bingo_cards.list():
        problems.extend(_card_shape(card))
        key = (card.user_id, card.center_definition_id)
        if key in centres:
            problems.append(f"user {card.user_id} has two cards centred on {key[1]}")
        centres.add(key)
        for cell in card.cells:
            if cell.is_unlocked:
                matched = by_id.get(cell.matched_nft_instance_id)
                if cell.matched_nft_instance_id is not None and (
                    matched is None or matched.user_id != card.user_id
                ):
                    problems.append(
                        f"card {card.id} cell {cell.idx} is matched to instance "
                        f"{cell.matched_nft_instance_id}, not one of user {card.user_id}"
                    )
            elif card.effective_state(now) == "active" and holding.get(
                (card.user_id, cell.target_definition_id)
            ):
                problems.append(
                    f"card {card.id} cell {cell.idx} is locked although user {card.user_id} "
                    f"holds a succeeded instance of definition {cell.target_definition_id}"
                )
    return problems


def check_definitions(uow: UnitOfWork) -> list[str]:
    """Prefixes are distinct and counters never negative (§2.3)."""
    problems = []
    seen: set[str] = set()
    definitions: list[NFTDefinition] = uow.definitions.list()
    for definition in definitions:
        if definition.prefix in seen:
            problems.append(f"prefix {definition.prefix!r} is used twice")
        seen.add(definition.prefix)
        if definition.minted_count < 0:
            problems.append(f"definition {definition.prefix!r} has minted_count below 0")
    return problems


INVARIANTS: Final[tuple[Callable[[UnitOfWork], list[str]], ...]] = (
    check_definitions,
    check_minted_counts,
    check_serials,
    check_supply,
    check_unique_ids,
    check_origins,
)
"""The checks that need nothing but the unit of work (:func:`check_cards` needs ``now``)."""


def invariant_violations(uow: UnitOfWork, now: datetime) -> list[str]:
    """Every violation of every invariant in ``uow``; empty when all hold."""
    problems = [problem for check in INVARIANTS for problem in check(uow)]
    problems.extend(check_cards(uow, now))
    return problems


def assert_invariants(uow: UnitOfWork, now: datetime) -> None:
    """Raise ``AssertionError`` listing every violation found in ``uow`` at ``now``."""
    problems = invariant_violations(uow, now)
    if problems:
        raise AssertionError("nictbw invariants violated:\n- " + "\n- ".join(problems))


__all__ = [
    "INVARIANTS",
    "assert_invariants",
    "check_cards",
    "check_definitions",
    "check_minted_counts",
    "check_origins",
    "check_serials",
    "check_supply",
    "check_unique_ids",
    "invariant_violations",
]
