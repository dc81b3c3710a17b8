"""The dependency-injection container of nictbw: how a host (or the CLI) composes it.

``Container`` is a dependency-injector ``DeclarativeContainer``. Nothing happens when this
module is imported: no engine is built, no environment variable is read, nothing is
wired, and the SQL and HTTP adapters are only imported when their providers are first
called. Business code never imports the container; it receives what the container builds.

A host embeds nictbw as a nested container and overrides what it supplies itself::

    class Host(containers.DeclarativeContainer):
        config = providers.Configuration()
        nictbw = providers.Container(Container, config=config.nictbw)

    host = Host()
    host.nictbw.chain.override(providers.Object(my_chain))

Defaults live in the provider functions as well as in the configuration, so they still
apply when a host replaces the configuration with one of its own options.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from dependency_injector import containers, providers

from nictbw.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from nictbw.app.workflows import set_collector_pause
from nictbw.domain.beacon import DRAND_MAINNET_CHAIN_HASH
from nictbw.domain.chain_payload import DEFAULT_APP
from nictbw.domain.errors import ValidationError
from nictbw.domain.redaction import mask_url
from nictbw.domain.scoring import DEFAULT_SCORING_REGISTRY
from nictbw.ports import ChainPort, PasswordHasher, RandomnessBeacon, UnitOfWork
from nictbw.ports.clock import SystemClock

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEFAULT_DATABASE_URL: Final = "sqlite:///nictbw.db"
MEMORY_DATABASE_URL: Final = "memory://"
DEFAULT_CHAIN_TIMEOUT: Final = 45.0
DEFAULT_CHAIN_APP: Final = DEFAULT_APP
DEFAULT_CHAIN_MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
DEFAULT_BEACON_BASE_URL: Final = "https://api.drand.sh"
DEFAULT_BEACON_TIMEOUT: Final = 10.0
DEFAULT_IDEMPOTENCY_RETENTION_DAYS: Final = 7.0
"""How long a stored idempotency key answers retries before a purge may forget it."""
MAX_IDEMPOTENCY_RETENTION_DAYS: Final = 3650.0

BACKEND_MEMORY: Final = "memory"
BACKEND_SQL: Final = "sql"

SQL_SCHEMES: Final = frozenset({"sqlite", "postgresql", "postgres"})

ENV_VARIABLES: Final[Mapping[str, tuple[str, ...]]] = {
    "NICTBW_DATABASE_URL": ("database_url",),
    "NICTBW_CHAIN_BASE_URL": ("chain", "base_url"),
    "NICTBW_CHAIN_TIMEOUT": ("chain", "timeout"),
    "NICTBW_CHAIN_USERNAME": ("chain", "username"),
    "NICTBW_CHAIN_PASSWORD": ("chain", "password"),
    "NICTBW_CHAIN_APP": ("chain", "app"),
    "NICTBW_CHAIN_TRUSTED_APPS": ("chain", "trusted_apps"),
    "NICTBW_CHAIN_DEADLINE": ("chain", "deadline"),
    "NICTBW_CHAIN_MAX_RESPONSE_BYTES": ("chain", "max_response_bytes"),
    "NICTBW_BEACON_BASE_URL": ("beacon", "base_url"),
    "NICTBW_BEACON_CHAIN_HASH": ("beacon", "chain_hash"),
    "NICTBW_BEACON_TIMEOUT": ("beacon", "timeout"),
    "NICTBW_IDEMPOTENCY_RETENTION_DAYS": ("idempotency", "retention_days"),
    "NICTBW_SEED": ("seed",),
}
"""Environment variable -> configuration key path, as read by ``Container.from_env``."""


def default_settings() -> dict[str, Any]:
    """The configuration a new container starts with."""
    return {
        "database_url": DEFAULT_DATABASE_URL,
        "chain": {
            "base_url": None,
            "timeout": DEFAULT_CHAIN_TIMEOUT,
            "username": None,
            "password": None,
            "app": DEFAULT_CHAIN_APP,
            "trusted_apps": None,
        },
        "beacon": {
            "base_url": DEFAULT_BEACON_BASE_URL,
            "chain_hash": DRAND_MAINNET_CHAIN_HASH,
            "timeout": DEFAULT_BEACON_TIMEOUT,
        },
        "idempotency": {"retention_days": DEFAULT_IDEMPOTENCY_RETENTION_DAYS},
        "seed": None,
        "gc_pause": False,
    }


def storage_backend(database_url: str | None) -> str:
    """``"memory"`` for ``memory://``, ``"sql"`` for SQLite and PostgreSQL URLs.

    ``None`` means the default URL. Any other scheme raises ``ValidationError`` naming it.
    """
    url = DEFAULT_DATABASE_URL if database_url is None else database_url
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(f"database URL must be a non-blank string, got {url!r}")
    url = url.strip()
    if url == MEMORY_DATABASE_URL:
        return BACKEND_MEMORY
    scheme, separator, _rest = url.partition("://")
    dialect = scheme.split("+", 1)[0].lower()
    if separator and dialect in SQL_SCHEMES:
        return BACKEND_SQL
    raise ValidationError(
        f"database URL {mask_url(url)!r} is not supported; use {MEMORY_DATABASE_URL}, "
        "sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    )


def open_engine(database_url: str | None) -> Iterator[Engine]:
    """Resource: open (and migrate when new or outdated) the database; dispose on shutdown."""
    from nictbw.adapters.sqlalchemy import open_database

    url = DEFAULT_DATABASE_URL if database_url is None else database_url.strip()
    if storage_backend(url) != BACKEND_SQL:
        raise ValidationError(f"database URL {mask_url(url)!r} does not name a SQL database")
    engine = open_database(url)
    try:
        yield engine
    finally:
        engine.dispose()


def sql_unit_of_work(engine: Engine) -> UnitOfWork:
    """A fresh SQL unit of work on ``engine``."""
    from nictbw.adapters.sqlalchemy import SqlAlchemyUnitOfWork

    return SqlAlchemyUnitOfWork(engine)


def chain_client(
    base_url: str | None,
    *,
    username: str | None = None,
    password: str | None = None,
    timeout: float | None = None,
    app: str | None = None,
    deadline: float | None = None,
    max_response_bytes: int | None = None,
) -> Iterator[ChainPort]:
    """Resource: an ``HttpChainClient`` for the configured chain, closed on shutdown.

    ``deadline`` bounds each whole call (default twice ``timeout``); answers larger than
    ``max_response_bytes`` are refused.
    """
    if base_url is None or not str(base_url).strip():
        raise ValidationError(
            "chain.base_url is not configured; set NICTBW_CHAIN_BASE_URL or chain.base_url"
        )
    for key, value in (("chain.username", username), ("chain.password", password)):
        if value is None:
            raise ValidationError(f"{key} is not configured; the chain API needs credentials")
    assert username is not None and password is not None
    from nictbw.adapters.chain import HttpChainClient

    client = HttpChainClient(
        str(base_url),
        username=username,
        password=password,
        timeout=DEFAULT_CHAIN_TIMEOUT if timeout is None else float(timeout),
        app=DEFAULT_CHAIN_APP if app is None else app,
        deadline=deadline,
        max_response_bytes=(
            DEFAULT_CHAIN_MAX_RESPONSE_BYTES if max_response_bytes is None else max_response_bytes
        ),
    )
    try:
        yield client
    finally:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def trusted_app_names(configured: object, app: str | None) -> tuple[str, ...]:
    """The apps whose chain items sync applies: ``chain.trusted_apps``, else ``chain.app``.

    A comma-separated string (as ``NICTBW_CHAIN_TRUSTED_APPS`` gives) or a list of names;
    blank names are a ``ValidationError``.
    """
    if configured is None:
        return (DEFAULT_CHAIN_APP if app is None else app,)
    names = configured.split(",") if isinstance(configured, str) else configured
    if not isinstance(names, list | tuple | frozenset | set):
        raise ValidationError(f"chain.trusted_apps must be a list of app names, got {names!r}")
    apps = tuple(str(name).strip() if isinstance(name, str) else name for name in names)
    if not apps or not all(isinstance(name, str) and name for name in apps):
        raise ValidationError(
            f"chain.trusted_apps must name at least one app, each non-blank, got {configured!r}"
        )
    return apps


def retention_period(days: object) -> timedelta:
    """``idempotency.retention_days`` as a ``timedelta``: a number of days above 0 and at
    most 3650 (``None``: the default of 7); ``ValidationError`` naming it otherwise."""
    value = DEFAULT_IDEMPOTENCY_RETENTION_DAYS if days is None else days
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValidationError(
                f"idempotency.retention_days must be a number of days, got {days!r}"
            ) from None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= MAX_IDEMPOTENCY_RETENTION_DAYS
    ):
        raise ValidationError(
            "idempotency.retention_days must be a number of days above 0 and at most "
            f"{MAX_IDEMPOTENCY_RETENTION_DAYS:g}, got {days!r}"
        )
    return timedelta(days=float(value))


def collector_pause(enabled: object) -> Iterator[bool]:
    """Resource: pause CPython's cyclic collector during bulk workflows when ``enabled``.

    The pause is process-wide, so it is off unless the host asks for it (config
    ``gc_pause``; the command line switches it on). Shutdown restores the previous setting.
    """
    flag = False if enabled is None else enabled
    if not isinstance(flag, bool):
        raise ValidationError(f"gc_pause must be true or false, got {enabled!r}")
    previous = set_collector_pause(flag)
    try:
        yield flag
    finally:
        set_collector_pause(previous)


def argon2_hasher() -> PasswordHasher:
    """The default ``PasswordHasher``: Argon2id with argon2-cffi's default parameters."""
    from nictbw.adapters.passwords import Argon2PasswordHasher

    return Argon2PasswordHasher()


def beacon_client(
    base_url: str | None, *, chain_hash: str | None = None, timeout: float | None = None
) -> Iterator[RandomnessBeacon]:
    """Resource: a ``DrandBeacon`` for the configured relay and chain, closed on shutdown."""
    from nictbw.adapters.beacon import DrandBeacon

    client = DrandBeacon(
        DEFAULT_BEACON_BASE_URL if base_url is None else str(base_url),
        DRAND_MAINNET_CHAIN_HASH if chain_hash is None else str(chain_hash),
        timeout=DEFAULT_BEACON_TIMEOUT if timeout is None else float(timeout),
    )
    try:
        yield client
    finally:
        client.close()


def seeded_rng(seed: int | None) -> random.Random:
    """``random.Random(seed)``; ``None`` seeds from the operating system."""
    return random.Random(seed)


class Container(containers.DeclarativeContainer):
    """Everything nictbw needs to run, each provider overridable by a host.

    Config keys: ``database_url`` (``"memory://"`` selects the in-memory adapter; default
    ``"sqlite:///nictbw.db"``), ``chain.base_url``, ``chain.timeout`` (seconds, default
    45), ``chain.deadline`` (seconds for a whole call, retries included; default twice the
    timeout), ``chain.max_response_bytes`` (default 8 MiB), ``chain.username``,
    ``chain.password``, ``chain.app`` (default ``"nictbw"``), ``chain.trusted_apps``
    (default: ``chain.app`` alone), ``seed``, ``gc_pause`` (default false; ``gc_pause()``
    applies it: bulk workflows then pause the cyclic collector). ``unit_of_work()`` gives a
    fresh unit of work per call; ``engine`` and ``chain`` are resources released by
    ``shutdown_resources()``; ``rng`` is one ``random.Random(seed)`` per container;
    ``trusted_apps()`` is what to pass as ``trusted_apps`` to
    ``sync_nft_instances_from_chain``; ``password_hasher`` is one Argon2id
    ``PasswordHasher`` per container; ``beacon.base_url`` (default drand's public relay),
    ``beacon.chain_hash`` (default drand's mainnet chain), ``beacon.timeout`` (seconds,
    default 10); ``beacon`` is a resource released by ``shutdown_resources()``;
    ``idempotency.retention_days`` (default 7) is how long stored idempotency keys answer
    retries: ``idempotency_retention()`` gives it as the ``timedelta`` to subtract from
    now for ``purge_idempotency_keys`` (``nictbw db purge-keys`` does so).
    """

    config = providers.Configuration(default=default_settings())

    clock = providers.Singleton(SystemClock)
    rng = providers.Singleton(seeded_rng, config.seed)
    scoring_registry = providers.Object(DEFAULT_SCORING_REGISTRY)
    trusted_apps = providers.Callable(
        trusted_app_names, config.chain.trusted_apps, config.chain.app
    )

    gc_pause = providers.Resource(collector_pause, config.gc_pause)
    idempotency_retention = providers.Callable(retention_period, config.idempotency.retention_days)
    password_hasher = providers.Singleton(argon2_hasher)

    memory_store = providers.Singleton(InMemoryStore)
    engine = providers.Resource(open_engine, config.database_url)

    unit_of_work = providers.Selector(
        providers.Callable(storage_backend, config.database_url),
        memory=providers.Factory(InMemoryUnitOfWork, memory_store),
        sql=providers.Factory(sql_unit_of_work, engine),
    )

    chain = providers.Resource(
        chain_client,
        config.chain.base_url,
        username=config.chain.username,
        password=config.chain.password,
        timeout=config.chain.timeout,
        app=config.chain.app,
        deadline=config.chain.deadline,
        max_response_bytes=config.chain.max_response_bytes,
    )

    beacon = providers.Resource(
        beacon_client,
        config.beacon.base_url,
        chain_hash=config.beacon.chain_hash,
        timeout=config.beacon.timeout,
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Container:
        """A container configured from ``NICTBW_*`` variables (``os.environ`` by default).

        Unset or empty variables keep the defaults. ``NICTBW_CHAIN_TIMEOUT`` must be a
        positive number and ``NICTBW_SEED`` an integer, else ``ValidationError``.
        """
        container = cls()
        container.config.from_dict(settings_from_env(os.environ if environ is None else environ))
        return container


def settings_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The configuration given by the ``NICTBW_*`` variables present in ``environ``."""
    settings: dict[str, Any] = {}
    for variable, path in ENV_VARIABLES.items():
        raw = environ.get(variable)
        if raw is None or not raw.strip():
            continue
        value: Any = raw.strip()
        if variable in ("NICTBW_CHAIN_TIMEOUT", "NICTBW_CHAIN_DEADLINE", "NICTBW_BEACON_TIMEOUT"):
            value = _positive_seconds(value, variable)
        elif variable in ("NICTBW_SEED", "NICTBW_CHAIN_MAX_RESPONSE_BYTES"):
            value = _integer(value, variable)
        node = settings
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return settings


def _positive_seconds(text: str, variable: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise ValidationError(f"{variable} must be a number of seconds, got {text!r}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise ValidationError(f"{variable} must be a positive number of seconds, got {text!r}")
    return seconds


def _integer(text: str, variable: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValidationError(f"{variable} must be an integer, got {text!r}") from None


__all__ = [
    "DEFAULT_BEACON_BASE_URL",
    "DEFAULT_BEACON_TIMEOUT",
    "DEFAULT_CHAIN_APP",
    "DEFAULT_CHAIN_TIMEOUT",
    "DEFAULT_DATABASE_URL",
    "MEMORY_DATABASE_URL",
    "Container",
    "default_settings",
    "settings_from_env",
    "storage_backend",
    "trusted_app_names",
]
