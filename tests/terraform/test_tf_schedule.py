"""Schedules as scaling actions and the deployed cost (no Terraform needed here).

The contract fixture ``contract_time_shifted.json`` (48 h from Monday 2027-01-04 00:00
UTC) holds, per placement, ``schedule_instances`` and ``usd_per_instance_hour``:

* ``train-shifted`` on AWS (spot, $98.32) and GCP (on demand, $88.25): 0 for 6 h, 4
  instances for 10 h (06:00-16:00), 0 for 32 h → 40 instance-hours each;
* ``train-night`` on Azure (spot, $98.32): 2 instances 20:00-04:00 → 16 instance-hours;
* ``chat`` on GCP (committed, $0.71): every day 1 instance, 3 from 08:00 to 20:00 → 48
  instance-hours a day, 96 over the horizon.

Compute cost = 40 x 98.32 + 40 x 88.25 + 16 x 98.32 + 96 x 0.71 = $9,104.08.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tfhelpers import load_fixture

from planner.emit import schedule as sched
from planner.emit import tfvars as gen

CONTRACT = "contract_time_shifted.json"


def _values() -> tuple[dict[str, Any], dict[str, Any]]:
    return gen.deploy_values(load_fixture(CONTRACT))


def test_dated_steps_hand_checked() -> None:
    values, _ = _values()
    aws = values["placements"]["aws/us-east-1/train-shifted"]
    assert aws["schedule_kind"] == "dated" and aws["purchase"] == "spot"
    assert aws["steps"] == [
        {"start_utc": "2027-01-04T00:00:00Z", "hours": 6.0, "instances": 0},
        {"start_utc": "2027-01-04T06:00:00Z", "hours": 10.0, "instances": 4},
        {"start_utc": "2027-01-04T16:00:00Z", "hours": 32.0, "instances": 0},
    ]
    assert aws["recurrences"] == [] and aws["scaling_actions"] == 3
    assert aws["instance_count"] == 4 and aws["instance_hours"] == 40
    assert aws["deployed_cost_usd"] == pytest.approx(40 * 98.32, rel=1e-12)
    azure = values["placements"]["azure/eastus2/train-night"]
    assert [(s["start_utc"], s["hours"], s["instances"]) for s in azure["steps"]] == [
        ("2027-01-04T00:00:00Z", 20.0, 0), ("2027-01-04T20:00:00Z", 8.0, 2),
        ("2027-01-05T04:00:00Z", 20.0, 0)]


def test_daily_recurrences_hand_checked() -> None:
    values, _ = _values()
    chat = values["placements"]["gcp/europe-west4/chat"]
    assert chat["schedule_kind"] == "daily" and chat["steps"] == []
    got = [(r["cron"], r["hours"], r["instances"], r["hours_in_horizon"])
           for r in chat["recurrences"]]
    assert got == [("0 0 * * *", 8.0, 1, 16.0), ("0 8 * * *", 12.0, 3, 24.0),
                   ("0 20 * * *", 4.0, 1, 8.0)]
    assert chat["instance_hours"] == 96 and chat["purchase"] == "committed"


def test_job_running_to_the_horizon_end_gets_a_stop_step() -> None:
    plan = load_fixture(CONTRACT)
    row = plan["placements"][0]
    row["schedule_instances"] = [0] * 40 + [4] * 8
    row["cost_usd"] = 32 * 98.32
    plan["placements"] = [row]
    plan["totals"]["compute_usd"] = plan["totals"]["cost_usd"] = row["cost_usd"]
    steps = gen.tfvars_values(plan)["placements"]["aws/us-east-1/train-shifted"]["steps"]
    assert steps[-1] == {"start_utc": "2027-01-06T00:00:00Z", "hours": 0.0, "instances": 0}
    assert steps[-2] == {"start_utc": "2027-01-05T16:00:00Z", "hours": 8.0, "instances": 4}


def test_deployed_cost_equals_planned_compute() -> None:
    plan = load_fixture(CONTRACT)
    values, report = gen.deploy_values(plan)
    assert report["planned_compute_usd"] == pytest.approx(9104.08, rel=1e-12)
    assert report["deployed_cost_usd"] == pytest.approx(9104.08, rel=1e-12)
    assert values["regionplan"]["deployed_cost_usd"] == pytest.approx(9104.08, rel=1e-12)
    per = {p["placement"]: p["deployed_cost_usd"] for p in report["placements"]}
    assert per == pytest.approx({row_key(r): r["cost_usd"] for r in plan["placements"]})
    assert report["instances_sources"] == ["schedule_instances"]


def row_key(row: dict[str, Any]) -> str:
    return f"{row['provider']}/{row['region']}/{row['workload']}"


def test_older_plan_rounds_up_and_says_so() -> None:
    """seven_regions.json has neither schedule nor schedule_instances: constant peak."""
    report = gen.deploy_values(load_fixture("seven_regions.json"))[1]
    assert report["instances_sources"] == ["constant peak (plan has no schedule)"]
    plan = load_fixture(CONTRACT)
    for row in plan["placements"]:
        del row["schedule_instances"], row["usd_per_instance_hour"], row["purchase"]
    report = gen.deploy_values(plan)[1]
    assert report["instances_sources"] == [
        "derived from schedule (ceil GPUs / gpus_per_instance)"]
    # Whole GPUs in the fixture's schedule: the derivation gives back the same cost.
    assert report["deployed_cost_usd"] == pytest.approx(9104.08, rel=1e-9)


def test_over_the_limit_is_refused_with_the_fix() -> None:
    # First over the limit: the AWS job; its cheapest merge lifts the 6 h lead-in to 4
    # instances: +24 instance-hours x $98.32.
    with pytest.raises(gen.TfvarsError, match=r"placement aws/us-east-1/train-shifted: 3 "
                       r"scaling actions, more than the 2 allowed.*--smooth.*\+\$2,359\.68"):
        gen.deploy_values(load_fixture(CONTRACT), max_actions=2)


def test_smoothing_never_below_the_plan_and_costs_what_it_runs() -> None:
    plan = load_fixture(CONTRACT)
    values, report = gen.deploy_values(plan, max_actions=2, smooth=True)
    chat = values["placements"]["gcp/europe-west4/chat"]
    # Cheapest merge: the 4 h tail at 1 → 3 (+2 instances x 4 h x 2 days = +16).
    assert [(r["cron"], r["instances"]) for r in chat["recurrences"]] == [
        ("0 0 * * *", 1), ("0 8 * * *", 3)]
    assert chat["instance_hours"] == 112
    row = next(p for p in report["placements"] if p["placement"] == "gcp/europe-west4/chat")
    assert row["smoothed_from_actions"] == 3 and row["scaling_actions"] == 2
    assert row["deployed_cost_usd"] == pytest.approx(112 * 0.71, rel=1e-12)
    assert report["deployed_cost_usd"] == pytest.approx(
        sum(p["instance_hours"] * p["usd_per_instance_hour"] for p in report["placements"]))


def _hourly_layout(hours: int) -> sched.Layout:
    from datetime import UTC, datetime
    return sched.Layout(datetime(2027, 1, 4, tzinfo=UTC), (1.0,) * hours, None)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=72), st.integers(1, 8))
def test_encode_expand_and_smooth_properties(values: list[int], limit: int) -> None:
    lay = _hourly_layout(len(values))
    enc = sched.encode(lay, values, "dated")
    assert sched.expand(enc) == values
    assert enc.instance_hours == sum(values)
    sm = sched.smooth(enc, limit)
    assert sm.actions <= max(limit, 1)
    got = sched.expand(sm)
    assert all(g >= v for g, v in zip(got, values, strict=True))
    assert sm.instance_hours == sum(got)
    assert all(a.instances != b.instances for a, b in zip(sm.runs, sm.runs[1:], strict=False))


@pytest.mark.parametrize("change, needle", [
    ({"representative": "week-hour", "period_weights_h": [1.0], "period_start_utc": ["x"]},
     "horizon.representative"),
    ({"periods": 47}, "schedule_instances has 48 periods, the horizon 47"),
])
def test_unreadable_schedules_are_named_errors(change: dict[str, Any], needle: str) -> None:
    plan = load_fixture(CONTRACT)
    plan["horizon"].update(change)
    with pytest.raises(gen.TfvarsError, match=needle):
        gen.deploy_values(plan)


def test_weekly_series_becomes_weekly_recurrences() -> None:
    week = [2] * 120 + [0] * 48  # Monday..Friday 2 instances, weekend none
    lay = _hourly_layout(336)
    kind = sched.choose_kind(lay, week * 2, "inference", "aws")
    assert kind == "weekly"
    recs = sched.recurrences(sched.encode(lay, week * 2, kind))
    assert [(r["cron"], r["days"], r["hours"], r["instances"]) for r in recs] == [
        ("0 0 * * 1", ["Monday"], 120.0, 2), ("0 0 * * 6", ["Saturday"], 48.0, 0)]


def _month_hour_plan(cloud: str) -> dict[str, Any]:
    """A representative plan: Jan (31 d) and Feb (28 d) x 24 h; 1 instance, 2 at 12:00-18:00
    in January only."""
    plan = load_fixture(CONTRACT)
    starts = [f"2027-{m:02d}-01T{h:02d}:00Z" for m in (1, 2) for h in range(24)]
    weights = [31.0] * 24 + [28.0] * 24
    inst = [2 if 12 <= h < 18 else 1 for h in range(24)] + [1] * 24
    plan["horizon"] = {"start_utc": "2027-01-01T00:00:00Z", "hours": 59 * 24, "periods": 48,
                       "representative": "month-hour", "period_weights_h": weights,
                       "period_start_utc": starts}
    row = next(r for r in plan["placements"] if r["provider"] == cloud)
    row.update(kind="inference", schedule_instances=inst, usd_per_instance_hour=1.0,
               cost_usd=float(sum(i * w for i, w in zip(inst, weights, strict=True))))
    plan["placements"] = [row]
    plan["schedule"] = {}
    plan["totals"]["compute_usd"] = plan["totals"]["cost_usd"] = row["cost_usd"]
    return plan


def test_month_hour_plan_becomes_monthly_crons() -> None:
    plan = _month_hour_plan("aws")
    values, report = gen.deploy_values(plan)
    (p,) = values["placements"].values()
    assert p["schedule_kind"] == "month_hour"
    assert [(r["cron"], r["instances"], r["hours_in_horizon"]) for r in p["recurrences"]] == [
        ("0 0 * 1 *", 1, 12 * 31.0), ("0 12 * 1 *", 2, 6 * 31.0), ("0 18 * 1 *", 1, 6 * 31.0),
        ("0 0 * 2 *", 1, 24 * 28.0)]
    assert report["deployed_cost_usd"] == pytest.approx(plan["totals"]["compute_usd"])


def test_month_hour_on_azure_is_the_daily_envelope() -> None:
    plan = _month_hour_plan("azure")
    values, report = gen.deploy_values(plan)
    (p,) = values["placements"].values()
    assert p["schedule_kind"] == "daily"
    assert [(r["cron"], r["instances"]) for r in p["recurrences"]] == [
        ("0 0 * * *", 1), ("0 12 * * *", 2), ("0 18 * * *", 1)]
    # February runs 2 instances 12:00-18:00 too: 6 h x 28 d more than planned.
    assert report["deployed_cost_usd"] - plan["totals"]["compute_usd"] == pytest.approx(168.0)
    assert "daily envelope" in json.dumps(report)


def test_plan_instance_hours_disagreeing_with_its_schedule_is_noted() -> None:
    plan = load_fixture(CONTRACT)
    plan["placements"][0]["instance_hours"] = 41.0  # the schedule says 40
    report = gen.deploy_values(plan)[1]
    (row,) = [p for p in report["placements"] if p["notes"]]
    assert row["placement"] == "aws/us-east-1/train-shifted"
    assert "instance_hours 41.0 differ" in row["notes"][0]
    assert row["instance_hours"] == 40


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=24, max_size=24), st.integers(2, 4))
def test_repeating_days_round_trip(day: list[int], days: int) -> None:
    lay = _hourly_layout(24 * days)
    kind = sched.choose_kind(lay, day * days, "inference", "gcp")
    assert kind == "daily"
    enc = sched.encode(lay, day * days, kind)
    assert sched.expand(enc) == day * days
    assert sum(r["hours_in_horizon"] * r["instances"] for r in sched.recurrences(enc)) == \
        sum(day) * days


def test_months_alike_share_one_recurrence() -> None:
    plan = _month_hour_plan("gcp")
    (row,) = plan["placements"]
    day = [2 if 12 <= h < 18 else 1 for h in range(24)]
    row["schedule_instances"] = day * 2  # January and February alike
    weights = plan["horizon"]["period_weights_h"]
    row["cost_usd"] = float(sum(i * w for i, w in zip(day * 2, weights, strict=True)))
    plan["totals"]["compute_usd"] = plan["totals"]["cost_usd"] = row["cost_usd"]
    values, report = gen.deploy_values(plan)
    (p,) = values["placements"].values()
    assert [(r["cron"], r["months"], r["hours_in_horizon"]) for r in p["recurrences"]] == [
        ("0 0 * 1,2 *", [1, 2], 12 * 59.0), ("0 12 * 1,2 *", [1, 2], 6 * 59.0),
        ("0 18 * 1,2 *", [1, 2], 6 * 59.0)]
    assert p["scaling_actions"] == 3
    assert report["deployed_cost_usd"] == pytest.approx(row["cost_usd"], rel=1e-12)
