"""nictbw.testing.strategies: what the valid strategies draw is accepted by the workflows
(and domain checks) that guard it, what the ``invalid_*`` ones draw is refused with a
NictbwError naming the broken field, and whole events play through and shrink small."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, example, find, given, settings
from hypothesis import strategies as st

from nictbw.adapters.chain.fake import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.domain.bingo import apply_completion, held_by_definition, unlock_held
from nictbw.domain.chain_payload import parse_mint_metadata, parse_nft_payloads
from nictbw.domain.engine import PrizeDrawEngine, outcome_for
from nictbw.domain.entities import (
    CENTER_IDX,
    Admin,
    NFTDefinition,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import ChainError, NictbwError, ValidationError
from nictbw.domain.export import verify_document
from nictbw.domain.scoring import origin_key
from nictbw.domain.snapshots import candidate_set_digest
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.validation import validate_email_address, validate_prefix
from nictbw.domain.values import check_id
from nictbw.testing import strategies as nst
from nictbw.testing.checks import assert_invariants, check_cards
from nictbw.workflows import (
    create_and_issue_instance,
    create_nft_definition,
    create_prize_draw_type,
    register_admin,
    register_user,
    submit_winning_number,
)

NOW = nst.EVENT_START
FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _uow() -> InMemoryUnitOfWork:
    """An open in-memory unit of work on a fresh store (never committed, dropped after)."""
    return InMemoryUnitOfWork(InMemoryStore()).__enter__()


def _admin(uow: InMemoryUnitOfWork) -> Admin:
    return register_admin(uow, Admin(password_hash="hash"), clock=FixedClock(NOW))


def _draw_type(uow: InMemoryUnitOfWork) -> PrizeDrawType:
    return create_prize_draw_type(
        uow, PrizeDrawType(internal_name="draw", algorithm_key=nst.DEFAULT_ALGORITHM)
    )


def _register(uow: InMemoryUnitOfWork, user: User) -> User:
    return register_user(
        uow,
        user,
        password="pw",
        email="someone@example.org",
        username="someone",
        chain=FakeChain(),
        clock=FixedClock(NOW),
    )


def _refused(call: Any, broken: nst.Broken[Any], *args: Any, **kwargs: Any) -> NictbwError:
    """``call`` raises a NictbwError whose message names the broken field or its value."""
    with pytest.raises(NictbwError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    field = broken.field.split(".")[-1]
    bad = getattr(broken.value, broken.field, None) if broken.field else None
    names_value = isinstance(bad, str) and bool(bad.strip()) and bad[:10] in message
    assert not field or field in message or names_value, (
        f"refusal of {broken.field} names neither it nor its value: {message}"
    )
    return caught.value


# --- entities through their workflows -----------------------------------------------------


@FAST
@given(nst.users())
def test_valid_users_register(user: User) -> None:
    uow = _uow()
    stored = _register(uow, user)
    assert stored.id is not None


@FAST
@given(nst.invalid_users())
def test_invalid_users_are_refused_naming_the_field(broken: nst.Broken[User]) -> None:
    uow = _uow()
    _refused(_register, broken, uow, broken.value)
    assert uow.users.list() == []


@FAST
@given(nst.admins())
def test_valid_admins_register(admin: Admin) -> None:
    assert register_admin(_uow(), admin).id is not None


@FAST
@given(nst.invalid_admins())
def test_invalid_admins_are_refused(broken: nst.Broken[Admin]) -> None:
    uow = _uow()
    _refused(register_admin, broken, uow, broken.value)
    assert uow.admins.list() == []


@FAST
@given(st.data())
def test_valid_definitions_are_created(data: st.DataObject) -> None:
    uow = _uow()
    admin = _admin(uow)
    assert admin.id is not None
    definition = data.draw(nst.definitions(admin_id=admin.id))
    assert create_nft_definition(uow, definition).minted_count == 0


@FAST
@given(st.data())
def test_invalid_definitions_are_refused(data: st.DataObject) -> None:
    uow = _uow()
    admin = _admin(uow)
    assert admin.id is not None
    broken: nst.Broken[NFTDefinition] = data.draw(nst.invalid_definitions(admin_id=admin.id))
    _refused(create_nft_definition, broken, uow, broken.value)
    assert uow.definitions.list() == []


@FAST
@given(nst.draw_types())
def test_valid_draw_types_are_created(draw_type: PrizeDrawType) -> None:
    assert create_prize_draw_type(_uow(), draw_type).id is not None


@FAST
@given(nst.invalid_draw_types())
@example(  # a default threshold in [0, 1] but above what its algorithm can score
    nst.Broken(
        PrizeDrawType(
            internal_name="0", algorithm_key="sha256_hex_proximity", default_threshold=1.0
        ),
        "default_threshold",
    )
)
def test_invalid_draw_types_are_refused(broken: nst.Broken[PrizeDrawType]) -> None:
    uow = _uow()
    _refused(create_prize_draw_type, broken, uow, broken.value)
    assert uow.draw_types.list() == []


@FAST
@given(nst.winning_numbers())
def test_valid_winning_numbers_are_submitted(number: PrizeDrawWinningNumber) -> None:
    uow = _uow()
    stored = submit_winning_number(uow, _draw_type(uow), number.value, **nst.submit_kwargs(number))
    assert stored.value == number.value


@FAST
@given(nst.invalid_winning_numbers())
def test_invalid_winning_numbers_are_refused(
    broken: nst.Broken[PrizeDrawWinningNumber],
) -> None:
    uow = _uow()
    draw_type = _draw_type(uow)
    number = broken.value
    _refused(
        submit_winning_number,
        broken,
        uow,
        draw_type,
        number.value,
        **nst.submit_kwargs(number),
    )
    assert uow.winning_numbers.list() == []


def _issue_setup() -> tuple[InMemoryUnitOfWork, User, NFTDefinition]:
    uow = _uow()
    admin = _admin(uow)
    definition = create_nft_definition(
        uow, NFTDefinition(prefix="B", shared_key="k", name="n", created_by_admin_id=admin.id)
    )
    return uow, _register(uow, User(in_app_id="u")), definition


@FAST
@given(nst.origins(), nst.mint_answers())
def test_valid_origins_and_mint_answers_are_issued(origin: str, answer: dict[str, Any]) -> None:
    assume(origin_key(origin) != origin_key(answer["nft_information"]["nft_origin"]))
    uow, user, definition = _issue_setup()
    assert create_and_issue_instance(uow, user, definition, nft_origin=origin).nft_origin == origin
    issued = create_and_issue_instance(uow, user, definition, chain_metadata=answer)
    assert issued.blockchain_nft_id == answer["nft_information"]["nft_id"]


@FAST
@given(nst.invalid_origins())
def test_invalid_origins_are_refused(origin: str) -> None:
    uow, user, definition = _issue_setup()
    _refused(
        create_and_issue_instance,
        nst.Broken(value=origin, field="nft_origin"),
        uow,
        user,
        definition,
        nft_origin=origin,
    )
    assert uow.instances.list() == []


@FAST
@given(nst.invalid_mint_answers())
def test_invalid_mint_answers_are_refused(broken: nst.Broken[object]) -> None:
    _refused(parse_mint_metadata, broken, broken.value)
    uow, user, definition = _issue_setup()
    _refused(
        create_and_issue_instance,
        broken,
        uow,
        user,
        definition,
        chain_metadata=broken.value,
    )
    assert uow.instances.list() == []


# --- values -------------------------------------------------------------------------------


@FAST
@given(nst.ids(), nst.invalid_ids())
def test_ids(valid: int, invalid: object) -> None:
    assert check_id(valid) == valid
    with pytest.raises(ValidationError):
        check_id(invalid)


@FAST
@given(nst.blockchain_nft_ids(), nst.invalid_blockchain_nft_ids())
def test_blockchain_nft_ids(valid: int, invalid: object) -> None:
    assert parse_mint_metadata({"nft_id": valid}).nft_id == valid
    with pytest.raises(ValidationError, match="nft_id"):
        parse_mint_metadata({"nft_id": invalid})


@FAST
@given(nst.utc_datetimes(), nst.invalid_datetimes())
def test_datetimes(valid: datetime, invalid: datetime) -> None:
    assert ensure_utc(valid, "at") == valid
    with pytest.raises(ValidationError, match="at"):
        ensure_utc(invalid, "at")


@FAST
@given(nst.emails(), nst.invalid_emails())
def test_emails(valid: str, invalid: str) -> None:
    assert validate_email_address(valid) == valid
    with pytest.raises(ValidationError, match="email"):
        validate_email_address(invalid)


@FAST
@given(nst.prefixes(), nst.invalid_prefixes())
def test_prefixes(valid: str, invalid: str) -> None:
    assert validate_prefix(valid) == valid
    with pytest.raises(ValidationError, match="prefix"):
        validate_prefix(invalid)


@FAST
@given(nst.thresholds(), nst.invalid_thresholds())
def test_thresholds(valid: float, invalid: float) -> None:
    uow = _uow()
    made = create_prize_draw_type(
        uow,
        PrizeDrawType(
            internal_name="a", algorithm_key="sha256_hex_proximity", default_threshold=valid
        ),
    )
    assert made.default_threshold == valid
    with pytest.raises(ValidationError, match="threshold"):
        create_prize_draw_type(
            uow,
            PrizeDrawType(
                internal_name="b", algorithm_key="sha256_hex_proximity", default_threshold=invalid
            ),
        )


# --- chain payloads -----------------------------------------------------------------------


@FAST
@given(nst.chain_payloads())
def test_well_formed_payloads_parse_whole(payload: list[dict[str, Any]]) -> None:
    parsed = parse_nft_payloads(payload)
    assert len(parsed.items) == len(payload)
    assert parsed.skipped == ()


@FAST
@given(nst.malformed_chain_payloads())
def test_malformed_items_are_skipped_with_their_reason(broken: nst.Broken[list[Any]]) -> None:
    parsed = parse_nft_payloads(broken.value)
    assert [note.reason for note in parsed.skipped] == [broken.field]
    assert len(parsed.items) == len(broken.value) - 1


@given(nst.invalid_chain_payloads())
def test_answers_that_are_no_list_fail_the_sync(answer: object) -> None:
    with pytest.raises(ChainError):
        parse_nft_payloads(answer)


# --- whole events ---------------------------------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nst.events())
def test_events_play_through_the_workflows(event: nst.Event) -> None:
    uow = _uow()
    applied = nst.apply_event(uow, event, chain=FakeChain())
    assert len(applied.instances) == len(event.grants)
    assert len(applied.users) == len(event.users)
    assert_invariants(uow, NOW)


def test_events_shrink_to_a_few_users_and_badges() -> None:
    smallest = find(
        nst.events(max_users=2, max_definitions=2, max_grants=3),
        lambda e: len(e.grants) >= 2,
        settings=settings(max_examples=200, database=None, derandomize=True),
    )
    assert (len(smallest.users), len(smallest.definitions), len(smallest.grants)) == (1, 1, 2)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nst.catalogues(min_size=8, max_size=12))
def test_catalogues_only_trigger_cards_that_can_be_laid_out(catalogue: tuple[Any, ...]) -> None:
    for trigger in (d for d in catalogue if d.triggers_bingo_card):
        others = [d for d in catalogue if d is not trigger and d.is_bingo_candidate]
        assert len(others) >= 8
    assert len({d.prefix for d in catalogue}) == len(catalogue)


@FAST
@given(
    st.one_of(
        nst.invalid_users(),
        nst.invalid_admins(),
        nst.invalid_definitions(),
        nst.invalid_draw_types(),
        nst.invalid_winning_numbers(),
    )
)
def test_broken_values_differ_from_their_valid_source_in_one_field(broken: nst.Broken[Any]) -> None:
    if broken.valid is None:  # made from scratch (a window turned backwards)
        assert broken.field == "expires_at"
        return
    before, after = attrs.asdict(broken.valid), attrs.asdict(broken.value)
    changed = [name for name in before if before[name] != after[name]]
    assert changed in ([broken.field], []), changed  # [] only for NaN, never equal to itself


# --- bingo cards, results, snapshots, value objects ---------------------------------------


def _card_setup(held_count: int) -> tuple[InMemoryUnitOfWork, User, list[int], dict[int, int]]:
    """Ten stored definitions, a user holding an instance of the first ``held_count``."""
    uow = _uow()
    admin = _admin(uow)
    stored = [
        create_nft_definition(
            uow,
            NFTDefinition(prefix=f"D{i}", shared_key="k", name="n", created_by_admin_id=admin.id),
        )
        for i in range(10)
    ]
    user = _register(uow, User(in_app_id="u"))
    held: dict[int, int] = {}
    for definition in stored[:held_count]:
        instance = create_and_issue_instance(uow, user, definition)
        assert definition.id is not None
        assert instance.id is not None
        held[definition.id] = instance.id
    return uow, user, [d.id for d in stored if d.id is not None], held


def _flat(value: Any) -> dict[str, Any]:
    """Fields of an attrs value with its cells flattened as ``cells[i].name``, by idx order."""
    fields = attrs.asdict(value, recurse=False)
    cells = fields.pop("cells", None)
    for position, cell in enumerate(cells or []):
        for name, item in attrs.asdict(cell).items():
            fields[f"cells[{position}].{name}"] = item
    return fields


def _one_field_differs(broken: nst.Broken[Any]) -> None:
    assert broken.valid is not None
    before, after = _flat(broken.valid), _flat(broken.value)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [broken.field], changed


@FAST
@given(st.data(), st.integers(min_value=0, max_value=10))
def test_valid_cards_pass_the_domain_card_checks(data: st.DataObject, held_count: int) -> None:
    uow, user, pool, held = _card_setup(held_count)
    assert user.id is not None
    card = data.draw(nst.bingo_cards(user_id=user.id, definition_ids=pool, held=held))
    targets = [cell.target_definition_id for cell in card.cells]
    assert sorted(c.idx for c in card.cells) == list(range(9))
    assert len(set(targets)) == 9
    assert card.cell_at(CENTER_IDX).target_definition_id == card.center_definition_id  # type: ignore[union-attr]
    instances = held_by_definition(uow.instances.list())
    assert unlock_held(copy.deepcopy(card), instances, NOW) == 0  # nothing more to unlock
    assert apply_completion(copy.deepcopy(card), NOW) is False  # completion already applied
    uow.bingo_cards.add(card)
    assert check_cards(uow, NOW) == []


@FAST
@given(st.data())
def test_invalid_cards_are_refused_naming_the_field(data: st.DataObject) -> None:
    uow, user, pool, held = _card_setup(3)
    assert user.id is not None
    broken = data.draw(nst.invalid_bingo_cards(user_id=user.id, definition_ids=pool, held=held))
    _one_field_differs(broken)
    _refused(uow.bingo_cards.add, broken, broken.value)
    assert uow.bingo_cards.list() == []


@FAST
@given(st.data())
def test_cells_valid_and_invalid(data: st.DataObject) -> None:
    uow, user, pool, held = _card_setup(9)
    assert user.id is not None
    card = data.draw(nst.bingo_cards(user_id=user.id, definition_ids=pool, held={}))
    position = data.draw(st.integers(min_value=0, max_value=8))
    target = card.cells[position].target_definition_id
    options = {"idx": position, "target_definition_id": target, "instance_id": held.get(target)}
    cell = data.draw(nst.bingo_cells(**options))
    broken = data.draw(nst.invalid_bingo_cells(**options))
    _one_field_differs(broken)
    bad = attrs.evolve(
        card, cells=[*card.cells[:position], broken.value, *card.cells[position + 1 :]]
    )
    _refused(uow.bingo_cards.add, broken, bad)
    good = attrs.evolve(card, cells=[*card.cells[:position], cell, *card.cells[position + 1 :]])
    assert uow.bingo_cards.add(good).id is not None


_DRAW = st.tuples(nst.winning_values(), st.none() | nst.thresholds())


def _results(data: st.DataObject, value: str, threshold: float | None) -> list[Any]:
    return data.draw(
        st.lists(
            nst.prize_draw_results(winning_value=value, threshold=threshold),
            max_size=4,
            unique_by=lambda r: r.nft_instance_id,
        )
    )


@FAST
@given(st.data(), _DRAW)
def test_valid_results_are_what_the_engine_computes(
    data: st.DataObject, draw: tuple[str, float | None]
) -> None:
    value, threshold = draw
    results = _results(data, value, threshold)
    for result in results:
        again = PrizeDrawEngine().evaluate_one(
            result.nft_instance_id,
            result.draw_number,
            algorithm_key=nst.DEFAULT_ALGORITHM,
            winning_value=value,
            threshold=threshold,
        )
        assert (again.score, again.draw_top_digits, again.winning_top_digits, again.outcome) == (
            result.similarity_score,
            result.draw_top_digits,
            result.winning_top_digits,
            result.outcome,
        )
        assert result.outcome == outcome_for(result.similarity_score, threshold)
    triples = [(r.nft_instance_id, r.user_id, r.draw_number) for r in results]
    snapshot = data.draw(nst.prize_draw_snapshots(triples))
    assert snapshot.candidates_sha256 == candidate_set_digest(triples)
    document = nst.results_document(
        results, winning_value=value, threshold=threshold, snapshot=snapshot
    )
    report = verify_document(document)
    assert report.ok, report.problems


_EXPORT_NAMES = {"similarity_score": "similarity"}


@FAST
@given(st.data(), _DRAW)
def test_invalid_results_are_refused_by_the_verifier(
    data: st.DataObject, draw: tuple[str, float | None]
) -> None:
    value, threshold = draw
    results = _results(data, value, threshold)
    broken = data.draw(
        nst.invalid_prize_draw_results(winning_value=value, threshold=threshold).filter(
            lambda b: b.value.nft_instance_id not in {r.nft_instance_id for r in results}
        )
    )
    _one_field_differs(broken)
    report = verify_document(
        nst.results_document([*results, broken.value], winning_value=value, threshold=threshold)
    )
    name = _EXPORT_NAMES.get(broken.field, broken.field)
    assert any(name in problem for problem in report.problems), report.problems


@FAST
@given(st.data())
def test_snapshots_valid_and_invalid(data: st.DataObject) -> None:
    uow = _uow()
    draw_type = _draw_type(uow)
    admin = _admin(uow)
    definition = create_nft_definition(
        uow, NFTDefinition(prefix="A", shared_key="k", name="n", created_by_admin_id=admin.id)
    )
    assert draw_type.id is not None
    assert definition.id is not None
    candidates = data.draw(nst.candidate_sets())
    options = {"draw_type_id": draw_type.id, "attendance_definition_id": definition.id}
    snapshot = data.draw(nst.prize_draw_snapshots(candidates, **options))
    assert snapshot.candidate_count == len(candidates)
    assert snapshot.candidates_sha256 == candidate_set_digest(candidates)
    broken = data.draw(nst.invalid_prize_draw_snapshots(candidates, **options))
    _one_field_differs(broken)
    _refused(uow.draw_snapshots.add, broken, broken.value)
    assert uow.draw_snapshots.list() == []
    assert uow.draw_snapshots.add(snapshot).id is not None


@FAST
@given(st.data())
def test_audit_entries_valid_and_invalid(data: st.DataObject) -> None:
    uow = _uow()
    admin = _admin(uow)
    assert admin.id is not None
    entry = data.draw(nst.audit_entries(admin_id=admin.id))
    broken = data.draw(nst.invalid_audit_entries(admin_id=admin.id))
    _one_field_differs(broken)
    _refused(uow.audit.append, broken, broken.value)
    assert uow.audit.list() == []
    assert uow.audit.append(entry).id is not None


@FAST
@given(
    nst.score_computations(),
    nst.score_evaluations(),
    nst.prize_draw_evaluations(winning_value="42", threshold=0.5),
    nst.draw_candidates(),
    nst.sync_reports(),
)
def test_value_objects_are_consistent(
    computation: Any, evaluation: Any, drawn: Any, candidate: Any, report: Any
) -> None:
    assert 0.0 <= computation.score <= nst.DEFAULT_MAX_SCORE
    assert len(computation.draw_top_digits) == 10
    assert (evaluation.passed is None) == (evaluation.threshold is None)
    if evaluation.threshold is not None:
        assert evaluation.passed == (evaluation.score >= evaluation.threshold)
    assert drawn.similarity == drawn.result.similarity_score
    assert drawn.result.outcome == outcome_for(drawn.similarity, 0.5)
    assert candidate.is_draw_eligible == (
        candidate.status == "succeeded" and candidate.nft_origin is not None
    )
    assert min(report.created, report.updated, report.cells_unlocked) >= 0
    assert all(note.index >= 0 and note.reason for note in (*report.skipped, *report.warnings))
