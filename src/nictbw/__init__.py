"""nictbw: badges, bingo cards and auditable prize draws for a city-scale reward programme.

The entities, errors and scoring names are re-exported here; the workflows live in
``nictbw.workflows`` and the dependency-injection container is ``nictbw.Container``
(imported lazily, so ``import nictbw`` stays free of infrastructure).
"""

from typing import Any

from nictbw.domain import *  # noqa: F403
from nictbw.domain import __all__ as _domain_all

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "Container":
        from nictbw.app.container import Container

        return Container
    raise AttributeError(f"module 'nictbw' has no attribute {name!r}")


__all__ = [*_domain_all, "Container", "__version__"]  # noqa: F405
