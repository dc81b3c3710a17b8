"""The repository and unit-of-work contract of nictbw, as base test classes.

A storage adapter proves it behaves as nictbw's own (memory, SQLite, PostgreSQL) by
subclassing these classes in a test module and providing one pytest fixture,
``uow_factory``: a zero-argument callable returning a fresh unit of work
(:class:`nictbw.ports.UnitOfWork`). Within one test every unit of work it returns must
share one store, and that store must be empty when the test starts::

    import pytest
    from nictbw.testing.contract import RepositoryContract

    class TestMyAdapter(RepositoryContract):
        @pytest.fixture
        def uow_factory(self, tmp_path):
            store = MyStore(tmp_path)          # a new, empty store per test
            return lambda: MyUnitOfWork(store)

``RepositoryContract`` runs every case; the per-aggregate classes run one part each.
The cases talk only to the ports, read persistence back through a fresh unit of work and
never assert a concrete id value (database sequences may skip numbers). Needs pytest
(the ``testing`` extra).
"""

from nictbw.testing.contract._support import ContractCase, UowFactory
from nictbw.testing.contract.cards import CardRepositoryContract
from nictbw.testing.contract.definitions import DefinitionRepositoryContract
from nictbw.testing.contract.draws import (
    DrawResultRepositoryContract,
    DrawTypeRepositoryContract,
    WinningNumberRepositoryContract,
)
from nictbw.testing.contract.instances import InstanceRepositoryContract
from nictbw.testing.contract.unit_of_work import UnitOfWorkContract
from nictbw.testing.contract.users import AdminRepositoryContract, UserRepositoryContract


class DrawRepositoryContract(
    DrawTypeRepositoryContract, WinningNumberRepositoryContract, DrawResultRepositoryContract
):
    """Draw types, winning numbers and draw results."""


class RepositoryContract(
    UnitOfWorkContract,
    UserRepositoryContract,
    AdminRepositoryContract,
    DefinitionRepositoryContract,
    InstanceRepositoryContract,
    CardRepositoryContract,
    DrawRepositoryContract,
):
    """Every contract case: the unit of work and every repository."""


__all__ = [
    "AdminRepositoryContract",
    "CardRepositoryContract",
    "ContractCase",
    "DefinitionRepositoryContract",
    "DrawRepositoryContract",
    "DrawResultRepositoryContract",
    "DrawTypeRepositoryContract",
    "InstanceRepositoryContract",
    "RepositoryContract",
    "UnitOfWorkContract",
    "UowFactory",
    "UserRepositoryContract",
    "WinningNumberRepositoryContract",
]
