"""End to end on every examples/*.yaml: ``regionplan plan`` → ``regionplan tfvars`` →
``terraform plan`` on modules/placement, and ``regionplan diff`` between the plans at
carbon prices 0 and 200 $/tCO2e (the issue's definition of done)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from tfhelpers import REPO, Tf, expected_outputs
from typer.testing import CliRunner

from planner.cli import _register_all, app
from planner.emit.tfvars import TFVARS_JSON

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:The .warn. method is deprecated:DeprecationWarning"),
]

EXAMPLES = sorted(p.name for p in (REPO / "examples").glob("*.yaml"))
PRICES = (0, 200)

_register_all()
runner = CliRunner()


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], Path]:
    """plan.json of every example at carbon price 0 and 200 (planned once per module)."""
    root = tmp_path_factory.mktemp("example-plans")
    out: dict[tuple[str, int], Path] = {}
    for example in EXAMPLES:
        for price in PRICES:
            target = root / f"{Path(example).stem}-{price}"
            # The 200 $/t plans also go through `plan --tfvars` (checked below).
            tfvars = ["--tfvars", str(target / "tf")] if price == 200 else []
            args = ["plan", str(REPO / "examples" / example), "--out", str(target),
                    "--carbon-price", str(price), "-q", *tfvars]
            result = runner.invoke(app, args, env={"COLUMNS": "200"})
            if tfvars and result.exit_code == 2 and "scaling actions, more than" in result.output:
                # refused as `regionplan tfvars` refuses it, and written with --smooth
                refused = " ".join(result.output.split())
                assert "Pass --smooth" in refused and "(nothing was written)" in refused
                assert not (target / "plan.json").exists()
                result = runner.invoke(app, [*args, "--smooth"], env={"COLUMNS": "200"})
            assert result.exit_code == 0, f"{example} at {price} $/t:\n{result.output}"
            out[(example, price)] = target / "plan.json"
    return out


def _tfvars(plan_path: Path, out: Path, *extra: str) -> str:
    """``regionplan tfvars``; a plan with more scaling actions than a cloud allows is refused
    with the count, the limit and the cost of ``--smooth``, then emitted smoothed. Returns
    the refusal ("" when none)."""
    result = runner.invoke(app, ["tfvars", str(plan_path), "--out", str(out), *extra],
                           env={"COLUMNS": "200"})
    refused = ""
    if result.exit_code == 2 and "scaling actions, more than the" in result.output:
        refused = " ".join(result.output.split())
        assert "Pass --smooth" in refused and "deployed cost +$" in refused
        result = runner.invoke(app, ["tfvars", str(plan_path), "--out", str(out), "--smooth",
                                     *extra], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return refused


def test_examples_exist() -> None:
    assert EXAMPLES, "no examples/*.yaml"


@pytest.mark.parametrize("price", PRICES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_plan_tfvars_terraform_plan(
    example: str, price: int, plans: dict[tuple[str, int], Path], placement_tf: Tf,
    tmp_path: Path,
) -> None:
    plan_path = plans[(example, price)]
    _tfvars(plan_path, tmp_path)
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    assert plan["placements"], f"{example}: empty plan"
    got = placement_tf.planned_outputs(tmp_path / TFVARS_JSON)
    want = expected_outputs(plan)
    for name in ("clouds", "regions_by_cloud", "gpus_by_cloud", "gpus_by_model", "total_gpus",
                 "total_instances"):
        assert got[name] == want[name], name
    assert {k: sorted(f["pools"]) for k, f in got["fleets"].items()} == want["pools"]
    fleet = json.loads((tmp_path / "fleet.tf.json").read_text(encoding="utf-8"))
    assert len(fleet["module"]) == sum(len(r) for r in want["regions_by_cloud"].values())


def _work_by_region(plan: dict[str, Any]) -> dict[tuple[str, str], float]:
    scale = 730.0 / plan["horizon"]["hours"]
    work: dict[tuple[str, str], float] = defaultdict(float)
    for p in plan["placements"]:
        work[(p["workload"], f"{p['provider']}/{p['region']}")] += p["gpu_hours"] * scale
    return work


def test_diff_carbon_0_vs_200(plans: dict[tuple[str, int], Path], tmp_path: Path) -> None:
    """Every example diffs cleanly; moves + added − removed account for every change of
    work; at least one example moves work, with its payback."""
    listed_moves = 0
    for example in EXAMPLES:
        out = tmp_path / f"{example}.json"
        result = runner.invoke(app, ["diff", str(plans[(example, 0)]), str(plans[(example, 200)]),
                                     "--json", str(out)], env={"COLUMNS": "200"})
        assert result.exit_code == 0, f"{example}:\n{result.output}"
        assert "payback days" in result.output
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert doc["same_scenario"] and doc["carbon_price_usd_per_tco2e"] == 200
        cur = _work_by_region(json.loads(plans[(example, 0)].read_text(encoding="utf-8")))
        new = _work_by_region(json.loads(plans[(example, 200)].read_text(encoding="utf-8")))
        net: dict[tuple[str, str], float] = defaultdict(float)
        for m in doc["moves"]:
            net[(m["workload"], m["to_id"])] += m["gpu_hours_per_month"]
            net[(m["workload"], m["from_id"])] -= m["gpu_hours_per_month"]
            assert m["payback_days"] is None or m["payback_days"] >= 0
            assert f"{m['from_id']} → {m['to_id']}" in " ".join(result.output.split())
        for c in doc["added"] + doc["removed"]:
            net[(c["workload"], c["region_id"])] += c["gpu_hours_per_month"]
        for key in set(cur) | set(new):
            change = new.get(key, 0.0) - cur.get(key, 0.0)
            if abs(change) > 0.01:
                assert net[key] == pytest.approx(change, rel=1e-9), (example, key)
        listed_moves += len(doc["moves"])
    assert listed_moves >= 1, "no example moves any work between carbon price 0 and 200"


def test_plan_with_tfvars_option(plans: dict[tuple[str, int], Path]) -> None:
    """``regionplan plan --tfvars DIR`` writes the same files as ``regionplan tfvars``."""
    for example in EXAMPLES:
        tf_dir = plans[(example, 200)].parent / "tf"
        for name in (TFVARS_JSON, "placement.tfvars", "providers.tf.json", "fleet.tf.json"):
            assert (tf_dir / name).is_file(), (example, name)


@pytest.mark.parametrize("price", PRICES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_deployed_cost_equals_planned_compute(
    example: str, price: int, plans: dict[tuple[str, int], Path], placement_tf: Tf,
    tmp_path: Path,
) -> None:
    """Deployed cost (scaling schedule x instance price) = totals.compute_usd within 0.5 %,
    from ``regionplan tfvars`` and from ``terraform plan`` on the placement module."""
    plan_path = plans[(example, price)]
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    assert all("schedule_instances" in p for p in plan["placements"])  # whole instances
    refused = _tfvars(plan_path, tmp_path, "--no-stack")
    report = json.loads((tmp_path / "deployed_cost.json").read_text(encoding="utf-8"))
    planned = plan["totals"]["compute_usd"]
    got = placement_tf.planned_outputs(tmp_path / TFVARS_JSON)
    assert float(got["deployed_cost_usd"]) == pytest.approx(report["deployed_cost_usd"],
                                                            rel=1e-9)
    if refused:  # smoothed: never below the plan, and above it by what the refusal said
        extra = sum(float(x) for x in re.findall(r"deployed cost \+\$([0-9.]+)",
                                                   refused.replace(",", "")))
        assert planned <= report["deployed_cost_usd"] <= planned + extra + 0.01
        return
    assert report["deployed_cost_usd"] == pytest.approx(planned, rel=0.005)
