"""Helpers shared by the test suite.

- :mod:`tests.support.backends`: the storage backends (memory, SQLite, PostgreSQL) and
  the ``uow_factory`` they give; :class:`~tests.support.backends.EveryBackend` plugs them
  into the public contract classes of :mod:`nictbw.testing.contract`.
- :mod:`tests.support.sql`: clean SQLite/PostgreSQL stores and statement counting.
- :mod:`tests.support.world`: workflow-level builders (the standard catalogue, users,
  issuing, chain payloads).
- :mod:`tests.support.profiles`: the hypothesis profiles ``dev`` and ``ci``.
"""
