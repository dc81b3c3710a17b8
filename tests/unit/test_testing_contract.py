"""The public contract classes: the umbrella runs every case, the parts are disjoint."""

from __future__ import annotations

from nictbw.testing import contract

PARTS = (
    contract.UnitOfWorkContract,
    contract.UserRepositoryContract,
    contract.AdminRepositoryContract,
    contract.DefinitionRepositoryContract,
    contract.InstanceRepositoryContract,
    contract.CardRepositoryContract,
    contract.DrawTypeRepositoryContract,
    contract.WinningNumberRepositoryContract,
    contract.DrawResultRepositoryContract,
)


def cases(cls: type) -> set[str]:
    return {name for name in dir(cls) if name.startswith("test_")}


def test_the_umbrella_runs_every_case_of_every_part() -> None:
    every = [name for part in PARTS for name in cases(part)]
    assert len(every) == len(set(every)), "two parts define a case of the same name"
    assert cases(contract.RepositoryContract) == set(every)


def test_no_contract_class_is_collected_by_itself() -> None:
    for name in contract.__all__:
        assert not name.startswith("Test"), name
