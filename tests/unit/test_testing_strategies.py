"""nictbw.testing.strategies: what the valid strategies draw is accepted by the workflows
(and domain checks) that guard it, what the ``invalid_*`` ones draw is refused with a
NictbwError naming the broken field, and whole events play through and shrink small."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st

from nictbw.adapters.chain.fake import FakeChain
from nictbw.adapters.clock import FixedClock
from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.domain.chain_payload import parse_mint_metadata, parse_nft_payloads
from nictbw.domain.entities import (
    Admin,
    NFTDefinition,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    User,
)
from nictbw.domain.errors import ChainError, NictbwError, ValidationError
from nictbw.domain.scoring import origin_key
from nictbw.domain.timeutil import ensure_utc
from nictbw.domain.validation import validate_email_address, validate_prefix
from nictbw.domain.values import check_id
from nictbw.testing import strategies as nst
from nictbw.testing.checks import assert_invariants
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
