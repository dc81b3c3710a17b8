"""nictbw's property-test harness, for services that embed nictbw.

Install with ``pip install nictbw[testing]``. The parts:

- :mod:`nictbw.testing.strategies`: hypothesis strategies for every entity and value,
  valid by construction, each with an ``invalid_*`` counterpart breaking exactly one
  field, and whole events (:func:`~nictbw.testing.strategies.events`).
- :mod:`nictbw.testing.contract`: the repository and unit-of-work contract suite, to
  subclass with a ``uow_factory`` fixture for one's own adapter.
- :mod:`nictbw.testing.machine`: the event machine driving random workflow sequences
  against a composition, with nictbw's invariants checked after every step.
- :mod:`nictbw.testing.checks`: those invariants as pure functions over a unit of work.
- :mod:`nictbw.testing.fakes`: the fake chain (in process and over HTTP), fixed and
  stepping clocks, seeded randomness, the fake beacon.
- :mod:`nictbw.testing.pytest_plugin`: the fixtures ``nictbw_container``, ``nictbw_uow``,
  ``fake_chain_server`` (and ``nictbw_settings``, ``nictbw_clock``, ``nictbw_chain``),
  loaded by pytest through the ``nictbw`` entry point.
- :mod:`nictbw.testing.golden`: reference data (scoring vectors, the bingo worked
  example, a reference event with its report) that any composition must reproduce.

The names below are re-exported lazily, so ``import nictbw.testing`` (which pytest does
when it loads the plugin) needs neither hypothesis nor werkzeug until they are used.
See docs/testing.md for copy-paste examples.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nictbw.testing.checks import assert_invariants, invariant_violations
    from nictbw.testing.fakes import (
        FakeBeacon,
        FakeChain,
        FakeChainServer,
        FixedClock,
        SteppingClock,
        seeded_rng,
        serve_fake_chain,
    )
    from nictbw.testing.golden import (
        BINGO_WORKED_EXAMPLE,
        REFERENCE_EVENT_REPORT,
        REFERENCE_EVENT_SETTINGS,
        SCORING_VECTORS,
    )
    from nictbw.testing.strategies import (
        Broken,
        Event,
        apply_event,
        audit_entries,
        bingo_cards,
        bingo_cells,
        candidate_sets,
        draw_candidates,
        events,
        invalid_audit_entries,
        invalid_bingo_cards,
        invalid_bingo_cells,
        invalid_prize_draw_results,
        invalid_prize_draw_snapshots,
        prize_draw_evaluations,
        prize_draw_results,
        prize_draw_snapshots,
        results_document,
        score_computations,
        score_evaluations,
        sync_notes,
        sync_reports,
    )

_EXPORTS: dict[str, str] = {
    "assert_invariants": "checks",
    "invariant_violations": "checks",
    "FakeBeacon": "fakes",
    "FakeChain": "fakes",
    "FakeChainServer": "fakes",
    "FixedClock": "fakes",
    "SteppingClock": "fakes",
    "seeded_rng": "fakes",
    "serve_fake_chain": "fakes",
    "BINGO_WORKED_EXAMPLE": "golden",
    "REFERENCE_EVENT_REPORT": "golden",
    "REFERENCE_EVENT_SETTINGS": "golden",
    "SCORING_VECTORS": "golden",
    "Broken": "strategies",
    "Event": "strategies",
    "apply_event": "strategies",
    "events": "strategies",
    "audit_entries": "strategies",
    "bingo_cards": "strategies",
    "bingo_cells": "strategies",
    "candidate_sets": "strategies",
    "draw_candidates": "strategies",
    "invalid_audit_entries": "strategies",
    "invalid_bingo_cards": "strategies",
    "invalid_bingo_cells": "strategies",
    "invalid_prize_draw_results": "strategies",
    "invalid_prize_draw_snapshots": "strategies",
    "prize_draw_evaluations": "strategies",
    "prize_draw_results": "strategies",
    "prize_draw_snapshots": "strategies",
    "results_document": "strategies",
    "score_computations": "strategies",
    "score_evaluations": "strategies",
    "sync_notes": "strategies",
    "sync_reports": "strategies",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = [
    "BINGO_WORKED_EXAMPLE",
    "REFERENCE_EVENT_REPORT",
    "REFERENCE_EVENT_SETTINGS",
    "SCORING_VECTORS",
    "Broken",
    "Event",
    "FakeBeacon",
    "FakeChain",
    "FakeChainServer",
    "FixedClock",
    "SteppingClock",
    "apply_event",
    "assert_invariants",
    "audit_entries",
    "bingo_cards",
    "bingo_cells",
    "candidate_sets",
    "draw_candidates",
    "events",
    "invalid_audit_entries",
    "invalid_bingo_cards",
    "invalid_bingo_cells",
    "invalid_prize_draw_results",
    "invalid_prize_draw_snapshots",
    "invariant_violations",
    "prize_draw_evaluations",
    "prize_draw_results",
    "prize_draw_snapshots",
    "results_document",
    "score_computations",
    "score_evaluations",
    "seeded_rng",
    "serve_fake_chain",
    "sync_notes",
    "sync_reports",
]
