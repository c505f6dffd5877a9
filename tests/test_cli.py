"""End-to-end CLI runs on every bundled example, and clean errors for user mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import _register_all, app

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.yaml"))
# the smallest bundled example: for tests of the commands' mechanics (every example is
# planned by test_plan_every_example)
SMALL = Path(__file__).parents[1] / "examples" / "eu-resident.yaml"
runner = CliRunner()
_register_all()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_examples_exist():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_plan_every_example(example, tmp_path):
    res = run("plan", str(example), "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "plan.json").read_text())
    assert doc["status"] == "optimal"
    assert set(doc["totals"]) >= {"cost_usd", "carbon_tco2e", "water_m3", "energy_mwh"}
    assert doc["placements"] and doc["inputs"]
    assert all(i["source"] for i in doc["inputs"])
    # totals equal the sum of placements (cost_usd: compute; egress apart)
    assert sum(p["cost_usd"] + p["egress_usd"] for p in doc["placements"]) == pytest.approx(
        doc["totals"]["cost_usd"], rel=1e-5)
    for key in ("carbon_tco2e", "water_m3", "energy_mwh"):
        assert sum(p[key] for p in doc["placements"]) == pytest.approx(doc["totals"][key],
                                                                       rel=1e-5)
    # whole instances, billed per instance-hour
    assert doc["solver"]["instances"] == "whole"
    assert sum(p["instance_hours"] * p["usd_per_instance_hour"] for p in doc["placements"]
               ) == pytest.approx(doc["totals"]["compute_usd"], rel=1e-3)
    for p in doc["placements"]:
        assert all(float(n).is_integer() for n in p["schedule_instances"])
    csv = (tmp_path / "plan.csv").read_text().splitlines()
    assert len(csv) == len(doc["placements"]) + 1
    # every region left out for data is named in the printed output, with its figure
    for e in doc["excluded"]:
        assert f"left out {e['region']}" in res.output and e["figure"] in res.output
    assert run("validate", str(example)).exit_code == 0


def test_default_plan_runs_bundled_example(tmp_path):
    res = run("plan", "--out", str(tmp_path), "--compare")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "plan.json").read_text())
    assert doc["scenario"]["name"] == "llm-fleet"
    names = {b["name"] for b in doc["baselines"]}
    assert names == {"weighted-score", "greedy-carbon", "cheapest-region"}
    for b in doc["baselines"]:
        if not b["violations"]:
            assert doc["totals"]["objective_usd"] <= b["totals"]["objective_usd"] + 1e-6


def test_typo_gets_one_screen_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    fleet = (Path(__file__).parents[1] / "examples" / "llm-fleet.yaml").read_text()
    bad.write_text(fleet.replace("gpu_hours:", "gpu_hour:", 1))
    res = runner.invoke(app, ["plan", str(bad), "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "unknown field 'gpu_hour'" in res.output and "did you mean 'gpu_hours'" in res.output
    assert "Traceback" not in res.output
    assert len(res.output.splitlines()) < 25
    assert not (tmp_path / "plan.json").exists()


def test_unknown_gpu_and_metro(tmp_path):
    fleet = (Path(__file__).parents[1] / "examples" / "llm-fleet.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(fleet.replace("gpu: H100", "gpu: H1000", 1))
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2 and "unknown gpu 'H1000'" in res.output
    assert "did you mean 'H100'" in res.output
    bad.write_text(fleet.replace("metro: Tokyo", "metro: Tokio", 1))
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2 and "unknown metro 'Tokio'" in res.output
    assert "did you mean 'Tokyo'" in res.output


def test_infeasible_example_is_explained(tmp_path):
    text = (Path(__file__).parents[1] / "examples" / "eu-resident.yaml").read_text()
    bad = tmp_path / "tight.yaml"
    bad.write_text(text.replace("latency_slo_ms: 60", "latency_slo_ms: 12"))
    res = runner.invoke(app, ["plan", str(bad), "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "infeasible" in res.output and "eu-assistant" in res.output
    assert "raise latency_slo_ms to ≥" in res.output


def test_a_time_limit_keeps_the_best_plan_found_with_its_proven_gap(tmp_path):
    # eu-resident's whole-instance plan needs branch and bound (~1.5 s) to be proven within
    # 0.1 %; its LPs take ~0.2 s each. Stopped at 0.5 s it is the best plan found, written
    # with the gap it reached; with no limit it is proven (well within the 60-s default)
    res = run("plan", str(SMALL), "--out", str(tmp_path), "--time-limit", "0.5")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "plan.json").read_text())
    solver = doc["solver"]
    assert solver["stopped_at_time_limit"] is True
    assert "branch and bound stopped at 0.5 s" in solver["termination"]
    assert solver["mip_gap"] > 0.001
    assert "stopped at its time limit with the best plan found" in " ".join(res.output.split())
    assert f"proven within {solver['mip_gap']:.2%}" in " ".join(res.output.split())
    assert sum(p["instance_hours"] * p["usd_per_instance_hour"] for p in doc["placements"]
               ) == pytest.approx(doc["totals"]["compute_usd"], rel=1e-3)
    none = runner.invoke(app, ["plan", str(SMALL), "--out", str(tmp_path / "none"),
                               "--time-limit", "0.001"])
    assert none.exit_code == 1 and "no plan within its time limit" in none.output
    assert "Traceback" not in none.output
    assert not (tmp_path / "none" / "plan.json").exists()
    assert run("plan", str(SMALL), "--out", str(tmp_path / "full"), "-q").exit_code == 0
    full = json.loads((tmp_path / "full" / "plan.json").read_text())["solver"]
    assert full["stopped_at_time_limit"] is False and full["mip_gap"] <= 0.001


def test_check_gate(tmp_path):
    assert run("plan", str(SMALL), "--out", str(tmp_path), "-q").exit_code == 0
    doc = json.loads((tmp_path / "plan.json").read_text())
    carbon = doc["totals"]["carbon_tco2e"]
    plan_json = str(tmp_path / "plan.json")
    ok = run("check", plan_json, "--max-carbon-tco2e", str(carbon * 1.01))
    assert ok.exit_code == 0 and "within budget" in ok.output
    over = runner.invoke(app, ["check", plan_json, "--max-carbon-tco2e", str(carbon * 0.5)])
    assert over.exit_code == 1 and "exceeds the budget" in over.output
    missing = runner.invoke(app, ["check", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_plan_slo_value_is_written_to_the_plan(tmp_path):
    llm = next(p for p in EXAMPLES if p.stem == "llm-fleet")
    res = run("plan", str(llm), "--slo-value", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    notes = json.loads((tmp_path / "plan.json").read_text())["explanations"]
    slo = [n for n in notes if n.startswith("Latency SLO of 'chat-api' (90 ms)")]
    assert len(slo) == 1 and "raising it to" in slo[0]


def test_pareto_writes_outputs(tmp_path):
    res = run("pareto", str(SMALL), "--points", "3", "--out", str(tmp_path), "--no-png",
              "--gap", "0.001")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "frontier.json").read_text())
    assert len(doc["points"]) == 3
    assert doc["mip_rel_gap"] == 0.001
    assert all(p["mip_gap"] <= 0.001 for p in doc["points"])
    assert "each point solved to a proven 0.10%" in res.output
    html = (tmp_path / "frontier.html").read_text()
    assert "<script" in html and 'src="http' not in html  # plotly.js inlined: works offline


def test_pareto_grid_traces_one_frontier_per_latency_slo(tmp_path):
    llm = next(p for p in EXAMPLES if p.stem == "llm-fleet")
    res = run("pareto", str(llm), "--points", "3", "--grid", "latency_slo=1,90,120",
              "--out", str(tmp_path), "--no-png")
    assert res.exit_code == 0, res.output
    # 1 ms cannot reach the Frankfurt users from any region (the catalog now offers H100
    # near every demand metro, so no realistic SLO is infeasible): said, and the other
    # values still traced
    assert "no frontier for latency_slo_ms=1.0" in res.output and "Frankfurt" in res.output
    import pandas as pd

    frame = pd.read_csv(tmp_path / "frontier.csv")
    assert list(frame.columns[:2]) == ["latency_slo_ms", "carbon_cap_tco2e"]
    assert sorted(set(frame["latency_slo_ms"])) == [90.0, 120.0]
    # A looser SLO only adds choices, so both ends' objectives are no worse (within the
    # proven MILP gap): the least cost, and cost + 1 M$/t × carbon at the carbon end.
    from planner.pareto import CARBON_END_USD_PER_TCO2E as K

    frame["carbon_end_usd"] = frame["objective_ex_carbon_usd"] + K * frame["carbon_tco2e"]
    ends = frame.groupby("latency_slo_ms")
    for column in ("objective_ex_carbon_usd", "carbon_end_usd"):
        assert ends[column].min()[120.0] <= ends[column].min()[90.0] * (1 + 1e-3)
    doc = json.loads((tmp_path / "frontier.json").read_text())
    assert doc["grid"] == {"latency_slo_ms": [90.0, 120.0]}
    assert [len(f["points"]) for f in doc["frontiers"]] == [3, 3]
    assert "latency_slo_ms=120.0" in (tmp_path / "frontier.html").read_text()


@pytest.mark.parametrize(("grid", "message"), [
    ("carbon_price=0,100", "the frontier sets carbon itself"),
    ("latncy_slo=60", "did you mean 'latency_slo'"),
    ("latency_slo=-5", "latency_slo"),
])
def test_pareto_grid_mistakes_are_named(tmp_path, grid, message):
    res = run("pareto", str(SMALL), "--points", "3", "--grid", grid,
              "--out", str(tmp_path), "--no-png")
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_plan_quiet_prints_the_totals_only(tmp_path):
    res = run("plan", str(SMALL), "--out", str(tmp_path), "-q")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "plan.json").read_text())
    lines = [ln.split("\t") for ln in res.stdout.splitlines()]
    assert [ln[0] for ln in lines] == ["cost_usd", "carbon_tco2e", "water_m3", "objective_usd"]
    for key, value, *_rest in lines:
        assert float(value) == pytest.approx(doc["totals"][key], rel=1e-6)
    assert lines[1][2] == f"{doc['accounting']}-based"
