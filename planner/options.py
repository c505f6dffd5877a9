"""Solver settings (:class:`SolveOptions`), shared by :mod:`planner.solve` and the solver
backends in :mod:`planner.backends` (which :mod:`planner.solve` imports, never the reverse).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings. ``backend`` is ``highs`` (default) or ``pulp``.

    ``solver_name`` picks the PuLP solver (e.g. ``HiGHS``, ``GLPK_CMD``) when ``backend`` is
    ``pulp``; None means PuLP's bundled CBC.
    """

    backend: str = "highs"
    time_limit_s: float | None = None
    # A MILP plan is accepted when proven within 0.1 % of the optimum (LPs: exact optimum).
    # Input figures are uncertain by far more than that; see README "Solving".
    mip_rel_gap: float = 1e-3
    # A Pareto frontier point is accepted when proven within this gap (each point states
    # its own): the frontier surveys the trade-off, and the point chosen is then planned
    # at mip_rel_gap. See README "Solving".
    frontier_mip_rel_gap: float = 5e-3
    threads: int | None = None
    verbose: bool = False
    solver_name: str | None = None
    # "auto": for a MILP, first try LP relaxation + rounding and accept it when the rounded
    # plan is proven within mip_rel_gap of the relaxation's bound; else branch and bound.
    mip_strategy: Literal["auto", "branch-and-bound"] = "auto"
    # LP algorithm for HiGHS. "auto": dual simplex, but the interior-point method (with
    # crossover) from IPM_MIN_VARIABLES up, where it was measured ~3× faster (benchmarks/).
    lp_method: Literal["auto", "simplex", "ipm"] = "auto"
    # With whole instances, branch and bound (after rounding could not prove the gap) stops
    # after this long and returns its best plan with the gap it proved (solver.mip_gap);
    # None: run to mip_rel_gap. An explicit time_limit_s takes precedence.
    mip_time_limit_s: float | None = 60.0
