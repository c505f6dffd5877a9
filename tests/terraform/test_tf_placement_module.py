"""Real Terraform on the provider-free placement module: plan → tfvars → terraform plan.

Every plan fixture is written as JSON and as HCL variables, planned by Terraform 1.0.3
(offline: the module has no providers) and its outputs compared with figures recomputed
here from the plan.json. Bad variables must be rejected by the module's own validation
blocks with their messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tfhelpers import PLAN_FIXTURES, Tf, expected_outputs, load_fixture, squash

from planner.emit.tfvars import (
    TFVARS_HCL,
    TFVARS_JSON,
    render_tfvars_json,
    tfvars_values,
    write_tfvars,
)

pytestmark = [
    pytest.mark.terraform,
    # python-terraform logs failed commands with the deprecated Logger.warn.
    pytest.mark.filterwarnings("ignore:The .warn. method is deprecated:DeprecationWarning"),
]


def test_placement_module_validates(placement_tf: Tf) -> None:
    rc, out, err = placement_tf.validate()
    assert rc == 0, out + err
    assert "The configuration is valid" in out


@pytest.mark.parametrize("fmt", ["json", "hcl"])
@pytest.mark.parametrize("fixture", PLAN_FIXTURES)
def test_plan_tfvars_terraform_plan(
    fixture: str, fmt: str, placement_tf: Tf, tmp_path: Path
) -> None:
    plan = load_fixture(fixture)
    write_tfvars(plan, tmp_path, fmt=fmt, stack=False)
    var_file = tmp_path / (TFVARS_JSON if fmt == "json" else TFVARS_HCL)
    got = placement_tf.planned_outputs(var_file)
    want = expected_outputs(plan)
    for name in ("clouds", "regions_by_cloud", "gpus_by_cloud", "gpus_by_model", "total_gpus",
                 "total_instances"):
        assert got[name] == want[name], name
    assert {k: sorted(f["pools"]) for k, f in got["fleets"].items()} == want["pools"]
    for key, fleet in got["fleets"].items():
        cloud, region = key.split("/")
        assert got["fleets_by_cloud"][cloud][region] == fleet
        assert fleet["gpus"] == sum(p["gpus"] for p in fleet["pools"].values())
        for workload, pool in fleet["pools"].items():
            row = next(
                p for p in plan["placements"]
                if (p["provider"], p["region"], p["workload"]) == (cloud, region, workload)
            )
            assert pool["instance_type"] == row["instance_type"]
            assert pool["instance_count"] == row["instances"]
            assert pool["gpu_model"] == row["gpu_model"]
            assert pool["usd_per_hour"] == pytest.approx(
                row["cost_usd"] / plan["horizon"]["hours"], rel=1e-9)
    assert got["plan"]["scenario_name"] == plan["scenario"]["name"]
    assert got["plan"]["cost_usd"] == pytest.approx(plan["totals"]["cost_usd"], rel=1e-12)


def test_seven_regions_on_three_clouds(placement_tf: Tf, tmp_path: Path) -> None:
    """The issue's example: one plan, 7 regions, 3 clouds, one module call per region."""
    write_tfvars(load_fixture("seven_regions.json"), tmp_path, fmt="json", stack=False)
    got = placement_tf.planned_outputs(tmp_path / TFVARS_JSON)
    assert got["clouds"] == ["aws", "azure", "gcp"]
    assert sum(len(r) for r in got["regions_by_cloud"].values()) == 7
    assert got["regions_by_cloud"] == {
        "aws": ["eu-central-1", "us-east-1", "us-west-2"],
        "azure": ["eastus2", "westeurope"],
        "gcp": ["europe-west4", "us-central1"],
    }
    # Hand count: 32 H100 + 16 A100 + (6+5+3+2) L4 + (2+3) T4; chat-api's 4.5 GPUs round up.
    assert got["gpus_by_model"] == {"H100": 32, "A100-80GB": 16, "L4": 16, "T4": 5}
    assert got["total_gpus"] == 69
    assert sorted(got["fleets"]["gcp/us-central1"]["pools"]) == ["chat-api", "embed-api"]


def _values(fixture: str = "seven_regions.json") -> dict[str, Any]:
    return tfvars_values(load_fixture(fixture))


def _write_bad(tmp_path: Path, values: dict[str, Any]) -> Path:
    path = tmp_path / "bad.tfvars.json"
    path.write_text(render_tfvars_json(values), encoding="utf-8")
    return path


def _first(values: dict[str, Any]) -> dict[str, Any]:
    return next(iter(values["placements"].values()))


def _rekey(values: dict[str, Any]) -> dict[str, Any]:
    values["placements"] = {
        f"{p['cloud']}/{p['region']}/{p['workload']}": p for p in values["placements"].values()
    }
    return values


BAD_CASES: dict[str, tuple[Any, str]] = {
    "unknown cloud": (
        lambda v: _rekey(_first(v).update(cloud="oracle") or v),
        "Every placement's cloud must be one of aws, gcp, azure.",
    ),
    "negative count": (
        lambda v: _first(v).update(instance_count=-1, gpus=-_first(v)["gpus_per_instance"]) or v,
        "Every placement's instance_count must be a non-negative whole number.",
    ),
    "fractional count": (
        lambda v: _first(v).update(instance_count=1.5) or v,
        "Every placement's instance_count must be a non-negative whole number.",
    ),
    "unknown gpu": (
        lambda v: _first(v).update(gpu_model="RTX4090") or v,
        "Every placement's gpu_model must be a known GPU model",
    ),
    "aws region in gcp format": (
        lambda v: _rekey(_first(v).update(region="europe-west4") or v),
        "Every placement's region must match its cloud's format",
    ),
    "key mismatch": (
        lambda v: {**v, "placements": {"aws/us-east-1/other": _first(v)}},
        "Every placement key must be \"<cloud>/<region>/<workload>\" of its own entry",
    ),
    "key suffix names another instance type": (
        lambda v: {**v, "placements": {
            "{cloud}/{region}/{workload}/on_demand/not-its-type".format(**_first(v)):
                _first(v)}},
        "or \"<cloud>/<region>/<workload>/<purchase>/<instance_type>\" when a workload",
    ),
    "gpus inconsistent": (
        lambda v: _first(v).update(gpus=_first(v)["gpus"] + 1) or v,
        "Every placement's gpus must equal instance_count * gpus_per_instance.",
    ),
    "negative cost": (
        lambda v: _first(v).update(cost_usd=-1.0) or v,
        "must be non-negative.",
    ),
    "injected workload name": (
        lambda v: _rekey(_first(v).update(workload='x"; ${file("/etc/passwd")}') or v),
        "Every workload name must match",
    ),
    "non-optimal plan": (
        lambda v: v["regionplan"].update(status="infeasible") or v,
        'The regionplan.status must be "optimal"',
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_tfvars_rejected_by_validation(case: str, placement_tf: Tf, tmp_path: Path) -> None:
    mutate, message = BAD_CASES[case]
    var_file = _write_bad(tmp_path, mutate(_values()))
    rc, out, err, _ = placement_tf.plan(var_file)
    assert rc == 1, out
    assert "Invalid value for variable" in err
    assert message in squash(err)


HOSTILE_NAMES = [
    '${file("/etc/passwd")}',
    '%{ for x in ["a"] }${x}%{ endfor }',
    'quote " backslash \\ newline \n tab \t end',
    '"}\nplacements = {}\n# ',
    "$${escaped} %%{escaped} $ % $$ {}",
    "null \x00 bell \x07 del \x7f nel \x85 ls \u2028 ünïcødé 漢字",
]


@pytest.mark.parametrize("fmt", ["json", "hcl"])
def test_hostile_scenario_name_reaches_terraform_verbatim(
    fmt: str, placement_tf: Tf, tmp_path: Path
) -> None:
    """Free text is escaped, so Terraform sees exactly the scenario's string: no
    interpolation, no template directive, no extra variable, no file read."""
    for i, name in enumerate(HOSTILE_NAMES):
        plan = load_fixture("llm_fleet_carbon0.json")
        plan["scenario"]["name"] = name
        out_dir = tmp_path / str(i)
        write_tfvars(plan, out_dir, fmt=fmt, stack=False)
        got = placement_tf.planned_outputs(out_dir / (TFVARS_JSON if fmt == "json" else TFVARS_HCL))
        assert got["plan"]["scenario_name"] == name
        assert got["total_gpus"] == 86  # 64 H100 + 12 + 10 L4: nothing else changed


def test_hcl_quote_against_terraform(terraform_env: None, tmp_path: Path) -> None:
    """hcl_quote round-trips through Terraform's own HCL parser for awkward strings."""
    from planner.emit.tfvars import hcl_quote

    module = tmp_path / "probe"
    module.mkdir()
    (module / "main.tf").write_text(
        'variable "s" {\n  type = list(string)\n}\n\noutput "s" {\n  value = var.s\n}\n',
        encoding="utf-8",
    )
    strings = HOSTILE_NAMES + ["$", "%", "a$", "$$${x}", "\\${x}", "end\\", "", "${", "%{"]
    var_file = tmp_path / "probe.tfvars"
    var_file.write_text("s = [\n" + "".join(f"  {hcl_quote(s)},\n" for s in strings) + "]\n",
                        encoding="utf-8")
    tf = Tf(module)
    tf.init()
    assert tf.planned_outputs(var_file)["s"] == strings


def test_generated_hcl_is_terraform_fmt_clean(
    placement_tf: Tf, tmp_path: Path
) -> None:
    for fixture in PLAN_FIXTURES:
        write_tfvars(load_fixture(fixture), tmp_path / fixture, fmt="hcl", stack=False)
    rc, out, err = placement_tf.fmt_check(tmp_path)
    assert rc == 0, out + err


def test_tfvars_json_is_plain_json(tmp_path: Path) -> None:
    write_tfvars(load_fixture("seven_regions.json"), tmp_path, fmt="json", stack=False)
    doc = json.loads((tmp_path / TFVARS_JSON).read_text(encoding="utf-8"))
    assert set(doc) == {"regionplan", "placements"}
