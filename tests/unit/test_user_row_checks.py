"""What a ``users.add`` does before its insert: the PostgreSQL check (the fast sweep
refuses exactly the rows the column-by-column check refuses, with the same message) and
the one-row conversion (the same driver values as a batch of one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from nictbw.adapters.sqlalchemy.bulk import BulkStatements
from nictbw.adapters.sqlalchemy.mapping import user_values
from nictbw.adapters.sqlalchemy.repositories.users import (
    _COLUMNS,
    _check_storable,
    _refuse_unstorable,
)
from nictbw.adapters.sqlalchemy.tables import users
from nictbw.domain.entities import User
from nictbw.domain.errors import ValidationError

_NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


class _Text(str):
    """A ``str`` subclass: stored like a string, so it must pass when short enough."""


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.text(max_size=3),
    st.integers(0, 300).map(lambda n: "x" * n),
    st.integers(0, 300).map(lambda n: _Text("y" * n)),
)


def _outcome(check: Any, row: tuple[Any, ...]) -> str | None:
    try:
        check(row)
    except ValidationError as error:
        return str(error)
    return None


@given(st.tuples(*[_VALUES for _ in _COLUMNS]))
def test_the_fast_sweep_refuses_what_the_full_check_refuses(row: tuple[Any, ...]) -> None:
    assert _outcome(_check_storable, row) == _outcome(_refuse_unstorable, row)


def test_each_kind_of_fault_is_named() -> None:
    fine = dict.fromkeys(_COLUMNS)
    fine.update(password_provided=False, initial_reward_claimed=False, is_test_user=False)
    fine.update(created_at=_NOW, updated_at=_NOW)
    assert _outcome(_check_storable, tuple(fine.values())) is None
    faults = {
        "nickname": ("n" * 51, "users.nickname is longer than 50 characters"),
        "email": (7, "users.email must be a string, got 7"),
        "is_test_user": (1, "users.is_test_user must be a bool, got 1"),
        "initial_reward_claimed": (None, "users.initial_reward_claimed must not be null"),
    }
    for column, (value, message) in faults.items():
        row = {**fine, column: value}
        outcome = _outcome(_check_storable, tuple(row.values()))
        assert outcome is not None, column
        assert outcome.startswith(message), (column, outcome)


_DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.psycopg.dialect()}


@given(
    st.sampled_from(sorted(_DIALECTS)),
    st.builds(
        User,
        in_app_id=st.none() | st.text(max_size=5),
        nickname=st.none() | st.text(max_size=5),
        password_provided=st.booleans(),
        is_test_user=st.booleans(),
        created_at=st.datetimes(timezones=st.just(UTC)),
        updated_at=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=9))])),
    ),
)
def test_one_row_is_converted_as_a_batch_of_one(dialect: str, user: User) -> None:
    bulk = BulkStatements.of(_DIALECTS[dialect], users, _COLUMNS)
    row = tuple(user_values(user).values())
    assert bulk.row(row) == bulk.executemany_rows([row])[0]
