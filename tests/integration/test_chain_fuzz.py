"""Random answers to HttpChainClient: a result of the right type or a ChainError, never
anything else, and never a secret in the error."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nictbw.adapters.chain import HttpChainClient
from nictbw.domain.errors import ChainError

PASSWORD = "fuzz-Pw-0"
TOKEN = "tok-fuzz-9"

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from([PASSWORD, TOKEN, f"Bearer {TOKEN}"]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=30,
)


def _body(kind: str, value: Any, raw: bytes, depth: int) -> bytes:
    if kind == "json":
        return json.dumps(value).encode()
    if kind == "deep":
        return b"[" * depth + b"]" * depth
    if kind == "bigint":
        return b"[" + b"9" * depth * 10 + b"]"
    return raw


ANSWERS = st.tuples(
    st.sampled_from([200, 201, 400, 401, 404, 500, 502, 503]),
    st.sampled_from(["json", "deep", "bigint", "raw"]),
    JSON,
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=5000),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=st.lists(ANSWERS, min_size=1, max_size=4), mint=st.booleans())
def test_any_answer_gives_a_result_or_a_chain_error(
    answers: list[tuple[int, str, Any, bytes, int]], mint: bool
) -> None:
    queue = [httpx.Response(s, content=_body(k, v, r, d)) for s, k, v, r, d in answers]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jwt-token"):
            return httpx.Response(200, json={"access": TOKEN})
        return queue.pop(0) if queue else httpx.Response(503)

    client = HttpChainClient(
        "http://chain.test",
        username="u",
        password=PASSWORD,
        transport=httpx.MockTransport(handler),
        backoff=0,
    )
    with client:
        try:
            if mint:
                result: Any = client.mint_nft(name="n", additional_info={})
                assert isinstance(result, dict)
            else:
                assert isinstance(client.get_user_nft_instances("a"), list)
        except ChainError as error:
            shown = f"{error} {error.body}"
            assert PASSWORD not in shown
            assert TOKEN not in shown
