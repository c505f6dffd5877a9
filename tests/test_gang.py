"""Training gangs: restart overhead, minimum run length, their rounding (tests/tiny.py figures).

One X1 GPU-hour costs $2 in aws/us-east-1 and is 1 kWh; embodied 1e-5 t per GPU-hour. With
a carbon price of $1000/t, a GPU-hour at 100 g/kWh costs $0.1 of carbon, at 1000 g/kWh $1.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from tiny import tiny_catalog

from planner.gang import _lengthen
from planner.model import build
from planner.pareto import trace_frontier
from planner.plan import extract
from planner.problem import InfeasibleError, Problem, prepare
from planner.scenario import ScenarioError, load_scenario_text
from planner.session import PlanSession
from planner.solve import solve

US = "aws/us-east-1"


def gang_problem(extra: str, ci: list[float], gpu_hours: float = 20, max_gpus: float = 15
                 ) -> Problem:
    """One job in aws/us-east-1 only, over len(ci) hours with that hourly grid carbon."""
    text = f"""
name: gang
horizon: {{start: 2027-01-04T00:00Z, hours: {len(ci)}}}
time_shifting: false
clouds: [aws]
objective: {{carbon_price_usd_per_tco2e: 1000}}
training:
  - {{name: j, gpu: X1, gpu_hours: {gpu_hours}, max_gpus: {max_gpus},
      allowed_jurisdictions: [United States]{extra}}}
"""
    p = prepare(load_scenario_text(text), tiny_catalog())
    grid = p.ci_location_gco2e_per_kwh.copy()
    grid.loc[US] = ci
    return replace(p, ci_location_gco2e_per_kwh=grid, ci_market_gco2e_per_kwh=grid)


def plan_of(p: Problem):
    sol = solve(build(p))
    return sol, extract(p, sol)


def blocks(hourly: list[float]) -> list[int]:
    """Lengths of the runs of consecutive hours with GPUs in use."""
    on = np.concatenate([[0], (np.asarray(hourly) > 1e-6).astype(int), [0]])
    edges = np.flatnonzero(np.diff(on))
    return list(edges[1::2] - edges[::2])


CHEAP_DEAR_CHEAP = [100.0, 1000.0, 100.0]


def test_without_overhead_the_job_pauses_in_the_expensive_hour():
    # 20 GPU-h in the two clean hours (≤ 15 each): $40 + 20 × $0.1 carbon + $0.2 embodied.
    sol, plan = plan_of(gang_problem("", CHEAP_DEAR_CHEAP))
    assert sol.objective_usd == pytest.approx(42.2, rel=1e-6)
    assert plan.schedule["j"][US][1] == pytest.approx(0.0, abs=1e-9)
    assert blocks(plan.schedule["j"][US]) == [1, 1]


def test_restart_overhead_makes_the_job_run_through():
    # Overhead 5 GPU-h per start. Pausing: 2 starts, 30 GPU-h in the clean hours = $60 + $3
    # + $0.3 = $63.3. Running through: 1 start, 25 GPU-h, 1 GPU (min_gpus) in the dirty
    # hour: $50 + 24 × $0.1 + 1 × $1 + $0.25 = $53.65.
    sol, plan = plan_of(gang_problem(", restart_overhead_gpu_hours: 5", CHEAP_DEAR_CHEAP))
    assert sol.objective_usd == pytest.approx(53.65, rel=1e-6)
    sched = plan.schedule["j"][US]
    assert blocks(sched) == [3]
    assert sched[1] == pytest.approx(1.0)
    assert sum(sched) == pytest.approx(25.0)
    (job,) = plan.workloads
    assert job["starts"] == 1
    assert sol.mip_gap is not None and sol.mip_gap <= 1e-3


def test_min_run_length_bridges_the_gap_without_overhead():
    # min_run_hours 3: the only 3-hour run spans the dirty hour at 1 GPU:
    # $40 + 19 × $0.1 + $1 + $0.2 = $43.1.
    sol, plan = plan_of(gang_problem(", min_run_hours: 3", CHEAP_DEAR_CHEAP))
    assert sol.objective_usd == pytest.approx(43.1, rel=1e-6)
    assert blocks(plan.schedule["j"][US]) == [3]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_run_lasts_min_run_hours_and_restarts_are_paid(seed):
    # A day of noisy grid carbon; the job needs 60 GPU-h at ≤ 10 GPUs. Recomputed from the
    # plan: every run (window end included) lasts ≥ 4 h, and the GPU-hours run are the work
    # plus 3 GPU-h per start.
    ci = list(np.random.default_rng(seed).uniform(50, 900, 24))
    p = gang_problem(", min_run_hours: 4, restart_overhead_gpu_hours: 3", ci,
                     gpu_hours=60, max_gpus=10)
    _, plan = plan_of(p)
    sched = plan.schedule["j"][US]
    runs = blocks(sched)
    assert runs and min(runs) >= 4
    (job,) = plan.workloads
    assert job["starts"] == len(runs)
    assert sum(sched) == pytest.approx(60 + 3 * len(runs), rel=1e-6)


def test_lengthen_grows_short_runs_forward_then_backward():
    ok = np.ones(8, bool)
    on = np.array([0, 1, 0, 0, 0, 0, 1, 1], bool)
    assert _lengthen(on, ok, 3).astype(int).tolist() == [0, 1, 1, 1, 0, 1, 1, 1]
    ok[7] = False  # the last hour is outside the window: a run there cannot grow forward
    on = np.array([0, 0, 0, 0, 0, 1, 0, 0], bool)
    assert _lengthen(on, ok, 3).astype(int).tolist() == [0, 0, 0, 0, 1, 1, 1, 0]


def test_jobs_without_gang_fields_stay_a_pure_lp():
    built = build(gang_problem("", CHEAP_DEAR_CHEAP))
    assert "Job-run" not in built.model.variables
    assert not built.model.variables.binaries


def test_representative_horizon_refuses_gang_fields():
    text = """
name: r
horizon: {start: 2027-01-01T00:00Z, hours: 2000, representative: month-hour}
training:
  - {name: j, gpu: X1, gpu_hours: 10, max_gpus: 2, min_run_hours: 4}
"""
    with pytest.raises(ScenarioError, match="min_run_hours"):
        load_scenario_text(text)


def test_min_gpus_above_max_gpus_is_refused():
    with pytest.raises(ScenarioError, match="min_gpus 20 exceeds max_gpus 15"):
        gang_problem(", min_gpus: 20, min_run_hours: 2", CHEAP_DEAR_CHEAP)


def test_min_run_longer_than_the_window_names_the_field():
    with pytest.raises(InfeasibleError, match="min_run_hours 4 is longer than its window"):
        gang_problem(", min_run_hours: 4", CHEAP_DEAR_CHEAP)


def test_a_run_that_does_more_than_the_work_is_named():
    # 3 h × min_gpus 10 = 30 GPU-h > 20 GPU-h of work
    with pytest.raises(InfeasibleError, match="one run of min_run_hours 3 at 10 GPU"):
        gang_problem(", min_run_hours: 3, min_gpus: 10", CHEAP_DEAR_CHEAP)


def test_frontier_points_keep_the_gang_rules():
    # Cost min → carbon min on a noisy day: every point is proven and its plan, recomputed
    # from the schedule, keeps runs ≥ 4 h and pays 3 GPU-h per start.
    p = gang_problem(", min_run_hours: 4, restart_overhead_gpu_hours: 3",
                     list(np.random.default_rng(7).uniform(50, 900, 24)), gpu_hours=60,
                     max_gpus=10)
    session = PlanSession(p.scenario, tiny_catalog())
    session.problem, session.built = p, build(p)
    frontier = trace_frontier(session, points=4, workers=1)
    assert len(frontier.points) == 4
    for point in frontier.points:
        assert point.mip_gap is not None and point.mip_gap <= frontier.mip_rel_gap
        plan = point.make_plan()
        sched = plan.schedule["j"][US]
        runs = blocks(sched)
        assert min(runs) >= 4
        assert sum(sched) == pytest.approx(60 + 3 * plan.workloads[0]["starts"], rel=1e-6)
