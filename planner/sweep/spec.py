"""The sweep specification: a typed parameter grid × Monte Carlo samples.

``--grid carbon_price=0,50,100`` is parsed by :func:`parse_grid` into a :class:`Grid`; an
unknown parameter or a bad value is a :class:`SweepSpecError` naming the parameter and
listing the valid names. Numeric values may be a list (``0,50,100``), an inclusive range
``start:stop:step`` (``0:400:100`` is 0, 100, 200, 300, 400) or both; budgets and the
carbon cap also accept ``none`` (no limit). ``clouds`` takes ``+``-joined sets
(``clouds=aws,aws+gcp,aws+gcp+azure``).

Parameters are of two kinds:

- **re-solve** (``carbon_price``, ``water_price``, ``carbon_cap``): they change only the
  objective or the epsilon cap of a built model, so one :class:`~planner.session.PlanSession`
  serves every value;
- **rebuild** (everything else): they change the prepared data or the model's blocks, so each
  distinct value needs its own prepare + build.

The sweep's points are the Cartesian product of the grid (in the order the parameters were
given) × the samples; point ids number them in that order, so they are stable for a given
spec and ``--resume`` can recognise finished points.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from planner.scenario import (
    MAX_BUDGET,
    MAX_PRICE_USD,
    Scenario,
    ScenarioError,
    format_validation_error,
    suggest,
)
from planner.sweep.sampling import Uncertainty

Value = float | str | None
ValueKind = Literal["number", "optional_number", "clouds", "choice"]
CLOUDS = ("aws", "gcp", "azure")
NOMINAL_SAMPLE = -1
MAX_RANGE_VALUES = 10_000


class SweepSpecError(ValueError):
    """A sweep specification is wrong; the message names the parameter and how to fix it."""


@dataclass(frozen=True)
class Param:
    """One sweepable parameter: its CLI name, its result column (unit in the name), its kind."""

    name: str
    column: str
    kind: ValueKind
    reuses_model: bool
    help: str
    minimum: float = 0.0
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()


PARAMS: dict[str, Param] = {p.name: p for p in (
    Param("carbon_price", "carbon_price_usd_per_tco2e", "number", True,
          "internal carbon price (USD/tCO2e); objective.carbon_price_usd_per_tco2e"),
    Param("water_price", "water_price_usd_per_m3", "number", True,
          "water price (USD/m³); objective.water_price_usd_per_m3"),
    Param("carbon_cap", "carbon_cap_tco2e", "optional_number", True,
          "carbon budget over the horizon (tCO2e, or none); replaces limits.carbon_tco2e"),
    Param("cost_budget", "cost_budget_usd", "optional_number", False,
          "cost budget over the horizon (USD, or none); limits.cost_usd"),
    Param("water_budget", "water_budget_m3", "optional_number", False,
          "water budget over the horizon (m³, or none); limits.water_m3"),
    Param("latency_slo", "latency_slo_ms", "number", False,
          "round-trip latency SLO of every inference service (ms); a set "
          "failover_latency_slo_ms below it is raised to it", exclusive_minimum=True),
    Param("demand_scale", "demand_scale", "number", False,
          "multiplier on every inference demand (requests/s ratio)", exclusive_minimum=True),
    Param("clouds", "clouds", "clouds", False,
          "allowed clouds, '+'-joined, e.g. aws+gcp"),
    Param("accounting", "accounting", "choice", False,
          "carbon accounting basis", choices=("location", "market")),
)}
_BY_ALIAS: dict[str, Param] = {**PARAMS, **{p.column: p for p in PARAMS.values()}}


def apply_values(scenario: Scenario, values: dict[str, Value]) -> Scenario:
    """``scenario`` with the grid values that live in the scenario applied (by CLI name).

    ``carbon_price`` is applied per solve; ``carbon_cap`` per solve too, as the session's
    epsilon cap, so here it only clears ``limits.carbon_tco2e``. Raises ScenarioError when
    a value makes the scenario invalid.
    """
    v = values
    data = scenario.model_dump(mode="python")
    if "water_price" in v:
        data["objective"]["water_price_usd_per_m3"] = v["water_price"]
    if "carbon_cap" in v:
        data["limits"]["carbon_tco2e"] = None
    if "cost_budget" in v:
        data["limits"]["cost_usd"] = v["cost_budget"]
    if "water_budget" in v:
        data["limits"]["water_m3"] = v["water_budget"]
    if "clouds" in v:
        data["clouds"] = str(v["clouds"]).split("+")
    if "accounting" in v:
        data["accounting"] = v["accounting"]
    for svc in data["inference"]:
        if "latency_slo" in v:
            svc["latency_slo_ms"] = v["latency_slo"]
            failover = svc.get("failover_latency_slo_ms")
            if failover is not None:  # a failover SLO is never tighter than the SLO
                svc["failover_latency_slo_ms"] = max(float(failover),  # type: ignore[arg-type]
                                                     float(v["latency_slo"]))
        if "demand_scale" in v:
            for d in svc["demand"]:
                d["rps"] = float(d["rps"]) * float(v["demand_scale"])  # type: ignore[arg-type]
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, "--grid")) from None


def valid_names() -> str:
    """The parameter names ``--grid`` accepts, for error messages and ``--help``."""
    return ", ".join(PARAMS)


def _parse_number(param: Param, text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise SweepSpecError(f"--grid {param.name}: '{text}' is not a number "
                             f"({param.help})") from None
    if not math.isfinite(x):
        raise SweepSpecError(f"--grid {param.name}: '{text}' must be a finite number")
    too_low = x <= param.minimum if param.exclusive_minimum else x < param.minimum
    if too_low:
        op = ">" if param.exclusive_minimum else "≥"
        raise SweepSpecError(f"--grid {param.name}: {text} must be {op} {param.minimum:g}")
    return x


def _parse_range(param: Param, text: str) -> list[float]:
    parts = text.split(":")
    if len(parts) != 3:
        raise SweepSpecError(f"--grid {param.name}: range '{text}' must be start:stop:step, "
                             f"e.g. 0:400:100")
    start, stop, step = (_parse_number(param, p) if i < 2 else _step(param, p)
                         for i, p in enumerate(parts))
    if stop < start:
        raise SweepSpecError(f"--grid {param.name}: range '{text}' has stop < start")
    n_steps = (stop - start) / step
    n = round(n_steps)
    if abs(n_steps - n) > 1e-9 * max(1.0, n_steps):
        raise SweepSpecError(f"--grid {param.name}: range '{text}': step {step:g} does not "
                             f"divide stop − start = {stop - start:g}")
    if n + 1 > MAX_RANGE_VALUES:
        raise SweepSpecError(f"--grid {param.name}: range '{text}' has {n + 1} values "
                             f"(at most {MAX_RANGE_VALUES})")
    # start + i·step, rounded so 0.1-steps print as written (no 0.30000000000000004)
    return [round(start + i * step, 12) for i in range(n + 1)]


def _step(param: Param, text: str) -> float:
    try:
        step = float(text)
    except ValueError:
        raise SweepSpecError(f"--grid {param.name}: step '{text}' is not a number") from None
    if not (math.isfinite(step) and step > 0):
        raise SweepSpecError(f"--grid {param.name}: step '{text}' must be > 0")
    return step


def _parse_clouds(param: Param, text: str) -> str:
    names = [c.strip() for c in text.split("+")]
    for c in names:
        if c not in CLOUDS:
            raise SweepSpecError(f"--grid clouds: unknown cloud '{c}'{suggest(c, list(CLOUDS))}; "
                                 f"use {', '.join(CLOUDS)} joined by '+', e.g. aws+gcp")
    if len(set(names)) != len(names):
        raise SweepSpecError(f"--grid clouds: '{text}' names a cloud twice")
    return "+".join(c for c in CLOUDS if c in names)  # canonical order


def _parse_values(param: Param, text: str) -> tuple[Value, ...]:
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in items):
        raise SweepSpecError(f"--grid {param.name}: empty value in '{text}'; give values "
                             f"separated by commas")
    values: list[Value] = []
    for item in items:
        if param.kind in ("number", "optional_number"):
            if item.lower() == "none":
                if param.kind != "optional_number":
                    raise SweepSpecError(f"--grid {param.name}: 'none' is only allowed for "
                                         f"budgets and the carbon cap")
                values.append(None)
            elif ":" in item:
                values.extend(_parse_range(param, item))
            else:
                values.append(_parse_number(param, item))
        elif param.kind == "clouds":
            values.append(_parse_clouds(param, item))
        else:
            if item not in param.choices:
                raise SweepSpecError(f"--grid {param.name}: '{item}' is not one of "
                                     f"{', '.join(param.choices)}")
            values.append(item)
    dup = sorted({str(v) for v in values if values.count(v) > 1})
    if dup:
        raise SweepSpecError(f"--grid {param.name}: repeated value(s) {', '.join(dup)}")
    return tuple(values)


@dataclass(frozen=True)
class Grid:
    """Parameters and their values, in the order given (the product is the grid)."""

    params: tuple[Param, ...] = ()
    values: tuple[tuple[Value, ...], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Result columns of the grid parameters (unit in the name)."""
        return tuple(p.column for p in self.params)

    def combinations(self) -> list[tuple[Value, ...]]:
        """Every grid combination, first parameter slowest (one empty tuple without a grid)."""
        return list(itertools.product(*self.values))

    def check_against(self, scenario: Scenario) -> None:
        """Fail early where a parameter cannot apply to this scenario."""
        for p in self.params:
            if p.name in ("latency_slo", "demand_scale") and not scenario.inference:
                raise SweepSpecError(f"--grid {p.name}: scenario '{scenario.name}' has no "
                                     f"inference services to apply it to")
        for combo in self.combinations():
            values = {p.name: v for p, v in zip(self.params, combo, strict=True)}
            for name, limit in (("carbon_price", MAX_PRICE_USD), ("carbon_cap", MAX_BUDGET)):
                value = values.get(name)
                if isinstance(value, int | float) and value > limit:
                    raise SweepSpecError(f"--grid {name}: {value:g} is above the "
                                         f"limit {limit:g}")
            try:  # every value a grid point puts into the scenario must make it valid
                apply_values(scenario, values)
            except ScenarioError as err:
                raise SweepSpecError(str(err)) from None

    def to_dict(self) -> dict[str, list[Value]]:
        return {p.name: list(v) for p, v in zip(self.params, self.values, strict=True)}


def parse_grid(items: list[str]) -> Grid:
    """Parse ``PARAM=VALUES`` items (one per ``--grid``) into a :class:`Grid`."""
    params: list[Param] = []
    values: list[tuple[Value, ...]] = []
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            raise SweepSpecError(f"--grid '{item}': write PARAM=VALUES, e.g. "
                                 f"carbon_price=0,50,100; parameters: {valid_names()}")
        param = _BY_ALIAS.get(name)
        if param is None:
            raise SweepSpecError(f"--grid: unknown parameter '{name}'"
                                 f"{suggest(name, list(_BY_ALIAS))}; valid parameters: "
                                 f"{valid_names()}")
        if param in params:
            raise SweepSpecError(f"--grid {param.name} is given twice; put all its values in "
                                 f"one --grid, separated by commas")
        params.append(param)
        values.append(_parse_values(param, text))
    return Grid(tuple(params), tuple(values))


@dataclass(frozen=True)
class Point:
    """One solve of the sweep: a grid combination and a sample (−1 = nominal data)."""

    point_id: int
    sample: int
    values: tuple[Value, ...]


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep: the grid, the number of Monte Carlo samples and their seed.

    ``samples == 0`` solves each grid point once on the nominal data (sample −1).
    Samples are crossed with the grid and shared by every grid point (common random
    numbers), so differences between grid points are not sampling noise.
    """

    grid: Grid = field(default_factory=Grid)
    samples: int = 0
    seed: int = 0
    uncertainty: Uncertainty = field(default_factory=Uncertainty)

    def __post_init__(self) -> None:
        if self.samples < 0:
            raise SweepSpecError(f"--samples {self.samples}: must be ≥ 0")
        if self.seed < 0:
            raise SweepSpecError(f"--seed {self.seed}: must be ≥ 0")

    @property
    def sample_ids(self) -> list[int]:
        return list(range(self.samples)) if self.samples else [NOMINAL_SAMPLE]

    def points(self) -> list[Point]:
        """All points, numbered grid-major then sample."""
        out: list[Point] = []
        for combo in self.grid.combinations():
            for s in self.sample_ids:
                out.append(Point(len(out), s, combo))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"grid": self.grid.to_dict(), "samples": self.samples, "seed": self.seed,
                "uncertainty": self.uncertainty.to_dict()}

    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()
