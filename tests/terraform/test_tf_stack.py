"""stacks/fleet wiring and the placement example, with real Terraform but no providers.

The cloud modules need provider downloads, impossible offline. To still exercise the
generated module calls, the stack is assembled in a tmp dir with the real placement
module, the real stack files, the cloud modules' *real* ``variables.tf`` (types and
validations) and a stand-in ``main.tf`` per cloud module that only echoes its pools;
``versions.tf`` (provider requirements) and ``providers.tf.json`` are left out and the
``providers`` arguments dropped from the generated calls.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from tfhelpers import TERRAFORM_DIR, Tf, copy_module, load_fixture, squash

from planner.emit import tfvars as gen

pytestmark = [
    pytest.mark.terraform,
    pytest.mark.filterwarnings("ignore:The .warn. method is deprecated:DeprecationWarning"),
]

STAND_IN_MAIN = """\
# Stand-in for the provider resources (offline test): echo the pools as groups.
output "groups" {
  value = {
    for k, p in var.pools : k => {
      name           = "stand-in-${k}"
      instance_type  = p.instance_type
      instance_count = p.instance_count
      gpus           = p.gpus
    }
  }
}
"""

SETTINGS = {
    "gcp_project_id": "regionplan-test-123",
    "azure_admin_ssh_public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample test@example",
}


def assemble_stack(root: Path, plan: dict[str, Any]) -> Path:
    """The offline stack in ``root``; returns the stack directory."""
    copy_module(TERRAFORM_DIR / "modules" / "placement", root / "modules" / "placement")
    for name in gen.FLEET_MODULES.values():
        module = root / "modules" / name
        module.mkdir(parents=True)
        shutil.copy(TERRAFORM_DIR / "modules" / name / "variables.tf", module / "variables.tf")
        (module / "main.tf").write_text(STAND_IN_MAIN, encoding="utf-8")
    stack = root / "stacks" / "fleet"
    stack.mkdir(parents=True)
    for name in ("main.tf", "variables.tf", "outputs.tf"):
        shutil.copy(TERRAFORM_DIR / "stacks" / "fleet" / name, stack / name)
    gen.write_tfvars(plan, stack, fmt="json", modules_source="../../modules")
    (stack / gen.PROVIDERS_FILE).unlink()
    fleet = json.loads((stack / gen.FLEET_FILE).read_text(encoding="utf-8"))
    for call in fleet.get("module", {}).values():
        del call["providers"]
    (stack / gen.FLEET_FILE).write_text(json.dumps(fleet, indent=2), encoding="utf-8")
    return stack


@pytest.mark.parametrize("fixture", ["seven_regions.json", "llm_fleet_carbon200.json"])
def test_stack_wires_every_region(
    fixture: str, terraform_env: None, tmp_path: Path
) -> None:
    plan = load_fixture(fixture)
    tf = Tf(assemble_stack(tmp_path, plan))
    tf.init()
    rc, out, err = tf.validate()
    assert rc == 0, out + err
    got = tf.planned_outputs(var=SETTINGS)
    regions = {f"{p['provider']}/{p['region']}" for p in plan["placements"]}
    assert set(got["fleet_groups"]) == regions
    for p in plan["placements"]:
        group = got["fleet_groups"][f"{p['provider']}/{p['region']}"][p["workload"]]
        assert group["instance_count"] == p["instances"]
        assert group["instance_type"] == p["instance_type"]
    assert got["total_gpus"] == sum(p["instances"] * p["gpus_per_instance"]
                                    for p in plan["placements"])


def test_stack_requires_cloud_settings(terraform_env: None, tmp_path: Path) -> None:
    """Without a GCP project and an Azure key, the cloud modules' own validation stops
    the plan (their real variables.tf is in the stand-in modules)."""
    tf = Tf(assemble_stack(tmp_path, load_fixture("seven_regions.json")))
    tf.init()
    rc, out, err, _ = tf.plan()
    assert rc == 1
    assert "The project_id must be a GCP project id" in squash(err)
    assert "The admin_ssh_public_key must be an OpenSSH public key" in squash(err)


def test_placement_example_plans(terraform_env: None, tmp_path: Path) -> None:
    module = copy_module(TERRAFORM_DIR / "modules" / "placement", tmp_path / "placement")
    tf = Tf(module / "examples" / "basic")
    tf.init()
    got = tf.planned_outputs()
    assert got["regions_by_cloud"] == {"aws": ["us-east-1"], "gcp": ["us-east4"]}
    assert got["fleets"]["aws/us-east-1"]["gpus"] == 64
