"""Solve: a built model → a Solution (HiGHS through linopy's direct interface by default)."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

import xarray as xr

from planner.model import BuiltModel


class Status(enum.StrEnum):
    """What the solver concluded."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings. ``backend`` is ``highs`` (default) or ``pulp``."""

    backend: str = "highs"
    time_limit_s: float | None = None
    mip_rel_gap: float = 1e-6
    threads: int | None = None
    verbose: bool = False


@dataclass(frozen=True)
class Solution:
    """Solver outcome: status, timings, objective term values and variable values."""

    status: Status
    termination: str
    backend: str
    solve_s: float
    objective_usd: float | None
    terms: dict[str, float] = field(default_factory=dict)
    values: dict[str, xr.DataArray] = field(default_factory=dict)
    duals: dict[str, xr.DataArray] = field(default_factory=dict)


_TERMINATION_TO_STATUS = {
    "optimal": Status.OPTIMAL,
    "infeasible": Status.INFEASIBLE,
    "infeasible_or_unbounded": Status.INFEASIBLE,
    "unbounded": Status.UNBOUNDED,
    "time_limit": Status.TIME_LIMIT,
}


def solve(built: BuiltModel, options: SolveOptions | None = None) -> Solution:
    """Solve ``built`` and read back every variable, term and (for LPs) dual."""
    options = options or SolveOptions()
    m = built.model
    start = time.perf_counter()
    if options.backend == "highs":
        kwargs: dict[str, object] = {"output_flag": options.verbose,
                                     "mip_rel_gap": options.mip_rel_gap}
        if options.time_limit_s is not None:
            kwargs["time_limit"] = float(options.time_limit_s)
        if options.threads is not None:
            kwargs["threads"] = options.threads
        m.solve(solver_name="highs", io_api="direct", **kwargs)
    elif options.backend == "pulp":
        from planner.backends.pulp_backend import solve_with_pulp

        solve_with_pulp(built, options)
    else:
        raise ValueError(f"unknown solver backend '{options.backend}'; use highs or pulp")
    elapsed = time.perf_counter() - start
    termination = str(m.termination_condition)
    status = _TERMINATION_TO_STATUS.get(termination, Status.ERROR)
    if status is not Status.OPTIMAL:
        return Solution(status, termination, options.backend, elapsed, None)
    terms = {name: float(expr.solution.sum()) if expr.nterm else 0.0
             for name, expr in built.terms.items()}
    values = {name: var.solution for name, var in m.variables.items()}
    duals: dict[str, xr.DataArray] = {}
    if not m.variables.integers and not m.variables.binaries:
        duals = {name: con.dual for name, con in m.constraints.items()
                 if getattr(con, "dual", None) is not None}
    return Solution(status, termination, options.backend, elapsed, float(m.objective.value),
                    terms, values, duals)
