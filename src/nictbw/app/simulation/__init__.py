"""A whole seeded event run through the real workflows, for demos, load checks and audits.

``run_simulation`` plays a city event day by day on any unit of work: an admin sets up
the catalogue (venues and games with a skewed popularity, a few bingo trigger badges,
one final-day attendance badge) and two draw types; users sign up on an in-process
``FakeChain``; every day active users collect badges, which are minted on the chain and
issued in bulk with ``issue_instances``. A sample of users ("wallet users") has its
badges issued first and minted afterwards, receives partner NFTs minted by another app
and swaps a few NFTs on the last day; their chain sync runs every evening and adopts,
creates and transfers instances. At the end ``update_user_bingo_info`` brings every
card up to date, and the bingo-line and final-attendance draws are sealed on a
``FakeBeacon`` seeded like the rest (candidates and a future round fixed first) and run
with the winning numbers derived from that round. Each phase (and each day) commits.

Everything random comes from one ``random.Random(seed)`` and a ``FixedClock`` advanced
per day, so the report is identical for the same settings on every storage backend.
Wall-clock timings are kept apart under ``"timings"``.
"""

from nictbw.app.simulation.event import (
    DatabaseNotEmptyError,
    NullProgress,
    SimulationProgress,
    UnitOfWorkFactory,
    run_simulation,
)
from nictbw.app.simulation.scenario import (
    ATTENDANCE_DRAW,
    ATTENDANCE_PREFIX,
    BINGO_DRAW,
    CATALOGUE,
)
from nictbw.app.simulation.settings import SIMULATION_START, SimulationSettings

__all__ = [
    "ATTENDANCE_DRAW",
    "ATTENDANCE_PREFIX",
    "BINGO_DRAW",
    "CATALOGUE",
    "SIMULATION_START",
    "DatabaseNotEmptyError",
    "NullProgress",
    "SimulationProgress",
    "SimulationSettings",
    "UnitOfWorkFactory",
    "run_simulation",
]
