"""The scenario reference (``docs/scenario.md``) and JSON Schema, generated from the models.

Every field of :class:`planner.scenario.Scenario` and its nested models gets a row: type
(with its bounds), unit, default, meaning (the field's description) and an example (from
the bundled example scenarios, else :data:`EXTRA_EXAMPLES`).

Regenerate the reference after changing a scenario field::

    python -m planner.scenario_docs            # rewrites docs/scenario.md
    python -m planner.scenario_docs --check    # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from planner.loader import MAX_ALIASES, MAX_DEPTH, MAX_EXPANDED_NODES, MAX_INPUT_BYTES
from planner.scenario import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    NAME_PATTERN,
    REGION_ID_PATTERN,
    Scenario,
    _inner_model,
)

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "scenario.md"
DATETIME_PATTERN = (r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                    r"(Z|[+-]\d{2}(:?\d{2})?)$")

PATTERN_NAMES = {NAME_PATTERN: "a name: letters, digits, '-', '_', '.'; ≤ 63",
                 REGION_ID_PATTERN: "provider/region, e.g. aws/us-east-1"}
UNIT_BY_NAME: dict[str, str] = {
    "hours": "hours", "gpu_hours": "GPU-hours", "max_gpus": "GPUs",
    "min_gpus_per_region": "GPUs", "rps": "requests/s", "requests_per_gpu_s": "requests/s per GPU",
    "max_region_share": "fraction (0–1]", "hourly_profile": "multiplier (mean 1)",
    "quotas": "GPUs", "min_regions": "regions", "start": "UTC date-time",
    "deadline": "UTC date-time",
}
UNIT_BY_SUFFIX: tuple[tuple[str, str], ...] = (
    ("_usd_per_tco2e", "USD/tCO2e"), ("_usd_per_m3", "USD/m³"), ("_tco2e", "tCO2e"),
    ("_usd", "USD"), ("_m3", "m³"), ("_gb", "GB"), ("_ms", "ms"), ("_s", "s"),
    ("_kwh", "kWh"), ("_h", "hours"),
)
EXTRA_EXAMPLES: dict[str, Any] = {
    "TrainingJob.spot_overhead_fraction": 0.08,
    "InferenceService.spot": True,
    "InferenceService.spot_overhead_fraction": 0.1,
    "InferenceService.committed": False,
    "Scenario.quotas": {"gcp/europe-west4": {"H100": 64}},
    "Scenario.exclude_regions": ["aws/us-east-1"],
    "Scenario.fill_missing": {"pue": 1.2},
    "Scenario.limits": {"carbon_tco2e": 25},
    "Scenario.time_shifting": False,
    "Scenario.accounting": "market",
    "Scenario.grid_carbon_basis": "direct",
    "Scenario.water_fallback": False,
    "Horizon.representative": "month-hour",
    "TrainingJob.checkpoint_gb": 500,
    "TrainingJob.single_region": True,
    "TrainingJob.window": {"start": "2027-01-04T00:00Z", "deadline": "2027-01-08T00:00Z"},
    "TrainingJob.data": {"home": "aws/us-east-1", "size_gb": 4000},
    "TrainingJob.allowed_jurisdictions": ["EU", "United States"],
    "TrainingJob.min_run_hours": 4,
    "TrainingJob.restart_overhead_gpu_hours": 128,
    "TrainingJob.min_gpus": 64,
    "InferenceService.failover_latency_slo_ms": 90,
    "InferenceService.max_region_share": 0.6,
    "InferenceService.min_gpus_per_region": 2,
    "InferenceService.min_regions": 2,
    "InferenceService.allowed_jurisdictions": ["EU"],
    "Demand.residency": "EU",
    "Objective.water_scarcity_weighted": True,
    "Limits.carbon_tco2e": 25,
    "Limits.cost_usd": 250000,
    "Limits.water_m3": 500,
}


# ---------------------------------------------------------------------------------------
# JSON Schema


def json_schema() -> dict[str, Any]:
    """The scenario's JSON Schema (draft 2020-12), for editors and validators.

    Date-times are described by a pattern instead of ``format: date-time``: scenarios
    may omit seconds (``2027-01-04T00:00Z``), which RFC 3339 validators would flag.
    """
    schema = Scenario.model_json_schema()
    _relax_datetimes(schema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _relax_datetimes(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            del node["format"]
            node["pattern"] = DATETIME_PATTERN
        for value in node.values():
            _relax_datetimes(value)
    elif isinstance(node, list):
        for value in node:
            _relax_datetimes(value)


# ---------------------------------------------------------------------------------------
# Markdown reference


def models_in_order() -> list[type[BaseModel]]:
    """Scenario, then each nested model in the order its first field appears."""
    order: list[type[BaseModel]] = []
    queue: list[type[BaseModel]] = [Scenario]
    while queue:
        model = queue.pop(0)
        if model in order:
            continue
        order.append(model)
        for field in model.model_fields.values():
            inner = _inner_model(field.annotation)
            if inner is not None and inner not in order:
                queue.append(inner)
    return order


def bundled_examples() -> dict[str, Any]:
    """``{file name: parsed YAML}`` of the example scenarios shipped with the package."""
    root = resources.files("planner") / "examples"
    return {e.name: yaml.safe_load(e.read_text(encoding="utf-8"))
            for e in sorted(root.iterdir(), key=lambda e: e.name)
            if e.name.endswith((".yaml", ".yml"))}


def _walk(model: type[BaseModel], data: Any) -> Iterator[tuple[str, Any]]:
    """``("Model.field", value)`` for every field set in ``data`` (recursively)."""
    if not isinstance(data, dict):
        return
    for name, field in model.model_fields.items():
        if name not in data:
            continue
        value = data[name]
        yield f"{model.__name__}.{name}", value
        inner = _inner_model(field.annotation)
        if inner is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            yield from _walk(inner, item)


def example_values() -> dict[str, Any]:
    """The first value of each field found in the bundled examples, then the extras."""
    found: dict[str, Any] = {}
    for data in bundled_examples().values():
        for key, value in _walk(Scenario, data):
            if value is not None and not (isinstance(value, dict) and
                                          all(v is None for v in value.values())):
                found.setdefault(key, value)
    for key, value in EXTRA_EXAMPLES.items():
        found.setdefault(key, value)
    return found


def unit_of(name: str) -> str:
    """The unit of a field, from its name (``…_usd_per_tco2e`` → USD/tCO2e)."""
    if name in UNIT_BY_NAME:
        return UNIT_BY_NAME[name]
    return next((unit for suffix, unit in UNIT_BY_SUFFIX if name.endswith(suffix)), "—")


def _num(x: float) -> str:
    return f"{x:g}" if abs(x) < 1e6 else f"{x:.0e}".replace("e+0", "e").replace("e+", "e")


def type_text(prop: dict[str, Any]) -> str:
    """A short human reading of a JSON Schema property (type and bounds)."""
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        kinds = [type_text(p) for p in prop["anyOf"] if p.get("type") != "null"]
        nullable = any(p.get("type") == "null" for p in prop["anyOf"])
        return " or ".join(kinds) + (" or null" if nullable else "")
    if "enum" in prop or "const" in prop:
        values = prop.get("enum", [prop.get("const")])
        return "one of " + ", ".join(f"`{v}`" for v in values)
    kind = prop.get("type", "any")
    if kind == "array":
        items = type_text(prop.get("items", {}))
        sizes = _bounds(prop, "minItems", "maxItems", "items")
        return f"list of {items}{sizes}"
    if kind == "object":
        values = prop.get("additionalProperties")
        keys = "text"
        for pattern, sub in prop.get("patternProperties", {}).items():
            keys, values = PATTERN_NAMES.get(pattern, pattern).split(",")[0], sub
        if isinstance(prop.get("propertyNames"), dict) and "enum" in prop["propertyNames"]:
            keys = " / ".join(f"`{k}`" for k in prop["propertyNames"]["enum"])
        inner = type_text(values) if isinstance(values, dict) else "any"
        return f"map of {keys} → {inner}"
    if kind == "string":
        if prop.get("pattern") == DATETIME_PATTERN:
            return "date-time with timezone"
        extra = ", max " + str(prop["maxLength"]) + " characters" if "maxLength" in prop else ""
        shape = PATTERN_NAMES.get(prop.get("pattern", ""), "pattern " + prop.get("pattern", ""))
        return "string" + (f" ({shape})" if "pattern" in prop else "") + extra
    return kind + _bounds(prop, "minimum", "maximum", "")


def _bounds(prop: dict[str, Any], low_key: str, high_key: str, what: str) -> str:
    parts = []
    if "exclusiveMinimum" in prop:
        parts.append(f"> {_num(prop['exclusiveMinimum'])}")
    if low_key in prop:
        parts.append(f"≥ {_num(prop[low_key])}")
    if high_key in prop:
        parts.append(f"≤ {_num(prop[high_key])}")
    suffix = f" {what}" if what and parts else ""
    return f" ({', '.join(parts)}{suffix})" if parts else ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _example_text(value: Any) -> str:
    if value is None:
        return "—"
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False,
                          allow_unicode=True, width=10_000).strip()
    text = text.removesuffix("...").strip()
    return "`" + (text if len(text) <= 70 else text[:67] + "…") + "`"


def _default_text(name: str, schema: dict[str, Any], prop: dict[str, Any]) -> str:
    if name in schema.get("required", []):
        return "required"
    if "default" not in prop:
        return "—"
    default = prop["default"]
    if default in ({}, []):
        return "empty"
    if isinstance(default, dict):
        return "each field's default"
    return f"`{json.dumps(default)}`"


def model_section(model: type[BaseModel], schema: dict[str, Any],
                  examples: dict[str, Any]) -> list[str]:
    """The Markdown section of one model: its docstring and one row per field."""
    sub = schema if model is Scenario else schema["$defs"][model.__name__]
    doc = " ".join((model.__doc__ or "").split())
    lines = [f"## {model.__name__}", "", doc, "",
             "| field | type | unit | default | meaning | example |",
             "|---|---|---|---|---|---|"]
    for name, prop in sub["properties"].items():
        row = [f"`{name}`", type_text(prop), unit_of(name), _default_text(name, sub, prop),
               prop.get("description", ""),
               _example_text(examples.get(f"{model.__name__}.{name}"))]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines + [""]


def markdown() -> str:
    """The whole scenario reference (docs/scenario.md)."""
    schema = json_schema()
    examples = example_values()
    lines = [
        "# Scenario reference",
        "",
        "<!-- Generated from planner/scenario.py by `python -m planner.scenario_docs`; "
        "do not edit by hand. -->",
        "",
        "A scenario is a YAML file (`regionplan validate FILE` checks it). Unknown fields, "
        "`.inf`/`.nan`, `true`/`false` where a number is expected, duplicate keys and "
        f"dates outside {EARLIEST_YEAR}–{LATEST_YEAR} are refused; a file is at most "
        f"{MAX_INPUT_BYTES // 1024} kB, nested at most {MAX_DEPTH} levels, with at most "
        f"{MAX_ALIASES:,} YAML aliases expanding to at most {MAX_EXPANDED_NODES:,} values. "
        "The JSON Schema "
        "(`regionplan schema`) says the same for editors: see the README's "
        "*Editor support*. Examples: `examples/*.yaml`.",
        "",
        "Models: " + ", ".join(f"[{m.__name__}](#{m.__name__.lower()})"
                               for m in models_in_order()) + ".",
        "",
    ]
    for model in models_in_order():
        lines += model_section(model, schema, examples)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite docs/scenario.md, or with ``--check`` say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if out of date")
    parser.add_argument("--out", type=Path, default=DOC_PATH, help="file to write")
    args = parser.parse_args(argv)
    text = markdown()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date; run: python -m planner.scenario_docs")
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
