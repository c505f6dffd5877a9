"""`regionplan data refresh|status` against the local fake servers, a planted secret that
must appear nowhere, and the end-to-end check that `regionplan plan` uses refreshed data."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import conn_fakes as fakes
import pytest
import typer
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from planner.cli import data_cmd


@pytest.fixture(autouse=True)
def wall_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI fetches relative to the wall clock: serve fixtures around this hour."""
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps at 80 columns otherwise
    monkeypatch.setattr(fakes, "NOW", datetime.now(UTC).replace(minute=0, second=0, microsecond=0))


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    data_cmd.register(app)
    return app


def run(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_refresh_then_status(cli: typer.Typer, env: Any, httpserver: HTTPServer) -> None:
    fakes.serve_all(httpserver)
    settings = env()
    res = run(cli, "data", "refresh")
    assert res.exit_code == 0, res.output
    for name in (
        "aws",
        "gcp",
        "azure",
        "azure-cost",
        "aws-carbon",
        "gcp-carbon",
        "electricitymaps",
        "watttime",
        "ukci",
        "zone:GB",
        "zone:US-MIDA-PJM",
    ):
        assert name in res.output
    res = run(cli, "data", "status")
    assert res.exit_code == 0, res.output
    assert f"store {settings.store.path}" in res.output.replace("\n", "")
    assert "gpu_offers" in res.output and "grid_hourly" in res.output
    assert "fell back" not in res.output


def test_status_says_what_to_set(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (
        "ELECTRICITYMAPS_API_KEY",
        "WATTTIME_USERNAME",
        "WATTTIME_PASSWORD",
        "AZURE_SUBSCRIPTION_ID",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    res = CliRunner().invoke(
        cli,
        ["data", "status", "--store", str(tmp_path / "s.duckdb")],
        catch_exceptions=False,
        terminal_width=400,
    )
    out = res.output
    assert res.exit_code == 0
    assert "none yet" in out and "ELECTRICITYMAPS_API_KEY" in out and "WATTTIME_PASSWORD" in out


def test_refresh_with_a_dead_server_exits_1_and_keeps_data(
    cli: typer.Typer, env: Any, httpserver: HTTPServer
) -> None:
    fakes.serve_all(httpserver)
    env(REGIONPLAN_GRID__ZONES='["GB"]')
    assert run(cli, "data", "refresh", "--source", "ukci").exit_code == 0
    httpserver.clear()
    httpserver.expect_request("/intensity/x").respond_with_json({})  # nothing else answers
    res = CliRunner().invoke(
        cli, ["data", "refresh", "--source", "ukci"], catch_exceptions=False, terminal_width=400
    )
    assert res.exit_code == 1
    assert "previous data in the store is kept" in res.output
    assert "using data from" in res.output
    status = CliRunner().invoke(cli, ["data", "status"], terminal_width=400)
    assert "fell back: zone:GB" in status.output


def test_unknown_source_lists_valid_ones(cli: typer.Typer, env: Any) -> None:
    env()
    res = CliRunner().invoke(cli, ["data", "refresh", "--source", "nope"])
    assert res.exit_code == 2
    assert "valid sources: aws, gcp" in res.output


PLANTED = "sk-PLANTED-SECRET-123"


def test_a_planted_secret_appears_in_no_output_log_or_file(
    cli: typer.Typer,
    env: Any,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    secrets = {
        "EM_KEY": PLANTED,
        "WT_PASS": PLANTED + "-wt",
        "WT_USER": PLANTED + "-user",
        "WT_TOKEN": PLANTED + "-token",
        "GCP_KEY": PLANTED + "-gcp",
        "AZ_TOKEN": PLANTED + "-az",
    }
    for name, value in secrets.items():
        monkeypatch.setattr(fakes, name, value)
    caplog.set_level(logging.DEBUG)
    # happy path for most sources, and failures that quote the servers' answers
    httpserver.expect_request("/v3/forecast").respond_with_json(
        {"error": "token expired"}, status=401
    )
    httpserver.expect_request(fakes.COST_PATH, method="POST").respond_with_json(
        {"error": {"code": "AuthorizationFailed", "message": "no role"}}, status=403
    )
    fakes.serve_all(httpserver, zones=("US-MIDA-PJM", "GB"))
    settings = env(
        AWS_SECRET_ACCESS_KEY=PLANTED + "-aws",
        REGIONPLAN_GRID__PRIORITY=json.dumps(
            {"default": ["watttime", "electricitymaps"], "GB": ["ukci"]}
        ),
    )
    outputs = [run(cli, "data", "refresh").output, run(cli, "data", "status").output]
    # the planted values really were used
    assert any(r.headers.get("auth-token") == PLANTED for r, _ in httpserver.log)
    captured = capfd.readouterr()
    texts = outputs + [captured.out, captured.err, caplog.text]
    texts += [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    blobs = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert settings.store.path.read_bytes()  # the store exists and is scanned
    for text in texts:
        assert "PLANTED" not in text
    for blob in blobs:
        assert b"PLANTED" not in blob
    assert "failed" in outputs[0]  # the failure paths ran


def test_verbose_logs_retries_redacted_and_plain_output_has_one_line_per_source(
    cli: typer.Typer, env: Any, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/v3/carbon-intensity/history").respond_with_json(
        {"error": f"bad key {fakes.EM_KEY}"}, status=503
    )
    fakes.serve_all(httpserver)
    env(REGIONPLAN_GRID__ZONES='["US-MIDA-PJM"]')
    plain = CliRunner().invoke(cli, ["data", "refresh", "--source", "electricitymaps"])
    assert plain.exit_code == 1
    lines = [ln for ln in plain.output.splitlines() if ln.startswith(("failed", "fallback"))]
    assert [ln.split()[:2] for ln in lines] == [
        ["fallback", "zone:US-MIDA-PJM:"],
        ["failed", "electricitymaps:"],
    ]
    assert "retry 1/3" not in plain.output and "Traceback" not in plain.output
    verbose = CliRunner().invoke(cli, ["data", "refresh", "--source", "electricitymaps", "-v"])
    assert verbose.exit_code == 1
    assert "retry 1/3" in verbose.output  # the details, on stderr
    assert fakes.EM_KEY not in plain.output + verbose.output
