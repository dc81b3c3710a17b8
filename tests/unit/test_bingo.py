"""Bingo rules of domain-rules.md §5: lines, layout, unlocking, completion, expiry, eligibility."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.domain.bingo import (
    apply_completion,
    bingo_candidate_ids,
    completed_line_instance_ids,
    earliest_issued,
    expire_if_due,
    held_by_definition,
    layout_card,
    unlock_for_instance,
    unlock_held,
)
from nictbw.domain.entities import (
    CARD_ACTIVE,
    CARD_COMPLETED,
    CARD_EXPIRED,
    CELL_LOCKED,
    CELL_UNLOCKED,
    DEFINITION_ACTIVE,
    DEFINITION_INACTIVE,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    BingoCard,
    BingoCell,
    NFTDefinition,
    NFTInstance,
)
from nictbw.domain.errors import ValidationError

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


# --------------------------------------------------------------------------- helpers


def definition(
    id_: int | None,
    *,
    status: str = DEFINITION_ACTIVE,
    candidate: bool = True,
    lifetime: int | None = None,
) -> NFTDefinition:
    return NFTDefinition(
        id=id_,
        prefix=f"DEF{id_}",
        shared_key=f"key-{id_}",
        name=f"Definition {id_}",
        status=status,
        bingo_random_candidate=candidate,
        card_lifetime_seconds=lifetime,
    )


def catalogue(ids: Iterable[int]) -> list[NFTDefinition]:
    return [definition(i) for i in ids]


def instance(
    id_: int | None,
    definition_id: int,
    *,
    serial: int = 0,
    status: str = INSTANCE_SUCCEEDED,
    user_id: int = 1,
) -> NFTInstance:
    return NFTInstance(
        id=id_,
        user_id=user_id,
        definition_id=definition_id,
        serial_number=serial,
        unique_instance_id=f"DEF{definition_id}-{id_:012d}" if id_ is not None else "DEF-x",
        status=status,
    )


def card_with_targets(
    targets: list[int],
    *,
    unlocked: Iterable[int] = (),
    matched: Mapping[int, int | None] | None = None,
    state: str = CARD_ACTIVE,
    expiry: datetime | None = None,
) -> BingoCard:
    """A card whose cell idx i targets ``targets[i]``; ``unlocked`` idx start unlocked."""
    matched = matched or {}
    cells = []
    for idx, target in enumerate(targets):
        cell = BingoCell(idx=idx, target_definition_id=target)
        if idx in set(unlocked):
            cell.unlock(matched.get(idx, 1000 + idx), target, NOW)
        cells.append(cell)
    return BingoCard(
        user_id=1,
        center_definition_id=targets[4],
        state=state,
        expiry=expiry,
        completed_at=NOW if state == CARD_COMPLETED else None,
        cells=cells,
    )


TARGETS = [10, 11, 12, 13, 1, 15, 16, 17, 18]


def brute_force_lines(unlocked: set[int]) -> list[tuple[int, int, int]]:
    """Completed lines from grid geometry: rows, columns, diagonal, anti-diagonal (§5.1)."""
    filled = {divmod(idx, 3) for idx in unlocked}
    rows = [[(r, c) for c in range(3)] for r in range(3)]
    columns = [[(r, c) for r in range(3)] for c in range(3)]
    diagonal = [(i, i) for i in range(3)]
    anti_diagonal = [(i, 2 - i) for i in range(3)]
    lines = [*rows, *columns, diagonal, anti_diagonal]
    result = []
    for line in lines:
        if all(point in filled for point in line):
            a, b, c = (3 * r + col for r, col in line)
            result.append((a, b, c))
    return result


def card_from(present: Iterable[int], unlocked: set[int], order: list[int]) -> BingoCard:
    """A card holding cells for ``present`` idx, listed in ``order``."""
    present_set = set(present)
    cells = []
    for idx in order:
        if idx not in present_set:
            continue
        cell = BingoCell(idx=idx, target_definition_id=100 + idx)
        if idx in unlocked:
            cell.unlock(None, 100 + idx, NOW)
        cells.append(cell)
    return BingoCard(user_id=1, center_definition_id=104, cells=cells)


# --------------------------------------------------------------------------- §5.1 lines


def test_completed_lines_equal_brute_force_for_all_512_subsets() -> None:
    shuffler = random.Random(7)
    for bits in itertools.product((False, True), repeat=9):
        unlocked = {idx for idx, on in enumerate(bits) if on}
        expected = brute_force_lines(unlocked)
        in_order = card_from(range(9), unlocked, list(range(9)))
        shuffled_order = list(range(9))
        shuffler.shuffle(shuffled_order)
        shuffled = card_from(range(9), unlocked, shuffled_order)
        reversed_card = card_from(range(9), unlocked, list(reversed(range(9))))
        assert in_order.completed_lines() == expected, unlocked
        assert shuffled.completed_lines() == expected, (unlocked, shuffled_order)
        assert reversed_card.completed_lines() == expected, unlocked


@settings(max_examples=200)
@given(
    order=st.permutations(list(range(9))),
    unlocked=st.sets(st.integers(min_value=0, max_value=8)),
)
def test_completed_lines_read_cells_by_idx_not_list_position(
    order: list[int], unlocked: set[int]
) -> None:
    card = card_from(range(9), unlocked, order)
    assert card.completed_lines() == brute_force_lines(unlocked)


@settings(max_examples=200)
@given(
    order=st.permutations(list(range(9))),
    present=st.sets(st.integers(min_value=0, max_value=8)),
    unlocked=st.sets(st.integers(min_value=0, max_value=8)),
)
def test_missing_cells_make_their_lines_incomplete(
    order: list[int], present: set[int], unlocked: set[int]
) -> None:
    card = card_from(present, unlocked, order)
    assert card.completed_lines() == brute_force_lines(present & unlocked)


def test_winning_lines_are_the_eight_lines_in_rule_order() -> None:
    assert BingoCard.winning_lines == (
        (0, 1, 2),
        (3, 4, 5),
        (6, 7, 8),
        (0, 3, 6),
        (1, 4, 7),
        (2, 5, 8),
        (0, 4, 8),
        (2, 4, 6),
    )


# --------------------------------------------------------------------------- §5.2 candidates


def test_candidates_are_active_random_candidates_without_centre_sorted() -> None:
    defs = [
        definition(9),
        definition(3),
        definition(1),
        definition(5, status=DEFINITION_INACTIVE),
        definition(7, candidate=False),
        definition(None),
        definition(2),
    ]
    assert bingo_candidate_ids(defs, 1) == [2, 3, 9]


def test_candidates_respect_excluded_and_included() -> None:
    defs = catalogue(range(1, 12))
    assert bingo_candidate_ids(defs, 1, excluded={2, 3}) == list(range(4, 12))
    assert bingo_candidate_ids(defs, 1, included={1, 2, 5, 99}) == [2, 5]
    assert bingo_candidate_ids(defs, 1, included={2, 5}, excluded={5}) == [2]


def test_empty_included_leaves_no_candidates() -> None:
    assert bingo_candidate_ids(catalogue(range(1, 12)), 1, included=set()) == []


# --------------------------------------------------------------------------- §5.2 layout


def test_layout_follows_the_worked_example() -> None:
    card = layout_card(
        random.Random(42),
        user_id=5,
        center=definition(1),
        definitions=catalogue(range(1, 12)),
        held={},
        now=NOW,
    )
    assert [c.idx for c in card.cells] == list(range(9))
    assert [c.target_definition_id for c in card.cells] == [8, 4, 2, 7, 1, 10, 6, 11, 3]


def test_layout_uses_exactly_one_sample_and_one_shuffle_of_the_rng() -> None:
    rng = random.Random(42)
    layout_card(
        rng,
        user_id=5,
        center=definition(1),
        definitions=catalogue(range(1, 12)),
        held={},
        now=NOW,
    )
    reference = random.Random(42)
    reference.sample(list(range(2, 12)), 8)
    reference.shuffle([0, 1, 2, 3, 5, 6, 7, 8])
    assert rng.getstate() == reference.getstate()


def test_layout_gives_a_new_active_card_with_unstored_locked_cells() -> None:
    card = layout_card(
        random.Random(1),
        user_id=5,
        center=definition(1),
        definitions=catalogue(range(1, 12)),
        held={},
        now=NOW,
    )
    assert card.id is None
    assert card.user_id == 5
    assert card.center_definition_id == 1
    assert card.state == CARD_ACTIVE
    assert card.issued_at == NOW
    assert card.expiry is None
    assert card.completed_at is None
    assert (card.period_id, card.start_time, card.issuance_month) == (None, None, None)
    for cell in card.cells:
        assert (cell.id, cell.bingo_card_id) == (None, None)
        assert cell.state == CELL_LOCKED
        assert (cell.definition_id, cell.matched_nft_instance_id, cell.unlocked_at) == (
            None,
            None,
            None,
        )


def test_layout_sets_expiry_from_the_centre_lifetime() -> None:
    card = layout_card(
        random.Random(1),
        user_id=5,
        center=definition(1, lifetime=3600),
        definitions=catalogue(range(1, 12)),
        held={},
        now=NOW,
    )
    assert card.expiry == NOW + timedelta(seconds=3600)


def test_layout_converts_other_offsets_to_utc() -> None:
    tokyo = NOW.astimezone(timezone(timedelta(hours=9)))
    card = layout_card(
        random.Random(1),
        user_id=5,
        center=definition(1),
        definitions=catalogue(range(1, 12)),
        held={},
        now=tokyo,
    )
    assert card.issued_at == NOW
    assert card.issued_at is not None
    assert card.issued_at.utcoffset() == timedelta(0)


def test_layout_refuses_a_naive_now() -> None:
    with pytest.raises(ValidationError, match="naive"):
        layout_card(
            random.Random(1),
            user_id=5,
            center=definition(1),
            definitions=catalogue(range(1, 12)),
            held={},
            now=datetime(2026, 5, 1, 9, 0),
        )


def test_layout_refuses_an_unstored_centre() -> None:
    with pytest.raises(ValidationError, match="DEFNone"):
        layout_card(
            random.Random(1),
            user_id=5,
            center=definition(None),
            definitions=catalogue(range(1, 12)),
            held={},
            now=NOW,
        )


def test_fewer_than_eight_candidates_is_an_error_naming_prefix_and_count() -> None:
    defs = [*catalogue(range(1, 9)), definition(20, status=DEFINITION_INACTIVE)]
    with pytest.raises(ValidationError, match=r"'DEF1'.*\b7 candidate"):
        layout_card(
            random.Random(1), user_id=5, center=definition(1), definitions=defs, held={}, now=NOW
        )


def test_fewer_than_eight_candidates_leaves_the_rng_untouched() -> None:
    rng = random.Random(3)
    before = rng.getstate()
    with pytest.raises(ValidationError):
        layout_card(
            rng,
            user_id=5,
            center=definition(1),
            definitions=catalogue(range(1, 5)),
            held={},
            now=NOW,
        )
    assert rng.getstate() == before


@settings(max_examples=100)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_inactive_and_non_candidate_definitions_are_never_chosen(seed: int) -> None:
    good = catalogue(range(2, 10))
    bad = [
        *(definition(i, status=DEFINITION_INACTIVE) for i in range(20, 25)),
        *(definition(i, candidate=False) for i in range(30, 35)),
    ]
    card = layout_card(
        random.Random(seed),
        user_id=5,
        center=definition(1),
        definitions=[*bad, *good],
        held={},
        now=NOW,
    )
    outer = {c.target_definition_id for c in card.cells if c.idx != 4}
    assert outer == set(range(2, 10))


def test_inactive_centre_still_centres_its_card() -> None:
    center = definition(1, status=DEFINITION_INACTIVE)
    card = layout_card(
        random.Random(1),
        user_id=5,
        center=center,
        definitions=[center, *catalogue(range(2, 10))],
        held={},
        now=NOW,
    )
    centre = card.cell_at(4)
    assert centre is not None
    assert centre.target_definition_id == 1


catalogue_entries = st.lists(
    st.tuples(st.booleans(), st.booleans()),  # (active, random candidate)
    min_size=6,
    max_size=24,
)


@settings(max_examples=150)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    flags=catalogue_entries,
    excluded=st.sets(st.integers(min_value=1, max_value=30), max_size=6),
    included=st.none() | st.sets(st.integers(min_value=1, max_value=30), min_size=4),
)
def test_layout_property(
    seed: int,
    flags: list[tuple[bool, bool]],
    excluded: set[int],
    included: set[int] | None,
) -> None:
    center = definition(1)
    defs = [center] + [
        definition(
            i + 2,
            status=DEFINITION_ACTIVE if active else DEFINITION_INACTIVE,
            candidate=candidate,
        )
        for i, (active, candidate) in enumerate(flags)
    ]
    allowed = {
        d.id
        for d in defs[1:]
        if d.status == DEFINITION_ACTIVE
        and d.bingo_random_candidate
        and d.id not in excluded
        and (included is None or d.id in included)
    }

    def make() -> BingoCard:
        return layout_card(
            random.Random(seed),
            user_id=5,
            center=center,
            definitions=defs,
            held={},
            now=NOW,
            included=included,
            excluded=excluded,
        )

    if len(allowed) < 8:
        with pytest.raises(ValidationError, match=f"{len(allowed)} candidate"):
            make()
        return
    card = make()
    targets = [c.target_definition_id for c in card.cells]
    assert [c.idx for c in card.cells] == list(range(9))
    assert len(set(targets)) == 9
    assert targets[4] == 1
    assert set(targets) - {1} <= allowed
    assert make() == card


# --------------------------------------------------------------------------- pre-unlocking


def test_layout_pre_unlocks_cells_the_user_holds_including_the_centre() -> None:
    held = {1: instance(50, 1), 8: instance(51, 8), 11: instance(52, 11)}
    card = layout_card(
        random.Random(42),
        user_id=1,
        center=definition(1),
        definitions=catalogue(range(1, 12)),
        held=held,
        now=NOW,
    )
    by_target = {c.target_definition_id: c for c in card.cells}
    for target, inst in held.items():
        cell = by_target[target]
        assert cell.state == CELL_UNLOCKED
        assert cell.definition_id == target
        assert cell.matched_nft_instance_id == inst.id
        assert cell.unlocked_at == NOW
    locked = [c for c in card.cells if c.target_definition_id not in held]
    assert all(c.state == CELL_LOCKED and c.unlocked_at is None for c in locked)
    assert card.state == CARD_ACTIVE


def test_layout_does_not_pre_unlock_with_a_transferred_instance() -> None:
    card = layout_card(
        random.Random(42),
        user_id=1,
        center=definition(1),
        definitions=catalogue(range(1, 12)),
        held={1: instance(50, 1, status=INSTANCE_TRANSFERRED)},
        now=NOW,
    )
    assert all(c.state == CELL_LOCKED for c in card.cells)


def test_layout_completes_a_card_fully_unlocked_at_generation() -> None:
    defs = catalogue(range(1, 10))
    held = {d.id: instance(100 + i, d.id) for i, d in enumerate(defs) if d.id is not None}
    card = layout_card(
        random.Random(9),
        user_id=1,
        center=defs[0],
        definitions=defs,
        held=held,
        now=NOW,
    )
    assert card.state == CARD_COMPLETED
    assert card.completed_at == NOW


def test_layout_with_eight_of_nine_held_stays_active() -> None:
    defs = catalogue(range(1, 10))
    held = {i: instance(100 + i, i) for i in range(1, 9)}
    card = layout_card(
        random.Random(9), user_id=1, center=defs[0], definitions=defs, held=held, now=NOW
    )
    assert card.state == CARD_ACTIVE
    assert card.completed_at is None


# --------------------------------------------------------------------------- instances


def test_earliest_issued_is_lowest_serial_then_lowest_id() -> None:
    a = instance(7, 3, serial=2)
    b = instance(9, 3, serial=1)
    c = instance(4, 3, serial=1)
    assert earliest_issued([a, b, c]) is c
    assert earliest_issued([]) is None


def test_held_by_definition_keeps_the_earliest_succeeded_instance() -> None:
    first_transferred = instance(1, 3, serial=0, status=INSTANCE_TRANSFERRED)
    second = instance(5, 3, serial=2)
    third = instance(2, 3, serial=3)
    other = instance(8, 4, serial=0)
    gone = instance(9, 6, serial=0, status=INSTANCE_TRANSFERRED)
    held = held_by_definition([third, first_transferred, other, second, gone])
    assert held == {3: second, 4: other}


# --------------------------------------------------------------------------- effective state


def test_effective_state_of_an_active_card_past_expiry_is_expired() -> None:
    card = card_with_targets(TARGETS, expiry=NOW)
    assert card.effective_state(NOW - timedelta(microseconds=1)) == CARD_ACTIVE
    assert card.effective_state(NOW) == CARD_EXPIRED
    assert card.effective_state(None) == CARD_ACTIVE
    assert card.state == CARD_ACTIVE


def test_effective_state_of_a_completed_card_never_expires() -> None:
    card = card_with_targets(TARGETS, unlocked=range(9), state=CARD_COMPLETED, expiry=NOW)
    assert card.effective_state(LATER) == CARD_COMPLETED


# --------------------------------------------------------------------------- completion


def test_apply_completion_completes_an_active_full_card() -> None:
    card = card_with_targets(TARGETS, unlocked=range(9))
    assert apply_completion(card, LATER) is True
    assert card.state == CARD_COMPLETED
    assert card.completed_at == LATER


def test_apply_completion_needs_all_nine_cells() -> None:
    card = card_with_targets(TARGETS, unlocked=range(8))
    assert card.completed_lines()  # lines are complete, the card is not
    assert apply_completion(card, LATER) is False
    assert card.state == CARD_ACTIVE
    assert card.completed_at is None


def test_apply_completion_leaves_a_completed_card_alone() -> None:
    card = card_with_targets(TARGETS, unlocked=range(9), state=CARD_COMPLETED)
    assert apply_completion(card, LATER) is False
    assert card.completed_at == NOW


def test_apply_completion_never_completes_an_expired_card() -> None:
    card = card_with_targets(TARGETS, unlocked=range(9), expiry=NOW)
    assert apply_completion(card, LATER) is False
    assert card.state == CARD_ACTIVE


# --------------------------------------------------------------------------- expiry


def test_expire_if_due_stores_expired_at_the_expiry_instant() -> None:
    card = card_with_targets(TARGETS, expiry=LATER)
    assert expire_if_due(card, NOW) is False
    assert card.state == CARD_ACTIVE
    assert expire_if_due(card, LATER) is True
    assert card.state == CARD_EXPIRED
    assert expire_if_due(card, LATER) is False


def test_expire_if_due_leaves_completed_cards_and_cards_without_expiry() -> None:
    completed = card_with_targets(TARGETS, unlocked=range(9), state=CARD_COMPLETED, expiry=NOW)
    endless = card_with_targets(TARGETS)
    assert expire_if_due(completed, LATER) is False
    assert expire_if_due(endless, LATER) is False
    assert (completed.state, endless.state) == (CARD_COMPLETED, CARD_ACTIVE)


# --------------------------------------------------------------------------- unlocking


def test_unlock_for_instance_unlocks_the_cells_targeting_its_definition() -> None:
    card = card_with_targets(TARGETS)
    got = instance(77, 12)
    assert unlock_for_instance(card, got, LATER) == 1
    cell = card.cell_at(2)
    assert cell is not None
    assert cell.state == CELL_UNLOCKED
    assert cell.definition_id == 12
    assert cell.matched_nft_instance_id == 77
    assert cell.unlocked_at == LATER
    assert sum(c.is_unlocked for c in card.cells) == 1


def test_unlock_for_instance_of_an_untargeted_definition_unlocks_nothing() -> None:
    card = card_with_targets(TARGETS)
    assert unlock_for_instance(card, instance(77, 99), LATER) == 0
    assert not any(c.is_unlocked for c in card.cells)


def test_unlock_never_rematches_an_unlocked_cell() -> None:
    card = card_with_targets(TARGETS, unlocked=[2], matched={2: 5})
    assert unlock_for_instance(card, instance(77, 12), LATER) == 0
    cell = card.cell_at(2)
    assert cell is not None
    assert (cell.matched_nft_instance_id, cell.unlocked_at) == (5, NOW)


def test_unlock_for_a_transferred_instance_unlocks_nothing() -> None:
    card = card_with_targets(TARGETS)
    assert unlock_for_instance(card, instance(77, 12, status=INSTANCE_TRANSFERRED), LATER) == 0
    assert not any(c.is_unlocked for c in card.cells)


def test_expired_card_unlocks_nothing() -> None:
    card = card_with_targets(TARGETS, expiry=NOW)
    assert unlock_for_instance(card, instance(77, 12), LATER) == 0
    assert unlock_held(card, {12: instance(77, 12), 13: instance(78, 13)}, LATER) == 0
    assert not any(c.is_unlocked for c in card.cells)


def test_stored_expired_card_unlocks_nothing() -> None:
    card = card_with_targets(TARGETS, state=CARD_EXPIRED)
    assert unlock_for_instance(card, instance(77, 12), LATER) == 0
    assert not any(c.is_unlocked for c in card.cells)


def test_completed_card_unlocks_nothing() -> None:
    card = card_with_targets(TARGETS, unlocked=range(9), state=CARD_COMPLETED)
    assert unlock_for_instance(card, instance(77, 12), LATER) == 0


def test_unlocking_the_last_cell_completes_the_card() -> None:
    card = card_with_targets(TARGETS, unlocked=[0, 1, 3, 4, 5, 6, 7, 8])
    assert unlock_for_instance(card, instance(77, 12), LATER) == 1
    assert card.state == CARD_COMPLETED
    assert card.completed_at == LATER


def test_unlock_held_unlocks_every_held_target_and_completes() -> None:
    card = card_with_targets(TARGETS, unlocked=[4])
    held = {t: instance(200 + t, t) for t in TARGETS}
    held[99] = instance(299, 99)
    assert unlock_held(card, held, LATER) == 8
    assert card.state == CARD_COMPLETED
    assert card.completed_at == LATER
    centre = card.cell_at(4)
    assert centre is not None
    assert centre.matched_nft_instance_id == 1004
    for cell in card.cells:
        if cell.idx != 4:
            assert cell.matched_nft_instance_id == 200 + cell.target_definition_id


def test_unlock_held_skips_transferred_instances() -> None:
    card = card_with_targets(TARGETS)
    held = {12: instance(77, 12, status=INSTANCE_TRANSFERRED), 13: instance(78, 13)}
    assert unlock_held(card, held, LATER) == 1
    assert [c.idx for c in card.cells if c.is_unlocked] == [3]


# --------------------------------------------------------------------------- §5.6 eligibility


def test_completed_line_instance_ids_are_deduplicated_and_ascending() -> None:
    # top row and left column share idx 0 (instance 30); a second card repeats instance 31.
    first = card_with_targets(
        TARGETS, unlocked=[0, 1, 2, 3, 6], matched={0: 30, 1: 31, 2: 32, 3: 33, 6: 34}
    )
    second = card_with_targets(TARGETS, unlocked=[6, 7, 8], matched={6: 31, 7: 40, 8: 20})
    assert completed_line_instance_ids([second, first], NOW) == [20, 30, 31, 32, 33, 34, 40]


def test_completed_line_instance_ids_ignore_cells_off_completed_lines() -> None:
    card = card_with_targets(TARGETS, unlocked=[0, 1, 5], matched={0: 1, 1: 2, 5: 3})
    assert completed_line_instance_ids([card], NOW) == []


def test_completed_line_instance_ids_skip_unmatched_cells() -> None:
    card = card_with_targets(TARGETS, unlocked=[0, 1, 2], matched={0: 5, 1: None, 2: 6})
    assert completed_line_instance_ids([card], NOW) == [5, 6]


def test_completed_line_instance_ids_include_completed_cards() -> None:
    matched = {i: 10 + i for i in range(9)}
    card = card_with_targets(
        TARGETS, unlocked=range(9), matched=matched, state=CARD_COMPLETED, expiry=NOW
    )
    assert completed_line_instance_ids([card], LATER) == list(range(10, 19))


def test_expired_cards_feed_no_draw() -> None:
    stored = card_with_targets(TARGETS, unlocked=[0, 1, 2], state=CARD_EXPIRED)
    effective = card_with_targets(TARGETS, unlocked=[3, 4, 5], expiry=LATER)
    assert completed_line_instance_ids([stored, effective], LATER) == []
    assert completed_line_instance_ids([effective], NOW) == [1003, 1004, 1005]
