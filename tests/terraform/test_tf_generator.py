"""The tfvars generator without Terraform: values, rejection of hostile identifiers,
HCL escaping, atomic writes and the manifest that protects hand-edited files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tfhelpers import PLAN_FIXTURES, load_fixture

from planner.emit import files as files_mod
from planner.emit import tfvars as gen
from planner.emit.tfvars import (
    MANIFEST_FILE,
    TFVARS_HCL,
    TFVARS_JSON,
    OverwriteRefusedError,
    TfvarsError,
    hcl_quote,
    tfvars_values,
)


def write_tfvars(plan: dict[str, Any], out: Path, *args: Any, **kwargs: Any) -> list[Path]:
    """The writer with the stack-relative module path (no copied modules in ``out``)."""
    kwargs.setdefault("modules_source", "../../modules")
    return gen.write_tfvars(plan, out, *args, **kwargs)


def test_values_hand_checked() -> None:
    """llm_fleet_carbon0: 64 H100 on 8 p5.48xlarge, $40,320 over 168 h = $240/h."""
    values = tfvars_values(load_fixture("llm_fleet_carbon0.json"))
    p = values["placements"]["aws/us-east-1/llm-finetune"]
    assert p["instance_count"] == 8
    assert p["gpus"] == 64
    assert p["usd_per_hour"] == pytest.approx(240.0, rel=1e-12)
    assert p["carbon_tco2e"] == pytest.approx(4.032, rel=1e-12)
    assert list(values["placements"]) == sorted(values["placements"])
    meta = values["regionplan"]
    assert meta["usd_per_hour"] == pytest.approx((40320 + 2016 + 1680) / 168, rel=1e-12)
    assert set(meta) == set(gen.REGIONPLAN_FIELDS)
    assert all(set(p) == set(gen.PLACEMENT_FIELDS) for p in values["placements"].values())


@pytest.mark.parametrize("fixture", PLAN_FIXTURES)
def test_json_and_hcl_carry_the_same_values(fixture: str) -> None:
    files = gen.generate(load_fixture(fixture), "both", stack=False)
    from_json = json.loads(files[TFVARS_JSON])
    from_hcl = hcl2.loads(files[TFVARS_HCL])
    # python-hcl2 keeps string quotes; compare after stripping them.
    def unq(v: Any) -> Any:
        if isinstance(v, str) and len(v) >= 2 and v[0] == v[-1] == '"':
            return v[1:-1]
        if isinstance(v, dict):
            return {unq(k): unq(x) for k, x in v.items() if not k.startswith("__")}
        if isinstance(v, list):
            return [unq(x) for x in v]
        return v
    assert unq(from_hcl) == from_json


HOSTILE_WORKLOADS = [
    'chat"api',
    "chat\napi",
    '${file("/etc/passwd")}',
    "%{if true}x%{endif}",
    "a\\b",
    "",
    ".hidden",
    "x" * 64,
    "with space",
    "ünï",
    'x"}\nplacements = {}\n#',
]


@pytest.mark.parametrize("name", HOSTILE_WORKLOADS)
def test_hostile_workload_names_rejected(name: str, tmp_path: Path) -> None:
    plan = load_fixture("llm_fleet_carbon0.json")
    plan["placements"][0]["workload"] = name
    with pytest.raises(TfvarsError, match="workload name"):
        write_tfvars(plan, tmp_path)
    assert not any(tmp_path.iterdir()), "nothing may be written for a rejected plan"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("provider", "oracle", "unknown cloud"),
        ("region", "us-east-1\n", "does not match"),
        ("region", "westeurope", "does not match"),  # azure name on aws
        ("region", '${var.x}', "does not match"),
        ("gpu_model", "RTX4090", "not a known GPU model"),
        ("instance_type", 'p5"x', "does not match"),
        ("instances", -1, "whole number >= 0"),
        ("instances", 1.5, "whole number >= 0"),
        ("gpus_per_instance", 0, "whole number >= 1"),
        ("cost_usd", float("nan"), "finite"),
        ("cost_usd", -5.0, "non-negative"),
        ("kind", "batch", "not one of"),
        ("carbon_tco2e", "1", "expected a number"),
    ],
)
def test_bad_placement_fields_rejected(field: str, value: Any, message: str) -> None:
    plan = load_fixture("llm_fleet_carbon0.json")
    plan["placements"][0][field] = value
    with pytest.raises(TfvarsError, match=message):
        tfvars_values(plan)


def test_non_optimal_and_duplicate_rejected() -> None:
    plan = load_fixture("llm_fleet_carbon0.json")
    plan["status"] = "infeasible"
    with pytest.raises(TfvarsError, match="only optimal plans"):
        tfvars_values(plan)
    plan = load_fixture("llm_fleet_carbon0.json")
    plan["placements"].append(dict(plan["placements"][0]))
    with pytest.raises(TfvarsError, match="appears twice"):
        tfvars_values(plan)


def test_bad_format_rejected() -> None:
    with pytest.raises(TfvarsError, match="format"):
        gen.generate(load_fixture("llm_fleet_carbon0.json"), "yaml")


def _unquote_hcl(quoted: str) -> str:
    """Reference decoder for the escapes hcl_quote emits (HCL's own rules)."""
    assert quoted[0] == quoted[-1] == '"'
    body, out, i = quoted[1:-1], [], 0
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt == "u":
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(simple[nxt])
            i += 2
        elif body.startswith("$${", i) or body.startswith("%%{", i):
            out.append(ch + "{")
            i += 3
        else:
            assert not body.startswith("${", i) and not body.startswith("%{", i), quoted
            assert ch not in '"\n\r' and ord(ch) >= 0x20, quoted
            out.append(ch)
            i += 1
    return "".join(out)


@given(st.text())
def test_hcl_quote_round_trips_and_never_interpolates(text: str) -> None:
    assert _unquote_hcl(hcl_quote(text)) == text


@given(st.text(min_size=1, max_size=80))
def test_any_scenario_name_gives_parseable_hcl(name: str) -> None:
    plan = load_fixture("llm_fleet_carbon0.json")
    plan["scenario"]["name"] = name
    files = gen.generate(plan, "both", stack=False)
    assert json.loads(files[TFVARS_JSON])["regionplan"]["scenario_name"] == name
    hcl_text = files[TFVARS_HCL]
    line = next(ln for ln in hcl_text.splitlines() if ln.strip().startswith("scenario_name"))
    assert _unquote_hcl(line.split("=", 1)[1].strip()) == name
    # Exactly the two contract variables, whatever the name holds.
    assert re.findall(r"^(\w+) = \{$", hcl_text, re.M) == ["regionplan", "placements"]


@given(st.from_regex(gen.NAME_PATTERN, fullmatch=True))
def test_every_allowed_workload_name_is_accepted(name: str) -> None:
    plan = load_fixture("llm_fleet_carbon0.json")
    plan["placements"][0]["workload"] = name
    values = tfvars_values(plan)
    assert f"aws/us-east-1/{name}" in values["placements"]


# ---------------------------------------------------------------- writer and manifest


def test_writes_all_files_and_manifest(tmp_path: Path) -> None:
    paths = write_tfvars(load_fixture("seven_regions.json"), tmp_path)
    names = {p.name for p in paths}
    assert names == {TFVARS_JSON, TFVARS_HCL, gen.PROVIDERS_FILE, gen.FLEET_FILE,
                     gen.COST_REPORT}
    manifest = json.loads((tmp_path / MANIFEST_FILE).read_text(encoding="utf-8"))
    for p in paths:
        assert manifest["files"][p.name] == [gen.sha256_text(p.read_text(encoding="utf-8"))]
    assert not list(tmp_path.glob(".*.tmp")), "no temp files left behind"


@pytest.mark.parametrize("fmt", ["json", "hcl"])
def test_single_format(fmt: str, tmp_path: Path) -> None:
    paths = write_tfvars(load_fixture("seven_regions.json"), tmp_path, fmt=fmt, stack=False)
    assert [p.name for p in paths] == [TFVARS_JSON if fmt == "json" else TFVARS_HCL,
                                       gen.COST_REPORT]


def test_rerun_overwrites_own_files(tmp_path: Path) -> None:
    write_tfvars(load_fixture("llm_fleet_carbon0.json"), tmp_path)
    write_tfvars(load_fixture("llm_fleet_carbon200.json"), tmp_path)
    doc = json.loads((tmp_path / TFVARS_JSON).read_text(encoding="utf-8"))
    assert "gcp/europe-north1/llm-finetune" in doc["placements"]


def test_refuses_hand_edited_file_unless_forced(tmp_path: Path) -> None:
    write_tfvars(load_fixture("llm_fleet_carbon0.json"), tmp_path)
    edited = tmp_path / TFVARS_HCL
    edited.write_text(edited.read_text(encoding="utf-8") + "# my note\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(OverwriteRefusedError) as info:
        write_tfvars(load_fixture("llm_fleet_carbon200.json"), tmp_path)
    assert [p.name for p in info.value.paths] == [TFVARS_HCL]
    assert "--force" in str(info.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before, "nothing written"
    write_tfvars(load_fixture("llm_fleet_carbon200.json"), tmp_path, force=True)
    assert "# my note" not in edited.read_text(encoding="utf-8")
    write_tfvars(load_fixture("llm_fleet_carbon0.json"), tmp_path)  # ours again


def test_refuses_files_it_never_wrote(tmp_path: Path) -> None:
    (tmp_path / gen.PROVIDERS_FILE).write_text('{"provider": {}}\n', encoding="utf-8")
    with pytest.raises(OverwriteRefusedError):
        write_tfvars(load_fixture("llm_fleet_carbon0.json"), tmp_path)
    assert (tmp_path / gen.PROVIDERS_FILE).read_text(encoding="utf-8") == '{"provider": {}}\n'
    assert not (tmp_path / TFVARS_JSON).exists()


def test_corrupt_manifest_means_nothing_is_ours(tmp_path: Path) -> None:
    write_tfvars(load_fixture("llm_fleet_carbon0.json"), tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(OverwriteRefusedError):
        write_tfvars(load_fixture("llm_fleet_carbon0.json"), tmp_path)


def test_crash_mid_write_leaves_whole_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after some files are replaced: every file is old or new and whole, no
    temp files remain, and the next run proceeds without --force."""
    old_plan, new_plan = load_fixture("llm_fleet_carbon0.json"), load_fixture(
        "llm_fleet_carbon200.json")
    write_tfvars(old_plan, tmp_path)
    old = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    new = gen.generate(new_plan)
    real_replace = os.replace
    calls = {"n": 0}

    def crashing_replace(src: str, dst: str) -> None:
        # the staged files are renamed into place one by one: die on the 4th.
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt("simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(files_mod.os, "replace", crashing_replace)
    with pytest.raises(KeyboardInterrupt):
        write_tfvars(new_plan, tmp_path)
    monkeypatch.undo()
    assert not list(tmp_path.glob(".*.tmp"))
    states = []
    for name, text in new.items():
        current = (tmp_path / name).read_text(encoding="utf-8")
        assert current in (old[name], text), f"{name} is neither old nor new"
        states.append(current == text)
    assert any(states) and not all(states), "the crash should fall between files"
    write_tfvars(new_plan, tmp_path)  # no OverwriteRefusedError: all still vouched for
    for name, text in new.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text


def test_recovery_completes_a_committed_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    """Killed after the set was committed: the next run's recovery rolls it forward, so
    every file is new; killed before: the staging directory goes and every file is old."""
    old_plan, new_plan = load_fixture("llm_fleet_carbon0.json"), load_fixture(
        "llm_fleet_carbon200.json")
    write_tfvars(old_plan, tmp_path)
    old = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    new = gen.generate(new_plan)
    staged = files_mod.stage_files(tmp_path, new)  # killed here: not committed
    files_mod.recover(tmp_path)
    assert not staged.staging.exists()
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == old
    staged = files_mod.stage_files(tmp_path, new)
    staged.mark_committed()  # killed here: committed, nothing in place yet
    files_mod.recover(tmp_path)
    assert not staged.staging.exists()
    for name, text in new.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    assert not files_mod.foreign_files(tmp_path, list(new))


def test_modules_source_cannot_inject(tmp_path: Path) -> None:
    with pytest.raises(TfvarsError, match="template"):
        write_tfvars(load_fixture("llm_fleet_carbon0.json"), tmp_path,
                     modules_source='${file("/etc/passwd")}')


def test_fleet_file_has_no_free_text() -> None:
    """Only identifiers validated by pattern and fixed expressions reach .tf.json."""
    plan = load_fixture("seven_regions.json")
    plan["scenario"]["name"] = '${file("/etc/passwd")}'
    files = gen.generate(plan)
    def strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for k, v in node.items() for s in [k, *strings(v)]]
        if isinstance(node, list):
            return [s for v in node for s in strings(v)]
        return [node] if isinstance(node, str) else []

    for name in (gen.PROVIDERS_FILE, gen.FLEET_FILE):
        assert "passwd" not in files[name]
        text = "\n".join(strings(json.loads(files[name])))
        assert "%{" not in text
        for expr in re.findall(r"\$\{([^}]*)\}", text):
            assert re.fullmatch(
                r'(var\.\w+|module\.placement\.fleets\["[a-z]+/[a-z0-9-]+"\]\.pools|'
                r'module\.fleet_\w+\.groups|lookup\(var\.aws_subnet_ids, "[a-z0-9-]+", \[\]\))',
                expr,
            ), expr


def test_accepts_plan_to_dict_shapes() -> None:
    """Plan.to_dict() (what `regionplan plan --tfvars` passes) holds tuples and may hold
    numpy scalars; both are accepted and written as plain JSON."""
    import numpy as np

    plan = load_fixture("llm_fleet_carbon0.json")
    plan["placements"] = tuple(plan["placements"])
    plan["placements"][0]["instances"] = np.int64(8)
    plan["placements"][0]["cost_usd"] = np.float64(40320.0)
    files = gen.generate(plan)
    doc = json.loads(files[TFVARS_JSON])
    assert doc["placements"]["aws/us-east-1/llm-finetune"]["instance_count"] == 8
