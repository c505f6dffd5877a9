"""The cloud modules scale on the schedule; the placement module reports the deployed cost.

The cloud modules need provider downloads, impossible offline, so two checks: (1) their
HCL (python-hcl2) wires a scheduled-scaling resource to the schedule locals; (2) each
module's ``schedule.tf`` (variables only) is evaluated by a real ``terraform plan`` in a
scratch root holding the module's real ``variables.tf`` (types and validations), on the
time-shifted training job of ``contract_time_shifted.json``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tfhelpers import TERRAFORM_DIR, Tf, load_fixture, squash

from planner.emit import tfvars as gen

pytestmark = pytest.mark.filterwarnings(
    "ignore:The .warn. method is deprecated:DeprecationWarning")

CONTRACT = "contract_time_shifted.json"
MODULES = TERRAFORM_DIR / "modules"
SCHEDULE_RESOURCE = {
    "aws": ("aws_autoscaling_schedule", "local.scaling_actions"),
    "gcp": ("google_compute_region_autoscaler", "local.scaling_schedules"),
    "azure": ("azurerm_monitor_autoscale_setting", "local.autoscale_profiles"),
}
LOCAL_NAME = {"aws": "scaling_actions", "gcp": "scaling_schedules",
              "azure": "autoscale_profiles"}
MODULE_VARS = {
    "aws": {"region": "us-east-1"},
    "gcp": {"region": "us-central1", "project_id": "regionplan-test-123"},
    "azure": {"location": "eastus2",
              "admin_ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEx test@example"},
}


def _pools(cloud: str) -> dict[str, Any]:
    values = gen.tfvars_values(load_fixture(CONTRACT))
    return {p["workload"]: p for p in values["placements"].values()
            if p["cloud"] == cloud and p["kind"] == "training"}


@pytest.mark.parametrize("cloud", sorted(SCHEDULE_RESOURCE))
def test_module_hcl_wires_schedule(cloud: str) -> None:
    resource, local = SCHEDULE_RESOURCE[cloud]
    module = MODULES / gen.FLEET_MODULES[cloud]
    text = (module / "main.tf").read_text(encoding="utf-8")
    doc = hcl2.loads(text)
    types = {t.strip('"') for r in doc["resource"] for t in r}
    assert resource in types
    assert local in text, f"{resource} does not use {local}"
    assert f"{LOCAL_NAME[cloud]} =" in (module / "schedule.tf").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory, terraform_env: None
              ) -> dict[str, dict[str, Any]]:
    """Each cloud module's schedule locals for the time-shifted job, from terraform plan."""
    out: dict[str, dict[str, Any]] = {}
    for cloud, name in gen.FLEET_MODULES.items():
        work = tmp_path_factory.mktemp(cloud) / name
        work.mkdir()
        for f in ("variables.tf", "schedule.tf"):
            shutil.copy(MODULES / name / f, work / f)
        (work / "echo.tf").write_text(
            f'output "actions" {{\n  value = local.{LOCAL_NAME[cloud]}\n}}\n'
            'output "spot" {\n  value = local.spot\n}\n', encoding="utf-8")
        var_file = work / "pools.tfvars.json"
        var_file.write_text(json.dumps({"pools": _pools(cloud), **MODULE_VARS[cloud]}),
                            encoding="utf-8")
        tf = Tf(work)
        tf.init()
        out[cloud] = tf.planned_outputs(var_file)
    return out


@pytest.mark.terraform
def test_aws_time_shifted_job_gets_scheduled_actions(evaluated: dict[str, Any]) -> None:
    got = evaluated["aws"]["actions"]
    assert [(a["start_time"], a["instances"], a["recurrence"]) for a in got.values()] == [
        ("2027-01-04T00:00:00Z", 0, None), ("2027-01-04T06:00:00Z", 4, None),
        ("2027-01-04T16:00:00Z", 0, None)]
    assert evaluated["aws"]["spot"] == {"train-shifted": True}


@pytest.mark.terraform
def test_gcp_time_shifted_job_gets_scaling_schedule(evaluated: dict[str, Any]) -> None:
    (schedules,) = evaluated["gcp"]["actions"].values()
    assert [(s["schedule"], s["duration_sec"], s["instances"]) for s in schedules] == [
        ("0 6 4 1 *", 36000, 4)]
    assert evaluated["gcp"]["spot"] == {"train-shifted": False}


@pytest.mark.terraform
def test_azure_time_shifted_job_gets_fixed_date_profile(evaluated: dict[str, Any]) -> None:
    (profiles,) = evaluated["azure"]["actions"].values()
    assert [(p["start"], p["end"], p["instances"], p["fixed"]) for p in profiles] == [
        ("2027-01-04T20:00:00Z", "2027-01-05T04:00:00Z", 2, True)]


@pytest.mark.terraform
def test_placement_module_outputs_the_deployed_cost(placement_tf: Tf, tmp_path: Path) -> None:
    plan = load_fixture(CONTRACT)
    (tmp_path / gen.TFVARS_JSON).write_text(gen.generate(plan, "json", stack=False)[
        gen.TFVARS_JSON], encoding="utf-8")
    got = placement_tf.planned_outputs(tmp_path / gen.TFVARS_JSON)
    assert float(got["deployed_cost_usd"]) == pytest.approx(9104.08, rel=1e-9)
    assert got["scaling_actions_by_placement"]["gcp/europe-west4/chat"] == 3


@pytest.mark.terraform
@pytest.mark.parametrize("field, value, message", [
    ("instances", 9, "In placement, every step needs"),
    ("start_utc", "2027-01-04 06:00", "In placement, every step needs"),
])
def test_placement_module_rejects_malformed_steps(
    placement_tf: Tf, tmp_path: Path, field: str, value: Any, message: str
) -> None:
    values = gen.tfvars_values(load_fixture(CONTRACT))
    values["placements"]["aws/us-east-1/train-shifted"]["steps"][1][field] = value
    var_file = tmp_path / "bad.tfvars.json"
    var_file.write_text(gen.render_tfvars_json(values), encoding="utf-8")
    rc, out, err, _ = placement_tf.plan(var_file)
    assert rc != 0 and message in squash(err)


@pytest.mark.terraform
def test_cloud_module_rejects_malformed_recurrence(tmp_path: Path, terraform_env: None) -> None:
    work = tmp_path / "gcp"
    work.mkdir()
    for f in ("variables.tf", "schedule.tf"):
        shutil.copy(MODULES / "gcp_gpu_fleet" / f, work / f)
    pools = {p["workload"]: p for p in gen.tfvars_values(load_fixture(CONTRACT))[
        "placements"].values() if p["cloud"] == "gcp"}
    pools["chat"]["recurrences"][0]["cron"] = "*/5 * * * *"
    var_file = work / "bad.tfvars.json"
    var_file.write_text(json.dumps({"pools": pools, **MODULE_VARS["gcp"]}), encoding="utf-8")
    tf = Tf(work)
    tf.init()
    rc, out, err, _ = tf.plan(var_file)
    assert rc != 0 and "In gcp_gpu_fleet, every recurrence needs a cron" in squash(err)
