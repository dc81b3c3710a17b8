"""The workflows of nictbw, each running inside a unit of work it is given."""

from nictbw.app.workflows._gcpause import collector_pause_enabled, set_collector_pause

__all__ = ["collector_pause_enabled", "set_collector_pause"]
