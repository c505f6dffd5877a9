"""The value of a latency SLO, hand-checked on the tiny catalog."""

from __future__ import annotations

import math

import pytest
from test_planner_hand import service_scenario
from tiny import tiny_catalog

from planner.scenario import load_scenario_text
from planner.session import PlanSession
from planner.slo_value import slo_values


def _values(text: str):
    session = PlanSession(load_scenario_text(text), tiny_catalog())
    return session, slo_values(session, tiny_catalog(), session.plan())


def test_next_route_and_its_saving_by_hand():
    # Dublin, 100 rps at 10 rps/GPU over 24 h = 240 GPU-h. Within 50 ms the cheapest region
    # is eu-west-1 ($2.5: $600); the next round trip opens aws/us-east-1 ($2.0: $480).
    session, (v,) = _values(service_scenario(50))
    rtt = float(session.problem.rtt_ms.sel(metro="Dublin", region="aws/us-east-1"))
    assert 50 < rtt < 106  # nearer than Tokyo
    assert v.next_slo_ms == pytest.approx(math.ceil(rtt * 100) / 100)
    assert v.route == "Dublin → aws/us-east-1"
    assert v.objective_saving_usd == pytest.approx(120, rel=1e-6)
    assert not v.within_gap
    assert v.usd_per_ms == pytest.approx(120 / (v.next_slo_ms - 50), rel=1e-6)
    assert "$120" in v.describe() and "per ms" in v.describe()


def test_no_farther_region_means_no_value():
    # SLO 200 ms already reaches every region from Dublin.
    _, (v,) = _values(service_scenario(200))
    assert v.next_slo_ms is None and v.usd_per_ms is None
    assert "changes nothing" in v.describe()


def test_residency_bounds_the_routes_a_wider_slo_can_open():
    # EU residency: both EU regions are within 50 ms already; the US and Japan never open.
    _, (v,) = _values(service_scenario(50, residency="EU"))
    assert v.next_slo_ms is None


def test_a_route_that_saves_nothing_is_said_so():
    # SLO 20 ms leaves eu-west-1 only (10 ms); the next route is europe-north1 at $3.0, dearer.
    session, (v,) = _values(service_scenario(20))
    assert v.route == "Dublin → gcp/europe-north1"
    assert v.objective_saving_usd == pytest.approx(0, abs=1e-6)
    assert v.within_gap and v.usd_per_ms is None
    assert "nothing beyond the solver's gap" in v.describe()
