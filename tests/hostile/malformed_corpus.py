"""A corpus of malformed scenarios: each must be refused with exit 2, no traceback, and a
message naming the field (or the limit) that is wrong.

Every case is ``(id, yaml_text, expected)``: ``expected`` are substrings the error
message must contain. Most cases are built from :data:`BASE` (a valid scenario) with one
value replaced, so each tests one field; the rest are raw YAML (aliases, duplicates,
nesting, sizes, encodings).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "name": "corpus",
    "description": "a valid scenario the corpus breaks one field at a time",
    "horizon": {"start": "2027-01-04T00:00Z", "hours": 24},
    "clouds": ["aws", "gcp", "azure"],
    "objective": {"carbon_price_usd_per_tco2e": 100, "water_price_usd_per_m3": 1},
    "limits": {"carbon_tco2e": 100.0, "cost_usd": 1.0e6, "water_m3": 1.0e4},
    "quotas": {"gcp/europe-west4": {"H100": 64}},
    "fill_missing": {"pue": 1.2},
    "training": [{
        "name": "job", "gpu": "H100", "gpu_hours": 100, "max_gpus": 8,
        "data": {"home": "aws/us-east-1", "size_gb": 10}, "checkpoint_gb": 5,
    }],
    "inference": [{
        "name": "api", "gpu": "H100", "requests_per_gpu_s": 10, "latency_slo_ms": 150,
        "min_gpus_per_region": 1, "max_region_share": 1.0, "min_regions": 1,
        "demand": [{"metro": "London", "rps": 5}],
    }],
}

# (dotted path into BASE, the name the message must show)
NUMERIC_FIELDS: list[tuple[str, str]] = [
    ("training.0.gpu_hours", "gpu_hours"),
    ("training.0.max_gpus", "max_gpus"),
    ("training.0.checkpoint_gb", "checkpoint_gb"),
    ("training.0.data.size_gb", "size_gb"),
    ("inference.0.requests_per_gpu_s", "requests_per_gpu_s"),
    ("inference.0.latency_slo_ms", "latency_slo_ms"),
    ("inference.0.min_gpus_per_region", "min_gpus_per_region"),
    ("inference.0.max_region_share", "max_region_share"),
    ("inference.0.min_regions", "min_regions"),
    ("inference.0.demand.0.rps", "rps"),
    ("objective.carbon_price_usd_per_tco2e", "carbon_price_usd_per_tco2e"),
    ("objective.water_price_usd_per_m3", "water_price_usd_per_m3"),
    ("limits.carbon_tco2e", "carbon_tco2e"),
    ("limits.cost_usd", "cost_usd"),
    ("limits.water_m3", "water_m3"),
    ("quotas.gcp/europe-west4.H100", "quotas"),
    ("fill_missing.pue", "fill_missing"),
    ("horizon.hours", "horizon.hours"),
]
BAD_NUMBERS: dict[str, Any] = {
    "inf": math.inf, "neg-inf": -math.inf, "nan": math.nan, "true": True, "huge": 1e308,
    "negative": -1, "text": "lots",
}


def _set(doc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    *parents, leaf = _split(dotted)
    target: Any = out
    for p in parents:
        target = target[int(p)] if isinstance(target, list) else target[p]
    target[leaf] = value
    return out


def _split(dotted: str) -> list[str]:
    # region ids contain '/', never '.', so a plain split is enough
    return dotted.split(".")


def _dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _bomb(levels: int = 9) -> str:
    lines = ["name: bomb", "horizon: {start: 2027-01-04T00:00Z, hours: 24}",
             'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"description: *a{levels}")
    return "\n".join(lines) + "\n"


def _with_text(transform: Callable[[str], str]) -> str:
    return transform(_dump(BASE))


def numeric_cases() -> list[tuple[str, str, list[str]]]:
    """One case per numeric field × bad value (18 × 7 = 126)."""
    return [(f"{field}={bad}", _dump(_set(BASE, path, value)), [field])
            for path, field in NUMERIC_FIELDS for bad, value in BAD_NUMBERS.items()]


def _edit(path: str, value: Any) -> str:
    return _dump(_set(BASE, path, value))


def other_cases() -> list[tuple[str, str, list[str]]]:
    """Dates, names, structure, YAML abuse, sizes, markup."""
    markup = "[red]x[/red][/]"
    return [
        ("horizon-year-9999", _edit("horizon.start", "9999-12-31T00:00Z"),
         ["horizon.start", "9999"]),
        ("horizon-year-1", _edit("horizon.start", "0001-01-01T00:00Z"), ["horizon.start"]),
        ("horizon-naive", _edit("horizon.start", "2027-01-04T00:00"), ["horizon.start", "UTC"]),
        ("horizon-not-date", _edit("horizon.start", "soon"), ["horizon.start"]),
        ("horizon-too-long", _edit("horizon.hours", 100_000), ["horizon.hours"]),
        ("window-year-9999", _edit("training.0.window",
                                   {"start": "2027-01-04T00:00Z",
                                    "deadline": "9999-01-01T00:00Z"}),
         ["window.deadline"]),
        ("window-reversed", _edit("training.0.window",
                                  {"start": "2027-01-04T10:00Z",
                                   "deadline": "2027-01-04T01:00Z"}),
         ["training[0].window", "deadline"]),
        ("window-outside", _edit("training.0.window",
                                 {"start": "2027-01-04T00:00Z",
                                  "deadline": "2027-02-04T00:00Z"}),
         ["window", "inside the horizon"]),
        ("profile-nan", _edit("inference.0.hourly_profile", [math.nan] + [1.0] * 23),
         ["hourly_profile"]),
        ("profile-inf", _edit("inference.0.hourly_profile", [math.inf] + [1.0] * 23),
         ["hourly_profile"]),
        ("profile-short", _edit("inference.0.hourly_profile", [1.0] * 12),
         ["hourly_profile"]),
        ("profile-mean", _edit("inference.0.hourly_profile", [2.0] * 24),
         ["hourly_profile", "average"]),
        ("profile-negative", _edit("inference.0.hourly_profile", [-1.0] + [1.0] * 23),
         ["hourly_profile"]),
        ("profile-bool", _edit("inference.0.hourly_profile", [True] * 24),
         ["hourly_profile"]),
        ("fill-pue-zero", _edit("fill_missing.pue", 0.0), ["fill_missing", "pue"]),
        ("fill-ci-huge", _edit("fill_missing", {"grid_ci_gco2e_per_kwh": 1e9}),
         ["fill_missing", "grid_ci_gco2e_per_kwh"]),
        ("fill-unknown", _edit("fill_missing", {"sunshine": 1.0}), ["fill_missing"]),
        ("quota-unknown-gpu", _edit("quotas", {"gcp/europe-west4": {"Z9000": 4}}),
         ["quotas", "Z9000"]),
        ("quota-bad-region", _edit("quotas", {"gcp/atlantis-1": {"H100": 4}}),
         ["quotas", "atlantis"]),
        ("quota-region-format", _edit("quotas", {"not a region": {"H100": 4}}), ["quotas"]),
        ("exclude-bad", _edit("exclude_regions", ["mars/olympus"]), ["exclude_regions"]),
        ("data-home-bad", _edit("training.0.data.home", "aws/nowhere-9"), ["data.home"]),
        ("unknown-gpu", _edit("training.0.gpu", "Z9000"), ["job", "Z9000"]),
        ("unknown-metro", _edit("inference.0.demand.0.metro", "Atlantis"),
         ["api", "Atlantis"]),
        ("unknown-cloud", _edit("clouds", ["aws", "oracle"]), ["clouds[1]"]),
        ("no-clouds", _edit("clouds", []), ["clouds"]),
        ("bad-accounting", _edit("accounting", "vibes"), ["accounting"]),
        ("bad-representative", _edit("horizon.representative", "weekly"),
         ["horizon.representative"]),
        ("unknown-field", _edit("colour", "blue"), ["colour"]),
        ("typo-field", _edit("training.0.gpu_hour", 5), ["gpu_hour", "did you mean"]),
        ("missing-name", _dump({k: v for k, v in BASE.items() if k != "name"}), ["name"]),
        ("missing-horizon", _dump({k: v for k, v in BASE.items() if k != "horizon"}),
         ["horizon"]),
        ("no-workloads", _dump({**BASE, "training": [], "inference": []}),
         ["training", "inference"]),
        ("bad-name", _edit("name", "has space"), ["name"]),
        ("markup-name", _edit("name", markup), ["name", markup]),
        ("markup-field", _edit(markup, 1), [markup]),
        ("markup-metro", _edit("inference.0.demand.0.metro", markup), [markup]),
        ("duplicate-workloads", _edit("inference.0.name", "job"), ["repeated", "job"]),
        ("empty-demand", _edit("inference.0.demand", []), ["demand"]),
        ("training-not-list", _edit("training", {"name": "x"}), ["training"]),
        ("description-long", _edit("description", "x" * 5_000), ["description"]),
        ("duplicate-key", _with_text(lambda t: t + "name: again\n"),
         ["duplicate key", "name", "line"]),
        ("duplicate-nested-key", _with_text(
            lambda t: t.replace("  gpu_hours: 100\n", "  gpu_hours: 100\n  gpu_hours: 5\n")),
         ["duplicate key", "gpu_hours"]),
        ("alias-bomb", _bomb(), ["alias"]),
        ("alias-recursive", "name: loop\nhorizon: &h {start: 2027-01-04T00:00Z, x: *h}\n",
         ["alias"]),
        ("deep-list", "name: deep\ndescription: " + "[" * 5_000 + "]" * 5_000 + "\n",
         ["nested", "levels"]),
        ("deep-map", "name: deep\ndescription: " + "{a: " * 300 + "1" + "}" * 300 + "\n",
         ["nested", "levels"]),
        ("huge-file", "name: big\ndescription: " + "x" * 10_000_000 + "\n", ["limited to"]),
        ("not-utf8", "name: caf\udce9\n", ["UTF-8"]),
        ("not-yaml", "name: [unclosed\n", ["not valid YAML", "line"]),
        ("tab-indent", "name: x\nhorizon:\n\tstart: 2027-01-04T00:00Z\n", ["not valid YAML"]),
        ("top-level-list", "- name: x\n", ["expected a mapping"]),
        ("empty-file", "", ["expected a mapping"]),
    ]


def all_cases() -> list[tuple[str, str, list[str]]]:
    """Every corpus case (at least 100)."""
    return numeric_cases() + other_cases()
