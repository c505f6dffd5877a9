"""Pareto frontier: hand-checked on the tiny catalog, plus invariants on a real example."""

from __future__ import annotations

import pytest
from tiny import tiny_catalog

from planner.pareto import trace_frontier
from planner.scenario import load_scenario_text
from planner.session import PlanSession

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
    f = trace_frontier(PlanSession(load_scenario_text(JOB), tiny_catalog()), points=5)
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
    f = trace_frontier(PlanSession(load_scenario_text(JOB), cat), points=9)
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
    f = trace_frontier(PlanSession(load_scenario_text(JOB), tiny_catalog()), points=7)
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
