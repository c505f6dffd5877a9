"""The cost–carbon Pareto frontier by the ε-constraint method.

End points: the least-cost plan (ties broken toward less carbon at a token
``TIE_BREAK_USD_PER_TCO2E``) and the least-carbon plan, taken as the plan minimizing
cost + ``CARBON_END_USD_PER_TCO2E`` × carbon: the least carbon reachable at any abatement
cost below 1 M$/tCO2e (one solve; an exact lexicographic carbon minimum costs two, the
second among the slowest of all). Both are Pareto-optimal (positive weights). Between
them, carbon caps ε_k evenly spaced; each point minimizes cost (and the scenario's water
cost) subject to carbon ≤ ε_k.

Speed: the model is handed to HiGHS once per HiGHS instance (:mod:`planner.epsilon`).
With whole instances one instance walks the LP relaxations in small cap steps from the
cost end, each warm from its neighbour (a few simplex iterations); the points themselves
(rounding to whole instances, proving the gap) are split between ``LANES`` instances that
start from the walker's optimal bases and run in parallel. An LP's points are its
relaxations: two lanes walk them from the two ends at once. Plans are read out of a point
only when asked for
(``FrontierPoint.plan``). Dominated and duplicate points are marked, the knee is
the point farthest from the chord between the ends in normalized (cost, carbon) space, and
the marginal abatement cost between neighbours is Δcost / Δcarbon in USD per tCO2e.
"""

from __future__ import annotations

import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from planner.epsilon import (
    CappedHighs,
    Columns,
    ColumnSolution,
    InfeasibleCap,
    SolverStopped,
    term_values,
)
from planner.plan import EPS_GPU_HOURS, Plan, extract
from planner.session import PlanSession, SolverError
from planner.solve import Solution, Status
from planner.units import KWH_PER_MWH

REL_TOL = 1e-7
# A token carbon price that breaks ties among least-cost plans toward less carbon; it moves
# a point's cost by at most this × its carbon range (cents on a frontier of tonnes).
TIE_BREAK_USD_PER_TCO2E = 0.01
# The low-carbon end minimizes cost + this × carbon. Internal carbon prices in use are in
# the tens to hundreds of USD per tonne; abatement dearer than this is left out.
CARBON_END_USD_PER_TCO2E = 1e6


@dataclass(frozen=True)
class FrontierPoint:
    """One plan on (or near) the frontier; figures are totals over the horizon."""

    carbon_cap_tco2e: float | None
    carbon_tco2e: float
    cost_usd: float
    objective_ex_carbon_usd: float  # cost + water cost: what each point minimizes
    water_m3: float
    energy_mwh: float
    regions: tuple[str, ...]  # provider/region ids in use
    mip_gap: float | None  # proven relative gap of a MILP point; None for an LP
    method: str  # how it was solved and proven (planner.epsilon.ColumnSolution.method)
    make_plan: Callable[[], Plan] = field(repr=False, compare=False)
    dominated: bool = False
    knee: bool = False
    mac_usd_per_tco2e: float | None = None  # vs the previous (higher-carbon) point

    @cached_property
    def plan(self) -> Plan:
        """The whole plan at this point (read out on first access)."""
        return self.make_plan()


@dataclass(frozen=True)
class Frontier:
    """Points sorted by carbon, high to low; ``accounting`` states the carbon basis."""

    points: tuple[FrontierPoint, ...]
    accounting: str
    solves: int  # HiGHS runs (LPs, and MIPs where needed) it took
    mip_rel_gap: float | None = None  # gap each MILP point was proven within (None: LPs)

    @property
    def efficient(self) -> tuple[FrontierPoint, ...]:
        return tuple(p for p in self.points if not p.dominated)

    @property
    def knee(self) -> FrontierPoint | None:
        return next((p for p in self.points if p.knee), None)

    def to_frame(self) -> pd.DataFrame:
        """One row per point (no plans), units in the column names."""
        rows = [{"carbon_cap_tco2e": p.carbon_cap_tco2e, "carbon_tco2e": p.carbon_tco2e,
                 "cost_usd": p.cost_usd, "objective_ex_carbon_usd": p.objective_ex_carbon_usd,
                 "water_m3": p.water_m3, "energy_mwh": p.energy_mwh, "dominated": p.dominated,
                 "knee": p.knee, "mac_usd_per_tco2e": p.mac_usd_per_tco2e,
                 "mip_gap": p.mip_gap, "method": p.method, "regions": ";".join(p.regions)}
                for p in self.points]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        frame = self.to_frame()
        return {"accounting": self.accounting, "solves": self.solves,
                "mip_rel_gap": self.mip_rel_gap,
                "carbon_basis": f"{self.accounting}-based operational + embodied, tCO2e",
                "ends": {"cost": "least cost; ties broken toward less carbon at "
                                 f"{TIE_BREAK_USD_PER_TCO2E} USD/tCO2e",
                         "carbon": "least cost + carbon at "
                                   f"{CARBON_END_USD_PER_TCO2E:,.0f} USD/tCO2e"},
                "points": frame.replace({np.nan: None}).to_dict(orient="records")}


class _Reader:
    """Figures and plans of column solutions of one session's model."""

    def __init__(self, session: PlanSession, cols: Columns):
        b = session.built
        self.session, self.cols = session, cols
        self.terms = {name: cols.vector_of(b.terms.columns(name)) for name in b.terms}
        self.carbon = cols.vector(b.carbon_tco2e())
        water_price = session.scenario.objective.water_price_usd_per_m3
        self.ex_carbon = cols.vector(b.objective(0.0, water_price))  # cost + water cost
        self.problem = replace(session.problem, scenario=session.scenario.with_overrides(
            **{"objective.carbon_price_usd_per_tco2e": 0.0}))
        self._gpu_groups = self._gpu_columns()

    def _gpu_columns(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
        """Per GPU block: its columns, GPU-hours per unit, (workload, region) group."""
        m, p = self.session.built.model, self.session.problem
        n_regions = len(p.regions)
        dt = xr.DataArray(np.broadcast_to(np.asarray(p.dt_h.values, float), (len(p.hours),)),
                          coords=[p.hours])  # hours each period stands for
        out = []
        for name, dim, per_unit in (
                ("Job-instances", "job", p.job_options.gpus_per_instance * dt),
                ("Service-instances", "service", p.service_options.gpus_per_instance * dt)):
            if name not in m.variables:
                continue
            labels = m.variables[name].labels
            gpu_hours = per_unit.fillna(0.0).broadcast_like(labels).transpose(*labels.dims)
            w = xr.DataArray(np.arange(labels.sizes[dim]), coords=[labels.indexes[dim]])
            r = xr.DataArray(np.arange(n_regions), coords=[labels.indexes["region"]])
            group = (w * n_regions + r).broadcast_like(labels).transpose(*labels.dims)
            keep = labels.values >= 0
            out.append((self.cols.position[labels.values[keep]], gpu_hours.values[keep],
                        group.values[keep], labels.sizes[dim] * n_regions))
        return out

    def regions(self, x: np.ndarray) -> tuple[str, ...]:
        """Regions where some workload runs more than EPS_GPU_HOURS (as in the plan)."""
        regions = self.session.problem.regions
        used: set[str] = set()
        for cols, dt, group, size in self._gpu_groups:
            gh = np.bincount(group, weights=np.clip(x[cols], 0.0, None) * dt, minlength=size)
            used |= {str(regions[g % len(regions)]) for g in np.flatnonzero(gh > EPS_GPU_HOURS)}
        return tuple(sorted(used))

    def point(self, sol: ColumnSolution, cap: float | None) -> FrontierPoint:
        t = term_values(self.terms, sol.x)
        basis = self.session.scenario.accounting
        ex_carbon = float(self.ex_carbon @ sol.x)
        return FrontierPoint(
            carbon_cap_tco2e=cap,
            carbon_tco2e=t[f"carbon_{basis}_tco2e"] + t["carbon_embodied_tco2e"],
            cost_usd=t["compute_usd"] + t["egress_usd"], objective_ex_carbon_usd=ex_carbon,
            water_m3=t["water_m3"], energy_mwh=t["energy_kwh"] / KWH_PER_MWH,
            regions=self.regions(sol.x), mip_gap=sol.gap, method=sol.method,
            make_plan=lambda: self.plan(sol, cap, t, ex_carbon))

    def plan(self, sol: ColumnSolution, cap: float | None, terms: dict[str, float],
             objective_usd: float) -> Plan:
        m = self.session.built.model
        where = "no carbon cap" if cap is None else f"carbon ≤ {cap:.6g} tCO2e"
        solution = Solution(Status.OPTIMAL, f"optimal ({sol.method}; frontier point, {where})",
                            "highs", sol.solve_s, objective_usd, terms,
                            self.cols.values(m, sol.x), mip_gap=sol.gap)
        plan = extract(self.problem, solution, scenario_path=self.session.scenario_path,
                       build_s=self.session.build_s)
        note = ("A point of the cost–carbon frontier: the least cost (and water cost) plan "
                + ("with no carbon cap" if cap is None else f"with carbon ≤ {cap:,.3f} tCO2e")
                + f" ({self.session.scenario.accounting}-based); carbon priced at 0 here.")
        return replace(plan, explanations=(note,))


_DONE = object()
# Points are split between this many lanes (every LANES-th point), each with its own HiGHS
# instance and its own previous point as the first choice to try: the frontier is the same
# whatever the number of threads running the lanes.
LANES = 2


def trace_frontier(session: PlanSession, points: int = 21,
                   progress: Callable[[int, int], None] | None = None,
                   workers: int | None = None) -> Frontier:
    """Trace ``points`` plans from the cost minimum to the carbon minimum.

    ``workers`` threads (default: 2, or 1 on a one-core machine) run the points' lanes, and
    one more walks the relaxations, each on its own HiGHS instance whatever the session's
    backend (the frontier lives on HiGHS's warm re-solves); the points are the same
    whatever the number of threads. ``progress(done, total)`` is called from the calling
    thread only. With
    whole instances each point is proven within the session's ``frontier_mip_rel_gap``
    (each point states the gap it reached).
    Raises InfeasibleError (with reasons) or SolverError.
    """
    if points < 2:
        raise ValueError("a frontier needs at least 2 points")
    workers = workers or min(2, os.cpu_count() or 1)
    cols = Columns.of(session.built.model)
    reader = _Reader(session, cols)
    hi_obj = reader.ex_carbon + TIE_BREAK_USD_PER_TCO2E * reader.carbon
    lo_obj = reader.ex_carbon + CARBON_END_USD_PER_TCO2E * reader.carbon
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, points)

    options = replace(session.options, mip_rel_gap=session.options.frontier_mip_rel_gap)
    lanes = [CappedHighs(session.built, cols, reader.carbon, options) for _ in range(LANES)]
    # with whole instances a point costs far more than its relaxation, so one instance
    # walks the relaxations ahead of the lanes; an LP's lanes walk their own
    walker = CappedHighs(session.built, cols, reader.carbon, options, devex=True) \
        if len(cols.integral) else None
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="frontier") as pool, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontier-walk") as walk:
        ends = [pool.submit(lanes[0].minimize, hi_obj), pool.submit(lanes[1].minimize, lo_obj)]
        for _ in as_completed(ends):
            tick()
        hi, lo = (_result(session, f) for f in ends)
        c_hi, c_lo = float(reader.carbon @ hi.x), float(reader.carbon @ lo.x)
        caps = [c_hi - k / (points - 1) * (c_hi - c_lo) for k in range(1, points - 1)]
        bases: list[Future[Any]] = [Future() for _ in caps]
        start = lanes[0].h.getBasis()  # the cost end's relaxation

        def relax_all() -> None:
            # the relaxations, one cap step at a time from the cost end (each a few warm
            # simplex iterations); a failure reaches every lane waiting for a basis
            try:
                basis = start
                for cap, future in zip(caps, bases, strict=True):
                    if walker is None:
                        future.set_result(None)
                        continue
                    basis = walker.relax(hi_obj, cap, basis)
                    future.set_result(basis)
            except BaseException as err:
                for future in bases:
                    if not future.done():
                        future.set_exception(err)
                raise

        results: queue.Queue[Any] = queue.Queue()
        todo = deque(range(len(caps)))  # an LP's caps not yet taken by a lane

        def solve_lane(lane: int) -> None:
            # with whole instances every LANES-th point from the cost end, each warm from
            # the walker's basis, trying the lane's previous point's choice first. An LP's
            # two lanes walk from their own ends (the cost end's, the carbon end's), each
            # taking the next cap at its end, and meet wherever their step times take them
            # (an LP's optimum at a cap is the same whoever solves it)
            prev = hi if lane == 0 or walker is not None else lo
            try:
                for k in _lane_order(lane, len(caps), todo if walker is None else None):
                    prev = lanes[lane].minimize(hi_obj, caps[k], (prev.x,),
                                                basis=bases[k].result())
                    results.put((caps[k], prev))
            finally:
                results.put(_DONE)

        walking = walk.submit(relax_all)
        solving = [pool.submit(solve_lane, lane) for lane in range(LANES)]
        solved: list[tuple[float, ColumnSolution]] = []
        finished = 0
        while finished < len(solving):
            item = results.get()
            if item is _DONE:
                finished += 1
            else:
                solved.append(item)
                tick()
        for f in [walking, *solving]:
            _result(session, f, end_point=False)
    pts = [reader.point(hi, None), reader.point(lo, None)]
    pts += [reader.point(sol, cap) for cap, sol in solved]
    runs = hi.runs + lo.runs + sum(sol.runs for _, sol in solved)
    return Frontier(points=tuple(_annotate(pts)), accounting=session.scenario.accounting,
                    solves=runs, mip_rel_gap=options.mip_rel_gap if len(cols.integral) else None)


_TAKE = threading.Lock()


def _lane_order(lane: int, n: int, todo: deque[int] | None) -> Iterator[int]:
    """The caps a lane solves: every ``LANES``-th from the cost end, or (``todo`` given,
    two lanes) the next one left at the lane's end of ``todo``."""
    if todo is None:
        yield from range(lane, n, LANES)
        return
    while True:
        with _TAKE:
            if not todo:
                return
            k = todo.popleft() if lane == 0 else todo.pop()
        yield k


def _result(session: PlanSession, future: Future[Any], end_point: bool = True) -> Any:
    """A worker's result, with HiGHS's outcomes turned into the planner's errors."""
    try:
        return future.result()
    except InfeasibleCap as err:
        if not end_point:  # every cap lies between two plans that meet it
            raise SolverError(f"frontier solve: {err} although a plan meets a tighter one; "
                              "numerical trouble in the solver") from err
        # an end point is infeasible only when no plan exists at all: say why
        session.to_plan(Solution(Status.INFEASIBLE, "infeasible", "highs", 0.0, None))
        raise
    except SolverStopped as err:
        raise SolverError(f"frontier solve: {err}; try a longer --time-limit") from err


def _annotate(pts: list[FrontierPoint]) -> list[FrontierPoint]:
    """Mark dominated/duplicate points, the knee, and the marginal abatement costs."""
    pts = sorted(pts, key=lambda p: (-p.carbon_tco2e, p.objective_ex_carbon_usd))
    scale_c = max(abs(p.carbon_tco2e) for p in pts) or 1.0
    scale_u = max(abs(p.objective_ex_carbon_usd) for p in pts) or 1.0
    out: list[FrontierPoint] = []
    for i, p in enumerate(pts):
        dominated = any(
            q.carbon_tco2e <= p.carbon_tco2e + REL_TOL * scale_c
            and q.objective_ex_carbon_usd <= p.objective_ex_carbon_usd + REL_TOL * scale_u
            and (q.carbon_tco2e < p.carbon_tco2e - REL_TOL * scale_c
                 or q.objective_ex_carbon_usd < p.objective_ex_carbon_usd - REL_TOL * scale_u
                 or j < i)
            for j, q in enumerate(pts) if j != i)
        out.append(replace(p, dominated=dominated))
    eff = [i for i, p in enumerate(out) if not p.dominated]
    prev = None
    for i in eff:
        p = out[i]
        if prev is not None:
            dc = prev.carbon_tco2e - p.carbon_tco2e
            du = p.objective_ex_carbon_usd - prev.objective_ex_carbon_usd
            out[i] = replace(p, mac_usd_per_tco2e=du / dc if dc > 0 else None)
        prev = out[i]
    if len(eff) >= 3:
        c = np.array([out[i].carbon_tco2e for i in eff])
        u = np.array([out[i].objective_ex_carbon_usd for i in eff])
        cn = (c - c.min()) / (np.ptp(c) or 1.0)
        un = (u - u.min()) / (np.ptp(u) or 1.0)
        # distance from the chord (cn, un): (1, 0) → (0, 1), i.e. the line cn + un = 1
        dist = np.abs(cn + un - 1.0) / np.sqrt(2.0)
        if dist.max() > 1e-6:  # a straight frontier has no knee
            knee = eff[int(np.argmax(dist))]
            out[knee] = replace(out[knee], knee=True)
    return out
