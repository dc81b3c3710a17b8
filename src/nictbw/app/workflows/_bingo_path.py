"""The bingo path of issuance and sync, applied to many gained instances at once.

Issuing one badge may create a card (trigger definitions) and unlocks cells on the
holder's active cards. Doing this for a batch must give exactly what one-by-one issuance
gives, while reading and writing the cards of every touched user in bulk. The work is
split in two passes because card layouts consume the ``rng`` interleaved with unique-id
draws, before the new instances have ids:

1. ``plan_card`` (in grant order, while ids are drawn) lays out each needed card, then
   ``read_holdings`` reads what the users of those cards already hold (no other user's
   holdings are needed: cells of existing cards are unlocked by the gained instance);
2. ``gain`` (in grant order, after the instances are stored) replays the unlocks.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime

from nictbw.domain.bingo import (
    MIN_CANDIDATES,
    bingo_candidate_ids,
    expire_if_due,
    held_by_definition,
    layout_card,
    unlock_for_instance,
    unlock_held,
    unlocked_mask,
)
from nictbw.domain.entities import CARD_ACTIVE, BingoCard, NFTDefinition, NFTInstance
from nictbw.domain.errors import ValidationError
from nictbw.ports import UnitOfWork


class BingoBatch:
    """Cards and holdings of a set of users, updated in memory and flushed in bulk."""

    def __init__(
        self,
        uow: UnitOfWork,
        user_ids: Collection[int],
        now: datetime,
        catalogue: Sequence[NFTDefinition] | None = None,
    ) -> None:
        self._uow = uow
        self._now = now
        self._catalogue = list(catalogue if catalogue is not None else uow.definitions.catalogue())
        self._definitions = {d.id: d for d in self._catalogue if d.id is not None}
        self._candidate_cache: dict[int, list[int]] = {}
        ids = sorted(set(user_ids))
        self._cards: dict[int, list[BingoCard]] = defaultdict(list)
        for card in uow.bingo_cards.list_for_users(ids) if ids else []:
            self._cards[card.user_id].append(card)
        self._changed: dict[int, BingoCard] = {}
        self._new: list[BingoCard] = []
        self._held: dict[int, dict[int, NFTInstance]] = {}
        """Each read user's earliest held instance by definition (``read_holdings``)."""
        self._planned: dict[int, BingoCard] = {}
        self._locked: dict[int, set[int]] = {}
        self._unborn: set[int] = set()
        self._cards_created = 0
        self.cells_unlocked = 0
        self.cards_created_for: Counter[int] = Counter()
        """Cards created per user (flushed ones included)."""
        self.cells_unlocked_for: Counter[int] = Counter()
        """Cells unlocked per user."""
        self.expired: list[BingoCard] = []
        """Cards this batch noticed expired (stored ``expired`` at flush)."""
        self.unlocked_before: dict[int, int] = {}
        """Unlocked-cell masks (bit per idx) of stored cards, by ``id(card)``, taken before
        this batch first unlocked a cell on them."""
        self.stored_new: list[BingoCard] = []
        self.stored_changed: list[BingoCard] = []
        """The cards every ``flush`` stored (new) and wrote back (changed)."""
        for cards in self._cards.values():
            for card in cards:
                if expire_if_due(card, now):
                    self._mark(card)
                    self.expired.append(card)

    def read_holdings(self) -> None:
        """Read the stored holdings of every user a card was planned for (one query).

        Only a new card needs what its user already holds (its cells start unlocked for
        them); unlocking cells of existing cards needs only the gained instance. So the
        holdings are read for those users alone, after planning and before the gained
        instances are stored.
        """
        wanted = sorted(set(self.cards_created_for) - self._held.keys())
        if not wanted:
            return
        by_user: dict[int, list[NFTInstance]] = defaultdict(list)
        for instance in self._uow.instances.list_for_users(wanted):
            by_user[instance.user_id].append(instance)
        for user_id in wanted:
            self._held[user_id] = held_by_definition(by_user.get(user_id, []))

    @property
    def cards_created(self) -> int:
        """Cards created by this batch so far (flushed ones included)."""
        return self._cards_created

    def _mark(self, card: BingoCard) -> None:
        if card.id is not None:
            self._changed[card.id] = card

    def candidates(self, center: NFTDefinition) -> list[int]:
        """The candidate definition ids of a card centred on ``center`` (cached)."""
        assert center.id is not None
        if center.id not in self._candidate_cache:
            self._candidate_cache[center.id] = bingo_candidate_ids(self._catalogue, center.id)
        return self._candidate_cache[center.id]

    def needs_card(self, user_id: int, definition: NFTDefinition) -> bool:
        """True when a gained instance of ``definition`` gives ``user_id`` a new card."""
        if not definition.triggers_bingo_card:
            return False
        return all(c.center_definition_id != definition.id for c in self._cards[user_id])

    def check_can_generate(self, definition: NFTDefinition) -> None:
        """``ValidationError`` when a card centred on ``definition`` has too few candidates."""
        count = len(self.candidates(definition))
        if count < MIN_CANDIDATES:
            raise ValidationError(
                f"cannot generate a bingo card centred on '{definition.prefix}': "
                f"{count} candidate definitions, {MIN_CANDIDATES} needed"
            )

    def plan_card(
        self, key: int, user_id: int, definition: NFTDefinition, rng: random.Random
    ) -> BingoCard | None:
        """Lay out the card a gain of ``definition`` gives, if any, and remember it under ``key``.

        Consumes ``rng`` exactly as generation does. Cells are unlocked later by ``gain``.
        """
        if not self.needs_card(user_id, definition):
            return None
        card = layout_card(
            rng,
            user_id=user_id,
            center=definition,
            definitions=self._catalogue,
            held={},
            now=self._now,
        )
        self._cards[user_id].append(card)
        self._new.append(card)
        self._cards_created += 1
        self.cards_created_for[user_id] += 1
        self._planned[key] = card
        self._unborn.add(id(card))
        return card

    def _locked_targets(self, card: BingoCard) -> set[int]:
        """The target definitions of the card's locked cells (kept while it is unlocked)."""
        targets = self._locked.get(id(card))
        if targets is None:
            targets = {cell.target_definition_id for cell in card.cells if not cell.is_unlocked}
            self._locked[id(card)] = targets
            self.unlocked_before[id(card)] = unlocked_mask(card)
        return targets

    def gain(self, key: int, instance: NFTInstance) -> int:
        """Apply a stored, succeeded instance gained by its user: pre-unlock its planned card,
        then unlock matching cells on the user's active cards. Returns cells unlocked."""
        held = self._held.get(instance.user_id)
        if held is not None:  # kept for users whose holdings were read (see read_holdings)
            current = held.get(instance.definition_id)
            if current is None or instance.issue_order < current.issue_order:
                held[instance.definition_id] = instance
        unlocked = 0
        planned = self._planned.pop(key, None)
        if planned is not None:
            assert held is not None, "read_holdings comes first"
            self._unborn.discard(id(planned))
            unlocked += unlock_held(planned, held, self._now)
        for card in self._cards[instance.user_id]:
            if card.state != CARD_ACTIVE or id(card) in self._unborn:
                continue
            locked = self._locked_targets(card)
            if instance.definition_id not in locked:
                continue  # no locked cell of this card is unlocked by this definition
            got = unlock_for_instance(card, instance, self._now)
            if got:
                locked.discard(instance.definition_id)
                unlocked += got
                if card is not planned:
                    self._mark(card)
        self.cells_unlocked += unlocked
        self.cells_unlocked_for[instance.user_id] += unlocked
        return unlocked

    def flush(self) -> None:
        """Store the new cards and every changed card with bulk statements."""
        if self._new:
            self._uow.bingo_cards.add_many(self._new)
            self.stored_new.extend(self._new)
        changed = [c for c in self._changed.values() if c.id is not None]
        if changed:
            self._uow.bingo_cards.update_many(changed)
            self.stored_changed.extend(changed)
        self._new = []
        self._changed = {}
