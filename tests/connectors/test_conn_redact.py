"""Redaction of credentials and their derived forms, in messages, logs and settings errors;
and the one-way import graph between the catalog and the store."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from connectors import redact as rd
from connectors.base import SourceError
from connectors.settings import SettingsError, load_settings


def test_registered_secrets_and_their_derived_forms_are_masked() -> None:
    rd.register_basic("alice-user", "s3cret-pass")
    rd.register_secret("tok-0123456789")
    basic = base64.b64encode(b"alice-user:s3cret-pass").decode()
    text = (
        f"Authorization: Basic {basic} / raw {basic} / pass=s3cret-pass / "
        'url ?key=tok-0123456789 / json "tok-0123456789" / b64 '
        + base64.b64encode(b"tok-0123456789").decode()
    )
    out = rd.redact(text)
    for needle in ("s3cret-pass", "tok-0123456789", basic, "alice-user"):
        assert needle not in out
    assert out.count(rd.MASK) >= 6


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abc.def-ghi",
        "header 'Authorization': 'Bearer abc.def-ghi'",
        "Credential=AKIAABCDEFGHIJKLMNOP/20261203/us-east-1/pricing/aws4_request",
        "access key AKIAABCDEFGHIJKLMNOP",
        '{"auth-token": "abc.def-ghi"}',
        "x-goog-api-key: abc.def-ghi",
        "Basic YWJjLmRlZi1naGk6cHc=",
    ],
)
def test_unregistered_credentials_are_masked_by_shape(text: str) -> None:
    out = rd.redact(text)
    assert "abc.def-ghi" not in out and "AKIAABCDEFGHIJKLMNOP" not in out
    assert "YWJjLmRlZi1naGk6cHc=" not in out


def test_source_errors_are_redacted_at_birth() -> None:
    rd.register_secret("born-secret-99")
    err = SourceError("demo", "server said: key born-secret-99 rejected")
    assert "born-secret-99" not in str(err) and "born-secret-99" not in err.detail


def test_brief_keeps_one_short_line() -> None:
    out = rd.brief("a\n" + "x" * 500)
    assert "\n" not in out and len(out) == rd.QUOTE_MAX_CHARS


def test_redacting_formatter_masks_tracebacks() -> None:
    rd.register_secret("trace-secret-77")
    fmt = rd.RedactingFormatter("%(message)s")
    try:
        raise ValueError("boom trace-secret-77")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, "f", 1, "m", None, sys.exc_info())
    assert "trace-secret-77" not in fmt.format(record)


def test_env_secret_that_looks_like_json_is_not_printed() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(environ={"REGIONPLAN_ELECTRICITYMAPS__API_KEY": "{sk-LEAKY-0123"})
    msg = str(info.value)
    assert "LEAKY" not in msg and "REGIONPLAN_ELECTRICITYMAPS__API_KEY" in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_yaml_syntax_error_names_the_line_not_its_text(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text('electricitymaps:\n  api_key: "sk-LEAKY-0123\n  base_url: x\n')
    with pytest.raises(SettingsError) as info:
        load_settings(cfg, environ={})
    msg = str(info.value)
    assert "LEAKY" not in msg and "not valid YAML" in msg and "line" in msg


def test_invalid_value_error_does_not_chain_the_input() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(environ={"REGIONPLAN_HTTP__MAX_TRIES": "LEAKY"})
    assert "LEAKY" not in str(info.value) and info.value.__cause__ is None


@pytest.mark.parametrize("module", ["connectors.store", "connectors.catalog"])
def test_catalog_and_store_import_alone_and_one_way(module: str) -> None:
    """The store never imports the catalog; each module imports in a fresh interpreter."""
    code = (
        f"import sys, {module}; "
        "print('connectors.catalog' in sys.modules, 'connectors.store' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    if module == "connectors.store":
        assert out == ["False", "True"]
    else:
        assert out == ["True", "True"]
