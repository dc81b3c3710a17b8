"""The draw type, winning number and draw result repository contracts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from nictbw.domain.entities import OUTCOME_LOSE, OUTCOME_PENDING, OUTCOME_WIN
from nictbw.domain.errors import ConflictError, ValidationError
from nictbw.testing.contract._support import (
    HOUR,
    MISSING_ID,
    T0,
    ContractCase,
    Draws,
    Rows,
    UowFactory,
    _id,
    _latest,
    _scores,
    make_draw_type,
    make_result,
    make_winning_number,
    store_instances,
    stored_results,
)


class DrawTypeRepositoryContract(ContractCase):
    """``uow.draw_types``: round trip, unique name, threshold checks."""

    def test_draw_type_reads_back_and_is_found_by_exact_name(self, uow_factory: UowFactory) -> None:
        draw_type = make_draw_type("Bingo-2026", display_name="ビンゴ", description="d")
        with uow_factory() as uow:
            uow.draw_types.add(draw_type)
            uow.commit()
        with uow_factory() as uow:
            assert uow.draw_types.get(_id(draw_type)) == draw_type
            assert uow.draw_types.get_by_internal_name("Bingo-2026") == draw_type
            assert uow.draw_types.get_by_internal_name("bingo-2026") is None
            assert uow.draw_types.list() == [draw_type]

    def test_draw_type_internal_name_is_unique(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            uow.draw_types.add(make_draw_type("bingo"))
            with pytest.raises(ConflictError):
                uow.draw_types.add(make_draw_type("bingo"))

    @pytest.mark.parametrize("threshold", [-0.01, 1.01, 2.0])
    def test_draw_type_threshold_check_refuses_values_outside_unit_interval(
        self, uow_factory: UowFactory, threshold: float
    ) -> None:
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.draw_types.add(make_draw_type("bingo", default_threshold=threshold))

    @pytest.mark.parametrize("threshold", [0.0, 1.0, None])
    def test_draw_type_threshold_bounds_and_none_are_allowed(
        self, uow_factory: UowFactory, threshold: float | None
    ) -> None:
        draw_type = make_draw_type("bingo", default_threshold=threshold)
        with uow_factory() as uow:
            uow.draw_types.add(draw_type)
            uow.commit()
        with uow_factory() as uow:
            assert uow.draw_types.get(_id(draw_type)) == draw_type


class WinningNumberRepositoryContract(ContractCase):
    """``uow.winning_numbers``: round trip, windows, ``latest_in_effect``."""

    @pytest.fixture
    def draw_type_ids(self, uow_factory: UowFactory) -> tuple[int, int]:
        with uow_factory() as uow:
            first = uow.draw_types.add(make_draw_type("bingo"))
            second = uow.draw_types.add(make_draw_type("attendance"))
            uow.commit()
        return _id(first), _id(second)

    def test_winning_number_reads_back_with_json_metadata(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int]
    ) -> None:
        number = make_winning_number(
            draw_type_ids[0],
            "  ABD ",
            metadata={"source": "抽選会 — 第1回", "n": [1, 2], "flag": False},
            effective_at=T0 - HOUR,
            expires_at=T0 + HOUR,
        )
        with uow_factory() as uow:
            uow.winning_numbers.add(number)
            uow.commit()
        with uow_factory() as uow:
            assert uow.winning_numbers.get(_id(number)) == number

    def test_winning_numbers_list_for_draw_type(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int]
    ) -> None:
        first, second = draw_type_ids
        with uow_factory() as uow:
            a = uow.winning_numbers.add(make_winning_number(first, "a"))
            b = uow.winning_numbers.add(make_winning_number(second, "b"))
            c = uow.winning_numbers.add(make_winning_number(first, "c"))
            uow.commit()
        with uow_factory() as uow:
            assert uow.winning_numbers.list_for_draw_type(first) == [a, c]
            assert uow.winning_numbers.list_for_draw_type(MISSING_ID) == []
            assert uow.winning_numbers.list() == [a, b, c]

    def test_winning_number_draw_type_must_exist(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.winning_numbers.add(make_winning_number(MISSING_ID, "a"))

    @pytest.mark.parametrize("expires_at", [T0, T0 - HOUR])
    def test_winning_number_window_check_needs_expiry_after_start(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int], expires_at: datetime
    ) -> None:
        number = make_winning_number(draw_type_ids[0], "a", effective_at=T0, expires_at=expires_at)
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.winning_numbers.add(number)

    def test_latest_in_effect_is_none_without_numbers(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int]
    ) -> None:
        assert _latest(uow_factory, draw_type_ids[0], T0) is None

    def test_latest_in_effect_prefers_the_newest_created(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int]
    ) -> None:
        first, other = draw_type_ids
        with uow_factory() as uow:
            uow.winning_numbers.add(make_winning_number(first, "newest", created_at=T0 + HOUR))
            uow.winning_numbers.add(make_winning_number(first, "older", created_at=T0))
            uow.winning_numbers.add(make_winning_number(other, "other", created_at=T0 + 2 * HOUR))
            uow.commit()
        assert _latest(uow_factory, first, T0 + 3 * HOUR) == "newest"

    def test_latest_in_effect_breaks_created_ties_by_highest_id(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int]
    ) -> None:
        with uow_factory() as uow:
            uow.winning_numbers.add(make_winning_number(draw_type_ids[0], "first"))
            uow.winning_numbers.add(make_winning_number(draw_type_ids[0], "second"))
            uow.commit()
        assert _latest(uow_factory, draw_type_ids[0], T0) == "second"

    def test_latest_in_effect_uses_half_open_windows(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int]
    ) -> None:
        dt = draw_type_ids[0]
        with uow_factory() as uow:
            uow.winning_numbers.add(make_winning_number(dt, "always", created_at=T0 - 9 * HOUR))
            uow.winning_numbers.add(
                make_winning_number(
                    dt, "window", effective_at=T0, expires_at=T0 + HOUR, created_at=T0 - HOUR
                )
            )
            uow.commit()
        assert _latest(uow_factory, dt, T0 - timedelta(microseconds=1)) == "always"
        assert _latest(uow_factory, dt, T0) == "window"
        assert _latest(uow_factory, dt, T0 + HOUR - timedelta(microseconds=1)) == "window"
        assert _latest(uow_factory, dt, T0 + HOUR) == "always"

    def test_latest_in_effect_ignores_numbers_not_yet_or_no_longer_in_effect(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int]
    ) -> None:
        dt = draw_type_ids[0]
        with uow_factory() as uow:
            uow.winning_numbers.add(make_winning_number(dt, "future", effective_at=T0 + HOUR))
            uow.winning_numbers.add(make_winning_number(dt, "past", expires_at=T0))
            uow.commit()
        assert _latest(uow_factory, dt, T0) is None

    def test_latest_in_effect_accepts_other_offsets(
        self, uow_factory: UowFactory, draw_type_ids: tuple[int, int]
    ) -> None:
        dt = draw_type_ids[0]
        with uow_factory() as uow:
            uow.winning_numbers.add(make_winning_number(dt, "window", effective_at=T0))
            uow.commit()
        tokyo = timezone(timedelta(hours=9))
        assert _latest(uow_factory, dt, T0.astimezone(tokyo)) == "window"
        assert _latest(uow_factory, dt, (T0 - HOUR).astimezone(tokyo)) is None


class DrawResultRepositoryContract(ContractCase):
    """``uow.draw_results``: keys, references, ``upsert_many`` and ``top``."""

    @pytest.fixture
    def draws(self, uow_factory: UowFactory, world: Rows) -> Draws:
        instances = store_instances(
            uow_factory, world.user_ids[0], world.definition_ids[0], count=3
        )
        instances += store_instances(
            uow_factory, world.user_ids[1], world.definition_ids[0], count=3
        )
        with uow_factory() as uow:
            draw_type = uow.draw_types.add(make_draw_type("bingo"))
            numbers = [
                uow.winning_numbers.add(make_winning_number(_id(draw_type), value))
                for value in ("ABD", "XYZ")
            ]
            uow.commit()
        return Draws(instances, _id(draw_type), [_id(n) for n in numbers])

    def test_result_reads_back_field_for_field(self, uow_factory: UowFactory, draws: Draws) -> None:
        result = make_result(
            draws.instances[0], draws.draw_type_id, draws.number_ids[0], 0.7752364105046057
        )
        with uow_factory() as uow:
            uow.draw_results.add(result)
            uow.commit()
        with uow_factory() as uow:
            assert uow.draw_results.get(_id(result)) == result

    def test_results_get_many_by_id(self, uow_factory: UowFactory, draws: Draws) -> None:
        dt, wn = draws.draw_type_id, draws.number_ids[0]
        with uow_factory() as uow:
            added = [uow.draw_results.add(make_result(i, dt, wn, 0.3)) for i in draws.instances]
            uow.commit()
        with uow_factory() as uow:
            found = uow.draw_results.get_many([_id(added[2]), MISSING_ID, _id(added[0])])
        assert found == {_id(added[0]): added[0], _id(added[2]): added[2]}

    def test_result_key_is_unique_per_winning_number(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        instance, dt, wn = draws.instances[0], draws.draw_type_id, draws.number_ids[0]
        with uow_factory() as uow:
            uow.draw_results.add(make_result(instance, dt, wn, 0.1))
            with pytest.raises(ConflictError):
                uow.draw_results.add(make_result(instance, dt, wn, 0.2))

    def test_result_key_without_winning_number_is_unique(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        instance, dt = draws.instances[0], draws.draw_type_id
        with uow_factory() as uow:
            uow.draw_results.add(make_result(instance, dt, None, None))
            with pytest.raises(ConflictError):
                uow.draw_results.add(make_result(instance, dt, None, None))

    def test_results_of_other_winning_numbers_coexist(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        instance, dt = draws.instances[0], draws.draw_type_id
        with uow_factory() as uow:
            uow.draw_results.add(make_result(instance, dt, None, None))
            for wn in draws.number_ids:
                uow.draw_results.add(make_result(instance, dt, wn, 0.3))
            uow.commit()
        assert len(stored_results(uow_factory)) == 3

    def test_results_of_one_definition_coexist(self, uow_factory: UowFactory, draws: Draws) -> None:
        dt, wn = draws.draw_type_id, draws.number_ids[0]
        with uow_factory() as uow:
            for instance in draws.instances:
                uow.draw_results.add(make_result(instance, dt, wn, 0.3))
            uow.commit()
        assert len(stored_results(uow_factory)) == len(draws.instances)

    @pytest.mark.parametrize(
        "field",
        ["draw_type_id", "winning_number_id", "user_id", "definition_id", "nft_instance_id"],
    )
    def test_result_references_must_exist(
        self, uow_factory: UowFactory, draws: Draws, field: str
    ) -> None:
        result = make_result(draws.instances[0], draws.draw_type_id, draws.number_ids[0], 0.4)
        setattr(result, field, MISSING_ID)
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.draw_results.add(result)

    def test_result_outcome_check_refuses_unknown_outcomes(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        result = make_result(
            draws.instances[0], draws.draw_type_id, draws.number_ids[0], 0.4, outcome="draw"
        )
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.draw_results.add(result)

    def test_results_list_for_draw_type_and_winning_number(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        dt, (wn1, wn2) = draws.draw_type_id, draws.number_ids
        a = make_result(draws.instances[0], dt, wn1, 0.1)
        b = make_result(draws.instances[0], dt, None, None)
        c = make_result(draws.instances[1], dt, wn2, 0.2)
        d = make_result(draws.instances[1], dt, wn1, 0.3)
        with uow_factory() as uow:
            other = uow.draw_types.add(make_draw_type("other"))
            e = make_result(draws.instances[2], _id(other), None, None)
            uow.draw_results.upsert_many([a, b, c, d, e])
            uow.commit()
        with uow_factory() as uow:
            assert uow.draw_results.list_for_draw_type(dt) == sorted([a, b, c, d], key=_id)
            assert uow.draw_results.list_for_draw_type(dt, wn1) == sorted([a, d], key=_id)
            assert uow.draw_results.list_for_draw_type(dt, wn2) == [c]
            assert uow.draw_results.list_for_draw_type(MISSING_ID) == []

    def test_upsert_many_inserts_new_results_and_sets_ids(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        results = [
            make_result(instance, draws.draw_type_id, draws.number_ids[0], 0.5)
            for instance in draws.instances
        ]
        with uow_factory() as uow:
            uow.draw_results.upsert_many(results)
            uow.commit()
        assert len({_id(r) for r in results}) == len(results)
        assert stored_results(uow_factory) == sorted(results, key=_id)

    def test_upsert_many_of_nothing_writes_nothing(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        with uow_factory() as uow:
            uow.draw_results.upsert_many([])
            uow.commit()
        assert stored_results(uow_factory) == []

    def test_upsert_many_overwrites_an_existing_key_and_keeps_its_id(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        instance, dt, wn = draws.instances[0], draws.draw_type_id, draws.number_ids[0]
        first = make_result(instance, dt, wn, 0.5, outcome=OUTCOME_WIN)
        with uow_factory() as uow:
            uow.draw_results.upsert_many([first])
            uow.commit()
        again = make_result(
            instance,
            dt,
            wn,
            0.25,
            outcome=OUTCOME_LOSE,
            threshold_used=0.3,
            draw_number="again",
            evaluated_at=T0 + HOUR,
        )
        with uow_factory() as uow:
            uow.draw_results.upsert_many([again])
            uow.commit()
        assert again.id == first.id
        assert stored_results(uow_factory) == [again]

    def test_upsert_many_mixes_inserts_and_overwrites(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        dt, wn = draws.draw_type_id, draws.number_ids[0]
        old = make_result(draws.instances[1], dt, wn, 0.5)
        with uow_factory() as uow:
            uow.draw_results.upsert_many([old])
            uow.commit()
        batch = [
            make_result(draws.instances[0], dt, wn, 0.1),
            make_result(draws.instances[1], dt, wn, 0.2),
            make_result(draws.instances[2], dt, wn, 0.3),
        ]
        with uow_factory() as uow:
            uow.draw_results.upsert_many(batch)
            uow.commit()
        assert batch[1].id == old.id
        assert len({r.id for r in batch}) == 3
        assert sorted(stored_results(uow_factory), key=_id) == sorted(batch, key=_id)

    def test_upsert_many_overwrites_the_result_without_winning_number(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        instance, dt = draws.instances[0], draws.draw_type_id
        pending = make_result(instance, dt, None, None)
        with uow_factory() as uow:
            uow.draw_results.upsert_many([pending])
            uow.commit()
        again = make_result(instance, dt, None, None, evaluated_at=T0 + HOUR, threshold_used=None)
        with uow_factory() as uow:
            uow.draw_results.upsert_many([again])
            uow.commit()
        assert again.id == pending.id
        assert stored_results(uow_factory) == [again]

    def test_upsert_many_keeps_the_pending_row_beside_a_scored_one(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        instance, dt, wn = draws.instances[0], draws.draw_type_id, draws.number_ids[0]
        pending = make_result(instance, dt, None, None)
        scored = make_result(instance, dt, wn, 0.6)
        with uow_factory() as uow:
            uow.draw_results.upsert_many([pending])
            uow.draw_results.upsert_many([scored])
            uow.commit()
        assert pending.id != scored.id
        assert stored_results(uow_factory) == [pending, scored]

    def test_upsert_many_refuses_a_batch_with_a_bad_reference(
        self, uow_factory: UowFactory, draws: Draws
    ) -> None:
        dt, wn = draws.draw_type_id, draws.number_ids[0]
        batch = [
            make_result(draws.instances[0], dt, wn, 0.1),
            make_result(draws.instances[1], dt, wn, 0.2, nft_instance_id=MISSING_ID),
        ]
        with uow_factory() as uow, pytest.raises(ConflictError):
            uow.draw_results.upsert_many(batch)
        assert stored_results(uow_factory) == []

    @pytest.fixture
    def ranked(self, uow_factory: UowFactory, draws: Draws) -> Draws:
        """Results of the first winning number: scores 0.9, 0.8, 0.8 (pending), 0.8, 0.7, lose."""
        dt, (wn, other) = draws.draw_type_id, draws.number_ids
        i = draws.instances
        results = [
            make_result(i[3], dt, wn, 0.8),
            make_result(i[0], dt, wn, 0.7, outcome=OUTCOME_LOSE),
            make_result(i[1], dt, wn, 0.8, outcome=OUTCOME_PENDING),
            make_result(i[2], dt, wn, 0.9),
            make_result(i[4], dt, wn, 0.8, outcome=OUTCOME_LOSE),
            make_result(i[5], dt, None, None),
            make_result(i[5], dt, other, 0.99),
        ]
        with uow_factory() as uow:
            uow.draw_results.upsert_many(results)
            uow.commit()
        return draws

    def test_top_orders_by_similarity_then_instance_id(
        self, uow_factory: UowFactory, ranked: Draws
    ) -> None:
        i = [_id(x) for x in ranked.instances]
        with uow_factory() as uow:
            top = uow.draw_results.top(ranked.draw_type_id, ranked.number_ids[0], limit=10)
        assert _scores(top) == [(0.9, i[2]), (0.8, i[1]), (0.8, i[3]), (0.8, i[4]), (0.7, i[0])]

    def test_top_cuts_at_the_limit(self, uow_factory: UowFactory, ranked: Draws) -> None:
        i = [_id(x) for x in ranked.instances]
        with uow_factory() as uow:
            top = uow.draw_results.top(ranked.draw_type_id, ranked.number_ids[0], limit=2)
        assert _scores(top) == [(0.9, i[2]), (0.8, i[1])]

    def test_top_with_ties_keeps_every_tie_at_the_cutoff(
        self, uow_factory: UowFactory, ranked: Draws
    ) -> None:
        i = [_id(x) for x in ranked.instances]
        with uow_factory() as uow:
            top = uow.draw_results.top(
                ranked.draw_type_id, ranked.number_ids[0], limit=2, with_ties=True
            )
        assert _scores(top) == [(0.9, i[2]), (0.8, i[1]), (0.8, i[3]), (0.8, i[4])]

    def test_top_with_ties_adds_nothing_without_a_tie(
        self, uow_factory: UowFactory, ranked: Draws
    ) -> None:
        with uow_factory() as uow:
            top = uow.draw_results.top(
                ranked.draw_type_id, ranked.number_ids[0], limit=1, with_ties=True
            )
        assert _scores(top) == [(0.9, _id(ranked.instances[2]))]

    def test_top_can_leave_out_pending_results(
        self, uow_factory: UowFactory, ranked: Draws
    ) -> None:
        i = [_id(x) for x in ranked.instances]
        with uow_factory() as uow:
            top = uow.draw_results.top(
                ranked.draw_type_id, ranked.number_ids[0], limit=2, include_pending=False
            )
            tied = uow.draw_results.top(
                ranked.draw_type_id,
                ranked.number_ids[0],
                limit=2,
                include_pending=False,
                with_ties=True,
            )
        assert _scores(top) == [(0.9, i[2]), (0.8, i[3])]
        assert _scores(tied) == [(0.9, i[2]), (0.8, i[3]), (0.8, i[4])]

    def test_top_only_ranks_results_of_that_winning_number(
        self, uow_factory: UowFactory, ranked: Draws
    ) -> None:
        with uow_factory() as uow:
            top = uow.draw_results.top(ranked.draw_type_id, ranked.number_ids[1], limit=5)
            none = uow.draw_results.top(MISSING_ID, ranked.number_ids[0], limit=5)
        assert _scores(top) == [(0.99, _id(ranked.instances[5]))]
        assert none == []

    @pytest.mark.parametrize("limit", [0, -1, True])
    def test_top_refuses_a_limit_below_one(
        self, uow_factory: UowFactory, ranked: Draws, limit: int
    ) -> None:
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.draw_results.top(ranked.draw_type_id, ranked.number_ids[0], limit=limit)

    def test_result_evaluated_at_is_not_null(self, uow_factory: UowFactory, draws: Draws) -> None:
        result = make_result(
            draws.instances[0], draws.draw_type_id, draws.number_ids[0], 0.4, evaluated_at=None
        )
        with uow_factory() as uow, pytest.raises(ValidationError):
            uow.draw_results.add(result)
