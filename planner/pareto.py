"""The cost–carbon Pareto frontier by the ε-constraint method.

Two end points first: the cost minimum (carbon price 0; the scenario's water price kept)
and the carbon minimum (then the least cost at that carbon). Between them, carbon caps
ε_k evenly spaced; each point minimizes cost subject to carbon ≤ ε_k on the model built
once (:class:`planner.session.PlanSession`). Dominated and duplicate points are marked,
the knee is the point farthest from the chord between the ends in normalized
(cost, carbon) space, and the marginal abatement cost between neighbours is
Δcost / Δcarbon in USD per tCO2e.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from planner.plan import Plan
from planner.session import PlanSession, SolverError
from planner.solve import Solution, Status

REL_TOL = 1e-7


@dataclass(frozen=True)
class FrontierPoint:
    """One plan on (or near) the frontier; figures are totals over the horizon."""

    carbon_cap_tco2e: float | None
    carbon_tco2e: float
    cost_usd: float
    objective_ex_carbon_usd: float  # cost + water cost: what each point minimizes
    water_m3: float
    energy_mwh: float
    plan: Plan
    dominated: bool = False
    knee: bool = False
    mac_usd_per_tco2e: float | None = None  # vs the previous (higher-carbon) point


@dataclass(frozen=True)
class Frontier:
    """Points sorted by carbon, high to low; ``accounting`` states the carbon basis."""

    points: tuple[FrontierPoint, ...]
    accounting: str
    solves: int

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
                 "regions": ";".join(sorted({f"{q.provider}/{q.region}"
                                             for q in p.plan.placements}))}
                for p in self.points]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        frame = self.to_frame()
        return {"accounting": self.accounting, "solves": self.solves,
                "carbon_basis": f"{self.accounting}-based operational + embodied, tCO2e",
                "points": frame.replace({np.nan: None}).to_dict(orient="records")}


def _point(session: PlanSession, solution: Solution, cap: float | None) -> FrontierPoint:
    plan = session.to_plan(solution, replace(session.problem, scenario=session.scenario
                                             .with_overrides(**{
                                                 "objective.carbon_price_usd_per_tco2e": 0.0})))
    t = plan.totals
    return FrontierPoint(carbon_cap_tco2e=cap, carbon_tco2e=t["carbon_tco2e"],
                         cost_usd=t["cost_usd"],
                         objective_ex_carbon_usd=t["cost_usd"] + t["water_cost_usd"],
                         water_m3=t["water_m3"], energy_mwh=t["energy_mwh"], plan=plan)


def trace_frontier(session: PlanSession, points: int = 21,
                   progress: Callable[[int, int], None] | None = None) -> Frontier:
    """Trace ``points`` plans from the cost minimum to the carbon minimum."""
    if points < 2:
        raise ValueError("a frontier needs at least 2 points")
    b = session.built
    water_price = session.scenario.objective.water_price_usd_per_m3
    cost_obj = b.objective(0.0, water_price)
    total = points + 2
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    def must(sol: Solution) -> Solution:
        if sol.status is not Status.OPTIMAL:
            session.to_plan(sol)  # raises InfeasibleError with reasons, or SolverError
            raise SolverError(f"frontier solve ended {sol.status}")
        return sol

    # Each end is lexicographic: the cost minimum with the least carbon among cost-optimal
    # plans, and the carbon minimum with the least cost among carbon-optimal plans. The
    # interior points then walk up from the carbon end in small cap steps, so that each
    # re-solve starts from a nearby basis.
    u_min = must(session.solve_expr(cost_obj)).objective_usd or 0.0
    tick()
    u_cap = u_min * (1 + REL_TOL) + 1e-6
    hi = _point(session, must(session.solve_expr(b.carbon_tco2e(), cost_cap_usd=u_cap)), None)
    tick()
    c_min = must(session.solve_expr(b.carbon_tco2e())).objective_usd or 0.0
    tick()
    lo_cap = c_min * (1 + REL_TOL) + 1e-9
    lo = _point(session, must(session.solve_expr(cost_obj, lo_cap)), lo_cap)
    tick()
    pts = [hi, lo]
    for k in range(points - 2, 0, -1):
        cap = hi.carbon_tco2e - k / (points - 1) * (hi.carbon_tco2e - lo.carbon_tco2e)
        pts.append(_point(session, must(session.solve_expr(cost_obj, cap)), cap))
        tick()
    session.restore()  # the scenario's own objective, no caps (no solve needed)
    return Frontier(points=tuple(_annotate(pts)), accounting=session.scenario.accounting,
                    solves=points + 2)


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
