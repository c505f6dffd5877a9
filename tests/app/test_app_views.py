"""The app's pure view functions and input mapping, on plans of the tiny catalog (no Streamlit
runtime). Expected figures are either worked out by hand or recomputed from the plan."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from tiny import tiny_catalog

from app import state, views
from planner.cli.app_cmd import streamlit_app_path, streamlit_command
from planner.plan import Flow, Plan
from planner.scenario import ScenarioError, load_scenario_text
from planner.session import make_plan

SCENARIO = """
name: tiny-app
horizon: {start: 2027-01-04T00:00Z, hours: 24}
clouds: [aws, gcp, azure]
objective: {carbon_price_usd_per_tco2e: 0}
training:
  - {name: job, gpu: X1, gpu_hours: 100, max_gpus: 10}
inference:
  - name: svc
    gpu: X1
    requests_per_gpu_s: 10
    latency_slo_ms: 200
    demand: [{metro: Dublin, rps: 100}]
  - name: eu-svc
    gpu: X1
    requests_per_gpu_s: 10
    latency_slo_ms: 100
    allowed_jurisdictions: [EU, Japan]
    demand: [{metro: Helsinki, rps: 20}]
"""


@pytest.fixture(scope="module")
def plan() -> Plan:
    return make_plan(load_scenario_text(SCENARIO), tiny_catalog())


def test_traffic_weighted_latency_by_hand(plan: Plan) -> None:
    flows = (Flow("svc", "Dublin", "aws", "eu-west-1", 100.0, 10.0),
             Flow("svc", "Tokyo", "azure", "japaneast", 300.0, 50.0))
    # (100·10 + 300·50) / 400 = 40 ms
    assert replace(plan, flows=flows).latency_ms_weighted == pytest.approx(40.0)
    assert replace(plan, flows=()).latency_ms_weighted is None


def test_kpi_values_are_the_plan_totals(plan: Plan) -> None:
    v = views.kpi_values(plan)
    for key in ("cost_usd", "carbon_tco2e", "water_m3", "energy_mwh", "objective_usd"):
        assert v[key] == pytest.approx(plan.totals[key], rel=1e-12)
    total = sum(f.rps for f in plan.flows)
    assert v["latency_ms"] == pytest.approx(sum(f.rps * f.rtt_ms for f in plan.flows) / total)


def test_kpi_cards_deltas(plan: Plan) -> None:
    cards = views.kpi_cards(plan, plan)
    assert [c.key for c in cards] == [s.key for s in views.KPI_SPECS]
    assert all(c.delta_text == "no change" and c.delta_color == "off"
               for c in cards if c.key != "objective_usd")
    priced = next(c for c in cards if c.key == "objective_usd")
    assert priced.delta_text is None  # priced at other prices: not comparable
    dearer = replace(plan, totals={**plan.totals, "cost_usd": plan.totals["cost_usd"] * 2})
    cost = next(c for c in views.kpi_cards(plan, dearer) if c.key == "cost_usd")
    assert cost.delta_text is not None and cost.delta_text.startswith("-")
    assert "(-50.0%)" in cost.delta_text and cost.delta_color == "inverse"
    assert all(c.delta_text is None for c in views.kpi_cards(plan))


@pytest.mark.parametrize(("value", "ref", "text"), [
    (489_855.4, 489_855.4, "no change"),
    (90.0, 100.0, "-10 (-10.0%)"),
    (250_000.0, 100_000.0, "+150.0k (+150.0%)"),
])
def test_format_delta_dollars(value: float, ref: float, text: str) -> None:
    spec = views.KPI_SPECS[0]
    assert views.format_delta(spec, value, ref)[0] == text


def test_format_value() -> None:
    cost, carbon = views.KPI_SPECS[0], views.KPI_SPECS[1]
    assert views.format_value(cost, 489_855.4) == "$489.9k"
    assert views.format_value(cost, 1_234_567.0) == "$1.23M"
    assert views.format_value(cost, 950.0) == "$950"
    assert views.format_value(carbon, 22.4579) == "22.46"
    assert views.format_value(carbon, None) == "—"


def test_placements_frame_sums_to_totals(plan: Plan) -> None:
    frame = views.placements_frame(plan)
    assert len(frame) == len(plan.placements)
    assert frame["Cost $"].sum() == pytest.approx(plan.totals["cost_usd"], rel=1e-6)
    assert set(frame["Region"]) == {f"{p.provider}/{p.region}" for p in plan.placements}
    assert views.flows_frame(plan)["Requests/s"].sum() == pytest.approx(120.0, rel=1e-6)


def test_map_figure_marks_used_regions_metros_and_flows(plan: Plan) -> None:
    cat = tiny_catalog()
    fig = views.map_figure(plan, cat.regions, cat.metros)
    by_name = {t.name: t for t in fig.data}
    used = by_name["regions used (size = GPUs)"]
    assert sorted(used.text) == sorted({p.region for p in plan.placements})
    gpus: dict[str, float] = {}
    for p in plan.placements:
        gpus[p.region] = gpus.get(p.region, 0.0) + p.peak_gpus
    sizes = dict(zip(used.text, used.marker.size, strict=True))
    big, small = max(gpus, key=gpus.__getitem__), min(gpus, key=gpus.__getitem__)
    assert sizes[big] >= sizes[small]
    assert sorted(by_name["user metros"].text) == sorted({f.metro for f in plan.flows})
    assert sum(t.name == "served traffic" for t in fig.data) == len(plan.flows)
    candidates = by_name["candidate regions"]
    assert len(candidates.lat) == 4 - len(used.text)
    # outlines come from the shipped Natural Earth file; plotly's CDN layers stay off
    geo = fig.layout.geo
    assert not any((geo.showland, geo.showcountries, geo.showocean, geo.showcoastlines,
                    geo.showlakes, geo.showrivers, geo.showsubunits))
    outline = by_name[views.OUTLINE_TRACE_NAME]
    assert len(outline.lon) > 10_000 and outline.mode == "lines"
    plain = views.map_figure(plan, cat.regions, cat.metros, outlines=False)
    assert views.OUTLINE_TRACE_NAME not in {t.name for t in plain.data}


def test_world_outlines_are_whole_and_cut_at_the_antimeridian() -> None:
    rings = views.world_rings()
    assert len(rings) > 200  # every country polygon of Natural Earth 1:110m
    lons = [lon for r in rings for lon, _ in r]
    lats = [lat for r in rings for _, lat in r]
    assert min(lons) == pytest.approx(-180, abs=0.01) and max(lons) == pytest.approx(180, abs=0.01)
    assert max(lats) > 80 and min(lats) < -80
    lo, _ = views.outline_lonlat()
    steps = [abs(b - a) for a, b in zip(lo, lo[1:], strict=False)
             if a is not None and b is not None]
    assert max(steps) <= 180.0  # no line drawn across the whole map


def test_hourly_figure_shows_the_schedule(plan: Plan) -> None:
    jobs = views.training_workloads(plan)
    assert jobs == ["job"]
    hours = pd.date_range("2027-01-04", periods=24, freq="h", tz="UTC")
    ci = pd.DataFrame({"aws/us-east-1": [500.0] * 24, "gcp/europe-north1": [100.0] * 24},
                      index=hours)
    fig = views.hourly_figure(plan, "job", ci, "location")
    gpu_traces = [t for t in fig.data if t.name.startswith("GPUs in")]
    assert {t.name.removeprefix("GPUs in ") for t in gpu_traces} == set(plan.schedule["job"])
    assert sum(sum(t.y) for t in gpu_traces) == pytest.approx(100.0, rel=1e-6)  # 100 GPU-h


def test_frontier_figure_and_selection() -> None:
    frame = pd.DataFrame({"carbon_tco2e": [3.0, 2.0, 1.0, 2.5], "cost_usd": [10.0, 12.0, 20.0, 15],
                          "dominated": [False, False, False, True],
                          "knee": [False, True, False, False],
                          "mac_usd_per_tco2e": [None, 2.0, 8.0, None]})
    fig = views.frontier_figure(frame, [views.Marker("this plan", 2.2, 11.0)], selected=2)
    front = next(t for t in fig.data if t.name == views.FRONTIER_TRACE)
    assert list(front.customdata) == [0, 1, 2]
    assert any(t.name == "knee" for t in fig.data) and any(t.name == "selected" for t in fig.data)
    assert views.selected_point({"selection": {"points": [{"customdata": 2}]}}) == 2
    assert views.selected_point({"selection": {"points": [{"customdata": [1]}]}}) == 1
    assert views.selected_point({"selection": {"points": [{"customdata": "this plan"}]}}) is None
    assert views.selected_point({"selection": {"points": []}}) is None
    assert views.selected_point(None) is None
    only_markers = views.frontier_figure(None, [views.Marker("this plan", 2.2, 11.0)])
    assert [t.name for t in only_markers.data] == ["this plan"]


def test_comparison_frame(plan: Plan) -> None:
    rows = [views.Compared("this plan", "opt", plan),
            views.Compared("rule", "a rule", plan, 0.25, 3)]
    frame = views.comparison_frame(rows)
    assert list(frame["Plan"]) == ["this plan", "rule"]
    assert frame.loc[1, "SLO violations %"] == pytest.approx(25.0)
    assert frame.loc[1, "Over-quota regions"] == 3
    assert frame.loc[0, "Cost $"] == pytest.approx(plan.totals["cost_usd"])


# ---------------------------------------------------------------------------------------
# Inputs → overrides (app.state)


def test_what_if_overrides_slo_and_jurisdictions() -> None:
    base = load_scenario_text(SCENARIO)
    assert state.apply_what_if(base, state.WhatIf()) is base
    same = state.WhatIf(clouds=("aws", "gcp", "azure"), accounting="location",
                        time_shifting=base.time_shifting)
    assert state.apply_what_if(base, same).sha256() == base.sha256()
    sc = state.apply_what_if(base, state.WhatIf(latency_slo_ms=55, jurisdictions=("EU",),
                                                clouds=("gcp",), accounting="market",
                                                time_shifting=False))
    assert [s.latency_slo_ms for s in sc.inference] == [55.0, 55.0]
    assert sc.training[0].allowed_jurisdictions == ["EU"]  # had none: gets the selection
    assert sc.inference[1].allowed_jurisdictions == ["EU"]  # [EU, Japan] ∩ [EU]: never widened
    assert sc.clouds == ["gcp"] and sc.accounting == "market" and sc.time_shifting is False
    assert base.inference[0].latency_slo_ms == 200  # the base scenario is untouched


def test_upload_limits_and_errors() -> None:
    big = b"name: x\n" + b"#" * state.MAX_UPLOAD_BYTES
    with pytest.raises(ScenarioError, match="limited to 256 kB"):
        state.scenario_from_upload("big.yaml", big)
    with pytest.raises(ScenarioError, match="not UTF-8"):
        state.scenario_from_upload("bin.yaml", b"\xff\xfe\x00name")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        state.scenario_from_upload("bad.yaml", b"name: [unclosed")
    with pytest.raises(ScenarioError, match="no such file"):
        state.scenario_from_path(Path("/nonexistent/scenario.yaml"))
    assert state.scenario_from_upload("ok.yaml", SCENARIO.encode()).name == "tiny-app"


def test_bundled_examples_include_the_default() -> None:
    from planner.cli.plan_cmd import DEFAULT_EXAMPLE

    examples = state.bundled_examples()
    assert DEFAULT_EXAMPLE in examples and all(p.is_file() for p in examples.values())


def test_app_command_line(tmp_path: Path) -> None:
    assert streamlit_app_path().name == "streamlit_app.py" and streamlit_app_path().is_file()
    sc = tmp_path / "s.yaml"
    cmd = streamlit_command(sc, 8600, True, "127.0.0.1")
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == str(streamlit_app_path())
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[-3:] == ["--", "--scenario", str(sc.resolve())]
    assert "--server.headless" not in streamlit_command(None, None, False)


def test_display_frame_shows_no_none_and_readable_numbers() -> None:
    frame = pd.DataFrame({"Workload": ["a", "b"], "Cost $": [108024.945, 12.3456],
                          "tCO2e": [3.03456, None], "Requests/s": [None, 12.0],
                          "GPU-h": [20000.0, 0.3192], "Instances": [2, 3]})
    shown = views.display_frame(frame)
    assert shown.to_dict("records") == [
        {"Workload": "a", "Cost $": "108,025", "tCO2e": "3.03", "Requests/s": "—",
         "GPU-h": "20,000", "Instances": "2"},
        {"Workload": "b", "Cost $": "12.35", "tCO2e": "—", "Requests/s": "12",
         "GPU-h": "0.32", "Instances": "3"},
    ]


def test_display_frame_of_a_plan_has_no_none(plan: Plan) -> None:
    shown = views.display_frame(views.placements_frame(plan))
    text = " ".join(shown.astype(str).to_numpy().ravel())
    assert "None" not in text and "nan" not in text
    assert all("." not in c or len(c.split(".")[-1]) <= 2 for c in shown["Cost $"])
