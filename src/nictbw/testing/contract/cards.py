"""The bingo card repository contract, completed-line candidates included (§5.6)."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest

from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CARD_EXPIRED,
    CELL_LOCKED,
    CELL_UNLOCKED,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
)
from nictbw.domain.errors import ConflictError, NotFoundError, ValidationError
from nictbw.testing.contract._support import (
    HOUR,
    MISSING_ID,
    T0,
    Board,
    ContractCase,
    Rows,
    UowFactory,
    _id,
    add_cards,
    make_card,
    store_instances,
)


class CardRepositoryContract(ContractCase):
    """``uow.bingo_cards``: cards and cells, checks, updates, completed-line candidates."""

    def test_card_add_assigns_card_and_cell_ids(self, uow_factory: UowFactory, world: Rows) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        with uow_factory() as uow:
            uow.bingo_cards.add(card)
        assert card.id is not None
        assert all(cell.id is not None for cell in card.cells)
        assert len({cell.id for cell in card.cells}) == 9
        assert {cell.bingo_card_id for cell in card.cells} == {card.id}

    def test_card_reads_back_with_cells_in_idx_order(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        card = make_card(
            world.user_ids[0],
            world.definition_ids,
            order=[8, 3, 0, 4, 1, 7, 2, 6, 5],
            period_id=7,
            start_time=T0,
            issuance_month="2026-05",
            expiry=T0 + HOUR,
            bingo_reward_claimed=True,
        )
        with uow_factory() as uow:
            uow.bingo_cards.add(card)
            uow.commit()
        expected = attrs.evolve(card, cells=sorted(card.cells, key=lambda c: c.idx))
        with uow_factory() as uow:
            assert uow.bingo_cards.get(_id(card)) == expected

    def test_card_cell_state_reads_back(self, uow_factory: UowFactory, world: Rows) -> None:
        instances = store_instances(uow_factory, world.user_ids[0], world.definition_ids[0])
        card = make_card(world.user_ids[0], world.definition_ids, unlocked={0: _id(instances[0])})
        with uow_factory() as uow:
            uow.bingo_cards.add(card)
            uow.commit()
        with uow_factory() as uow:
            stored = uow.bingo_cards.get(_id(card))
        assert stored is not None
        cell = stored.cell_at(0)
        assert cell is not None
        assert cell.state == CELL_UNLOCKED
        assert cell.unlocked_at == T0
        assert cell.matched_nft_instance_id == instances[0].id
        assert cell.definition_id == world.definition_ids[0]

    def test_card_add_many_stores_every_card(self, uow_factory: UowFactory, world: Rows) -> None:
        cards = [make_card(user_id, world.definition_ids) for user_id in world.user_ids]
        with uow_factory() as uow:
            uow.bingo_cards.add_many(cards)
            uow.commit()
        with uow_factory() as uow:
            assert uow.bingo_cards.list() == cards
        cell_ids = [cell.id for card in cards for cell in card.cells]
        assert len(set(cell_ids)) == 27

    def test_card_lists_by_user(self, uow_factory: UowFactory, world: Rows) -> None:
        u0, u1, u2 = world.user_ids
        ids = world.definition_ids
        a = make_card(u0, ids)
        b = make_card(u1, ids)
        c = make_card(u0, ids[1:] + ids[:1])
        with uow_factory() as uow:
            uow.bingo_cards.add_many([a, b, c])
            uow.commit()
        with uow_factory() as uow:
            assert uow.bingo_cards.list_for_user(u0) == [a, c]
            assert uow.bingo_cards.list_for_user(u2) == []
            assert uow.bingo_cards.list_for_users([u1, u0]) == [a, b, c]
            assert uow.bingo_cards.list_for_users([]) == []

    def test_card_user_and_centre_are_unique(self, uow_factory: UowFactory, world: Rows) -> None:
        ids = world.definition_ids
        with uow_factory() as uow:
            uow.bingo_cards.add(make_card(world.user_ids[0], ids))
            second = make_card(world.user_ids[0], [ids[9], *ids[1:9]])
            assert second.center_definition_id == ids[4]
            with pytest.raises(ConflictError):
                uow.bingo_cards.add(second)

    def test_card_add_many_refuses_a_key_taken_within_the_batch(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        ids = world.definition_ids
        batch = [make_card(world.user_ids[1], ids), make_card(world.user_ids[0], ids)]
        batch.append(make_card(world.user_ids[0], ids))
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.bingo_cards.add_many(batch)
        with uow_factory() as uow:
            assert uow.bingo_cards.list() == []

    def test_card_cell_idx_is_unique_within_a_card(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        card.cells[8].idx = 0
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.bingo_cards.add(card)

    def test_card_cell_target_is_unique_within_a_card(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        card.cells[8].target_definition_id = card.cells[0].target_definition_id
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.bingo_cards.add(card)

    @pytest.mark.parametrize("idx", [-1, 9])
    def test_card_cell_idx_check_refuses_out_of_range(
        self, uow_factory: UowFactory, world: Rows, idx: int
    ) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        card.cells[8].idx = idx
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.bingo_cards.add(card)

    @pytest.mark.parametrize(
        ("state", "unlocked_at"), [(CELL_UNLOCKED, None), (CELL_LOCKED, T0), ("open", None)]
    )
    def test_card_cell_state_check_refuses_inconsistent_cells(
        self, uow_factory: UowFactory, world: Rows, state: str, unlocked_at: datetime | None
    ) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        card.cells[3].state = state
        card.cells[3].unlocked_at = unlocked_at
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.bingo_cards.add(card)

    @pytest.mark.parametrize(
        ("state", "completed_at"),
        [(CARD_COMPLETED, None), (CARD_ACTIVE, T0), (CARD_EXPIRED, T0), ("done", None)],
    )
    def test_card_state_check_refuses_inconsistent_cards(
        self, uow_factory: UowFactory, world: Rows, state: str, completed_at: datetime | None
    ) -> None:
        card = make_card(
            world.user_ids[0], world.definition_ids, state=state, completed_at=completed_at
        )
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.bingo_cards.add(card)

    @pytest.mark.parametrize("field", ["user_id", "center_definition_id"])
    def test_card_references_must_exist(
        self, uow_factory: UowFactory, world: Rows, field: str
    ) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        setattr(card, field, MISSING_ID)
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.bingo_cards.add(card)

    @pytest.mark.parametrize("field", ["target_definition_id", "definition_id", "matched"])
    def test_card_cell_references_must_exist(
        self, uow_factory: UowFactory, world: Rows, field: str
    ) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        cell = card.cells[2]
        if field == "matched":
            cell.unlock(MISSING_ID, cell.target_definition_id, T0)
        else:
            setattr(cell, field, MISSING_ID)
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.bingo_cards.add(card)

    def test_card_update_persists_card_and_cells(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        (instance,) = store_instances(uow_factory, world.user_ids[0], world.definition_ids[4])
        card = make_card(world.user_ids[0], world.definition_ids)
        with uow_factory() as uow:
            uow.bingo_cards.add(card)
            uow.commit()
        centre = card.cell_at(4)
        assert centre is not None
        centre.unlock(instance.id, world.definition_ids[4], T0 + HOUR)
        card.bingo_reward_claimed = True
        card.expiry = T0 + 2 * HOUR
        with uow_factory() as uow:
            uow.bingo_cards.update(card)
            uow.commit()
        with uow_factory() as uow:
            assert uow.bingo_cards.get(_id(card)) == card

    def test_card_update_to_completed_persists(self, uow_factory: UowFactory, world: Rows) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        with uow_factory() as uow:
            uow.bingo_cards.add(card)
            uow.commit()
        for cell in card.cells:
            cell.unlock(None, cell.target_definition_id, T0)
        card.state, card.completed_at = CARD_COMPLETED, T0
        with uow_factory() as uow:
            uow.bingo_cards.update_many([card])
            uow.commit()
        with uow_factory() as uow:
            stored = uow.bingo_cards.get(_id(card))
        assert stored is not None
        assert stored.state == CARD_COMPLETED
        assert stored.is_full

    def test_card_update_keeps_the_checks(self, uow_factory: UowFactory, world: Rows) -> None:
        card = make_card(world.user_ids[0], world.definition_ids)
        with uow_factory() as uow:
            uow.bingo_cards.add(card)
            uow.commit()
        card.state = CARD_COMPLETED
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.bingo_cards.update(card)

    def test_card_update_of_an_unstored_card_is_not_found(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        card = make_card(world.user_ids[0], world.definition_ids, id=MISSING_ID)
        with uow_factory() as uow, pytest.raises(NotFoundError):
            uow.bingo_cards.update(card)

    def test_candidates_are_the_matched_instances_of_a_completed_line(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        board = Board(uow_factory, world, 0)
        add_cards(
            uow_factory, make_card(board.user_id, board.targets, unlocked=board.ids([2, 0, 1]))
        )
        with uow_factory() as uow:
            found = uow.bingo_cards.completed_line_candidates(T0)
        assert found == [board.candidate(0), board.candidate(1), board.candidate(2)]

    def test_candidates_ignore_incomplete_lines(self, uow_factory: UowFactory, world: Rows) -> None:
        board = Board(uow_factory, world, 0)
        opened = board.ids([0, 1, 3, 5, 7])
        add_cards(uow_factory, make_card(board.user_id, board.targets, unlocked=opened))
        with uow_factory() as uow:
            assert uow.bingo_cards.completed_line_candidates(T0) == []

    def test_candidates_are_deduplicated_across_lines(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        board = Board(uow_factory, world, 0)
        opened = board.ids([0, 1, 2, 3, 6])
        add_cards(uow_factory, make_card(board.user_id, board.targets, unlocked=opened))
        with uow_factory() as uow:
            found = uow.bingo_cards.completed_line_candidates(T0)
        assert found == [board.candidate(i) for i in (0, 1, 2, 3, 6)]

    def test_candidates_are_deduplicated_across_cards(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        board = Board(uow_factory, world, 0)
        shared = board.instances[0]
        first = make_card(board.user_id, board.targets, unlocked=board.ids([0, 1, 2]))
        rotated = board.targets[4:] + board.targets[:4]
        second = make_card(
            board.user_id,
            rotated,
            unlocked={6: _id(shared), 7: _id(board.instances[1]), 8: _id(board.instances[2])},
        )
        add_cards(uow_factory, first, second)
        with uow_factory() as uow:
            found = uow.bingo_cards.completed_line_candidates(T0)
        assert found == [board.candidate(0), board.candidate(1), board.candidate(2)]

    def test_candidates_skip_unlocked_cells_without_a_match(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        board = Board(uow_factory, world, 0)
        opened: dict[int, int | None] = {**board.ids([3, 5]), 4: None}
        add_cards(uow_factory, make_card(board.user_id, board.targets, unlocked=opened))
        with uow_factory() as uow:
            found = uow.bingo_cards.completed_line_candidates(T0)
        assert found == [board.candidate(3), board.candidate(5)]

    def test_candidates_include_completed_cards(self, uow_factory: UowFactory, world: Rows) -> None:
        board = Board(uow_factory, world, 0)
        card = make_card(
            board.user_id,
            board.targets,
            unlocked=board.ids(range(9)),
            state=CARD_COMPLETED,
            completed_at=T0 - HOUR,
            expiry=T0 - HOUR,
        )
        add_cards(uow_factory, card)
        with uow_factory() as uow:
            found = uow.bingo_cards.completed_line_candidates(T0)
        assert found == [board.candidate(i) for i in range(9)]

    def test_candidates_exclude_stored_expired_cards(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        board = Board(uow_factory, world, 0)
        card = make_card(
            board.user_id, board.targets, unlocked=board.ids([0, 1, 2]), state=CARD_EXPIRED
        )
        add_cards(uow_factory, card)
        with uow_factory() as uow:
            assert uow.bingo_cards.completed_line_candidates(T0) == []

    def test_candidates_exclude_active_cards_past_their_expiry(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        board = Board(uow_factory, world, 0)
        card = make_card(board.user_id, board.targets, unlocked=board.ids([0, 1, 2]), expiry=T0)
        add_cards(uow_factory, card)
        with uow_factory() as uow:
            assert uow.bingo_cards.completed_line_candidates(T0) == []
            before = uow.bingo_cards.completed_line_candidates(T0 - timedelta(microseconds=1))
        assert [c.instance_id for c in before] == [_id(board.instances[i]) for i in (0, 1, 2)]

    def test_candidates_include_ineligible_instances(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        user_id = world.user_ids[0]
        targets = world.definition_ids
        gone = store_instances(uow_factory, user_id, targets[0], status=INSTANCE_TRANSFERRED)[0]
        bare = store_instances(uow_factory, user_id, targets[1], nft_origin=None)[0]
        fine = store_instances(uow_factory, user_id, targets[2])[0]
        opened: dict[int, int | None] = {0: _id(gone), 1: _id(bare), 2: _id(fine)}
        add_cards(uow_factory, make_card(user_id, targets, unlocked=opened))
        with uow_factory() as uow:
            found = uow.bingo_cards.completed_line_candidates(T0)
        assert [(c.instance_id, c.status, c.nft_origin) for c in found] == [
            (_id(gone), INSTANCE_TRANSFERRED, gone.nft_origin),
            (_id(bare), INSTANCE_SUCCEEDED, None),
            (_id(fine), INSTANCE_SUCCEEDED, fine.nft_origin),
        ]
        assert [c.is_draw_eligible for c in found] == [False, False, True]

    def test_candidates_cover_every_user_in_ascending_id(
        self, uow_factory: UowFactory, world: Rows
    ) -> None:
        first = Board(uow_factory, world, 0)
        second = Board(uow_factory, world, 1)
        add_cards(
            uow_factory,
            make_card(second.user_id, second.targets, unlocked=second.ids([0, 4, 8])),
            make_card(first.user_id, first.targets, unlocked=first.ids([2, 5, 8])),
        )
        with uow_factory() as uow:
            found = uow.bingo_cards.completed_line_candidates(T0)
        expected = sorted(
            [first.candidate(i) for i in (2, 5, 8)] + [second.candidate(i) for i in (0, 4, 8)],
            key=lambda c: c.instance_id,
        )
        assert found == expected
