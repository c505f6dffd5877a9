"""Bad scenario files get errors that name the field, the value and the fix."""

from __future__ import annotations

import pytest

from planner.scenario import ScenarioError, load_scenario, load_scenario_text

GOOD = """
name: ok
horizon: {start: 2027-01-04T00:00Z, hours: 48}
training:
  - {name: j, gpu: H100, gpu_hours: 100, max_gpus: 8}
"""


def err_of(text: str) -> str:
    with pytest.raises(ScenarioError) as e:
        load_scenario_text(text, origin="s.yaml")
    return str(e.value)


def test_good_file_loads():
    sc = load_scenario_text(GOOD)
    assert sc.training[0].gpu_hours == 100
    assert sc.clouds == ["aws", "gcp", "azure"]


def test_typo_in_field_name_suggests_the_right_one():
    msg = err_of(GOOD.replace("gpu_hours", "gpu_hour"))
    assert "training[0].gpu_hour: unknown field 'gpu_hour'" in msg
    assert "did you mean 'gpu_hours'" in msg
    assert "training[0].gpu_hours: Field required" in msg
    assert len(msg.splitlines()) < 10


def test_negative_value_names_field_and_value():
    msg = err_of(GOOD.replace("gpu_hours: 100", "gpu_hours: -5"))
    assert "training[0].gpu_hours" in msg and "-5" in msg and "positive" in msg


def test_unknown_cloud_lists_valid():
    msg = err_of(GOOD + "clouds: [aws, oracle]\n")
    assert "clouds[1]" in msg and "'aws', 'gcp' or 'azure'" in msg


def test_naive_datetime_rejected():
    msg = err_of(GOOD.replace("2027-01-04T00:00Z", "2027-01-04T00:00"))
    assert "horizon.start" in msg and "UTC" in msg


def test_window_outside_horizon():
    text = GOOD.replace("max_gpus: 8}", "max_gpus: 8, window: {start: 2027-01-04T00:00Z, "
                        "deadline: 2027-01-09T00:00Z}}")
    assert "must lie inside the horizon" in err_of(text)


def test_duplicate_workload_names():
    text = GOOD + "  - {name: j, gpu: H100, gpu_hours: 1, max_gpus: 1}\n"
    assert "repeated: ['j']" in err_of(text)


def test_no_workloads():
    assert "at least one workload" in err_of("name: x\nhorizon: {start: 2027-01-04T00:00Z, "
                                             "hours: 1}\n")


def test_yaml_syntax_error_has_line():
    msg = err_of("name: x\nhorizon: {start: 2027\n  bad: [\n")
    assert "not valid YAML" in msg and "line" in msg


def test_not_a_mapping():
    assert "expected a mapping" in err_of("- a\n- b\n")


def test_profile_must_average_one():
    text = """
name: s
horizon: {start: 2027-01-04T00:00Z, hours: 24}
inference:
  - name: svc
    gpu: L4
    requests_per_gpu_s: 5
    latency_slo_ms: 50
    hourly_profile: [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    demand: [{metro: London, rps: 10}]
"""
    assert "average 1" in err_of(text)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_overrides_are_validated():
    sc = load_scenario_text(GOOD)
    assert sc.with_overrides(**{"objective.carbon_price_usd_per_tco2e": 50}
                             ).objective.carbon_price_usd_per_tco2e == 50
    with pytest.raises(ScenarioError, match="objective.carbon_price_usd_per_tco2e"):
        sc.with_overrides(**{"objective.carbon_price_usd_per_tco2e": -1})
