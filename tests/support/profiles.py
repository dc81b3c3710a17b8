"""The hypothesis profiles of the suite: ``dev`` (fast, the default) and ``ci`` (thorough).

``CI=true`` selects ``ci``; ``NICTBW_HYPOTHESIS_PROFILE`` overrides either. Tests that set
``max_examples`` themselves keep it; the state machines size their runs from
:func:`machine_budget`, which scales with the profile.
"""

from __future__ import annotations

import os
from typing import Final

from hypothesis import HealthCheck, settings

DEV: Final = "dev"
CI: Final = "ci"
PROFILE_ENV: Final = "NICTBW_HYPOTHESIS_PROFILE"

_MACHINE_BUDGETS: Final = {
    # (max_examples, stateful_step_count) per machine and profile
    "equivalence": {DEV: (25, 25), CI: (40, 30)},
    "invariants": {DEV: (30, 30), CI: (100, 40)},
}


def active_profile() -> str:
    """The profile this run uses: ``NICTBW_HYPOTHESIS_PROFILE``, else ``ci`` under
    ``CI=true``, else ``dev``."""
    chosen = os.environ.get(PROFILE_ENV)
    if chosen:
        return chosen
    return CI if os.environ.get("CI") == "true" else DEV


def register_profiles() -> None:
    """Register ``dev`` and ``ci`` and load the active one."""
    settings.register_profile(DEV, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile(
        CI,
        max_examples=200,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.load_profile(active_profile())


def machine_budget(machine: str) -> tuple[int, int]:
    """``(max_examples, stateful_step_count)`` of ``machine`` under the active profile."""
    budgets = _MACHINE_BUDGETS[machine]
    return budgets.get(active_profile(), budgets[DEV])
