"""Tiny scenarios whose optimum was derived by hand (see tests/tiny.py for the figures).

One X1 GPU-hour = 1 kWh (1000 W, PUE 1); embodied 1e-5 tCO2e per GPU-hour.
"""

from __future__ import annotations

import pandas as pd
import pytest
from tiny import tiny_catalog

from planner.plan import totals_check
from planner.problem import InfeasibleError
from planner.scenario import load_scenario_text
from planner.session import make_plan

HEAD = """
name: hand
horizon: {start: 2027-01-04T00:00Z, hours: 24}
time_shifting: false
"""


def job_scenario(clouds: str = "[aws, gcp]", price: float = 0.0, extra: str = "") -> str:
    return HEAD + f"""
clouds: {clouds}
objective: {{carbon_price_usd_per_tco2e: {price}}}
training:
  - {{name: j, gpu: X1, gpu_hours: 100, max_gpus: 10{extra}}}
"""


def regions_of(plan, workload: str) -> dict[str, float]:
    return {f"{p.provider}/{p.region}": p.gpu_hours for p in plan.placements
            if p.workload == workload}


def test_cost_optimal_picks_cheapest_region():
    # us-east-1: 100 GPU-h × $2 = $200; 100 kWh × 500 g = 0.05 t + 0.001 t embodied.
    plan = make_plan(load_scenario_text(job_scenario()), tiny_catalog())
    assert regions_of(plan, "j") == {"aws/us-east-1": pytest.approx(100)}
    assert plan.totals["cost_usd"] == pytest.approx(200, rel=1e-6)
    assert plan.totals["carbon_tco2e"] == pytest.approx(0.051, rel=1e-6)
    assert plan.totals["energy_mwh"] == pytest.approx(0.1, rel=1e-6)


@pytest.mark.parametrize(("price", "region", "cost", "carbon"), [
    # objective per region: 200 + 0.051 p | 250 + 0.031 p | 300 + 0.011 p (tie at p = 2500)
    (2000.0, "aws/us-east-1", 200.0, 0.051),
    (3000.0, "gcp/europe-north1", 300.0, 0.011),
])
def test_carbon_price_moves_the_job(price, region, cost, carbon):
    plan = make_plan(load_scenario_text(job_scenario(price=price)), tiny_catalog())
    assert regions_of(plan, "j") == {region: pytest.approx(100)}
    assert plan.totals["cost_usd"] == pytest.approx(cost, rel=1e-6)
    assert plan.totals["carbon_tco2e"] == pytest.approx(carbon, rel=1e-6)
    assert plan.totals["objective_usd"] == pytest.approx(cost + price * carbon, rel=1e-6)


def test_jurisdiction_excludes_cheapest():
    text = job_scenario(extra=", allowed_jurisdictions: [EU]")
    plan = make_plan(load_scenario_text(text), tiny_catalog())
    assert regions_of(plan, "j") == {"aws/eu-west-1": pytest.approx(100)}
    assert plan.totals["cost_usd"] == pytest.approx(250, rel=1e-6)


def test_capacity_forces_a_split():
    # us-east-1 holds at most 2 GPUs × 24 h = 48 GPU-h; the rest goes to eu-west-1 at $2.5.
    cat = tiny_catalog(quotas={"aws/us-east-1": 2})
    plan = make_plan(load_scenario_text(job_scenario(clouds="[aws]")), cat)
    assert regions_of(plan, "j") == {"aws/us-east-1": pytest.approx(48),
                                     "aws/eu-west-1": pytest.approx(52)}
    assert plan.totals["cost_usd"] == pytest.approx(48 * 2 + 52 * 2.5, rel=1e-6)
    peak = {p.region: p.peak_gpus for p in plan.placements}
    assert peak["us-east-1"] <= 2 + 1e-9


def test_scenario_quota_overrides_catalog():
    text = job_scenario(clouds="[aws]") + "quotas: {aws/us-east-1: {X1: 1}}\n"
    plan = make_plan(load_scenario_text(text), tiny_catalog())
    assert regions_of(plan, "j")["aws/us-east-1"] == pytest.approx(24)


@pytest.mark.parametrize(("size_gb", "region", "egress"), [
    # price 3000: us-east-1 200 + 153 = 353 (data home, no egress);
    # north1 with 4000 GB: 300 + 33 + 4000 × 0.09 + 3000 × 4 kWh × 100 g = 694.2 → stay;
    # north1 with 100 GB: 300 + 33 + 9 + 0.03 = 342.03 → move.
    (4000.0, "aws/us-east-1", 0.0),
    (100.0, "gcp/europe-north1", 9.0),
])
def test_data_gravity(size_gb, region, egress):
    extra = f", single_region: true, data: {{home: aws/us-east-1, size_gb: {size_gb}}}"
    plan = make_plan(load_scenario_text(job_scenario(price=3000, extra=extra)), tiny_catalog())
    assert regions_of(plan, "j") == {region: pytest.approx(100)}
    assert plan.totals["egress_usd"] == pytest.approx(egress, rel=1e-6, abs=1e-9)


def test_single_region_keeps_job_together_under_quota():
    # quota 2 in us-east-1 can't hold 100 GPU-h in 24 h, so single-region goes to eu-west-1.
    cat = tiny_catalog(quotas={"aws/us-east-1": 2})
    plan = make_plan(load_scenario_text(job_scenario(clouds="[aws]",
                                                     extra=", single_region: true")), cat)
    assert regions_of(plan, "j") == {"aws/eu-west-1": pytest.approx(100)}


def service_scenario(slo: float, residency: str = "", min_regions: int = 1,
                     demand: str = "") -> str:
    res = f", residency: {residency}" if residency else ""
    demand = demand or f"[{{metro: Dublin, rps: 100{res}}}]"
    return HEAD + f"""
inference:
  - name: s
    gpu: X1
    requests_per_gpu_s: 10
    latency_slo_ms: {slo}
    min_regions: {min_regions}
    demand: {demand}
"""


def test_inference_cheapest_region_when_slo_is_loose():
    # Dublin → Tokyo ≈ 9,600 km → RTT ≈ 106 ms < 200: azure/japaneast at $1.5.
    plan = make_plan(load_scenario_text(service_scenario(200)), tiny_catalog())
    assert regions_of(plan, "s") == {"azure/japaneast": pytest.approx(240)}
    assert plan.totals["cost_usd"] == pytest.approx(240 * 1.5, rel=1e-6)


def test_residency_excludes_cheapest_region():
    plan = make_plan(load_scenario_text(service_scenario(200, residency="EU")), tiny_catalog())
    assert regions_of(plan, "s") == {"aws/eu-west-1": pytest.approx(240)}
    assert plan.totals["cost_usd"] == pytest.approx(600, rel=1e-6)


def test_latency_slo_excludes_far_region():
    # SLO 50 ms: Tokyo (106 ms) and Ashburn (≈ 65 ms) are out; eu-west-1 (10 ms) is cheapest.
    plan = make_plan(load_scenario_text(service_scenario(50)), tiny_catalog())
    assert regions_of(plan, "s") == {"aws/eu-west-1": pytest.approx(240)}
    flows = plan.flows
    assert all(f.rtt_ms <= 50 for f in flows)


def test_min_regions_keeps_a_warm_second_region():
    # The second region (europe-north1, next cheapest within 50 ms) must keep
    # min_gpus_per_region = 1 GPU warm (24 GPU-h × $3 = $72); that GPU serves 10 rps, so
    # eu-west-1 needs 9 GPUs for the other 90 rps (216 GPU-h × $2.5 = $540).
    plan = make_plan(load_scenario_text(service_scenario(50, min_regions=2)), tiny_catalog())
    assert regions_of(plan, "s") == {"aws/eu-west-1": pytest.approx(216),
                                     "gcp/europe-north1": pytest.approx(24)}
    assert plan.totals["cost_usd"] == pytest.approx(612, rel=1e-6)


def test_max_region_share_spreads_traffic():
    # eu-west-1 may carry ≤ 75 rps. Whole GPUs: 7 there (70 rps) × 24 h × $2.5 = $420 and
    # 3 in north1 (30 rps) × 24 h × $3 = $216; 8 + 3 would cost $696.
    text = service_scenario(50, min_regions=2).replace("min_regions: 2",
                                                       "min_regions: 2\n    max_region_share: 0.75")
    plan = make_plan(load_scenario_text(text), tiny_catalog())
    assert regions_of(plan, "s") == {"aws/eu-west-1": pytest.approx(168),
                                     "gcp/europe-north1": pytest.approx(72)}
    assert plan.totals["cost_usd"] == pytest.approx(636, rel=1e-6)


def test_infeasible_quota_names_service_and_metro():
    # SLO 20 ms from Dublin leaves only eu-west-1 (10 ms); a quota of 5 GPUs serves 50 of 100 rps.
    cat = tiny_catalog(quotas={"aws/eu-west-1": 5})
    with pytest.raises(InfeasibleError) as err:
        make_plan(load_scenario_text(service_scenario(20)), cat)
    text = str(err.value)
    assert "inference 's'" in text and "50.0 of 100.0 rps from Dublin" in text
    assert "aws/eu-west-1" in text


def test_infeasible_job_quota_reports_gpu_hours_that_fit():
    # Only aws: quotas 1 + 1 GPUs × 24 h = 48 of 100 GPU-h.
    cat = tiny_catalog(quotas={"aws/us-east-1": 1, "aws/eu-west-1": 1})
    with pytest.raises(InfeasibleError) as err:
        make_plan(load_scenario_text(job_scenario(clouds="[aws]")), cat)
    assert "only 48 of 100 GPU-hours fit" in str(err.value)


def test_time_shifting_runs_in_clean_hours():
    # Zone Z: 250 g/kWh 00–11 UTC, 750 g/kWh 12–23 UTC (annual mean 500 = us-east-1's level).
    cat = tiny_catalog()
    prof = pd.DataFrame([{"grid_zone": "Z", "month": mo, "hour_utc": h,
                          "ci_gco2e_per_kwh": 250.0 if h < 12 else 750.0, "basis": "lifecycle",
                          "year": 2024, "source": "hand", "as_of": "2024"}
                         for mo in range(1, 13) for h in range(24)])
    regions = cat.regions.copy()
    regions.loc[regions["region"] == "us-east-1", "grid_zone"] = "Z"
    cat = cat.with_tables("tiny+profile", regions=regions, grid_profiles=prof)
    text = (HEAD.replace("time_shifting: false", "time_shifting: true")
            + "clouds: [aws]\nobjective: {carbon_price_usd_per_tco2e: 1000}\n"
            + "training:\n  - {name: j, gpu: X1, gpu_hours: 10, max_gpus: 1}\n")
    plan = make_plan(load_scenario_text(text), cat)
    sched = plan.schedule["j"]["aws/us-east-1"]
    assert sum(sched[:12]) == pytest.approx(10)
    assert sum(sched[12:]) == pytest.approx(0, abs=1e-9)
    # 10 kWh × 250 g = 0.0025 t operational + 10 × 1e-5 embodied
    assert plan.totals["carbon_tco2e"] == pytest.approx(0.0026, rel=1e-6)


def test_market_based_uses_cfe():
    # gcp/europe-north1 has CFE 0.5 in the tiny catalog: market-based 50 g/kWh.
    text = job_scenario(clouds="[gcp]").replace("time_shifting: false",
                                                "time_shifting: false\naccounting: market")
    plan = make_plan(load_scenario_text(text), tiny_catalog())
    assert plan.totals["carbon_location_tco2e"] == pytest.approx(0.01, rel=1e-6)
    assert plan.totals["carbon_market_tco2e"] == pytest.approx(0.005, rel=1e-6)
    assert plan.totals["carbon_tco2e"] == pytest.approx(0.006, rel=1e-6)


def test_water_counts_site_wue():
    # north1 WUE 1.0 L/kWh, no grid water: 100 kWh → 100 L = 0.1 m³.
    plan = make_plan(load_scenario_text(job_scenario(clouds="[gcp]")), tiny_catalog())
    assert plan.totals["water_m3"] == pytest.approx(0.1, rel=1e-6)


def test_totals_equal_sum_of_placements():
    text = job_scenario(price=2500) + service_scenario(50, min_regions=2).split(
        "time_shifting: false", 1)[1]
    plan = make_plan(load_scenario_text(text), tiny_catalog(quotas={"aws/us-east-1": 3}))
    parts = totals_check(plan)
    for key in ("cost_usd", "carbon_tco2e", "water_m3", "energy_mwh"):
        assert parts[key] == pytest.approx(plan.totals[key], rel=1e-6, abs=1e-9), key


def test_infeasible_slo_names_service_metro_and_nearest_region():
    with pytest.raises(InfeasibleError) as err:
        make_plan(load_scenario_text(service_scenario(5)), tiny_catalog())
    text = str(err.value)
    assert "inference 's'" in text and "Dublin" in text and "aws/eu-west-1" in text
    assert "10 ms away" in text


def test_infeasible_window_names_job():
    with pytest.raises(InfeasibleError) as err:
        make_plan(load_scenario_text(job_scenario().replace("max_gpus: 10", "max_gpus: 4")),
                  tiny_catalog())
    assert "training 'j'" in str(err.value) and "96" in str(err.value)


def test_infeasible_carbon_budget_reports_least_achievable():
    # least carbon: all 100 GPU-h in north1 = 0.011 t
    text = job_scenario() + "limits: {carbon_tco2e: 0.005}\n"
    with pytest.raises(InfeasibleError) as err:
        make_plan(load_scenario_text(text), tiny_catalog())
    assert "limits.carbon_tco2e" in str(err.value) and "0.011" in str(err.value)


def test_carbon_budget_binds_and_reports_shadow_price():
    # budget 0.031 t: cheapest is eu-west-1 (250 $, 0.031 t) vs a mix; LP picks
    # mix of us-east-1 and north1: carbon 0.051 x + 0.011 (1-x) = 0.031 → x = 0.5,
    # cost 200·0.5 + 300·0.5 = 250 — a tie with eu-west-1; shadow price = 100/0.04 = 2500 $/t.
    # Shadow prices are an LP's: fractional instances (--relaxed).
    text = job_scenario() + "limits: {carbon_tco2e: 0.031}\n"
    plan = make_plan(load_scenario_text(text), tiny_catalog(), relaxed=True)
    assert plan.totals["carbon_tco2e"] == pytest.approx(0.031, rel=1e-6)
    assert plan.totals["cost_usd"] == pytest.approx(250, rel=1e-6)
    assert any("Budget-carbon" in e and "2,500" in e for e in plan.explanations)


def test_quota_shadow_price():
    # us-east-1 quota 2: every extra GPU-hour there saves $0.5 (eu-west-1 at $2.5 vs $2),
    # so one more GPU of quota over the 24 h is worth 24 × $0.5 = $12.
    plan = make_plan(load_scenario_text(job_scenario(clouds="[aws]")),
                     tiny_catalog(quotas={"aws/us-east-1": 2}), relaxed=True)
    notes = [e for e in plan.explanations if "Region-capacity-X1 binds in aws/us-east-1" in e]
    assert notes and "$12.00" in notes[0]


def _two_zone_catalog():
    """us-east-1 clean 00–11 UTC (100 g) and dirty after (900 g); eu-west-1 the reverse."""
    import pandas as pd

    cat = tiny_catalog()
    rows = []
    for zone, clean_first in (("A", True), ("B", False)):
        for mo in range(1, 13):
            for h in range(24):
                clean = (h < 12) == clean_first
                rows.append({"grid_zone": zone, "month": mo, "hour_utc": h,
                             "ci_gco2e_per_kwh": 100.0 if clean else 900.0,
                             "basis": "lifecycle", "year": 2024, "source": "hand",
                             "as_of": "2024"})
    regions = cat.regions.copy()
    regions.loc[regions["region"] == "us-east-1", ["grid_zone", "grid_ci_gco2e_per_kwh"]] = [
        "A", 500.0]
    regions.loc[regions["region"] == "eu-west-1", ["grid_zone", "grid_ci_gco2e_per_kwh"]] = [
        "B", 500.0]
    return cat.with_tables("tiny+zones", regions=regions, grid_profiles=pd.DataFrame(rows))


MIGRATE = """
name: migrate
horizon: {start: 2027-01-04T00:00Z, hours: 24}
clouds: [aws]
objective: {carbon_price_usd_per_tco2e: 10000}
training:
  - {name: j, gpu: X1, gpu_hours: 24, max_gpus: 1, checkpoint_gb: CKPT}
"""


@pytest.mark.parametrize(("ckpt", "moves"), [
    # Follow the clean hours: us-east-1 00–11, eu-west-1 12–23 → 1 move (100 GB × $0.09 = $9)
    # plus 12 GPU-h × $0.5 dearer compute, and it saves 12 GPU-h × 800 g = 9.6 kg × $10,000/t
    # = $96 of carbon against staying in one region all day: $15 < $96, so it moves.
    (100.0, 1),
    # A 2 TB checkpoint costs $180 per move: $186 > $96, so it stays in one region.
    (2000.0, 0),
])
def test_migrating_job_pays_per_checkpoint_move(ckpt, moves):
    plan = make_plan(load_scenario_text(MIGRATE.replace("CKPT", str(ckpt))), _two_zone_catalog())
    assert plan.workloads[0]["moves"] == moves
    assert plan.totals["egress_usd"] == pytest.approx(moves * ckpt * 0.09, rel=1e-6, abs=1e-9)
    sched = plan.schedule["j"]
    if moves:
        assert sum(sched["aws/us-east-1"][:12]) == pytest.approx(12)
        assert sum(sched["aws/eu-west-1"][12:]) == pytest.approx(12)
    else:
        assert len(sched) == 1
    parts = totals_check(plan)
    assert parts["cost_usd"] == pytest.approx(plan.totals["cost_usd"], rel=1e-6)
    assert parts["energy_mwh"] == pytest.approx(plan.totals["energy_mwh"], rel=1e-6)


def test_representative_periods_match_hourly_plan():
    # A profile that depends only on (month, hour of day): month-hour periods lose nothing,
    # so the aggregated plan must equal the hourly one — with 2 × 24 periods instead of 1,416.
    import pandas as pd

    cat = tiny_catalog()
    prof = pd.DataFrame([{"grid_zone": "Z", "month": mo, "hour_utc": h,
                          "ci_gco2e_per_kwh": 200.0 + 10 * h + mo, "basis": "lifecycle",
                          "year": 2024, "source": "hand", "as_of": "2024"}
                         for mo in range(1, 13) for h in range(24)])
    regions = cat.regions.copy()
    regions.loc[regions["region"] == "us-east-1", "grid_zone"] = "Z"
    cat = cat.with_tables("tiny+profile", regions=regions, grid_profiles=prof)
    text = """
name: year
horizon: {start: 2027-01-01T00:00Z, hours: 1416, REP}
clouds: [aws, gcp]
objective: {carbon_price_usd_per_tco2e: 1000}
training:
  - {name: j, gpu: X1, gpu_hours: 5000, max_gpus: 4}
inference:
  - name: s
    gpu: X1
    requests_per_gpu_s: 10
    latency_slo_ms: 80
    hourly_profile: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1,
                     1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1, 1, 1, 1, 1, 1]
    demand: [{metro: Dublin, rps: 40}]
"""
    # Fractional instances: a whole instance in a period stands for ~30 h of work, so whole
    # counts would schedule the job's last GPU-hours differently in the two plans.
    hourly = make_plan(load_scenario_text(text.replace(", REP", "")), cat, relaxed=True)
    rep = make_plan(load_scenario_text(text.replace("REP", "representative: month-hour")), cat,
                    relaxed=True)
    assert rep.horizon["periods"] == 48 and sum(rep.horizon["period_weights_h"]) == 1416
    for key in ("cost_usd", "carbon_tco2e", "water_m3", "energy_mwh", "gpu_hours"):
        assert rep.totals[key] == pytest.approx(hourly.totals[key], rel=1e-6), key


def test_representative_periods_refuse_windows():
    from planner.scenario import ScenarioError

    text = job_scenario(extra=", window: {start: 2027-01-04T00:00Z, deadline: 2027-01-04T12:00Z}")
    text = text.replace("hours: 24}", "hours: 24, representative: month-hour}")
    with pytest.raises(ScenarioError, match="representative"):
        load_scenario_text(text)
