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

import highspy
import linopy
import numpy as np
import xarray as xr
from linopy.solvers import Highs

from planner.instances import INSTANCE_NAMES
from planner.model import ROUNDING_RULES, BuiltModel
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
    whole_instances: bool = True  # False: instance counts were relaxed (``--relaxed``)
    # a MILP plan branch and bound stopped at its time limit: the best plan found, proven
    # only within mip_gap, not within the gap asked
    stopped_at_time_limit: bool = False


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
            # the options of this run (e.g. branch and bound's time limit) replace the last
            # run's; an option absent now is reset, so a limit never leaks into later solves
            highs = self.solver.solver_model
            highs.setOptionValue("time_limit", float(options.time_limit_s)
                                 if options.time_limit_s is not None else float("inf"))
            highs.setOptionValue("mip_rel_gap", options.mip_rel_gap)
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
    incumbent: list[float] | None = None
    whole = any(name in m.variables and m.variables[name].attrs.get("integer")
                for name in INSTANCE_NAMES)
    if is_mip and options.mip_strategy == "auto":
        rounded, incumbent = _solve_by_rounding(built, options, start, persistent)
        if rounded is not None:
            return rounded
    bnb = options
    if whole and options.time_limit_s is None and options.mip_time_limit_s is not None:
        bnb = replace(options, time_limit_s=options.mip_time_limit_s)
    with quiet(not options.verbose):
        _run_backend(built, bnb, persistent, incumbent)
    solution = _read(built, options, start)
    if is_mip and solution.status is Status.TIME_LIMIT and bnb.time_limit_s is not None:
        gap = _highs_mip_gap(m)
        if gap is not None and m.objective.value is not None:
            return replace(_read(built, options, start, termination=(
                f"best plan within {gap:.4%} (branch and bound stopped at "
                f"{bnb.time_limit_s:g} s)"), accept_time_limit=True), mip_gap=gap,
                stopped_at_time_limit=True)
    if is_mip and solution.status is Status.OPTIMAL:
        gap = _highs_mip_gap(m)
        return replace(solution, mip_gap=gap if gap is not None else options.mip_rel_gap)
    return solution


def _read(built: BuiltModel, options: SolveOptions, start: float, *,
          termination: str | None = None, accept_time_limit: bool = False) -> Solution:
    """Status, objective terms, variable values and (for LPs) duals after a backend run.

    ``accept_time_limit``: a MILP stopped by its time limit with a plan in hand is read
    like an optimal one (its caller states the proven gap).
    """
    m = built.model
    elapsed = time.perf_counter() - start
    term = str(m.termination_condition)
    status = _TERMINATION_TO_STATUS.get(term, Status.ERROR)
    if accept_time_limit and status is Status.TIME_LIMIT:
        status = Status.OPTIMAL
    if status is not Status.OPTIMAL:
        return Solution(status, term, options.backend, elapsed, None)
    values = {name: var.solution for name, var in m.variables.items()}
    terms = {name: built.terms.value(name, values) for name in built.terms}
    duals: dict[str, xr.DataArray] = {}
    if not m.variables.integers and not m.variables.binaries:
        duals = {name: con.dual for name, con in m.constraints.items()
                 if getattr(con, "dual", None) is not None}
    return Solution(status, termination or term, options.backend, elapsed,
                    _objective_value(m), terms, values, duals,
                    whole_instances=built.whole_instances)


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
                       persistent: PersistentHighs | None
                       ) -> tuple[Solution | None, list[float] | None]:
    """LP relaxation, then the rounded binaries fixed: a plan with a proven gap, or None.

    Also returns the best rounded plan's column values (HiGHS order) when one was feasible
    but none close enough: branch and bound then starts from it.

    The relaxation's optimum is a lower bound on every plan; the plan with the rounded
    binaries fixed is a feasible plan. When the two are within ``mip_rel_gap`` the plan
    carries the same guarantee branch and bound would give with that gap, at the cost of
    two or three LP solves. The rounding follows each block's rule
    (:meth:`planner.model.BuiltModel.round_choices`), strict, busy, then generous; if
    none is feasible or close enough, the caller falls back to branch and bound.
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
            return None, None
        bound = _objective_value(m)
        relaxed = {name: m.variables[name].solution for name in integral}
        best: tuple[float, list[float]] | None = None
        for rule in ROUNDING_RULES:
            if not _fix_rounded(built, options, persistent, relaxed, integral, rule):
                continue
            value = _objective_value(m)
            gap = (value - bound) / max(abs(value), 1e-9)
            if gap <= options.mip_rel_gap:
                solution = _read(built, options, start,
                                 termination=f"optimal within {max(gap, 0.0):.4%} "
                                             f"(LP bound, rounded sites and instances)")
                return replace(solution, mip_gap=max(gap, 0.0),
                               duals_note="with the chosen sites and instances fixed"), None
            if best is None or value < best[0]:
                best = (value, _column_values(m))
        return None, None if best is None else best[1]
    finally:
        for name in integral:
            m.variables[name].unfix()
            m.variables[name].unrelax()


def _fix_rounded(built: BuiltModel, options: SolveOptions, persistent: PersistentHighs | None,
                 relaxed: dict[str, xr.DataArray], integral: list[str], rule: str) -> bool:
    """Fix the integral variables at a rounded choice and solve the LP; True if optimal.

    Binaries first (sites, hardware), with the instance counts still relaxed, so that the
    counts re-balance around the chosen sites; then the counts are rounded from that LP
    (:meth:`planner.model.BuiltModel.round_instances`) and fixed too.
    """
    m = built.model
    choice = built.round_choices(relaxed, rule)
    counts = [n for n in integral if n in INSTANCE_NAMES]
    for name in counts:
        m.variables[name].unfix()  # a previous attempt's counts
    for name, value in choice.items():
        m.variables[name].fix(value)
    values = relaxed
    if counts and choice:
        with quiet(not options.verbose):
            _run_backend(built, options, persistent)
        if _TERMINATION_TO_STATUS.get(str(m.termination_condition)) is not Status.OPTIMAL:
            return False
        values = {**relaxed, **{n: m.variables[n].solution for n in counts}}
    if COMMITMENT in counts:
        values = _commit_whole(built, options, persistent, values, counts)
    # services rounded up only where demand needs it, else in every cell
    for compact in (True, False) if "Service-instances" in counts else (False,):
        for name, value in built.round_instances(values, choice, compact).items():
            m.variables[name].fix(value)
        with quiet(not options.verbose):
            _run_backend(built, options, persistent)
        if _TERMINATION_TO_STATUS.get(str(m.termination_condition)) is Status.OPTIMAL:
            return True
    return False


COMMITMENT = "Service-commitment"


def _commit_whole(built: BuiltModel, options: SolveOptions, persistent: PersistentHighs | None,
                  values: dict[str, xr.DataArray], counts: list[str]
                  ) -> dict[str, xr.DataArray]:
    """Commitments rounded down, then the LP again: the hours above them go on demand.

    Rounding a commitment up bills a whole idle instance for the horizon (on a year of
    representative periods, several % of the plan); rounding it down and letting the LP
    move the remainder to on-demand instances costs only the hours that need them. If the
    LP with the lower commitments is infeasible (no on-demand offer), the counts stay as
    they were and :func:`planner.instances.round_instances` rounds commitments up.
    """
    m = built.model
    bought = values[COMMITMENT]
    m.variables[COMMITMENT].fix(np.floor(bought.fillna(0.0) + 1e-6).where(bought.notnull()))
    with quiet(not options.verbose):
        _run_backend(built, options, persistent)
    if _TERMINATION_TO_STATUS.get(str(m.termination_condition)) is not Status.OPTIMAL:
        m.variables[COMMITMENT].unfix()
        return values
    return {**values, **{n: m.variables[n].solution for n in counts}}


def _column_values(m: linopy.Model) -> list[float] | None:
    """The last HiGHS solve's column values, or None (another backend)."""
    solver_model = getattr(m, "solver_model", None)
    if solver_model is None or not hasattr(solver_model, "getSolution"):
        return None
    return list(solver_model.getSolution().col_value)


def _run_backend(built: BuiltModel, options: SolveOptions,
                 persistent: PersistentHighs | None = None,
                 incumbent: list[float] | None = None) -> None:
    m = built.model
    if options.backend == "highs":
        if persistent is not None:
            persistent.run(m, options)
            return
        if incumbent is not None:
            # branch and bound from a known plan: HiGHS's own start heuristic is skipped
            solver = Highs.from_model(m, io_api="direct", options={
                **highs_options(m, options), "mip_heuristic_run_feasibility_jump": False})
            start = highspy.HighsSolution()
            start.col_value = incumbent
            start.value_valid = True
            solver.solver_model.setSolution(start)
            solver.solve(assign=True)
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
