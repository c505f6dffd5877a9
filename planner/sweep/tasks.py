"""Batches of points that share one built model, and the function a worker runs on one.

A point's *structure* is everything that changes the prepared data or the model's blocks:
the rebuild-kind grid values, the Monte Carlo sample, and whether water is priced (which
decides whether regions without water figures are left out). Points of one structure
differ only in carbon price, water price and carbon cap, so one
:class:`~planner.session.PlanSession` re-solves them all. Each Monte Carlo sample changes
coefficients (intensity, prices, demand) and so is its own structure: one prepare + build
per sample, and the grid's re-solve values are batched with it.

Workers keep the few most recent sessions (:data:`SESSION_CACHE_SIZE`), so when a large
structure is split over several tasks a worker that receives two of them builds once.
"""

from __future__ import annotations

import itertools
import math
import os
import socket
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from connectors.catalog import Catalog
from planner.problem import InfeasibleError
from planner.scenario import Scenario, ScenarioError
from planner.session import Parameters, PlanSession, SolverError
from planner.solve import SolveOptions
from planner.sweep.sampling import perturb_catalog, perturb_scenario
from planner.sweep.spec import NOMINAL_SAMPLE, Point, SweepSpec, Value, apply_values

TOTAL_COLUMNS = (
    "objective_usd", "cost_usd", "compute_usd", "egress_usd", "carbon_tco2e",
    "carbon_operational_tco2e", "carbon_location_tco2e", "carbon_market_tco2e",
    "carbon_embodied_tco2e", "carbon_cost_usd", "water_m3", "water_cost_usd", "energy_mwh",
    "gpu_hours",
)
TIMING_COLUMNS = ("solve_s", "point_s", "build_s", "worker")
"""Columns that vary run to run (timings in seconds, the worker that ran the point)."""
SESSION_CACHE_SIZE = 4
MAX_BATCH_POINTS = 16
TASKS_PER_WORKER = 4


class Status:
    """Outcome of one point (a string in the results)."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    SOLVER_ERROR = "solver_error"  # time limit, unbounded, numerical trouble: see message
    ERROR = "error"  # any other exception while preparing, building or solving
    LOST = "lost"  # the task's worker died repeatedly; recomputed by --resume


@dataclass(frozen=True)
class SweepContext:
    """What every task needs; shipped to each worker once (Dask scatter, broadcast)."""

    sweep_id: str
    scenario: Scenario
    catalog: Catalog
    spec: SweepSpec
    options: SolveOptions


@dataclass(frozen=True)
class Task:
    """Points of one structure, solved by one worker with one session."""

    structure: tuple[Any, ...]
    points: tuple[Point, ...]

    @property
    def key(self) -> str:
        """A name for the task (first point id and size), unique within a sweep."""
        return f"sweep-{self.points[0].point_id}-{len(self.points)}"


def structure_of(spec: SweepSpec, point: Point) -> tuple[Any, ...]:
    """The rebuild-kind values, the sample and whether water is priced."""
    rebuild = tuple(v for p, v in zip(spec.grid.params, point.values, strict=True)
                    if not p.reuses_model)
    water = dict(zip((p.name for p in spec.grid.params), point.values, strict=True)
                 ).get("water_price")
    water_priced = None if water is None else bool(float(water) > 0)
    return (*rebuild, point.sample, water_priced)


def plan_tasks(spec: SweepSpec, points: list[Point], workers: int,
               batch_size: int | None = None) -> list[Task]:
    """Group points by structure and cut groups into tasks of at most ``batch_size`` points.

    Without ``batch_size`` it is chosen so there are about :data:`TASKS_PER_WORKER` tasks per
    worker (for load balance and a fine-grained progress bar), capped at
    :data:`MAX_BATCH_POINTS`. Results do not depend on the batching: every solve is a fresh
    solver run on the same model.
    """
    groups: OrderedDict[tuple[Any, ...], list[Point]] = OrderedDict()
    for pt in points:
        groups.setdefault(structure_of(spec, pt), []).append(pt)
    if batch_size is None:
        target = max(1, workers) * TASKS_PER_WORKER
        batch_size = min(MAX_BATCH_POINTS, max(1, math.ceil(len(points) / target)))
    if batch_size < 1:
        raise ValueError(f"batch size {batch_size}: must be ≥ 1")
    tasks: list[Task] = []
    for key, pts in groups.items():
        k = math.ceil(len(pts) / batch_size)  # chunks of near-equal size, none tiny
        bounds = [round(i * len(pts) / k) for i in range(k + 1)]
        tasks += [Task(key, tuple(pts[a:b])) for a, b in itertools.pairwise(bounds)]
    return tasks


def _values(ctx: SweepContext, point: Point) -> dict[str, Value]:
    return dict(zip((p.name for p in ctx.spec.grid.params), point.values, strict=True))


def structural_inputs(ctx: SweepContext, point: Point) -> tuple[Scenario, Catalog]:
    """The scenario and catalog a point's session is built from."""
    sc = apply_values(ctx.scenario, _values(ctx, point))
    catalog = ctx.catalog
    if point.sample != NOMINAL_SAMPLE:
        u, seed = ctx.spec.uncertainty, ctx.spec.seed
        sc = perturb_scenario(sc, u, seed, point.sample)
        catalog = perturb_catalog(catalog, u, seed, point.sample)
    return sc, catalog


def parameters_of(ctx: SweepContext, point: Point) -> Parameters:
    """The re-solve values of a point (None keeps the scenario's own)."""
    v = _values(ctx, point)
    cap = v.get("carbon_cap")
    return Parameters(
        carbon_price_usd_per_tco2e=None if v.get("carbon_price") is None
        else float(v["carbon_price"]),  # type: ignore[arg-type]
        water_price_usd_per_m3=None if v.get("water_price") is None
        else float(v["water_price"]),  # type: ignore[arg-type]
        carbon_cap_tco2e=None if cap is None else float(cap),
    )


_SESSIONS: OrderedDict[tuple[Any, ...], PlanSession] = OrderedDict()
"""Per-process cache of built sessions (the worker's; in serial runs, the driver's)."""


def _session(ctx: SweepContext, task: Task) -> tuple[PlanSession, float]:
    """A session for the task's structure, and the seconds spent building it (0 if cached)."""
    key = (ctx.sweep_id, ctx.options, task.structure)
    if key in _SESSIONS:
        _SESSIONS.move_to_end(key)
        return _SESSIONS[key], 0.0
    t0 = time.perf_counter()
    sc, catalog = structural_inputs(ctx, task.points[0])
    session = PlanSession(sc, catalog, ctx.options)
    _SESSIONS[key] = session
    while len(_SESSIONS) > SESSION_CACHE_SIZE:
        _SESSIONS.popitem(last=False)
    return session, time.perf_counter() - t0


def _row(ctx: SweepContext, point: Point, status: str, message: str,
         totals: dict[str, float] | None, regions: str | None, solve_s: float,
         point_s: float, build_s: float) -> dict[str, Any]:
    row: dict[str, Any] = {"point_id": point.point_id, "sample": point.sample}
    row.update(zip(ctx.spec.grid.columns, point.values, strict=True))
    row.update(status=status, message=message, regions=regions)
    row.update({c: (math.nan if totals is None else float(totals[c])) for c in TOTAL_COLUMNS})
    row.update(solve_s=solve_s, point_s=point_s, build_s=build_s,
               worker=f"{socket.gethostname()}:{os.getpid()}")
    return row


def run_task(ctx: SweepContext, task: Task) -> list[dict[str, Any]]:
    """Solve every point of ``task``; one result row per point, whatever happens.

    This is the sweep's task boundary: a point that fails for any reason becomes a row with
    its status and message, so one bad point never stops the sweep. Infeasibility and solver
    stops are expected outcomes with their own status; everything else (a bug, a numerical
    failure inside linopy or HiGHS) is caught broadly on purpose and recorded as ``error``
    with its type and text, so it shows up in the results for someone to look at.
    """
    rows: list[dict[str, Any]] = []
    try:
        session, build_s = _session(ctx, task)
    except InfeasibleError as err:
        return [_row(ctx, p, Status.INFEASIBLE, "; ".join(err.reasons), None, None,
                     math.nan, 0.0, 0.0) for p in task.points]
    except ScenarioError as err:
        return [_row(ctx, p, Status.ERROR, f"ScenarioError: {err}", None, None, math.nan,
                     0.0, 0.0) for p in task.points]
    except Exception as err:  # noqa: BLE001 - task boundary, see docstring
        return [_row(ctx, p, Status.ERROR, f"{type(err).__name__}: {err}", None, None,
                     math.nan, 0.0, 0.0) for p in task.points]
    for i, point in enumerate(task.points):
        t0 = time.perf_counter()
        status, message, totals, regions, solve_s = Status.OPTIMAL, "", None, None, math.nan
        try:
            plan = session.plan(parameters_of(ctx, point))
            totals = plan.totals
            solve_s = float(plan.solver["solve_s"])
            regions = ",".join(sorted({f"{p.provider}/{p.region}" for p in plan.placements}))
            if plan.solver.get("stopped_at_time_limit"):
                message = str(plan.solver["termination"])
        except InfeasibleError as err:
            status, message = Status.INFEASIBLE, "; ".join(err.reasons)
        except SolverError as err:
            status, message = Status.SOLVER_ERROR, str(err)
        except Exception as err:  # noqa: BLE001 - task boundary, see docstring
            status, message = Status.ERROR, f"{type(err).__name__}: {err}"
        rows.append(_row(ctx, point, status, message, totals, regions, solve_s,
                         time.perf_counter() - t0, build_s if i == 0 else 0.0))
    return rows


def lost_rows(ctx: SweepContext, task: Task, message: str) -> list[dict[str, Any]]:
    """Rows for a task whose worker died more often than the scheduler allows."""
    return [_row(ctx, p, Status.LOST, message, None, None, math.nan, 0.0, 0.0)
            for p in task.points]
