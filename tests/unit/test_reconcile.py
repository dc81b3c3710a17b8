"""Sync decisions (domain-rules.md §8.4-8.5) decided without any storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nictbw.domain.chain_payload import ParsedNFT, parse_nft_payloads
from nictbw.domain.entities import (
    DEFINITION_ACTIVE,
    INSTANCE_SUCCEEDED,
    INSTANCE_TRANSFERRED,
    NFTDefinition,
    NFTInstance,
)
from nictbw.domain.reconcile import (
    CREATED,
    SKIPPED,
    SUPPLY_EXHAUSTED,
    UNCHANGED,
    UPDATED,
    reconcile,
    untrusted_app_reason,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
USER = 7
OTHER_USER = 8


def origin(n: int) -> str:
    return f"{n:064x}_0"


def item(n: int, prefix: str, **top: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"prefix": prefix}
    return {
        "nft_origin": origin(n),
        "nft_id": n,
        "created_at": "2026-04-30T10:00:00Z",
        "metadata": {"MAP": {"app": "nictbw", "name": f"Badge {prefix}", "subTypeData": data}},
        **top,
    }


def parsed(*items: dict[str, Any]) -> tuple[ParsedNFT, ...]:
    return parse_nft_payloads(list(items)).items


def definition(did: int, prefix: str, **fields: Any) -> NFTDefinition:
    values: dict[str, Any] = {
        "prefix": prefix,
        "shared_key": prefix.lower(),
        "name": f"Badge {prefix}",
        "nft_type": "default",
        "status": DEFINITION_ACTIVE,
        "created_at": NOW - timedelta(days=3),
        "updated_at": NOW - timedelta(days=3),
    }
    values.update(fields)
    made = NFTDefinition(**values)
    made.id = did
    return made


def instance(
    iid: int,
    did: int,
    *,
    user: int = USER,
    nft_origin: str | None = None,
    status: str = INSTANCE_SUCCEEDED,
    **fields: Any,
) -> NFTInstance:
    made = NFTInstance(
        user_id=user,
        definition_id=did,
        serial_number=iid,
        unique_instance_id=f"P-{iid:012d}",
        acquired_at=NOW - timedelta(days=1, seconds=-iid),
        status=status,
        nft_origin=nft_origin,
        **fields,
    )
    made.id = iid
    return made


def run(items: tuple[ParsedNFT, ...], **given_state: Any) -> Any:
    state: dict[str, Any] = {"mine": [], "holders": [], "definitions": {}}
    state.update(given_state)
    found_origins = state.pop("found_origins", {i.origin for i in items})
    return reconcile(
        items,
        user_id=USER,
        found_origins=found_origins,
        now=NOW,
        trusted_apps=state.pop("trusted_apps", ("nictbw",)),
        **state,
    )


def test_unknown_prefix_creates_a_definition_and_an_instance() -> None:
    decided = run(parsed(item(1, "NEW")))
    assert decided.definitions_created == ("NEW",)
    (new_definition,) = decided.new_definitions
    assert new_definition.id is not None
    assert new_definition.id < 0
    (created,) = decided.created
    assert created.definition_id == new_definition.id
    assert created.nft_origin == origin(1)
    assert (created.serial_number, created.unique_instance_id) == (-1, "")
    assert [o.outcome for o in decided.outcomes] == [CREATED]
    assert decided.gains == ((0, created, True),)


def test_two_items_of_one_new_prefix_create_the_definition_once() -> None:
    decided = run(parsed(item(1, "NEW"), item(2, "NEW")))
    assert decided.definitions_created == ("NEW",)
    assert len({i.definition_id for i in decided.created}) == 1


def test_known_instance_with_the_same_fields_is_unchanged_and_nothing_is_written() -> None:
    (chain,) = parsed(item(1, "P"))
    known = definition(1, "P", **chain.definition_fields)
    mine = instance(10, 1, nft_origin=origin(1), **chain.instance_fields)
    decided = run((chain,), mine=[mine], definitions={"P": known})
    assert [o.outcome for o in decided.outcomes] == [UNCHANGED]
    assert (decided.changed, decided.created, decided.changed_definitions) == ((), (), ())


def test_changed_chain_field_updates_the_instance_on_a_copy() -> None:
    known = definition(1, "P")
    mine = instance(10, 1, nft_origin=origin(1), blockchain_nft_id=99)
    decided = run(parsed(item(1, "P")), mine=[mine], definitions={"P": known})
    assert [o.outcome for o in decided.outcomes] == [UPDATED]
    (changed,) = decided.changed
    assert changed.blockchain_nft_id == 1
    assert mine.blockchain_nft_id == 99


def test_transferred_instance_coming_back_is_reacquired_and_gained() -> None:
    known = definition(1, "P")
    mine = instance(10, 1, nft_origin=origin(1), status=INSTANCE_TRANSFERRED, blockchain_nft_id=1)
    decided = run(parsed(item(1, "P")), mine=[mine], definitions={"P": known})
    (changed,) = decided.changed
    assert changed.status == INSTANCE_SUCCEEDED
    assert decided.gains == ((0, changed, False),)
    assert mine.status == INSTANCE_TRANSFERRED


def test_local_instance_without_origin_adopts_it_earliest_issued_first() -> None:
    known = definition(1, "P")
    later, earlier = instance(12, 1), instance(11, 1)
    decided = run(parsed(item(1, "P")), mine=[later, earlier], definitions={"P": known})
    (adopter,) = decided.changed
    assert (adopter.id, adopter.nft_origin) == (11, origin(1))
    assert decided.created == ()


def test_origin_held_by_another_user_is_transferred_away() -> None:
    known = definition(1, "P")
    theirs = instance(20, 1, user=OTHER_USER, nft_origin=origin(1))
    decided = run(parsed(item(1, "P")), holders=[theirs], definitions={"P": known})
    (moved,) = decided.transferred_elsewhere
    assert (moved.id, moved.status) == (20, INSTANCE_TRANSFERRED)
    assert decided.transferred == 1


def test_instance_whose_origin_is_missing_from_the_chain_is_transferred() -> None:
    gone = instance(10, 1, nft_origin=origin(5))
    local = instance(11, 1)
    decided = run((), mine=[gone, local])
    assert [(i.id, i.status) for i in decided.changed] == [(10, INSTANCE_TRANSFERRED)]
    assert decided.transferred == 1


def test_definition_change_alone_makes_the_item_updated() -> None:
    (chain,) = parsed(item(1, "P"))
    known = definition(1, "P", **{**chain.definition_fields, "name": "Old name"})
    mine = instance(10, 1, nft_origin=origin(1), **chain.instance_fields)
    decided = run((chain,), mine=[mine], definitions={"P": known})
    assert [o.outcome for o in decided.outcomes] == [UPDATED]
    (changed,) = decided.changed_definitions
    assert (changed.name, changed.updated_at) == ("Badge P", NOW)
    assert known.name == "Old name"


def test_item_of_an_untrusted_app_is_skipped_and_decides_nothing() -> None:
    theirs = instance(20, 1, user=OTHER_USER, nft_origin=origin(1))
    evil = item(1, "P")
    evil["metadata"]["MAP"]["app"] = "evil"
    decided = run(parsed(evil), holders=[theirs], definitions={"P": definition(1, "P")})
    assert [(o.outcome, o.reason) for o in decided.outcomes] == [(SKIPPED, "untrusted app evil")]
    assert decided.skipped[0].reason == "untrusted app evil"
    assert (decided.created, decided.changed, decided.transferred_elsewhere) == ((), (), ())
    assert decided.new_definitions == ()


def test_untrusted_item_origin_still_counts_as_found() -> None:
    mine = instance(10, 1, nft_origin=origin(1))
    evil = item(1, "P")
    evil["metadata"]["MAP"]["app"] = "evil"
    decided = run(parsed(evil), mine=[mine], definitions={"P": definition(1, "P")})
    assert decided.changed == ()
    assert decided.transferred == 0


def test_only_the_trusted_apps_given_apply() -> None:
    decided = run(parsed(item(1, "P")), trusted_apps=("partner",))
    assert decided.count(SKIPPED) == 1
    assert decided.new_definitions == ()


@pytest.mark.parametrize(
    ("app", "reason"),
    [
        (None, "untrusted app (none)"),
        ("partner", "untrusted app partner"),
        ("x\x1b[31m", "untrusted app 'x\\x1b[31m'"),
        ("a" * 80, "untrusted app '" + "a" * 64 + "'"),
    ],
)
def test_untrusted_reason_names_the_app_safely(app: str | None, reason: str) -> None:
    assert untrusted_app_reason(app) == reason


def test_definition_owned_by_an_admin_is_never_changed() -> None:
    (chain,) = parsed(item(1, "P"))
    owned = definition(1, "P", name="Admin name", created_by_admin_id=3)
    decided = run((chain,), definitions={"P": owned})
    assert decided.changed_definitions == ()
    assert [o.outcome for o in decided.outcomes] == [CREATED]


def test_creation_past_max_supply_is_skipped_but_updates_still_apply() -> None:
    limited = definition(1, "P", max_supply=2, minted_count=1)
    known = instance(10, 1, nft_origin=origin(9), blockchain_nft_id=1)
    items = parsed(item(1, "P"), item(2, "P"), item(9, "P"))
    decided = run(items, mine=[known], definitions={"P": limited})
    assert [(o.outcome, o.reason) for o in decided.outcomes] == [
        (CREATED, None),
        (SKIPPED, SUPPLY_EXHAUSTED),
        (UPDATED, None),
    ]
    assert len(decided.created) == 1


def test_adoption_is_not_limited_by_supply() -> None:
    full = definition(1, "P", max_supply=1, minted_count=1)
    local = instance(10, 1)
    decided = run(parsed(item(1, "P")), mine=[local], definitions={"P": full})
    assert [o.outcome for o in decided.outcomes] == [UPDATED]
    assert decided.changed[0].nft_origin == origin(1)


ITEM_SPECS = st.lists(st.tuples(st.integers(1, 12), st.sampled_from(["A", "B", "C"])), max_size=10)
HELD = st.lists(
    st.tuples(
        st.integers(1, 12) | st.none(),
        st.sampled_from([1, 2]),
        st.sampled_from([INSTANCE_SUCCEEDED, INSTANCE_TRANSFERRED]),
    ),
    max_size=6,
)
"""The user's stored instances: (origin number or none, definition id, status)."""


@given(
    specs=ITEM_SPECS,
    apps=st.lists(st.sampled_from(["nictbw", "evil"]), min_size=10, max_size=10),
    supply=st.none() | st.integers(0, 3),
    held=HELD,
)
def test_every_item_has_exactly_one_outcome_and_the_counts_add_up(
    specs: list[tuple[int, str]],
    apps: list[str],
    supply: int | None,
    held: list[tuple[int | None, int, str]],
) -> None:
    payloads = [item(n, prefix) for n, prefix in specs]
    for payload, app in zip(payloads, apps, strict=False):
        payload["metadata"]["MAP"]["app"] = app
    items = parsed(*payloads)
    known = {"A": definition(1, "A", max_supply=supply), "B": definition(2, "B")}
    mine = [
        instance(100 + k, did, nft_origin=None if n is None else origin(n), status=status)
        for k, (n, did, status) in enumerate(held)
    ]
    decided = run(items, mine=mine, definitions=known)
    counts = [decided.count(o) for o in (CREATED, UPDATED, UNCHANGED, SKIPPED)]
    assert sum(counts) == len(items)
    assert [o.index for o in decided.outcomes] == [i.index for i in items]
    assert decided.count(CREATED) == len(decided.created)
    assert len({i.nft_origin for i in decided.created}) == len(decided.created)
    assert decided.count(SKIPPED) == len(decided.skipped)
    trusted_c = any(i.prefix == "C" and i.app == "nictbw" for i in items)
    assert decided.definitions_created == (("C",) if trusted_c else ())
    assert all(
        o.outcome == SKIPPED
        for o, i in zip(decided.outcomes, items, strict=True)
        if i.app != "nictbw"
    )
    if supply is not None:
        assert sum(1 for i in decided.created if i.definition_id == 1) <= supply


def _snapshot(entities: list[Any]) -> list[Any]:
    return [attrs.evolve(e) for e in entities]


def _apply(decided: Any, mine: list[NFTInstance], known: dict[str, NFTDefinition]) -> None:
    """Apply ``decided`` to ``mine`` and ``known`` as the sync workflow stores it."""
    by_id = {i.id: k for k, i in enumerate(mine)}
    for changed in decided.changed:
        mine[by_id[changed.id]] = changed
    for serial, created in enumerate(decided.created, start=1000):
        created.id = serial
        mine.append(created)
    for changed_definition in decided.changed_definitions:
        known[changed_definition.prefix] = changed_definition
    for new in decided.new_definitions:
        known[new.prefix] = new
    for created in decided.created:
        for stored in known.values():
            if stored.id == created.definition_id:
                stored.minted_count += 1


@given(
    specs=ITEM_SPECS,
    renamed=st.sets(st.sampled_from(["A", "B", "C"])),
    supply=st.none() | st.integers(0, 3),
    held=HELD,
    elsewhere=st.lists(st.integers(1, 12), max_size=3, unique=True),
    listed_only=st.booleans(),
)
def test_the_given_entities_are_never_changed_and_a_second_sync_changes_nothing(
    specs: list[tuple[int, str]],
    renamed: set[str],
    supply: int | None,
    held: list[tuple[int | None, int, str]],
    elsewhere: list[int],
    listed_only: bool,
) -> None:
    payloads = [item(n, prefix) for n, prefix in specs]
    for payload, (_, prefix) in zip(payloads, specs, strict=True):
        if prefix in renamed:  # a renamed badge on the chain: its definition changes
            payload["metadata"]["MAP"]["name"] = f"Renamed {prefix}"
    items = parsed(*payloads)
    known = {"A": definition(1, "A", max_supply=supply), "B": definition(2, "B")}
    mine = [
        instance(100 + k, did, nft_origin=None if n is None else origin(n), status=status)
        for k, (n, did, status) in enumerate(held)
    ]
    holders = [
        instance(200 + k, 1, user=OTHER_USER, nft_origin=origin(n)) for k, n in enumerate(elsewhere)
    ]
    found = {i.origin for i in items} if listed_only else {origin(n) for n in range(1, 13)}
    given_entities = [*mine, *holders, *known.values()]
    before = _snapshot(given_entities)

    decided = run(items, mine=mine, holders=holders, definitions=known, found_origins=found)

    assert given_entities == before
    returned = [
        *decided.new_definitions,
        *decided.changed_definitions,
        *decided.changed,
        *decided.transferred_elsewhere,
        *decided.created,
        *(gained for _, gained, _ in decided.gains),
    ]
    assert not {id(e) for e in returned} & {id(e) for e in given_entities}

    stored_mine, stored_known = _snapshot(mine), {p: attrs.evolve(d) for p, d in known.items()}
    _apply(decided, stored_mine, stored_known)
    again = run(items, mine=stored_mine, holders=[], definitions=stored_known, found_origins=found)
    assert again.count(CREATED) == 0
    assert again.count(UPDATED) == 0
    assert again.changed == ()
    assert again.changed_definitions == ()
