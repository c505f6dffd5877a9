"""A planning session: prepare and build once, then re-solve as parameters change.

Sweeps and the what-if app change prices and caps far more often than the workloads.
Changing the objective or the carbon cap only swaps an expression or one constraint of the
built model; the data preparation and the model's blocks are reused. (The Pareto frontier
re-solves the same built model straight on HiGHS: :mod:`planner.epsilon`.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import linopy

from connectors.catalog import Catalog
from planner.explain import binding_limits, explain_infeasible
from planner.model import BuiltModel, build
from planner.plan import Plan, extract
from planner.problem import InfeasibleError, Problem, prepare
from planner.scenario import Scenario
from planner.solve import PersistentHighs, Solution, SolveOptions, Status, solve

CAP_CONSTRAINT = "Budget-carbon-epsilon"
NO_CAP = 1e20  # HiGHS treats bounds ≥ 1e20 as infinite (its infinite_bound option)


class SolverError(RuntimeError):
    """The solver stopped without an optimal plan for a reason other than infeasibility."""


@dataclass(frozen=True)
class Parameters:
    """What may change between solves of one session (None keeps the scenario's value)."""

    carbon_price_usd_per_tco2e: float | None = None
    water_price_usd_per_m3: float | None = None
    carbon_cap_tco2e: float | None = None


class PlanSession:
    """Holds one prepared problem and its built model for repeated solves."""

    def __init__(self, scenario: Scenario, catalog: Catalog,
                 options: SolveOptions | None = None, *, scenario_path: str | None = None,
                 persistent: bool = True, relaxed: bool = False):
        t0 = time.perf_counter()
        self.options = options or SolveOptions()
        self.scenario_path = scenario_path
        self.problem: Problem = prepare(scenario, catalog)
        # relaxed: fractional instance counts (faster; the plan says so)
        self.built: BuiltModel = build(self.problem, whole_instances=not relaxed)
        self.build_s = time.perf_counter() - t0
        self._has_cap = False  # the carbon cap row, added on first use
        # HiGHS kept alive between solves (warm starts); one-shot plans do without it.
        self._persistent = (PersistentHighs() if persistent and self.options.backend == "highs"
                            else None)

    @property
    def scenario(self) -> Scenario:
        return self.problem.scenario

    def _set_objective(self, expr: linopy.LinearExpression) -> None:
        self.built.model.add_objective(expr, overwrite=True)

    def _set_cap(self, carbon_cap_tco2e: float | None) -> None:
        """Set the temporary carbon cap. The cap row, once added, stays and is switched off
        by an infinite bound, so later changes are right-hand-side updates HiGHS
        warm-starts from.
        """
        m = self.built.model
        if not self._has_cap and carbon_cap_tco2e is not None:
            # adding a row makes HiGHS rebuild, so it is added once
            m.add_constraints(self.built.carbon_tco2e() <= NO_CAP, name=CAP_CONSTRAINT)
            m.constraints[CAP_CONSTRAINT].sanitize_zeros()  # solve() does not (see solve.py)
            self._has_cap = True
        if self._has_cap:
            m.constraints[CAP_CONSTRAINT].update(
                rhs=NO_CAP if carbon_cap_tco2e is None else carbon_cap_tco2e)

    def solve_expr(self, objective: linopy.LinearExpression,
                   cap_tco2e: float | None = None) -> Solution:
        """Minimize any expression under an optional carbon cap."""
        self._set_objective(objective)
        self._set_cap(cap_tco2e)
        return solve(self.built, self.options, self._persistent)

    def plan(self, params: Parameters | None = None) -> Plan:
        """Solve with ``params`` applied; raises InfeasibleError or SolverError."""
        params = params or Parameters()
        obj = self.scenario.objective
        carbon_price = (params.carbon_price_usd_per_tco2e
                        if params.carbon_price_usd_per_tco2e is not None
                        else obj.carbon_price_usd_per_tco2e)
        water_price = (params.water_price_usd_per_m3 if params.water_price_usd_per_m3 is not None
                       else obj.water_price_usd_per_m3)
        solution = self.solve_expr(self.built.objective(carbon_price, water_price),
                                   params.carbon_cap_tco2e)
        scenario = self.scenario.with_overrides(**{
            "objective.carbon_price_usd_per_tco2e": carbon_price,
            "objective.water_price_usd_per_m3": water_price,
        })
        return self.to_plan(solution, replace(self.problem, scenario=scenario))

    def to_plan(self, solution: Solution, problem: Problem | None = None) -> Plan:
        """Turn a solution of this session's model into a Plan (or raise with reasons)."""
        problem = problem or self.problem
        if solution.status is Status.INFEASIBLE:
            raise InfeasibleError(explain_infeasible(problem, self.options))
        if solution.status is Status.TIME_LIMIT:
            raise SolverError("the solver found no plan within its time limit; try a "
                              "longer --time-limit")
        if solution.status is not Status.OPTIMAL:
            raise SolverError(f"solver stopped with status {solution.status} "
                              f"({solution.termination})")
        plan = extract(problem, solution, scenario_path=self.scenario_path,
                       build_s=self.build_s)
        notes = tuple(binding_limits(dict(solution.duals), problem, solution.duals_note))
        return replace(plan, explanations=notes) if notes else plan


def make_plan(scenario: Scenario, catalog: Catalog, options: SolveOptions | None = None, *,
              scenario_path: str | None = None, relaxed: bool = False) -> Plan:
    """Plan a scenario once. Raises InfeasibleError (with reasons) or SolverError.

    ``relaxed``: instance counts may be fractional (see :func:`planner.model.build`).
    """
    return PlanSession(scenario, catalog, options, scenario_path=scenario_path,
                       persistent=False, relaxed=relaxed).plan()
