"""Benchmark runner: ``python -m benchmarks.run --out benchmarks/results/ [--smoke] [--only NAME]``.

Writes one JSON file per run (machine, versions, date, and per case: sizes, timings in
seconds, peak resident memory in MB, ratios and whether each target was met). Every
measured point runs in a fresh Python subprocess so its peak RSS belongs to that point
alone (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child).

Cases (see README.md):

- ``lp_highs_vs_raw``: ~600k-variable LP, planner build + solve (linopy → HiGHS direct)
  vs a raw ``highspy.Highs().passModel(lp); run()`` on the same exported matrices.
- ``lp_pulp_build``: the same LP built into PuLP through the matrix backend, against the
  recorded row-by-row baseline (5 × raw solve, DESIGN.md); row-by-row vs matrix measured
  side by side at a small size. The raw HiGHS solve is also timed with its interior-point
  method.
- ``week_2m``: ≥ 2 million variables, one week hourly, end to end (prepare → plan) with
  whole instances, then relaxed (``--relaxed``), and the relaxed instance with HiGHS's
  interior-point method through linopy for comparison.
- ``growth``: end-to-end time and memory at ≥ 4 sizes, power-law exponents fitted.
- ``pareto``: a 21-point carbon/cost frontier (``planner.pareto.trace_frontier``) vs one
  solve of the same session (the llm-fleet example).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent

# Sizes in target variable count. Smoke sizes keep the whole run to seconds.
FULL = {"lp_vars": 600_000, "rowwise_vars": 30_000, "week_vars": 2_000_000,
        "growth_vars": [50_000, 100_000, 200_000, 400_000], "repeats": 3,
        "pareto_points": 21, "pareto_lp_vars": 100_000}
SMOKE = {"lp_vars": 3_000, "rowwise_vars": 3_000, "week_vars": 6_000,
         "growth_vars": [4_000, 8_000, 16_000, 32_000], "repeats": 1, "pareto_points": 3,
         "pareto_lp_vars": 4_000}
HOURS = 168
TARGETS = {"lp_linopy_over_raw": 1.3, "week_total_s": 90.0, "week_peak_rss_mb": 4096.0,
           "week_whole_total_s": 150.0, "week_whole_peak_rss_mb": 6144.0,
           "week_whole_mip_gap": 0.01, "pareto_over_single": 5.0,
           # a frontier of whole-instance plans (llm-fleet), each point a MILP proven
           # within the frontier's gap
           "pareto_whole_over_single": 6.0, "rowwise_baseline_over_raw": 5.0}


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _quiet_warnings() -> None:
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("ignore", module="linopy")


# --------------------------------------------------------------------------------------
# Child-side measurements (each runs in its own process)
# --------------------------------------------------------------------------------------

def _prepared(target_vars: int) -> Any:
    from benchmarks.builders import catalog, fleet_scenario, spec_for_vars
    from planner.problem import prepare

    spec = spec_for_vars(target_vars, HOURS)
    return spec, prepare(fleet_scenario(spec), catalog())


def point_end_to_end(target_vars: int, repeats: int = 1, whole: bool = True) -> dict[str, Any]:
    """prepare → build → solve (HiGHS direct) → extract, ``repeats`` times; medians.

    ``whole``: whole instances (the planner's default), else ``--relaxed``.
    """
    from benchmarks.builders import catalog, fleet_scenario, spec_for_vars
    from planner.model import build
    from planner.plan import extract
    from planner.problem import prepare
    from planner.solve import SolveOptions, solve

    catalog()
    spec = spec_for_vars(target_vars, HOURS)
    base_rss = _peak_rss_mb()
    rows: list[dict[str, float]] = []
    n_vars = n_cons = 0
    status = ""
    mip_gap: float | None = None
    first_peak = 0.0
    for i in range(repeats):
        t0 = time.perf_counter()
        problem = prepare(fleet_scenario(spec), catalog())
        t1 = time.perf_counter()
        built = build(problem, whole_instances=whole)
        t2 = time.perf_counter()
        solution = solve(built, SolveOptions())
        t3 = time.perf_counter()
        extract(problem, solution)
        t4 = time.perf_counter()
        n_vars, n_cons = built.model.nvars, built.model.ncons
        status = str(solution.status)
        mip_gap = solution.mip_gap
        rows.append({"prepare_s": t1 - t0, "build_s": t2 - t1, "solve_s": t3 - t2,
                     "extract_s": t4 - t3, "total_s": t4 - t0})
        del built, solution, problem
        if i == 0:
            # Later repeats run on a heap the first one grew: only the first is clean.
            first_peak = _peak_rss_mb()
    out: dict[str, Any] = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    out.update({"jobs": spec.jobs, "hours": spec.hours, "n_vars": n_vars, "n_cons": n_cons,
                "status": status, "whole_instances": whole, "mip_gap": mip_gap,
                "repeats": repeats, "peak_rss_mb": first_peak,
                "peak_rss_all_repeats_mb": _peak_rss_mb(), "baseline_rss_mb": base_rss})
    return out


def point_end_to_end_ipm(target_vars: int) -> dict[str, Any]:
    """As :func:`point_end_to_end` (one repeat) but HiGHS runs its interior-point method
    on the LP relaxation (instances fractional).

    Not the planner's path (``SolveOptions`` has no HiGHS-method field): the model is
    solved through linopy directly with ``solver="ipm"``, values read back the same way.
    """
    from benchmarks.builders import catalog, fleet_scenario, spec_for_vars
    from planner.model import build
    from planner.problem import prepare

    spec = spec_for_vars(target_vars, HOURS)
    t0 = time.perf_counter()
    problem = prepare(fleet_scenario(spec), catalog())
    built = build(problem, whole_instances=False)  # the LP: an LP method compared on an LP
    t1 = time.perf_counter()
    m = built.model
    m.solve(solver_name="highs", io_api="direct", solver="ipm", output_flag=False)
    values = {name: var.solution for name, var in m.variables.items()}
    t2 = time.perf_counter()
    del values
    return {"jobs": spec.jobs, "hours": spec.hours, "n_vars": m.nvars, "n_cons": m.ncons,
            "status": str(m.termination_condition),
            "objective_usd": float(m.objective.value or math.nan),
            "build_s": t1 - t0, "solve_s": t2 - t1, "total_s": t2 - t0,
            "peak_rss_mb": _peak_rss_mb()}


def _raw_highs_s(lp: Any, **options: Any) -> tuple[float, Any]:
    """Seconds for ``Highs(); passModel(lp); run()`` and the solved ``Highs`` object."""
    import highspy

    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in options.items():
        h.setOptionValue(key, value)
    h.passModel(lp)
    h.run()
    return time.perf_counter() - t0, h


def point_highs_vs_raw(target_vars: int, repeats: int = 1) -> dict[str, Any]:
    """Planner build + solve vs raw HiGHS (passModel + run) on the same exported matrices.

    The planner solve and the raw solve alternate ``repeats`` times (so load on the machine
    hits both alike); medians are reported, the ratio is (build + median planner solve) /
    median raw solve. The model is the LP (instances relaxed): this case measures what the
    modelling layer adds to an LP solve, not branch and bound.
    """
    from planner.epsilon import highs_lp  # exactly the matrices linopy hands to HiGHS
    from planner.model import build
    from planner.solve import SolveOptions, solve

    spec, problem = _prepared(target_vars)
    t0 = time.perf_counter()
    built = build(problem, whole_instances=False)
    build_s = time.perf_counter() - t0
    m = built.model
    planner_s: list[float] = []
    raw_s: list[float] = []
    lp: Any = None
    for _ in range(repeats):
        t1 = time.perf_counter()
        solution = solve(built, SolveOptions())
        planner_s.append(time.perf_counter() - t1)
        del solution
        if lp is None:
            # Exported once: exactly the matrices linopy handed to HiGHS.
            lp = highs_lp(m.matrices)
        seconds, h = _raw_highs_s(lp)
        raw_s.append(seconds)
    raw_obj = h.getObjectiveValue()
    iterations = int(h.getInfo().simplex_iteration_count)
    # The same matrices with HiGHS's interior-point method (+ crossover): what a
    # method option would buy; SolveOptions has none, so the planner uses HiGHS's default.
    ipm_s, h = _raw_highs_s(lp, solver="ipm")
    solve_s, raw = statistics.median(planner_s), statistics.median(raw_s)
    return {"jobs": spec.jobs, "hours": spec.hours, "n_vars": int(lp.num_col_),
            "n_cons": int(lp.num_row_), "nnz": int(len(lp.a_matrix_.value_)),
            "repeats": repeats, "build_s": build_s, "solve_s": solve_s,
            "total_s": build_s + solve_s, "solve_s_each": planner_s,
            "raw_highs_s": raw, "raw_highs_s_each": raw_s,
            "raw_simplex_iterations": iterations,
            "raw_highs_ipm_s": ipm_s, "raw_ipm_objective_usd": float(h.getObjectiveValue()),
            "objective_usd": float(m.objective.value or math.nan),
            "raw_objective_usd": float(raw_obj),
            "linopy_over_raw": (build_s + solve_s) / raw,
            "linopy_solve_only_over_raw": solve_s / raw,
            "peak_rss_mb": _peak_rss_mb()}


def point_pulp_build(target_vars: int) -> dict[str, Any]:
    """Time to build the LP into PuLP through the matrix backend (no solve)."""
    from planner.backends.pulp_backend import to_pulp
    from planner.model import build

    spec, problem = _prepared(target_vars)
    built = build(problem, whole_instances=False)
    base = _peak_rss_mb()
    t0 = time.perf_counter()
    pm = to_pulp(built.model)
    t1 = time.perf_counter()
    return {"jobs": spec.jobs, "hours": spec.hours, "n_vars": len(pm.variables),
            "n_cons": len(pm.constraints), "pulp_matrix_build_s": t1 - t0,
            "peak_rss_mb": _peak_rss_mb(), "pulp_rss_increase_mb": _peak_rss_mb() - base}


def rowwise_pulp(problem: Any) -> tuple[Any, int, int]:
    """The fleet LP written row by row in idiomatic PuLP (the path DESIGN.md avoids).

    Only for the baseline timing: ``lpSum`` over generator expressions per constraint,
    one named ``LpVariable`` for the instances per (job, region, hour), its GPUs a term
    ``GPUs per instance × instances`` in each row.
    """
    import pulp

    from planner.units import G_PER_T

    sc = problem.scenario
    price = sc.objective.carbon_price_usd_per_tco2e
    allowed = (problem.job_allowed & problem.job_hour_allowed).values
    o = problem.job_options  # one GPU model, on demand, per benchmark job
    gpi = o.gpus_per_instance.where(o.available).max("option").fillna(0.0).values
    usd = o.usd_per_instance_hour.where(o.available).min("option").fillna(0.0).values
    fac = o.facility_kwh_per_gpu_hour.where(o.available).max("option").fillna(0.0).values
    emb = o.embodied_tco2e_per_gpu_hour.where(o.available.any("region")).max("option").values
    ci = problem.ci_location_gco2e_per_kwh.values / G_PER_T
    quota = problem.quota_gpus
    prob = pulp.LpProblem("rowwise", pulp.LpMinimize)
    x: dict[tuple[int, int, int], Any] = {}
    for j, r, h in zip(*np.nonzero(allowed), strict=True):
        # relaxed instances, like the matrix model it is timed against
        x[(j, r, h)] = float(gpi[j, r]) * prob.add_variable(f"n_{j}_{r}_{h}", lowBound=0)
    prob += pulp.lpSum(usd[j, r] / gpi[j, r] * v + price * (fac[j, r] * ci[r, h] + emb[j]) * v
                       for (j, r, h), v in x.items())
    by_job: dict[int, list[Any]] = {}
    by_job_hour: dict[tuple[int, int], list[Any]] = {}
    by_region_hour: dict[tuple[str, int, int], list[Any]] = {}
    for (j, r, h), v in x.items():
        by_job.setdefault(j, []).append(v)
        by_job_hour.setdefault((j, h), []).append(v)
        by_region_hour.setdefault((sc.training[j].gpu, r, h), []).append(v)
    for j, vs in by_job.items():
        prob += pulp.lpSum(vs) == float(problem.job_gpu_hours.values[j]), f"completion_{j}"
    for (j, h), vs in by_job_hour.items():
        prob += pulp.lpSum(vs) <= float(problem.job_max_gpus.values[j]), f"parallel_{j}_{h}"
    for (gpu, r, h), vs in by_region_hour.items():
        q = float(quota.sel(gpu=gpu).values[r])
        if not math.isnan(q):
            prob += pulp.lpSum(vs) <= q, f"capacity_{gpu}_{r}_{h}"
    return prob, len(x), prob.numConstraints()


def point_pulp_rowwise(target_vars: int) -> dict[str, Any]:
    """Row-by-row PuLP build vs the matrix backend's build of the same LP, same size."""
    from planner.backends.pulp_backend import to_pulp
    from planner.model import build

    spec, problem = _prepared(target_vars)
    t0 = time.perf_counter()
    _, n_vars, n_cons = rowwise_pulp(problem)
    t1 = time.perf_counter()
    built = build(problem, whole_instances=False)
    t2 = time.perf_counter()
    pm = to_pulp(built.model)
    t3 = time.perf_counter()
    return {"jobs": spec.jobs, "hours": spec.hours, "rowwise_n_vars": n_vars,
            "rowwise_n_cons": n_cons, "n_vars": len(pm.variables),
            "n_cons": len(pm.constraints), "rowwise_build_s": t1 - t0,
            "linopy_build_s": t2 - t1, "pulp_matrix_build_s": t3 - t2,
            "rowwise_over_linopy_plus_matrix": (t1 - t0) / (t3 - t1),
            "peak_rss_mb": _peak_rss_mb()}


def _pareto_scenario(smoke: bool) -> Any:
    """Smoke: a 6-job, 24-hour fleet. Full: the shipped llm-fleet example (a MILP)."""
    from benchmarks.builders import FleetSpec, fleet_scenario
    from planner.scenario import load_scenario

    if smoke:
        return fleet_scenario(FleetSpec(jobs=6, hours=24))
    return load_scenario(REPO / "examples" / "llm-fleet.yaml")


def point_pareto(points: int, smoke: bool, lp_vars: int | None = None,
                 repeats: int = 1) -> dict[str, Any]:
    """A ``points``-point frontier vs one solve of the same session, ``repeats`` times.

    Default scenario: the llm-fleet example (a MILP: whole instances). With ``lp_vars``: an
    LP training fleet of that size (fractional instances). Each repeat builds a fresh
    session, times one solve (the scenario's own plan), then the frontier with the default
    workers (2 threads here), then the same frontier on one thread; medians are reported
    and the target ratio is median frontier / median single solve.
    """
    from benchmarks.builders import catalog, fleet_scenario, spec_for_vars
    from planner.pareto import trace_frontier
    from planner.session import PlanSession

    scenario = (_pareto_scenario(smoke) if lp_vars is None
                else fleet_scenario(spec_for_vars(lp_vars, 168)))
    single, front, serial = [], [], []
    for _ in range(repeats):
        # the fleet of ``lp_vars`` as an LP (fractional instances, ``--relaxed``)
        session = PlanSession(scenario, catalog(), relaxed=lp_vars is not None)
        t0 = time.perf_counter()
        session.plan()
        t1 = time.perf_counter()
        frontier = trace_frontier(session, points=points)
        t2 = time.perf_counter()
        trace_frontier(session, points=points, workers=1)
        t3 = time.perf_counter()
        single.append(t1 - t0)
        front.append(t2 - t1)
        serial.append(t3 - t2)
    methods = Counter(p.method for p in frontier.points)
    s, f, f1 = (statistics.median(v) for v in (single, front, serial))
    return {"scenario": scenario.name, "n_vars": session.built.model.nvars,
            "n_cons": session.built.model.ncons, "build_s": session.build_s,
            "repeats": repeats, "single_solve_s": s, "frontier_s": f,
            "frontier_one_thread_s": f1, "single_solve_samples_s": single,
            "frontier_samples_s": front, "frontier_one_thread_samples_s": serial,
            "points_requested": points, "points_returned": len(frontier.points),
            "highs_runs": frontier.solves, "point_methods": dict(methods),
            "frontier_over_single": f / s, "frontier_one_thread_over_single": f1 / s,
            "peak_rss_mb": _peak_rss_mb()}


CHILD: dict[str, Callable[..., dict[str, Any]]] = {
    "end_to_end": point_end_to_end, "end_to_end_ipm": point_end_to_end_ipm,
    "highs_vs_raw": point_highs_vs_raw,
    "pulp_build": point_pulp_build, "pulp_rowwise": point_pulp_rowwise,
    "pareto": point_pareto,
}


# --------------------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------------------

IN_PROCESS = False  # set by --in-process: measure in this interpreter (smoke tests)


def _child(kind: str, **kwargs: Any) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its JSON result.

    With ``--in-process`` the measurement runs here instead: faster to start, but peak
    RSS is then this process's running maximum rather than the case's own.
    """
    if IN_PROCESS:
        return json.loads(json.dumps(CHILD[kind](**kwargs)))
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as f:
        out = Path(f.name)
    try:
        cmd = [sys.executable, "-m", "benchmarks.run", "--child", kind,
               "--child-args", json.dumps(kwargs), "--child-out", str(out)]
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark child {kind} {kwargs} failed:\n{proc.stderr[-4000:]}")
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def fit_power_law(x: list[float], y: list[float]) -> dict[str, float]:
    """Least squares of log y = log a + k log x; returns the exponent k, a and R²."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    k, log_a = np.polyfit(lx, ly, 1)
    pred = log_a + k * lx
    ss_res = float(((ly - pred) ** 2).sum())
    ss_tot = float(((ly - ly.mean()) ** 2).sum())
    return {"exponent": float(k), "coefficient": float(math.exp(log_a)),
            "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0}


def case_lp_highs_vs_raw(cfg: dict[str, Any]) -> dict[str, Any]:
    r = _child("highs_vs_raw", target_vars=cfg["lp_vars"], repeats=cfg["repeats"])
    r["target_linopy_over_raw"] = TARGETS["lp_linopy_over_raw"]
    r["met"] = r["linopy_over_raw"] <= TARGETS["lp_linopy_over_raw"]
    return r


def case_lp_pulp_build(cfg: dict[str, Any], raw_highs_s: float | None) -> dict[str, Any]:
    r = _child("pulp_build", target_vars=cfg["lp_vars"])
    r["small"] = _child("pulp_rowwise", target_vars=cfg["rowwise_vars"])
    if raw_highs_s is not None:
        baseline = TARGETS["rowwise_baseline_over_raw"] * raw_highs_s
        r["raw_highs_s"] = raw_highs_s
        r["recorded_rowwise_baseline_s"] = baseline
        r["matrix_over_raw"] = r["pulp_matrix_build_s"] / raw_highs_s
        r["matrix_over_rowwise_baseline"] = r["pulp_matrix_build_s"] / baseline
        r["met"] = r["pulp_matrix_build_s"] < baseline
    return r


def case_week_2m(cfg: dict[str, Any]) -> dict[str, Any]:
    """The week with whole instances (the planner's default), then relaxed (``--relaxed``)."""
    r = _child("end_to_end", target_vars=cfg["week_vars"], repeats=1, whole=True)
    r["targets"] = {"total_s": TARGETS["week_whole_total_s"],
                    "peak_rss_mb": TARGETS["week_whole_peak_rss_mb"],
                    "mip_gap": TARGETS["week_whole_mip_gap"]}
    r["met_time"] = r["total_s"] <= TARGETS["week_whole_total_s"]
    r["met_memory"] = r["peak_rss_mb"] <= TARGETS["week_whole_peak_rss_mb"]
    r["met_gap"] = r["mip_gap"] is not None and r["mip_gap"] <= TARGETS["week_whole_mip_gap"]
    relaxed = _child("end_to_end", target_vars=cfg["week_vars"], repeats=1, whole=False)
    relaxed["targets"] = {"total_s": TARGETS["week_total_s"],
                          "peak_rss_mb": TARGETS["week_peak_rss_mb"]}
    relaxed["met_time"] = relaxed["total_s"] <= TARGETS["week_total_s"]
    relaxed["met_memory"] = relaxed["peak_rss_mb"] <= TARGETS["week_peak_rss_mb"]
    r["relaxed"] = relaxed
    r["with_highs_ipm"] = _child("end_to_end_ipm", target_vars=cfg["week_vars"])
    return r


def case_growth(cfg: dict[str, Any]) -> dict[str, Any]:
    points = []
    for n in cfg["growth_vars"]:
        reps = cfg["repeats"] if n <= 200_000 else 1
        points.append(_child("end_to_end", target_vars=n, repeats=reps))
    n_vars = [p["n_vars"] for p in points]
    return {
        "points": points,
        "total_s_fit": fit_power_law(n_vars, [p["total_s"] for p in points]),
        "build_s_fit": fit_power_law(n_vars, [p["prepare_s"] + p["build_s"] for p in points]),
        "solve_s_fit": fit_power_law(n_vars, [p["solve_s"] for p in points]),
        "peak_rss_fit": fit_power_law(n_vars, [p["peak_rss_mb"] for p in points]),
        "rss_increase_fit": fit_power_law(
            n_vars, [max(p["peak_rss_mb"] - p["baseline_rss_mb"], 1.0) for p in points]),
    }


def case_pareto(cfg: dict[str, Any]) -> dict[str, Any]:
    if importlib.util.find_spec("planner.pareto") is None:
        return {"skipped": "planner.pareto is not available in this checkout"}
    r = _child("pareto", points=cfg["pareto_points"], smoke=cfg is SMOKE,
               repeats=cfg["repeats"])
    r["target_frontier_over_single"] = TARGETS["pareto_whole_over_single"]
    r["met"] = r["frontier_over_single"] <= TARGETS["pareto_whole_over_single"]
    lp = _child("pareto", points=cfg["pareto_points"], smoke=cfg is SMOKE,
                lp_vars=cfg["pareto_lp_vars"], repeats=cfg["repeats"])
    lp["target_frontier_over_single"] = TARGETS["pareto_over_single"]
    lp["met"] = lp["frontier_over_single"] <= TARGETS["pareto_over_single"]
    r["lp_fleet"] = lp
    return r


CASES = ("lp_highs_vs_raw", "lp_pulp_build", "week_2m", "growth", "pareto")


def machine_info() -> dict[str, Any]:
    """Where and with what the figures were measured."""
    mem_kb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    versions: dict[str, str | None] = {}
    for pkg in ("linopy", "highspy", "pulp", "numpy", "scipy", "xarray", "pandas"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"cpu_count": os.cpu_count(), "platform": platform.platform(),
            "machine": platform.machine(), "processor": platform.processor(),
            "python": platform.python_version(), "mem_total_gb": round(mem_kb / 1024**2, 1),
            "load_avg_1_5_15_at_start": list(os.getloadavg()), "versions": versions}


def run(out_dir: Path, smoke: bool, only: list[str] | None) -> Path:
    """Run the selected cases and write ``out_dir/<UTC date>-<full|smoke>.json``."""
    cfg = SMOKE if smoke else FULL
    selected = [c for c in CASES if not only or c in only]
    started = datetime.now(UTC)
    doc: dict[str, Any] = {"schema": 1, "kind": "smoke" if smoke else "full",
                           "date_utc": started.isoformat(timespec="seconds"),
                           "command": " ".join(["python -m benchmarks.run", *sys.argv[1:]]),
                           "machine": machine_info(), "in_process": IN_PROCESS,
                           "sizes": cfg, "targets": TARGETS,
                           "cases": {}}
    raw_highs_s = None
    for name in selected:
        t0 = time.perf_counter()
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        if name == "lp_highs_vs_raw":
            result = case_lp_highs_vs_raw(cfg)
            raw_highs_s = result["raw_highs_s"]
        elif name == "lp_pulp_build":
            result = case_lp_pulp_build(cfg, raw_highs_s)
        elif name == "week_2m":
            result = case_week_2m(cfg)
        elif name == "growth":
            result = case_growth(cfg)
        else:
            result = case_pareto(cfg)
        result["case_wall_s"] = time.perf_counter() - t0
        doc["cases"][name] = result
        print(f"[bench] {name} done in {result['case_wall_s']:.1f} s", file=sys.stderr,
              flush=True)
    doc["machine"]["load_avg_1_5_15_at_end"] = list(os.getloadavg())
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"{stamp}-{doc['kind']}{'-' + '-'.join(only) if only else ''}.json"
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results",
                        help="directory for the JSON result (default benchmarks/results/)")
    parser.add_argument("--smoke", action="store_true", help="smallest sizes, one repeat")
    parser.add_argument("--only", action="append", choices=CASES,
                        help="run only this case (repeatable)")
    parser.add_argument("--in-process", action="store_true",
                        help="measure in this process (quick; peak RSS not per case)")
    parser.add_argument("--child", choices=sorted(CHILD), help=argparse.SUPPRESS)
    parser.add_argument("--child-args", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _quiet_warnings()
        result = CHILD[args.child](**json.loads(args.child_args))
        args.child_out.write_text(json.dumps(result), encoding="utf-8")
        return
    global IN_PROCESS
    IN_PROCESS = args.in_process
    if IN_PROCESS:
        _quiet_warnings()
    path = run(args.out, args.smoke, args.only)
    print(path)


if __name__ == "__main__":
    main()
