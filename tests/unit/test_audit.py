"""Draw export and offline verification (nictbw.app.audit)."""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nictbw.adapters.chain import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.audit import (
    CANDIDATE_KEYS,
    EXPORT_FORMAT,
    WINNER_KEYS,
    candidates_digest,
    canonical_json,
    export_draw,
    rank_candidates,
    read_export,
)
from nictbw.app.audit import verify_export as _verify_export
from nictbw.app.simulation import SimulationSettings, run_simulation
from nictbw.domain.entities import Admin, NFTDefinition, PrizeDrawType, User
from nictbw.domain.errors import NotFoundError, ValidationError
from nictbw.domain.scoring import AlgorithmRegistry
from nictbw.ports import UnitOfWork
from nictbw.workflows import (
    create_nft_definition,
    create_prize_draw_type,
    issue_instances,
    register_admin,
    register_user,
    run_final_attendance_prize_draw,
    run_prize_draw_batch,
    submit_winning_number,
)
from tests.trust import trusting

AFTER_EVENT = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

TRUST = trusting(3)
"""The simulated draws are sealed on the simulation's fake beacon: trust its key."""


def verify_export(data: Any, **options: Any) -> Any:
    """``verify_export`` trusting the simulation's beacon unless told otherwise."""
    options.setdefault("policy", TRUST)
    return _verify_export(data, **options)


UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(scope="module")
def simulated() -> UowFactory:
    """A small simulated event on memory: two draws with results."""
    store = InMemoryStore()
    factory: UowFactory = lambda: InMemoryUnitOfWork(store)  # noqa: E731
    run_simulation(factory, SimulationSettings(users=40, days=3, seed=3))
    return factory


@pytest.fixture(scope="module")
def bingo_export(simulated: UowFactory) -> dict[str, Any]:
    with simulated() as uow:
        return export_draw(uow, "bingo_line", limit=10, clock=AFTER_EVENT)


def _fresh(export: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(export)


# --- a small hand-built catalogue -----------------------------------------------------------


@pytest.fixture
def attendance(memory_uow_factory: UowFactory) -> tuple[UowFactory, Any]:
    """Six users holding a minted attendance badge; a draw type without default threshold."""
    clock = FixedClock(NOW)
    chain = FakeChain(seed=9, clock=clock)
    with memory_uow_factory() as uow:
        admin = register_admin(uow, Admin(email="ops@example.org", password_hash="x"), clock=clock)
        badge = create_nft_definition(
            uow,
            NFTDefinition(
                prefix="ATTEND", shared_key="a", name="Attend", created_by_admin_id=admin.id
            ),
            clock=clock,
        )
        grants = []
        for i in range(6):
            user = register_user(
                uow,
                User(in_app_id=f"u{i}"),
                password="pw",
                email=f"u{i}@example.org",
                chain=chain,
                clock=clock,
            )
            minted = chain.mint_nft(
                name="Attend", additional_info={"prefix": "ATTEND"}, recipient_paymail=user.paymail
            )
            grants.append((user, badge, minted["nft_information"]["nft_origin"]))
        issue_instances(uow, grants, rng=random.Random(1), clock=clock)
        create_prize_draw_type(
            uow,
            PrizeDrawType(internal_name="final", algorithm_key="sha256_hex_proximity"),
            clock=clock,
        )
        uow.commit()
    return memory_uow_factory, badge


def _run_attendance(
    factory: UowFactory, badge: Any, value: str, threshold: float | None
) -> int | None:
    clock = FixedClock(NOW)
    with factory() as uow:
        draw_type = uow.draw_types.get_by_internal_name("final")
        assert draw_type is not None
        number = submit_winning_number(uow, draw_type, value, clock=clock)
        run_final_attendance_prize_draw(
            uow,
            draw_type,
            attendance_definition_id=badge.id,
            winning_number=number,
            threshold=threshold,
            clock=clock,
        )
        uow.commit()
        return number.id


# --- export ---------------------------------------------------------------------------------


def test_export_holds_the_draw_header(bingo_export: dict[str, Any]) -> None:
    assert bingo_export["format"] == EXPORT_FORMAT
    assert bingo_export["draw_type"]["internal_name"] == "bingo_line"
    assert bingo_export["draw_type"]["algorithm_key"] == "sha256_hex_proximity"
    assert bingo_export["threshold"] == 0.7
    assert bingo_export["limit"] == 10
    number = bingo_export["winning_number"]
    assert number["normalized_value"] == number["value"].strip().lower()
    record = number["metadata"]["sealed_draw"]
    assert (
        record["snapshot_id"]
        == bingo_export["snapshot"]["id"]
        == bingo_export["sealed"]["snapshot_id"]
    )
    assert bingo_export["sealed"]["round"]["round"] == record["round"]
    assert number["effective_at"] == bingo_export["sealed"]["round_at"]
    assert bingo_export["max_wins_per_user"] is None


def test_export_lists_every_stored_result_sorted_by_instance(
    simulated: UowFactory, bingo_export: dict[str, Any]
) -> None:
    with simulated() as uow:
        draw_type = uow.draw_types.get_by_internal_name("bingo_line")
        assert draw_type is not None
        assert draw_type.id is not None
        stored = uow.draw_results.list_for_draw_type(
            draw_type.id, bingo_export["winning_number"]["id"]
        )
    candidates = bingo_export["candidates"]
    assert bingo_export["candidate_count"] == len(candidates) == len(stored) > 0
    assert [c["result_id"] for c in candidates] == [
        r.id for r in sorted(stored, key=lambda r: r.nft_instance_id)
    ]
    assert all(tuple(c) == CANDIDATE_KEYS for c in candidates)


def test_export_candidates_carry_origin_unique_id_and_user(
    simulated: UowFactory, bingo_export: dict[str, Any]
) -> None:
    first = bingo_export["candidates"][0]
    with simulated() as uow:
        instance = uow.instances.get(first["instance_id"])
        user = uow.users.get(first["user_id"])
    assert instance is not None
    assert user is not None
    assert first["nft_origin"] == instance.nft_origin
    assert first["unique_instance_id"] == instance.unique_instance_id
    assert first["user"] == user.in_app_id
    assert instance.nft_origin is not None
    assert first["draw_number"] == instance.nft_origin.strip().lower()


def test_export_winners_are_the_ranking_with_ties_of_winning_results(
    bingo_export: dict[str, Any],
) -> None:
    winners = bingo_export["winners"]
    wins = sorted(
        (c for c in bingo_export["candidates"] if c["outcome"] == "win"),
        key=lambda c: (-c["similarity"], c["instance_id"], c["result_id"]),
    )
    assert [w["result_id"] for w in winners] == [c["result_id"] for c in wins[:10]]
    assert [w["rank"] for w in winners] == list(range(1, len(winners) + 1))
    assert all(tuple(w) == WINNER_KEYS for w in winners)


def test_export_of_a_simulated_draw_verifies(bingo_export: dict[str, Any]) -> None:
    assert verify_export(_fresh(bingo_export)) == []


def test_export_verifies_after_a_json_round_trip(bingo_export: dict[str, Any]) -> None:
    assert verify_export(json.loads(json.dumps(bingo_export))) == []


def test_attendance_export_verifies(simulated: UowFactory) -> None:
    with simulated() as uow:
        export = export_draw(uow, "final_attendance", clock=AFTER_EVENT)
    assert export["candidates"]
    assert verify_export(export) == []


def test_export_without_threshold_ranks_every_scored_pending_result(
    attendance: tuple[UowFactory, Any],
) -> None:
    factory, badge = attendance
    number_id = _run_attendance(factory, badge, "Lucky", None)
    with factory() as uow:
        export = export_draw(uow, "final", winning_number_id=number_id, clock=FixedClock(NOW))
    assert export["threshold"] is None
    assert {c["outcome"] for c in export["candidates"]} == {"pending"}
    assert len(export["winners"]) == 6
    assert verify_export(export) == []


def test_export_takes_the_winning_number_in_effect_by_default(
    attendance: tuple[UowFactory, Any],
) -> None:
    factory, badge = attendance
    _run_attendance(factory, badge, "first", 0.2)
    latest = _run_attendance(factory, badge, "second", 0.2)
    with factory() as uow:
        export = export_draw(uow, "final", clock=FixedClock(NOW))
    assert export["winning_number"]["id"] == latest
    assert export["winning_number"]["value"] == "second"


def test_digest_is_sha256_of_the_canonical_sorted_candidate_list(
    bingo_export: dict[str, Any],
) -> None:
    candidates = bingo_export["candidates"]
    text = json.dumps(
        sorted(candidates, key=lambda c: (c["instance_id"], c["result_id"])),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert bingo_export["candidate_rows_sha256"] == candidates_digest(candidates) == expected


def test_digest_does_not_depend_on_the_order_candidates_are_listed_in(
    bingo_export: dict[str, Any],
) -> None:
    export = _fresh(bingo_export)
    random.Random(0).shuffle(export["candidates"])
    assert verify_export(export) == []


def test_canonical_json_sorts_keys_drops_whitespace_and_keeps_non_ascii() -> None:
    assert canonical_json({"b": 1, "a": ["é", 0.5]}) == '{"a":["é",0.5],"b":1}'


def test_canonical_json_refuses_nan() -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        canonical_json({"x": float("nan")})


def test_rank_candidates_keeps_ties_at_the_cutoff() -> None:
    def candidate(instance_id: int, score: float) -> dict[str, Any]:
        return {
            "result_id": 100 + instance_id,
            "instance_id": instance_id,
            "unique_instance_id": f"X-{instance_id}",
            "user_id": 1,
            "user": "u",
            "definition_id": 1,
            "draw_number": f"o{instance_id}",
            "similarity": score,
            "outcome": "win",
        }

    pool = [candidate(4, 0.7), candidate(3, 0.8), candidate(2, 0.8), candidate(1, 0.9)]
    ranked = rank_candidates(pool, 0.5, 2)
    assert [(w["instance_id"], w["similarity"]) for w in ranked] == [(1, 0.9), (2, 0.8), (3, 0.8)]


def test_export_of_an_unknown_draw_type_names_the_known_ones(simulated: UowFactory) -> None:
    with (
        simulated() as uow,
        pytest.raises(NotFoundError, match=r"'nope' does not exist \(known: bingo_line, "),
    ):
        export_draw(uow, "nope", clock=AFTER_EVENT)


def test_export_refuses_a_winning_number_of_another_draw_type(simulated: UowFactory) -> None:
    with simulated() as uow:
        other = uow.draw_types.get_by_internal_name("final_attendance")
        assert other is not None
        assert other.id is not None
        number = uow.winning_numbers.list_for_draw_type(other.id)[0]
        with pytest.raises(ValidationError, match="belongs to another draw type"):
            export_draw(uow, "bingo_line", winning_number_id=number.id, clock=AFTER_EVENT)


def test_export_of_an_unknown_winning_number_is_not_found(simulated: UowFactory) -> None:
    with simulated() as uow, pytest.raises(NotFoundError, match="winning number 999"):
        export_draw(uow, "bingo_line", winning_number_id=999, clock=AFTER_EVENT)


def test_export_without_a_winning_number_in_effect_is_refused(simulated: UowFactory) -> None:
    before_event = FixedClock(datetime(2020, 1, 1, tzinfo=UTC))
    with simulated() as uow, pytest.raises(ValidationError, match="no winning number in effect"):
        export_draw(uow, "bingo_line", clock=before_event)


def test_export_of_a_draw_without_results_is_refused(attendance: tuple[UowFactory, Any]) -> None:
    factory, _badge = attendance
    with factory() as uow:
        draw_type = uow.draw_types.get_by_internal_name("final")
        assert draw_type is not None
        number = submit_winning_number(uow, draw_type, "x", clock=FixedClock(NOW))
        with pytest.raises(ValidationError, match="no results stored"):
            export_draw(uow, "final", winning_number_id=number.id, clock=FixedClock(NOW))


def test_export_of_results_with_different_thresholds_is_refused(
    attendance: tuple[UowFactory, Any],
) -> None:
    factory, badge = attendance
    number_id = _run_attendance(factory, badge, "mixed", 0.3)
    with factory() as uow:
        draw_type = uow.draw_types.get_by_internal_name("final")
        number = uow.winning_numbers.get(number_id) if number_id is not None else None
        assert draw_type is not None
        assert number is not None
        one = uow.instances.list_for_definition(badge.id)[:1]
        run_prize_draw_batch(
            uow,
            draw_type,
            winning_number=number,
            instances=one,
            threshold=0.4,
            clock=FixedClock(NOW),
        )
        with pytest.raises(ValidationError, match=r"several thresholds \(0\.3, 0\.4\)"):
            export_draw(uow, "final", winning_number_id=number_id, clock=FixedClock(NOW))


def test_export_refuses_a_bad_limit(simulated: UowFactory) -> None:
    with simulated() as uow, pytest.raises(ValidationError, match="limit"):
        export_draw(uow, "bingo_line", limit=0, clock=AFTER_EVENT)


# --- tampering ------------------------------------------------------------------------------


def _tampered(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 + 0.01
    if isinstance(value, str):
        return value + "0"
    return "tampered" if value is None else None


def _fails(export: dict[str, Any]) -> bool:
    try:
        return bool(verify_export(export))
    except ValidationError:
        return True


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_tampering_with_any_candidate_field_fails_verification(
    bingo_export: dict[str, Any], data: st.DataObject
) -> None:
    export = _fresh(bingo_export)
    position = data.draw(st.integers(0, len(export["candidates"]) - 1), label="candidate")
    key = data.draw(st.sampled_from(CANDIDATE_KEYS), label="field")
    candidate = export["candidates"][position]
    candidate[key] = _tampered(candidate[key])
    assert _fails(export)


@pytest.mark.parametrize("key", WINNER_KEYS)
def test_tampering_with_any_winner_field_fails_verification(
    bingo_export: dict[str, Any], key: str
) -> None:
    export = _fresh(bingo_export)
    winner = export["winners"][-1]
    winner[key] = _tampered(winner[key])
    assert verify_export(export)


def test_dropping_a_winner_fails_verification(bingo_export: dict[str, Any]) -> None:
    export = _fresh(bingo_export)
    export["winners"].pop(0)
    assert verify_export(export)


def test_reordering_winners_fails_verification(bingo_export: dict[str, Any]) -> None:
    export = _fresh(bingo_export)
    export["winners"].reverse()
    assert verify_export(export)


def test_adding_a_losing_candidate_as_winner_fails_verification(
    bingo_export: dict[str, Any],
) -> None:
    export = _fresh(bingo_export)
    loser = next(c for c in export["candidates"] if c["outcome"] == "lose")
    export["winners"].append(
        {key: loser.get(key, len(export["winners"]) + 1) for key in WINNER_KEYS}
    )
    assert verify_export(export)


@pytest.mark.parametrize("threshold", [0.71, 0.5, None, 0.0])
def test_tampering_with_the_threshold_fails_verification(
    bingo_export: dict[str, Any], threshold: float | None
) -> None:
    export = _fresh(bingo_export)
    export["threshold"] = threshold
    problems = verify_export(export)
    assert any("threshold_used" in p for p in problems)


def test_tampering_with_the_winning_value_fails_verification(
    bingo_export: dict[str, Any],
) -> None:
    export = _fresh(bingo_export)
    export["winning_number"]["value"] += "1"
    problems = verify_export(export)
    assert any("normalized_value" in p for p in problems)
    assert any("similarity" in p for p in problems)


def test_tampering_with_the_normalized_winning_value_fails_verification(
    bingo_export: dict[str, Any],
) -> None:
    export = _fresh(bingo_export)
    export["winning_number"]["normalized_value"] = "abc"
    assert any("normalized_value" in p for p in verify_export(export))


def test_tampering_with_the_digest_fails_verification(bingo_export: dict[str, Any]) -> None:
    export = _fresh(bingo_export)
    export["candidate_rows_sha256"] = "0" * 64
    assert any("candidate_rows_sha256" in p for p in verify_export(export))


def test_tampering_with_the_candidate_count_fails_verification(
    bingo_export: dict[str, Any],
) -> None:
    export = _fresh(bingo_export)
    export["candidate_count"] += 1
    assert any("candidate_count" in p for p in verify_export(export))


def test_removing_a_candidate_fails_verification(bingo_export: dict[str, Any]) -> None:
    export = _fresh(bingo_export)
    export["candidates"].pop()
    assert verify_export(export)


def test_duplicating_a_candidate_fails_verification(bingo_export: dict[str, Any]) -> None:
    export = _fresh(bingo_export)
    export["candidates"].append(dict(export["candidates"][0]))
    export["candidate_count"] += 1
    assert any("more than once" in p for p in verify_export(export))


def test_a_field_nothing_recomputes_is_caught_by_the_digest(
    bingo_export: dict[str, Any],
) -> None:
    export = _fresh(bingo_export)
    loser = next(c for c in export["candidates"] if c["outcome"] == "lose")
    loser["user"] = "someone-else"
    problems = verify_export(export)
    assert len(problems) == 1
    assert "candidate_rows_sha256" in problems[0]


def test_an_unknown_algorithm_is_reported(bingo_export: dict[str, Any]) -> None:
    problems = verify_export(_fresh(bingo_export), registry=AlgorithmRegistry())
    assert any("algorithm 'sha256_hex_proximity' is unknown" in p for p in problems)


# --- malformed exports ----------------------------------------------------------------------


@pytest.mark.parametrize("data", [[], "text", 3, None])
def test_an_export_that_is_not_an_object_is_a_validation_error(data: Any) -> None:
    with pytest.raises(ValidationError, match="export must be a JSON object"):
        verify_export(data)


def test_an_export_of_another_format_is_a_validation_error(bingo_export: dict[str, Any]) -> None:
    export = _fresh(bingo_export)
    export["format"] = "something/2"
    with pytest.raises(ValidationError, match="format 'something/2'"):
        verify_export(export)


@pytest.mark.parametrize("key", ["candidates", "winners", "threshold", "winning_number"])
def test_an_export_missing_a_part_is_a_validation_error_naming_it(
    bingo_export: dict[str, Any], key: str
) -> None:
    export = _fresh(bingo_export)
    del export[key]
    with pytest.raises(ValidationError, match=f"has no '{key}'"):
        verify_export(export)


def test_a_candidate_with_a_wrong_type_is_a_validation_error(
    bingo_export: dict[str, Any],
) -> None:
    export = _fresh(bingo_export)
    export["candidates"][0]["instance_id"] = "7"
    with pytest.raises(ValidationError, match=r"candidates\[0\]\.instance_id must be int"):
        verify_export(export)


def test_a_candidate_with_an_unknown_key_is_a_validation_error(
    bingo_export: dict[str, Any],
) -> None:
    export = _fresh(bingo_export)
    export["candidates"][0]["bonus"] = 1
    with pytest.raises(ValidationError, match="unknown keys"):
        verify_export(export)


def test_read_export_of_a_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ValidationError, match=r"cannot read export .*nope\.json"):
        read_export(missing)


def test_read_export_of_invalid_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"bad\.json' is not valid JSON"):
        read_export(path)


def test_read_export_of_a_json_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValidationError, match="must hold a JSON object, got list"):
        read_export(path)


def test_read_export_returns_the_document(tmp_path: Path, bingo_export: dict[str, Any]) -> None:
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(bingo_export), encoding="utf-8")
    assert read_export(path) == bingo_export
