"""The container's database URLs and chain settings: secrets masked, limits configurable."""

from __future__ import annotations

from typing import Any

import pytest

from nictbw.adapters.chain import HttpChainClient
from nictbw.app.container import Container, open_engine, settings_from_env, storage_backend
from nictbw.domain.errors import ValidationError


def _container(**settings: Any) -> Any:
    container = Container()
    container.config.from_dict(settings)
    return container


@pytest.mark.parametrize(
    "url", ["mysql://admin:S3cret@db/x", "oracle+cx://svc:S3cret@db:1521/x", "S3cret"]
)
def test_a_refused_database_url_does_not_show_its_password(url: str) -> None:
    with pytest.raises(ValidationError, match="is not supported") as info:
        storage_backend(url)
    assert "S3cret" not in str(info.value) or url == "S3cret"
    if "@" in url:
        assert ":***@db" in str(info.value)


def test_the_container_refuses_a_database_url_without_showing_its_password() -> None:
    container = _container(database_url="mysql://admin:S3cret@db/x")
    with pytest.raises(ValidationError) as info:
        container.unit_of_work()
    assert "S3cret" not in str(info.value)
    assert "mysql://admin:***@db/x" in str(info.value)


def test_open_engine_refuses_a_non_sql_url_without_showing_its_password() -> None:
    with pytest.raises(ValidationError) as info:
        next(open_engine("mysql://admin:S3cret@db/x"))
    assert "S3cret" not in str(info.value)


def test_a_chain_base_url_with_credentials_is_refused_without_showing_them() -> None:
    container = _container(
        chain={"base_url": "http://svc:S3cret@127.0.0.1:9", "username": "u", "password": "p"}
    )
    with pytest.raises(ValidationError, match="credentials") as info:
        container.chain()
    assert "S3cret" not in str(info.value)


def test_chain_deadline_and_size_limit_come_from_config() -> None:
    container = _container(
        chain={
            "base_url": "http://127.0.0.1:9",
            "username": "u",
            "password": "p",
            "timeout": 3,
            "deadline": 5,
            "max_response_bytes": 65536,
        }
    )
    client = container.chain()
    assert isinstance(client, HttpChainClient)
    assert (client.timeout, client.deadline, client.max_response_bytes) == (3.0, 5.0, 65536)
    container.shutdown_resources()


def test_chain_limits_default_to_twice_the_timeout_and_eight_mebibytes() -> None:
    container = _container(
        chain={"base_url": "http://127.0.0.1:9", "username": "u", "password": "p", "timeout": 4}
    )
    client = container.chain()
    assert (client.deadline, client.max_response_bytes) == (8.0, 8 * 1024 * 1024)
    container.shutdown_resources()


def test_from_env_reads_the_chain_limits() -> None:
    settings = settings_from_env(
        {"NICTBW_CHAIN_DEADLINE": "12.5", "NICTBW_CHAIN_MAX_RESPONSE_BYTES": "100000"}
    )
    assert settings == {"chain": {"deadline": 12.5, "max_response_bytes": 100000}}


@pytest.mark.parametrize(
    ("variable", "value"),
    [("NICTBW_CHAIN_DEADLINE", "-1"), ("NICTBW_CHAIN_MAX_RESPONSE_BYTES", "lots")],
)
def test_from_env_refuses_bad_chain_limits(variable: str, value: str) -> None:
    with pytest.raises(ValidationError, match=variable):
        settings_from_env({variable: value})
