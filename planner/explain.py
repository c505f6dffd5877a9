"""Explanations: why a scenario is infeasible, and what binds in a feasible plan."""

from __future__ import annotations

import linopy

from planner.model import build
from planner.problem import Problem
from planner.scenario import Limits
from planner.solve import SolveOptions, Status, solve


def _least(problem: Problem, metric: str, options: SolveOptions) -> float | None:
    """Least achievable value of a metric with the limits removed (None if still infeasible)."""
    free = problem.scenario.with_overrides(limits=Limits().model_dump())
    built = build(_replace_scenario(problem, free))
    expr: linopy.LinearExpression = {
        "carbon_tco2e": built.carbon_tco2e(),
        "cost_usd": built.cost_usd(),
        "water_m3": built.terms["water_m3"],
    }[metric]
    built.model.add_objective(expr, overwrite=True)
    sol = solve(built, options)
    return sol.objective_usd if sol.status is Status.OPTIMAL else None


def _replace_scenario(problem: Problem, scenario: object) -> Problem:
    from dataclasses import replace

    return replace(problem, scenario=scenario)


def explain_infeasible(problem: Problem, options: SolveOptions) -> list[str]:
    """Name the rules in conflict for a scenario the solver found infeasible.

    The per-workload checks (jurisdiction, residency, SLO, window) already ran in
    :func:`planner.problem.prepare`; what is left is the interplay of limits and quotas.
    """
    lim = problem.scenario.limits
    reasons: list[str] = []
    names = {"carbon_tco2e": ("limits.carbon_tco2e", "tCO2e"),
             "cost_usd": ("limits.cost_usd", "USD"), "water_m3": ("limits.water_m3", "m³")}
    any_limit = False
    for metric, (field, unit) in names.items():
        value = getattr(lim, metric.replace("_usd", "_usd"))
        if value is None:
            continue
        any_limit = True
        least = _least(problem, metric, options)
        if least is None:
            continue
        if least > value + 1e-9:
            reasons.append(f"{field} = {value:g} {unit} cannot be met: the least any plan can "
                           f"reach is {least:,.3f} {unit}; raise the limit to at least that")
    if any_limit and not reasons:
        if _least(problem, "cost_usd", options) is not None:
            reasons.append("the limits are each achievable alone but not together "
                           f"({lim.model_dump(exclude_none=True)}); relax one of them")
    if not reasons:
        reasons.append("GPU quotas (scenario 'quotas' or catalog quota_gpus) leave too little "
                       "capacity for the workloads inside their windows; raise a quota, widen a "
                       "window or allow more regions")
    return reasons


def binding_limits(built_duals: dict[str, object], problem: Problem) -> list[str]:
    """Readable shadow prices of the scenario's budgets (LP plans only)."""
    out = []
    units = {"Budget-carbon": "USD per tCO2e", "Budget-cost": "objective-USD per USD",
             "Budget-water": "USD per m³"}
    for name, unit in units.items():
        dual = built_duals.get(name)
        if dual is None:
            continue
        value = abs(float(dual))  # type: ignore[arg-type]
        if value > 1e-9:
            out.append(f"{name} binds: one more unit of budget is worth {value:,.2f} {unit}")
    return out
