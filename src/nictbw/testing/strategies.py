"""Hypothesis strategies for nictbw's entities, value objects and whole events.

Every ``foo()`` strategy draws values that nictbw accepts (domain-rules.md §1-§4 and the
checks of ``nictbw.domain.values`` and ``nictbw.domain.validation``): texts within their
column widths and free of control characters, UTC datetimes within the storable range,
32-bit ids, 64-bit chain ids, prefixes without whitespace, ASCII origins, thresholds the
scoring algorithm can reach. Every ``invalid_foo()`` counterpart draws a :class:`Broken`
value: a valid one with exactly one field broken, and the name of that field, so a test
can assert that the refusal (a :class:`~nictbw.domain.errors.NictbwError`) names it.

New entities come with ``id`` None and no timestamps, ready for the create and register
workflows. :func:`events` draws a whole small event (an admin, a catalogue, users, a
stream of grants, a draw type and winning numbers) that :func:`apply_event` plays through
the real workflows without an error; it shrinks to one user, one badge and no grants.

Strategies take no storage: they are pure descriptions, usable from any test suite::

    from hypothesis import given
    from nictbw.testing import strategies as nst

    @given(nst.users())
    def test_my_signup_accepts_what_nictbw_accepts(user): ...

Over 500 lines on purpose: this is the one namespace a host imports (``nst``), and each
valid strategy sits beside its ``invalid_*`` counterpart and the breakers that define it;
split apart, the pairs would drift.
"""

from __future__ import annotations

import io
import json
import math
import random
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Final, Generic, TypeVar

from attrs import evolve, frozen
from hypothesis import strategies as st

from nictbw.domain.audit import AuditAction, AuditEntity, changed_fields
from nictbw.domain.bingo import CARD_CELL_COUNT, layout_card
from nictbw.domain.engine import PrizeDrawEngine
from nictbw.domain.entities import (
    OUTCOME_LOSE,
    OUTCOME_PENDING,
    OUTCOME_WIN,
    SNAPSHOT_ATTENDANCE,
    SNAPSHOT_BINGO,
    Admin,
    AuditEntry,
    BingoCard,
    BingoCell,
    DrawCandidate,
    NFTDefinition,
    NFTInstance,
    PrizeDrawEvaluation,
    PrizeDrawResult,
    PrizeDrawSnapshot,
    PrizeDrawType,
    PrizeDrawWinningNumber,
    ScoreComputation,
    ScoreEvaluation,
    SyncNote,
    SyncReport,
    User,
)
from nictbw.domain.export.format import candidate_order
from nictbw.domain.export.writer import write_export
from nictbw.domain.reconcile import SUPPLY_EXHAUSTED, untrusted_app_reason
from nictbw.domain.scoring import (
    DEFAULT_SCORING_REGISTRY,
    TOP_DIGITS_LENGTH,
    derive_draw_number,
    normalize_winning_value,
    origin_key,
    sha256_hex_proximity,
)
from nictbw.domain.snapshots import candidate_set_digest
from nictbw.domain.timeutil import iso
from nictbw.domain.values import (
    FREE_TEXT_CONTROLS,
    ID_MAX,
    INT32_MAX,
    INT64_MAX,
    INT64_MIN,
    STORABLE_MAX,
    STORABLE_MIN,
)
from nictbw.ports import ChainPort, UnitOfWork
from nictbw.ports.clock import Clock

T = TypeVar("T")

DEFAULT_ALGORITHM: Final = "sha256_hex_proximity"
"""The scoring algorithm drawn for draw types (the only one nictbw registers)."""
DEFAULT_MAX_SCORE: Final = DEFAULT_SCORING_REGISTRY.get(DEFAULT_ALGORITHM).max_score
"""The highest threshold :data:`DEFAULT_ALGORITHM` can reach (0.8999999999999999)."""
EVENT_START: Final = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
"""When :func:`apply_event` stamps by default."""
EVENT_PASSWORD: Final = "event-password"
"""The chain password :func:`apply_event` signs users up with."""

# Characters stored text may hold: everything but control characters (Cc: C0, DEL, C1)
# and lone surrogates (Cs).
_TEXT_CHARS: Final = st.characters(exclude_categories=("Cc", "Cs"))
_CONTROLS: Final = tuple(
    chr(code)
    for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
    if chr(code) not in FREE_TEXT_CONTROLS
)
_ALL_CONTROLS: Final = (*_CONTROLS, *FREE_TEXT_CONTROLS)
_ASCII_VISIBLE: Final = string.ascii_letters + string.digits + string.punctuation
_NAIVE_MIN: Final = STORABLE_MIN.replace(tzinfo=None)
_NAIVE_MAX: Final = STORABLE_MAX.replace(tzinfo=None)


@frozen
class Broken(Generic[T]):
    """A value nictbw must refuse: ``value`` has exactly one broken ``field``.

    ``valid``, when known, is the accepted value it was made from: the two differ in
    ``field`` only.
    """

    value: T
    field: str
    valid: T | None = None


# --- text -------------------------------------------------------------------------------


def texts(max_size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Text of at most ``max_size`` characters without control characters."""
    return st.text(_TEXT_CHARS, min_size=min_size, max_size=max_size)


def non_blank_texts(max_size: int) -> st.SearchStrategy[str]:
    """:func:`texts` with at least one non-whitespace character."""
    return texts(max_size, min_size=1).filter(lambda value: bool(value.strip()))


def free_texts(max_size: int = 200) -> st.SearchStrategy[str]:
    """Free text (descriptions): like :func:`texts` but tab and line breaks allowed."""
    return st.text(st.one_of(_TEXT_CHARS, st.sampled_from(FREE_TEXT_CONTROLS)), max_size=max_size)


def too_long_texts(max_length: int) -> st.SearchStrategy[str]:
    """Printable ASCII text one to a few characters longer than ``max_length``."""
    return st.text(
        st.sampled_from(string.ascii_letters), min_size=max_length + 1, max_size=max_length + 3
    )


def texts_with_control(
    *, free_text: bool = False, max_size: int = 20, alphabet: str | None = None
) -> st.SearchStrategy[str]:
    """Non-blank text holding one refused control character (for free text: not tab or
    line breaks), at most ``max_size`` characters."""
    part = (
        st.text(st.sampled_from(alphabet), min_size=1, max_size=max(1, max_size // 2 - 1))
        if alphabet is not None
        else st.text(st.sampled_from(string.ascii_letters), min_size=1, max_size=max_size // 2 - 1)
    )
    controls = _CONTROLS if free_text else _ALL_CONTROLS
    return st.builds(lambda a, c, b: a + c + b, part, st.sampled_from(controls), part)


def _blank_texts() -> st.SearchStrategy[str]:
    return st.sampled_from(["", " ", "   "])


# --- scalars ----------------------------------------------------------------------------


def ids() -> st.SearchStrategy[int]:
    """A positive 32-bit id."""
    return st.integers(min_value=1, max_value=ID_MAX)


def invalid_ids() -> st.SearchStrategy[object]:
    """What no id may be: beyond the 32-bit range, a bool, a float or text."""
    return st.one_of(
        st.integers(min_value=ID_MAX + 1, max_value=INT64_MAX),
        st.integers(max_value=-(2**31) - 1, min_value=INT64_MIN),
        st.booleans(),
        st.just(1.0),
        st.just("1"),
    )


def blockchain_nft_ids() -> st.SearchStrategy[int]:
    """A chain ``nft_id``: any signed 64-bit integer."""
    return st.integers(min_value=INT64_MIN, max_value=INT64_MAX)


def invalid_blockchain_nft_ids() -> st.SearchStrategy[object]:
    """What no chain ``nft_id`` may be: beyond 64 bits, a bool or text."""
    return st.one_of(
        st.integers(min_value=INT64_MAX + 1, max_value=2**70),
        st.integers(min_value=-(2**70), max_value=INT64_MIN - 1),
        st.booleans(),
        st.just("12"),
    )


def utc_datetimes(
    min_value: datetime = STORABLE_MIN, max_value: datetime = STORABLE_MAX
) -> st.SearchStrategy[datetime]:
    """An aware UTC datetime within the storable range (or the narrower one given)."""
    low = max(min_value, STORABLE_MIN).astimezone(UTC).replace(tzinfo=None)
    high = min(max_value, STORABLE_MAX).astimezone(UTC).replace(tzinfo=None)
    return st.datetimes(min_value=low, max_value=high, timezones=st.just(UTC))


def invalid_datetimes() -> st.SearchStrategy[datetime]:
    """A naive datetime, or an aware one outside the storable range."""
    return st.one_of(
        st.datetimes(min_value=_NAIVE_MIN, max_value=_NAIVE_MAX),
        st.sampled_from(
            [
                datetime.min.replace(tzinfo=UTC),
                datetime.max.replace(tzinfo=UTC),
            ]
        ),
    )


def emails() -> st.SearchStrategy[str]:
    """A normalised ``local@domain`` address of at most 100 characters."""
    part = st.text(st.sampled_from(string.ascii_lowercase + string.digits + "._-+"), min_size=1)
    return st.builds(lambda local, domain: f"{local[:40]}@{domain[:40]}.org", part, part)


def invalid_emails() -> st.SearchStrategy[str]:
    """A non-blank text that is no acceptable address."""
    return st.one_of(
        st.sampled_from(["no-at-sign", "@example.org", "user@", "a@b@c.org", "a b@c.org"]),
        st.builds(lambda n: "x" * n + "@example.org", st.integers(min_value=89, max_value=95)),
        texts_with_control().map(lambda local: local.replace(" ", "") + "@example.org"),
    )


def prefixes(max_size: int = 20) -> st.SearchStrategy[str]:
    """A definition prefix: non-empty, no whitespace, no control character."""
    return st.text(
        _TEXT_CHARS.filter(lambda char: not char.isspace()),
        min_size=1,
        max_size=min(max_size, 100),
    )


@cache
def readable_prefixes() -> st.SearchStrategy[str]:
    """Short upper-case ASCII prefixes (``A``, ``B0``, ``EXPO``), for events people read."""
    return st.text(st.sampled_from(string.ascii_uppercase + string.digits), min_size=1, max_size=6)


def invalid_prefixes() -> st.SearchStrategy[str]:
    """Empty, holding whitespace or a control character, or longer than 100."""
    return st.one_of(
        st.just(""),
        st.sampled_from(["A B", " A", "A\u00a0B", "EXPO\t"]),
        texts_with_control(alphabet=string.ascii_uppercase),
        too_long_texts(100),
    )


def origins() -> st.SearchStrategy[str]:
    """An NFT origin: printable ASCII (spaces inside allowed), not blank, at most 255."""
    return st.builds(
        lambda txid, vout: f"{txid}_{vout}",
        st.text(st.sampled_from("0123456789abcdef"), min_size=1, max_size=64),
        st.integers(min_value=0, max_value=9),
    ) | st.text(st.sampled_from(_ASCII_VISIBLE + " "), min_size=1, max_size=60).filter(
        lambda value: bool(value.strip())
    )


def invalid_origins() -> st.SearchStrategy[str]:
    """Blank, non-ASCII, holding a control character, or longer than 255."""
    return st.one_of(
        _blank_texts(),
        st.sampled_from(["orígin_0", "起源_0", "tx\u00e9_1"]),
        texts_with_control(),
        too_long_texts(255),
    )


def thresholds(max_score: float = DEFAULT_MAX_SCORE) -> st.SearchStrategy[float]:
    """A threshold the algorithm with ``max_score`` can reach: finite, in [0, max_score]."""
    return st.floats(min_value=0.0, max_value=max_score, allow_nan=False, allow_infinity=False)


def invalid_thresholds(max_score: float = DEFAULT_MAX_SCORE) -> st.SearchStrategy[float]:
    """NaN, infinite, negative, or above ``max_score``."""
    above = math.nextafter(max_score, math.inf)
    return st.one_of(
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.floats(max_value=-1e-9, min_value=-1e6, allow_nan=False),
        st.floats(min_value=above, max_value=1e6, allow_nan=False, allow_infinity=False),
    )


def winning_values() -> st.SearchStrategy[str]:
    """A winning value: ASCII, not blank, at most 255 characters, stored as given."""
    return st.text(st.sampled_from(_ASCII_VISIBLE + " "), min_size=1, max_size=40).filter(
        lambda value: bool(value.strip())
    )


def invalid_winning_values() -> st.SearchStrategy[str]:
    """Blank, non-ASCII, holding a control character, or longer than 255."""
    return st.one_of(
        _blank_texts(),
        st.sampled_from(["café", "42€", "七"]),
        texts_with_control(),
        too_long_texts(255),
    )


_JSON_SCALARS: Final = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    texts(20),
)


def json_objects(max_leaves: int = 8) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object: string keys, JSON values (no NaN or infinities)."""
    values = st.recursive(
        _JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts(8), inner, max_size=3),
        max_leaves=max_leaves,
    )
    return st.dictionaries(texts(12), values, max_size=4)


def invalid_json_objects() -> st.SearchStrategy[object]:
    """Not a JSON object: a list, a non-string key, NaN, or an unserialisable value."""
    return st.sampled_from(
        [
            ["a", "list"],
            {1: "int key"},
            {"nested": {None: 1}},
            {"score": math.nan},
            {"when": datetime(2026, 1, 1, tzinfo=UTC)},
        ]
    )


# --- entities ---------------------------------------------------------------------------


def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def _break(
    valid: st.SearchStrategy[T], breakers: Mapping[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Broken[T]]:
    """A valid value with one field (chosen from ``breakers``) set to a bad value."""
    names = sorted(breakers)

    def broken(value: T, name: str, bad: object) -> Broken[T]:
        return Broken(
            value=evolve(value, **{name: bad}),  # type: ignore[misc]
            field=name,
            valid=value,
        )

    field_and_bad = st.sampled_from(names).flatmap(
        lambda name: st.tuples(st.just(name), breakers[name])
    )
    return st.builds(lambda v, fb: broken(v, fb[0], fb[1]), valid, field_and_bad)


def _text_breakers(max_length: int, *, blankable: bool = False) -> st.SearchStrategy[str]:
    options = [too_long_texts(max_length), texts_with_control(max_size=max_length)]
    if blankable:
        options.append(_blank_texts())
    return st.one_of(options)


def users() -> st.SearchStrategy[User]:
    """A new user (§2.1): ``id`` None, no timestamps, every field within its rules."""
    return st.builds(
        User,
        in_app_id=_optional(non_blank_texts(100)),
        email=_optional(emails()),
        password_hash=_optional(texts(60)),
        password_provided=st.booleans(),
        nickname=_optional(texts(50)),
        paymail=st.none(),
        on_chain_id=st.none(),
        fcm_token=_optional(texts(40)),
        initial_reward_claimed=st.booleans(),
        is_test_user=st.booleans(),
    )


_USER_BREAKERS: Final[Mapping[str, st.SearchStrategy[Any]]] = {
    "in_app_id": _text_breakers(100, blankable=True),
    "email": invalid_emails(),
    "nickname": _text_breakers(50),
    "paymail": _text_breakers(255),
    "password_hash": _text_breakers(255),
    "fcm_token": _text_breakers(255),
    "password_provided": st.sampled_from([0, 1, "yes", None]),
    "is_test_user": st.sampled_from([0, 1, "no", None]),
    "created_at": invalid_datetimes(),
}


def invalid_users() -> st.SearchStrategy[Broken[User]]:
    """A new user with exactly one field breaking §2.1."""
    return _break(users(), _USER_BREAKERS)


def admins() -> st.SearchStrategy[Admin]:
    """A new admin (§2.2) with a ready password hash."""
    return st.builds(
        Admin,
        email=_optional(emails()),
        password_hash=non_blank_texts(60),
        name=_optional(texts(50)),
        role=_optional(texts(50)),
    )


_ADMIN_BREAKERS: Final[Mapping[str, st.SearchStrategy[Any]]] = {
    "email": invalid_emails(),
    "password_hash": _text_breakers(255, blankable=True),
    "name": _text_breakers(50),
    "role": _text_breakers(50),
    "updated_at": invalid_datetimes(),
}


def invalid_admins() -> st.SearchStrategy[Broken[Admin]]:
    """A new admin with exactly one field breaking §2.2."""
    return _break(admins(), _ADMIN_BREAKERS)


def definitions(
    *, admin_id: int = 1, prefix: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[NFTDefinition]:
    """A new definition (§2.3) created by admin ``admin_id``; ``minted_count`` 0."""
    return st.builds(
        NFTDefinition,
        prefix=prefix if prefix is not None else prefixes(),
        shared_key=non_blank_texts(40),
        name=non_blank_texts(40),
        nft_type=st.sampled_from(["default", "venue", "game", "attendance"]),
        category=_optional(texts(50)),
        subcategory=_optional(texts(50)),
        description=_optional(free_texts()),
        promotional_text=_optional(free_texts()),
        store_url=_optional(texts(80)),
        image_url=_optional(texts(80)),
        latitude=_optional(st.floats(min_value=-90, max_value=90)),
        longitude=_optional(st.floats(min_value=-180, max_value=180)),
        max_supply=_optional(st.integers(min_value=0, max_value=INT32_MAX)),
        status=st.sampled_from(["active", "inactive"]),
        triggers_bingo_card=st.booleans(),
        bingo_random_candidate=st.booleans(),
        card_lifetime_seconds=_optional(st.integers(min_value=1, max_value=10**8)),
        is_dummy=st.booleans(),
        is_public=st.booleans(),
        created_by_admin_id=st.just(admin_id),
    )


_DEFINITION_BREAKERS: Final[Mapping[str, st.SearchStrategy[Any]]] = {
    "prefix": invalid_prefixes(),
    "shared_key": _text_breakers(255, blankable=True),
    "name": _text_breakers(100, blankable=True),
    "nft_type": _text_breakers(50, blankable=True),
    "category": _text_breakers(50),
    "description": texts_with_control(free_text=True),
    "store_url": _text_breakers(512),
    "image_url": _text_breakers(255),
    "latitude": st.sampled_from([math.nan, math.inf, "north"]),
    "max_supply": st.sampled_from([-1, INT32_MAX + 1, True, 1.5]),
    "minted_count": st.integers(min_value=1, max_value=5),
    "status": st.sampled_from(["paused", "ACTIVE", ""]),
    "card_lifetime_seconds": st.sampled_from([0, -5, INT32_MAX + 1]),
    "triggers_bingo_card": st.sampled_from([1, "true"]),
    "created_by_admin_id": st.sampled_from([None, ID_MAX + 1, True]),
    "created_at": invalid_datetimes(),
}


def invalid_definitions(*, admin_id: int = 1) -> st.SearchStrategy[Broken[NFTDefinition]]:
    """A new definition with exactly one field that ``create_nft_definition`` refuses."""
    return _break(definitions(admin_id=admin_id), _DEFINITION_BREAKERS)


def draw_types(max_score: float = DEFAULT_MAX_SCORE) -> st.SearchStrategy[PrizeDrawType]:
    """A new draw type (§2.7) scored by :data:`DEFAULT_ALGORITHM`."""
    name = non_blank_texts(60).map(str.strip).filter(bool)
    return st.builds(
        PrizeDrawType,
        internal_name=name,
        display_name=_optional(texts(80)),
        description=_optional(free_texts()),
        algorithm_key=st.just(DEFAULT_ALGORITHM),
        default_threshold=_optional(thresholds(max_score)),
        max_wins_per_user=_optional(st.integers(min_value=1, max_value=INT32_MAX)),
    )


_DRAW_TYPE_BREAKERS: Final[Mapping[str, st.SearchStrategy[Any]]] = {
    "internal_name": st.one_of(
        _text_breakers(100, blankable=True), st.sampled_from([" padded", "padded "])
    ),
    "display_name": _text_breakers(255),
    "algorithm_key": st.sampled_from(["", "no_such_algorithm", "SHA256_HEX_PROXIMITY"]),
    "default_threshold": invalid_thresholds(),
    "max_wins_per_user": st.sampled_from([0, -1, True, INT32_MAX + 1]),
}


def invalid_draw_types() -> st.SearchStrategy[Broken[PrizeDrawType]]:
    """A new draw type with exactly one field that ``create_prize_draw_type`` refuses."""
    return _break(draw_types(), _DRAW_TYPE_BREAKERS)


def winning_numbers(
    *, draw_type_id: int = 1, around: datetime = EVENT_START
) -> st.SearchStrategy[PrizeDrawWinningNumber]:
    """What ``submit_winning_number`` takes (value, metadata, window), as an entity.

    Windows, when set, are well ordered and lie within a year of ``around``.
    """
    year = timedelta(days=365)
    moment = utc_datetimes(around - year, around + year)

    def window(
        start: datetime | None, length: timedelta | None
    ) -> tuple[datetime | None, datetime | None]:
        return start, (None if length is None or start is None else start + length)

    lengths = _optional(st.timedeltas(min_value=timedelta(seconds=1), max_value=year))
    return st.builds(
        lambda value, metadata, span: PrizeDrawWinningNumber(
            draw_type_id=draw_type_id,
            value=value,
            metadata=metadata,
            effective_at=span[0],
            expires_at=span[1],
        ),
        winning_values(),
        _optional(json_objects()),
        st.builds(window, _optional(moment), lengths),
    )


_WINNING_NUMBER_BREAKERS: Final[Mapping[str, st.SearchStrategy[Any]]] = {
    "value": invalid_winning_values(),
    "metadata": invalid_json_objects(),
    "effective_at": invalid_datetimes(),
}


def invalid_winning_numbers(
    *, draw_type_id: int = 1
) -> st.SearchStrategy[Broken[PrizeDrawWinningNumber]]:
    """A winning number with one bad field; ``expires_at`` not after ``effective_at``
    counts as a broken ``expires_at``."""
    plain = _break(winning_numbers(draw_type_id=draw_type_id), _WINNING_NUMBER_BREAKERS)
    backwards = st.builds(
        lambda number, start, back: Broken(
            value=evolve(number, effective_at=start, expires_at=start - back),
            field="expires_at",
        ),
        winning_numbers(draw_type_id=draw_type_id),
        utc_datetimes(EVENT_START, EVENT_START + timedelta(days=30)),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
    )
    return plain | backwards


def submit_kwargs(number: PrizeDrawWinningNumber) -> dict[str, Any]:
    """The keyword arguments of ``submit_winning_number`` that ``number`` describes."""
    return {
        "metadata": number.metadata,
        "effective_at": number.effective_at,
        "expires_at": number.expires_at,
    }


def instances(
    *, user_id: int = 1, definition_id: int = 1, prefix: str = "B"
) -> st.SearchStrategy[NFTInstance]:
    """A stored-shape instance of ``definition_id`` held by ``user_id`` (as sync or issuance
    leaves it), for code that reads instances; workflows create the real ones."""
    suffix = st.text(
        st.sampled_from(string.ascii_letters + string.digits), min_size=12, max_size=12
    )
    return st.builds(
        NFTInstance,
        id=ids(),
        user_id=st.just(user_id),
        definition_id=st.just(definition_id),
        serial_number=st.integers(min_value=0, max_value=INT32_MAX),
        unique_instance_id=suffix.map(lambda s: f"{prefix}-{s}"),
        acquired_at=utc_datetimes(),
        status=st.sampled_from(["succeeded", "transferred"]),
        nft_origin=_optional(origins()),
        blockchain_nft_id=_optional(blockchain_nft_ids()),
        current_nft_location=_optional(texts(60)),
    )


# --- bingo cards ------------------------------------------------------------------------

CARD_POOL: Final = tuple(range(1, 13))
"""The definition ids :func:`bingo_cards` lays cards out from by default."""


def _stub_definition(definition_id: int, lifetime: int | None = None) -> NFTDefinition:
    return NFTDefinition(
        id=definition_id,
        prefix=f"D{definition_id}",
        shared_key="key",
        name=f"Definition {definition_id}",
        triggers_bingo_card=lifetime is not None,
        card_lifetime_seconds=lifetime,
    )


def bingo_cards(
    *,
    user_id: int = 1,
    definition_ids: Sequence[int] = CARD_POOL,
    held: Mapping[int, int] | None = None,
    now: datetime = EVENT_START,
) -> st.SearchStrategy[BingoCard]:
    """A new card of ``user_id`` (§5.2) laid out by :func:`nictbw.domain.bingo.layout_card`.

    The centre and the eight outer targets come from ``definition_ids`` (at least nine
    distinct stored, active candidate ids); ``held`` maps a definition id to the id of
    the user's earliest ``succeeded`` instance of it (drawn when None), so the cells of
    held targets start unlocked, matched to that instance, and a card whose nine cells
    start unlocked is completed. Ids are None, ready for ``uow.bingo_cards.add``.
    """
    pool = sorted(set(definition_ids))
    if len(pool) < CARD_CELL_COUNT:
        raise ValueError(f"a card needs at least {CARD_CELL_COUNT} definition ids, got {pool}")
    holdings: st.SearchStrategy[Mapping[int, int]] = (
        st.just(held)
        if held is not None
        else st.dictionaries(st.sampled_from(pool), ids(), max_size=len(pool))
    )

    def lay_out(
        center_id: int, lifetime: int | None, holding: Mapping[int, int], seed: int
    ) -> BingoCard:
        center = _stub_definition(center_id, lifetime)
        catalogue = [center, *(_stub_definition(i) for i in pool if i != center_id)]
        instances = {
            definition_id: NFTInstance(
                id=instance_id,
                user_id=user_id,
                definition_id=definition_id,
                serial_number=0,
                unique_instance_id=f"D{definition_id}-held",
            )
            for definition_id, instance_id in holding.items()
        }
        return layout_card(
            random.Random(seed),
            user_id=user_id,
            center=center,
            definitions=catalogue,
            held=instances,
            now=now,
        )

    return st.builds(
        lay_out,
        st.sampled_from(pool),
        _optional(st.integers(min_value=1, max_value=10**8)),
        holdings,
        st.integers(min_value=0, max_value=2**32 - 1),
    )


def bingo_cells(
    *,
    idx: int | None = None,
    target_definition_id: int = 1,
    instance_id: int | None = None,
    at: datetime = EVENT_START,
) -> st.SearchStrategy[BingoCell]:
    """A new cell (§2.6) at ``idx`` (drawn 0-8 when None) targeting ``target_definition_id``:
    locked (no unlock link), or unlocked at ``at`` by ``instance_id`` (an instance of the
    target, None for a cell unlocked without a stored instance)."""
    positions = st.just(idx) if idx is not None else st.integers(min_value=0, max_value=8)

    def cell(position: int, unlocked: bool) -> BingoCell:
        made = BingoCell(idx=position, target_definition_id=target_definition_id)
        if unlocked:
            made.unlock(instance_id, target_definition_id, at)
        return made

    return st.builds(cell, positions, st.booleans())


def _cell_breaks(cell: BingoCell, choice: int) -> tuple[str, dict[str, Any]]:
    """One broken field of ``cell`` (picked by ``choice``) and its bad value."""
    options: list[tuple[str, dict[str, Any]]] = [
        ("idx", {"idx": (-1, 9, 100)[choice % 3]}),
        ("state", {"state": ("open", "LOCKED", "")[choice % 3]}),
        ("unlocked_at", {"unlocked_at": None if cell.is_unlocked else EVENT_START}),
    ]
    return options[choice % len(options)]


def invalid_bingo_cells(
    *,
    idx: int | None = None,
    target_definition_id: int = 1,
    instance_id: int | None = None,
) -> st.SearchStrategy[Broken[BingoCell]]:
    """A cell with one field the card repository refuses: ``idx`` outside 0-8, an unknown
    ``state``, or ``unlocked_at`` disagreeing with the state (set iff unlocked)."""

    def broken(cell: BingoCell, choice: int) -> Broken[BingoCell]:
        name, change = _cell_breaks(cell, choice)
        return Broken(value=evolve(cell, **change), field=name, valid=cell)

    return st.builds(
        broken,
        bingo_cells(idx=idx, target_definition_id=target_definition_id, instance_id=instance_id),
        st.integers(min_value=0, max_value=8),
    )


def invalid_bingo_cards(
    *,
    user_id: int = 1,
    definition_ids: Sequence[int] = CARD_POOL,
    held: Mapping[int, int] | None = None,
    now: datetime = EVENT_START,
) -> st.SearchStrategy[Broken[BingoCard]]:
    """A card of :func:`bingo_cards` with one field that the card repository refuses
    (its UNIQUE keys and CHECKs: ``uow.bingo_cards.add`` raises a NictbwError naming it).

    ``field`` is ``"state"`` or ``"completed_at"`` for the card, or ``"cells[i].name"``
    for one cell: a target definition taken twice (``target_definition_id``), an idx
    taken twice or outside 0-8 (``idx``), an unknown ``state``, ``unlocked_at`` set iff
    locked. Every cell but the broken one, and every other field, is left as laid out.
    """

    def broken(card: BingoCard, what: int, position: int, choice: int) -> Broken[BingoCard]:
        cells = sorted(card.cells, key=lambda c: c.idx)
        if what == 0:
            state = ("paused", "ACTIVE", "")[choice % 3]
            return Broken(value=evolve(card, state=state), field="state", valid=card)
        if what == 1:
            completed_at = None if card.completed_at is not None else now
            return Broken(
                value=evolve(card, completed_at=completed_at), field="completed_at", valid=card
            )
        cell = cells[position]
        change: dict[str, Any]
        other = cells[(position + 1 + choice % 8) % CARD_CELL_COUNT]
        if what == 2:
            name, change = (
                "target_definition_id",
                {"target_definition_id": other.target_definition_id},
            )
        elif what == 3:
            name, change = "idx", {"idx": other.idx}
        else:
            name, change = _cell_breaks(cell, choice)
        new_cells = [evolve(c, **change) if c is cell else evolve(c) for c in cells]
        return Broken(
            value=evolve(card, cells=new_cells), field=f"cells[{position}].{name}", valid=card
        )

    return st.builds(
        broken,
        bingo_cards(user_id=user_id, definition_ids=definition_ids, held=held, now=now),
        st.integers(min_value=0, max_value=4),
        st.integers(min_value=0, max_value=8),
        st.integers(min_value=0, max_value=8),
    )


# --- scoring, results and snapshots -----------------------------------------------------

_ENGINE: Final = PrizeDrawEngine()


def score_computations() -> st.SearchStrategy[ScoreComputation]:
    """What the :data:`DEFAULT_ALGORITHM` scorer computes for a drawn draw number and
    winning value (score and top digits consistent by construction).

    Nothing validates a ``ScoreComputation``: it is a scorer's answer, trusted as such;
    there is no ``invalid_*`` counterpart."""
    return st.builds(
        lambda origin, value: sha256_hex_proximity(
            derive_draw_number(origin), normalize_winning_value(value)
        ),
        origins(),
        winning_values(),
    )


def score_evaluations(
    max_score: float = DEFAULT_MAX_SCORE,
) -> st.SearchStrategy[ScoreEvaluation]:
    """An evaluation of :data:`DEFAULT_ALGORITHM` with or without a threshold, as the
    algorithm makes it (``passed`` None exactly without a threshold).

    Nothing validates a ``ScoreEvaluation`` (the algorithm builds it; its threshold is
    checked before, see :func:`invalid_thresholds`): no ``invalid_*`` counterpart."""
    algorithm = DEFAULT_SCORING_REGISTRY.get(DEFAULT_ALGORITHM)
    return st.builds(
        lambda origin, value, threshold: algorithm.evaluate(
            derive_draw_number(origin), normalize_winning_value(value), threshold
        ),
        origins(),
        winning_values(),
        _optional(thresholds(max_score)),
    )


def prize_draw_results(
    *,
    winning_value: str,
    threshold: float | None,
    draw_type_id: int = 1,
    winning_number_id: int | None = 1,
    user_id: int = 1,
    definition_id: int = 1,
    evaluated_at: datetime = EVENT_START,
) -> st.SearchStrategy[PrizeDrawResult]:
    """A stored-shape result (§2.9) of one drawn instance (``id`` and ``nft_instance_id``
    drawn) against ``winning_value`` with ``threshold``: draw number, score, top digits
    and outcome are what :class:`~nictbw.domain.engine.PrizeDrawEngine` computes."""

    def result(result_id: int, instance_id: int, origin: str) -> PrizeDrawResult:
        scored = _ENGINE.evaluate_one(
            instance_id,
            origin,
            algorithm_key=DEFAULT_ALGORITHM,
            winning_value=winning_value,
            threshold=threshold,
        )
        return PrizeDrawResult(
            id=result_id,
            draw_type_id=draw_type_id,
            winning_number_id=winning_number_id,
            user_id=user_id,
            definition_id=definition_id,
            nft_instance_id=instance_id,
            draw_number=scored.draw_number,
            similarity_score=scored.score,
            draw_top_digits=scored.draw_top_digits,
            winning_top_digits=scored.winning_top_digits,
            threshold_used=threshold,
            outcome=scored.outcome,
            evaluated_at=evaluated_at,
        )

    return st.builds(result, ids(), ids(), origins())


def _other_digits(digits: str | None, choice: int) -> str:
    shifted = "".join(str((int(d) + 1 + choice % 9) % 10) for d in digits or "0000000000")
    return shifted if shifted != digits else "9" * TOP_DIGITS_LENGTH


def _result_breaks(result: PrizeDrawResult, choice: int) -> list[tuple[str, Any]]:
    score = result.similarity_score if result.similarity_score is not None else 0.0
    other_score = (score + 0.125 + choice / 100) % 1.0
    if other_score == score:
        other_score = 0.5 if score != 0.5 else 0.25
    outcomes = [o for o in (OUTCOME_WIN, OUTCOME_LOSE, OUTCOME_PENDING) if o != result.outcome]
    used = result.threshold_used
    return [
        ("outcome", outcomes[choice % 2]),
        ("similarity_score", other_score),
        ("draw_top_digits", _other_digits(result.draw_top_digits, choice)),
        ("winning_top_digits", _other_digits(result.winning_top_digits, choice)),
        ("threshold_used", 0.5 if used is None else (None if choice % 2 else (used + 0.25) % 1)),
    ]


def invalid_prize_draw_results(
    *,
    winning_value: str,
    threshold: float | None,
    draw_type_id: int = 1,
    winning_number_id: int | None = 1,
    user_id: int = 1,
    definition_id: int = 1,
) -> st.SearchStrategy[Broken[PrizeDrawResult]]:
    """A result of :func:`prize_draw_results` with one field that disagrees with what the
    engine computes (an ``outcome`` its score and threshold do not give, another score,
    top digits or threshold used; a draw number is checked against the instance's origin,
    which a result does not hold). Nothing checks a result when it is
    stored; :func:`~nictbw.domain.export.verify_document` refuses it in an export
    (:func:`results_document`): a problem naming the field (``similarity`` for
    ``similarity_score``)."""

    def broken(result: PrizeDrawResult, choice: int) -> Broken[PrizeDrawResult]:
        options = _result_breaks(result, choice)
        name, bad = options[choice % len(options)]
        return Broken(value=evolve(result, **{name: bad}), field=name, valid=result)

    return st.builds(
        broken,
        prize_draw_results(
            winning_value=winning_value,
            threshold=threshold,
            draw_type_id=draw_type_id,
            winning_number_id=winning_number_id,
            user_id=user_id,
            definition_id=definition_id,
        ),
        st.integers(min_value=0, max_value=59),
    )


def results_document(
    results: Sequence[PrizeDrawResult],
    *,
    winning_value: str,
    threshold: float | None,
    snapshot: PrizeDrawSnapshot | None = None,
    winning_created_at: datetime = EVENT_START + timedelta(hours=1),
    algorithm_key: str = DEFAULT_ALGORITHM,
) -> dict[str, Any]:
    """The export document (``nictbw.draw-export/3``) of a draw holding ``results`` (one
    per instance), written by the domain's own writer, for
    :func:`~nictbw.domain.export.verify_document`. A result's ``nft_origin`` is its draw
    number (what the draw number is derived from, up to case and spaces)."""
    rows = sorted(
        (
            {
                "result_id": r.id,
                "instance_id": r.nft_instance_id,
                "unique_instance_id": None,
                "user_id": r.user_id,
                "user": None,
                "definition_id": r.definition_id,
                "definition_prefix": None,
                "nft_origin": r.draw_number,
                "draw_number": r.draw_number,
                "similarity": r.similarity_score,
                "draw_top_digits": r.draw_top_digits,
                "winning_top_digits": r.winning_top_digits,
                "threshold_used": r.threshold_used,
                "outcome": r.outcome,
                "evaluated_at": iso(r.evaluated_at),
            }
            for r in results
        ),
        key=candidate_order,
    )
    header = {
        "draw_type": {
            "internal_name": "draw",
            "display_name": None,
            "algorithm_key": algorithm_key,
            "default_threshold": threshold,
        },
        "threshold": threshold,
        "limit": None,
        "max_wins_per_user": None,
        "winning_number": {
            "id": 1,
            "value": winning_value,
            "normalized_value": normalize_winning_value(winning_value),
            "metadata": None,
            "effective_at": None,
            "expires_at": None,
            "created_at": iso(winning_created_at),
        },
        "exported_at": iso(winning_created_at),
        "candidate_count": len(rows),
    }
    snapshot_json = None
    if snapshot is not None:
        snapshot_json = {
            "id": snapshot.id if snapshot.id is not None else 1,
            "scope": snapshot.scope,
            "attendance_definition_id": snapshot.attendance_definition_id,
            "candidate_count": snapshot.candidate_count,
            "candidate_set_sha256": snapshot.candidates_sha256,
            "created_at": iso(snapshot.created_at),
        }
    buffer = io.StringIO()
    write_export(buffer, header, rows, snapshot_json)
    document: dict[str, Any] = json.loads(buffer.getvalue())
    return document


def candidate_sets(max_size: int = 6) -> st.SearchStrategy[tuple[tuple[int, int, str], ...]]:
    """Candidates of a draw as ``(instance_id, user_id, draw_number)`` triples, one per
    instance, draw numbers derived from drawn origins."""
    return st.lists(
        st.tuples(ids(), ids(), origins().map(derive_draw_number)),
        max_size=max_size,
        unique_by=lambda triple: triple[0],
    ).map(tuple)


def prize_draw_snapshots(
    candidates: Sequence[tuple[int, int, str]],
    *,
    draw_type_id: int = 1,
    attendance_definition_id: int = 1,
    before: datetime = EVENT_START + timedelta(hours=1),
) -> st.SearchStrategy[PrizeDrawSnapshot]:
    """A new snapshot (id None) fixing ``candidates``: ``candidate_count`` and
    ``candidates_sha256`` from :func:`nictbw.domain.snapshots.candidate_set_digest`,
    ``created_at`` before ``before``, scope ``bingo`` or ``attendance`` (then of
    ``attendance_definition_id``), unsealed or sealed (all five beacon fields set)."""
    digest = candidate_set_digest(candidates)

    def snapshot(scope: str, created_at: datetime, beacon: int | None) -> PrizeDrawSnapshot:
        return PrizeDrawSnapshot(
            draw_type_id=draw_type_id,
            scope=scope,
            attendance_definition_id=(
                attendance_definition_id if scope == SNAPSHOT_ATTENDANCE else None
            ),
            candidate_count=len(candidates),
            candidates_sha256=digest,
            created_at=created_at,
            beacon_chain_hash=None if beacon is None else "ab" * 32,
            beacon_public_key=None if beacon is None else "cd" * 48,
            beacon_scheme=None if beacon is None else "pedersen-bls-chained",
            beacon_round=beacon,
            beacon_round_at=None if beacon is None else created_at + timedelta(minutes=5),
        )

    return st.builds(
        snapshot,
        st.sampled_from([SNAPSHOT_BINGO, SNAPSHOT_ATTENDANCE]),
        utc_datetimes(before - timedelta(days=30), before - timedelta(seconds=1)),
        _optional(st.integers(min_value=1, max_value=INT32_MAX)),
    )


def invalid_prize_draw_snapshots(
    candidates: Sequence[tuple[int, int, str]],
    *,
    draw_type_id: int = 1,
    attendance_definition_id: int = 1,
) -> st.SearchStrategy[Broken[PrizeDrawSnapshot]]:
    """A snapshot of :func:`prize_draw_snapshots` with one field its repository refuses
    (``uow.draw_snapshots.add``): an unknown ``scope``, ``attendance_definition_id`` set
    for the bingo scope or missing for attendance, a negative ``candidate_count``, or
    ``beacon_round`` alone set or missing among the beacon fields. A digest that does
    not recompute is refused by the export verifier instead (see :func:`results_document`)."""

    def broken(value: PrizeDrawSnapshot, choice: int) -> Broken[PrizeDrawSnapshot]:
        attendance = value.scope == SNAPSHOT_ATTENDANCE
        options: list[tuple[str, Any]] = [
            ("scope", ("raffle", "BINGO", "")[choice % 3]),
            ("attendance_definition_id", None if attendance else attendance_definition_id),
            ("candidate_count", -1 - choice),
            ("beacon_round", None if value.beacon_round is not None else 1 + choice),
        ]
        name, bad = options[choice % len(options)]
        return Broken(value=evolve(value, **{name: bad}), field=name, valid=value)

    return st.builds(
        broken,
        prize_draw_snapshots(
            candidates,
            draw_type_id=draw_type_id,
            attendance_definition_id=attendance_definition_id,
        ),
        st.integers(min_value=0, max_value=11),
    )


def prize_draw_evaluations(
    *, winning_value: str, threshold: float | None
) -> st.SearchStrategy[PrizeDrawEvaluation]:
    """What ``run_prize_draw`` returns for a result of :func:`prize_draw_results`.

    Nothing validates a ``PrizeDrawEvaluation`` (a workflow's answer, built from its
    stored result): no ``invalid_*`` counterpart; break its ``result`` instead."""
    return prize_draw_results(winning_value=winning_value, threshold=threshold).map(
        lambda result: PrizeDrawEvaluation(
            result=result,
            draw_number=result.draw_number,
            threshold=threshold,
            similarity=result.similarity_score,
        )
    )


def draw_candidates(
    *, user_id: int = 1, definition_id: int = 1
) -> st.SearchStrategy[DrawCandidate]:
    """A draw candidate read from a stored instance of :func:`instances`
    (:meth:`DrawCandidate.of`), eligible or not.

    ``DrawCandidate.of`` refuses only an instance without id; a candidate itself is not
    validated (draws leave ineligible ones out): no ``invalid_*`` counterpart."""
    return instances(user_id=user_id, definition_id=definition_id).map(DrawCandidate.of)


# --- sync reports and the audit log -----------------------------------------------------

_SYNC_REASONS: Final = (
    "not an object",
    "no origin",
    "invalid origin",
    "duplicate origin",
    "invalid prefix",
    untrusted_app_reason(None),
    untrusted_app_reason("other-app"),
    SUPPLY_EXHAUSTED,
)


def sync_notes() -> st.SearchStrategy[SyncNote]:
    """A skipped item or warning of a sync: position, origin (None when it had none), reason.

    Nothing validates a ``SyncNote`` (sync makes it, a host reads it): no ``invalid_*``."""
    return st.builds(
        SyncNote,
        index=st.integers(min_value=0, max_value=10_000),
        origin=_optional(origins()),
        reason=st.sampled_from(_SYNC_REASONS),
    )


def sync_reports() -> st.SearchStrategy[SyncReport]:
    """What a chain sync reports (§8.6): non-negative counts, the prefixes of definitions
    it created, skipped items and warnings.

    Nothing validates a ``SyncReport`` (sync makes it, a host reads it): no ``invalid_*``."""
    counts = st.integers(min_value=0, max_value=1000)
    return st.builds(
        SyncReport,
        created=counts,
        updated=counts,
        unchanged=counts,
        transferred=counts,
        definitions_created=st.lists(readable_prefixes(), max_size=3, unique=True).map(tuple),
        skipped=st.lists(sync_notes(), max_size=3).map(tuple),
        warnings=st.lists(sync_notes(), max_size=2).map(tuple),
        cards_created=counts,
        cells_unlocked=counts,
    )


def audit_entries(*, admin_id: int = 1) -> st.SearchStrategy[AuditEntry]:
    """A new audit entry (id None) of ``admin_id``: a recorded action on an entity, with
    before and after built by :func:`nictbw.domain.audit.changed_fields` (secrets
    redacted)."""
    fields = st.sampled_from(["name", "status", "shared_key", "max_supply", "display_name"])

    def entry(
        at: datetime,
        action: AuditAction,
        entity: AuditEntity,
        entity_id: int | None,
        changes: dict[str, tuple[object, object]],
    ) -> AuditEntry:
        before, after = changed_fields(
            {name: old for name, (old, _) in changes.items()},
            {name: new for name, (_, new) in changes.items()},
            sorted(changes),
        )
        return AuditEntry(
            at=at,
            admin_id=admin_id,
            action=action.value,
            entity_type=entity.value,
            entity_id=entity_id,
            before=before,
            after=after,
        )

    value = st.none() | st.integers(min_value=0, max_value=100) | texts(10)
    return st.builds(
        entry,
        utc_datetimes(),
        st.sampled_from(AuditAction),
        st.sampled_from(AuditEntity),
        _optional(ids()),
        st.dictionaries(fields, st.tuples(value, value), max_size=3),
    )


def invalid_audit_entries(*, admin_id: int = 1) -> st.SearchStrategy[Broken[AuditEntry]]:
    """An audit entry the log refuses (``uow.audit.append``): ``at``, ``action`` or
    ``entity_type`` missing, or ``admin_id`` missing or naming no admin."""
    breakers: Mapping[str, st.SearchStrategy[Any]] = {
        "at": st.none(),
        "action": st.none(),
        "entity_type": st.none(),
        "admin_id": st.sampled_from([None, admin_id + 1, ID_MAX]),
    }
    return _break(audit_entries(admin_id=admin_id), breakers)


# --- chain answers ----------------------------------------------------------------------


def mint_answers() -> st.SearchStrategy[dict[str, Any]]:
    """An answer of ``ChainPort.mint_nft`` that ``create_and_issue_instance`` accepts as
    ``chain_metadata`` (§4.5 step 2, §9.3)."""
    return st.builds(
        lambda origin, nft_id, txid: {
            "transaction_id": txid,
            "transaction_hex": "00",
            "nft_information": {
                "nft_id": nft_id,
                "nft_origin": origin,
                "current_nft_location": origin,
            },
        },
        origins(),
        blockchain_nft_ids(),
        st.text(st.sampled_from("0123456789abcdef"), min_size=64, max_size=64),
    )


def invalid_mint_answers() -> st.SearchStrategy[Broken[object]]:
    """A mint answer with one unusable part (``field`` names it; ``""``: the whole answer)."""

    def set_info(answer: dict[str, Any], key: str, bad: object) -> Broken[object]:
        info = dict(answer["nft_information"])
        info[key] = bad
        return Broken(value={**answer, "nft_information": info}, field=f"nft_information.{key}")

    return st.one_of(
        st.sampled_from([[], "answer", 7]).map(lambda bad: Broken(value=bad, field="")),
        st.builds(
            lambda a, bad: Broken(value={**a, "nft_information": bad}, field="nft_information"),
            mint_answers(),
            st.sampled_from([[], "x", 3]),
        ),
        st.builds(set_info, mint_answers(), st.just("nft_id"), invalid_blockchain_nft_ids()),
        st.builds(
            set_info,
            mint_answers(),
            st.just("nft_origin"),
            st.sampled_from([5, ["o"]]) | texts_with_control(),
        ),
        st.builds(
            lambda a, bad: Broken(value={**a, "transaction_id": bad}, field="transaction_id"),
            mint_answers(),
            st.one_of(too_long_texts(255), st.just(12)),
        ),
    )


def chain_items(
    *, app: str = "nictbw", prefix: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """One well-formed item of the chain's NFT list (§8.2, §9.5) minted by ``app``."""
    return st.builds(
        lambda origin, nft_id, pfx, name, stamp: {
            "nft_id": nft_id,
            "nft_origin": origin,
            "current_nft_location": origin,
            "transaction_id": origin.split("_")[0][:255],
            "name": name,
            "unique_nft_id": f"u-{pfx}",
            "created_at": stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "updated_at": stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "metadata": {
                "MAP": {
                    "app": app,
                    "type": "ord",
                    "name": name,
                    "subTypeData": {"prefix": pfx, "shared_key": f"key-{pfx}", "name": name},
                }
            },
        },
        st.text(st.sampled_from("0123456789abcdef"), min_size=64, max_size=64).map(
            lambda txid: f"{txid}_0"
        ),
        st.integers(min_value=1, max_value=INT64_MAX),
        prefix if prefix is not None else readable_prefixes(),
        non_blank_texts(40),
        utc_datetimes(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)),
    )


def chain_payloads(
    *, app: str = "nictbw", max_size: int = 5
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A well-formed NFT list: items with distinct origins (compared as sync compares them)."""
    return st.lists(
        chain_items(app=app),
        max_size=max_size,
        unique_by=lambda item: origin_key(item["nft_origin"]),
    )


_BAD_ORIGINS: Final = ("orígin_0", "tx\x1b_0", "a" * 256, "起源_1")
_BAD_PREFIXES: Final = ("A B", "", "EX\x00PO", "P" * 101, "TAB\t")

MALFORMED_ITEM_REASONS: Final = (
    "not an object",
    "no origin",
    "invalid origin",
    "duplicate origin",
    "invalid prefix",
)
"""The reasons sync gives for skipping a malformed item (§8.2); ``Broken.field`` of
:func:`malformed_chain_payloads` is one of them."""


def malformed_chain_payloads(*, app: str = "nictbw") -> st.SearchStrategy[Broken[list[Any]]]:
    """A well-formed NFT list with one malformed item appended; ``field`` is the reason sync
    skips it with (a malformed item never fails the sync)."""

    def no_origin(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in ("nft_origin", "transaction_id")}

    def with_md_prefix(item: dict[str, Any], bad: str) -> dict[str, Any]:
        md = dict(item["metadata"]["MAP"]["subTypeData"], prefix=bad)
        return {**item, "metadata": {"MAP": {**item["metadata"]["MAP"], "subTypeData": md}}}

    def bad_item(
        payload: list[dict[str, Any]], extra: dict[str, Any], reason: str, bad: int
    ) -> Broken[list[Any]]:
        item: object
        if reason == "not an object":
            item = [extra["nft_origin"]]
        elif reason == "no origin":
            item = no_origin(extra)
        elif reason == "invalid origin":
            item = {**extra, "nft_origin": _BAD_ORIGINS[bad % len(_BAD_ORIGINS)]}
        elif reason == "duplicate origin":
            item = dict(payload[0]) if payload else None
        else:
            item = with_md_prefix(extra, _BAD_PREFIXES[bad % len(_BAD_PREFIXES)])
        if item is None:  # no earlier item to duplicate: send the same item twice
            return Broken(value=[extra, dict(extra)], field=reason)
        return Broken(value=[*payload, item], field=reason)

    items = chain_payloads(app=app, max_size=3).flatmap(
        lambda payload: st.tuples(
            st.just(payload),
            chain_items(app=app).filter(
                lambda extra: (
                    origin_key(extra["nft_origin"])
                    not in {origin_key(item["nft_origin"]) for item in payload}
                )
            ),
        )
    )
    reasons = st.sampled_from(MALFORMED_ITEM_REASONS)
    choice = st.integers(min_value=0, max_value=7)
    return st.builds(
        lambda pe, reason, bad: bad_item(pe[0], pe[1], reason, bad), items, reasons, choice
    )


def invalid_chain_payloads() -> st.SearchStrategy[object]:
    """An NFT list answer that is not a list at all (sync raises ``ChainError``)."""
    return st.sampled_from([{}, {"nfts": []}, "[]", 0, None])


# --- whole events -----------------------------------------------------------------------


@frozen
class GrantSpec:
    """One badge to issue: ``users[user]`` receives ``definitions[definition]``."""

    user: int
    definition: int
    nft_origin: str | None = None


@frozen
class Event:
    """A small event, valid by construction: :func:`apply_event` plays it without error.

    Prefixes are distinct, users distinct (``in_app_id`` ``u0``, ``u1``, ... and the
    address ``u0@example.org`` ...), grants only name active definitions, never exceed a
    definition's supply and use distinct origins; a definition triggers bingo cards only
    when at least 8 other active random candidates exist.
    """

    admin: Admin
    definitions: tuple[NFTDefinition, ...]
    users: tuple[User, ...]
    grants: tuple[GrantSpec, ...]
    draw_type: PrizeDrawType
    winning_numbers: tuple[PrizeDrawWinningNumber, ...]

    def email_of(self, index: int) -> str:
        """The address ``users[index]`` registers with."""
        return f"u{index}@example.org"


@cache
def _event_definition(admin_id: int) -> st.SearchStrategy[NFTDefinition]:
    """A light definition for events: few drawn fields, so events shrink fast."""
    return st.builds(
        NFTDefinition,
        prefix=readable_prefixes(),
        shared_key=st.just("key"),
        name=st.sampled_from(["Venue", "Game", "Fair"]),
        max_supply=_optional(st.integers(min_value=0, max_value=5)),
        status=st.sampled_from(["active", "inactive"]),
        triggers_bingo_card=st.booleans(),
        bingo_random_candidate=st.booleans(),
        card_lifetime_seconds=_optional(st.integers(min_value=1, max_value=10**6)),
        created_by_admin_id=st.just(admin_id),
    )


def _fix_triggers(defs: list[NFTDefinition]) -> tuple[NFTDefinition, ...]:
    fixed = []
    for definition in defs:
        others = sum(1 for other in defs if other is not definition and other.is_bingo_candidate)
        if definition.triggers_bingo_card and others < 8:
            definition = evolve(definition, triggers_bingo_card=False)
        fixed.append(definition)
    return tuple(fixed)


@cache
def catalogues(
    *, min_size: int = 1, max_size: int = 12, admin_id: int = 1
) -> st.SearchStrategy[tuple[NFTDefinition, ...]]:
    """Definitions with distinct readable prefixes; bingo triggers only where a card can
    be laid out (at least 8 other active candidates), supplies of at most 5."""
    return st.lists(
        _event_definition(admin_id),
        min_size=min_size,
        max_size=max_size,
        unique_by=lambda d: d.prefix,
    ).map(_fix_triggers)


@cache
def _event_user() -> st.SearchStrategy[User]:
    return st.builds(
        User,
        nickname=_optional(st.text(st.sampled_from(string.ascii_letters), max_size=8)),
        is_test_user=st.booleans(),
    )


def _event_users(raw: list[User]) -> tuple[User, ...]:
    return tuple(
        evolve(user, in_app_id=f"u{index}", email=None, paymail=None, on_chain_id=None)
        for index, user in enumerate(raw)
    )


@cache
def _raw_grants(max_size: int) -> st.SearchStrategy[list[tuple[int, int, str | None]]]:
    return st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=255),
            st.integers(min_value=0, max_value=255),
            _optional(origins()),
        ),
        max_size=max_size,
    )


def _valid_grants(
    raw: Sequence[tuple[int, int, str | None]],
    definitions: Sequence[NFTDefinition],
    user_count: int,
) -> tuple[GrantSpec, ...]:
    """``raw`` (user, definition, origin) picks as grants that all succeed in order:
    indexes taken modulo the counts, inactive definitions and grants beyond a supply
    dropped, an origin already used replaced by None."""
    if user_count == 0 or not definitions:
        return ()
    issued = [0] * len(definitions)
    seen_origins: set[str] = set()
    kept = []
    for user_pick, definition_pick, origin in raw:
        index = definition_pick % len(definitions)
        definition = definitions[index]
        if definition.status != "active":
            continue
        if definition.max_supply is not None and issued[index] >= definition.max_supply:
            continue
        if origin is not None:
            if origin_key(origin) in seen_origins:
                origin = None
            else:
                seen_origins.add(origin_key(origin))
        issued[index] += 1
        kept.append(GrantSpec(user=user_pick % user_count, definition=index, nft_origin=origin))
    return tuple(kept)


def grant_streams(
    definitions: Sequence[NFTDefinition], user_count: int, *, max_size: int = 30
) -> st.SearchStrategy[tuple[GrantSpec, ...]]:
    """Grants over ``user_count`` users and ``definitions`` that all succeed in order."""
    return _raw_grants(max_size).map(lambda raw: _valid_grants(raw, definitions, user_count))


_EVENT_ADMINS: Final = st.builds(Admin, password_hash=st.just("admin-hash"), name=st.none())
_EVENT_DRAW_TYPES: Final = st.builds(
    PrizeDrawType,
    internal_name=st.sampled_from(["bingo_line", "final_attendance"]),
    algorithm_key=st.just(DEFAULT_ALGORITHM),
    default_threshold=_optional(thresholds()),
    max_wins_per_user=_optional(st.integers(min_value=1, max_value=3)),
)
_EVENT_WINNING_NUMBERS: Final = st.builds(
    lambda value: PrizeDrawWinningNumber(draw_type_id=0, value=value),
    st.text(st.sampled_from("0123456789ABCDEF"), min_size=1, max_size=24),
)


@st.composite
def events(
    draw: st.DrawFn,
    *,
    max_users: int = 6,
    max_definitions: int = 12,
    max_grants: int = 30,
) -> Event:
    """A whole small event; shrinks towards one user, one definition and no grants."""
    admin = draw(_EVENT_ADMINS)
    catalogue = draw(catalogues(max_size=max_definitions))
    people = _event_users(draw(st.lists(_event_user(), min_size=1, max_size=max_users)))
    grants = _valid_grants(draw(_raw_grants(max_grants)), catalogue, len(people))
    draw_type = draw(_EVENT_DRAW_TYPES)
    numbers = draw(st.lists(_EVENT_WINNING_NUMBERS, min_size=1, max_size=2))
    return Event(
        admin=admin,
        definitions=catalogue,
        users=people,
        grants=grants,
        draw_type=draw_type,
        winning_numbers=tuple(numbers),
    )


@frozen
class AppliedEvent:
    """What :func:`apply_event` stored, as the workflows returned it."""

    admin: Admin
    definitions: tuple[NFTDefinition, ...]
    users: tuple[User, ...]
    instances: tuple[NFTInstance, ...]
    draw_type: PrizeDrawType
    winning_numbers: tuple[PrizeDrawWinningNumber, ...]


def apply_event(
    uow: UnitOfWork,
    event: Event,
    *,
    chain: ChainPort,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> AppliedEvent:
    """Play ``event`` through the public workflows in ``uow`` (the caller commits).

    Users sign up on ``chain`` (a ``FakeChain`` serves) with :data:`EVENT_PASSWORD`.
    """
    from nictbw.adapters.clock import FixedClock
    from nictbw.workflows import (
        create_and_issue_instance,
        create_nft_definition,
        create_prize_draw_type,
        register_admin,
        register_user,
        submit_winning_number,
    )

    clock = clock if clock is not None else FixedClock(EVENT_START)
    rng = rng if rng is not None else random.Random(0)
    admin = register_admin(uow, evolve(event.admin), clock=clock)
    assert admin.id is not None
    stored_definitions = tuple(
        create_nft_definition(uow, evolve(d, created_by_admin_id=admin.id), clock=clock)
        for d in event.definitions
    )
    stored_users = tuple(
        register_user(
            uow,
            evolve(user),
            password=EVENT_PASSWORD,
            email=event.email_of(index),
            chain=chain,
            clock=clock,
        )
        for index, user in enumerate(event.users)
    )
    issued = tuple(
        create_and_issue_instance(
            uow,
            stored_users[grant.user],
            stored_definitions[grant.definition],
            nft_origin=grant.nft_origin,
            rng=rng,
            clock=clock,
        )
        for grant in event.grants
    )
    draw_type = create_prize_draw_type(uow, evolve(event.draw_type), clock=clock)
    numbers = tuple(
        submit_winning_number(uow, draw_type, number.value, clock=clock, **submit_kwargs(number))
        for number in event.winning_numbers
    )
    return AppliedEvent(
        admin=admin,
        definitions=stored_definitions,
        users=stored_users,
        instances=issued,
        draw_type=draw_type,
        winning_numbers=numbers,
    )


def requests_of(
    strategy: st.SearchStrategy[T], to_json: Callable[[T], object]
) -> st.SearchStrategy[object]:
    """``strategy`` mapped through ``to_json``: request bodies for a host's HTTP layer."""
    return strategy.map(to_json)


__all__ = [
    "CARD_POOL",
    "DEFAULT_ALGORITHM",
    "DEFAULT_MAX_SCORE",
    "EVENT_PASSWORD",
    "EVENT_START",
    "MALFORMED_ITEM_REASONS",
    "AppliedEvent",
    "Broken",
    "Event",
    "GrantSpec",
    "admins",
    "apply_event",
    "audit_entries",
    "bingo_cards",
    "bingo_cells",
    "blockchain_nft_ids",
    "candidate_sets",
    "catalogues",
    "chain_items",
    "chain_payloads",
    "definitions",
    "draw_candidates",
    "draw_types",
    "emails",
    "events",
    "free_texts",
    "grant_streams",
    "ids",
    "instances",
    "invalid_admins",
    "invalid_audit_entries",
    "invalid_bingo_cards",
    "invalid_bingo_cells",
    "invalid_blockchain_nft_ids",
    "invalid_chain_payloads",
    "invalid_datetimes",
    "invalid_definitions",
    "invalid_draw_types",
    "invalid_emails",
    "invalid_ids",
    "invalid_json_objects",
    "invalid_mint_answers",
    "invalid_origins",
    "invalid_prefixes",
    "invalid_prize_draw_results",
    "invalid_prize_draw_snapshots",
    "invalid_thresholds",
    "invalid_users",
    "invalid_winning_numbers",
    "invalid_winning_values",
    "json_objects",
    "malformed_chain_payloads",
    "mint_answers",
    "non_blank_texts",
    "origins",
    "prefixes",
    "prize_draw_evaluations",
    "prize_draw_results",
    "prize_draw_snapshots",
    "readable_prefixes",
    "requests_of",
    "results_document",
    "score_computations",
    "score_evaluations",
    "submit_kwargs",
    "sync_notes",
    "sync_reports",
    "texts",
    "texts_with_control",
    "thresholds",
    "too_long_texts",
    "utc_datetimes",
    "winning_numbers",
    "winning_values",
]
