"""Output files: every path inside its --out, clean errors for unusable directories and
hostile plan.json inputs, file sets replaced whole, temporaries of killed runs removed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import _register_all, app
from planner.emit import files as files_mod
from planner.emit.planfile import PlanFileError, load_plan

FIXTURES = Path(__file__).resolve().parents[1] / "terraform" / "fixtures"
OLD_PLAN = FIXTURES / "llm_fleet_carbon0.json"
NEW_PLAN = FIXTURES / "llm_fleet_carbon200.json"
REGIONPLAN = str(Path(sys.executable).with_name("regionplan"))
runner = CliRunner()
_register_all()


def flat(text: str) -> str:
    return " ".join(text.split())


def refused(args: list[str], *expected: str) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    for piece in expected:
        assert piece in flat(res.output), res.output
    return res.output


# --- plan --out ------------------------------------------------------------------------------


def test_plan_out_is_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("keep me")
    refused(["plan", "--out", str(tmp_path / "afile")], "is a file, not a directory")
    assert (tmp_path / "afile").read_text() == "keep me"


def test_plan_out_below_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("keep me")
    refused(["plan", "--out", str(tmp_path / "afile" / "sub")], "afile is a file")


def test_plan_out_holds_a_directory_named_plan_json(tmp_path: Path) -> None:
    (tmp_path / "out" / "plan.json").mkdir(parents=True)
    refused(["plan", "--out", str(tmp_path / "out")], "plan.json is a directory")


def test_plan_tfvars_dir_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "tf").write_text("x")
    refused(["plan", "--out", str(tmp_path / "out"), "--tfvars", str(tmp_path / "tf")],
            "is a file, not a directory")
    assert not (tmp_path / "out").exists()


# --- hostile plan.json for the emitters ------------------------------------------------------


def _variant(tmp_path: Path, edit: str) -> Path:
    doc = json.loads(OLD_PLAN.read_text(encoding="utf-8"))
    text = ""
    if edit == "surrogate":
        doc["scenario"]["name"] = "x\ud800y"
    elif edit == "instances":
        doc["placements"][0]["instances"] = 1e308
    elif edit == "hours":
        doc["horizon"]["hours"] = 5e-324
    elif edit == "negative-price":
        doc["objective"]["carbon_price_usd_per_tco2e"] = -5
    elif edit == "nan":
        doc["totals"]["cost_usd"] = float("nan")
    elif edit == "huge-int":
        doc["placements"][0]["instances"] = 10**400
    text = json.dumps(doc)  # ensure_ascii: the surrogate is written as \ud800
    path = tmp_path / f"{edit}.json"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("edit", "field"), [
    ("surrogate", "scenario.name"), ("instances", "placements[0].instances"),
    ("hours", "horizon.hours"), ("negative-price", "carbon_price_usd_per_tco2e"),
    ("nan", "NaN"), ("huge-int", "placements[0].instances")])
def test_tfvars_refuses_hostile_plan_values(edit: str, field: str, tmp_path: Path) -> None:
    path = _variant(tmp_path, edit)
    with pytest.raises(PlanFileError, match=field.replace("[", r"\[").replace("]", r"\]")):
        load_plan(path)
    refused(["tfvars", str(path), "--out", str(tmp_path / "tf")], field)
    assert not (tmp_path / "tf").exists() or not any((tmp_path / "tf").iterdir())


def test_memo_stem_from_a_file_stays_inside_out(tmp_path: Path) -> None:
    res = runner.invoke(app, ["plan", "-q", "--out", str(tmp_path / "plan")])
    assert res.exit_code == 0, res.output
    current = tmp_path / "plan" / "plan.json"
    doc = json.loads(current.read_text(encoding="utf-8"))
    doc["scenario"]["name"] = "/../../../escaped/pwn"
    proposed = tmp_path / "proposed.json"
    proposed.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "a" / "b" / "out"
    res = runner.invoke(app, ["memo", "migrate", "--current", str(current), "--proposed",
                              str(proposed), "--out", str(out), "--format", "md"])
    assert res.exit_code == 0, res.output
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".md")
    assert written == [out / "migrate-escaped-pwn.md"]


@pytest.mark.parametrize(("text", "name"), [
    ("/../../../escaped/pwn", "escaped-pwn"), ("..", "output"), ("", "output"),
    ("a.b-c_d", "a.b-c_d"), ("[red]x[/red]", "red-x-red"), ("a/b\\c\x00d", "a-b-c-d")])
def test_safe_file_name(text: str, name: str) -> None:
    assert files_mod.safe_file_name(text) == name


# --- file sets and temporaries ----------------------------------------------------------------


def test_plan_json_never_holds_nan(tmp_path: Path) -> None:
    """A plan with a non-finite figure is refused by the writer, and nothing is written."""
    from dataclasses import replace

    from tiny import tiny_catalog

    from planner.cli.plan_cmd import write_plan
    from planner.scenario import load_scenario_text
    from planner.session import make_plan

    plan = make_plan(load_scenario_text(TINY_SCENARIO), tiny_catalog())
    write_plan(plan, tmp_path)
    assert json.loads((tmp_path / "plan.json").read_text())["status"] == "optimal"
    bad = replace(plan, totals={**plan.totals, "cost_usd": float("inf")})
    with pytest.raises(ValueError, match="non-finite"):
        write_plan(bad, tmp_path / "bad")
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())


TINY_SCENARIO = """
name: tiny
horizon: {start: 2027-01-04T00:00Z, hours: 4}
training:
  - {name: j, gpu: X1, gpu_hours: 4, max_gpus: 2}
"""


def test_stale_temporaries_and_staging_are_cleaned(tmp_path: Path) -> None:
    old = time.time() - 2 * files_mod.STALE_TEMP_AGE_S
    stale = [tmp_path / ".plan.json.ab12cd34", tmp_path / ".placement.tfvars.x1y2z3w4.tmp"]
    fresh = tmp_path / ".plan.json.zz99yy88"
    for p in [*stale, fresh]:
        p.write_text("half")
    for p in stale:
        os.utime(p, (old, old))
    dead = tmp_path / f"{files_mod.STAGING_PREFIX}999999999-abc"
    dead.mkdir()
    (dead / "plan.json").write_text("half")
    user_file = tmp_path / ".plan.json.notes"
    user_file.write_text("mine")
    os.utime(user_file, (old, old))
    files_mod.write_file_set(tmp_path, {"plan.json": "{}\n", "plan.csv": "a\n"})
    assert not any(p.exists() for p in stale) and not dead.exists()
    assert fresh.exists(), "a young temporary may belong to a live writer"
    assert user_file.read_text() == "mine"
    assert (tmp_path / "plan.json").read_text() == "{}\n"
    assert not list(tmp_path.glob(files_mod.STAGING_PREFIX + "*"))


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.is_file()}


KILL_TRIALS = 8
KILL_DELAYS_S = (0.0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16)


def test_killed_tfvars_leaves_the_old_set_or_the_new_one(tmp_path: Path) -> None:
    """SIGKILL a real ``regionplan tfvars`` right after its staging directory appears (or a
    little later): after the next run's recovery, the directory holds exactly the old set
    or exactly the new one, and no temporaries."""
    sets = {}
    for tag, plan in (("old", OLD_PLAN), ("new", NEW_PLAN)):
        out = tmp_path / tag
        subprocess.run([REGIONPLAN, "tfvars", str(plan), "--out", str(out)], check=True,
                       capture_output=True, timeout=120)
        sets[tag] = _snapshot(out)
    assert sets["old"] != sets["new"]
    outcomes = []
    for trial in range(KILL_TRIALS):
        target = tmp_path / f"trial{trial}"
        target.mkdir()
        for name, text in sets["old"].items():
            (target / name).write_text(text, encoding="utf-8")
        proc = subprocess.Popen([REGIONPLAN, "tfvars", str(NEW_PLAN), "--out", str(target)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if any(p.name.startswith(files_mod.STAGING_PREFIX) for p in target.iterdir()):
                time.sleep(KILL_DELAYS_S[trial % len(KILL_DELAYS_S)])
                break
            time.sleep(0.0002)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        files_mod.recover(target)
        state = _snapshot(target)
        assert state in (sets["old"], sets["new"]), f"trial {trial}: a mixed set"
        assert not [p for p in target.iterdir() if p.name.startswith(".") and
                    p.name != files_mod.MANIFEST_FILE], f"trial {trial}: temporaries left"
        outcomes.append("new" if state == sets["new"] else "old")
    assert len(outcomes) == KILL_TRIALS
    print("kill outcomes:", outcomes)


PLAN_KILL_TRIALS = 4


def _kill_when_staging(args: list[str], folders: list[Path], delay_s: float) -> None:
    """Run ``regionplan ARGS``; SIGKILL it ``delay_s`` after a staging directory appears in
    any of ``folders`` (or when it ends by itself)."""
    proc = subprocess.Popen([REGIONPLAN, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if any(p.name.startswith(files_mod.STAGING_PREFIX)
               for f in folders if f.is_dir() for p in f.iterdir()):
            time.sleep(delay_s)
            break
        time.sleep(0.0005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)


def _plan_pair(files: dict[str, str]) -> tuple[str, str]:
    totals = json.loads(files["plan.json"])["totals"]
    return files["plan.csv"], json.dumps(totals, sort_keys=True)


def test_killed_plan_with_tfvars_leaves_whole_sets(tmp_path: Path) -> None:
    """``plan --tfvars`` killed while writing: after recovery each directory holds its old
    set or its new one (plan.json with plan.csv; the Terraform files with their manifest)."""
    base_out, base_tf = tmp_path / "base-out", tmp_path / "base-tf"
    new_out, new_tf = tmp_path / "new-out", tmp_path / "new-tf"
    for out, tf, price in ((base_out, base_tf, "0"), (new_out, new_tf, "300")):
        subprocess.run([REGIONPLAN, "plan", "-q", "--carbon-price", price, "--out", str(out),
                        "--tfvars", str(tf)], check=True, capture_output=True, timeout=300)
    old = {"out": _snapshot(base_out), "tf": _snapshot(base_tf)}
    new = {"out": _snapshot(new_out), "tf": _snapshot(new_tf)}
    assert old["out"]["plan.csv"] != new["out"]["plan.csv"]
    for trial in range(PLAN_KILL_TRIALS):
        out, tf = tmp_path / f"t{trial}-out", tmp_path / f"t{trial}-tf"
        for src, dst in ((base_out, out), (base_tf, tf)):
            dst.mkdir()
            for name, text in _snapshot(src).items():
                (dst / name).write_text(text, encoding="utf-8")
        _kill_when_staging(["plan", "-q", "--carbon-price", "300", "--out", str(out),
                            "--tfvars", str(tf)], [out, tf], KILL_DELAYS_S[trial * 2])
        for folder, key in ((out, "out"), (tf, "tf")):
            files_mod.recover(folder)
            state = _snapshot(folder)
            if key == "out":  # plan.json holds solve timings: compare it by its totals
                state, choices = _plan_pair(state), [_plan_pair(old["out"]),
                                                     _plan_pair(new["out"])]
            else:
                choices = [old["tf"], new["tf"]]
            assert state in choices, f"trial {trial}: {key} holds a mixed set"
            assert not list(folder.glob(files_mod.STAGING_PREFIX + "*"))
