"""The generated variable contract and the HCL in terraform/ agree (python-hcl2, no
Terraform needed); every module follows the standard layout; fmt -check passes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tfhelpers import TERRAFORM_DIR, Tf, load_fixture

from planner.emit import tfvars as gen

MODULES = TERRAFORM_DIR / "modules"
STACK = TERRAFORM_DIR / "stacks" / "fleet"
CLOUD_MODULE_DIRS = {cloud: MODULES / name for cloud, name in gen.FLEET_MODULES.items()}
ALL_MODULE_DIRS = [MODULES / "placement", *CLOUD_MODULE_DIRS.values(), STACK]
STANDARD_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")


def _unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def variables(module_dir: Path) -> dict[str, dict[str, Any]]:
    """``{name: block}`` of a module's variables, parsed by python-hcl2."""
    doc = hcl2.load((module_dir / "variables.tf").open(encoding="utf-8"))
    out: dict[str, dict[str, Any]] = {}
    for entry in doc.get("variable", []):
        for name, block in entry.items():
            out[_unquote(name)] = block
    return out


def _norm(type_expr: str) -> str:
    return re.sub(r"\s+", "", type_expr)


def object_attributes(type_expr: str) -> dict[str, str]:
    """Top-level attributes of the outermost ``object({...})`` in a type expression,
    each with its type text (whitespace removed, nested objects kept whole)."""
    start = type_expr.index("object({") + len("object({")
    depth, attr_start, out = 0, start, {}
    for i in range(start, len(type_expr)):
        ch = type_expr[i]
        if ch in "({":
            depth += 1
        elif ch in ")}":
            if depth == 0:
                break
            depth -= 1
        if depth == 0 and ch == ",":
            name, _, typ = type_expr[attr_start:i].partition("=")
            out[name.strip()] = _norm(typ)
            attr_start = i + 1
    name, _, typ = type_expr[attr_start:i].partition("=")
    if name.strip():
        out[name.strip()] = _norm(typ)
    return out


def _fields(fields: dict[str, str]) -> dict[str, str]:
    return {k: _norm(v) for k, v in fields.items()}


def test_standard_layout() -> None:
    for module_dir in ALL_MODULE_DIRS:
        for name in STANDARD_FILES:
            assert (module_dir / name).is_file(), f"{module_dir} lacks {name}"
    for module_dir in [MODULES / "placement", *CLOUD_MODULE_DIRS.values()]:
        examples = list((module_dir / "examples").glob("*/main.tf"))
        assert examples, f"{module_dir} has no examples/*/main.tf"


@pytest.mark.parametrize("module_dir", ALL_MODULE_DIRS, ids=lambda p: p.name)
def test_every_variable_typed_and_described(module_dir: Path) -> None:
    for name, block in variables(module_dir).items():
        assert block.get("type"), f"{module_dir.name}: variable {name} has no type"
        assert len(_unquote(block.get("description", ""))) > 10, (
            f"{module_dir.name}: variable {name} has no description"
        )


@pytest.mark.parametrize("module_dir", [*CLOUD_MODULE_DIRS.values(), STACK], ids=lambda p: p.name)
def test_provider_versions_pinned(module_dir: Path) -> None:
    doc = hcl2.load((module_dir / "versions.tf").open(encoding="utf-8"))
    terraform = doc["terraform"][0]
    assert _unquote(terraform["required_version"]).startswith(">= 1.0")
    providers = terraform["required_providers"][0]
    providers = {k: v for k, v in providers.items() if not k.startswith("__")}
    assert providers
    for name, spec in providers.items():
        assert _unquote(spec["source"]) == f"hashicorp/{name}"
        assert re.fullmatch(r"~> \d+\.\d+", _unquote(spec["version"])), spec["version"]


def test_placement_module_is_provider_free() -> None:
    doc = hcl2.load((MODULES / "placement" / "versions.tf").open(encoding="utf-8"))
    assert "required_providers" not in doc["terraform"][0]
    for tf_file in (MODULES / "placement").glob("*.tf"):
        text = tf_file.read_text(encoding="utf-8")
        assert not re.search(r'^\s*(resource|data|provider)\s+"', text, re.M), tf_file


@pytest.mark.parametrize("module_dir", [MODULES / "placement", STACK], ids=lambda p: p.name)
def test_contract_variables_match_generator(module_dir: Path) -> None:
    vs = variables(module_dir)
    assert object_attributes(vs["placements"]["type"]) == _fields(gen.PLACEMENT_FIELDS)
    assert vs["placements"]["type"].startswith("${map(object(")
    assert object_attributes(vs["regionplan"]["type"]) == _fields(gen.REGIONPLAN_FIELDS)


def test_stack_contract_variables_are_the_placement_modules() -> None:
    """The stack copies the contract variables; the copies must be identical."""
    placement, stack = variables(MODULES / "placement"), variables(STACK)
    for name in ("regionplan", "placements"):
        assert stack[name] == placement[name]


@pytest.mark.parametrize("cloud", sorted(CLOUD_MODULE_DIRS))
def test_cloud_module_pools_match_contract(cloud: str) -> None:
    vs = variables(CLOUD_MODULE_DIRS[cloud])
    assert object_attributes(vs["pools"]["type"]) == _fields(gen.PLACEMENT_FIELDS)


@pytest.mark.parametrize("cloud", sorted(CLOUD_MODULE_DIRS))
def test_generated_module_call_matches_cloud_module(cloud: str) -> None:
    """The generated call passes only declared variables, and every required one."""
    region = {"aws": "us-east-1", "gcp": "europe-west4", "azure": "westeurope"}[cloud]
    call = gen.fleet_module_call(cloud, region, "../../modules")
    args = {k for k in call if k not in ("source", "providers")}
    vs = variables(CLOUD_MODULE_DIRS[cloud])
    assert args <= set(vs), f"not declared by {cloud} module: {args - set(vs)}"
    required = {name for name, block in vs.items() if "default" not in block}
    assert required <= args, f"required but not passed: {required - args}"
    assert call["providers"] == {gen.PROVIDER_NAMES[cloud]:
                                 f"{gen.PROVIDER_NAMES[cloud]}.{gen.provider_alias(region)}"}
    assert call["source"].endswith(f"/{gen.FLEET_MODULES[cloud]}")


def test_generated_files_reference_declared_stack_variables() -> None:
    stack_vars = set(variables(STACK))
    plan = load_fixture("seven_regions.json")
    files = gen.generate(plan, "json")
    referenced = set()
    for name in (gen.PROVIDERS_FILE, gen.FLEET_FILE):
        referenced |= set(re.findall(r"\bvar\.(\w+)", files[name]))
    assert referenced and referenced <= stack_vars, referenced - stack_vars


def test_generated_stack_files_one_provider_and_call_per_region() -> None:
    plan = load_fixture("seven_regions.json")
    files = gen.generate(plan, "json")
    providers = json.loads(files[gen.PROVIDERS_FILE])["provider"]
    fleet = json.loads(files[gen.FLEET_FILE])
    regions = sorted({(p["provider"], p["region"]) for p in plan["placements"]})
    assert len(regions) == 7
    aliases = {(cloud, b["alias"]) for cloud, blocks in providers.items() for b in blocks}
    assert aliases == {(gen.PROVIDER_NAMES[c], gen.provider_alias(r)) for c, r in regions}
    assert sorted(fleet["module"]) == sorted(gen.fleet_module_name(c, r) for c, r in regions)
    for cloud, region in regions:
        call = fleet["module"][gen.fleet_module_name(cloud, region)]
        provider = gen.PROVIDER_NAMES[cloud]
        assert call["providers"] == {provider: f"{provider}.{gen.provider_alias(region)}"}
        region_arg = "location" if cloud == "azure" else "region"
        assert call[region_arg] == region
        assert call["pools"] == f'${{module.placement.fleets["{cloud}/{region}"].pools}}'
    for block in providers["aws"]:
        assert block["region"].replace("-", "_") == block["alias"]


def test_region_patterns_and_gpu_models_match_module() -> None:
    text = (MODULES / "placement" / "variables.tf").read_text(encoding="utf-8")
    for cloud, pattern in gen.REGION_PATTERNS.items():
        assert f'{cloud:<5} = "{pattern}"' in text, cloud
    assert f'"{gen.NAME_PATTERN}"' in text
    assert f'"{gen.INSTANCE_TYPE_PATTERN}"' in text
    listed = re.search(r"contains\(\[\s*([^\]]*)\]\s*,\s*p\.gpu_model\)", text)
    assert listed
    assert tuple(re.findall(r'"([^"]+)"', listed.group(1))) == gen.GPU_MODELS
    for cloud in gen.CLOUDS:
        module_text = (CLOUD_MODULE_DIRS[cloud] / "variables.tf").read_text(encoding="utf-8")
        assert f'"{gen.REGION_PATTERNS[cloud]}"' in module_text


def test_cloud_modules_declare_the_resources_the_issue_names() -> None:
    expected = {
        "aws": {"aws_launch_template", "aws_autoscaling_group"},
        "gcp": {"google_compute_instance_template", "google_compute_region_instance_group_manager"},
        "azure": {"azurerm_linux_virtual_machine_scale_set"},
    }
    for cloud, kinds in expected.items():
        doc = hcl2.load((CLOUD_MODULE_DIRS[cloud] / "main.tf").open(encoding="utf-8"))
        declared = {_unquote(k) for entry in doc.get("resource", []) for k in entry}
        assert kinds <= declared, cloud


@pytest.mark.terraform
@pytest.mark.filterwarnings("ignore:The .warn. method is deprecated:DeprecationWarning")
def test_terraform_fmt_check_all(terraform_env: None, tmp_path: Path) -> None:
    """``terraform fmt -check -recursive terraform/`` passes (every .tf and .tfvars)."""
    tf = Tf(tmp_path)
    rc, out, err = tf.fmt_check(TERRAFORM_DIR)
    assert rc == 0, out + err
