"""App state: caches over the planner's public functions, and sidebar inputs → overrides.

What is cached, and why:

* the catalog — read once per server process (:func:`get_catalog`);
* one :class:`Workspace` per scenario hash (:func:`get_workspace`): the prepared and
  built :class:`planner.session.PlanSession`, the plans already solved at given prices,
  the cost-only plan, the frontier and the baselines. Price changes re-solve the built
  model (``session.plan(Parameters(...))``); anything structural (SLO, clouds,
  jurisdictions, accounting, time shifting) is a different scenario, hence a different
  hash and workspace.

A session's model is mutated by every solve, so each workspace serializes its solves with
a lock (Streamlit serves every browser tab from its own thread).
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from connectors.catalog import Catalog, load_catalog
from planner.loader import MAX_INPUT_BYTES
from planner.plan import Plan
from planner.problem import InfeasibleError
from planner.scenario import Scenario, ScenarioError, load_scenario, load_scenario_bytes
from planner.session import Parameters, PlanSession, SolverError

MAX_UPLOAD_BYTES = MAX_INPUT_BYTES  # one limit for the CLI and the app
PLAN_CACHE_ENTRIES = 128
WORKSPACE_ENTRIES = 8

# What-if re-solves must answer while a slider moves: the app plans fractional instances
# (the LP relaxation, a lower bound on the whole-instance fleet's cost) and says so; the
# deployable whole-instance plan is `regionplan plan`.
INTERACTIVE_RELAXED = True


# ---------------------------------------------------------------------------------------
# Scenario sources


def bundled_examples() -> dict[str, Path]:
    """The example scenarios shipped with the package, by file name (sorted)."""
    root = resources.files("planner") / "examples"
    out: dict[str, Path] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")):
            with resources.as_file(entry) as p:
                out[entry.name] = Path(p)
    return out


def scenario_from_upload(name: str, data: bytes) -> Scenario:
    """Validate an uploaded scenario file with the CLI's guarded loader (size, depth, alias
    and duplicate-key limits); raises ScenarioError with a readable message."""
    return load_scenario_bytes(data, origin=name)


def scenario_from_path(path: Path) -> Scenario:
    """Read and validate a scenario file (ScenarioError on any problem)."""
    return load_scenario(path)


# ---------------------------------------------------------------------------------------
# Sidebar inputs → scenario overrides


@dataclass(frozen=True)
class WhatIf:
    """The structural inputs of the sidebar (prices are applied as solve Parameters)."""

    latency_slo_ms: float | None = None  # None keeps each service's own SLO
    clouds: tuple[str, ...] | None = None  # None keeps the scenario's clouds
    jurisdictions: tuple[str, ...] | None = None  # None keeps each workload's own rules
    accounting: str | None = None
    time_shifting: bool | None = None


def what_if_overrides(base: Scenario, w: WhatIf) -> dict[str, Any]:
    """``Scenario.with_overrides`` arguments for ``w`` (only the fields that change).

    * the SLO override applies to every inference service;
    * allowed jurisdictions *restrict*: each workload keeps only the jurisdictions it
      already allowed that are also selected (a workload without its own list gets the
      selection), so a what-if never widens a data-residency rule.
    """
    out: dict[str, Any] = {}
    if w.clouds is not None and list(w.clouds) != list(base.clouds):
        out["clouds"] = list(w.clouds)
    if w.accounting is not None and w.accounting != base.accounting:
        out["accounting"] = w.accounting
    if w.time_shifting is not None and w.time_shifting != base.time_shifting:
        out["time_shifting"] = w.time_shifting
    dumped = base.model_dump(mode="python")
    if w.jurisdictions is not None:
        for kind in ("training", "inference"):
            items = dumped[kind]
            for item in items:
                own = item.get("allowed_jurisdictions")
                item["allowed_jurisdictions"] = (list(w.jurisdictions) if own is None
                                                 else [j for j in own if j in w.jurisdictions])
            if items:
                out[kind] = items
    if w.latency_slo_ms is not None and dumped["inference"]:
        for item in dumped["inference"]:
            item["latency_slo_ms"] = float(w.latency_slo_ms)
        out["inference"] = dumped["inference"]
    return out


def apply_what_if(base: Scenario, w: WhatIf) -> Scenario:
    """The scenario the planner sees for these inputs (ScenarioError if they are invalid)."""
    changes = what_if_overrides(base, w)
    return base.with_overrides(**changes) if changes else base


# ---------------------------------------------------------------------------------------
# Solving, cached per scenario hash


@dataclass(frozen=True)
class Outcome:
    """A solve's result: a plan, or the reasons there is none."""

    plan: Plan | None
    reasons: tuple[str, ...] = ()
    kind: str = "optimal"  # optimal | infeasible | solver_error | scenario_error
    solve_s: float = 0.0
    cached: bool = False


@dataclass
class Workspace:
    """Everything the app keeps for one scenario (one hash)."""

    scenario: Scenario
    catalog: Catalog
    session: PlanSession | None = None
    failure: Outcome | None = None  # set when the scenario cannot even be prepared
    build_s: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    plans: OrderedDict[tuple[float, float], Outcome] = field(default_factory=OrderedDict)
    frontier: Any = None  # planner.pareto.Frontier once traced
    baselines: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        t0 = time.perf_counter()
        try:
            self.session = PlanSession(self.scenario, self.catalog, relaxed=INTERACTIVE_RELAXED)
        except InfeasibleError as err:
            self.failure = Outcome(None, tuple(err.reasons), "infeasible")
        except ScenarioError as err:
            self.failure = Outcome(None, (str(err),), "scenario_error")
        self.build_s = time.perf_counter() - t0

    def plan(self, carbon_price_usd_per_tco2e: float, water_price_usd_per_m3: float) -> Outcome:
        """The plan at these prices (re-solving the built model unless already solved)."""
        if self.failure is not None or self.session is None:
            return self.failure or Outcome(None, ("no session",), "solver_error")
        key = (round(float(carbon_price_usd_per_tco2e), 6), round(float(water_price_usd_per_m3), 6))
        with self.lock:
            hit = self.plans.get(key)
            if hit is not None:
                self.plans.move_to_end(key)
                return Outcome(hit.plan, hit.reasons, hit.kind, hit.solve_s, cached=True)
            t0 = time.perf_counter()
            try:
                plan = self.session.plan(Parameters(carbon_price_usd_per_tco2e=key[0],
                                                    water_price_usd_per_m3=key[1]))
                out = Outcome(plan, solve_s=time.perf_counter() - t0)
            except InfeasibleError as err:
                out = Outcome(None, tuple(err.reasons), "infeasible", time.perf_counter() - t0)
            except SolverError as err:
                out = Outcome(None, (str(err),), "solver_error", time.perf_counter() - t0)
            self.plans[key] = out
            while len(self.plans) > PLAN_CACHE_ENTRIES:
                self.plans.popitem(last=False)
            return out

    def cost_only(self) -> Outcome:
        """The plan that minimizes dollars alone (carbon and water priced at 0)."""
        return self.plan(0.0, 0.0)

    def trace_frontier(self, progress: Callable[[int, int], None] | None = None) -> Any:
        """The cost–carbon frontier of this scenario (traced once, then kept)."""
        from planner.pareto import trace_frontier

        if self.session is None:
            raise RuntimeError("the scenario has no session (it could not be prepared)")
        with self.lock:
            if self.frontier is None:
                self.frontier = trace_frontier(self.session, progress=progress)
            return self.frontier

    def compare_baselines(self) -> tuple[Any, ...]:
        """Baseline placements (``planner.baselines.compare``), computed once."""
        from planner.baselines import compare  # type: ignore[import-not-found]

        if self.session is None:
            return ()
        with self.lock:
            if self.baselines is None:
                self.baselines = tuple(compare(self.session))
            return self.baselines

    def hourly_ci(self) -> pd.DataFrame:
        """Hourly grid intensity the model used (rows: UTC hours, columns: region ids)."""
        if self.session is None:
            return pd.DataFrame()
        problem = self.session.problem
        da = (problem.ci_market_gco2e_per_kwh if self.scenario.accounting == "market"
              else problem.ci_location_gco2e_per_kwh)
        frame = pd.DataFrame(da.transpose("hour", "region").values,
                             columns=[str(r) for r in da["region"].values])
        frame.index = pd.DatetimeIndex(problem.timestamps[: len(frame)], name="hour (UTC)")
        return frame


def module_available(name: str) -> bool:
    """True when a planner module another issue delivers (baselines, memo) is installed."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@st.cache_resource(show_spinner="Loading the catalog…")
def get_catalog() -> Catalog:
    """The catalog (embedded snapshot + local store), loaded once per server process."""
    return load_catalog()


@st.cache_resource(max_entries=WORKSPACE_ENTRIES, show_spinner="Preparing and building the model…")
def get_workspace(scenario_sha256: str, _scenario: Scenario) -> Workspace:
    """The workspace of a scenario, keyed by its content hash (the model is built once)."""
    return Workspace(_scenario, get_catalog())
