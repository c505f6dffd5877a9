"""``regionplan sweep``: clear errors for bad options, a serial run, --resume."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
import yaml
from sweep_fixtures import tiny_scenario
from tiny import tiny_catalog
from typer.testing import CliRunner

from planner.cli import sweep_cmd
from planner.sweep.spec import PARAMS


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Test root (keeps 'sweep' a subcommand)."""

    sweep_cmd.register(app)
    return app


@pytest.fixture()
def scenario_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny scenario as YAML; the CLI reads the tiny catalog instead of the real one."""
    monkeypatch.setattr(sweep_cmd, "load_catalog_or_fail", tiny_catalog)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_scenario().model_dump(mode="json")), encoding="utf-8")
    return path


def _run(cli: typer.Typer, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["sweep", *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, " ".join(res.output.split())  # unwrap the console's line breaks


@pytest.mark.parametrize(("args", "needle"), [
    (["--grid", "carbon_prise=0,50"], "unknown parameter 'carbon_prise' (did you mean "
                                      "'carbon_price'?); valid parameters: " + ", ".join(PARAMS)),
    (["--grid", "carbon_price=0,x"], "--grid carbon_price: 'x' is not a number"),
    (["--grid", "carbon_price"], "write PARAM=VALUES"),
    (["--engine", "spark"], "--engine 'spark': use dask or local"),
    (["--engine", "local", "--workers", "2"], "--scheduler and --workers need --engine dask"),
    (["--uncertainty", "wind=0.2"], "KEY one of grid_ci, price, demand"),
    (["--uncertainty", "price=1.5"], "price_rel = 1.5: must be in [0, 1)"),
    (["--distribution", "uniform"], "use triangular or lognormal"),
])
def test_bad_options_fail_on_one_screen(cli, scenario_file, tmp_path, args, needle) -> None:
    code, out = _run(cli, str(scenario_file), "--out", str(tmp_path / "o"), *args)
    assert code == 2
    assert "error" in out and needle in out and "Traceback" not in out
    assert not (tmp_path / "o").exists()


def test_serial_run_then_resume(cli, scenario_file, tmp_path) -> None:
    out = tmp_path / "sweep"
    args = [str(scenario_file), "--grid", "carbon_price=0,6000", "--samples", "2",
            "--engine", "local", "--out", str(out)]
    code, text = _run(cli, *args)
    assert code == 0, text
    assert "4 point(s): 4 optimal" in text and "4/4" in text
    df = pd.read_parquet(out / "results.parquet")
    assert list(df["point_id"]) == [0, 1, 2, 3]
    assert list(df["carbon_price_usd_per_tco2e"]) == [0.0, 0.0, 6000.0, 6000.0]
    summary = json.loads((out / "summary.json").read_text())
    assert [g["label"] for g in summary["grid_points"]] == ["carbon_price=0",
                                                            "carbon_price=6000"]
    assert (out / "charts.html").stat().st_size > 1_000_000  # plotly.js inlined: offline

    parts = sorted((out / "parts").glob("part-*.parquet"))
    assert sum(len(pd.read_parquet(p)) for p in parts) == 4
    code, text = _run(cli, *args)
    assert code == 2 and "already holds a sweep; pass --resume" in text
    code, text = _run(cli, *args, "--resume")
    assert code == 0 and "(4 already done)" in text
    assert sorted((out / "parts").glob("part-*.parquet")) == parts  # nothing recomputed
