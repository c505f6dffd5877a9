"""Solve: a built model → a Solution (HiGHS through linopy's direct interface by default)."""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import linopy
import xarray as xr
from linopy.solvers import Highs

from planner.model import BuiltModel
from planner.options import SolveOptions


class Status(enum.StrEnum):
    """What the solver concluded."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"
    ERROR = "error"


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
    mip_gap: float | None = None  # proven relative gap of a MILP plan; None for LPs
    duals_note: str | None = None  # how to read the duals (e.g. "with the sites fixed")


_TERMINATION_TO_STATUS = {
    "optimal": Status.OPTIMAL,
    "infeasible": Status.INFEASIBLE,
    "infeasible_or_unbounded": Status.INFEASIBLE,
    "unbounded": Status.UNBOUNDED,
    "time_limit": Status.TIME_LIMIT,
}


@contextlib.contextmanager
def quiet(enabled: bool) -> Iterator[None]:
    """Silence the solver's native banner and linopy's log lines unless verbose.

    HiGHS prints its banner from C++ straight to file descriptor 1 when a solver object
    is created, before any option can switch it off, so the descriptor itself is pointed
    at /dev/null for the duration of the solve.
    """
    if not enabled:
        yield
        return
    log = logging.getLogger("linopy")
    level = log.level
    log.setLevel(logging.ERROR)
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
        log.setLevel(level)


IPM_MIN_VARIABLES = 500_000


def highs_options(m: linopy.Model, options: SolveOptions) -> dict[str, Any]:
    """HiGHS option values for ``options`` on model ``m``."""
    out: dict[str, Any] = {"output_flag": options.verbose, "mip_rel_gap": options.mip_rel_gap}
    if options.time_limit_s is not None:
        out["time_limit"] = float(options.time_limit_s)
    if options.threads is not None:
        out["threads"] = options.threads
    is_mip = bool(m.variables.integers) or bool(m.variables.binaries)
    if options.lp_method == "ipm" or (options.lp_method == "auto" and not is_mip
                                      and m.nvars >= IPM_MIN_VARIABLES):
        out["solver"] = "ipm"
    return out


class PersistentHighs:
    """One HiGHS model kept alive across re-solves of the same linopy model.

    linopy diffs the model against the previous solve and applies the changes in place
    (objective, right-hand sides, bounds, variable types), so HiGHS restarts from its last
    basis: a re-solve after a price or cap change costs a fraction of a cold solve.
    Structural changes (new constraints) make linopy rebuild the HiGHS model by itself.
    """

    def __init__(self) -> None:
        self.solver: Highs | None = None

    def run(self, m: linopy.Model, options: SolveOptions) -> None:
        if self.solver is None:
            self.solver = Highs.from_model(m, io_api="direct", track_updates=True,
                                           options=highs_options(m, options))
            self.solver.solve(assign=True)
        else:
            self.solver.solve(model=m, assign=True)


def solve(built: BuiltModel, options: SolveOptions | None = None,
          persistent: PersistentHighs | None = None) -> Solution:
    """Solve ``built`` and read back every variable, term and (for LPs) dual.

    ``persistent`` keeps the HiGHS model between calls (see :class:`PersistentHighs`).
    """
    options = options or SolveOptions()
    m = built.model
    start = time.perf_counter()
    is_mip = bool(m.variables.integers) or bool(m.variables.binaries)
    if is_mip and options.mip_strategy == "auto":
        rounded = _solve_by_rounding(built, options, start, persistent)
        if rounded is not None:
            return rounded
    with quiet(not options.verbose):
        _run_backend(built, options, persistent)
    solution = _read(built, options, start)
    if is_mip and solution.status is Status.OPTIMAL:
        gap = _highs_mip_gap(m)
        return replace(solution, mip_gap=gap if gap is not None else options.mip_rel_gap)
    return solution


def _read(built: BuiltModel, options: SolveOptions, start: float, *,
          termination: str | None = None) -> Solution:
    """Status, objective terms, variable values and (for LPs) duals after a backend run."""
    m = built.model
    elapsed = time.perf_counter() - start
    term = str(m.termination_condition)
    status = _TERMINATION_TO_STATUS.get(term, Status.ERROR)
    if status is not Status.OPTIMAL:
        return Solution(status, term, options.backend, elapsed, None)
    terms = {name: float(expr.solution.sum()) if expr.nterm else 0.0
             for name, expr in built.terms.items()}
    values = {name: var.solution for name, var in m.variables.items()}
    duals: dict[str, xr.DataArray] = {}
    if not m.variables.integers and not m.variables.binaries:
        duals = {name: con.dual for name, con in m.constraints.items()
                 if getattr(con, "dual", None) is not None}
    return Solution(status, termination or term, options.backend, elapsed,
                    _objective_value(m), terms, values, duals)


def _objective_value(m: linopy.Model) -> float:
    value = m.objective.value
    if value is None:
        raise RuntimeError("the solver reported optimal but no objective value")
    return float(value)


def _highs_mip_gap(m: object) -> float | None:
    solver_model = getattr(m, "solver_model", None)
    if solver_model is None or not hasattr(solver_model, "getInfo"):
        return None
    gap = float(solver_model.getInfo().mip_gap)
    return gap if gap == gap and gap < float("inf") else None


def _solve_by_rounding(built: BuiltModel, options: SolveOptions, start: float,
                       persistent: PersistentHighs | None) -> Solution | None:
    """LP relaxation, then the rounded binaries fixed: a plan with a proven gap, or None.

    The relaxation's optimum is a lower bound on every plan; the plan with the rounded
    binaries fixed is a feasible plan. When the two are within ``mip_rel_gap`` the plan
    carries the same guarantee branch and bound would give with that gap, at the cost of
    two or three LP solves. The rounding follows each block's rule
    (:meth:`planner.model.BuiltModel.round_binaries`), first strict, then generous; if
    neither is feasible or close enough, the caller falls back to branch and bound.
    Duals of the final LP are shadow prices *with the chosen sites fixed*.
    """
    m = built.model
    integral = [name for name, v in m.variables.items()
                if v.attrs.get("binary") or v.attrs.get("integer")]
    for name in integral:
        m.variables[name].relax()
    try:
        with quiet(not options.verbose):
            _run_backend(built, options, persistent)
        if _TERMINATION_TO_STATUS.get(str(m.termination_condition)) is not Status.OPTIMAL:
            return None
        bound = _objective_value(m)
        relaxed = {name: m.variables[name].solution for name in integral}
        for generous in (False, True):
            choice = built.round_binaries(relaxed, generous)
            for name in integral:
                m.variables[name].fix(choice[name])
            with quiet(not options.verbose):
                _run_backend(built, options, persistent)
            if _TERMINATION_TO_STATUS.get(str(m.termination_condition)) is not Status.OPTIMAL:
                continue
            value = _objective_value(m)
            gap = (value - bound) / max(abs(value), 1e-9)
            if gap <= options.mip_rel_gap:
                solution = _read(built, options, start,
                                 termination=f"optimal within {max(gap, 0.0):.4%} "
                                             f"(LP bound, rounded sites)")
                return replace(solution, mip_gap=max(gap, 0.0),
                               duals_note="with the chosen sites fixed")
        return None
    finally:
        for name in integral:
            m.variables[name].unfix()
            m.variables[name].unrelax()


def _run_backend(built: BuiltModel, options: SolveOptions,
                 persistent: PersistentHighs | None = None) -> None:
    m = built.model
    if options.backend == "highs":
        if persistent is not None:
            persistent.run(m, options)
            return
        # build() (and the session, for the caps it holds) already dropped zero
        # coefficients and infinite right-hand sides; re-checking them on every solve costs
        # more than the LP itself on what-if re-solves.
        m.solve(solver_name="highs", io_api="direct", sanitize_zeros=False,
                sanitize_infinities=False, **highs_options(m, options))
    elif options.backend == "pulp":
        from planner.backends.pulp_backend import solve_with_pulp

        solve_with_pulp(built, options)
    else:
        raise ValueError(f"unknown solver backend '{options.backend}'; use highs or pulp")
