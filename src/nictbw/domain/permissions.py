"""Admin roles and what each may do: the permission table of the admin workflows.

Every workflow that takes an ``admin`` calls :func:`require_permission` before it reads
or writes anything else, so a refused call changes nothing.

=================  =====  =========  =====  ======  =====  =====
role               issue  catalogue  draws  admins  erase  audit
=================  =====  =========  =====  ======  =====  =====
``owner``          yes    yes        yes    yes     yes    yes
``organiser``      yes    yes        yes    no      no     yes
``issuer``         yes    no         no     no      no     no
``draw_operator``  no     no         yes    no      no     no
``privacy``        no     no         no     no      yes    yes
``auditor``        no     no         no     no      no     yes
NULL (no role)     yes    yes        yes    yes     yes    yes
=================  =====  =========  =====  ======  =====  =====

- ``issue``: issue and revoke badges; ``catalogue``: edit definitions and draw types;
  ``draws``: submit winning numbers, run and seal draws; ``admins``: edit admins;
  ``erase``: erase a user's personal data; ``audit``: read the audit log.
- A NULL role has every right: admins stored before roles were checked (and those of a
  legacy import) keep working. Give them a role to restrict them.
- Any other role string has no right at all (fail closed); ``update_admin`` only stores
  roles of this table (or NULL).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from nictbw.domain.entities import Admin
from nictbw.domain.errors import ForbiddenError


class Operation(StrEnum):
    """What an admin workflow does, as the permission table names it."""

    ISSUE = "issue"
    EDIT_CATALOGUE = "catalogue"
    RUN_DRAWS = "draws"
    MANAGE_ADMINS = "admins"
    ERASE_USERS = "erase"
    READ_AUDIT = "audit"


class AdminRole(StrEnum):
    """The roles of the permission table."""

    OWNER = "owner"
    ORGANISER = "organiser"
    ISSUER = "issuer"
    DRAW_OPERATOR = "draw_operator"
    PRIVACY = "privacy"
    AUDITOR = "auditor"


ROLE_PERMISSIONS: Final[dict[str, frozenset[Operation]]] = {
    AdminRole.OWNER.value: frozenset(Operation),
    AdminRole.ORGANISER.value: frozenset(
        {Operation.ISSUE, Operation.EDIT_CATALOGUE, Operation.RUN_DRAWS, Operation.READ_AUDIT}
    ),
    AdminRole.ISSUER.value: frozenset({Operation.ISSUE}),
    AdminRole.DRAW_OPERATOR.value: frozenset({Operation.RUN_DRAWS}),
    AdminRole.PRIVACY.value: frozenset({Operation.ERASE_USERS, Operation.READ_AUDIT}),
    AdminRole.AUDITOR.value: frozenset({Operation.READ_AUDIT}),
}
"""Per role, the operations it may run (see the module table)."""


def roles_allowed(operation: str) -> set[str]:
    """The roles of the table that may run ``operation``."""
    return {role for role, allowed in ROLE_PERMISSIONS.items() if operation in allowed}


def may(role: str | None, operation: Operation) -> bool:
    """Whether an admin with ``role`` may run ``operation`` (NULL role: everything)."""
    if role is None:
        return True
    return operation in ROLE_PERMISSIONS.get(role, frozenset())


def require_permission(admin: Admin, operation: Operation) -> None:
    """``ForbiddenError`` naming the admin and the operation unless ``admin`` may run it."""
    if not may(admin.role, operation):
        raise ForbiddenError(
            f"admin {admin.id} (role {admin.role!r}) may not {operation.value}: allowed "
            f"roles are {sorted(roles_allowed(operation))} or no role",
            admin_id=admin.id,
            operation=operation.value,
        )


__all__ = [
    "ROLE_PERMISSIONS",
    "AdminRole",
    "Operation",
    "may",
    "require_permission",
    "roles_allowed",
]
