"""The dependency-injection container: configuration, providers, overriding, embedding."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import containers, providers

import nictbw
from nictbw.adapters.chain import FakeChain, HttpChainClient
from nictbw.adapters.clock import FixedClock, SystemClock
from nictbw.adapters.memory import InMemoryUnitOfWork
from nictbw.app.container import (
    DEFAULT_DATABASE_URL,
    Container,
    settings_from_env,
    storage_backend,
)
from nictbw.domain.entities import Admin, NFTDefinition, PrizeDrawType, User
from nictbw.domain.errors import ValidationError
from nictbw.domain.scoring import DEFAULT_SCORING_REGISTRY
from nictbw.workflows import (
    create_nft_definition,
    create_prize_draw_type,
    issue_instances,
    register_admin,
    register_user,
    run_bingo_prize_draw,
    submit_winning_number,
)


def _container(**settings: Any) -> Any:
    container = Container()
    container.config.from_dict(settings)
    return container


def test_importing_the_container_builds_nothing_and_reads_no_environment() -> None:
    code = textwrap.dedent(
        """
        import os, sys
        os.environ["NICTBW_CHAIN_TIMEOUT"] = "not a number"
        os.environ["NICTBW_DATABASE_URL"] = "bogus://"
        import nictbw
        import nictbw.app.container as module
        assert nictbw.Container is module.Container
        for name in ("sqlalchemy", "httpx", "alembic", "psycopg"):
            assert name not in sys.modules, name
        print("clean")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


def test_container_is_reexported_lazily_from_the_package() -> None:
    assert nictbw.Container is Container


def test_default_database_url_is_the_embedded_sqlite_file() -> None:
    assert Container().config.database_url() == DEFAULT_DATABASE_URL == "sqlite:///nictbw.db"


def test_default_chain_settings() -> None:
    config = Container().config
    assert config.chain.timeout() == 45
    assert config.chain.app() == "nictbw"
    assert config.chain.base_url() is None


def test_memory_url_gives_a_fresh_in_memory_unit_of_work_per_call() -> None:
    container = _container(database_url="memory://")
    first, second = container.unit_of_work(), container.unit_of_work()
    assert isinstance(first, InMemoryUnitOfWork)
    assert isinstance(second, InMemoryUnitOfWork)
    assert first is not second


def test_memory_units_of_work_share_one_store() -> None:
    container = _container(database_url="memory://")
    with container.unit_of_work() as uow:
        register_admin(uow, Admin(email="a@example.org", password_hash="x"))
        uow.commit()
    with container.unit_of_work() as uow:
        assert [a.email for a in uow.admins.list()] == ["a@example.org"]


def test_sqlite_url_opens_a_migrated_database_and_gives_sql_units_of_work(
    tmp_path: Path,
) -> None:
    from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork

    container = _container(database_url=f"sqlite:///{tmp_path / 'c.db'}")
    try:
        with container.unit_of_work() as uow:
            assert isinstance(uow, SqlAlchemyUnitOfWork)
            assert uow.users.list() == []
        assert container.unit_of_work() is not container.unit_of_work()
        assert (tmp_path / "c.db").exists()
    finally:
        container.shutdown_resources()


def test_shutdown_disposes_the_engine_resource(tmp_path: Path) -> None:
    container = _container(database_url=f"sqlite:///{tmp_path / 'c.db'}")
    engine = container.engine()
    assert container.engine.initialized
    container.shutdown_resources()
    assert not container.engine.initialized
    assert engine.pool.checkedout() == 0


def test_memory_url_never_opens_an_engine() -> None:
    container = _container(database_url="memory://")
    container.unit_of_work()
    assert not container.engine.initialized


@pytest.mark.parametrize(
    "url", ["mysql://db/x", "bogus", "", "  ", "memory:/", "sqlite:relative.db"]
)
def test_unsupported_database_url_is_a_validation_error_naming_it(url: str) -> None:
    container = _container(database_url=url)
    with pytest.raises(ValidationError, match="database URL"):
        container.unit_of_work()


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("memory://", "memory"),
        ("sqlite:///x.db", "sql"),
        ("sqlite://", "sql"),
        ("postgresql://u@h/db", "sql"),
        ("postgresql+psycopg://u@h/db", "sql"),
        (None, "sql"),
    ],
)
def test_storage_backend_follows_the_url_scheme(url: str | None, backend: str) -> None:
    assert storage_backend(url) == backend


def test_from_env_reads_every_nictbw_variable() -> None:
    environ = {
        "NICTBW_DATABASE_URL": "memory://",
        "NICTBW_CHAIN_BASE_URL": "http://127.0.0.1:8123/chain",
        "NICTBW_CHAIN_TIMEOUT": "2.5",
        "NICTBW_CHAIN_USERNAME": "api",
        "NICTBW_CHAIN_PASSWORD": "secret",
        "NICTBW_CHAIN_APP": "expo",
        "NICTBW_CHAIN_TRUSTED_APPS": "expo, partner",
        "NICTBW_SEED": "42",
        "UNRELATED": "ignored",
    }
    config = Container.from_env(environ).config
    assert config.database_url() == "memory://"
    assert config.chain() == {
        "base_url": "http://127.0.0.1:8123/chain",
        "timeout": 2.5,
        "username": "api",
        "password": "secret",
        "app": "expo",
        "trusted_apps": "expo, partner",
    }
    assert config.seed() == 42


def test_from_env_keeps_defaults_for_unset_and_empty_variables() -> None:
    config = Container.from_env({"NICTBW_DATABASE_URL": "  "}).config
    assert config.database_url() == DEFAULT_DATABASE_URL
    assert config.chain.timeout() == 45


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NICTBW_DATABASE_URL", "memory://")
    monkeypatch.setenv("NICTBW_SEED", "7")
    container = Container.from_env()
    assert container.config.database_url() == "memory://"
    assert container.config.seed() == 7


@pytest.mark.parametrize("value", ["soon", "0", "-3", "inf", "nan"])
def test_from_env_refuses_a_timeout_that_is_not_positive_seconds(value: str) -> None:
    with pytest.raises(ValidationError, match="NICTBW_CHAIN_TIMEOUT"):
        settings_from_env({"NICTBW_CHAIN_TIMEOUT": value})


def test_from_env_refuses_a_seed_that_is_not_an_integer() -> None:
    with pytest.raises(
        ValidationError, match=re.escape("NICTBW_SEED must be an integer, got '1.5'")
    ):
        settings_from_env({"NICTBW_SEED": "1.5"})


def test_rng_is_one_random_seeded_from_config() -> None:
    first = _container(seed=11)
    second = _container(seed=11)
    assert first.rng() is first.rng()
    assert first.rng().random() == second.rng().random() == random.Random(11).random()


def test_clock_and_scoring_registry_defaults() -> None:
    container = Container()
    assert isinstance(container.clock(), SystemClock)
    assert container.scoring_registry() is DEFAULT_SCORING_REGISTRY


def test_chain_without_base_url_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match=r"chain\.base_url is not configured"):
        Container().chain()


def test_chain_without_credentials_is_a_validation_error() -> None:
    container = _container(chain={"base_url": "http://127.0.0.1:9"})
    with pytest.raises(ValidationError, match=r"chain\.username is not configured"):
        container.chain()


def test_chain_is_an_http_client_built_from_config_and_closed_on_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[HttpChainClient] = []
    original_close = HttpChainClient.close

    def spy(self: HttpChainClient) -> None:
        closed.append(self)
        original_close(self)

    monkeypatch.setattr(HttpChainClient, "close", spy)
    container = _container(
        chain={
            "base_url": "http://127.0.0.1:9/chain/",
            "username": "api",
            "password": "secret",
            "timeout": 3,
            "app": "expo",
        }
    )
    client = container.chain()
    assert isinstance(client, HttpChainClient)
    assert (client.base_url, client.username, client.timeout, client.app) == (
        "http://127.0.0.1:9/chain",
        "api",
        3.0,
        "expo",
    )
    assert container.chain() is client
    container.shutdown_resources()
    assert closed == [client]


def test_a_host_overrides_the_chain_and_the_clock() -> None:
    container = _container(database_url="memory://")
    fake = FakeChain(seed=1)
    fixed = FixedClock(datetime(2026, 5, 1, tzinfo=UTC))
    container.chain.override(providers.Object(fake))
    container.clock.override(providers.Object(fixed))
    assert container.chain() is fake
    assert container.clock() is fixed
    container.chain.reset_override()
    with pytest.raises(ValidationError):
        container.chain()


class HostContainer(containers.DeclarativeContainer):
    """A host service embedding nictbw as one of its packages."""

    config = providers.Configuration()
    nictbw = providers.Container(Container, config=config.nictbw)


def test_a_host_container_embeds_nictbw_and_runs_a_draw_end_to_end() -> None:
    host = HostContainer()
    host.config.from_dict({"nictbw": {"database_url": "memory://", "seed": 5}})
    now = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    host.nictbw.chain.override(providers.Object(FakeChain(seed=3)))
    host.nictbw.clock.override(providers.Object(FixedClock(now)))
    package = host.nictbw
    chain, clock, rng = package.chain(), package.clock(), package.rng()

    with package.unit_of_work() as uow:
        admin = register_admin(uow, Admin(email="ops@example.org", password_hash="x"), clock=clock)
        centre = create_nft_definition(
            uow,
            NFTDefinition(
                prefix="HUB",
                shared_key="hub",
                name="Hub",
                triggers_bingo_card=True,
                bingo_random_candidate=False,
                created_by_admin_id=admin.id,
            ),
            clock=clock,
        )
        spots = [
            create_nft_definition(
                uow,
                NFTDefinition(
                    prefix=f"SPOT{i}",
                    shared_key=f"s{i}",
                    name=f"Spot {i}",
                    created_by_admin_id=admin.id,
                ),
                clock=clock,
            )
            for i in range(8)
        ]
        user = register_user(
            uow,
            User(in_app_id="u1"),
            password="pw",
            email="u1@example.org",
            chain=chain,
            clock=clock,
        )
        grants = []
        for definition in [centre, *spots]:
            minted = chain.mint_nft(
                name=definition.name,
                additional_info={"prefix": definition.prefix},
                recipient_paymail=user.paymail,
            )
            grants.append((user, definition, minted["nft_information"]["nft_origin"]))
        issue_instances(uow, grants, rng=rng, clock=clock)
        draw_type = create_prize_draw_type(
            uow,
            PrizeDrawType(internal_name="line", algorithm_key="sha256_hex_proximity"),
            registry=package.scoring_registry(),
            clock=clock,
        )
        number = submit_winning_number(uow, draw_type, "LUCKY", clock=clock)
        winners = run_bingo_prize_draw(
            uow, draw_type, winning_number=number, threshold=0.0, limit=3, clock=clock
        )
        uow.commit()

    assert len(winners) >= 3
    with package.unit_of_work() as uow:
        stored = uow.draw_results.list_for_draw_type(draw_type.id, number.id)
        assert len(stored) == 9
        assert {r.evaluated_at for r in stored} == {now}
        assert {r.outcome for r in stored} == {"win"}
        card = uow.bingo_cards.list_for_user(user.id)[0]
        assert card.state == "completed"


def test_trusted_apps_default_to_the_configured_chain_app() -> None:
    container = Container()
    assert container.trusted_apps() == ("nictbw",)
    container.config.chain.app.from_value("expo")
    assert container.trusted_apps() == ("expo",)


def test_trusted_apps_come_from_the_configuration_or_the_environment() -> None:
    container = Container()
    container.config.chain.trusted_apps.from_value(["expo", "partner"])
    assert container.trusted_apps() == ("expo", "partner")
    from_env = Container.from_env({"NICTBW_CHAIN_TRUSTED_APPS": "expo , partner"})
    assert from_env.trusted_apps() == ("expo", "partner")


@pytest.mark.parametrize("configured", [[], [""], "expo,,partner", 3, [None]])
def test_malformed_trusted_apps_are_refused(configured: object) -> None:
    container = Container()
    container.config.chain.trusted_apps.from_value(configured)
    with pytest.raises(ValidationError, match=r"chain\.trusted_apps"):
        container.trusted_apps()


def test_collector_pause_is_off_unless_the_container_is_told() -> None:
    from nictbw.app.workflows import collector_pause_enabled, set_collector_pause

    set_collector_pause(True)  # whatever was on before, the default turns it off
    container = Container()
    assert container.gc_pause() is False
    assert collector_pause_enabled() is False
    container.shutdown_resources()
    assert collector_pause_enabled() is True  # shutdown restored the previous setting
    set_collector_pause(False)
    container = Container()
    container.config.gc_pause.from_value(True)
    assert container.gc_pause() is True
    assert collector_pause_enabled() is True
    container.shutdown_resources()
    assert collector_pause_enabled() is False


def test_collector_pause_setting_must_be_a_boolean() -> None:
    container = Container()
    container.config.gc_pause.from_value("yes")
    with pytest.raises(ValidationError, match="gc_pause"):
        container.gc_pause()
