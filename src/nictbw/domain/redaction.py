"""Keeping secrets out of text meant for people: messages, reprs, log lines, error bodies.

Tokens, passwords, password hashes, push tokens and URL credentials are never shown.
Redaction replaces a whole value by :data:`MASK`; it never cuts a secret out of the middle
of other text, so a short password such as ``admin`` leaves ``administrator``,
``admin.example.org`` and ``http://host`` (for ``http``) alone: a mangled word would tell
what the password is. A secret is found as written, escaped the
way JSON writes it (``P\\u00e4ss``, ``pa\\"ss``) and percent-encoded; besides the given
secrets, ``Bearer``/``Basic`` credentials, the string values of JSON fields and query
parameters named like secrets and the password of a URL are always masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

MASK: Final = "***"

_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}

_SECRET_NAME: Final = (
    r"[A-Za-z0-9_\-]*(?:password|passwd|pwd|secret|token|authorization|api_?key|"
    r"password_hash|credentials?)|access|refresh"
)
_JSON_FIELD: Final = re.compile(
    r'("(?i:' + _SECRET_NAME + r')"\s*:\s*")((?:[^"\\]|\\.)*)("|\\?$)',
)
_QUERY_FIELD: Final = re.compile(r"((?<![\w])(?i:" + _SECRET_NAME + r")=)([^&\s\"'#]+)")
_AUTH_SCHEME: Final = re.compile(r"(\b(?:(?i:bearer)|Basic)\s+)([A-Za-z0-9\-._~+/]+=*)")
_URL_CREDENTIALS: Final = re.compile(
    r"(\b[A-Za-z][A-Za-z0-9+.\-]*://)([^\s/?#@:'\"]*):([^\s'\"]*)@"
)
_JOINERS: Final = r"[:./@\-+%]"
_BEFORE: Final = r"(?:(?<!\w)(?<![\w/]" + _JOINERS + r")|(?<=\\[nrtbf]))"
_AFTER: Final = r"(?!\w)(?!" + _JOINERS + r"+[\w/])"


def _hex_pattern(code: int) -> str:
    return "".join(
        f"[{digit.lower()}{digit.upper()}]" if digit.isalpha() else digit for digit in f"{code:04x}"
    )


def _char_pattern(char: str) -> str:
    """Every way ``char`` may be written in a text: as is, JSON-escaped, percent-encoded."""
    forms = [re.escape(char)]
    if char in _SHORT_ESCAPES:
        forms.append(re.escape(_SHORT_ESCAPES[char]))
    code = ord(char)
    if code > 0xFFFF:
        high = 0xD800 + ((code - 0x10000) >> 10)
        low = 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms.append(rf"\\u{_hex_pattern(high)}\\u{_hex_pattern(low)}")
    else:
        forms.append(rf"\\u{_hex_pattern(code)}")
    forms.append("".join(f"%{_hex_pattern(byte)[2:]}" for byte in char.encode("utf-8")))
    if char == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


@lru_cache(maxsize=64)
def _secret_pattern(secret: str) -> re.Pattern[str]:
    before = _BEFORE if re.match(r"\w", secret[0]) else ""
    after = _AFTER if re.match(r"\w", secret[-1]) else ""
    return re.compile(before + "".join(_char_pattern(char) for char in secret) + after)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every whole occurrence of each secret, and every known credential form,
    replaced by :data:`MASK`."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = _secret_pattern(secret).sub(MASK, text)
    text = _AUTH_SCHEME.sub(lambda m: m.group(1) + MASK, text)
    text = _JSON_FIELD.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    text = _QUERY_FIELD.sub(lambda m: m.group(1) + MASK, text)
    return mask_url(text)


def mask_url(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` in it masked.

    The user name stays; so does everything else of the URL. Works on a URL alone and on a
    URL inside a message.
    """
    return _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{m.group(2)}:{MASK}@", text)


__all__ = ["MASK", "mask_url", "redact"]
