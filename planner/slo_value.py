"""What a latency SLO costs: the objective saved by relaxing it to the next useful value.

An SLO is a mask (traffic routes exist only within it), not a constraint with a dual, so
its shadow price is a finite difference: for each inference service, the next round trip
above its SLO that opens a new route (a metro with demand → a region its residency and
GPU allow) is found, the scenario is re-planned with that SLO, and the objectives of the
two plans are compared. Both are solved to the same guarantee (LPs exactly, MILPs within
``mip_rel_gap``), so a difference inside that gap is reported as none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from connectors.catalog import Catalog
from planner.plan import Plan
from planner.problem import prepare
from planner.session import PlanSession, make_plan

UNBOUNDED_SLO_MS = 100_000.0  # wider than any round trip on Earth: masks by residency only


@dataclass(frozen=True)
class SloValue:
    """The value of relaxing one service's SLO to the next round trip that opens a route."""

    service: str
    slo_ms: float
    next_slo_ms: float | None  # None: no farther region could serve any of its metros
    route: str | None  # the route it opens, "metro → provider/region"
    objective_saving_usd: float | None  # over the horizon, at the plan's prices
    within_gap: bool = False  # the saving is inside the solvers' proven gap

    @property
    def usd_per_ms(self) -> float | None:
        if self.next_slo_ms is None or self.objective_saving_usd is None or self.within_gap:
            return None
        return self.objective_saving_usd / (self.next_slo_ms - self.slo_ms)

    def describe(self) -> str:
        head = f"Latency SLO of '{self.service}' ({self.slo_ms:g} ms)"
        if self.next_slo_ms is None:
            return f"{head}: no farther allowed region could serve its users; relaxing it " \
                   "changes nothing"
        opens = f"raising it to {self.next_slo_ms:g} ms opens {self.route}"
        if self.within_gap or self.usd_per_ms is None:
            return f"{head}: {opens} and lowers the objective by nothing beyond the solver's gap"
        return (f"{head}: {opens} and lowers the objective by "
                f"${self.objective_saving_usd:,.0f} over the horizon, "
                f"≈ ${self.usd_per_ms:,.2f} per ms of SLO")


def slo_values(session: PlanSession, catalog: Catalog, plan: Plan) -> list[SloValue]:
    """One :class:`SloValue` per inference service of ``session`` (one re-plan each).

    ``plan`` is the session's plan at the prices to compare at.
    """
    sc = session.scenario
    p = session.problem
    out: list[SloValue] = []
    for i, svc in enumerate(sc.inference):
        field = f"inference.{i}.latency_slo_ms"
        wide = prepare(sc.with_overrides(**{field: UNBOUNDED_SLO_MS}), catalog)
        has_demand = p.demand_rps.sel(service=svc.name).sum("hour") > 0
        new = (wide.flow_allowed.sel(service=svc.name) & ~p.flow_allowed.sel(service=svc.name)
               & has_demand)
        rtt = p.rtt_ms.where(new)
        if not bool(rtt.notnull().any()):
            out.append(SloValue(svc.name, svc.latency_slo_ms, None, None, None))
            continue
        nearest = rtt.where(rtt == rtt.min(), drop=True)
        metro, region = str(nearest["metro"].values[0]), str(nearest["region"].values[0])
        next_ms = math.ceil(float(rtt.min()) * 100) / 100  # 0.01 ms above: the route is in
        relaxed = make_plan(sc.with_overrides(**{field: next_ms}), catalog, session.options)
        saving = plan.totals["objective_usd"] - relaxed.totals["objective_usd"]
        is_mip = any(q.solver.get("mip_gap") is not None for q in (plan, relaxed))
        rel = session.options.mip_rel_gap if is_mip else 1e-9
        tolerance = rel * abs(plan.totals["objective_usd"]) + 1e-6
        out.append(SloValue(svc.name, svc.latency_slo_ms, next_ms, f"{metro} → {region}",
                            saving, within_gap=abs(saving) <= tolerance))
    return out
