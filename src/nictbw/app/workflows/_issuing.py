"""The issuing pipeline shared by issuance and sync (domain-rules.md §3, §4.5, §8.4).

Whatever makes users gain instances, the same steps follow, for the whole batch at once:

1. ``prepare``: draw the unique ids of the new instances in gain order, laying out each
   card a gain brings between the draws (the ``rng`` order of one-by-one issuance), then
   reserve the serials of each definition (ascending id, so concurrent runs lock
   definition rows in one order) and number the new instances;
2. ``store_and_unlock``: store the new instances, redrawing ids a concurrent transaction
   took meanwhile, then replay every gain on the users' cards and flush them in bulk.

A caller writes its own changes (sync's updates and transfers) between the two steps.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime

from attrs import frozen

from nictbw.app.workflows._bingo_path import BingoBatch
from nictbw.app.workflows.outbox import append_issuing_events
from nictbw.domain.bingo import MIN_CANDIDATES
from nictbw.domain.entities import NFTDefinition, NFTInstance
from nictbw.domain.errors import ConflictError
from nictbw.domain.identifiers import (
    MAX_UNIQUE_ID_ATTEMPTS,
    UNIQUE_SUFFIX_LENGTH,
    new_unique_instance_id,
    new_unique_instance_ids,
)
from nictbw.ports import UnitOfWork


@frozen
class Gain:
    """An instance its user gains: ``new`` ones get an id, a serial and are stored;
    the others (re-acquired, already stored) only run the bingo path."""

    instance: NFTInstance
    definition: NFTDefinition
    new: bool


class IssuingPipeline:
    """Ids, serials, storage and bingo path for instances gained by ``user_ids``."""

    def __init__(
        self,
        uow: UnitOfWork,
        user_ids: Collection[int],
        now: datetime,
        rng: random.Random | None,
    ) -> None:
        self._uow = uow
        self._user_ids = list(user_ids)
        self._now = now
        self._rng = rng
        self._gains: Sequence[Gain] = ()
        self.bingo = BingoBatch(uow, self._user_ids, now)
        self.cardless: list[int] = []
        """Gain positions whose card could not be laid out: too few candidates."""

    def prepare(self, gains: Sequence[Gain], *, enforce_supply: bool) -> None:
        """Draw ids and lay out cards in gain order, then reserve and assign serials.

        With ``enforce_supply`` a definition whose supply cannot take its new instances
        raises ``ConflictError``.
        """
        self._gains = gains
        prefixes = [g.definition.prefix if g.new else None for g in gains]
        for gain, unique_id in zip(gains, self._draw_ids(prefixes), strict=True):
            if unique_id is not None:
                gain.instance.unique_instance_id = unique_id
        self.bingo.read_holdings()
        counts = Counter(g.definition.id for g in gains if g.new)
        definitions = {g.definition.id: g.definition for g in gains}
        next_serial: dict[int, int] = {}
        for definition_id, count in sorted(counts.items(), key=lambda item: item[0] or 0):
            assert definition_id is not None
            start = self._uow.definitions.reserve_serials(
                definition_id, count, enforce_supply=enforce_supply
            )
            if start is None:
                definition = definitions[definition_id]
                raise ConflictError(
                    f"supply of '{definition.prefix}' exhausted ({definition.max_supply} max, "
                    f"{count} requested)"
                )
            next_serial[definition_id] = start
        for gain in gains:
            if gain.new:
                definition_id = gain.instance.definition_id
                gain.instance.serial_number = next_serial[definition_id]
                next_serial[definition_id] += 1

    def store_and_unlock(self) -> None:
        """Store the new instances, then run the bingo path of every gain in order."""
        new = [g.instance for g in self._gains if g.new]
        if new:
            store_new_instances(self._uow, new, self._rng)
        for k, gain in enumerate(self._gains):
            self.bingo.gain(k, gain.instance)
        self.bingo.flush()
        append_issuing_events(self._uow, new, self.bingo, self._now)

    def _plan(self, k: int, layout_rng: random.Random) -> None:
        gain = self._gains[k]
        user_id, definition = gain.instance.user_id, gain.definition
        if not self.bingo.needs_card(user_id, definition):
            return
        if len(self.bingo.candidates(definition)) < MIN_CANDIDATES:
            self.cardless.append(k)
            return
        self.bingo.plan_card(k, user_id, definition, layout_rng)

    def _draw_ids(self, prefixes: Sequence[str | None]) -> list[str | None]:
        """The ids, checked against storage with one query.

        Should a stored id be drawn (astronomically rare), the planned cards are dropped,
        the rng is rewound and the draws are replayed checking storage per candidate, so
        the outcome is exactly that of one-by-one issuance.
        """
        rng = self._rng
        layout_rng = rng if rng is not None else random.Random()
        state = rng.getstate() if rng is not None else None

        def plan(k: int) -> None:
            self._plan(k, layout_rng)

        drawn = new_unique_instance_ids(
            prefixes, rng=rng, is_taken=lambda _candidate: False, between=plan
        )
        if not self._uow.instances.existing_unique_ids([c for c in drawn if c is not None]):
            return drawn
        if state is not None and rng is not None:
            rng.setstate(state)
        self.bingo = BingoBatch(self._uow, self._user_ids, self._now)
        self.cardless = []
        stored = self._uow.instances.existing_unique_ids
        return new_unique_instance_ids(
            prefixes, rng=rng, is_taken=lambda c: bool(stored([c])), between=plan
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
            fresh = new_unique_instance_id(
                prefix,
                rng=rng,
                is_taken=lambda c: c in used or bool(uow.instances.existing_unique_ids([c])),
            )
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


__all__ = ["Gain", "IssuingPipeline", "store_new_instances"]
