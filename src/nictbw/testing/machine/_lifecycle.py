"""The machine's rules for the catalogue's whole life: edits, retirement, revocation, erasure.

Each rule acts as one of the two admins of the starting state: ``ops`` (no role, every
right) or ``audit`` (role ``auditor`` at first, which ``update_an_admin`` may change).
Where the outcome is certain from the stored state, the rule asserts it: an admin whose
stored role forbids the operation gets ``ForbiddenError``; a ``max_supply`` below the
minted count, an edit of a retired draw type and any draw on a retired type get
``ValidationError``; revoking a revoked badge, retiring a retired type and erasing an
erased user get ``ConflictError``. Every refusal is checked to leave the store unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from nictbw.app.workflows.erase import PSEUDONYM_DOMAIN, pseudonym
from nictbw.domain.entities import INSTANCE_REVOKED, Admin, User
from nictbw.domain.errors import ConflictError, ForbiddenError, NictbwError, ValidationError
from nictbw.domain.permissions import Operation, may
from nictbw.ports import UnitOfWork
from nictbw.testing.machine._setup import (
    GHOST_DEFINITION,
    GHOST_DRAW_TYPE,
    GHOST_INSTANCE,
    GHOST_USER,
    Side,
)
from nictbw.workflows import (
    deactivate_nft_definition,
    erase_user,
    read_audit_log,
    retire_prize_draw_type,
    revoke_instance,
    run_bingo_prize_draw,
    run_prize_draw_batch,
    seal_prize_draw,
    submit_winning_number,
    update_admin,
    update_nft_definition,
    update_prize_draw_type,
)

actors = st.sampled_from(["ops", "ops", "ops", "audit"])
"""Mostly the admin with every right; sometimes the restricted one."""
targets = st.integers(-2, 20)
"""Mostly stored entities; ``-1`` an unstored one (``id`` None), ``-2`` a missing row."""
REASONS: Final = ("reported as fraud",) * 4 + ("   ", "x" * 501)
DEFINITION_CHANGES: Final[tuple[dict[str, Any], ...]] = (
    {"name": "Renamed badge"},
    {"description": "A new text"},
    {"max_supply": 0},
    {"max_supply": 1},
    {"max_supply": None},
    {"status": "inactive"},
    {"status": "active"},
    {"bingo_random_candidate": False},
    {"triggers_bingo_card": True},
    {"name": ""},
    {"prefix": "RENAMED"},
)
"""Edits of a definition; some break a rule (a supply below the minted count, a blank
name, a field that cannot be edited, a trigger left without candidates)."""
DRAW_TYPE_CHANGES: Final[tuple[dict[str, Any], ...]] = (
    {"default_threshold": 0.6},
    {"default_threshold": None},
    {"default_threshold": 1.5},
    {"max_wins_per_user": 1},
    {"description": "The evening draw"},
    {"algorithm_key": "other"},
)
ADMIN_CHANGES: Final[tuple[tuple[str, dict[str, Any]], ...]] = (
    ("audit", {"role": "issuer"}),
    ("audit", {"role": "privacy"}),
    ("audit", {"role": "auditor"}),
    ("audit", {"role": "bogus"}),
    ("audit", {"email": "ops@city.example"}),
    ("ops", {"name": "Operations"}),
    ("ops", {"role": "organiser"}),
)
"""(target admin, changes): the restricted admin's role moves between restricted roles;
``ops`` may not give up managing admins (no other admin could), a ``ConflictError``."""
RETIRED_USES: Final = ("number", "bingo", "batch", "seal")


def _pick(items: list[Any], index: int, ghost: Any = None) -> Any:
    """The item at ``index`` (cyclically); ``-1`` the unstored ``ghost``, ``-2`` a missing row."""
    if index == -1:
        return ghost
    if index == -2:
        return None if ghost is None else attrs.evolve(ghost, id=9999)
    return items[index % len(items)] if items else None


def _holds_no_personal_data(user: User) -> bool:
    """The user is in its erased form: pseudonyms in place and every other personal field
    empty (erasing it again would change nothing, so it is refused)."""
    assert user.id is not None
    name = pseudonym(user.id)
    return (
        user.in_app_id == name
        and user.email == f"{name}@{PSEUDONYM_DOMAIN}"
        and user.nickname is None
        and user.paymail is None
        and user.on_chain_id is None
        and user.fcm_token is None
        and user.password_hash is None
        and not user.password_provided
    )


def expecting(error: type[NictbwError] | None, call: Callable[[], Any]) -> Any:
    """``call()``; when ``error`` is given, the call must raise exactly that class (which
    is raised on, so the machine records the refusal)."""
    if error is None:
        return call()
    try:
        answer = call()
    except NictbwError as exc:
        assert type(exc) is error, f"expected {error.__name__}, got {type(exc).__name__}: {exc}"
        raise
    raise AssertionError(f"expected {error.__name__}, the call answered {answer!r}")


def acting(side: Side, actor: str) -> Admin:
    """The side's admin named ``actor``."""
    admin = side.admin if actor == "ops" else side.auditor
    assert admin is not None
    return admin


def forbidden(uow: UnitOfWork, admin: Admin, operation: Operation) -> bool:
    """Whether the stored role of ``admin`` forbids ``operation``."""
    assert admin.id is not None
    stored = uow.admins.get(admin.id)
    assert stored is not None
    return not may(stored.role, operation)


class LifecycleRules:
    """Rules for the admin workflows, mixed into the workflow machine."""

    if TYPE_CHECKING:
        sides: list[Side]

        def both(
            self,
            operation: Callable[[Side, UnitOfWork], Any],
            *,
            commit: bool = True,
            refusal_unchanged: bool = False,
        ) -> list[Any]: ...

    retirements: int = 0

    @rule(instance=targets, actor=actors, reason=st.sampled_from(REASONS))
    def revoke_a_badge(self, instance: int, actor: str, reason: str) -> None:
        """Revoke a badge (``revoke_instance``): its cells lock again or match another."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            chosen = _pick(uow.instances.list(), instance, GHOST_INSTANCE)
            if chosen is None:
                return "no instance"
            admin = acting(side, actor)
            expected: type[NictbwError] | None = None
            if forbidden(uow, admin, Operation.ISSUE):
                expected = ForbiddenError
            elif reason.strip() and len(reason) <= 500 and chosen.status == INSTANCE_REVOKED:
                expected = ConflictError
            revocation = expecting(
                expected,
                lambda: revoke_instance(uow, chosen, admin=admin, reason=reason, clock=side.clock),
            )
            assert revocation.instance.status == INSTANCE_REVOKED, revocation
            return revocation

        self.both(operation, refusal_unchanged=True)

    @rule(definition=targets, actor=actors, change=st.sampled_from(DEFINITION_CHANGES))
    def update_a_definition(self, definition: int, actor: str, change: dict[str, Any]) -> None:
        """Edit a definition; a ``max_supply`` below its minted count is refused."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            chosen = _pick(uow.definitions.list(), definition, GHOST_DEFINITION)
            admin = acting(side, actor)
            supply = change.get("max_supply")
            expected: type[NictbwError] | None = None
            if forbidden(uow, admin, Operation.EDIT_CATALOGUE):
                expected = ForbiddenError
            elif "prefix" in change:
                expected = ValidationError
            elif chosen.id is not None and supply is not None:
                stored = uow.definitions.get(chosen.id)
                if stored is not None and supply < stored.minted_count:
                    expected = ValidationError
            return expecting(
                expected,
                lambda: update_nft_definition(uow, chosen, admin=admin, clock=side.clock, **change),
            )

        self.both(operation, refusal_unchanged=True)

    @rule(definition=targets, actor=actors)
    def deactivate_a_definition(self, definition: int, actor: str) -> None:
        """Deactivate a definition: no more issuance, no more candidate of new cards."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            chosen = _pick(uow.definitions.list(), definition, GHOST_DEFINITION)
            admin = acting(side, actor)
            expected = ForbiddenError if forbidden(uow, admin, Operation.EDIT_CATALOGUE) else None
            return expecting(
                expected,
                lambda: deactivate_nft_definition(uow, chosen, admin=admin, clock=side.clock),
            )

        self.both(operation, refusal_unchanged=True)

    @rule(draw_type=targets, actor=actors, change=st.sampled_from(DRAW_TYPE_CHANGES))
    def update_a_draw_type(self, draw_type: int, actor: str, change: dict[str, Any]) -> None:
        """Edit a draw type; a retired one is refused."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            chosen = _pick(uow.draw_types.list(), draw_type, GHOST_DRAW_TYPE)
            admin = acting(side, actor)
            expected: type[NictbwError] | None = None
            if forbidden(uow, admin, Operation.EDIT_CATALOGUE):
                expected = ForbiddenError
            elif "algorithm_key" in change or chosen.retired_at is not None:
                expected = ValidationError
            return expecting(
                expected,
                lambda: update_prize_draw_type(
                    uow, chosen, admin=admin, clock=side.clock, **change
                ),
            )

        self.both(operation, refusal_unchanged=True)

    @precondition(lambda self: self.retirements < 3)
    @rule(draw_type=targets, actor=actors)
    def retire_a_draw_type(self, draw_type: int, actor: str) -> None:
        """Retire a draw type (a few times per run: the draws need the others)."""
        self.retirements += 1

        def operation(side: Side, uow: UnitOfWork) -> Any:
            chosen = _pick(uow.draw_types.list(), draw_type, GHOST_DRAW_TYPE)
            admin = acting(side, actor)
            expected: type[NictbwError] | None = None
            if forbidden(uow, admin, Operation.EDIT_CATALOGUE):
                expected = ForbiddenError
            elif chosen.retired_at is not None:
                expected = ConflictError
            return expecting(
                expected,
                lambda: retire_prize_draw_type(uow, chosen, admin=admin, clock=side.clock),
            )

        self.both(operation, refusal_unchanged=True)

    @precondition(lambda self: self.retirements > 0)
    @rule(draw_type=st.integers(0, 5), use=st.sampled_from(RETIRED_USES))
    def use_a_retired_draw_type(self, draw_type: int, use: str) -> None:
        """A retired draw type takes no winning number, draw or seal (``ValidationError``)."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            retired = [t for t in uow.draw_types.list() if t.retired_at is not None]
            chosen = _pick(retired, draw_type)
            if chosen is None:
                return "none retired"
            calls: dict[str, Callable[[], Any]] = {
                "number": lambda: submit_winning_number(uow, chosen, "ABD", clock=side.clock),
                "bingo": lambda: run_bingo_prize_draw(uow, chosen, clock=side.clock),
                "batch": lambda: run_prize_draw_batch(uow, chosen, clock=side.clock),
                "seal": lambda: seal_prize_draw(uow, chosen, beacon=side.beacon, clock=side.clock),
            }
            return expecting(ValidationError, calls[use])

        self.both(operation, refusal_unchanged=True)

    @rule(user=targets, actor=actors)
    def erase_a_user(self, user: int, actor: str) -> None:
        """Erase a user's personal data; badges and results stay."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            chosen = _pick(uow.users.list(), user, GHOST_USER)
            admin = acting(side, actor)
            expected: type[NictbwError] | None = None
            if forbidden(uow, admin, Operation.ERASE_USERS):
                expected = ForbiddenError
            elif chosen.id is not None and _holds_no_personal_data(chosen):
                expected = ConflictError
            return expecting(
                expected, lambda: erase_user(uow, chosen, admin=admin, clock=side.clock)
            )

        self.both(operation, refusal_unchanged=True)

    @rule(actor=actors, change=st.sampled_from(ADMIN_CHANGES))
    def update_an_admin(self, actor: str, change: tuple[str, dict[str, Any]]) -> None:
        """Edit an admin (the restricted admin's role among the restricted roles)."""
        target, changes = change

        def operation(side: Side, uow: UnitOfWork) -> Any:
            admin = acting(side, actor)
            expected: type[NictbwError] | None = None
            if forbidden(uow, admin, Operation.MANAGE_ADMINS):
                expected = ForbiddenError
            elif changes.get("role") == "bogus":
                expected = ValidationError
            elif "email" in changes or changes.get("role") == "organiser":
                expected = ConflictError
            return expecting(
                expected,
                lambda: update_admin(
                    uow, acting(side, target), admin=admin, clock=side.clock, **changes
                ),
            )

        self.both(operation, refusal_unchanged=True)

    @rule(
        actor=actors,
        entity_type=st.none() | st.sampled_from(["definition", "instance", "user", "bogus"]),
        limit=st.sampled_from([None, 1, 5, 0]),
    )
    def read_the_audit_log(self, actor: str, entity_type: str | None, limit: int | None) -> None:
        """Read the audit log as an admin (nothing committed)."""

        def operation(side: Side, uow: UnitOfWork) -> Any:
            admin = acting(side, actor)
            expected = ForbiddenError if forbidden(uow, admin, Operation.READ_AUDIT) else None
            return expecting(
                expected,
                lambda: read_audit_log(uow, admin=admin, entity_type=entity_type, limit=limit),
            )

        self.both(operation, commit=False)


__all__ = ["LifecycleRules", "acting", "expecting", "forbidden"]
