"""Adapters: storage (memory, SQLAlchemy), the chain (HTTP, fake) and clocks."""
