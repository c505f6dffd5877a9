"""End to end: `regionplan data refresh` from the local fake servers → store →
`regionplan plan` uses the refreshed prices and hourly carbon and cites them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import conn_fakes as fakes
import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from planner.cli import _register_all, app


@pytest.fixture(scope="module")
def regionplan() -> Any:
    if not app.registered_commands:
        _register_all()
    return app


def test_plan_after_refresh_uses_and_cites_the_store(
    regionplan: Any,
    env: Any,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    monkeypatch.setattr(fakes, "NOW", now)
    monkeypatch.setenv("COLUMNS", "400")
    fakes.serve_all(httpserver)
    settings = env()
    runner = CliRunner()
    res = runner.invoke(regionplan, ["data", "refresh"], catch_exceptions=False)
    assert res.exit_code == 0, res.output

    start = now + timedelta(hours=1)  # inside the fake forecast (now … now + 48 h)
    scenario = tmp_path / "e2e.yaml"
    scenario.write_text(
        "name: e2e-refresh\n"
        f"horizon: {{start: {start:%Y-%m-%dT%H:%MZ}, hours: 24}}\n"
        "clouds: [aws]\n"
        # the embedded catalog prices us-east-2 and us-west-2 like the refresh (6.88)
        "exclude_regions: [aws/us-east-2, aws/us-west-2]\n"
        "objective: {carbon_price_usd_per_tco2e: 100, water_price_usd_per_m3: 0}\n"
        "training:\n"
        "  - name: finetune\n"
        "    gpu: H100\n"
        "    gpu_hours: 800\n"
        "    max_gpus: 64\n"
        "    single_region: true\n"
        "    allowed_jurisdictions: [United States]\n"
    )
    out = tmp_path / "out"
    res = runner.invoke(
        regionplan, ["plan", str(scenario), "--out", str(out), "-q"], catch_exceptions=False
    )
    assert res.exit_code == 0, res.output
    plan = json.loads((out / "plan.json").read_text())

    origin = f"store {settings.store.path} refreshed"
    origins = plan["catalog"]["origins"]
    assert origins["gpu_offers"].startswith(origin)
    assert origins["grid_hourly"].startswith(origin)
    inputs = {(i["figure"], i["key"]): i for i in plan["inputs"]}
    price = inputs[("usd_per_gpu_hour", "aws/us-east-1 H100 p5.48xlarge")]
    assert price["value"] == pytest.approx(6.88)
    assert price["source"] == "AWS Price List API (AmazonEC2 Linux on-demand)"
    carbon = inputs[("grid_hourly", "US-MIDA-PJM")]
    assert carbon["source"] == "Electricity Maps v3 (lifecycle)"
    # the refreshed price (55.04 $/h for 8 GPUs) beats every other embedded US price, so the
    # job runs in aws/us-east-1 and pays exactly 800 GPU-h × 6.88 $/GPU-h of compute
    placed = {(p["provider"], p["region"]) for p in plan["placements"]}
    assert placed == {("aws", "us-east-1")}
    assert plan["totals"]["compute_usd"] == pytest.approx(800 * 55.04 / 8, rel=1e-6)
