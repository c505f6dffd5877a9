"""``regionplan tfvars`` and ``regionplan diff`` through the CLI: files, tables, and a
one-screen error naming the file (never a traceback) on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tfhelpers import FIXTURES
from typer.testing import CliRunner

from planner.cli import _register_all, app
from planner.emit.tfvars import MANIFEST_FILE, TFVARS_HCL, TFVARS_JSON

_register_all()
runner = CliRunner()


@pytest.fixture
def transfer_csv(tmp_path: Path) -> Path:
    path = tmp_path / "transfer.csv"
    path.write_text(
        "provider,scope,usd_per_gb,kwh_per_gb,source,as_of\n"
        "aws,inter_region,0.02,0.001,test,2026\naws,internet,0.09,0.001,test,2026\n"
        "gcp,inter_region,0.02,0.001,test,2026\ngcp,internet,0.12,0.001,test,2026\n"
        "azure,inter_region,0.02,0.001,test,2026\nazure,internet,0.087,0.001,test,2026\n",
        encoding="utf-8",
    )
    return path


def _ok_error(result: object, *needles: str) -> None:
    """Exit 2, no traceback, short, and the message names what it must."""
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    text = result.output  # type: ignore[attr-defined]
    assert "Traceback" not in text
    assert len(text.splitlines()) <= 12
    flat = " ".join(text.split())
    for needle in needles:
        assert needle in flat, text


def test_tfvars_writes_files(tmp_path: Path) -> None:
    out = tmp_path / "stack"
    result = runner.invoke(app, ["tfvars", str(FIXTURES / "seven_regions.json"),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "7 region(s) on 3 cloud(s)" in " ".join(result.output.split())
    for name in (TFVARS_JSON, TFVARS_HCL, "providers.tf.json", "fleet.tf.json", MANIFEST_FILE):
        assert (out / name).is_file(), name


@pytest.mark.parametrize(("fmt", "present", "absent"),
                         [("json", TFVARS_JSON, TFVARS_HCL), ("hcl", TFVARS_HCL, TFVARS_JSON)])
def test_tfvars_format_and_no_stack(fmt: str, present: str, absent: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["tfvars", str(FIXTURES / "seven_regions.json"), "--out",
                                 str(tmp_path), "--format", fmt, "--no-stack"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / present).exists() and not (tmp_path / absent).exists()
    assert not (tmp_path / "providers.tf.json").exists()


def test_tfvars_refuses_hand_edited_then_force(tmp_path: Path) -> None:
    plan = str(FIXTURES / "llm_fleet_carbon0.json")
    assert runner.invoke(app, ["tfvars", plan, "--out", str(tmp_path)]).exit_code == 0
    (tmp_path / TFVARS_JSON).write_text("{}\n", encoding="utf-8")
    result = runner.invoke(app, ["tfvars", plan, "--out", str(tmp_path)])
    _ok_error(result, str(tmp_path), TFVARS_JSON, "--force")
    assert (tmp_path / TFVARS_JSON).read_text(encoding="utf-8") == "{}\n"
    result = runner.invoke(app, ["tfvars", plan, "--out", str(tmp_path), "--force"])
    assert result.exit_code == 0, result.output


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    _ok_error(runner.invoke(app, ["tfvars", str(missing), "--out", str(tmp_path)]),
              str(missing), "no such file")


def test_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text("name: not json\n", encoding="utf-8")
    _ok_error(runner.invoke(app, ["tfvars", str(bad), "--out", str(tmp_path / "o")]),
              str(bad), "not JSON")


def test_not_a_plan(tmp_path: Path) -> None:
    bad = tmp_path / "scenario.json"
    bad.write_text('{"name": "x"}', encoding="utf-8")
    _ok_error(runner.invoke(app, ["tfvars", str(bad), "--out", str(tmp_path / "o")]),
              str(bad), "not a plan.json")


def test_wrong_schema_version(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "seven_regions.json").read_text(encoding="utf-8"))
    doc["schema_version"] = 2
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    _ok_error(runner.invoke(app, ["tfvars", str(bad), "--out", str(tmp_path / "o")]),
              str(bad), "schema_version 2")
    _ok_error(runner.invoke(app, ["diff", str(FIXTURES / "seven_regions.json"), str(bad)]),
              str(bad), "schema_version 2")


def test_hostile_workload_name_is_a_clean_error(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "llm_fleet_carbon0.json").read_text(encoding="utf-8"))
    doc["placements"][0]["workload"] = 'x"\n${file("/etc/passwd")}'
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "o"
    _ok_error(runner.invoke(app, ["tfvars", str(bad), "--out", str(out)]),
              str(bad), "workload name")
    assert not out.exists() or not any(out.iterdir())


def test_diff_lists_moves_with_payback(transfer_csv: Path, tmp_path: Path) -> None:
    json_out = tmp_path / "diff.json"
    result = runner.invoke(app, [
        "diff", str(FIXTURES / "llm_fleet_carbon0.json"),
        str(FIXTURES / "llm_fleet_carbon200.json"), "--transfer", str(transfer_csv),
        "--json", str(json_out), "--dual-run-hours", "24",
    ], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "aws/us-east-1 → gcp/europe-north1" in text
    assert "aws/eu-central-1 → gcp/europe-west4" in text
    assert "135.4" in text and "202.1" in text  # payback days
    assert "dual running 24 h" in text
    doc = json.loads(json_out.read_text(encoding="utf-8"))
    assert [m["workload"] for m in doc["moves"]] == ["chat-api", "llm-finetune"]


def test_diff_min_payback_days(transfer_csv: Path) -> None:
    result = runner.invoke(app, [
        "diff", str(FIXTURES / "llm_fleet_carbon0.json"),
        str(FIXTURES / "llm_fleet_carbon200.json"), "--transfer", str(transfer_csv),
        "--min-payback-days", "150", "--dual-run-hours", "24",
    ], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "gcp/europe-north1" in text
    assert "gcp/europe-west4" not in text
    assert "within 150 days" in text


def test_diff_bad_transfer_table(transfer_csv: Path, tmp_path: Path) -> None:
    partial = tmp_path / "t.csv"
    partial.write_text("\n".join(
        ln for ln in transfer_csv.read_text(encoding="utf-8").splitlines()
        if not ln.startswith("aws,internet")) + "\n", encoding="utf-8")
    _ok_error(runner.invoke(app, ["diff", str(FIXTURES / "llm_fleet_carbon0.json"),
                                  str(FIXTURES / "llm_fleet_carbon200.json"),
                                  "--transfer", str(partial)]),
              "provider='aws', scope='internet'")
    _ok_error(runner.invoke(app, ["diff", str(FIXTURES / "llm_fleet_carbon0.json"),
                                  str(FIXTURES / "llm_fleet_carbon200.json"),
                                  "--transfer", str(tmp_path / "missing.csv")]),
              "missing.csv", "no such file")


def test_diff_uses_catalog_transfer_table(tmp_path: Path) -> None:
    """Without --transfer the catalog's table is used, or a clean error if it lacks a
    price (connectors/data/transfer.csv is being compiled)."""
    result = runner.invoke(app, ["diff", str(FIXTURES / "llm_fleet_carbon0.json"),
                                 str(FIXTURES / "llm_fleet_carbon200.json")],
                           env={"COLUMNS": "200"})
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        assert "gcp/europe-north1" in result.output
    else:
        _ok_error(result, "transfer")


def test_copy_of_fixture_is_readable(tmp_path: Path) -> None:
    """Paths with spaces work."""
    spaced = tmp_path / "my plans"
    spaced.mkdir()
    shutil.copy(FIXTURES / "seven_regions.json", spaced / "plan.json")
    result = runner.invoke(app, ["tfvars", str(spaced / "plan.json"), "--out",
                                 str(spaced / "out dir")])
    assert result.exit_code == 0, result.output


def test_diff_prints_names_verbatim_not_as_markup(transfer_csv: Path, tmp_path: Path) -> None:
    paths = []
    for name in ("llm_fleet_carbon0.json", "llm_fleet_carbon200.json"):
        doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        for p in doc["placements"]:
            if p["workload"] == "chat-api":
                p["workload"] = "[red]chat[/red]"
        paths.append(tmp_path / name)
        paths[-1].write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["diff", *map(str, paths), "--transfer", str(transfer_csv)],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "[red]chat[/red]" in result.output
