"""PuLP backend: the linopy model's matrices, handed to any PuLP solver (CBC by default).

The PuLP problem is built from ``built.model.matrices`` (the same A, b, c, bounds and
variable types HiGHS receives through linopy's direct interface), never from a second,
hand-written model. Rows are built in bulk from the CSR matrix: one
``LpAffineExpression`` per row from zipped (variable, coefficient) slices, one
``LpVariable`` per active column (PuLP needs that object; nothing else is created per
variable).

Names follow linopy's LP-file convention, ``x<label>`` for variables and ``c<label>`` for
constraints, so a written LP/MPS file reads the same as one linopy writes itself.

After the solve the primal values (and, for LPs, the row duals) are handed back through
linopy's own ``Model.assign_result`` with a ``linopy.constants.Result``: the same path
linopy's solvers take, so scaling, status and the objective value are set exactly as after
``Model.solve`` and :func:`planner.solve.solve` reads the model unchanged.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pulp
from linopy.common import values_to_lookup_array
from linopy.constants import Result, Solution, Status, TerminationCondition

from planner.model import BuiltModel
from planner.options import SolveOptions

if TYPE_CHECKING:
    import linopy

DEFAULT_SOLVER = "PULP_CBC_CMD"

_SENSE = {"<": pulp.LpConstraintLE, ">": pulp.LpConstraintGE, "=": pulp.LpConstraintEQ}
_CAT = {"C": pulp.LpContinuous, "B": pulp.LpBinary, "I": pulp.LpInteger}


@dataclass(frozen=True)
class PulpModel:
    """A PuLP problem mirroring a linopy model, column by column and row by row.

    ``variables[i]`` is the column of linopy label ``vlabels[i]``; ``constraints[k]``
    the row of label ``clabels[k]``. ``c`` is the objective in solver-scaled units
    (as in ``linopy.Model.matrices``), ``is_mip`` says whether any column is integral.
    """

    problem: pulp.LpProblem
    variables: list[pulp.LpVariable]
    constraints: list[pulp.LpConstraint]
    vlabels: np.ndarray
    clabels: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    c: np.ndarray
    is_mip: bool
    build_s: float


def _sanitize(m: linopy.Model) -> None:
    """Drop near-zero coefficients and rows with non-binding infinite RHS.

    ``linopy.Model.solve`` does the same (``sanitize_zeros`` / ``sanitize_infinities``)
    before building a solver model; doing it here keeps both backends on one matrix.
    """
    m.constraints.sanitize_zeros()
    m.constraints.sanitize_infinities()


def to_pulp(m: linopy.Model, name: str = "regionplan") -> PulpModel:
    """Build a ``pulp.LpProblem`` from the matrix form of a linopy model.

    Raises ValueError for what the matrix path cannot express in PuLP (quadratic
    objectives, semi-continuous variables, indicator constraints, SOS sets).
    """
    t0 = time.perf_counter()
    _sanitize(m)
    M = m.matrices
    if M.Q is not None:
        raise ValueError("the PuLP backend handles linear objectives only")
    if M.indicator_A is not None:
        raise ValueError("the PuLP backend does not support indicator constraints")
    if m.variables.sos:
        raise ValueError("the PuLP backend does not support SOS constraints")
    vtypes = M.vtypes
    unsupported = sorted(set(np.unique(vtypes)) - set(_CAT))
    if unsupported:
        raise ValueError(f"the PuLP backend does not support variable types {unsupported}")

    sense = pulp.LpMaximize if m.objective.sense == "max" else pulp.LpMinimize
    prob = pulp.LpProblem(name, sense)
    lb = np.asarray(M.lb, dtype=float)
    ub = np.asarray(M.ub, dtype=float)
    # PuLP wants None for an infinite bound; tolist() gives plain floats for speed.
    lbs = [None if math.isinf(v) else v for v in lb.tolist()]
    ubs = [None if math.isinf(v) else v for v in ub.tolist()]
    cats = [_CAT[t] for t in vtypes.tolist()]
    variables = [prob.add_variable(f"x{label}", lo, hi, cat)
                 for label, lo, hi, cat in zip(M.vlabels.tolist(), lbs, ubs, cats, strict=True)]

    c = np.asarray(M.c, dtype=float)
    nz = np.flatnonzero(c)
    prob.setObjective(pulp.LpAffineExpression(
        zip([variables[j] for j in nz.tolist()], c[nz].tolist(), strict=True)))

    constraints: list[pulp.LpConstraint] = []
    clabels = np.asarray(M.clabels)
    A = M.A
    if A is not None and A.shape[0]:
        A = A.tocsr()
        A.sum_duplicates()  # one coefficient per (row, column): PuLP rows are dicts
        # One reference per stored entry, then slices per row: no per-entry Python work
        # beyond the list PuLP's dict-based expression needs anyway.
        entries = [variables[j] for j in A.indices.tolist()]
        coefs = A.data.tolist()
        ptr = A.indptr.tolist()
        rhs = np.asarray(M.b, dtype=float).tolist()
        senses = [_SENSE[s] for s in M.sense.tolist()]
        for k, label in enumerate(clabels.tolist()):
            s, e = ptr[k], ptr[k + 1]
            expr = pulp.LpAffineExpression(zip(entries[s:e], coefs[s:e], strict=True))
            constraints.append(pulp.LpConstraint(expr, senses[k], f"c{label}", rhs[k]))
        # extend() with a dict stores the rows under their names without re-walking
        # every row's variables (addConstraint would, once per row).
        prob.extend({con.name: con for con in constraints})
    is_mip = bool(np.isin(vtypes, ("B", "I")).any())
    return PulpModel(prob, variables, constraints, np.asarray(M.vlabels), clabels, lb, ub, c,
                     is_mip, time.perf_counter() - t0)


def make_solver(options: SolveOptions) -> pulp.LpSolver:
    """The PuLP solver named in ``options.solver_name`` (None = bundled CBC), configured."""
    name = options.solver_name or DEFAULT_SOLVER
    available = pulp.listSolvers(onlyAvailable=True)
    if name not in available:
        raise ValueError(f"PuLP solver '{name}' is not available here; available: "
                         f"{', '.join(available)} (set SolveOptions.solver_name)")
    kwargs: dict[str, object] = {"msg": options.verbose, "gapRel": options.mip_rel_gap}
    if options.time_limit_s is not None:
        kwargs["timeLimit"] = float(options.time_limit_s)
    if options.threads is not None:
        kwargs["threads"] = options.threads
    with warnings.catch_warnings():
        # PuLP 3.3 marks its bundled CBC as deprecated in favour of a separately
        # installed one; the bundled binary is what works offline, so use it quietly.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.getSolver(name, **kwargs)


def _termination(prob: pulp.LpProblem, time_limited: bool) -> TerminationCondition:
    """Map PuLP's (status, sol_status) pair onto linopy's termination conditions."""
    if prob.sol_status == pulp.LpSolutionOptimal and prob.status == pulp.LpStatusOptimal:
        return TerminationCondition.optimal
    if prob.sol_status == pulp.LpSolutionIntegerFeasible:
        return (TerminationCondition.time_limit if time_limited
                else TerminationCondition.suboptimal)
    if prob.status == pulp.LpStatusInfeasible:
        return TerminationCondition.infeasible
    if prob.status == pulp.LpStatusUnbounded:
        return TerminationCondition.unbounded
    if prob.status == pulp.LpStatusNotSolved and time_limited:
        return TerminationCondition.time_limit
    return TerminationCondition.unknown


def _label_size(items: object) -> int:
    """One past the largest label of a linopy container (variables or constraints)."""
    return max((int(item.range[1]) for _, item in items.items()), default=0)  # type: ignore[attr-defined]


def read_result(pm: PulpModel, m: linopy.Model, time_limited: bool, solver: str) -> Result:
    """A linopy ``Result`` (label-indexed primal and dual) from a solved PuLP problem."""
    status = Status.from_termination_condition(_termination(pm.problem, time_limited))
    status.legacy_status = (pulp.LpStatus[pm.problem.status],
                            pulp.LpSolution[pm.problem.sol_status])
    if not status.is_ok:
        return Result(status, None, pm.problem, solver)
    values = np.array([np.nan if v.varValue is None else v.varValue for v in pm.variables],
                      dtype=float)
    # A column no row or objective mentions never reaches the solver: any value within its
    # bounds is optimal, and the one closest to 0 is the natural choice.
    missing = np.isnan(values)
    values[missing] = np.clip(0.0, pm.lb[missing], pm.ub[missing])
    primal = values_to_lookup_array(values, pm.vlabels, size=_label_size(m.variables))
    dual = np.array([], dtype=float)
    pis = [con.pi for con in pm.constraints]
    if not pm.is_mip and pis and all(pi is not None for pi in pis):
        dual = values_to_lookup_array(np.asarray(pis, dtype=float), pm.clabels,
                                      size=_label_size(m.constraints))
    return Result(status, Solution(primal, dual, float(pm.c @ values)), pm.problem, solver)


def solve_with_pulp(built: BuiltModel, options: SolveOptions) -> PulpModel:
    """Solve ``built`` with a PuLP solver and write the result onto its linopy model.

    Afterwards ``built.model`` carries ``status``, ``termination_condition``, the objective
    value, every variable's ``solution`` and (for LPs, where the solver reports them) every
    constraint's ``dual``, exactly as after ``linopy.Model.solve``.
    """
    m = built.model
    m.reset_solution()
    pm = to_pulp(m)
    solver = make_solver(options)
    pm.problem.solve(solver)
    result = read_result(pm, m, options.time_limit_s is not None,
                         f"pulp:{options.solver_name or DEFAULT_SOLVER}")
    m.assign_result(result)
    return pm


def write_model_file(built: BuiltModel, path: str | Path) -> Path:
    """Write the model as an LP (``.lp``) or MPS (``.mps``) file through PuLP.

    Returns the path written. Raises ValueError for any other suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".lp", ".mps"):
        raise ValueError(f"{path}: model files end in .lp or .mps, not '{path.suffix}'")
    pm = to_pulp(built.model)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".lp":
        pm.problem.writeLP(str(path))
    else:
        pm.problem.writeMPS(str(path))
    return path
