"""planner.epsilon: the model's columns, and warm re-solves straight on HiGHS."""

from __future__ import annotations

import numpy as np
import pytest
from test_pareto import JOB, SINGLE
from tiny import tiny_catalog

from planner.epsilon import CappedHighs, Columns, InfeasibleCap
from planner.options import SolveOptions
from planner.scenario import load_scenario_text
from planner.session import PlanSession
from planner.solve import Status


def _columns_of_linopy_solution(session: PlanSession, cols: Columns) -> np.ndarray:
    m = session.built.model
    full = np.zeros(len(cols.position))
    for name in m.variables:
        labels = m.variables[name].labels.values.ravel()
        values = m.variables[name].solution.values.ravel()
        keep = labels >= 0
        full[labels[keep]] = values[keep]
    return full[cols.vlabels]


def test_column_vectors_evaluate_like_linopy_expressions():
    session = PlanSession(load_scenario_text(JOB), tiny_catalog(), relaxed=True)
    plan = session.plan()
    cols = Columns.of(session.built.model)
    x = _columns_of_linopy_solution(session, cols)
    b = session.built
    assert cols.vector(b.cost_usd()) @ x == pytest.approx(plan.totals["cost_usd"], rel=1e-9)
    assert cols.vector(b.carbon_tco2e()) @ x == pytest.approx(plan.totals["carbon_tco2e"],
                                                              rel=1e-6)
    # and back: variable values from the column vector equal linopy's own
    for name, value in cols.values(b.model, x).items():
        np.testing.assert_allclose(value.fillna(-1).values,
                                   b.model.variables[name].solution.fillna(-1).values)


def test_cap_steps_match_the_hand_computed_line():
    # Splittable job: cost(ε) = 200 + 2500 (0.051 − ε) between 0.011 and 0.051 tCO2e.
    session = PlanSession(load_scenario_text(JOB), tiny_catalog(), relaxed=True)
    cols = Columns.of(session.built.model)
    carbon = cols.vector(session.built.carbon_tco2e())
    cost = cols.vector(session.built.cost_usd())
    h = CappedHighs(session.built, cols, carbon, session.options)
    for cap in (0.05, 0.03, 0.012, 0.04):
        sol = h.minimize(cost, cap)
        assert sol.method == "lp" and sol.gap is None
        assert cost @ sol.x == pytest.approx(200 + 2500 * (0.051 - cap), rel=1e-9)
        assert carbon @ sol.x == pytest.approx(cap, rel=1e-9)
    with pytest.raises(InfeasibleCap):
        h.minimize(cost, 0.010)
    assert h.minimize(cost, None).objective == pytest.approx(200, rel=1e-9)


def test_milp_point_without_incumbents_is_proven():
    # Single-region job at a cap of 0.04 t: the relaxation mixes us-east-1 and a cleaner
    # region ($225 bound); the only plans are eu-west-1 at $250 or europe-north1 at $300.
    session = PlanSession(load_scenario_text(SINGLE), tiny_catalog(), relaxed=True)
    cols = Columns.of(session.built.model)
    carbon = cols.vector(session.built.carbon_tco2e())
    cost = cols.vector(session.built.cost_usd())
    sol = CappedHighs(session.built, cols, carbon, session.options).minimize(cost, 0.04)
    # every rounding rule keeps the job in us-east-1, over the cap: warm branching settles it
    assert sol.method == "branched"
    assert sol.objective == pytest.approx(250, rel=1e-9)
    assert sol.gap is not None and sol.gap <= 1e-3
    assert sol.bound <= sol.objective + 1e-9
    site = cols.values(session.built.model, sol.x, ["Job-site"])["Job-site"]
    assert float(site.sel(region="aws/eu-west-1").item()) == pytest.approx(1.0)


def test_whole_instance_point_meets_a_cap_that_rounding_up_would_break():
    # With whole instances the capped carbon is a function of the integral columns, so a
    # rounded choice over the cap is refused before any LP, and the relaxation is re-solved
    # under a cap lowered by that excess until its rounding fits.
    session = PlanSession(load_scenario_text(SINGLE), tiny_catalog(gpus_per_instance=8))
    cols = Columns.of(session.built.model)
    carbon = cols.vector(session.built.carbon_tco2e())
    cost = cols.vector(session.built.cost_usd())
    h = CappedHighs(session.built, cols, carbon, session.options)
    assert h._cap_of_choice is not None
    lo = h.minimize(cost + 1e6 * carbon, None)  # the least carbon any whole plan emits
    hi = h.minimize(cost, None)
    cap = 0.5 * (float(carbon @ lo.x) + float(carbon @ hi.x))
    integral = cols.integral
    over = np.round(hi.x[integral])  # the cost optimum's choice: over the cap
    assert float(carbon[integral] @ over) > cap
    h._set_cap(cap)
    lower, upper = cols.lower[integral], cols.upper[integral]
    plan, runs, excess = h._round(cost, [over], -np.inf, lower, upper)
    assert plan is None and runs == 0
    assert excess == pytest.approx(float(carbon[integral] @ over) - cap, rel=1e-9)
    # tried again (the back-off's first rounding is often one already tried): the choice
    # is known, and so is its excess, which the back-off needs to lower the cap
    assert h._round(cost, [over], -np.inf, lower, upper) == (None, 0, excess)
    sol = h.minimize(cost, cap)
    assert float(carbon @ sol.x) <= cap * (1 + 1e-9)
    whole = sol.x[integral]
    assert np.allclose(whole, np.round(whole), atol=1e-6)
    assert sol.gap is not None and sol.bound <= sol.objective + 1e-9


def test_search_splits_an_instance_count_at_its_relaxed_value():
    # A splittable job on 3-GPU instances (up to 13 an hour): with rounding switched off the
    # point is settled by the warm search alone, branching on an instance count. Its two
    # children must cover every whole count of the parent: x ≥ ⌈v⌉ and x ≤ ⌊v⌋ (not 1 and
    # 0, which would leave out every count above 1 and overstate the proven bound).
    scenario = JOB.replace("gpu_hours: 100, max_gpus: 10", "gpu_hours: 100, max_gpus: 40")
    session = PlanSession(load_scenario_text(scenario), tiny_catalog(gpus_per_instance=3))
    cols = Columns.of(session.built.model)
    carbon = cols.vector(session.built.carbon_tco2e())
    cost = cols.vector(session.built.cost_usd())
    h = CappedHighs(session.built, cols, carbon, session.options)
    h._round = lambda *args, **kwargs: (None, 0, None)
    h._round_below_cap = lambda *args, **kwargs: (None, 0)
    lower0, upper0 = cols.lower[cols.integral], cols.upper[cols.integral]
    children: list[tuple[int, float, float]] = []
    run = h._run

    def recording_run(*args, **kwargs):
        status = run(*args, **kwargs)
        lp = h.h.getLp()
        lo = np.asarray(lp.col_lower_)[cols.integral]
        up = np.asarray(lp.col_upper_)[cols.integral]
        changed = np.flatnonzero((lo != lower0) | (up != upper0))
        if len(changed) == 1:  # a child of the root
            children.append((int(changed[0]), float(lo[changed[0]]), float(up[changed[0]])))
        return status

    h._run = recording_run
    sol = h.minimize(cost, 0.03162)
    assert sol.method == "branched"
    # the same optimum as HiGHS's own branch and bound, and a bound that does not pass it
    reference = CappedHighs(session.built, cols, carbon, SolveOptions(
        mip_strategy="branch-and-bound", mip_rel_gap=1e-9)).minimize(cost, 0.03162)
    assert sol.objective == pytest.approx(reference.objective, rel=1e-9)
    assert sol.bound <= reference.objective * (1 + 1e-9)
    (j, up_lo, up_hi), (j2, down_lo, down_hi) = children[:2]
    assert j == j2 and h._counts[j]  # an instance count, not a site
    assert (up_hi, down_lo) == (upper0[j], lower0[j])
    assert up_lo == down_hi + 1 and up_lo > 1


def test_search_nodes_solved_from_scratch_give_the_warm_plans():
    # Past its warm iteration budget a node of the warm search is solved again from
    # scratch with presolve (a spare HiGHS instance). With no budget at all every node goes
    # there: the point must be the same plan with the same proven bound.
    scenario = JOB.replace("gpu_hours: 100, max_gpus: 10", "gpu_hours: 100, max_gpus: 40")

    def point(budget: int | None) -> tuple[float, float, int]:
        session = PlanSession(load_scenario_text(scenario), tiny_catalog(gpus_per_instance=3))
        cols = Columns.of(session.built.model)
        carbon = cols.vector(session.built.carbon_tco2e())
        cost = cols.vector(session.built.cost_usd())
        h = CappedHighs(session.built, cols, carbon, session.options)
        h._round = lambda *args, **kwargs: (None, 0, None)
        h._round_below_cap = lambda *args, **kwargs: (None, 0)
        h.minimize(cost)
        if budget is not None:
            h._warm_iterations = budget
        from_scratch = 0
        run_from_scratch = h._run_from_scratch

        def counting():
            nonlocal from_scratch
            from_scratch += 1
            return run_from_scratch()

        h._run_from_scratch = counting
        sol = h.minimize(cost, 0.03162)
        assert sol.method == "branched"
        return sol.objective, sol.bound, from_scratch

    warm, scratch = point(None), point(0)
    assert warm[2] == 0 and scratch[2] > 0  # the budget sends the nodes to scratch
    assert scratch[:2] == pytest.approx(warm[:2], rel=1e-9)


def test_search_keeps_the_bound_of_a_child_it_could_not_solve():
    # A child LP that HiGHS leaves unsolved (time limit, numerical trouble) is not an
    # infeasible one: nothing is known below it, so its parent's bound must stand.
    session = PlanSession(load_scenario_text(SINGLE), tiny_catalog(gpus_per_instance=8))
    cols = Columns.of(session.built.model)
    carbon = cols.vector(session.built.carbon_tco2e())
    cost = cols.vector(session.built.cost_usd())
    h = CappedHighs(session.built, cols, carbon, session.options)
    h.minimize(cost, 0.03224)  # sets the objective and the cap
    h._run(1)  # the relaxation again, bounds as built
    x = h._x()
    bound = float(cost @ x)
    run = h._run
    h._run = lambda strategy, fixed=False: Status.TIME_LIMIT if fixed else run(strategy)
    best, proven, runs = h._search(cost, x, bound, None)
    assert best is None and runs >= 1
    assert proven == pytest.approx(bound, rel=1e-12)  # not +inf: no node was pruned


def test_search_branches_on_the_gpu_model_first():
    # X2 does half an X1's work for $0.9/GPU-h in us-east-1 (500 g/kWh); X1 runs only in
    # europe-north1 ($3.0, 100 g/kWh). 100 GPU-h of work: X2 alone costs $180 for 0.102 t,
    # X1 alone $300 for 0.011 t. Under a 0.05 t cap the relaxation mixes the two models
    # (λ = 0.039/0.091 of the work on X2: $248.57) though a job runs on one; the plan is
    # X1 alone ($300). The first branch must be the GPU model (the bound moves from $248.57
    # to $300), not an instance count (it barely moves).
    from test_instances import HEAD, two_gpu_catalog

    cat = two_gpu_catalog(0.9)
    offers = cat.gpu_offers
    cat = cat.with_tables("tiny+X2, X1 on gcp only", gpu_offers=offers[
        ~((offers.gpu_model == "X1") & (offers.provider == "aws"))])
    text = HEAD.replace("[aws]", "[aws, gcp]") + """
training:
  - {name: j, gpu_hours: 100, max_gpus: 20, gpus: {X1: 1.0, X2: 0.5}}
"""
    session = PlanSession(load_scenario_text(text), cat)
    cols = Columns.of(session.built.model)
    carbon = cols.vector(session.built.carbon_tco2e())
    cost = cols.vector(session.built.cost_usd())
    h = CappedHighs(session.built, cols, carbon, session.options)
    h.minimize(cost)
    hardware = session.built.model.variables["Job-hardware"].labels.values.ravel()
    hardware = set(cols.position[hardware[hardware >= 0]].tolist())
    lower0, upper0 = cols.lower[cols.integral], cols.upper[cols.integral]
    branched: list[int] = []
    run = h._run

    def recording_run(*args, **kwargs):
        lp = h.h.getLp()
        lo = np.asarray(lp.col_lower_)[cols.integral]
        up = np.asarray(lp.col_upper_)[cols.integral]
        changed = np.flatnonzero((lo != lower0) | (up != upper0))
        if len(changed) == 1:  # a child of the root
            branched.append(int(cols.integral[changed[0]]))
        return run(*args, **kwargs)

    h._run = recording_run
    sol = h.minimize(cost, 0.05)
    assert sol.method == "branched" and sol.objective == pytest.approx(300.0, rel=1e-9)
    assert sol.bound == pytest.approx(300.0, rel=1e-9)  # the X2 child is infeasible
    assert branched and branched[0] in hardware


def test_rounded_counts_are_kept_without_an_lp_only_when_they_are_a_plan():
    # The 100 GPU-h job on 8-GPU instances under a cap: its plan is feasible as it stands;
    # one instance-hour fewer leaves the job's work undone (a row breaks), and the same
    # counts under a cap below their carbon break the cap.
    session = PlanSession(load_scenario_text(SINGLE), tiny_catalog(gpus_per_instance=8))
    cols = Columns.of(session.built.model)
    carbon = cols.vector(session.built.carbon_tco2e())
    cost = cols.vector(session.built.cost_usd())
    h = CappedHighs(session.built, cols, carbon, session.options)
    sol = h.minimize(cost, 0.0323)
    lower, upper = cols.lower[cols.integral], cols.upper[cols.integral]
    whole = sol.x[cols.integral]
    assert cols.feasible(sol.x)
    kept = h._assembled(sol.x, whole, lower, upper, 0.0323)
    assert kept is not None and np.array_equal(kept, sol.x)
    used = np.flatnonzero(h._counts & (whole >= 1))
    fewer = whole.copy()
    fewer[used[0]] -= 1
    assert h._assembled(sol.x, fewer, lower, upper, 0.0323) is None
    assert h._assembled(sol.x, whole, lower, upper, float(carbon @ sol.x) * 0.99) is None
