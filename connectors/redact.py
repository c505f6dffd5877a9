"""Redaction of credentials from every text a refresh produces: messages, logs, the store.

Two layers, both applied by :func:`redact`:

1. **Known values.** Every secret of the settings and every credential obtained at run time
   (a WattTime bearer token, an AWS access key id from the environment) is registered
   with :func:`register_secret`, together with its derived forms: the Base64 ``Basic``
   header of a user/password pair, its URL-encoded spelling, its JSON-escaped spelling.
2. **Shapes.** Whatever was not registered but looks like a credential is masked too:
   ``Bearer <token>``, ``Basic <b64>``, AWS access key ids (``AKIA…``/``ASIA…``) and the
   value after a credential-named header or field (``auth-token: …``, ``"api_key": …``).

Values shorter than :data:`MIN_SECRET_CHARS` are not replaced literally (they would
mangle ordinary words); the shape rules still mask them in headers and fields.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
MIN_SECRET_CHARS = 4
AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

_CRED_NAMES = (
    r"authorization|proxy-authorization|auth-token|x-api-key|x-goog-api-key|api[_-]?key|"
    r"access[_-]?token|refresh[_-]?token|token|password|passwd|secret|client[_-]?secret|"
    r"x-amz-security-token|aws_secret_access_key|aws_access_key_id|credential"
)
_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer)(\s+|%20)[A-Za-z0-9._~+/=-]+"), r"\1\2" + MASK),
    (re.compile(r"(?i)\b(basic)(\s+|%20)[A-Za-z0-9+/=]{4,}"), r"\1\2" + MASK),
    (re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|ABIA|ACCA)[A-Z0-9]{12,}\b"), MASK),
    (
        re.compile(rf"(?i)(\b(?:{_CRED_NAMES})\b[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)[^\"'\s,;&}}\]]+"),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)(Credential=)[^,\s/]+"), r"\1" + MASK),  # AWS SigV4 header
)

_lock = threading.Lock()
_known: set[str] = set()


def derived_forms(value: str) -> set[str]:
    """``value`` as it can appear in a message: raw, URL-encoded, JSON-escaped, Base64."""
    forms = {value, quote(value, safe=""), json.dumps(value)[1:-1]}
    forms.add(base64.b64encode(value.encode()).decode())
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS}


def basic_forms(username: str, password: str) -> set[str]:
    """The forms of an HTTP Basic credential: ``user:pass`` and its Base64 header value."""
    pair = f"{username}:{password}"
    return derived_forms(pair) | derived_forms(username) | derived_forms(password)


def register_secret(*values: str | None) -> None:
    """Add credentials (and their derived forms) to redact from now on, process-wide."""
    with _lock:
        for v in values:
            if v:
                _known.update(derived_forms(v))


def register_basic(username: str | None, password: str | None) -> None:
    """Add a user/password pair and its ``Basic`` header form."""
    if username and password:
        with _lock:
            _known.update(basic_forms(username, password))
    register_secret(username, password)


def register_environment(environ: dict[str, str] | None = None) -> None:
    """Add the AWS credentials of the environment (boto3 reads them, we never print them)."""
    env = os.environ if environ is None else environ
    register_secret(*(env.get(v) for v in AWS_ENV))


def known_secrets() -> list[str]:
    """The registered forms, longest first (a copy)."""
    with _lock:
        return sorted(_known, key=len, reverse=True)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every registered secret, every ``extra`` one and every shape masked."""
    values = sorted(
        {f for v in extra if v for f in derived_forms(v)} | set(known_secrets()),
        key=len,
        reverse=True,
    )
    for v in values:
        text = text.replace(v, MASK)
    for pattern, repl in _SHAPES:
        text = pattern.sub(repl, text)
    return text


QUOTE_MAX_CHARS = 200


def brief(text: str, limit: int = QUOTE_MAX_CHARS) -> str:
    """A server's or SDK's text as it may be quoted: one line, at most ``limit`` characters,
    redacted. Error texts can echo whole request bodies; a message quotes their start only."""
    one_line = " ".join(str(text).split())
    cut = one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"
    return redact(cut)


class RedactingFormatter(logging.Formatter):
    """A log formatter whose every line (message and traceback) goes through :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, redacted."""
        return redact(super().format(record))
