"""A small badge service that embeds nictbw: an example of a host, not part of nictbw.

It exposes three HTTP routes (plain WSGI, no framework):

- ``POST /users`` ``{"in_app_id", "email", "password", "nickname"?}``: sign a visitor up
  (on the chain, through nictbw's ``register_user``); 201 ``{"id", "in_app_id", "paymail"}``.
- ``POST /badges`` ``{"in_app_id", "prefix", "nft_origin"?}``: issue a badge;
  201 ``{"unique_instance_id", "serial_number", "prefix"}``.
- ``GET /users/<in_app_id>/cards``: the visitor's bingo cards, as nictbw renders them.

nictbw's errors become JSON answers: validation 400, not found 404, conflict 409, chain
502, each ``{"error": message}``. The composition is :class:`HostContainer`, which nests
``nictbw.Container`` and can override any of its providers.
"""

from host_service.app import HostContainer, create_app

__all__ = ["HostContainer", "create_app"]
