"""Serve the example on http://127.0.0.1:8000 with in-memory storage, the fake chain and
a catalogue of one bingo trigger ``FAIR`` and nine badges ``B0``..``B8``."""

from __future__ import annotations

from wsgiref.simple_server import make_server

from dependency_injector import providers

from host_service.app import HostContainer, create_app
from nictbw import Admin, NFTDefinition
from nictbw.testing.fakes import FakeChain
from nictbw.workflows import create_nft_definition, register_admin


def main(port: int = 8000) -> None:
    """Serve until Ctrl-C."""
    host = HostContainer()
    host.config.from_dict({"nictbw": {"database_url": "memory://", "seed": 0}})
    host.nictbw.chain.override(providers.Object(FakeChain(seed=0)))
    with host.nictbw.unit_of_work() as uow:
        admin = register_admin(uow, Admin(password_hash="example"))
        for prefix in ["FAIR", *(f"B{i}" for i in range(9))]:
            create_nft_definition(
                uow,
                NFTDefinition(
                    prefix=prefix,
                    shared_key=prefix.lower(),
                    name=prefix,
                    triggers_bingo_card=prefix == "FAIR",
                    bingo_random_candidate=prefix != "FAIR",
                    created_by_admin_id=admin.id,
                ),
            )
        uow.commit()
    with make_server("127.0.0.1", port, create_app(host)) as server:
        print(f"host-service on http://127.0.0.1:{port}")
        server.serve_forever()


if __name__ == "__main__":
    main()
