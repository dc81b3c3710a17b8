"""The candidate-set digest that fixes who takes part in a draw before its number exists.

A digest is the SHA-256 (lowercase hex) of the canonical JSON of the candidates as
``[instance_id, user_id, draw_number]`` triples sorted by instance id, serialised with no
whitespace (``separators=(",", ":")``) and non-ASCII kept literally, encoded as UTF-8.
Anyone holding a draw export can recompute it from the exported candidates.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from nictbw.domain.errors import ValidationError

_DIGEST_CHUNK = 10_000
"""Triples serialised at a time (the digest never holds the whole canonical text)."""


def candidate_set_digest(candidates: Iterable[tuple[int, int, str]]) -> str:
    """SHA-256 hex of the sorted ``(instance_id, user_id, draw_number)`` triples."""
    triples = sorted((int(i), int(u), str(d)) for i, u, d in candidates)
    seen: set[int] = set()
    for instance_id, _, _ in triples:
        if instance_id in seen:
            raise ValidationError(f"instance {instance_id} appears twice in a candidate set")
        seen.add(instance_id)
    digest = hashlib.sha256(b"[")
    for start in range(0, len(triples), _DIGEST_CHUNK):
        # The canonical text is hashed a slice at a time: the items of a slice are the
        # slice's JSON array without its brackets, joined to the previous ones by ",".
        text = json.dumps(
            [list(t) for t in triples[start : start + _DIGEST_CHUNK]],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        if start:
            digest.update(b",")
        digest.update(text[1:-1].encode("utf-8"))
    digest.update(b"]")
    return digest.hexdigest()
