"""Surviving the loss of a region, the warm floor, and baselines checked against every rule.

Figures from tests/tiny.py: X1 at $2.5/GPU-h in aws/eu-west-1 (Dublin, 10 ms from Dublin
users) and $3 in gcp/europe-north1 (≈ 31 ms from Dublin, ≈ 12 ms from Helsinki); both are
within 50 ms of Dublin and Helsinki users, and aws/us-east-1 (≈ 64 ms from Dublin) is not.
One GPU serves 10 rps; 24 hours.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_gang import gang_problem
from test_planner_hand import regions_of, service_scenario
from tiny import tiny_catalog

from planner.baselines import run_baseline
from planner.cli.plan_cmd import baselines_json
from planner.failover import check_plan, failover_shortfall_rps
from planner.problem import InfeasibleError, prepare
from planner.scenario import ScenarioError, load_scenario_text
from planner.session import make_plan

TWO_METROS = "[{metro: Dublin, rps: 100}, {metro: Helsinki, rps: 50}]"


def surviving(text: str, extra: str = "survive_region_loss: true") -> str:
    return text.replace("    demand:", f"    {extra}\n    demand:")


def test_survive_region_loss_sizes_each_region_for_all_traffic():
    # 150 rps = 15 GPUs; losing either region, the other must carry all of it: 15 GPUs in
    # each, 24 h × 15 × ($2.5 + $3) = $1,980 (vs $1,440 for 15 GPUs in eu-west-1 alone).
    text = surviving(service_scenario(50, demand=TWO_METROS))
    plan = make_plan(load_scenario_text(text), tiny_catalog())
    assert regions_of(plan, "s") == {"aws/eu-west-1": pytest.approx(360),
                                     "gcp/europe-north1": pytest.approx(360)}
    assert plan.totals["cost_usd"] == pytest.approx(1980, rel=1e-6)
    # Recomputed from the plan's schedule: every host is within the failover SLO (75 ms) of
    # both metros, so with any one region lost the rest must hold the demand every hour.
    sched = {rid: np.array(v) for rid, v in plan.schedule["s"].items()}
    for lost in sched:
        left = sum(v for rid, v in sched.items() if rid != lost) * 10
        assert (left >= 150 - 1e-6).all(), lost
    assert {f["lost_region"] for f in plan.failover} == set(sched)
    assert all(f["survives"] and f["periods_checked"] == 24 for f in plan.failover)


def test_min_regions_two_is_no_longer_met_by_a_token_region():
    # Without survive_region_loss the second region keeps one warm GPU ($612, see
    # test_planner_hand); with it, each region holds all 10 GPUs: 24 × 10 × $5.5 = $1,320.
    token = make_plan(load_scenario_text(service_scenario(50, min_regions=2)), tiny_catalog())
    assert regions_of(token, "s")["gcp/europe-north1"] == pytest.approx(24)
    plan = make_plan(load_scenario_text(surviving(service_scenario(50, min_regions=2))),
                     tiny_catalog())
    assert regions_of(plan, "s") == {"aws/eu-west-1": pytest.approx(240),
                                     "gcp/europe-north1": pytest.approx(240)}
    assert plan.totals["cost_usd"] == pytest.approx(1320, rel=1e-6)


def test_min_gpus_per_region_applies_with_one_region():
    # 100 rps needs 10 GPUs, but a deployed region keeps 12: 24 × 12 × $2.5 = $720.
    text = surviving(service_scenario(50), "min_gpus_per_region: 12")
    plan = make_plan(load_scenario_text(text), tiny_catalog())
    assert regions_of(plan, "s") == {"aws/eu-west-1": pytest.approx(288)}
    assert plan.totals["cost_usd"] == pytest.approx(720, rel=1e-6)


@pytest.mark.parametrize(("floor_gpus", "instances"), [(8, 1), (12, 2)])
def test_warm_floor_in_whole_instances_of_eight_gpus(floor_gpus: int, instances: int):
    # 30 rps need 3 GPUs: one 8-GPU instance. A floor of 8 GPUs is one instance (the GPU
    # row is implied by the one-instance row and left out); 12 GPUs need a second instance
    # (the GPU row stays): 24 h × 8 × instances × $2.5.
    text = surviving(service_scenario(50, demand="[{metro: Dublin, rps: 30}]"),
                     f"min_gpus_per_region: {floor_gpus}")
    plan = make_plan(load_scenario_text(text), tiny_catalog(gpus_per_instance=8))
    assert regions_of(plan, "s") == {"aws/eu-west-1": pytest.approx(24 * 8 * instances)}
    assert plan.totals["cost_usd"] == pytest.approx(24 * 8 * instances * 2.5, rel=1e-6)
    (p,) = plan.placements
    assert p.schedule_instances == (instances,) * 24 and p.gpus_per_instance == 8


def test_failover_check_finds_a_short_plan():
    # Dublin's 100 rps may go to both regions; with region 1 lost, region 0's 60 rps leave 40.
    demand = np.array([[100.0, 80.0]])
    allowed = np.array([[True, True]])
    capacity = np.array([[60.0, 90.0], [0.0, 0.0]])
    assert failover_shortfall_rps(demand, allowed, capacity).tolist() == pytest.approx([40, 0])
    p = prepare(load_scenario_text(surviving(service_scenario(50))), tiny_catalog())
    gpus = p.service_allowed.astype(float).expand_dims(hour=p.hours).transpose(
        "service", "region", "hour") * 0.0
    gpus.loc[{"region": "aws/eu-west-1"}] = 10.0
    gpus.loc[{"region": "gcp/europe-north1"}] = 4.0
    checks = {c.lost: c for c in check_plan(p, gpus * 10.0)}  # 10 requests/s per GPU
    assert checks["aws/eu-west-1"].worst_unserved_rps == pytest.approx(60)
    assert checks["gcp/europe-north1"].survives


def test_a_metro_with_one_failover_region_is_named_before_solving():
    # Tokyo users with residency Japan have only azure/japaneast.
    text = surviving(service_scenario(50, demand="[{metro: Tokyo, rps: 10, residency: Japan}]"))
    with pytest.raises(InfeasibleError, match="survive_region_loss needs two regions for "
                                              "users in Tokyo"):
        make_plan(load_scenario_text(text), tiny_catalog())


def test_a_failover_slo_below_the_slo_is_refused():
    text = surviving(service_scenario(50),
                     "survive_region_loss: true\n    failover_latency_slo_ms: 40")
    with pytest.raises(ScenarioError, match="failover_latency_slo_ms 40 is below"):
        load_scenario_text(text)
    with pytest.raises(ScenarioError, match="survive_region_loss is not true"):
        load_scenario_text(surviving(service_scenario(50), "failover_latency_slo_ms: 80"))


def test_baselines_are_flagged_for_max_region_share_and_a_carbon_limit():
    # The optimum in whole GPUs: 7 in eu-west-1 (70 rps ≤ 75) and 3 in europe-north1:
    # 168 GPU-h × 300 g + 72 × 100 g + 240 × 1e-5 t = 0.06 t ≤ 0.07. cheapest-region (blind
    # to the SLO) puts all 100 rps in
    # azure/japaneast: 240 × 450 g + 0.0024 t = 0.1104 t > 0.07, and 100 % of the traffic in
    # one region under a 0.75 cap.
    text = service_scenario(50, min_regions=2).replace(
        "min_regions: 2", "min_regions: 2\n    max_region_share: 0.75") + \
        "limits: {carbon_tco2e: 0.07}\n"
    sc = load_scenario_text(text)
    assert make_plan(sc, tiny_catalog()).totals["carbon_tco2e"] == pytest.approx(0.06)
    result = run_baseline(prepare(sc, tiny_catalog()), "cheapest-region")
    assert result.plan.totals["carbon_tco2e"] == pytest.approx(0.1104)
    broken = baselines_json((result,))[0]["violations"]
    assert "s: azure/japaneast carries up to 100% of traffic, max_region_share 0.75" in broken
    assert "carbon 0.110 tCO2e exceeds limits.carbon_tco2e = 0.07" in broken
    assert not result.feasible


def test_baselines_are_flagged_for_survive_region_loss_and_short_runs():
    # greedy-carbon serves Dublin from the cleanest region within the SLO, europe-north1
    # alone: losing it leaves all 100 rps unserved.
    text = surviving(service_scenario(50))
    result = run_baseline(prepare(load_scenario_text(text), tiny_catalog()), "greedy-carbon")
    assert ("s: survive_region_loss broken — losing gcp/europe-north1 leaves up to 100.0 rps "
            "unserved within 75 ms") in result.violations
    # greedy-carbon runs the job in its two clean hours, 1 h each, under min_run_hours 3
    p = gang_problem(", min_run_hours: 3, restart_overhead_gpu_hours: 2",
                     [100.0, 1000.0, 100.0])
    broken = run_baseline(p, "greedy-carbon").violations
    assert "j: 2 run(s) shorter than min_run_hours 3" in broken
    assert ("j: 2 start(s) need 4 GPU-h of restart work the baseline does not run "
            "(restart_overhead_gpu_hours 2)") in broken


def test_a_quota_that_breaks_failover_is_explained():
    # europe-north1 may run 5 GPUs (50 rps): with eu-west-1 lost, 50 of Dublin's 100 rps
    # find no GPUs within the 75 ms failover SLO.
    text = surviving(service_scenario(50))
    with pytest.raises(InfeasibleError) as err:
        make_plan(load_scenario_text(text), tiny_catalog(quotas={"gcp/europe-north1": 5}))
    assert ("survive_region_loss cannot be met — with aws/eu-west-1 lost, up to 50.0 rps "
            "from Dublin") in str(err.value)


def test_bundled_example_survives_each_region_loss_recomputed_from_its_schedule():
    # global-low-latency (survive_region_loss on): from plan.schedule (GPUs per region and
    # hour, the plan's output) and the catalog's round trips alone, each region it runs in
    # is removed in turn and the demand routed within 1.5 × 45 ms onto the GPUs left (an LP
    # per lost region).
    from pathlib import Path

    from connectors.catalog import load_catalog
    text = (Path(__file__).parents[1] / "examples" / "global-low-latency.yaml").read_text()
    sc = load_scenario_text(text)
    (svc,) = sc.inference
    assert svc.survive_region_loss
    catalog = load_catalog()
    p = prepare(sc, catalog)
    plan = make_plan(sc, catalog)
    sched = plan.schedule[svc.name]
    regions = sorted(sched)
    capacity = np.array([sched[r] for r in regions]) * svc.requests_per_gpu_s  # [region, h]
    demand = p.demand_rps.sel(service=svc.name).transpose("metro", "hour").values
    allowed = (p.rtt_ms.sel(region=regions) <= 1.5 * svc.latency_slo_ms).transpose(
        "metro", "region").values
    assert len(regions) >= 2
    # schedule values may be rounded to 4 decimals (≤ 0.5e-4 GPU each): allow that much
    rounding_rps = len(regions) * 0.5e-4 * svc.requests_per_gpu_s
    for k in range(len(regions)):
        left = capacity.copy()
        left[k] = 0.0
        assert failover_shortfall_rps(demand, allowed, left).max() <= rounding_rps, regions[k]
    # … and the check does fail when capacity is missing: removing regions largest first,
    # some demand goes unserved before every region is gone
    left = capacity.copy()
    for k in np.argsort(-capacity.max(axis=1))[:-1]:
        left[k] = 0.0
        if failover_shortfall_rps(demand, allowed, left).max() > 1.0:
            break
    assert failover_shortfall_rps(demand, allowed, left).max() > 1.0
    assert left.max() > 0.0
