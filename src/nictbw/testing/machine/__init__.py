"""The event machine: random workflow sequences against a host's composition.

:class:`WorkflowMachine` is a hypothesis ``RuleBasedStateMachine``. Each example starts a
fresh store from the host's ``new_store``, commits a small event (two admins, a catalogue,
users with cards, draw types with winning numbers) and then runs random steps: register
and update users, create definitions and draw types, issue one by one and in bulk, mint,
transfer and sync through a fake chain (with injected faults), move the clock (cards
expire), bring cards up to date, submit winning numbers, run every kind of draw, seal and
run sealed draws on a fake beacon, select top results and export; and, as an admin with
every right or one with a restricted role, edit and deactivate definitions, edit and
retire draw types (then use a retired one), revoke badges, erase users, edit admins and
read the audit log. Arguments sometimes break a rule: a refused workflow must change
nothing (checked for the admin workflows), and where the refusal is certain (a forbidden
role, a supply below the minted count, a retired draw type) its error class is asserted.

After every step, read through a fresh unit of work of the host, the invariants hold:
minted counts equal instances and serials are contiguous per definition; no supply is
exceeded; cells and cards are consistent and a cell of an active card is unlocked exactly
when its user holds a succeeded instance of its target (a revoked one does not count, and
no cell stays matched to it); an instance is drawn once per draw and an origin has one
succeeded holder; every draw's export recomputes to the stored results; a revoked
instance is never eligible and gets no result in a draw that had none for it when it was
revoked; an erased user keeps its badges and draw results; the audit log only grows (ids
increase, entries never change) and holds no password hash, push token or password; and,
where the in-memory reference runs beside the host (``compare_with_memory``), both
answered every step alike and store the same (audit log included).

Rules that write go through ``WorkflowMachine.both``, which also tells the invariants that
the host's state must be read again (they share one read per step).

``new_store`` is called once per example and gives the host's composition on an empty
store: a zero-argument unit-of-work factory, a context manager yielding one (closed when
the example ends), or a ``nictbw.Container`` (its ``unit_of_work`` provider is used)::

    from nictbw.testing.machine import machine_for

    TestMyComposition = machine_for(lambda: my_uow_factory_on_an_empty_store())

or, inside a test (e.g. to use pytest's ``tmp_path``)::

    run_machine(lambda: my_store(tmp_path), settings=settings(max_examples=50))

Needs hypothesis (the ``testing`` extra).
"""

from __future__ import annotations

import unittest
from typing import Any, Final

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from nictbw.testing.machine._rules import StoreFactory, WorkflowMachine
from nictbw.testing.machine._setup import Side, UowFactory

DEFAULT_SETTINGS: Final = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
"""The default budget: 25 examples of up to 25 steps, no deadline."""


def machine_class(
    new_store: StoreFactory,
    *,
    compare_with_memory: bool = True,
    rank_ids: bool = False,
    chain_seed: int = 23,
    name: str = "HostWorkflowMachine",
    host_name: str = "host",
) -> type[WorkflowMachine]:
    """A :class:`WorkflowMachine` subclass on the host's ``new_store``.

    ``compare_with_memory`` runs nictbw's in-memory adapter beside the host and asserts
    both agree; ``rank_ids`` compares ids by rank (stores whose id sequences skip numbers,
    e.g. PostgreSQL); ``chain_seed`` seeds the fake chain and beacon.
    """
    attributes: dict[str, Any] = {
        "new_store": staticmethod(new_store),
        "compare_with_memory": compare_with_memory,
        "rank_ids": rank_ids,
        "chain_seed": chain_seed,
        "host_name": host_name,
    }
    return type(name, (WorkflowMachine,), attributes)


def machine_for(
    new_store: StoreFactory,
    *,
    settings: settings | None = None,
    **options: Any,
) -> type[unittest.TestCase]:
    """A ``unittest.TestCase`` (collected by pytest as is) running the machine on the
    host's ``new_store`` with ``settings`` (default :data:`DEFAULT_SETTINGS`); ``options``
    as for :func:`machine_class`. Assign it to a ``Test*`` name in a test module."""
    machine = machine_class(new_store, **options)
    case = machine.TestCase
    case.settings = settings if settings is not None else DEFAULT_SETTINGS
    return case


def run_machine(
    new_store: StoreFactory,
    *,
    settings: settings | None = None,
    **options: Any,
) -> None:
    """Run the machine on the host's ``new_store`` now; raises on the first falsified
    invariant (hypothesis prints the shrunk falsifying example). ``options`` as for
    :func:`machine_class`."""
    machine = machine_class(new_store, **options)
    run_state_machine_as_test(
        machine, settings=settings if settings is not None else DEFAULT_SETTINGS
    )


__all__ = [
    "DEFAULT_SETTINGS",
    "Side",
    "StoreFactory",
    "UowFactory",
    "WorkflowMachine",
    "machine_class",
    "machine_for",
    "run_machine",
]
