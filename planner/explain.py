"""Explanations: why a scenario is infeasible, and what binds in a feasible plan.

Infeasibility is explained in two steps. :func:`planner.problem.prepare` already checked
each workload on its own (jurisdiction, residency, latency SLO, window). What is left is
the interplay of quotas, min-regions and budgets; for that the model is rebuilt
*elastic* (slack on every hard requirement, objective = total relative slack) and the
slacks that stay positive name the rules that must give way and by how much.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr

from planner.model import build
from planner.problem import Problem
from planner.scenario import Limits
from planner.solve import SolveOptions, Status, solve

EPS = 1e-6
LIMIT_FIELDS = {"carbon_tco2e": ("limits.carbon_tco2e", "tCO2e"),
                "cost_usd": ("limits.cost_usd", "USD"),
                "water_m3": ("limits.water_m3", "m³")}


def least_achievable(problem: Problem, metric: str, options: SolveOptions) -> float | None:
    """Least value of ``metric`` any plan reaches with the limits removed (None: none exists)."""
    free = problem.scenario.with_overrides(limits=Limits().model_dump())
    built = build(replace(problem, scenario=free))
    expr = {"carbon_tco2e": built.carbon_tco2e(), "cost_usd": built.cost_usd(),
            "water_m3": built.terms["water_m3"]}[metric]
    built.model.add_objective(expr, overwrite=True)
    sol = solve(built, options)
    return sol.objective_usd if sol.status is Status.OPTIMAL else None


def _elastic_reasons(problem: Problem, options: SolveOptions) -> list[str]:
    """Structural conflicts (quotas, windows, min regions), with the budgets set aside."""
    free = problem.scenario.with_overrides(limits=Limits().model_dump())
    built = build(replace(problem, scenario=free), elastic=True)
    sol = solve(built, options)
    if sol.status is not Status.OPTIMAL:
        return []
    reasons: list[str] = []
    sc = problem.scenario
    v = sol.values
    if "Job-completion-slack" in v:
        short = v["Job-completion-slack"]
        for job in sc.training:
            miss = float(short.sel(job=job.name))
            if miss > EPS:
                n = int(problem.job_allowed.sel(job=job.name).sum())
                reasons.append(
                    f"training '{job.name}': only {job.gpu_hours - miss:,.0f} of "
                    f"{job.gpu_hours:,.0f} GPU-hours fit in its window across its {n} allowed "
                    f"region(s) under the GPU quotas; raise a quota, widen the window or allow "
                    f"more regions")
    if "Service-demand-slack" in v:
        short = v["Service-demand-slack"]
        for s in sc.inference:
            for metro in problem.metros:
                unmet = short.sel(service=s.name, metro=metro)
                demand = problem.demand_rps.sel(service=s.name, metro=metro)
                if float(unmet.sum()) <= EPS * max(float(demand.sum()), 1.0):
                    continue
                worst = int(np.argmax(unmet.values))
                ok = problem.flow_allowed.sel(service=s.name, metro=metro)
                where = [str(r) for r in problem.regions[ok.values]]
                reasons.append(
                    f"inference '{s.name}': up to {float(unmet.max()):,.1f} of "
                    f"{float(demand.isel(hour=worst)):,.1f} rps from {metro} cannot be served "
                    f"(hour {worst}) — the regions within {s.latency_slo_ms:g} ms that its rules "
                    f"allow ({', '.join(where)}) lack GPU quota; raise a quota there or relax "
                    f"the SLO")
    reasons += _failover_reasons(problem, v)
    if "Service-min-regions-slack" in v:
        short = v["Service-min-regions-slack"]
        for s in sc.inference:
            miss = float(short.sel(service=s.name))
            if miss > EPS:
                reasons.append(
                    f"inference '{s.name}': min_regions {s.min_regions} cannot be met — only "
                    f"{s.min_regions - miss:.0f} region(s) can host it within its latency SLO, "
                    f"jurisdiction and quota rules; lower min_regions or relax those rules")
    return reasons


def _failover_reasons(problem: Problem, v: dict[str, xr.DataArray]) -> list[str]:
    """Services whose demand cannot all be re-routed when some region is lost."""
    short = v.get("Service-failover-demand-slack")
    if short is None:
        return []
    reasons = []
    for s in problem.scenario.inference:
        mine = short.sel(service=s.name).fillna(0.0)  # [lost, metro, hour]
        if float(mine.max()) <= EPS:
            continue
        worst = mine.max(["metro", "hour"])
        lost = str(worst.idxmax("lost").item())
        by_metro = mine.sel(lost=lost).max("hour")
        metro = str(by_metro.idxmax("metro").item())
        reasons.append(
            f"inference '{s.name}': survive_region_loss cannot be met — with {lost} lost, up "
            f"to {float(by_metro.max()):,.1f} rps from {metro} find no GPUs within "
            f"{s.failover_slo_ms:g} ms under the quotas; raise a quota near {metro}, raise "
            f"failover_latency_slo_ms or set survive_region_loss: false")
    return reasons


def explain_infeasible(problem: Problem, options: SolveOptions) -> list[str]:
    """Name the rules in conflict for a scenario the solver found infeasible, and the
    regions left out for missing data (they might have given the room that is lacking)."""
    return _rule_reasons(problem, options) + _left_out_reasons(problem)


def _left_out_reasons(problem: Problem) -> list[str]:
    if not problem.excluded:
        return []
    named = "; ".join(f"{e['region']} ({e.get('figure', 'a figure')} not published; "
                      f"{e.get('fix', '')})" for e in problem.excluded)
    return [f"{len(problem.excluded)} region(s) were left out for missing data and could "
            f"add room: {named}"]


def _rule_reasons(problem: Problem, options: SolveOptions) -> list[str]:
    """The rules whose slack stays positive, else the budgets that cannot be met."""
    reasons = _elastic_reasons(problem, options)
    if reasons:
        return reasons
    lim = problem.scenario.limits
    set_limits = {k: getattr(lim, k) for k in LIMIT_FIELDS if getattr(lim, k) is not None}
    for metric, value in set_limits.items():
        field_name, unit = LIMIT_FIELDS[metric]
        least = least_achievable(problem, metric, options)
        if least is not None and least > value + EPS:
            reasons.append(f"{field_name} = {value:g} {unit} cannot be met: the least any plan "
                           f"can reach is {least:,.3f} {unit}; raise the limit to at least that")
    if set_limits and not reasons:
        reasons.append(f"the limits {set_limits} are each achievable alone but not together; "
                       f"relax one of them (see `regionplan pareto` for the trade-off)")
    if not reasons:
        reasons.append("the solver found no feasible plan and no single rule explains it; "
                       "run `regionplan validate` and check quotas and windows")
    return reasons


def binding_limits(duals: dict[str, xr.DataArray], problem: Problem,
                   note: str | None = None) -> list[str]:
    """Readable shadow prices of budgets and quotas (LPs, or a MILP with its sites fixed)."""
    out: list[str] = []
    units = {"Budget-carbon": "USD per tCO2e", "Budget-cost": "objective-USD per USD",
             "Budget-water": "USD per m³"}
    for name, unit in units.items():
        dual = duals.get(name)
        if dual is None:
            continue
        value = abs(float(dual))
        if value > 1e-9:
            out.append(f"{name} binds: one more unit of budget is worth {value:,.2f} {unit}")
    for name, dual in sorted(duals.items()):
        if not name.startswith("Region-capacity-"):
            continue
        gpu = name.removeprefix("Region-capacity-")
        per_region = abs(dual).fillna(0.0).sum("hour")
        for rid in per_region.sortby(per_region, ascending=False).region.values[:3]:
            value = float(per_region.sel(region=rid))
            if value > 1e-9:
                out.append(f"{name} binds in {rid}: one more {gpu} of quota for the whole "
                           f"horizon is worth ${value:,.2f} of objective")
    return [f"{line} ({note})" for line in out] if note else out
