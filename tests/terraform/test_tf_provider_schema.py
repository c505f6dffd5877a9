"""Every resource type, argument and block of the cloud modules exists in its provider's
schema, read offline from the prebuilt CDK for Terraform provider packages
(``cdktf-cdktf-provider-aws``/``-google``/``-azurerm``, the ``tfcheck`` extra).

Each package ships one Python module per resource whose ``<Resource>Config`` class
(and one class per nested block) takes the resource's arguments as keyword parameters;
the docstring of each parameter links the Terraform Registry anchor, which is the
argument's Terraform name. The sources are parsed with :mod:`ast` (importing them would
start the jsii Node runtime and load a 100+ MB assembly).
"""

from __future__ import annotations

import ast
import importlib.util
import re
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
from tfhelpers import TERRAFORM_DIR

from planner.emit import tfvars as gen

PACKAGES = {"aws": "cdktf_cdktf_provider_aws", "google": "cdktf_cdktf_provider_google",
            "azurerm": "cdktf_cdktf_provider_azurerm"}
META = {"count", "for_each", "provider", "depends_on", "lifecycle", "dynamic"}
_ANCHOR = re.compile(r":param (\w+):[^\n]*?#(\w+) ")


def _package_dir(provider: str) -> Path:
    spec = importlib.util.find_spec(PACKAGES[provider])
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{PACKAGES[provider]} not installed (pip install '.[tfcheck]')")
    return Path(next(iter(spec.submodule_search_locations)))


def _camel(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


@cache
def _structs(provider: str, module: str) -> dict[str, dict[str, set[str]]]:
    """``{class: {terraform argument: {nested struct classes}}}`` of one resource module."""
    source = (_package_dir(provider) / module / "__init__.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    out: dict[str, dict[str, set[str]]] = {}
    for name, node in classes.items():
        init = next((f for f in node.body if isinstance(f, ast.FunctionDef)
                     and f.name == "__init__"), None)
        if init is None or not init.args.kwonlyargs:
            continue
        doc = ast.get_docstring(init) or ""
        tf_names = dict(_ANCHOR.findall(doc))
        args: dict[str, set[str]] = {}
        for arg in init.args.kwonlyargs:
            # Forward references are string annotations: take every identifier in it.
            refs = set(re.findall(r"\w+", ast.unparse(arg.annotation)))
            args[tf_names.get(arg.arg, arg.arg)] = {r for r in refs if r in classes and r != name}
        out[name] = args
    return out


def schema_for(resource_type: str, data: bool) -> tuple[str, str, str]:
    """(provider, module, Config class) of a resource or data source type."""
    provider, _, rest = resource_type.partition("_")
    module = f"data_{provider}_{rest}" if data else rest
    return provider, module, _camel(module) + "Config"


def _unq(s: str) -> str:
    return s.strip('"')


def _check_block(body: dict[str, Any], provider: str, module: str, cls: str, where: str,
                 missing: list[str]) -> None:
    structs = _structs(provider, module)
    args = structs[cls]
    for key, value in body.items():
        key = _unq(key)
        if key.startswith("__") or key in META - {"dynamic"}:
            continue
        if key == "dynamic":
            for dyn in value:
                for name, spec in dyn.items():
                    _check_nested(_unq(name), spec["content"][0], provider, module, cls, where,
                                  missing)
            continue
        if key not in args:
            missing.append(f"{where}: {key}")
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict) and args[key]:
            for block in value:
                _check_nested(key, block, provider, module, cls, where, missing)


def _check_nested(name: str, block: dict[str, Any], provider: str, module: str, cls: str,
                  where: str, missing: list[str]) -> None:
    args = _structs(provider, module)[cls]
    if name not in args or not args[name]:
        missing.append(f"{where}: block {name}")
        return
    (nested,) = sorted(args[name], key=len)[:1]
    _check_block(block, provider, module, nested, f"{where}.{name}", missing)


def _module_blocks(module_dir: Path) -> list[tuple[str, str, bool, dict[str, Any]]]:
    out = []
    for tf in sorted(module_dir.glob("*.tf")):
        doc = hcl2.loads(tf.read_text(encoding="utf-8"))
        for kind, is_data in (("resource", False), ("data", True)):
            for entry in doc.get(kind, []):
                for rtype, named in entry.items():
                    for rname, body in named.items():
                        out.append((_unq(rtype), _unq(rname), is_data, body))
    return out


@pytest.mark.parametrize("cloud", sorted(gen.FLEET_MODULES))
def test_every_argument_is_in_the_provider_schema(cloud: str) -> None:
    module_dir = TERRAFORM_DIR / "modules" / gen.FLEET_MODULES[cloud]
    blocks = _module_blocks(module_dir)
    assert blocks
    missing: list[str] = []
    for rtype, rname, is_data, body in blocks:
        provider, module, cls = schema_for(rtype, is_data)
        if not (_package_dir(provider) / module / "__init__.py").is_file():
            missing.append(f"{rtype}: no such {'data source' if is_data else 'resource'}")
            continue
        _check_block(body, provider, module, cls, f"{rtype}.{rname}", missing)
    assert not missing, "not in the provider schema:\n" + "\n".join(missing)


def test_checker_catches_a_wrong_argument() -> None:
    body = {"name_prefix": "x", "desired_capacityy": 1,
            "launch_template": [{"id": "lt", "versionn": "1"}]}
    missing: list[str] = []
    provider, module, cls = schema_for("aws_autoscaling_group", False)
    _package_dir(provider)
    _check_block(body, provider, module, cls, "asg", missing)
    assert missing == ["asg: desired_capacityy", "asg.launch_template: versionn"]
