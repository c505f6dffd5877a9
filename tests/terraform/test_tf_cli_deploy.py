"""``regionplan tfvars`` deploys the schedule: deployed cost, action limit and smoothing,
``--validate`` through real Terraform, and a stack that works from any ``--out``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from python_terraform import IsFlagged
from tfhelpers import FIXTURES, TERRAFORM_DIR, Tf
from typer.testing import CliRunner

from planner.cli import _register_all, app

_register_all()
runner = CliRunner()
CONTRACT = str(FIXTURES / "contract_time_shifted.json")
WIDE = {"COLUMNS": "200"}

pytestmark = pytest.mark.filterwarnings(
    "ignore:The .warn. method is deprecated:DeprecationWarning")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_tfvars_prints_and_writes_the_deployed_cost(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tfvars", CONTRACT, "--out", str(tmp_path), "--no-stack"],
                           env=WIDE)
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    assert "Deployed $9,104 vs planned compute $9,104 (+0.00%)" in text
    row = next(ln for ln in result.output.splitlines() if "aws/us-east-1/train-shifted" in ln)
    assert [c.strip() for c in row.split("│")[1:-1]] == [
        "aws/us-east-1/train-shifted", "spot", "dated", "3", "4", "40", "98.32", "3,933",
        "3,933"]
    report = json.loads((tmp_path / "deployed_cost.json").read_text(encoding="utf-8"))
    assert report["deployed_cost_usd"] == pytest.approx(9104.08, rel=1e-12)


def test_over_the_action_limit_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tfvars", CONTRACT, "--out", str(tmp_path),
                                 "--max-actions", "2"], env=WIDE)
    assert result.exit_code == 2, result.output
    text = _flat(result.output)
    assert "Traceback" not in result.output
    assert "more than the 2 allowed" in text and "--smooth" in text
    assert not (tmp_path / "deployed_cost.json").exists()


def test_smooth_deploys_within_the_limit(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tfvars", CONTRACT, "--out", str(tmp_path), "--no-stack",
                                 "--max-actions", "2", "--smooth"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "smoothed from 3" in result.output
    values = json.loads((tmp_path / "placement.auto.tfvars.json").read_text(encoding="utf-8"))
    assert all(p["scaling_actions"] <= 2 for p in values["placements"].values())


@pytest.mark.terraform
def test_validate_runs_terraform_and_reports_the_deployed_cost(
    tmp_path: Path, terraform_env: None
) -> None:
    result = runner.invoke(app, ["tfvars", CONTRACT, "--out", str(tmp_path), "--no-stack",
                                 "--validate"], env=WIDE)
    assert result.exit_code == 0, result.output
    text = _flat(result.output)
    for step in ("init", "validate", "plan"):
        assert f"terraform {step} (placement module): ok" in text
    (line,) = [ln for ln in result.output.splitlines() if "deployed_cost_usd" in ln]
    assert float(line.split("=")[1]) == pytest.approx(9104.08, rel=1e-12)


@pytest.mark.terraform
def test_validate_relays_terraforms_own_error(
    tmp_path: Path, terraform_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stack needs the cloud providers: with an empty local mirror (no network),
    init fails and its message is printed as Terraform wrote it."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    config = tmp_path / "mirror.tfrc"
    config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = '
                      f'"{mirror}"\n  }}\n}}\n', encoding="utf-8")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(config))
    out = tmp_path / "infra"
    result = runner.invoke(app, ["tfvars", CONTRACT, "--out", str(out), "--validate"],
                           env=WIDE)
    assert result.exit_code == 2, result.output
    text = _flat(result.output)
    assert "terraform plan (placement module): ok" in text
    assert f"terraform init ({out}): FAILED" in text
    assert "hashicorp/aws" in text and "Traceback" not in text


@pytest.mark.terraform
def test_stack_works_from_any_out_directory(tmp_path: Path, terraform_env: None) -> None:
    out = tmp_path / "infra"
    result = runner.invoke(app, ["tfvars", CONTRACT, "--out", str(out)], env=WIDE)
    assert result.exit_code == 0, result.output
    fleet = json.loads((out / "fleet.tf.json").read_text(encoding="utf-8"))
    for call in fleet["module"].values():
        assert (out / call["source"] / "schedule.tf").is_file(), call["source"]
    assert '"./modules/placement"' in (out / "main.tf").read_text(encoding="utf-8")
    # `terraform get` installs the (local) modules only: every source resolves offline.
    rc, stdout, stderr = Tf(out).cmd("get", no_color=IsFlagged)
    assert rc == 0, stdout + stderr


@pytest.mark.terraform
def test_own_root_gets_resolved_module_paths(tmp_path: Path, terraform_env: None) -> None:
    root = tmp_path / "elsewhere" / "fleet"
    shutil.copytree(TERRAFORM_DIR / "stacks" / "fleet", root)
    (root / "main.tf").write_text((root / "main.tf").read_text(encoding="utf-8").replace(
        "../../modules/placement", str(TERRAFORM_DIR / "modules" / "placement")),
        encoding="utf-8")
    result = runner.invoke(app, ["tfvars", CONTRACT, "--out", str(root)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert not (root / "modules").exists()
    fleet = json.loads((root / "fleet.tf.json").read_text(encoding="utf-8"))
    for call in fleet["module"].values():
        assert (root / call["source"]).resolve().parent == (TERRAFORM_DIR / "modules")
    rc, stdout, stderr = Tf(root).cmd("get", no_color=IsFlagged)
    assert rc == 0, stdout + stderr


def test_plan_with_tfvars_takes_the_same_limit_and_smoothing(tmp_path: Path) -> None:
    # `regionplan plan --tfvars` refuses a schedule over the action limit as `tfvars` does,
    # writes nothing, and names --smooth, which it accepts too.
    example = str(Path(__file__).resolve().parents[2] / "examples" / "llm-fleet.yaml")
    out, tf = tmp_path / "out", tmp_path / "tf"
    args = ["plan", example, "--out", str(out), "-q", "--tfvars", str(tf), "--max-actions", "1"]
    refused = runner.invoke(app, args, env=WIDE)
    assert refused.exit_code == 2, refused.output
    text = _flat(refused.output)
    assert "more than the 1 allowed" in text and "Pass --smooth" in text
    assert "(nothing was written)" in text and not (out / "plan.json").exists()
    smoothed = runner.invoke(app, [*args, "--smooth"], env=WIDE)
    assert smoothed.exit_code == 0, smoothed.output
    values = json.loads((tf / "placement.auto.tfvars.json").read_text(encoding="utf-8"))
    assert values["placements"]
    assert all(p["scaling_actions"] <= 1 for p in values["placements"].values())
    assert (out / "plan.json").exists()


def test_plan_smooth_without_tfvars_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "--out", str(tmp_path / "out"), "--smooth"], env=WIDE)
    assert result.exit_code == 2, result.output
    assert "add --tfvars DIR" in _flat(result.output) and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
