"""How the command line turns failures into one line: URL passwords masked, exit codes."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from nictbw.app.cli.errors import EXIT_FAILED, EXIT_INTERNAL, EXIT_USAGE, mask_url_passwords
from nictbw.app.cli.root import describe_failure
from nictbw.domain.errors import MalformedExportError, NotFoundError

PASSWORD_CHARS = string.ascii_letters + string.digits + "!#$%&()*+,-.:;<=>?[]^_`{|}~"


@given(password=st.text(PASSWORD_CHARS, min_size=1, max_size=40))
def test_every_url_password_is_masked_whole(password: str) -> None:
    message = f"database URL 'mysql://admin:{password}@db/x' is not supported"
    assert mask_url_passwords(message) == "database URL 'mysql://admin:***@db/x' is not supported"


@given(
    user=st.text(string.ascii_lowercase, min_size=1, max_size=8),
    password=st.text(PASSWORD_CHARS, min_size=1, max_size=20),
)
def test_several_urls_in_one_line_are_all_masked(user: str, password: str) -> None:
    line = f"from http://{user}:{password}@a.example/ to postgresql+psycopg://{user}:{password}@b/c"
    assert mask_url_passwords(line) == (
        f"from http://{user}:***@a.example/ to postgresql+psycopg://{user}:***@b/c"
    )


def test_text_without_credentials_is_left_alone() -> None:
    for text in (
        "user 'a:b@c' does not exist",
        "sqlite:///data/nictbw.db is behind",
        "http://host:8123/api failed: time 10:30",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    ):
        assert mask_url_passwords(text) == text


def test_each_kind_of_failure_has_its_exit_code() -> None:
    assert describe_failure(NotFoundError("user 'x' does not exist")) == (
        "user 'x' does not exist",
        EXIT_FAILED,
    )
    assert describe_failure(MalformedExportError("malformed export: no id"))[1] == EXIT_USAGE
    message, code = describe_failure(KeyError("boom"))
    assert code == EXIT_INTERNAL
    assert message.startswith("internal error: KeyError")
    assert "--debug" in message
    missing = FileNotFoundError(2, "No such file or directory", "out/draw.json")
    assert describe_failure(missing) == ("out/draw.json: No such file or directory", EXIT_FAILED)
