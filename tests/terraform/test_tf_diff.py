"""planner.diff on hand-checkable plans (see fixtures: round figures, 168 h horizons).

llm_fleet_carbon0 → llm_fleet_carbon200 (same scenario, carbon price 0 → 200 $/t):

* llm-finetune: 64 H100 aws/us-east-1 ($5/GPU-h, 0.4 t/MWh) → gcp/europe-north1
  ($5.05/GPU-h, 0.04 t/MWh), 8064 GPU-h, 1 kW × PUE 1.25 → 10.08 MWh either way.
  Per month (× 730/168): $ −0.05·8064 = −403.2 → −1752; tCO2e 3.6288 → 15.768;
  valued at $200/t: −1752 + 3153.6 = 1401.6 $/month.
  One-time: egress 4000 GB × AWS internet $0.09 = $360; dual run $40,320/168 h = $240/h
  × 24 h = $5,760, plus 0.576 t ($115.2) and 2.88 m³ ($5.76) → 6240.96 valued;
  payback 6240.96 / (1401.6 / (730/24)) = 135.4375 days.
* chat-api: 12 L4 aws/eu-central-1 (0.4 t/MWh) → gcp/europe-west4 (0.2 t/MWh), same $:
  0.0504 t per 168 h → 0.219 t/month → $43.8/month; no data declared → no egress; dual
  run $12/h × 24 = $288 + 0.0144 t ($2.88) + 0.072 m³ ($0.144) = 291.024 → payback
  291.024 / (43.8 / 30.41667) = 202.1 days.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from tfhelpers import load_fixture

from planner.diff import DAYS_PER_MONTH, HOURS_PER_MONTH, DiffError, PlanDiff, diff_plans

TRANSFER = pd.DataFrame(
    {
        "provider": ["aws", "aws", "gcp", "gcp", "azure", "azure"],
        "scope": ["inter_region", "internet"] * 3,
        "usd_per_gb": [0.02, 0.09, 0.02, 0.12, 0.02, 0.087],
        "kwh_per_gb": [0.001] * 6,
        "source": ["test"] * 6,
        "as_of": ["2026"] * 6,
    }
)


def _diff(**kw: float) -> PlanDiff:
    return diff_plans(load_fixture("llm_fleet_carbon0.json"),
                      load_fixture("llm_fleet_carbon200.json"), TRANSFER, 24.0, **kw)


def test_constants() -> None:
    assert HOURS_PER_MONTH == 730.0
    assert DAYS_PER_MONTH == pytest.approx(730 / 24, rel=1e-15)


def test_moves_hand_checked() -> None:
    d = _diff()
    assert [(m.workload, m.from_id, m.to_id, m.gpus) for m in d.moves] == [
        ("chat-api", "aws/eu-central-1", "gcp/europe-west4", 12.0),
        ("llm-finetune", "aws/us-east-1", "gcp/europe-north1", 64.0),
    ]
    chat, llm = d.moves
    assert llm.egress_gb == 4000.0
    assert llm.egress_usd == pytest.approx(360.0, rel=1e-12)
    assert llm.dual_run_usd == pytest.approx(5760.0, rel=1e-12)
    assert llm.one_time_usd == pytest.approx(6120.0, rel=1e-12)
    assert llm.saving_usd_per_month == pytest.approx(-1752.0, rel=1e-9)
    assert llm.saving_tco2e_per_month == pytest.approx(15.768, rel=1e-9)
    assert llm.saving_water_m3_per_month == pytest.approx(0.0, abs=1e-9)
    assert llm.saving_objective_usd_per_month == pytest.approx(1401.6, rel=1e-9)
    assert llm.one_time_objective_usd == pytest.approx(6240.96, rel=1e-9)
    assert llm.payback_days == pytest.approx(135.4375, rel=1e-9)
    assert chat.egress_usd == 0.0
    assert chat.egress_usd_per_gb is None  # no data declared: no price looked up
    assert chat.dual_run_usd == pytest.approx(288.0, rel=1e-12)
    assert chat.saving_objective_usd_per_month == pytest.approx(43.8, rel=1e-9)
    assert chat.payback_days == pytest.approx(291.024 / (43.8 / (730 / 24)), rel=1e-9)
    assert d.added == () and d.removed == ()
    assert d.carbon_price_usd_per_tco2e == 200.0
    assert d.same_scenario


def test_plan_totals_per_month() -> None:
    d = _diff()
    # $: −403.2 over 168 h; tCO2e: 3.6288 + 0.0504 = 3.6792 over 168 h.
    assert d.saving_usd_per_month == pytest.approx(-403.2 * 730 / 168, rel=1e-9)
    assert d.saving_tco2e_per_month == pytest.approx(3.6792 * 730 / 168, rel=1e-9)
    assert d.saving_objective_usd_per_month == pytest.approx(
        d.saving_usd_per_month + 200 * d.saving_tco2e_per_month, rel=1e-12)
    assert d.one_time_usd == pytest.approx(6120.0 + 288.0, rel=1e-12)


def test_min_payback_filter() -> None:
    d = _diff()
    assert [m.workload for m in d.keep_payback_within(150).moves] == ["llm-finetune"]
    assert [m.workload for m in d.keep_payback_within(250).moves] == ["chat-api",
                                                                       "llm-finetune"]
    assert d.keep_payback_within(100).moves == ()
    assert d.keep_payback_within(150).one_time_usd == pytest.approx(6120.0, rel=1e-12)


def test_no_carbon_price_means_no_payback() -> None:
    """At $0/t the $-dearer cleaner region never pays back."""
    d = _diff(carbon_price_usd_per_tco2e=0.0, water_price_usd_per_m3=0.0)
    assert all(math.isinf(m.payback_days) for m in d.moves)
    assert d.keep_payback_within(10_000).moves == ()


def test_dual_run_hours_scale_one_time_cost() -> None:
    d0 = diff_plans(load_fixture("llm_fleet_carbon0.json"),
                    load_fixture("llm_fleet_carbon200.json"), TRANSFER, 0.0)
    llm = d0.moves[1]
    assert llm.dual_run_usd == 0.0
    assert llm.one_time_usd == pytest.approx(360.0, rel=1e-12)


def test_split_move_and_capacity_changes() -> None:
    """A region splitting: 12 GPUs in A → 5 stay, 4 to B (same cloud first), 3 to C;
    plus 2 more GPUs in C than released: added capacity."""
    cur = load_fixture("llm_fleet_carbon0.json")
    new = load_fixture("llm_fleet_carbon0.json")
    base = next(p for p in new["placements"] if p["region"] == "eu-central-1")
    base.update(instances=5, peak_gpus=5.0, cost_usd=840.0, gpu_hours=840.0)
    new["placements"] += [
        {**base, "region": "eu-west-1", "instances": 4, "cost_usd": 672.0, "gpu_hours": 672.0},
        {**base, "provider": "gcp", "region": "europe-west4", "instance_type": "g2-standard-4",
         "instances": 5, "cost_usd": 840.0, "gpu_hours": 840.0},
    ]
    for plan in (cur, new):
        next(w for w in plan["workloads"] if w["name"] == "chat-api")["data_size_gb"] = 100.0
    d = diff_plans(cur, new, TRANSFER, 24.0)
    moves = [(m.from_id, m.to_id, m.gpus) for m in d.moves]
    assert moves == [("aws/eu-central-1", "aws/eu-west-1", 4.0),
                     ("aws/eu-central-1", "gcp/europe-west4", 3.0)]
    assert d.moves[0].egress_usd_per_gb == 0.02  # inter_region within AWS
    assert d.moves[1].egress_usd_per_gb == 0.09  # AWS internet egress to GCP
    assert d.moves[1].egress_usd == pytest.approx(9.0, rel=1e-12)  # 100 GB
    assert [(c.region_id, c.gpus) for c in d.added] == [("gcp/europe-west4", 2.0)]
    # Work: 2016 GPU-h over 168 h → 8760 GPU-h/month; 4/12 of it moves to eu-west-1.
    assert d.moves[0].gpu_hours_per_month == pytest.approx(672 * 730 / 168, rel=1e-12)
    assert d.added[0].gpu_hours_per_month == pytest.approx(336 * 730 / 168, rel=1e-12)
    assert d.removed == ()
    # 4 of 12 GPUs move: dual run = 4/12 of $12/h × 24 h.
    assert d.moves[0].dual_run_usd == pytest.approx(12.0 * 4 / 12 * 24, rel=1e-12)


def test_egress_charged_once_per_new_destination() -> None:
    cur = load_fixture("llm_fleet_carbon0.json")
    new = load_fixture("llm_fleet_carbon0.json")
    a = next(p for p in cur["placements"] if p["workload"] == "llm-finetune")
    b = {**a, "region": "us-west-2", "instances": 4, "peak_gpus": 32.0}
    cur["placements"].append(b)
    target = next(p for p in new["placements"] if p["workload"] == "llm-finetune")
    target.update(region="us-east-2", instances=12, peak_gpus=96.0, gpu_hours=16128.0,
                  cost_usd=80640.0)
    d = diff_plans(cur, new, TRANSFER, 24.0)
    llm = [m for m in d.moves if m.workload == "llm-finetune"]
    assert len(llm) == 2
    assert sorted(m.egress_gb for m in llm) == [0.0, 4000.0]


def test_missing_transfer_price_is_an_error_only_when_data_moves() -> None:
    partial = TRANSFER[~((TRANSFER.provider == "aws") & (TRANSFER.scope == "internet"))]
    with pytest.raises(DiffError, match="provider='aws', scope='internet'"):
        diff_plans(load_fixture("llm_fleet_carbon0.json"),
                   load_fixture("llm_fleet_carbon200.json"), partial, 24.0)
    cur, new = load_fixture("llm_fleet_carbon0.json"), load_fixture("llm_fleet_carbon200.json")
    for plan in (cur, new):
        for w in plan["workloads"]:
            w["data_size_gb"] = None
    assert len(diff_plans(cur, new, partial, 24.0).moves) == 2


def test_negative_dual_run_rejected() -> None:
    with pytest.raises(DiffError, match="dual_run_hours"):
        diff_plans(load_fixture("llm_fleet_carbon0.json"),
                   load_fixture("llm_fleet_carbon200.json"), TRANSFER, -1.0)


def test_move_detected_when_destination_gpus_do_not_change() -> None:
    """Work moving into a region whose rounded-up instances had headroom: provisioned
    GPUs there stay 12, yet 100 GPU-h of work (and its cost) arrive from elsewhere."""
    cur = load_fixture("llm_fleet_carbon0.json")
    new = load_fixture("llm_fleet_carbon0.json")
    us = next(p for p in cur["placements"] if p["region"] == "us-east4")
    us.update(instances=2, peak_gpus=2.0, gpu_hours=100.0, cost_usd=100.0)
    eu_new = next(p for p in new["placements"] if p["region"] == "eu-central-1")
    eu_new.update(gpu_hours=2116.0, cost_usd=2116.0)
    new["placements"] = [p for p in new["placements"] if p["region"] != "us-east4"]
    d = diff_plans(cur, new, TRANSFER, 24.0)
    assert [(m.from_id, m.to_id) for m in d.moves] == [("gcp/us-east4", "aws/eu-central-1")]
    assert d.moves[0].gpus == pytest.approx(2.0, rel=1e-12)
    assert d.removed == () and d.added == ()


def test_plans_of_one_scenario_at_other_prices_are_the_same_scenario() -> None:
    cur = load_fixture("llm_fleet_carbon0.json")
    new = load_fixture("llm_fleet_carbon200.json")
    new["scenario"]["sha256"] = "f" * 64  # the price override changes the hash
    assert diff_plans(cur, new, TRANSFER, 24.0).same_scenario
    new["scenario"]["name"] = "other"
    assert not diff_plans(cur, new, TRANSFER, 24.0).same_scenario


def test_identical_plans_have_no_moves() -> None:
    p = load_fixture("seven_regions.json")
    d = diff_plans(p, p, TRANSFER, 24.0)
    assert d.moves == () and d.added == () and d.removed == ()
    assert d.saving_usd_per_month == 0.0


def test_to_dict_is_json() -> None:
    d = _diff(carbon_price_usd_per_tco2e=0.0)
    doc = json.loads(json.dumps(d.to_dict(), allow_nan=False))
    assert doc["moves"][0]["payback_days"] is None  # inf → null
    assert doc["hours_per_month"] == 730.0
    assert doc["dual_run_hours"] == 24.0


@pytest.mark.parametrize("horizon", [{}, {"hours": 0}, {"hours": "x"}])
def test_plan_without_a_usable_horizon_is_a_named_error(horizon):
    from planner.memo.params import MemoError
    from planner.memo.planview import horizon_hours

    plan = {"horizon": horizon, "placements": [], "totals": {},
            "objective": {"carbon_price_usd_per_tco2e": 0.0, "water_price_usd_per_m3": 0.0}}
    with pytest.raises(DiffError, match="current plan: .*horizon.hours"):
        diff_plans(plan, plan, TRANSFER, 24.0)
    with pytest.raises(MemoError, match="proposed: .*horizon.hours"):
        horizon_hours(plan, "proposed")
