"""ε-constraint re-solves of one built model, straight on HiGHS.

The Pareto frontier solves one model dozens of times; between solves only the objective
weights and the right-hand side of one carbon cap change. Through linopy, every re-solve
diffs the whole model against the last one and reads every variable back into xarray: on
the 13.5k-variable llm-fleet MILP that bookkeeping cost ~20× HiGHS's own warm re-solve
(~10 ms). Here the model's matrices (``linopy.Model.matrices``, the same ones every backend
gets) are handed to HiGHS once, objectives and the cap are dense column vectors, and a
solve returns a column vector. Reading a plan out is left to whoever wants one.

Warm starts: a cap change keeps the last basis dual feasible, so it is re-solved by dual
simplex; an objective change keeps it primal feasible, so by primal simplex (measured on a
100k-variable LP: 0.9 s primal vs 5.3 s dual for the same switch, a cold solve 2 s).

MILP points are accepted when proven within ``mip_rel_gap``, as in
:func:`planner.solve.solve`: the LP relaxation gives a bound; the neighbouring point's
choice of the binaries, then each block's rounding rules, are fixed and re-solved; when
none is close enough to the bound, a small branch and bound over warm-started LPs tries
(job sites first); only then HiGHS's own branch and bound runs, from the best plan found.
An LP with integral columns fixed is solved from scratch with presolve, on a second
HiGHS instance (see :meth:`CappedHighs._run_from_scratch`).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import highspy
import linopy
import numpy as np
import xarray as xr
from scipy import sparse

from planner.instances import INSTANCE_NAMES
from planner.model import BRANCH_PRIORITY, RUNNER_UP, BuiltModel
from planner.solve import SolveOptions, Status, highs_options, quiet

INF = highspy.kHighsInf
_STATUS = {highspy.HighsModelStatus.kOptimal: Status.OPTIMAL,
           highspy.HighsModelStatus.kInfeasible: Status.INFEASIBLE,
           highspy.HighsModelStatus.kUnboundedOrInfeasible: Status.INFEASIBLE,
           highspy.HighsModelStatus.kUnbounded: Status.UNBOUNDED,
           highspy.HighsModelStatus.kTimeLimit: Status.TIME_LIMIT}
_DUAL_SIMPLEX, _PRIMAL_SIMPLEX = 1, 4  # HiGHS option simplex_strategy
DEVEX = 1  # HiGHS option simplex_dual_edge_weight_strategy
SEARCH_RUNS = 24  # LPs the warm branch and bound may spend before HiGHS's MIP takes over
INTEGRAL_TOL = 1e-6
BACKOFF_TRIES = 4  # relaxations under a lowered cap tried before searching
CAP_STEP_MIN = 1e-4  # least cap reduction per try, relative to the cap
WARM_SHARE = 0.1  # of the cold solve's iterations, a warm LP with columns fixed may take
WARM_ITERATIONS_MIN = 200
NO_ITERATION_LIMIT = 2_147_483_647  # HiGHS's default simplex_iteration_limit
FEASIBILITY_TOL = 1e-7  # HiGHS's primal feasibility tolerance


def highs_lp(M: Any, cost: np.ndarray | None = None) -> highspy.HighsLp:
    """A ``highspy.HighsLp`` of a model's matrix form (``linopy.Model.matrices``), with
    ``cost`` as its objective (default: the model's own). Integrality is not set."""
    A = M.A.tocsr() if M.A is not None else None
    lp = highspy.HighsLp()
    lp.num_col_ = len(M.vlabels)
    lp.col_cost_ = np.asarray(M.c if cost is None else cost, float)
    lp.col_lower_, lp.col_upper_ = np.asarray(M.lb, float), np.asarray(M.ub, float)
    if A is not None and A.shape[0]:
        lp.num_row_ = int(A.shape[0])
        lp.row_lower_ = np.where(M.sense != "<", M.b, -np.inf)
        lp.row_upper_ = np.where(M.sense != ">", M.b, np.inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.a_matrix_.start_ = A.indptr.astype(np.int32)
        lp.a_matrix_.index_ = A.indices.astype(np.int32)
        lp.a_matrix_.value_ = A.data.astype(float)
    return lp


@dataclass(frozen=True)
class Columns:
    """The built model in matrix form, and how its variables map onto solver columns.

    ``vlabels[j]`` is the linopy label of column ``j`` and ``position[label]`` its column
    (-1 for a label without one); ``integral`` lists the binary and integer columns.
    """

    lp: highspy.HighsLp
    vlabels: np.ndarray
    position: np.ndarray
    integral: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rows: sparse.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray

    @classmethod
    def of(cls, m: linopy.Model) -> Columns:
        M = m.matrices
        vlabels = np.asarray(M.vlabels, dtype=np.int64)
        size = max([int(m.variables[n].labels.max()) + 1 for n in m.variables] + [0])
        position = np.full(size, -1, dtype=np.int64)
        position[vlabels] = np.arange(len(vlabels))
        lower, upper = np.asarray(M.lb, float), np.asarray(M.ub, float)
        lp = highs_lp(M, cost=np.zeros(len(vlabels)))
        integral = np.flatnonzero(np.isin(np.asarray(M.vtypes), ("B", "I")))
        rows = M.A.tocsr() if M.A is not None else sparse.csr_matrix((0, len(vlabels)))
        return cls(lp, vlabels, position, integral, lower, upper, rows,
                   np.asarray(lp.row_lower_, float), np.asarray(lp.row_upper_, float))

    @property
    def n(self) -> int:
        return len(self.vlabels)

    def feasible(self, x: np.ndarray, lower: np.ndarray | None = None,
                 upper: np.ndarray | None = None) -> bool:
        """Whether ``x`` meets every row and column bound of the model within
        ``FEASIBILITY_TOL`` (relative to the bound, absolute below 1); ``lower``/``upper``
        replace the column bounds."""
        lower = self.lower if lower is None else lower
        upper = self.upper if upper is None else upper
        if not _within(x, lower, upper):
            return False
        return _within(self.rows @ x, self.row_lower, self.row_upper)

    def vector(self, expr: linopy.LinearExpression) -> np.ndarray:
        """The coefficient of each column in ``expr`` (a linear expression, no constant)."""
        return self.vector_of([(np.asarray(expr.vars.values).ravel(),
                                np.asarray(expr.coeffs.values, dtype=float).ravel())])

    def vector_of(self, pieces: Iterable[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """The coefficient of each column in ``Σ coefficients · variables`` given as
        (labels, coefficients) pairs (see :meth:`planner.terms.Terms.columns`)."""
        out = np.zeros(self.n)
        for labels, coeffs in pieces:
            keep = (labels >= 0) & (coeffs != 0)
            cols = self.position[labels[keep]]
            if (cols < 0).any():
                raise ValueError("the expression uses variables the solver does not see")
            np.add.at(out, cols, coeffs[keep])
        return out

    def assign(self, m: linopy.Model, x: np.ndarray, values: dict[str, xr.DataArray]
               ) -> None:
        """Write each variable's values (labelled like the variable, or broadcastable to
        it) into the column vector ``x``."""
        for name, value in values.items():
            labels = m.variables[name].labels
            vals = (value if _same_cells(value, labels) else value.broadcast_like(labels)
                    ).transpose(
                *labels.dims).values.ravel()
            flat = labels.values.ravel()
            keep = flat >= 0
            x[self.position[flat[keep]]] = vals[keep]

    def values(self, m: linopy.Model, x: np.ndarray,
               names: list[str] | None = None) -> dict[str, xr.DataArray]:
        """Variable values from a column vector (NaN where a variable is masked)."""
        full = np.full(len(self.position) + 1, np.nan)  # the last slot answers label -1
        full[self.vlabels] = x
        out: dict[str, xr.DataArray] = {}
        for name in names if names is not None else list(m.variables):
            labels = m.variables[name].labels
            out[name] = labels.copy(data=full[np.where(labels.values >= 0, labels.values, -1)])
        return out


@dataclass(frozen=True)
class ColumnSolution:
    """One optimal solve: column values, the objective there and its proven bound."""

    x: np.ndarray
    objective: float
    bound: float
    solve_s: float
    runs: int
    # "lp"; for MILPs "rounded" (proven by the relaxation's bound), "branched" (proven by a
    # few warm LPs) or "branch-and-bound" (HiGHS's MIP solver)
    method: str

    @property
    def gap(self) -> float | None:
        """Proven relative gap of a MILP point (None for an LP)."""
        return None if self.method == "lp" else _gap(self.objective, self.bound)


class InfeasibleCap(RuntimeError):
    """No plan meets the cap (or the model has no plan at all)."""


class SolverStopped(RuntimeError):
    """HiGHS stopped without an optimal plan (time limit, numerical trouble)."""


class CappedHighs:
    """One HiGHS instance: the model's LP relaxation plus one cap row ``cap_vector·x ≤ ε``.

    Not thread-safe; use one instance per thread (HiGHS instances are independent).
    ``devex``: Devex dual pricing, for an instance that walks cap steps (it skips the
    initial steepest-edge weights of each warm start: llm-fleet's 19 cap steps 1.13 s →
    0.70 s, more iterations, each cheaper; the 100k-variable LP fleet's frontier did not
    gain).
    """

    def __init__(self, built: BuiltModel, cols: Columns, cap_vector: np.ndarray,
                 options: SolveOptions, devex: bool = False):
        self.built, self.cols, self.options = built, cols, options
        with quiet(not options.verbose):  # HiGHS prints a banner when first created
            h = highspy.Highs()
        for key, value in highs_options(built.model, options).items():
            h.setOptionValue(key, value)
        if devex:
            h.setOptionValue("simplex_dual_edge_weight_strategy", DEVEX)
        h.passModel(cols.lp)
        self.cap_vector = cap_vector
        # with whole instances the capped quantity is a function of the integral columns
        # alone: a choice of them breaks the cap or not before any LP is run
        on_integral = np.isin(np.flatnonzero(cap_vector), cols.integral).all()
        self._cap_of_choice = cap_vector[cols.integral] if on_integral and len(
            cols.integral) else None
        nz = np.flatnonzero(cap_vector)
        h.addRow(-INF, INF, len(nz), nz.astype(np.int32), cap_vector[nz])
        self.h = h
        self.cap_row = h.getNumRow() - 1
        self._objective: np.ndarray | None = None
        self._cold = True
        self._solved_by = h  # the instance whose solution _x reads
        self._spare: highspy.Highs | None = None  # see _run
        self._warm_iterations = NO_ITERATION_LIMIT
        self._priority = np.zeros(len(cols.integral))
        for name, rank in BRANCH_PRIORITY.items():
            if name in built.model.variables:
                labels = built.model.variables[name].labels.values.ravel()
                mine = cols.position[labels[labels >= 0]]
                self._priority[np.isin(cols.integral, mine)] = rank
        self._index = np.arange(cols.n, dtype=np.int32)
        self._cap: float | None = None
        # choices fixed in this minimize (by bounds and cap): the plan (None if infeasible)
        # and the least excess over the cap of its rounded counts (None if none broke it)
        self._tried: dict[bytes, tuple[np.ndarray | None, float | None]] = {}
        labels = np.concatenate([built.model.variables[n].labels.values.ravel()
                                 for n in INSTANCE_NAMES if n in built.model.variables]
                                + [np.zeros(0, np.int64)])
        self._counts = np.isin(cols.integral, cols.position[labels[labels >= 0]])

    def _set_cap(self, cap: float | None) -> None:
        self.h.changeRowBounds(self.cap_row, -INF, INF if cap is None else float(cap))
        self._cap = cap

    def _run(self, strategy: int, fixed: bool = False) -> Status:
        """Re-solve warm with ``strategy``; ``fixed``: a node of :meth:`_search`, whose
        integral columns were bounded.

        A node is often infeasible (a site or a count that cannot meet the cap), which warm
        dual simplex proves slowly (see :meth:`_run_from_scratch`). So it gets
        ``WARM_SHARE`` of the first cold solve's iterations warm; past that it is solved
        from scratch.
        """
        h = self.h
        self._solved_by = h
        cold = self._cold
        if not cold:  # the first solve keeps highs_options' choice (IPM for big LPs)
            h.setOptionValue("solver", "simplex")
            h.setOptionValue("simplex_strategy", strategy)
        if fixed and not cold:
            h.setOptionValue("simplex_iteration_limit", self._warm_iterations)
        try:
            h.run()
        finally:
            if fixed and not cold:
                h.setOptionValue("simplex_iteration_limit", NO_ITERATION_LIMIT)
        self._cold = False
        if cold:
            self._warm_iterations = max(WARM_ITERATIONS_MIN,
                                        int(WARM_SHARE * h.getInfo().simplex_iteration_count))
        if h.getModelStatus() == highspy.HighsModelStatus.kIterationLimit:
            return self._run_from_scratch()
        return _STATUS.get(h.getModelStatus(), Status.ERROR)

    def _run_from_scratch(self) -> Status:
        """Solve the current LP from scratch, with presolve, on a spare HiGHS instance; its
        optimal basis is copied back for the next warm start.

        For an LP with integral columns fixed (a choice of sites, whole instance counts)
        this is faster than warm simplex from the relaxation's basis: presolve removes the
        fixed columns first. On the llm-fleet frontier warm dual simplex needed up to
        1,500–5,000 iterations (0.5–1.5 s) to prove such an LP infeasible, and 200–700 for
        many feasible ones (0.1–0.35 s), where a solve from scratch takes 25–75 ms; solving
        every such LP this way made the frontier 5.6 s → 4.1 s.
        """
        if self._spare is None:
            with quiet(not self.options.verbose):
                self._spare = highspy.Highs()
            for key, value in highs_options(self.built.model, self.options).items():
                self._spare.setOptionValue(key, value)
        spare = self._spare
        spare.passModel(self.h.getLp())
        spare.run()
        status = _STATUS.get(spare.getModelStatus(), Status.ERROR)
        if status is Status.OPTIMAL:
            basis = spare.getBasis()
            if basis.valid:
                self.h.setBasis(basis)
            self._solved_by = spare
        return status

    def _x(self) -> np.ndarray:
        return np.asarray(self._solved_by.getSolution().col_value, dtype=float)

    def relax(self, objective: np.ndarray, cap: float | None = None,
              basis: highspy.HighsBasis | None = None) -> highspy.HighsBasis:
        """Solve the LP relaxation of ``objective`` under ``cap``, warm from ``basis`` (an
        optimal basis for ``objective`` under another cap, found on any instance) or else
        from this instance's last solve; returns its optimal basis. Raises InfeasibleCap or
        SolverStopped."""
        h = self.h
        strategy = _DUAL_SIMPLEX  # a cap change keeps an optimal basis dual feasible
        if self._objective is None or not np.array_equal(objective, self._objective):
            h.changeColsCost(self.cols.n, self._index, objective)
            self._objective = objective.copy()
            if basis is None:  # the last basis is still primal feasible
                strategy = _PRIMAL_SIMPLEX
        self._set_cap(cap)
        if basis is not None:
            h.setBasis(basis)
        status = self._run(strategy)
        if status is Status.INFEASIBLE:
            raise InfeasibleCap("no plan meets the cap" if cap is not None else "no plan")
        if status is not Status.OPTIMAL:
            raise SolverStopped(f"HiGHS stopped with {h.modelStatusToString(h.getModelStatus())}")
        return h.getBasis()

    def minimize(self, objective: np.ndarray, cap: float | None = None,
                 incumbents: tuple[np.ndarray, ...] = (),
                 basis: highspy.HighsBasis | None = None) -> ColumnSolution:
        """Minimize ``objective·x`` with the cap at ``cap`` (None: no cap).

        ``incumbents`` are column vectors of earlier solutions whose binary choices are
        tried too (MILPs); ``basis``: a start for the relaxation (e.g. its optimal basis,
        found by :meth:`relax` on another instance). Raises InfeasibleCap or SolverStopped.
        """
        t0 = time.perf_counter()
        self._tried.clear()
        self.relax(objective, cap, basis)
        runs = 1
        x = self._x()
        bound = float(objective @ x)
        if not len(self.cols.integral):
            return ColumnSolution(x, bound, bound, time.perf_counter() - t0, runs, "lp")
        cols, tol = self.cols, self.options.mip_rel_gap
        if self.options.mip_strategy == "branch-and-bound":
            x, bound, how = self._branch_and_bound(None)
            return ColumnSolution(x, float(objective @ x), bound, time.perf_counter() - t0,
                                  runs + 1, how)
        lower, upper = cols.lower[cols.integral], cols.upper[cols.integral]
        # A neighbouring point's choice usually holds; the rounding rules are tried when
        # none is given or none is close enough, then the relaxation under a lowered cap.
        best, n_runs, excess = self._round(
            objective, [self._binaries_of(inc) for inc in incumbents], bound, lower, upper,
            relaxed=x, more=lambda: self._candidates(x))
        if cap is not None and (best is None or _gap(float(objective @ best), bound) > tol):
            below, more = self._round_below_cap(objective, float(cap), x, bound, lower, upper,
                                                excess)
            n_runs += more
            if below is not None and (best is None or objective @ below < objective @ best):
                best = below
        runs += n_runs
        if best is not None and _gap(float(objective @ best), bound) <= tol:
            return ColumnSolution(best, float(objective @ best), bound,
                                  time.perf_counter() - t0, runs, "rounded")
        best, bound, n_runs = self._search(objective, x, bound, best)
        runs += n_runs
        if best is not None and _gap(float(objective @ best), bound) <= tol:
            return ColumnSolution(best, float(objective @ best), bound,
                                  time.perf_counter() - t0, runs, "branched")
        x, bound, how = self._branch_and_bound(best)
        return ColumnSolution(x, float(objective @ x), bound, time.perf_counter() - t0,
                              runs + 1, how)

    def _candidates(self, x: np.ndarray, generous_only: bool = False) -> list[np.ndarray]:
        """Choices of the binaries by the blocks' rounding rules (generous, strict, busy:
        :data:`planner.model.ROUNDING_RULES`); the instance counts are left open (NaN), for
        :meth:`_round` to round around them.

        Generous first: on a frontier, closing the sites the relaxation barely uses tends to
        break the cap (llm-fleet frontier: 57 HiGHS runs instead of 59, ~6 % less time).
        Runner-up last: where a cap pushes a job off its site or GPU model, the relaxation
        still gives most of it to the old one, whose rounding cannot meet the cap.
        """
        cols, m = self.cols, self.built.model
        names = [n for n, v in m.variables.items()
                 if v.attrs.get("binary") or v.attrs.get("integer")]
        relaxed = cols.values(m, x, names)
        out: list[np.ndarray] = []
        for rule in ("generous",) if generous_only else ("generous", "strict", "busy",
                                                           RUNNER_UP):
            choice = np.full(cols.n, np.nan)
            cols.assign(m, choice, self.built.round_choices(relaxed, rule))
            out.append(np.round(choice[cols.integral]))
        return out

    def _binaries_of(self, x: np.ndarray) -> np.ndarray:
        """The integral columns of ``x`` rounded, with the instance counts left open."""
        return np.where(self._counts, np.nan, np.round(x[self.cols.integral]))

    def _round(self, objective: np.ndarray, choices: list[np.ndarray], bound: float,
               lower: np.ndarray, upper: np.ndarray, limit: float | None = None,
               relaxed: np.ndarray | None = None,
               more: Callable[[], list[np.ndarray]] | None = None
               ) -> tuple[np.ndarray | None, int, float | None]:
        """The best feasible plan among ``choices`` of the integral columns (each fixed in
        turn), then among ``more()`` if none of them is close enough to ``bound``; stops at
        the first plan that is. Columns left NaN (instance counts) are rounded (services
        first only where demand needs it, else in every cell), in a first pass over the
        choices from ``relaxed`` (the LP optimum they were rounded from: no LP, or one with
        every integral column fixed), in a second from the LP with the other columns fixed
        (under the current cap); see :meth:`_plan_of`. The rounded plan must meet
        ``limit`` (default: the current cap). Near llm-fleet's carbon end a neighbour's
        sites often no longer meet the cap, which its LP proves at a cost, while the
        relaxation's own rounding does (that frontier: 47 → 42 LPs, 2.6 → 2.3 s).

        ``lower``/``upper`` are the integral columns' bounds to put back afterwards. Returns
        the plan (or None), the LPs run, and the least amount by which a rounded choice broke
        the cap before any LP (None if none did).
        """
        limit = self._cap if limit is None else limit
        excess: float | None = None
        h, cols = self.h, self.cols
        idx = cols.integral.astype(np.int32)
        basis = h.getBasis()
        best: np.ndarray | None = None
        best_value = np.inf
        runs = 0
        seen: list[np.ndarray] = []
        close = self.options.mip_rel_gap

        def new(group: list[np.ndarray]) -> list[np.ndarray]:
            unique = []
            for c in group:
                if not any(np.array_equal(c, u, equal_nan=True) for u in seen):
                    unique.append(c)
                    seen.append(c)
            if relaxed is not None:  # choices rounded from ``relaxed`` without an LP first
                unique.sort(key=lambda c: not self._fits(c, relaxed))
            return unique

        def choices_to_try() -> Iterator[np.ndarray]:
            yield from new(choices)
            if more is not None and _gap(best_value, bound) > close:
                yield from new(more())

        # every choice rounded from ``relaxed`` first (no LP, or one with every integral
        # column fixed), then from the LP with the choice fixed
        passes = [("relaxed", choices_to_try)] if relaxed is not None else []
        passes.append(("lp", (lambda: iter(list(seen))) if relaxed is not None
                       else choices_to_try))
        try:
            for source, pass_choices in passes:
                for choice in pass_choices():
                    if _gap(best_value, bound) <= close:
                        break
                    key = b"".join((source.encode(), choice.tobytes(), lower.tobytes(),
                                    upper.tobytes(), np.array(
                                        [np.inf if c is None else c for c in (self._cap, limit)]
                                    ).tobytes()))
                    if key not in self._tried:  # else tried under the same bounds and cap
                        xc, n, over = self._plan_of(objective, choice, bound, lower, upper,
                                                    limit, relaxed, source)
                        runs += n
                        self._tried[key] = (xc, over)
                    xc, over = self._tried[key]
                    if over is not None:
                        excess = over if excess is None else min(excess, over)
                    if xc is not None and float(objective @ xc) < best_value:
                        best, best_value = xc, float(objective @ xc)
        finally:
            h.changeColsBounds(len(idx), idx, lower, upper)
            h.setBasis(basis)
        return best, runs, excess

    def _fits(self, choice: np.ndarray, relaxed: np.ndarray) -> bool:
        """Whether every integral column ``choice`` closes is unused at ``relaxed``: its
        instance counts can then be rounded from ``relaxed`` without an LP."""
        closed = choice == 0  # NaN (open) compares False
        return bool((relaxed[self.cols.integral][closed] <= INTEGRAL_TOL).all())

    def _plan_of(self, objective: np.ndarray, choice: np.ndarray, bound: float,
                 lower: np.ndarray, upper: np.ndarray, limit: float | None,
                 relaxed: np.ndarray | None, source: str
                 ) -> tuple[np.ndarray | None, int, float | None]:
        """One choice of :meth:`_round`: its best plan (or None), the LPs run, and the
        least excess over ``limit`` of its rounded counts (None if none broke it).

        ``source`` ``"relaxed"``: the open instance counts are rounded from ``relaxed``
        (a choice with no open columns is solved as it is); where the choice closes
        something ``relaxed`` uses, the rounding moves a job's work out of the closed
        cells, and that plan is kept only if it is feasible as it stands (no LP).
        ``"lp"``: they are rounded from the LP with the choice fixed.
        """
        open_ = np.isnan(choice)
        runs = 0
        if not open_.any():
            if source == "lp" and relaxed is not None:
                return None, 0, None  # solved as it is in the first pass
            tries: Iterable[np.ndarray] = [choice]
            fixed_lp = True
            xo = None
        elif source == "relaxed" and relaxed is not None:
            xo = relaxed.copy()
            xo[self.cols.integral[~open_]] = choice[~open_]
            tries, fixed_lp = self._count_tries(xo), self._fits(choice, relaxed)
        else:
            xo, runs = self._open_lp(choice, lower, upper), 1
            if xo is None:
                return None, runs, None
            tries, fixed_lp = self._count_tries(xo), True
        excess: float | None = None
        for whole in tries:
            if limit is not None and self._cap_of_choice is not None:
                over = float(self._cap_of_choice @ whole) - limit
                if over > 1e-9 * max(abs(limit), 1.0):
                    excess = over if excess is None else min(excess, over)
                    continue  # breaks the cap whatever the LP does
            xc = None if xo is None else self._assembled(xo, whole, lower, upper, limit)
            if fixed_lp and (xc is None or _gap(float(objective @ xc), bound)
                             > self.options.mip_rel_gap):
                xc, n = self._fixed(whole, limit)  # the LP may route the rest better
                runs += n
            if xc is not None:
                return xc, runs, excess
        return None, runs, excess

    def _assembled(self, x: np.ndarray, whole: np.ndarray, lower: np.ndarray,
                   upper: np.ndarray, limit: float | None) -> np.ndarray | None:
        """``x`` with its integral columns set to ``whole``, if that is a plan: within
        ``lower``/``upper`` (the integral columns' bounds), every row, and ``limit``.

        Counts rounded up from an LP optimum usually leave its other columns feasible (more
        capacity, the same routing), so the LP with the counts fixed is only needed where
        this fails or is not close enough to the bound."""
        cols = self.cols
        xa = x.copy()
        xa[cols.integral] = whole
        col_lower, col_upper = cols.lower.copy(), cols.upper.copy()
        col_lower[cols.integral], col_upper[cols.integral] = lower, upper
        if not cols.feasible(xa, col_lower, col_upper):
            return None
        if limit is not None and not _within(np.array([self.cap_vector @ xa]),
                                             np.array([-np.inf]), np.array([limit])):
            return None
        return xa

    def _open_lp(self, choice: np.ndarray, lower: np.ndarray, upper: np.ndarray
                 ) -> np.ndarray | None:
        """The LP optimum with the integral columns fixed at ``choice`` except where it is
        NaN (instance counts, kept within ``lower``/``upper``); None if infeasible."""
        idx = self.cols.integral.astype(np.int32)
        open_ = np.isnan(choice)
        self.h.changeColsBounds(len(idx), idx, np.where(open_, lower, choice),
                                np.where(open_, upper, choice))
        return self._x() if self._run_from_scratch() is Status.OPTIMAL else None

    def _count_tries(self, x: np.ndarray) -> Iterator[np.ndarray]:
        """The integral columns at ``x`` with its counts rounded: services rounded up only
        where demand needs it, then (if different) in every cell."""
        compact = self._whole_counts(x, compact=True)
        yield compact
        every_cell = self._whole_counts(x, compact=False)
        if not np.array_equal(every_cell, compact):
            yield every_cell

    def _fixed(self, choice: np.ndarray, limit: float | None) -> tuple[np.ndarray | None, int]:
        """The LP with every integral column fixed at ``choice`` and the cap at ``limit``:
        its optimum (or None when infeasible) and the LPs run."""
        h, idx = self.h, self.cols.integral.astype(np.int32)
        h.changeColsBounds(len(idx), idx, choice, choice)
        cap = self._cap
        self._set_cap(limit)
        try:
            if self._run_from_scratch() is not Status.OPTIMAL:
                return None, 1
        finally:
            self._set_cap(cap)
        return self._x(), 1

    def _round_below_cap(self, objective: np.ndarray, cap: float, x: np.ndarray,
                         bound: float, lower: np.ndarray, upper: np.ndarray,
                         excess: float | None) -> tuple[np.ndarray | None, int]:
        """A whole plan under ``cap`` from the relaxation of a tighter cap.

        Rounding instance counts up adds carbon, so near a binding cap the rounded
        relaxation breaks it (llm-fleet's low-carbon half: every point fell to branch and
        bound, 13–80 s each). ``excess`` is the least amount by which a rounding of the
        relaxation broke the cap; it is taken off the relaxation's cap, which is re-solved
        warm and rounded again, up to ``BACKOFF_TRIES`` times. Only where the cap is a
        function of the integral columns (whole instances): the excess is then known
        without an LP. Returns the plan (or None) and the LPs run.
        """
        if self._cap_of_choice is None or excess is None:
            return None, 0
        h, runs = self.h, 0
        basis = h.getBasis()
        target = cap
        try:
            for _ in range(BACKOFF_TRIES):
                target -= max(excess, CAP_STEP_MIN * abs(cap))
                self._set_cap(target)
                h.setBasis(basis)
                runs += 1
                if self._run(_DUAL_SIMPLEX) is not Status.OPTIMAL:
                    return None, runs  # no relaxation that far below the cap
                x = self._x()
                plan, n, excess = self._round(
                    objective, self._candidates(x, generous_only=True), bound, lower, upper,
                    limit=cap, relaxed=x)
                runs += n
                if plan is not None or excess is None:
                    return plan, runs
            return None, runs
        finally:
            self._set_cap(cap)
            h.setBasis(basis)

    def _whole_counts(self, x: np.ndarray, compact: bool) -> np.ndarray:
        """The integral columns at ``x`` with its (fixed) binaries kept and its instance
        counts rounded to whole instances by :meth:`BuiltModel.round_instances`."""
        cols, m = self.cols, self.built.model
        names = [n for n, v in m.variables.items()
                 if v.attrs.get("binary") or v.attrs.get("integer")]
        values = cols.values(m, x, names)
        binaries = {n: values[n].round() for n in names if m.variables[n].attrs.get("binary")}
        out = x.copy()
        cols.assign(m, out, self.built.round_instances(values, binaries, compact))
        return np.round(out[cols.integral])

    def _search(self, objective: np.ndarray, x: np.ndarray, bound: float,
                best: np.ndarray | None) -> tuple[np.ndarray | None, float, int]:
        """A small best-first branch and bound over warm-started LPs.

        HiGHS's MIP solver starts each point afresh (presolve, cold root LP: ~1.2 s per
        point on llm-fleet, where a warm LP takes ~20 ms). Near a cap where the relaxation
        mixes two sites for one job, a few warm LPs settle the choice instead: branch on
        the most fractional binary of the highest-priority block
        (:data:`planner.model.BRANCH_PRIORITY`), each child re-solved from its parent's
        basis, each node rounded for a plan. Stops after ``SEARCH_RUNS`` LPs. Returns the
        best plan, the proven bound (least over open and pruned nodes) and the LPs run.
        """
        h, cols, tol = self.h, self.cols, self.options.mip_rel_gap
        idx = cols.integral.astype(np.int32)
        lower0, upper0 = cols.lower[cols.integral], cols.upper[cols.integral]
        best_value = np.inf if best is None else float(objective @ best)
        root_basis = h.getBasis()
        order = itertools.count()
        nodes = [(bound, next(order), lower0, upper0, x[cols.integral], root_basis)]
        settled = np.inf  # least bound of the pruned nodes
        runs = 0
        try:
            while nodes and runs < SEARCH_RUNS and _gap(best_value, nodes[0][0]) > tol:
                parent_bound, _, lower, upper, xi, basis = heapq.heappop(nodes)
                frac = np.abs(xi - np.round(xi))
                # the highest-priority block with a fractional value, its most fractional
                j = int(np.argmax(np.where(frac > INTEGRAL_TOL, self._priority, -1) * 10 + frac))
                # x_j ≥ ⌈v⌉, then x_j ≤ ⌊v⌋ (a binary: 1, then 0)
                for lo_j, up_j in ((np.ceil(xi[j]), upper[j]), (lower[j], np.floor(xi[j]))):
                    lo, up = lower.copy(), upper.copy()
                    lo[j], up[j] = lo_j, up_j
                    h.changeColsBounds(len(idx), idx, lo, up)
                    h.setBasis(basis)
                    runs += 1
                    status = self._run(_DUAL_SIMPLEX, fixed=True)
                    if status is Status.INFEASIBLE:
                        continue  # nothing below this node
                    if status is not Status.OPTIMAL:  # unsolved: its parent's bound stands
                        settled = min(settled, parent_bound)
                        continue
                    xc = self._x()
                    node_bound = float(objective @ xc)
                    xci = xc[cols.integral]
                    if np.abs(xci - np.round(xci)).max() <= INTEGRAL_TOL:
                        if node_bound < best_value:
                            best, best_value = xc, node_bound
                        continue
                    if _gap(best_value, node_bound) <= tol:
                        settled = min(settled, node_bound)
                        continue
                    node_basis = h.getBasis()
                    plan, n, _ = self._round(
                        objective, self._candidates(xc, generous_only=True), node_bound, lo, up,
                        relaxed=xc)
                    runs += n
                    if plan is not None and float(objective @ plan) < best_value:
                        best, best_value = plan, float(objective @ plan)
                    heapq.heappush(nodes, (node_bound, next(order), lo, up, xci, node_basis))
        finally:
            h.changeColsBounds(len(idx), idx, lower0, upper0)
            h.setBasis(root_basis)
        proven = min([settled, best_value] + [n[0] for n in nodes])
        return best, proven, runs

    def _branch_and_bound(self, start: np.ndarray | None) -> tuple[np.ndarray, float, str]:
        """HiGHS's MIP solver on the current objective and cap, from ``start`` if given.

        Returns the plan, its proven bound and the method: ``branch-and-bound``, or
        ``branch-and-bound (time limit)`` when it stopped at ``mip_time_limit_s`` with a plan
        (whose gap is then wider than ``mip_rel_gap``)."""
        h, cols = self.h, self.cols
        idx = cols.integral.astype(np.int32)
        basis = h.getBasis()
        h.changeColsIntegrality(len(idx), idx,
                                np.full(len(idx), int(highspy.HighsVarType.kInteger), np.uint8))
        h.setOptionValue("solver", "choose")
        try:
            if start is not None:
                sol = highspy.HighsSolution()
                sol.col_value = start.tolist()
                sol.value_valid = True
                h.setSolution(sol)
            limit = self.options.time_limit_s
            if limit is None:  # like planner.solve: branch and bound gets a time limit
                limit = self.options.mip_time_limit_s
            h.setOptionValue("time_limit", float(limit) if limit is not None else INF)
            h.run()
            self._solved_by = h
            status = _STATUS.get(h.getModelStatus(), Status.ERROR)
            if status is Status.INFEASIBLE:
                raise InfeasibleCap("no plan meets the cap")
            has_plan = (h.getInfo().primal_solution_status
                        == int(highspy.SolutionStatus.kSolutionStatusFeasible))
            if status is Status.TIME_LIMIT and has_plan:
                # the best plan found, with the bound proven so far (its gap is reported)
                return self._x(), float(h.getInfo().mip_dual_bound), \
                    "branch-and-bound (time limit)"
            if status is not Status.OPTIMAL:
                raise SolverStopped("branch and bound stopped with "
                                    f"{h.modelStatusToString(h.getModelStatus())}")
            return self._x(), float(h.getInfo().mip_dual_bound), "branch-and-bound"
        finally:
            h.setOptionValue("time_limit", float(self.options.time_limit_s)
                             if self.options.time_limit_s is not None else INF)
            h.changeColsIntegrality(len(idx), idx, np.zeros(len(idx), np.uint8))
            h.setBasis(basis)


def _same_cells(a: xr.DataArray, b: xr.DataArray) -> bool:
    """Whether ``a`` and ``b`` have the same dimensions with the same index on each."""
    if set(a.dims) != set(b.dims):
        return False
    for d in b.dims:
        ia, ib = a.indexes.get(d), b.indexes.get(d)
        if ia is None or ib is None or not ia.equals(ib):
            return False
    return True


def _within(v: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):  # inf − inf where a bound is infinite
        low = v - lower >= -FEASIBILITY_TOL * np.maximum(1.0, np.abs(lower))
        high = upper - v >= -FEASIBILITY_TOL * np.maximum(1.0, np.abs(upper))
    return bool((low | np.isneginf(lower)).all() and (high | np.isposinf(upper)).all())


def _gap(value: float, bound: float) -> float:
    if not np.isfinite(value):
        return np.inf
    return max(value - bound, 0.0) / max(abs(value), 1e-9)


def term_values(terms: dict[str, np.ndarray], x: np.ndarray) -> dict[str, float]:
    """Each objective term (a column vector) evaluated at ``x``."""
    return {name: float(vec @ x) for name, vec in terms.items()}

