"""The whole recipe in one call: prepare → build → solve → extract (or explain)."""

from __future__ import annotations

import time

from connectors.catalog import Catalog
from planner.explain import binding_limits, explain_infeasible
from planner.model import build
from planner.plan import Plan, extract
from planner.problem import InfeasibleError, prepare
from planner.scenario import Scenario
from planner.solve import SolveOptions, Status, solve


class SolverError(RuntimeError):
    """The solver stopped without an optimal plan for a reason other than infeasibility."""


def make_plan(scenario: Scenario, catalog: Catalog, options: SolveOptions | None = None, *,
              scenario_path: str | None = None) -> Plan:
    """Plan a scenario. Raises InfeasibleError (with reasons) or SolverError."""
    options = options or SolveOptions()
    t0 = time.perf_counter()
    problem = prepare(scenario, catalog)
    built = build(problem)
    build_s = time.perf_counter() - t0
    solution = solve(built, options)
    if solution.status is Status.INFEASIBLE:
        raise InfeasibleError(explain_infeasible(problem, options))
    if solution.status is not Status.OPTIMAL:
        raise SolverError(f"solver stopped with status {solution.status} "
                          f"({solution.termination}); try a longer --time-limit")
    plan = extract(problem, solution, scenario_path=scenario_path, build_s=build_s)
    notes = tuple(binding_limits(dict(solution.duals), problem))
    if notes:
        from dataclasses import replace

        plan = replace(plan, explanations=notes)
    return plan
