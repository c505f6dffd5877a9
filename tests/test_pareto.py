"""Pareto frontier: hand-checked on the tiny catalog, plus invariants on a real example."""

from __future__ import annotations

import pytest
from tiny import tiny_catalog

from planner.pareto import Frontier, trace_frontier
from planner.plan import totals_check
from planner.scenario import load_scenario_text
from planner.session import PlanSession
from planner.solve import SolveOptions

JOB = """
name: frontier
horizon: {start: 2027-01-04T00:00Z, hours: 24}
time_shifting: false
clouds: [aws, gcp]
training:
  - {name: j, gpu: X1, gpu_hours: 100, max_gpus: 10}
"""


def test_linear_frontier_matches_hand_computation():
    # Cost minimum: us-east-1, $200, 0.051 t. Carbon minimum: europe-north1, $300, 0.011 t.
    # Every tonne removed costs 100 $ / 0.04 t = 2500 $/t, so cost(ε) = 200 + 2500 (0.051 − ε).
    f = trace_frontier(PlanSession(load_scenario_text(JOB), tiny_catalog(), relaxed=True), points=5)
    eff = f.efficient
    assert len(eff) == 5
    assert eff[0].carbon_tco2e == pytest.approx(0.051, rel=1e-6)
    assert eff[0].cost_usd == pytest.approx(200, rel=1e-6)
    assert eff[-1].carbon_tco2e == pytest.approx(0.011, rel=1e-6)
    assert eff[-1].cost_usd == pytest.approx(300, rel=1e-6)
    for p in eff:
        assert p.cost_usd == pytest.approx(200 + 2500 * (0.051 - p.carbon_tco2e), rel=1e-6)
    for p in eff[1:]:
        assert p.mac_usd_per_tco2e == pytest.approx(2500, rel=1e-5)
    assert f.knee is None  # a straight line has no knee


def test_knee_on_a_bent_frontier():
    # Make eu-west-1 cleaner (150 g/kWh → 0.016 t for the job): the first step of
    # abatement is then cheap and the last one dear, so the frontier bends at eu-west-1.
    cat = tiny_catalog()
    regions = cat.regions.copy()
    regions.loc[regions["region"] == "eu-west-1", "grid_ci_gco2e_per_kwh"] = 150.0
    cat = cat.with_tables("tiny-bent", regions=regions)
    f = trace_frontier(PlanSession(load_scenario_text(JOB), cat, relaxed=True), points=9)
    eff = f.efficient
    # us-east-1 → eu-west-1: +$50 for −0.035 t (1428.6 $/t); → north1: +$50 for −0.005 t.
    macs = [p.mac_usd_per_tco2e for p in eff[1:]]
    assert min(macs) == pytest.approx(50 / 0.035, rel=1e-5)
    assert max(macs) == pytest.approx(50 / 0.005, rel=1e-5)
    knee = f.knee
    assert knee is not None
    assert knee.carbon_tco2e == pytest.approx(0.016, rel=1e-6)  # all in eu-west-1
    assert knee.cost_usd == pytest.approx(250, rel=1e-6)


def test_points_are_mutually_non_dominated_and_monotone():
    f = trace_frontier(PlanSession(load_scenario_text(JOB), tiny_catalog(), relaxed=True), points=7)
    eff = f.efficient
    for a in eff:
        for b in eff:
            if a is b:
                continue
            assert not (a.carbon_tco2e <= b.carbon_tco2e and a.cost_usd <= b.cost_usd
                        and (a.carbon_tco2e < b.carbon_tco2e or a.cost_usd < b.cost_usd))
    carbons = [p.carbon_tco2e for p in eff]
    assert carbons == sorted(carbons, reverse=True)
    assert list(f.to_frame().columns)[:3] == ["carbon_cap_tco2e", "carbon_tco2e", "cost_usd"]


SINGLE = JOB.replace("max_gpus: 10}", "max_gpus: 10, single_region: true}")


@pytest.mark.parametrize("strategy", ["auto", "branch-and-bound"])
def test_single_region_frontier_is_a_hand_computed_staircase(strategy):
    # One region for the whole job: us-east-1 ($200, 0.051 t), eu-west-1 ($250, 0.031 t) or
    # europe-north1 ($300, 0.011 t). The least cost under cap ε is a step function, which
    # the LP relaxation (mixing regions) misses: every point must be a real MILP optimum.
    # Caps for 6 points: 0.043, 0.035, 0.027, 0.019 t.
    session = PlanSession(load_scenario_text(SINGLE), tiny_catalog(),
                          SolveOptions(mip_strategy=strategy), relaxed=True)
    f = trace_frontier(session, points=6)
    by_cap = {round(p.carbon_cap_tco2e, 6): p for p in f.points if p.carbon_cap_tco2e}
    assert sorted(by_cap) == [0.019, 0.027, 0.035, 0.043]
    for cap, cost in ((0.043, 250), (0.035, 250), (0.027, 300), (0.019, 300)):
        assert by_cap[cap].cost_usd == pytest.approx(cost, rel=1e-6)
        assert by_cap[cap].carbon_tco2e <= cap * (1 + 1e-9)
        assert by_cap[cap].mip_gap is not None and by_cap[cap].mip_gap <= f.mip_rel_gap
    eff = [(round(p.carbon_tco2e, 6), round(p.cost_usd, 4)) for p in f.efficient]
    assert eff == [(0.051, 200), (0.031, 250), (0.011, 300)]
    # $50 per 0.02 t between neighbouring steps
    assert [p.mac_usd_per_tco2e for p in f.efficient[1:]] == pytest.approx([2500, 2500])


def test_point_plans_agree_with_the_point_figures():
    f = trace_frontier(PlanSession(load_scenario_text(SINGLE), tiny_catalog(), relaxed=True),
                       points=6)
    for p in f.points:
        plan = p.plan
        assert plan.totals["carbon_tco2e"] == pytest.approx(p.carbon_tco2e, rel=1e-6)
        assert plan.totals["cost_usd"] == pytest.approx(p.cost_usd, rel=1e-6)
        assert plan.totals["water_m3"] == pytest.approx(p.water_m3, rel=1e-6, abs=1e-9)
        assert plan.totals["carbon_cost_usd"] == 0  # frontier plans price carbon at 0
        assert {f"{q.provider}/{q.region}" for q in plan.placements} == set(p.regions)
        totals_check(plan)
        single = {q.region for q in plan.placements}
        assert len(single) == 1  # the job's single-region rule holds in every point


@pytest.mark.parametrize("relaxed", [True, False])
def test_one_and_two_workers_trace_the_same_frontier(relaxed):
    # whole instances: each lane tries its own previous point's choice first, so which
    # thread runs a lane cannot change a point's plan or its proven gap
    sc = load_scenario_text(JOB if relaxed else SINGLE)

    def frontier(workers: int) -> Frontier:
        session = PlanSession(sc, tiny_catalog(gpus_per_instance=1 if relaxed else 8),
                              relaxed=relaxed)
        return trace_frontier(session, points=7, workers=workers)

    def by_cap(f: Frontier) -> dict:
        return {p.carbon_cap_tco2e: p for p in f.points}

    one, two = by_cap(frontier(1)), by_cap(frontier(2))
    assert one.keys() == two.keys()
    for cap, a in one.items():
        b = two[cap]
        assert a.carbon_tco2e == pytest.approx(b.carbon_tco2e, rel=1e-9)
        assert a.objective_ex_carbon_usd == pytest.approx(b.objective_ex_carbon_usd, rel=1e-9)
        assert (a.method, a.mip_gap) == (b.method, b.mip_gap)


def test_progress_counts_every_point_from_the_calling_thread():
    import threading

    calls: list[tuple[int, int, str]] = []
    trace_frontier(PlanSession(load_scenario_text(JOB), tiny_catalog(), relaxed=True), points=5,
                   progress=lambda d, t: calls.append((d, t, threading.current_thread().name)))
    assert [(d, t) for d, t, _ in calls] == [(k, 5) for k in range(1, 6)]
    assert {name for *_, name in calls} == {threading.current_thread().name}


def test_llm_fleet_frontier_points_meet_their_caps_within_the_proven_gap():
    from pathlib import Path

    from connectors.catalog import load_catalog
    from planner.scenario import load_scenario
    from planner.session import Parameters

    root = Path(__file__).resolve().parents[1]
    session = PlanSession(load_scenario(root / "examples" / "llm-fleet.yaml"), load_catalog())
    f = trace_frontier(session, points=9)
    assert len(f.points) == 9
    assert f.mip_rel_gap == SolveOptions().frontier_mip_rel_gap == 5e-3
    for p in f.points:
        if p.carbon_cap_tco2e is not None:
            assert p.carbon_tco2e <= p.carbon_cap_tco2e * (1 + 1e-7)
        # proven within 0.5 %, or branch and bound stopped at its time limit and says so
        assert p.mip_gap is not None
        assert p.mip_gap <= 5e-3 or (p.method == "branch-and-bound (time limit)"
                                     and p.mip_gap <= 0.05), (p.method, p.mip_gap)
    # An interior point against HiGHS's own branch and bound on the same cap (through the
    # session, linopy and a different code path, proven within 0.1 %): the frontier's
    # point is no cheaper than the proven bound allows, nor dearer than its own gap does.
    mid = f.points[4]
    ref = PlanSession(session.scenario, load_catalog(),
                      SolveOptions(mip_strategy="branch-and-bound")).plan(Parameters(
                          carbon_price_usd_per_tco2e=0.0, carbon_cap_tco2e=mid.carbon_cap_tco2e))
    ref_obj = ref.totals["cost_usd"] + ref.totals["water_cost_usd"]
    assert mid.objective_ex_carbon_usd >= ref_obj * (1 - 1e-3) - 1e-6
    assert mid.objective_ex_carbon_usd <= ref_obj / (1 - mid.mip_gap) + 1e-6
