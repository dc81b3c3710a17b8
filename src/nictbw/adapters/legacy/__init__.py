"""Read-only access to databases of the system nictbw replaces (docs/legacy-import.md)."""

from nictbw.adapters.legacy.reader import (
    GENERATION_V0,
    GENERATION_V1,
    LegacySource,
    read_only_url,
)

__all__ = ["GENERATION_V0", "GENERATION_V1", "LegacySource", "read_only_url"]
