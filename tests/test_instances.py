"""Whole instances, hardware choice and purchase options on hand-checkable tiny scenarios.

Figures from tests/tiny.py: X1 at 1 kW, PUE 1; on-demand $/GPU-h us-east-1 2.0,
eu-west-1 2.5, europe-north1 3.0, japaneast 1.5. Carbon is not priced here, so the
optimum is the cheapest plan.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tiny import tiny_catalog

from planner.scenario import load_scenario_text
from planner.session import make_plan

HEAD = """
name: inst
horizon: {start: 2027-01-04T00:00Z, hours: 24}
time_shifting: false
clouds: [aws]
"""


def one_hour_job(gpu_hours: float, max_gpus: float, extra: str = "") -> str:
    return HEAD + f"""
training:
  - name: j
    gpu_hours: {gpu_hours}
    max_gpus: {max_gpus}
    window: {{start: 2027-01-04T00:00Z, deadline: 2027-01-04T01:00Z}}
{extra}"""


def job(extra: str) -> str:
    return HEAD + f"""
training:
  - name: j
    gpu_hours: 100
    max_gpus: 10
{extra}"""


def compute_parts(plan) -> float:
    return sum(p.instance_hours * p.usd_per_instance_hour for p in plan.placements)


def test_nine_gpus_of_work_on_eight_gpu_instances_take_two_instances():
    # 9 GPU-hours in one hour on 8-GPU instances: 2 instances (16 GPUs) in us-east-1,
    # billed 2 × 8 × $2.0 = $32.
    text = one_hour_job(9, 16, "    gpu: X1\n")
    plan = make_plan(load_scenario_text(text), tiny_catalog(gpus_per_instance=8))
    (p,) = plan.placements
    assert (p.region, p.instances, p.gpus_per_instance) == ("us-east-1", 2, 8)
    assert p.schedule_instances[0] == 2 and sum(p.schedule_instances) == 2
    assert p.instance_hours == 2 and p.usd_per_instance_hour == pytest.approx(16.0)
    assert plan.totals["compute_usd"] == pytest.approx(32.0, rel=1e-9)
    assert plan.schedule["j"]["aws/us-east-1"][0] == 16


def test_nine_gpus_of_service_capacity_take_two_instances():
    # 90 rps at 10 rps/GPU = 9 GPUs every hour → 2 × 8-GPU instances in eu-west-1 (SLO 20 ms
    # from Dublin) for 24 h: 48 instance-hours × 8 × $2.5 = $960.
    text = HEAD.replace("[aws]", "[aws, gcp]") + """
inference:
  - {name: s, gpu: X1, requests_per_gpu_s: 10, latency_slo_ms: 20,
     demand: [{metro: Dublin, rps: 90}]}
"""
    plan = make_plan(load_scenario_text(text), tiny_catalog(gpus_per_instance=8))
    (p,) = plan.placements
    assert p.schedule_instances == tuple([2] * 24)
    assert plan.totals["compute_usd"] == pytest.approx(960.0, rel=1e-9)
    relaxed = make_plan(load_scenario_text(text), tiny_catalog(gpus_per_instance=8),
                        relaxed=True)
    assert relaxed.totals["compute_usd"] == pytest.approx(9 * 24 * 2.5, rel=1e-9)
    assert relaxed.solver["instances"].startswith("relaxed")
    assert plan.solver["instances"] == "whole"


@pytest.mark.parametrize(("allowed", "spot_usd", "expected"), [
    (True, 1.0, "spot"),  # 105 GPU-h × $1.0 = $105 < 100 × $2.0
    (False, 1.0, "on_demand"),  # not allowed: never spot
    (True, 1.95, "on_demand"),  # 105 × $1.95 = $204.75 > $200 once the overhead counts
    (True, 1.90, "spot"),  # 105 × $1.90 = $199.5 < $200
])
def test_spot_only_when_allowed_and_cheaper_with_its_overhead(allowed, spot_usd, expected):
    extra = "    gpu: X1\n" + ("    spot: true\n    spot_overhead_fraction: 0.05\n" if allowed
                              else "")
    cat = tiny_catalog(spot={"aws/us-east-1": spot_usd})
    plan = make_plan(load_scenario_text(job(extra)), cat)
    assert {p.purchase for p in plan.placements} == {expected}
    want = 105 * spot_usd if expected == "spot" else 200.0
    assert plan.totals["compute_usd"] == pytest.approx(want, rel=1e-9)
    if expected == "spot":
        assert sum(p.gpu_hours for p in plan.placements) == pytest.approx(105)


def test_spot_default_overhead_is_sourced():
    cat = tiny_catalog(spot={"aws/us-east-1": 1.0})
    plan = make_plan(load_scenario_text(job("    gpu: X1\n    spot: true\n")), cat)
    fig = [i for i in plan.inputs if i.figure == "spot_overhead_fraction"]
    assert fig and fig[0].value == 0.05 and "nops.io" in fig[0].source


def two_gpu_catalog(x2_usd_per_gpu_hour: float):
    """tiny + a second model X2 (same power) offered in us-east-1 only."""
    cat = tiny_catalog()
    hw = pd.concat([cat.hardware, cat.hardware.assign(gpu_model="X2")], ignore_index=True)
    x2 = cat.gpu_offers[cat.gpu_offers["region"] == "us-east-1"].assign(
        gpu_model="X2", instance_type="aws-x2.1", usd_per_instance_hour=x2_usd_per_gpu_hour,
        usd_per_gpu_hour=x2_usd_per_gpu_hour)
    return cat.with_tables("tiny+X2", hardware=hw,
                           gpu_offers=pd.concat([cat.gpu_offers, x2], ignore_index=True))


@pytest.mark.parametrize(("x2_usd", "expected"), [(0.9, "X2"), (1.1, "X1")])
def test_gpu_choice_flips_where_price_ratio_crosses_throughput_ratio(x2_usd, expected):
    # X2 does half the work of an X1 per GPU-hour: 100 GPU-h of work = 200 X2 GPU-hours.
    # X2 wins iff 200 × price < 100 × $2.0, i.e. price < $1.0 (ratio 0.5 = throughput ratio).
    text = job("    gpus: {X1: 1.0, X2: 0.5}\n").replace("max_gpus: 10", "max_gpus: 20")
    plan = make_plan(load_scenario_text(text), two_gpu_catalog(x2_usd))
    assert {p.gpu_model for p in plan.placements} == {expected}
    want = 200 * x2_usd if expected == "X2" else 200.0
    assert plan.totals["compute_usd"] == pytest.approx(want, rel=1e-9)


def test_schedule_is_not_rounded():
    # 1.23456 rps at 10 rps/GPU: 0.123456 GPUs with fractional instances.
    text = HEAD.replace("[aws]", "[aws, gcp]") + """
inference:
  - {name: s, gpu: X1, requests_per_gpu_s: 10, latency_slo_ms: 20,
     demand: [{metro: Dublin, rps: 1.23456}]}
"""
    plan = make_plan(load_scenario_text(text), tiny_catalog(), relaxed=True)
    assert plan.schedule["s"]["aws/eu-west-1"][0] == pytest.approx(0.123456, rel=1e-9)
    assert plan.to_dict()["schedule"]["s"]["aws/eu-west-1"][0] == pytest.approx(0.123456,
                                                                                  rel=1e-9)


def test_multi_node_rule_caps_a_one_gpu_vm_to_one_instance():
    # 1-GPU VMs that are not fit for multi-node training: one instance per region-hour, so
    # a region does at most 24 GPU-hours in the 24 h horizon and 48 GPU-hours need two.
    text = HEAD.replace("[aws]", "[aws, gcp, azure]") + """
training:
  - {name: j, gpu: X1, gpu_hours: 48, max_gpus: 8}
"""
    plan = make_plan(load_scenario_text(text), tiny_catalog(multi_node=False))
    for p in plan.placements:
        assert max(p.schedule_instances) <= 1
    assert sum(p.gpu_hours for p in plan.placements) == pytest.approx(48)
    assert len(plan.placements) >= 2  # 24 h × 1 instance per region is not enough in one


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gpi=st.sampled_from([1, 4, 8]), gpu_hours=st.integers(1, 400),
       rps=st.floats(1.0, 300.0), spot=st.booleans())
@example(gpi=1, gpu_hours=31, rps=1.0, spot=True)  # the solver returned 31.9999999996 GPUs
def test_property_whole_instances_and_cost_is_instance_hours_times_price(gpi, gpu_hours, rps,
                                                                          spot):
    text = HEAD.replace("[aws]", "[aws, gcp, azure]") + f"""
training:
  - {{name: j, gpu: X1, gpu_hours: {gpu_hours}, max_gpus: 32, spot: {str(spot).lower()}}}
inference:
  - {{name: s, gpu: X1, requests_per_gpu_s: 10, latency_slo_ms: 60,
     demand: [{{metro: Dublin, rps: {rps}}}, {{metro: Helsinki, rps: {rps / 2}}}]}}
"""
    cat = tiny_catalog(gpus_per_instance=gpi, spot={"aws/us-east-1": 1.2, "gcp/europe-north1": 2.0})
    plan = make_plan(load_scenario_text(text), cat)
    for p in plan.placements:
        assert all(float(n).is_integer() for n in p.schedule_instances), p
        hours = sum(p.schedule_instances)  # hourly periods: 1 h each
        assert p.instance_hours == pytest.approx(hours, rel=1e-12)
        assert p.cost_usd == pytest.approx(p.instance_hours * p.usd_per_instance_hour,
                                           rel=1e-6)
    for per_region in plan.schedule.values():
        for gpus in per_region.values():
            assert all(float(g).is_integer() for g in gpus)
    assert compute_parts(plan) == pytest.approx(plan.totals["compute_usd"], rel=1e-6)
    done = sum(p.gpu_hours * (1 / 1.05 if p.purchase == "spot" else 1.0)
               for p in plan.placements if p.workload == "j")
    assert done >= gpu_hours * (1 - 1e-9)
    assert math.isfinite(plan.totals["objective_usd"])


def test_placement_fields_are_in_plan_json():
    plan = make_plan(load_scenario_text(job("    gpu: X1\n")), tiny_catalog())
    row = plan.to_dict()["placements"][0]
    for key in ("purchase", "usd_per_instance_hour", "instance_hours", "schedule_instances"):
        assert key in row
    assert dataclasses.asdict(plan.placements[0])["purchase"] == "on_demand"


def test_single_region_job_may_overshoot_its_work_by_whole_instances():
    # 9 GPU-hours in one hour, single region, 8-GPU instances: 2 instances, 16 GPU-hours.
    text = one_hour_job(9, 16, "    gpu: X1\n    single_region: true\n")
    plan = make_plan(load_scenario_text(text), tiny_catalog(gpus_per_instance=8))
    (p,) = plan.placements
    assert (p.instances, p.gpu_hours) == (2, 16)


def test_committed_capacity_is_billed_every_hour_and_reports_utilization():
    # 100 rps at 10 rps/GPU in eu-west-1 (20 ms from Dublin) → 10 GPUs all 48 h. A 1-year
    # commitment at 40 % off: 10 × 48 h × $2.5 × 0.6 = $720 < $1,200 on demand.
    po = pd.DataFrame([{"provider": "aws", "purchase": "committed_1y", "discount_fraction": 0.4,
                        "scope": "test", "source": "tests (hand-made)", "as_of": "2026-01-01"}])
    cat = tiny_catalog().with_tables("tiny+commitments", purchase_options=po)
    text = """
name: c
horizon: {start: 2027-01-04T00:00Z, hours: 48, representative: month-hour}
time_shifting: false
clouds: [aws]
inference:
  - {name: s, gpu: X1, requests_per_gpu_s: 10, latency_slo_ms: 20,
     demand: [{metro: Dublin, rps: 100}]}
"""
    plan = make_plan(load_scenario_text(text), cat)
    (p,) = plan.placements
    assert p.purchase == "committed_1y" and p.commitment_utilization == pytest.approx(1.0)
    assert p.usd_per_instance_hour == pytest.approx(1.5)
    assert p.instance_hours == pytest.approx(480) and set(p.schedule_instances) == {10}
    assert plan.totals["compute_usd"] == pytest.approx(720, rel=1e-9)
    off = make_plan(load_scenario_text(text.replace("demand:", "committed: false,\n     demand:")),
                    cat)
    assert {q.purchase for q in off.placements} == {"on_demand"}
    assert off.totals["compute_usd"] == pytest.approx(1200, rel=1e-9)


def _relaxation_usd(text: str, catalog) -> float:
    """Objective of the LP relaxation of the whole-instance model (cuts included)."""
    from planner.session import PlanSession

    built = PlanSession(load_scenario_text(text), catalog).built
    m = built.model
    for _name, var in m.variables.items():
        if var.attrs.get("integer") or var.attrs.get("binary"):
            var.relax()
    m.solve(solver_name="highs", io_api="direct", output_flag=False)
    return float(m.objective.value)


def test_instance_floor_lifts_the_relaxation_to_whole_instances():
    # 90 rps at 10 rps/GPU on 8-GPU instances (80 rps each) need 2 instances every hour:
    # without the floor the relaxation runs 1.125 instances ($45/h in eu-west-1 at
    # $2.5/GPU-h); with it, 2 instances ($40/h × 2 = $80/h), the whole-instance optimum.
    text = HEAD + """
inference:
  - {name: s, gpu: X1, requests_per_gpu_s: 10, latency_slo_ms: 20,
     demand: [{metro: Dublin, rps: 90}]}
"""
    catalog = tiny_catalog(gpus_per_instance=8)
    whole = make_plan(load_scenario_text(text), catalog)
    assert _relaxation_usd(text, catalog) == pytest.approx(2 * 8 * 2.5 * 24, rel=1e-9)
    assert whole.totals["compute_usd"] == pytest.approx(2 * 8 * 2.5 * 24, rel=1e-9)
    assert whole.solver["mip_gap"] <= 1e-9


def test_instance_floor_of_a_job_counts_instance_periods():
    # 9 GPU-hours in one hour on 8-GPU instances: the relaxation with the floor runs 2
    # instance-hours (16 GPU-hours at $2.0 = $32), not 9/8 of one.
    catalog = tiny_catalog(gpus_per_instance=8)
    text = one_hour_job(9, 16, "    gpu: X1\n")
    assert _relaxation_usd(text, catalog) == pytest.approx(32.0, rel=1e-9)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gpi=st.sampled_from([1, 2, 8]), rps=st.integers(1, 400), per_gpu=st.integers(1, 20))
def test_property_instance_floor_never_cuts_off_the_whole_optimum(gpi, rps, per_gpu):
    # The cheapest whole fleet is ⌈rps / (GPUs per instance × rps per GPU)⌉ instances in
    # the cheapest region (eu-west-1 is the only one within 20 ms of Dublin): the plan with
    # the floors finds exactly that, so the floors removed no whole-instance plan.
    text = HEAD + f"""
inference:
  - {{name: s, gpu: X1, requests_per_gpu_s: {per_gpu}, latency_slo_ms: 20,
     demand: [{{metro: Dublin, rps: {rps}}}]}}
"""
    plan = make_plan(load_scenario_text(text), tiny_catalog(gpus_per_instance=gpi))
    n = math.ceil(rps / (gpi * per_gpu) - 1e-9)
    assert plan.totals["compute_usd"] == pytest.approx(n * gpi * 2.5 * 24, rel=1e-9)


def test_rounding_keeps_a_region_quota_that_is_not_a_whole_instance():
    # 12 GPU-hours in one hour on 8-GPU instances; us-east-1 ($2.0, the cheapest aws region
    # here) has a quota of 12 GPUs, so the relaxation runs 1.5 instances there. Rounding
    # that cell up (16 GPUs) would break the quota: the rounding keeps 1 instance there and
    # adds the missing work elsewhere, so the rounded plan is feasible.
    from planner.session import PlanSession

    catalog = tiny_catalog(gpus_per_instance=8, quotas={"aws/us-east-1": 12})
    built = PlanSession(load_scenario_text(one_hour_job(12, 16, "    gpu: X1\n")),
                        catalog).built
    m = built.model
    names = [n for n, v in m.variables.items() if v.attrs.get("integer") or v.attrs.get("binary")]
    for n in names:
        m.variables[n].relax()
    m.solve(solver_name="highs", io_api="direct", output_flag=False)
    relaxed = {n: m.variables[n].solution for n in names}
    assert float(relaxed["Job-instances"].sel(region="aws/us-east-1").sum()) == pytest.approx(1.5)
    whole = built.round_instances(relaxed, {})["Job-instances"]
    gpus = whole * built.problem.job_options.gpus_per_instance
    assert float(gpus.sel(region="aws/us-east-1").sum()) == 8.0  # ≤ the 12-GPU quota
    assert float(gpus.sum()) == 16.0  # 2 instances: the 12 GPU-hours are done
    assert float(whole.max()) == 1.0
    plan = make_plan(load_scenario_text(one_hour_job(12, 16, "    gpu: X1\n")), catalog)
    assert plan.totals["compute_usd"] == pytest.approx(compute_parts(plan), rel=1e-9)
    assert sum(p.instances for p in plan.placements if p.region == "us-east-1") == 1


def test_compact_rounding_keeps_the_instances_a_shared_metro_needs():
    # Dublin's 90 rps need 9 one-GPU instances (10 rps each) per hour. A relaxation that
    # splits them 1.18 + 7.82 between two regions both in Dublin's reach pays for 10 when
    # every cell is rounded up; rounding up only where the demand needs it keeps 9 (1 + 8:
    # the larger fraction goes up).
    from planner.session import PlanSession

    text = HEAD.replace("[aws]", "[aws, gcp]") + """
inference:
  - {name: s, gpu: X1, requests_per_gpu_s: 10, latency_slo_ms: 60,
     demand: [{metro: Dublin, rps: 90}]}
"""
    built = PlanSession(load_scenario_text(text), tiny_catalog(gpus_per_instance=1)).built
    p = built.problem
    a, b = "aws/eu-west-1", "gcp/europe-north1"
    assert bool(p.flow_allowed.sel(service="s", metro="Dublin", region=[a, b]).all())
    labels = built.model.variables["Service-instances"].labels
    relaxed = xr.zeros_like(labels, dtype=float).where(labels >= 0)
    relaxed.loc[{"region": a}] = 1.18
    relaxed.loc[{"region": b}] = 7.82
    values = {"Service-instances": relaxed}
    up = built.round_instances(values, {})["Service-instances"]
    compact = built.round_instances(values, {}, compact=True)["Service-instances"]
    assert float(up.sum(["service", "option", "region"]).max()) == 10.0
    per_hour = compact.sum(["service", "option"])
    assert (per_hour.sel(region=a) == 1).all() and (per_hour.sel(region=b) == 8).all()
    plan = make_plan(load_scenario_text(text), tiny_catalog(gpus_per_instance=1))
    assert all(sum(p.schedule_instances[h] for p in plan.placements) == 9 for h in range(24))


def test_strict_site_rounding_keeps_a_region_for_every_metro_with_demand():
    # Dublin is served from the EU regions, Tokyo only from japaneast. A relaxation that
    # opens japaneast at 0.3 would lose it under the ≥ 0.5 rule and leave Tokyo unserved;
    # the rounding tops the sites up until every metro with demand has one in reach.
    from planner.session import PlanSession

    text = HEAD.replace("[aws]", "[aws, gcp, azure]") + """
inference:
  - {name: s, gpu: X1, requests_per_gpu_s: 10, latency_slo_ms: 60, min_regions: 2,
     demand: [{metro: Dublin, rps: 90}, {metro: Tokyo, rps: 20}]}
"""
    built = PlanSession(load_scenario_text(text), tiny_catalog()).built
    p = built.problem
    tokyo = p.flow_allowed.sel(service="s", metro="Tokyo")
    assert [str(r) for r in p.regions[tokyo.values]] == ["azure/japaneast"]
    labels = built.model.variables["Service-site"].labels
    site = xr.zeros_like(labels, dtype=float).where(labels >= 0)
    site.loc[{"region": "aws/eu-west-1"}] = 0.9
    site.loc[{"region": "gcp/europe-north1"}] = 0.6
    site.loc[{"region": "azure/japaneast"}] = 0.3
    chosen = built.round_choices({"Service-site": site}, "strict")["Service-site"]
    opened = {str(r) for r in chosen.sel(service="s").region.values
              if float(chosen.sel(service="s", region=r)) > 0.5}
    assert opened == {"aws/eu-west-1", "gcp/europe-north1", "azure/japaneast"}


def test_runner_up_rounding_takes_the_second_site_and_gpu_model():
    # A single-region job the relaxation splits 0.7 / 0.3 between two sites, and 0.6 / 0.4
    # between two GPU models: the rules keep the larger of each (a tie: the first), the
    # runner-up rule the smaller; a job the relaxation does not split keeps its one site.
    from planner.session import PlanSession

    text = HEAD.replace("[aws]", "[aws, gcp]") + """
training:
  - {name: j, gpu_hours: 100, max_gpus: 20, gpus: {X1: 1.0, X2: 0.5}, single_region: true}
  - {name: k, gpu: X1, gpu_hours: 10, max_gpus: 2, single_region: true}
"""
    built = PlanSession(load_scenario_text(text), two_gpu_catalog(0.9)).built
    labels = built.model.variables["Job-site"].labels
    site = xr.zeros_like(labels, dtype=float).where(labels >= 0).fillna(0.0)
    site.loc[{"job": "j", "region": "aws/us-east-1"}] = 0.3
    site.loc[{"job": "j", "region": "gcp/europe-north1"}] = 0.7
    site.loc[{"job": "k", "region": "aws/eu-west-1"}] = 1.0
    hw_labels = built.model.variables["Job-hardware"].labels
    hardware = xr.zeros_like(hw_labels, dtype=float).where(hw_labels >= 0)
    hardware.loc[{"job": "j", "gpu": "X1"}] = 0.6
    hardware.loc[{"job": "j", "gpu": "X2"}] = 0.4
    relaxed = {"Job-site": site, "Job-hardware": hardware}

    def chosen(rule: str) -> tuple[set[str], set[str], set[str]]:
        out = built.round_choices(relaxed, rule)
        s, g = out["Job-site"], out["Job-hardware"]
        return ({str(r) for r in s.region.values if float(s.sel(job="j", region=r)) == 1},
                {str(r) for r in s.region.values if float(s.sel(job="k", region=r)) == 1},
                {str(x) for x in g.gpu.values if float(g.sel(job="j", gpu=x)) == 1})

    assert chosen("generous") == ({"gcp/europe-north1"}, {"aws/eu-west-1"}, {"X1"})
    assert chosen("runner-up") == ({"aws/us-east-1"}, {"aws/eu-west-1"}, {"X2"})
    site.loc[{"job": "j", "region": "aws/us-east-1"}] = 0.7  # a tie: the first region
    assert chosen("strict")[0] == {"aws/us-east-1"}


def test_a_problem_computes_each_derived_array_once_and_a_copy_starts_afresh():
    from planner.session import PlanSession

    p = PlanSession(load_scenario_text(job("    gpu: X1\n")), tiny_catalog()).built.problem
    calls: list[int] = []
    assert p.memo("k", lambda: calls.append(1) or len(calls)) == 1
    assert p.memo("k", lambda: calls.append(1) or len(calls)) == 1 and calls == [1]
    q = dataclasses.replace(p, job_max_gpus=p.job_max_gpus * 2)
    assert "k" not in q.derived  # derived from other figures: never carried over
    assert q.memo("k", lambda: 7) == 7 and p.memo("k", lambda: 7) == 1
