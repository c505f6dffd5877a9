"""Terraform variables (and provider blocks) from a plan.json.

The generator has two halves:

* **pure generation** — :func:`tfvars_values` turns a plan dict into the variable
  values of the contract below, and :func:`render_tfvars_json`, :func:`render_tfvars_hcl`,
  :func:`render_providers` and :func:`render_fleet` turn those into file contents;
  :func:`generate` bundles them as ``{file name: text}``. No I/O.
* **the writer** — :func:`write_tfvars` hands them to :func:`planner.emit.files.write_files`,
  which writes atomically and keeps a manifest (``.regionplan-manifest.json``) of what it
  wrote, so it refuses to overwrite a file someone edited by hand (or that it never
  wrote) unless ``force=True``.

The variable contract (``terraform/modules/placement/variables.tf`` declares the same
types; ``tests/terraform/test_contract.py`` compares the two):

* ``regionplan`` — object, :data:`REGIONPLAN_FIELDS`: schema version, scenario, status,
  horizon, prices and plan totals (informational; totals are over the horizon).
* ``placements`` — map keyed ``"<cloud>/<region>/<workload>"`` of objects with
  :data:`PLACEMENT_FIELDS`: one entry per workload x cloud x region with GPU model,
  instance type, peak instance count, GPUs, the plan's figures as informational fields,
  and what is deployed (:mod:`planner.emit.deploy`): purchase option, $/instance-hour,
  the schedule as dated steps or cron recurrences, instance-hours and deployed cost.

Injection policy (documented in ``terraform/README.md``): *identifiers* — workload names,
clouds, regions, GPU models, instance types — become Terraform map keys, module names
and cloud resource names, so they are **rejected** unless they match a strict pattern
(:data:`NAME_PATTERN` and friends); escaping would not make them valid resource names.
*Free text* — the scenario name, timestamps, versions — is **escaped**: JSON files
through :func:`json.dumps` (Terraform reads ``.tfvars.json`` values literally), HCL
through :func:`hcl_quote` (``"`` ``\\`` control characters, ``${`` and ``%{``). Free
text never reaches a ``.tf.json`` file, where strings are templates.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.emit import stackfiles
from planner.emit.deploy import Deployed, DeployError, cost_report, deploy_placement
from planner.emit.files import (
    MANIFEST_FILE,
    OverwriteRefusedError,
    StagedFiles,
    atomic_write_text,
    commit_file_sets,
    sha256_text,
    stage_files,
    write_files,
)
from planner.emit.hcl import HclError, hcl_quote
from planner.emit.hcl import render_tfvars_hcl as _render_hcl

__all__ = [
    "MANIFEST_FILE",
    "OverwriteRefusedError",
    "TfvarsError",
    "atomic_write_text",
    "generate",
    "hcl_quote",
    "sha256_text",
    "stage_tfvars",
    "tfvars_values",
    "write_files",
    "write_tfvars",
]

SCHEMA_VERSION = 1
"""The plan.json schema version this generator reads."""

CLOUDS: tuple[str, ...] = ("aws", "gcp", "azure")
GPU_MODELS: tuple[str, ...] = (
    "H100", "H100-NVL", "H200", "B200", "A100-40GB", "A100-80GB", "L40S", "V100", "V100-32GB",
    "T4", "A10", "A10G", "L4",
)
KINDS: tuple[str, ...] = ("training", "inference")

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
"""Workload names: letters, digits, ``_ . -``, at most 63 characters, no leading dot."""
INSTANCE_TYPE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
REGION_PATTERNS: dict[str, str] = {
    "aws": r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$",  # us-east-1, us-gov-west-1, ap-southeast-2
    "gcp": r"^[a-z]+-[a-z]+[0-9]{1,2}$",  # europe-west4, northamerica-northeast1
    "azure": r"^[a-z][a-z0-9]{2,39}$",  # westeurope, eastus2 (lower-case ARM names)
}

REGIONPLAN_FIELDS: dict[str, str] = {
    "schema_version": "number",
    "regionplan_version": "string",
    "scenario_name": "string",
    "scenario_sha256": "string",
    "status": "string",
    "accounting": "string",
    "horizon_start_utc": "string",
    "horizon_hours": "number",
    "carbon_price_usd_per_tco2e": "number",
    "water_price_usd_per_m3": "number",
    "cost_usd": "number",
    "usd_per_hour": "number",
    "carbon_tco2e": "number",
    "water_m3": "number",
    "energy_mwh": "number",
    "gpu_hours": "number",
    "compute_usd": "number",  # the plan's compute cost over the horizon
    "deployed_cost_usd": "number",  # Σ placements' deployed_cost_usd
}
"""Attributes of the ``regionplan`` variable and their Terraform types."""

STEP_TYPE = "list(object({ start_utc = string, hours = number, instances = number }))"
"""Dated steps: from ``start_utc`` run ``instances`` for ``hours`` (0 h: after the horizon)."""
RECURRENCE_TYPE = (
    "list(object({ cron = string, months = list(number), days = list(string), hour = number, "
    "hours = number, instances = number, hours_in_horizon = number }))"
)
"""Recurrences: from ``cron`` (UTC; ``months`` [] = every month) run ``instances`` for
``hours``."""

PLACEMENT_FIELDS: dict[str, str] = {
    "workload": "string",
    "kind": "string",
    "cloud": "string",
    "region": "string",
    "gpu_model": "string",
    "instance_type": "string",
    "gpus_per_instance": "number",
    "instance_count": "number",
    "gpus": "number",  # instance_count * gpus_per_instance (provisioned)
    "peak_gpus": "number",  # the plan's peak, may be fractional (informational)
    "usd_per_hour": "number",  # cost_usd / horizon hours (informational)
    "cost_usd": "number",  # over the horizon (informational)
    "carbon_tco2e": "number",  # over the horizon (informational)
    "water_m3": "number",  # over the horizon (informational)
    "energy_mwh": "number",  # over the horizon (informational)
    "gpu_hours": "number",  # over the horizon (informational)
    "purchase": "string",  # on_demand | spot | committed
    "usd_per_instance_hour": "number",  # billed for that purchase option
    "schedule_kind": "string",  # dated | daily | weekly | month_hour
    "scaling_actions": "number",
    "instance_hours": "number",  # Σ steps/recurrences instances x hours (deployed)
    "deployed_cost_usd": "number",  # instance_hours x usd_per_instance_hour
    "steps": STEP_TYPE,
    "recurrences": RECURRENCE_TYPE,
}
"""Attributes of each ``placements`` entry and their Terraform types (the contract)."""

TFVARS_JSON = "placement.auto.tfvars.json"
TFVARS_HCL = "placement.tfvars"
COST_REPORT = "deployed_cost.json"
PROVIDERS_FILE = "providers.tf.json"
FLEET_FILE = "fleet.tf.json"
FORMATS = ("json", "hcl", "both")

PROVIDER_NAMES: dict[str, str] = {"aws": "aws", "gcp": "google", "azure": "azurerm"}
"""Terraform provider local name per cloud."""
FLEET_MODULES: dict[str, str] = {
    "aws": "aws_gpu_fleet",
    "gcp": "gcp_gpu_fleet",
    "azure": "azure_gpu_fleet",
}
"""Module directory (under ``terraform/modules``) that builds one region's fleet."""

_REGION_ARG = {"aws": "region", "gcp": "region", "azure": "location"}

# Arguments of each cloud module call besides the region and `pools`; values are
# Terraform expressions over the stack's variables (terraform/stacks/fleet/variables.tf).
# `{region}` is replaced by the (validated) region name.
FLEET_MODULE_ARGS: dict[str, dict[str, str]] = {
    "aws": {
        "name_prefix": "${var.name_prefix}",
        "tags": "${var.tags}",
        "subnet_ids": '${lookup(var.aws_subnet_ids, "{region}", [])}',
    },
    "gcp": {
        "name_prefix": "${var.name_prefix}",
        "project_id": "${var.gcp_project_id}",
        "network": "${var.gcp_network}",
        "labels": "${var.gcp_labels}",
    },
    "azure": {
        "name_prefix": "${var.name_prefix}",
        "tags": "${var.tags}",
        "admin_ssh_public_key": "${var.azure_admin_ssh_public_key}",
    },
}

_GENERATED_NOTE = (
    "Generated by regionplan tfvars from a plan.json. Do not edit: regenerate. "
    "See terraform/README.md for the variable contract."
)


class TfvarsError(ValueError):
    """The plan cannot be turned into Terraform variables (names the field and value)."""


# ----------------------------------------------------------------------------------------
# Pure generation
# ----------------------------------------------------------------------------------------


def _number(value: Any, where: str) -> float:
    """A finite number (bool rejected); NaN/inf cannot be written to JSON or HCL."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TfvarsError(f"{where}: expected a number, got {value!r}")
    x = float(value)  # plain float also for numpy scalars
    if not math.isfinite(x):
        raise TfvarsError(f"{where}: expected a finite number, got {value!r}")
    return x


def _whole(value: Any, where: str, minimum: int) -> int:
    x = _number(value, where)
    if x != math.floor(x) or x < minimum:
        raise TfvarsError(f"{where}: expected a whole number >= {minimum}, got {value!r}")
    return int(x)


def _nonneg(value: Any, where: str) -> float:
    x = _number(value, where)
    if x < 0:
        raise TfvarsError(f"{where}: expected a non-negative number, got {value!r}")
    return x


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise TfvarsError(f"{where}: expected a string, got {value!r}")
    return value


def _match(value: Any, pattern: str, where: str, what: str) -> str:
    s = _text(value, where)
    if not re.fullmatch(pattern, s):
        raise TfvarsError(f"{where}: {what} {s!r} does not match {pattern}")
    return s


def check_workload_name(name: Any, where: str = "workload") -> str:
    """Return ``name`` if it is a safe workload name, else raise :class:`TfvarsError`."""
    return _match(name, NAME_PATTERN, where, "workload name")


def check_region(cloud: str, region: Any, where: str = "region") -> str:
    """Return ``region`` if it has ``cloud``'s region-name format, else raise."""
    if cloud not in REGION_PATTERNS:
        raise TfvarsError(f"{where}: unknown cloud {cloud!r}; expected one of {CLOUDS}")
    return _match(region, REGION_PATTERNS[cloud], where, f"{cloud} region")


def placement_key(cloud: str, region: str, workload: str) -> str:
    """The ``placements`` map key: ``"<cloud>/<region>/<workload>"``."""
    return f"{cloud}/{region}/{workload}"


def _meta(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The ``regionplan`` variable (without ``deployed_cost_usd``) from ``plan``."""
    if plan.get("schema_version") != SCHEMA_VERSION:
        raise TfvarsError(
            f"schema_version: expected {SCHEMA_VERSION}, got {plan.get('schema_version')!r}"
        )
    status = _text(plan.get("status"), "status")
    if status != "optimal":
        raise TfvarsError(f"status: the plan is {status!r}; only optimal plans are emitted")
    try:
        scenario = plan["scenario"]
        horizon = plan["horizon"]
        objective = plan["objective"]
        totals = plan["totals"]
    except KeyError as exc:
        raise TfvarsError(f"plan lacks the {exc.args[0]!r} section") from exc
    hours = _number(horizon.get("hours"), "horizon.hours")
    if hours <= 0:
        raise TfvarsError(f"horizon.hours: expected a positive number, got {hours!r}")
    cost_usd = _nonneg(totals.get("cost_usd"), "totals.cost_usd")
    return {
        "schema_version": SCHEMA_VERSION,
        "regionplan_version": _text(plan.get("regionplan_version"), "regionplan_version"),
        "scenario_name": _text(scenario.get("name"), "scenario.name"),
        "scenario_sha256": _text(scenario.get("sha256"), "scenario.sha256"),
        "status": status,
        "accounting": _text(plan.get("accounting"), "accounting"),
        "horizon_start_utc": _text(horizon.get("start_utc"), "horizon.start_utc"),
        "horizon_hours": hours,
        "carbon_price_usd_per_tco2e": _number(
            objective.get("carbon_price_usd_per_tco2e"), "objective.carbon_price_usd_per_tco2e"
        ),
        "water_price_usd_per_m3": _number(
            objective.get("water_price_usd_per_m3"), "objective.water_price_usd_per_m3"
        ),
        "cost_usd": cost_usd,
        "usd_per_hour": cost_usd / hours,
        "carbon_tco2e": _nonneg(totals.get("carbon_tco2e"), "totals.carbon_tco2e"),
        "water_m3": _nonneg(totals.get("water_m3"), "totals.water_m3"),
        "energy_mwh": _nonneg(totals.get("energy_mwh"), "totals.energy_mwh"),
        "gpu_hours": _nonneg(totals.get("gpu_hours"), "totals.gpu_hours"),
        "compute_usd": _nonneg(totals.get("compute_usd", cost_usd), "totals.compute_usd"),
    }


def _identify(row: Any, i: int) -> tuple[str, str, str]:
    """(cloud, region, workload) of placement row ``i``, validated."""
    where = f"placements[{i}]"
    if not isinstance(row, Mapping):
        raise TfvarsError(f"{where}: expected an object, got {row!r}")
    cloud = _text(row.get("provider"), f"{where}.provider")
    if cloud not in CLOUDS:
        raise TfvarsError(f"{where}.provider: unknown cloud {cloud!r}; expected one of {CLOUDS}")
    workload = check_workload_name(row.get("workload"), f"{where}.workload")
    region = check_region(cloud, row.get("region"), f"{where}.region")
    return cloud, region, workload


def _placement(row: Mapping[str, Any], key: str, hours: float, dep: Deployed) -> dict[str, Any]:
    """One ``placements`` entry (the contract) for a validated row and its deployment."""
    where = f"placement {key}"
    gpu_model = _text(row.get("gpu_model"), f"{where}: gpu_model")
    if gpu_model not in GPU_MODELS:
        raise TfvarsError(f"{where}: gpu_model {gpu_model!r} is not a known GPU model {GPU_MODELS}")
    kind = _text(row.get("kind"), f"{where}: kind")
    if kind not in KINDS:
        raise TfvarsError(f"{where}: kind {kind!r} is not one of {KINDS}")
    instance_type = _match(row.get("instance_type"), INSTANCE_TYPE_PATTERN,
                           f"{where}: instance_type", "instance type")
    gpi = _whole(row.get("gpus_per_instance"), f"{where}: gpus_per_instance", 1)
    _whole(row.get("instances"), f"{where}: instances", 0)
    cost = _nonneg(row.get("cost_usd"), f"{where}: cost_usd")
    count = dep.schedule.peak_instances
    return {
        "workload": row["workload"], "kind": kind, "cloud": row["provider"],
        "region": row["region"], "gpu_model": gpu_model, "instance_type": instance_type,
        "gpus_per_instance": gpi, "instance_count": count, "gpus": count * gpi,
        "peak_gpus": _nonneg(row.get("peak_gpus"), f"{where}: peak_gpus"),
        "usd_per_hour": cost / hours,
        "cost_usd": cost,
        "carbon_tco2e": _nonneg(row.get("carbon_tco2e"), f"{where}: carbon_tco2e"),
        "water_m3": _nonneg(row.get("water_m3"), f"{where}: water_m3"),
        "energy_mwh": _nonneg(row.get("energy_mwh"), f"{where}: energy_mwh"),
        "gpu_hours": _nonneg(row.get("gpu_hours"), f"{where}: gpu_hours"),
        "purchase": dep.purchase,
        "usd_per_instance_hour": dep.usd_per_instance_hour,
        "schedule_kind": dep.schedule.kind,
        "scaling_actions": dep.schedule.actions,
        "instance_hours": dep.instance_hours,
        "deployed_cost_usd": dep.deployed_cost_usd,
        "steps": dep.steps,
        "recurrences": dep.recurrences,
    }


def deploy_values(
    plan: Mapping[str, Any], *, max_actions: int | None = None, smooth: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The contract's variable values and the deployed-cost report for ``plan``.

    ``max_actions`` caps the scaling actions per placement (below the cloud's own limit);
    ``smooth`` merges steps of a placement over the cap instead of refusing it. Raises
    :class:`TfvarsError` naming the placement and field when the plan is not optimal, a
    name is outside its pattern, a count is negative or fractional, a figure is missing
    or not finite, two placements share a workload x cloud x region, or a schedule needs
    more scaling actions than allowed (without ``smooth``).
    """
    meta = _meta(plan)
    rows = plan.get("placements")
    # A list from plan.json, a tuple from Plan.to_dict(): any sequence but a string.
    if isinstance(rows, str | bytes) or not isinstance(rows, list | tuple):
        raise TfvarsError("placements: expected a list")
    placements: dict[str, dict[str, Any]] = {}
    deployed: list[Deployed] = []
    keys = [placement_key(*_identify(row, i)) for i, row in enumerate(rows)]
    for i, row in enumerate(rows):
        key = keys[i]
        if keys.count(key) > 1:  # one workload bought two ways (or types) in one region
            key = f"{key}/{row.get('purchase', 'on_demand')}/{row.get('instance_type')}"
        if key in placements:
            raise TfvarsError(f"placement {key}: appears twice in the plan; the contract has "
                              "one entry per workload x region x purchase x instance type")
        _whole(row.get("gpus_per_instance"), f"placement {key}: gpus_per_instance", 1)
        _whole(row.get("instances"), f"placement {key}: instances", 0)
        if row.get("kind") not in KINDS:
            raise TfvarsError(f"placement {key}: kind {row.get('kind')!r} is not one of {KINDS}")
        try:
            dep = deploy_placement(plan, row, key, max_actions=max_actions, smooth=smooth)
        except DeployError as exc:
            raise TfvarsError(str(exc)) from exc
        placements[key] = _placement(row, key, meta["horizon_hours"], dep)
        deployed.append(dep)
    meta["deployed_cost_usd"] = sum(d.deployed_cost_usd for d in deployed)
    values = {"regionplan": meta, "placements": dict(sorted(placements.items()))}
    return values, cost_report(plan, deployed)


def tfvars_values(
    plan: Mapping[str, Any], *, max_actions: int | None = None, smooth: bool = False
) -> dict[str, Any]:
    """The contract's variable values (``regionplan`` and ``placements``) for ``plan``
    (see :func:`deploy_values`)."""
    return deploy_values(plan, max_actions=max_actions, smooth=smooth)[0]


def _json_number(x: float | int) -> float | int:
    """Whole floats as ints, so counts read ``8`` rather than ``8.0``."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _json_number(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    raise TypeError(f"cannot serialise {type(value).__name__}")


def render_tfvars_json(values: Mapping[str, Any]) -> str:
    """``placement.auto.tfvars.json`` text. Terraform reads these values literally."""
    return json.dumps(_jsonable(values), indent=2, ensure_ascii=True, allow_nan=False) + "\n"


def render_tfvars_hcl(values: Mapping[str, Any]) -> str:
    """``placement.tfvars`` text (HCL), formatted as ``terraform fmt`` would."""
    try:
        return _render_hcl(values, _GENERATED_NOTE)
    except HclError as exc:
        raise TfvarsError(str(exc)) from exc


def provider_alias(region: str) -> str:
    """Provider alias for a (validated) region: ``us-east-1`` → ``us_east_1``."""
    return region.replace("-", "_")


def fleet_module_name(cloud: str, region: str) -> str:
    """Module call name for one cloud region: ``fleet_aws_us_east_1``."""
    return f"fleet_{cloud}_{provider_alias(region)}"


def _fleet_regions(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    return sorted({(p["cloud"], p["region"]) for p in values["placements"].values()})


def render_providers(values: Mapping[str, Any]) -> str:
    """``providers.tf.json``: one aliased provider per cloud region of the plan.

    Terraform cannot create provider configurations with ``for_each``, so each region
    gets its own block; only validated region names reach this file (it is a template
    context). GCP reads ``var.gcp_project_id``; Azure ``var.azure_subscription_id``
    (``null`` falls back to ``ARM_SUBSCRIPTION_ID``).
    """
    providers: dict[str, list[dict[str, Any]]] = {}
    for cloud, region in _fleet_regions(values):
        block: dict[str, Any] = {"alias": provider_alias(region)}
        if cloud == "aws":
            block["region"] = region
        elif cloud == "gcp":
            block["project"] = "${var.gcp_project_id}"
            block["region"] = region
        else:
            block["features"] = [{}]
            block["subscription_id"] = "${var.azure_subscription_id}"
        providers.setdefault(PROVIDER_NAMES[cloud], []).append(block)
    doc: dict[str, Any] = {"//": _GENERATED_NOTE}
    if providers:
        doc["provider"] = providers
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def fleet_module_call(cloud: str, region: str, modules_source: str) -> dict[str, Any]:
    """The module block (JSON syntax) that builds ``cloud``/``region``'s fleet."""
    region = check_region(cloud, region)
    fleet_key = f"{cloud}/{region}"
    call: dict[str, Any] = {
        "source": f"{modules_source.rstrip('/')}/{FLEET_MODULES[cloud]}",
        "providers": {PROVIDER_NAMES[cloud]: f"{PROVIDER_NAMES[cloud]}.{provider_alias(region)}"},
        _REGION_ARG[cloud]: region,
        "pools": f'${{module.placement.fleets["{fleet_key}"].pools}}',
    }
    for arg, expr in FLEET_MODULE_ARGS[cloud].items():
        call[arg] = expr.replace("{region}", region)
    return call


def render_fleet(values: Mapping[str, Any], modules_source: str = "../../modules") -> str:
    """``fleet.tf.json``: one cloud-module call per region, passing its aliased provider.

    ``modules_source`` is the path (relative to the output directory) of
    ``terraform/modules``; the default fits ``terraform/stacks/<stack>``. Also writes the
    ``fleet_groups`` output (``"<cloud>/<region>"`` → the module's ``groups`` output).
    """
    if "${" in modules_source or "%{" in modules_source or '"' in modules_source:
        raise TfvarsError(f"modules_source {modules_source!r} contains template characters")
    modules: dict[str, Any] = {}
    groups: dict[str, str] = {}
    for cloud, region in _fleet_regions(values):
        name = fleet_module_name(cloud, region)
        modules[name] = fleet_module_call(cloud, region, modules_source)
        groups[f"{cloud}/{region}"] = f"${{module.{name}.groups}}"
    doc: dict[str, Any] = {"//": _GENERATED_NOTE}
    if modules:
        doc["module"] = modules
    doc["output"] = {
        "fleet_groups": {
            "description": "Map \"<cloud>/<region>\" => that region's GPU groups.",
            "value": groups,
        }
    }
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def generate(
    plan: Mapping[str, Any],
    fmt: str = "both",
    *,
    stack: bool = True,
    modules_source: str = "../../modules",
    max_actions: int | None = None,
    smooth: bool = False,
    with_report: bool = False,
) -> dict[str, str]:
    """All files for ``plan`` as ``{file name: text}`` (pure).

    ``fmt`` is ``json`` (``placement.auto.tfvars.json``), ``hcl`` (``placement.tfvars``)
    or ``both``. With ``stack`` the provider blocks and module calls are added
    (``providers.tf.json``, ``fleet.tf.json``); with ``with_report``, ``deployed_cost.json``
    (the deployed cost per placement and in total). ``max_actions``/``smooth``: see
    :func:`deploy_values`.
    """
    if fmt not in FORMATS:
        raise TfvarsError(f"format {fmt!r}: expected one of {FORMATS}")
    values, report = deploy_values(plan, max_actions=max_actions, smooth=smooth)
    files: dict[str, str] = {}
    if fmt in ("json", "both"):
        files[TFVARS_JSON] = render_tfvars_json(values)
    if fmt in ("hcl", "both"):
        files[TFVARS_HCL] = render_tfvars_hcl(values)
    if stack:
        files[PROVIDERS_FILE] = render_providers(values)
        files[FLEET_FILE] = render_fleet(values, modules_source)
    if with_report:
        files[COST_REPORT] = json.dumps(_jsonable(report), indent=2, allow_nan=False) + "\n"
    return files


def stage_tfvars(
    plan: Mapping[str, Any],
    out_dir: Path,
    fmt: str = "both",
    force: bool = False,
    *,
    stack: bool = True,
    modules_source: str | None = None,
    max_actions: int | None = None,
    smooth: bool = False,
) -> list[StagedFiles]:
    """Stage the Terraform files for ``plan`` (see :func:`write_tfvars`); nothing in place
    changes until :func:`planner.emit.files.commit_file_sets`. One staged set per
    directory (``out_dir`` and, for copied modules, each module directory), each with its
    own manifest."""
    out_dir = Path(out_dir)
    extra: dict[str, str] = {}
    if modules_source is None:
        try:
            if not stack or stackfiles.own_root(out_dir):
                modules_source = stackfiles.resolved_modules_source(out_dir)
            else:
                extra = stackfiles.copied_files()
                modules_source = f"./{stackfiles.COPIED_MODULES}"
        except stackfiles.StackError as exc:
            raise TfvarsError(str(exc)) from exc
    files = generate(plan, fmt, stack=stack, modules_source=modules_source,
                     max_actions=max_actions, smooth=smooth, with_report=True)
    groups: dict[str, dict[str, str]] = {}
    for name, text in {**extra, **files}.items():
        sub, _, base = name.rpartition("/")
        groups.setdefault(sub, {})[base] = text
    sets: list[StagedFiles] = []
    try:
        for sub, group in sorted(groups.items()):
            sets.append(stage_files(out_dir / sub if sub else out_dir, group, force))
    except BaseException:
        for staged in sets:
            staged.abandon()
        raise
    return sets


def write_tfvars(
    plan: Mapping[str, Any],
    out_dir: Path,
    fmt: str = "both",
    force: bool = False,
    *,
    stack: bool = True,
    modules_source: str | None = None,
    max_actions: int | None = None,
    smooth: bool = False,
) -> list[Path]:
    """Write the Terraform files for ``plan`` into ``out_dir``; return the paths written.

    ``fmt``: ``json`` | ``hcl`` | ``both`` (the variables file(s)). ``stack`` adds
    ``providers.tf.json`` and ``fleet.tf.json`` (one aliased provider and one module call
    per cloud region). ``modules_source`` (relative to ``out_dir``) is used as given;
    ``None`` resolves it: a directory with its own ``main.tf`` (such as
    ``terraform/stacks/fleet``) points at this tree's ``terraform/modules``; any other
    gets the stack root and a copy of the modules (:mod:`planner.emit.stackfiles`).
    ``force`` overwrites files the generator did not write or that were edited by hand.
    Also writes ``deployed_cost.json``. Raises :class:`TfvarsError` for a plan that
    cannot be emitted, :class:`OverwriteRefusedError` when it refuses to overwrite and
    :class:`planner.emit.files.OutputPathError` for a target that cannot be written;
    nothing is written then.
    """
    return commit_file_sets(stage_tfvars(
        plan, out_dir, fmt, force, stack=stack, modules_source=modules_source,
        max_actions=max_actions, smooth=smooth))
