"""The invariants of nictbw's stored state, checked on the host composition after each step."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from hypothesis.stateful import invariant

from nictbw.domain.entities import CARD_ACTIVE, CARD_COMPLETED, CELL_UNLOCKED, INSTANCE_SUCCEEDED
from nictbw.domain.errors import ValidationError
from nictbw.domain.export import VerifyPolicy, verify_export
from nictbw.testing.machine._compare import REPOSITORIES, id_ranks, plain, state_of
from nictbw.workflows import export_draw

if TYPE_CHECKING:
    from nictbw.testing.machine._setup import Side


class Invariants:
    """``@invariant`` methods over ``self.host`` (and ``self.sides`` for agreement)."""

    sides: list[Side]
    by_rank: bool

    @property
    def host(self) -> Side:
        """The composition under test (the last side)."""
        return self.sides[-1]

    def _host_state(self) -> dict[str, list[Any]]:
        with self.host.factory() as uow:
            return state_of(uow)

    @invariant()
    def minted_counts_equal_instances_and_serials_are_contiguous(self) -> None:
        """Per definition: serials are exactly 0..n-1 and ``minted_count`` is n."""
        state = self._host_state()
        serials: dict[int, list[int]] = defaultdict(list)
        for instance in state["instances"]:
            serials[instance.definition_id].append(instance.serial_number)
        for definition in state["definitions"]:
            found = sorted(serials[definition.id])
            assert found == list(range(len(found))), (
                f"serials of {definition.prefix} are not contiguous from 0: {found}"
            )
            assert definition.minted_count == len(found), (
                f"minted_count of {definition.prefix} is {definition.minted_count}, "
                f"but {len(found)} instances exist"
            )

    @invariant()
    def supply_is_never_exceeded(self) -> None:
        """No definition holds more instances than its ``max_supply``."""
        for definition in self._host_state()["definitions"]:
            if definition.max_supply is not None:
                assert definition.minted_count <= definition.max_supply, (
                    f"{definition.prefix} minted {definition.minted_count} "
                    f"of a supply of {definition.max_supply}"
                )

    @invariant()
    def cells_are_unlocked_iff_the_user_holds_the_target(self) -> None:
        """Cells and cards are consistent; on an active card a cell is unlocked exactly when
        its user holds a succeeded instance of its target (domain-rules.md §5.4)."""
        state = self._host_state()
        now = self.host.clock.now()
        instances = {i.id: i for i in state["instances"]}
        held = {
            (i.user_id, i.definition_id)
            for i in state["instances"]
            if i.status == INSTANCE_SUCCEEDED
        }
        centres: Counter[tuple[int, int]] = Counter()
        for card in state["bingo_cards"]:
            centres[(card.user_id, card.center_definition_id)] += 1
            assert sorted(c.idx for c in card.cells) == list(range(9)), card
            for cell in card.cells:
                unlocked = cell.state == CELL_UNLOCKED
                assert unlocked == (cell.unlocked_at is not None), cell
                if unlocked and cell.matched_nft_instance_id is not None:
                    matched = instances.get(cell.matched_nft_instance_id)
                    assert matched is not None, cell
                    assert matched.definition_id == cell.target_definition_id, cell
                if card.effective_state(now) == CARD_ACTIVE:
                    holds = (card.user_id, cell.target_definition_id) in held
                    assert unlocked or not holds, (
                        f"card {card.id}: cell {cell.idx} is locked though user "
                        f"{card.user_id} holds its target"
                    )
            if card.state == CARD_COMPLETED:
                assert all(c.state == CELL_UNLOCKED for c in card.cells), card.id
                assert card.completed_at is not None, card.id
            else:
                assert card.completed_at is None, card.id
        assert all(n == 1 for n in centres.values()), f"two cards share a centre: {centres}"

    @invariant()
    def one_result_per_instance_and_one_holder_per_origin(self) -> None:
        """No instance twice among one draw's results; an origin has one succeeded holder."""
        state = self._host_state()
        keys = Counter(
            (r.draw_type_id, r.winning_number_id, r.nft_instance_id) for r in state["draw_results"]
        )
        assert all(n == 1 for n in keys.values()), f"an instance is drawn twice: {keys}"
        origins = Counter(
            i.nft_origin
            for i in state["instances"]
            if i.status == INSTANCE_SUCCEEDED and i.nft_origin is not None
        )
        assert all(n == 1 for n in origins.values()), f"an origin is held twice: {origins}"

    @invariant()
    def results_are_reproducible_from_the_export(self) -> None:
        """Every draw with results exports, and the export alone recomputes it."""
        with self.host.factory() as uow:
            types = {t.id: t.internal_name for t in uow.draw_types.list()}
            drawn = {(r.draw_type_id, r.winning_number_id) for r in uow.draw_results.list()}
            for draw_type_id, number_id in sorted(drawn, key=str):
                if number_id is None:
                    continue
                try:
                    document = export_draw(
                        uow, types[draw_type_id], winning_number_id=number_id, clock=self.host.clock
                    )
                except ValidationError as exc:
                    # results of one draw evaluated under different thresholds do not export
                    assert "threshold" in str(exc), exc
                    continue
                # the host's fake beacon signs the sealed draws: the verifier trusts its key
                trusted = VerifyPolicy(public_key=self.host.beacon.info().public_key)
                problems = verify_export(document, policy=trusted)
                if document.get("sealed") is None:
                    # An operator's number is paired with the draw type's latest unsealed
                    # snapshot; the machine draws over any candidates after any snapshot, so
                    # that pairing is not an invariant here (verify rightly reports it). A
                    # sealed export must verify whole.
                    problems = [p for p in problems if not p.startswith("snapshot")]
                assert problems == [], f"export of {types[draw_type_id]}/{number_id}: {problems}"

    @invariant()
    def every_side_stores_the_same(self) -> None:
        """Where a reference composition runs beside the host, both store the same."""
        if len(self.sides) < 2:
            return
        states = []
        for side in self.sides:
            with side.factory() as uow:
                state = state_of(uow)
            maps = id_ranks(state) if self.by_rank else None
            states.append({name: plain(rows, maps) for name, rows in state.items()})
        for name in REPOSITORIES:
            assert states[0][name] == states[-1][name], (
                f"{name} differ between {self.sides[0].name} and {self.sides[-1].name}"
            )

    @invariant()
    def every_side_records_the_same_events(self) -> None:
        """Where a reference composition runs beside the host, both outboxes hold the same
        events in the same order (payloads too where ids agree: PostgreSQL sequences do
        not rewind on rollback)."""
        if len(self.sides) < 2:
            return
        outboxes: list[list[Any]] = []
        for side in self.sides:
            with side.factory() as uow:
                events = uow.events.pending(limit=100_000)
            if self.by_rank:
                outboxes.append([(str(e.type), sorted(e.payload)) for e in events])
            else:
                outboxes.append([(str(e.type), e.user_id, e.payload) for e in events])
        assert outboxes[0] == outboxes[-1], (
            f"events differ between {self.sides[0].name} and {self.sides[-1].name}"
        )
