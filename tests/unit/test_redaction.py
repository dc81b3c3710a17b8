"""Redaction (nictbw.domain.redaction): whole values masked, other text left alone."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from nictbw.domain.redaction import MASK, mask_url, redact

WORDY = st.text(min_size=1, max_size=30).filter(lambda s: s[0].isalnum() and s[-1].isalnum())


@given(secret=WORDY, ensure_ascii=st.booleans(), before=st.text(max_size=20))
def test_a_secret_quoted_as_a_json_value_is_masked_in_every_escaping(
    secret: str, ensure_ascii: bool, before: str
) -> None:
    assume(secret not in "kk" and secret not in "status")
    text = json.dumps({"status": before, "kk": secret}, ensure_ascii=ensure_ascii)
    assert json.loads(redact(text, [secret]))["kk"] == MASK


@pytest.mark.parametrize(
    ("secret", "text"),
    [
        ("admin", "administrator"),
        ("admin", "admin.example.org"),
        ("http", "see http://docs.example"),
        ("svc", "svc-help and x/svc"),
        ("pw", "pwned"),
    ],
)
def test_a_secret_inside_other_text_is_left_alone(secret: str, text: str) -> None:
    assert redact(text, [secret]) == text


def test_known_credential_forms_are_masked_without_being_named() -> None:
    text = 'Authorization: Bearer ab.c-d {"refresh": "r1", "password": "p\\"2"} ?token=t3&x=1'
    assert redact(text) == (
        'Authorization: Bearer *** {"refresh": "***", "password": "***"} ?token=***&x=1'
    )


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("mysql://admin:S3cret@db/x", "mysql://admin:***@db/x"),
        ("postgresql+psycopg://u:p@ss/w@h:5432/d", "postgresql+psycopg://u:***@h:5432/d"),
        ("http://svc:pw@host", "http://svc:***@host"),
        ("postgresql://postgres@127.0.0.1/x", "postgresql://postgres@127.0.0.1/x"),
        ("sqlite:///dir/a:b@c.db", "sqlite:///dir/a:b@c.db"),
        ("http://host/p:x@y", "http://host/p:x@y"),
    ],
)
def test_url_passwords_are_masked(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert mask_url(f"URL {url!r} refused") == f"URL {masked!r} refused"
