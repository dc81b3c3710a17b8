"""What a verifier of a simulated event trusts: the simulation's fake beacon key.

``nictbw simulate`` seals its draws on a ``FakeBeacon`` seeded with the event's seed; its
key is no drand key, so ``verify`` checks such a draw only when told to trust it.
"""

from __future__ import annotations

from nictbw.adapters.beacon.fake import fake_key_pair
from nictbw.domain.export import VerifyPolicy


def fake_public_key(seed: int) -> str:
    """The public key of the fake beacon a simulation of ``seed`` seals its draws on."""
    return fake_key_pair(seed)[1]


def trusting(seed: int) -> VerifyPolicy:
    """A policy trusting the fake beacon of a simulation of ``seed``."""
    return VerifyPolicy(public_key=fake_public_key(seed))
