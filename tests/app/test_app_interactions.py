"""The app's interactions through ``streamlit.testing.v1.AppTest`` (no browser).

The default example is a MILP solved in about a second, so every run gets a generous
timeout; sessions are cached per scenario hash across the tests of this module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import state
from connectors.catalog import load_catalog
from planner.problem import InfeasibleError, prepare

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TIMEOUT_S = 300


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return str(next(m for m in at.metric if m.label.startswith(label)).value)


def widget(widgets: object, label: str) -> object:
    return next(w for w in widgets if w.label.startswith(label))  # type: ignore[attr-defined]


def test_default_example_loads() -> None:
    at = run_app()
    assert at.title[0].value == "llm-fleet"
    assert [m.label for m in at.metric][:6] == [
        "Cost ($)", "Carbon (tCO2e)", "Water (m³)", "Energy (MWh)", "Latency (ms)",
        "Priced total ($)"]
    assert metric(at, "Cost").startswith("$")
    assert not at.error


def test_carbon_price_changes_the_kpis() -> None:
    at = run_app()
    before = metric(at, "Priced total")
    widget(at.slider, "Carbon price").set_value(300.0)  # type: ignore[attr-defined]
    at.run()
    assert not at.exception
    after = metric(at, "Priced total")
    assert after != before
    assert any("$300/tCO2e" in c.value for c in at.caption)
    widget(at.slider, "Carbon price").set_value(0.0)  # type: ignore[attr-defined]
    widget(at.slider, "Water price").set_value(0.0)  # type: ignore[attr-defined]
    at.run()
    # At zero prices this plan solves the cost-only problem: it may only differ from the
    # cost-only plan by an equally good alternative within the MILP gap (0.1 %).
    cards = [m for m in at.metric if not m.label.startswith("Priced")][:5]
    for m in cards:
        if m.delta != "no change":
            pct = float(re.search(r"\(([-+−]?[0-9.]+)%\)", m.delta).group(1).replace("−", "-"))
            assert abs(pct) <= 0.1, m.delta


def choose_upload(at: AppTest) -> AppTest:
    widget(at.sidebar.selectbox, "Scenario").set_value(  # type: ignore[attr-defined]
        "Upload a YAML file…")
    at.run()
    return at


@pytest.mark.parametrize(("name", "data", "message"), [
    ("bad.yaml", b"name: [unclosed\n", "not valid YAML"),
    ("fields.yaml", b"name: x\nhorizon: {start: 2027-01-04T00:00Z, hours: 24}\ntraining: []\n"
     b"inference: []\ncloud: [aws]\n", "unknown field 'cloud'"),
    ("big.yaml", b"#" * (state.MAX_UPLOAD_BYTES + 1), "limited to 256 kB"),
])
def test_bad_upload_shows_an_error_not_a_traceback(name: str, data: bytes, message: str) -> None:
    at = choose_upload(run_app())
    assert any("Upload a scenario" in i.value for i in at.info)
    at.sidebar.file_uploader[0].set_value((name, data, "application/x-yaml"))
    at.run()
    assert not at.exception
    assert at.error and message in at.error[0].value, [e.value for e in at.error]
    assert not at.metric


def test_infeasible_scenario_shows_the_reasons() -> None:
    at = run_app()
    widget(at.sidebar.toggle, "Override latency SLO").set_value(True)  # type: ignore[attr-defined]
    at.run()
    widget(at.sidebar.slider, "Latency SLO").set_value(5.0)  # type: ignore[attr-defined]
    at.run()
    assert not at.exception
    # The same reasons the planner gives for that scenario.
    base = state.scenario_from_path(state.bundled_examples()["llm-fleet.yaml"])
    tight = state.apply_what_if(base, state.WhatIf(latency_slo_ms=5.0))
    with pytest.raises(InfeasibleError) as err:
        prepare(tight, load_catalog())
    panel = at.error[0].value
    assert "No feasible plan" in panel
    assert err.value.reasons and all(r in panel for r in err.value.reasons)
    assert not at.metric


def test_downloads_and_memo() -> None:
    at = run_app()
    next(b for b in at.button if b.label.startswith("Write the migration memo")).click()
    at.run()
    assert not at.exception
    labels = [d.label for d in at.get("download_button")]
    # the app plans fractional instances (what-ifs re-solve at once): Terraform variables
    # need whole instances, so the app says so instead of offering them
    assert labels == ["plan.json", "memo.md", "memo.html"]
    assert any("No Terraform variables for this plan" in w.value for w in at.warning)


@pytest.mark.slow
def test_frontier_traced_on_demand_marks_the_plan() -> None:
    at = run_app()
    assert any("Trace the frontier" in c.value for c in at.caption)
    next(b for b in at.button if b.label.startswith("Trace the cost–carbon frontier")).click()
    at.run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    names = {t.get("name") for spec in specs for t in spec["data"]}
    assert {"frontier", "this plan", "cost-only plan"} <= names
    at.run()  # kept for this scenario: no button the second time
    assert not any(b.label.startswith("Trace the cost") for b in at.button)
