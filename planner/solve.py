"""Solve: a built model → a Solution (HiGHS through linopy's direct interface by default)."""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import sys
import time
from collections.abc import Iterator
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
    """Solver settings. ``backend`` is ``highs`` (default) or ``pulp``.

    ``solver_name`` picks the PuLP solver (e.g. ``HiGHS``, ``GLPK_CMD``) when ``backend`` is
    ``pulp``; None means PuLP's bundled CBC.
    """

    backend: str = "highs"
    time_limit_s: float | None = None
    mip_rel_gap: float = 1e-4  # 0.01 % of the objective; LPs are solved to optimality
    threads: int | None = None
    verbose: bool = False
    solver_name: str | None = None


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


@contextlib.contextmanager
def _quiet(enabled: bool) -> Iterator[None]:
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


def solve(built: BuiltModel, options: SolveOptions | None = None) -> Solution:
    """Solve ``built`` and read back every variable, term and (for LPs) dual."""
    options = options or SolveOptions()
    m = built.model
    start = time.perf_counter()
    with _quiet(not options.verbose):
        _run_backend(built, options)
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


def _run_backend(built: BuiltModel, options: SolveOptions) -> None:
    m = built.model
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
