"""Bad parameters get clear errors (library and CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import _register_all, app
from planner.memo import build_vs_buy_memo, write_memo
from planner.memo.document import Document
from planner.memo.params import BuildVsBuyParams, MemoError, parse_params

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

runner = CliRunner()


def test_negative_volume_is_named():
    with pytest.raises(MemoError, match="volume_m_requests_per_month: .*greater than 0"):
        parse_params(BuildVsBuyParams, input_tokens_per_request=100,
                     volume_m_requests_per_month=-5)


def test_input_tokens_are_required():
    with pytest.raises(MemoError, match="input_tokens_per_request: required"):
        parse_params(BuildVsBuyParams)


def test_unknown_api_region_suggests(example_plans, catalog):
    _, plan, _ = example_plans["llm-fleet"]
    p = BuildVsBuyParams(input_tokens_per_request=100, api_region="azure/eastuss")
    with pytest.raises(MemoError, match=r"unknown region \(did you mean 'azure/eastus'"):
        build_vs_buy_memo(plan, p, catalog, samples=10)


def test_unknown_service(example_plans, catalog):
    _, plan, _ = example_plans["llm-fleet"]
    p = BuildVsBuyParams(input_tokens_per_request=100, service="chat-apii")
    with pytest.raises(MemoError, match="did you mean 'chat-api'"):
        build_vs_buy_memo(plan, p, catalog, samples=10)


def test_unknown_format(tmp_path):
    with pytest.raises(MemoError, match="--format pdf"):
        write_memo(Document("t", "s", ()), tmp_path, "x", ["pdf"])


@pytest.fixture(scope="module")
def cli():
    _register_all()
    return app


def test_cli_negative_volume(cli, tmp_path):
    res = runner.invoke(cli, ["memo", "build-vs-buy", str(EXAMPLES / "eu-resident.yaml"),
                              "--input-tokens", "100", "--volume", "-1", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "volume_m_requests_per_month" in res.output and "Traceback" not in res.output


def test_cli_missing_input_tokens(cli, tmp_path):
    res = runner.invoke(cli, ["memo", "build-vs-buy", str(EXAMPLES / "eu-resident.yaml"),
                              "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "--input-tokens" in res.output


def test_cli_unknown_api_region(cli, tmp_path):
    res = runner.invoke(cli, ["memo", "build-vs-buy", str(EXAMPLES / "eu-resident.yaml"),
                              "--input-tokens", "100", "--api-region", "aws/mars-1",
                              "--out", str(tmp_path), "--samples", "10"])
    assert res.exit_code == 2
    assert "aws/mars-1" in res.output and "unknown region" in res.output


def test_cli_migrate_needs_inputs(cli, tmp_path):
    res = runner.invoke(cli, ["memo", "migrate", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "--current and --proposed" in res.output


def test_cli_migrate_writes_md_and_html(cli, tmp_path):
    res = runner.invoke(cli, ["memo", "migrate", "--scenario",
                              str(EXAMPLES / "global-low-latency.yaml"), "--out", str(tmp_path),
                              "--samples", "50"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "migrate-global-low-latency.md").read_text().startswith(
        "# Region migration")
    assert (tmp_path / "migrate-global-low-latency.html").exists()
