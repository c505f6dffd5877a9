"""The plan says what its data cannot: fallbacks, left-out regions, market basis, age.

Figures from tests/tiny.py: one X1 GPU-hour = 1 kWh (1000 W, PUE 1); embodied 1e-5 t per
GPU-hour; grid water 0 L/kWh and WUE 0 in the AWS regions unless a test changes them.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from rich.console import Console
from tiny import SRC, tiny_catalog

from connectors.catalog import Catalog
from planner.cli.plan_cmd import render_data_notes, render_plan
from planner.datanotes import catalog_notes
from planner.freshness import parse_as_of, stale_before, stale_figures, table_freshness
from planner.memo.appendix import accounting
from planner.problem import InfeasibleError, prepare
from planner.scenario import ScenarioError, load_scenario_text
from planner.session import make_plan

HEAD = """
name: honest
horizon: {start: 2027-01-04T00:00Z, hours: 24}
time_shifting: false
"""
# one job that may only run in aws/eu-west-1 (the only EU region of AWS in the tiny catalog)
EU_JOB = HEAD + """
clouds: [aws]
objective: {water_price_usd_per_m3: WATER}
training:
  - {name: j, gpu: X1, gpu_hours: 100, max_gpus: 10, allowed_jurisdictions: [EU]}
"""


def _region_row(cat: Catalog, provider: str, region: str, country: str, **values: object
                ) -> dict[str, object]:
    """A catalog row for a region without GPU offers (so only its figures matter)."""
    base = cat.regions.iloc[0].to_dict()
    return {**base, "provider": provider, "region": region, "display_name": region,
            "country": country, "jurisdiction": "EU" if country == "Ireland" else country,
            "source": SRC, **values}


def water_catalog(ireland_water: float | None, us_west_water: float | None = None) -> Catalog:
    """Tiny catalog where aws/eu-west-1 publishes no grid water figure.

    us-east-1 publishes 3.0 L/kWh. ``ireland_water``: grid water of an extra Azure
    region in Ireland (no offers); ``us_west_water``: an extra AWS region (no offers).
    """
    cat = tiny_catalog()
    reg = cat.regions.copy()
    reg.loc[reg["region"] == "eu-west-1", ["grid_water_l_per_kwh", "grid_water_source"]] = [
        None, None]
    reg.loc[reg["region"] == "us-east-1", "grid_water_l_per_kwh"] = 3.0
    extra = []
    if ireland_water is not None:
        extra.append(_region_row(cat, "azure", "northeurope", "Ireland",
                                 grid_water_l_per_kwh=ireland_water, grid_water_source="IE src"))
    if us_west_water is not None:
        extra.append(_region_row(cat, "aws", "us-west-2", "United States",
                                 grid_water_l_per_kwh=us_west_water, grid_water_source="US src"))
    reg = pd.concat([reg, pd.DataFrame(extra)], ignore_index=True) if extra else reg
    return cat.with_tables("tiny+water", regions=reg)


def eu_job(water_price: float = 1.0, extra: str = "") -> str:
    return EU_JOB.replace("WATER", str(water_price)) + extra


def _figure(plan, figure: str, key: str):
    return next(f for f in plan.inputs if f.figure == figure and f.key == key)


# --- water fallback ---------------------------------------------------------------------------

def test_missing_region_water_takes_the_country_figure():
    # eu-west-1 has no grid water; the only other Irish region publishes 2.0 L/kWh.
    # 100 GPU-h × 1 kWh × PUE 1 × 2.0 L/kWh = 200 L = 0.2 m³ (site WUE 0).
    plan = make_plan(load_scenario_text(eu_job()), water_catalog(ireland_water=2.0))
    assert plan.excluded == ()
    assert plan.totals["water_m3"] == pytest.approx(0.2, rel=1e-6)
    fig = _figure(plan, "grid_water_l_per_kwh", "aws/eu-west-1")
    assert fig.value == pytest.approx(2.0)
    assert fig.source.startswith("country fallback")
    assert "azure/northeurope" in fig.source and "IE src" in fig.source
    assert [(f["region"], f["level"]) for f in plan.fallbacks] == [("aws/eu-west-1", "country")]


def test_without_a_country_figure_the_provider_fleet_mean_is_used():
    # No other Irish region: the AWS regions that publish it are us-east-1 (3.0) and
    # us-west-2 (1.0): mean 2.0 L/kWh → 0.2 m³, as above.
    plan = make_plan(load_scenario_text(eu_job()), water_catalog(None, us_west_water=1.0))
    assert plan.totals["water_m3"] == pytest.approx(0.2, rel=1e-6)
    fig = _figure(plan, "grid_water_l_per_kwh", "aws/eu-west-1")
    assert fig.value == pytest.approx(2.0)
    assert fig.source.startswith("provider fleet fallback")
    assert "over 2 of" in fig.source
    assert plan.fallbacks[0]["level"] == "provider fleet"


def test_strict_water_leaves_the_region_out_and_names_it():
    text = eu_job(extra="water_fallback: false\n")
    with pytest.raises(InfeasibleError) as err:
        make_plan(load_scenario_text(text), water_catalog(ireland_water=2.0))
    (reason,) = err.value.reasons
    # the job's only allowed region was left out for data: the reason says so, and how
    assert "aws/eu-west-1" in reason and "grid_water_l_per_kwh" in reason
    assert "fill_missing.grid_water_l_per_kwh" in reason


def test_strict_water_excluded_region_is_named_in_plan_and_cli():
    # Without the EU rule the job runs in us-east-1; eu-west-1 is left out and named.
    text = eu_job(extra="water_fallback: false\n").replace(", allowed_jurisdictions: [EU]", "")
    plan = make_plan(load_scenario_text(text), water_catalog(ireland_water=2.0))
    assert [p.region for p in plan.placements] == ["us-east-1"]
    (ex,) = plan.excluded
    assert ex["region"] == "aws/eu-west-1" and ex["figure"] == "grid_water_l_per_kwh"
    assert "fill_missing.grid_water_l_per_kwh" in ex["fix"] and "water_fallback" in ex["fix"]
    out = io.StringIO()
    render_data_notes(plan, Console(file=out, width=300))
    assert "left out aws/eu-west-1" in out.getvalue()
    assert "grid_water_l_per_kwh" in out.getvalue()


def test_left_out_region_that_would_meet_the_slo_is_named():
    # Dublin users, 20 ms SLO. eu-west-1 is ~10 ms away but left out (strict water);
    # us-east-1 is ~5,500 km away (≈ 65 ms): the reason names both.
    text = HEAD + """
clouds: [aws]
water_fallback: false
objective: {water_price_usd_per_m3: 1}
inference:
  - name: s
    gpu: X1
    requests_per_gpu_s: 10
    latency_slo_ms: 20
    demand: [{metro: Dublin, rps: 10}]
"""
    with pytest.raises(InfeasibleError) as err:
        make_plan(load_scenario_text(text), water_catalog(ireland_water=2.0))
    reason = " ".join(err.value.reasons)
    assert "nearest allowed region aws/us-east-1" in reason
    assert "aws/eu-west-1 (grid_water_l_per_kwh not published" in reason
    assert "at 10 ms" in reason


# --- carbon basis -----------------------------------------------------------------------------

def _with_direct(cat: Catalog, us_east_direct: float) -> Catalog:
    reg = cat.regions.copy()
    reg["grid_ci_direct_gco2e_per_kwh"] = reg["grid_ci_gco2e_per_kwh"] * 0.5
    reg.loc[reg["region"] == "us-east-1", "grid_ci_direct_gco2e_per_kwh"] = us_east_direct
    return replace(cat, regions=reg)


def test_direct_basis_uses_the_direct_column():
    # us-east-1 direct 200 g/kWh: 100 kWh × 200 g = 0.02 t + 0.001 t embodied.
    text = HEAD + """
clouds: [aws]
grid_carbon_basis: direct
training:
  - {name: j, gpu: X1, gpu_hours: 100, max_gpus: 10}
"""
    plan = make_plan(load_scenario_text(text), _with_direct(tiny_catalog(), 200.0))
    assert [p.region for p in plan.placements] == ["us-east-1"]
    assert plan.totals["carbon_tco2e"] == pytest.approx(0.021, rel=1e-6)
    assert plan.grid_carbon_basis == "direct"
    assert "direct basis" in plan.grid_basis["aws/us-east-1"]
    lifecycle = make_plan(load_scenario_text(text.replace("direct", "lifecycle")),
                          _with_direct(tiny_catalog(), 200.0))
    assert lifecycle.totals["carbon_tco2e"] == pytest.approx(0.051, rel=1e-6)


def test_direct_basis_without_the_column_is_a_clear_error():
    text = HEAD + """
clouds: [aws]
grid_carbon_basis: direct
training:
  - {name: j, gpu: X1, gpu_hours: 100, max_gpus: 10}
"""
    # a catalog from before the direct column existed (e.g. an older local store)
    cat = tiny_catalog()
    cat = replace(cat, regions=cat.regions.drop(columns=["grid_ci_direct_gco2e_per_kwh"]))
    with pytest.raises(ScenarioError, match="grid_carbon_basis: direct needs the regions column"):
        prepare(load_scenario_text(text), cat)
    prepare(load_scenario_text(text.replace("direct", "lifecycle")), cat)  # no error


# --- market basis -----------------------------------------------------------------------------

MARKET = HEAD + """
clouds: CLOUDS
accounting: market
training:
  - {name: j, gpu: X1, gpu_hours: 100, max_gpus: 10}
"""


def test_market_accounting_on_aws_says_no_market_figure_is_published():
    plan = make_plan(load_scenario_text(MARKET.replace("CLOUDS", "[aws]")), tiny_catalog())
    # no published share: market-based equals location-based, and the plan says so
    assert plan.totals["carbon_market_tco2e"] == pytest.approx(
        plan.totals["carbon_location_tco2e"], rel=1e-9)
    (note,) = [i for i in plan.incomplete if i["region"] == "aws/us-east-1"]
    assert note["figure"] == "market-based carbon intensity"
    assert note["effect"].startswith("no market-based figure published by aws")
    assert "location-based lifecycle intensity is used instead" in note["effect"]
    assert "no market-based figure published" in plan.grid_basis["aws/us-east-1"]
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=300))
    assert "aws/us-east-1: market-based carbon intensity: no market-based figure published" in (
        out.getvalue())
    assert "location-based stands in for 1 of 1 region(s)" in out.getvalue()
    appendix = accounting(plan.to_dict())
    rows = [b for b in appendix.blocks if hasattr(b, "rows")][0].rows
    assert ("aws/us-east-1", "market-based carbon intensity") == rows[0][:2]


def test_market_accounting_on_gcp_uses_the_published_share():
    # europe-north1: 100 kWh × 100 g × (1 − 0.5) = 0.005 t market-based.
    plan = make_plan(load_scenario_text(MARKET.replace("CLOUDS", "[gcp]")), tiny_catalog())
    assert plan.totals["carbon_market_tco2e"] == pytest.approx(0.005, rel=1e-6)
    assert not [i for i in plan.incomplete if "market" in i["figure"]]
    assert "provider-published CFE share 0.50" in plan.grid_basis["gcp/europe-north1"]


def test_location_accounting_adds_no_market_note_but_says_market_equals_location():
    text = MARKET.replace("CLOUDS", "[aws]").replace("accounting: market", "")
    plan = make_plan(load_scenario_text(text), tiny_catalog())
    assert plan.incomplete == ()
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=300))
    # the informational market-based total equals location-based: the line says why
    assert "location-based stands in for 1 of 1 region(s)" in out.getvalue()


# --- freshness --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-25", date(2024, 3, 25)),
    ("2024", date(2024, 12, 31)),           # a yearly figure is complete at the year's end
    ("2026-04", date(2026, 4, 30)),
    ("2025-05-29/2026-07-30", date(2026, 7, 30)),
    ("skypilot-catalog@017e2502fb63", None),  # digits in a commit hash are not a date
    ("undated", None),
    (None, None),
])
def test_parse_as_of(text, expected):
    assert parse_as_of(text) == expected


def test_stale_before_is_18_calendar_months():
    assert stale_before(date(2026, 12, 3)) == date(2025, 6, 3)
    assert stale_before(date(2026, 8, 31)) == date(2025, 2, 28)


def test_table_freshness_gives_each_table_its_date():
    cat = tiny_catalog()
    hw = cat.hardware.copy()
    hw["as_of"] = "2024"
    tables = {"hardware": hw, "gpu_offers": cat.gpu_offers}
    fresh = table_freshness(tables, date(2026, 12, 3))
    assert fresh["hardware"]["as_of"] == "2024-12-31"
    assert fresh["hardware"]["age_days"] == 702  # 2024-12-31 → 2026-12-03
    assert fresh["hardware"]["stale"] is True
    assert fresh["gpu_offers"] == {"as_of": "2026-01-01", "newest_as_of": "2026-01-01",
                                   "age_days": 336, "stale": False, "meaning": "price date",
                                   "undated_rows": 0}


def test_an_old_figure_is_flagged_in_the_plan():
    cat = tiny_catalog()
    hw = cat.hardware.copy()
    hw["as_of"] = "2020"  # X1's power and embodied figures are from 2020: stale on any
    cat = cat.with_tables("tiny+old", hardware=hw)  # day after 2022-06-30
    text = HEAD + "clouds: [aws]\ntraining:\n  - {name: j, gpu: X1, gpu_hours: 10, max_gpus: 1}\n"
    plan = make_plan(load_scenario_text(text), cat)
    stale = {(s["figure"], s["key"]) for s in plan.catalog["stale_figures"]}
    assert ("power_w", "X1") in stale and ("embodied_kgco2e_per_gpu", "X1") in stale
    assert plan.catalog["freshness"]["hardware"]["stale"] is True
    out = io.StringIO()
    render_plan(plan, Console(file=out, width=300))
    assert "older than 18 months" in out.getvalue()
    assert "power_w: 1 figure(s), oldest as of 2020" in out.getvalue()


def test_fresh_figures_are_not_flagged():
    text = HEAD + "clouds: [aws]\ntraining:\n  - {name: j, gpu: X1, gpu_hours: 10, max_gpus: 1}\n"
    problem = prepare(load_scenario_text(text), tiny_catalog(), today=date(2026, 6, 1))
    notes = catalog_notes(problem, {"aws/us-east-1"})
    assert notes["reference_date"] == "2026-06-01"
    assert notes["stale_figures"] == []
    # the same figures (dated 2026-01-01) are stale 19 months later
    later = stale_figures(problem.inputs, date(2027, 8, 1))
    assert {s["figure"] for s in later} >= {"power_w", "usd_per_gpu_hour"}


def test_data_status_lists_every_table_date(tmp_path):
    from typer.testing import CliRunner

    from planner.cli import _register_all, app

    _register_all()
    res = CliRunner().invoke(app, ["data", "status", "--store", str(tmp_path / "none.duckdb")],
                             catch_exceptions=False, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for table, meaning in (("gpu_offers", "price date"), ("latency", "measurement date"),
                           ("hardware", "figure date"), ("transfer", "price date")):
        line = next(ln for ln in res.output.splitlines() if f" {table} " in ln)
        assert meaning in line
    assert "stale: older than 18 months" in res.output


def test_app_panel_names_left_out_regions():
    from app import views

    text = eu_job(extra="water_fallback: false\n").replace(", allowed_jurisdictions: [EU]", "")
    plan = make_plan(load_scenario_text(text), water_catalog(ireland_water=2.0))
    frame = views.excluded_frame(plan)
    assert frame.to_dict("records") == [{
        "Region": "aws/eu-west-1", "Missing figure": "grid_water_l_per_kwh",
        "Why it is needed": plan.excluded[0]["reason"], "Fix": plan.excluded[0]["fix"]}]
    assert "aws/eu-west-1 (no grid_water_l_per_kwh)" in views.left_out_summary(plan)
    fallback = make_plan(load_scenario_text(eu_job()), water_catalog(ireland_water=2.0))
    assert views.left_out_summary(fallback) is None
    notes = views.data_notes_frame(fallback)
    assert notes.iloc[0]["Region"] == "aws/eu-west-1"
    assert "country mean" in notes.iloc[0]["What the plan used"]


def test_issue_example_singapore_is_kept_or_named(tmp_path):
    """The bundled llm-fleet on GCP with a 20 ms SLO: gcp/asia-southeast1 publishes no grid
    water figure. With the fallback it serves Singapore; strict, the reason names it."""
    from pathlib import Path

    from connectors.catalog import load_embedded

    cat = load_embedded()
    row = cat.regions[(cat.regions["provider"] == "gcp")
                      & (cat.regions["region"] == "asia-southeast1")]
    if row["grid_water_l_per_kwh"].notna().all():
        pytest.skip("the catalog now publishes Singapore's grid water figure")
    text = (Path(__file__).parents[1] / "examples" / "llm-fleet.yaml").read_text()
    text = text.replace("latency_slo_ms: 90", "latency_slo_ms: 20")  # Jakarta is ~23 ms away
    text = "\n".join("clouds: [gcp]" if ln.startswith("clouds:") else ln
                     for ln in text.splitlines()) + "\n"
    problem = prepare(load_scenario_text(text), cat)
    assert "gcp/asia-southeast1" in problem.regions
    assert any(f["region"] == "gcp/asia-southeast1" for f in problem.fallbacks)
    with pytest.raises(InfeasibleError) as err:
        prepare(load_scenario_text(text + "water_fallback: false\n"), cat)
    singapore = [r for r in err.value.reasons if "users in Singapore" in r]
    assert singapore and "gcp/asia-southeast1 (grid_water_l_per_kwh not published" in (
        singapore[0])


def test_memo_assumptions_mark_old_figures():
    from planner.memo.appendix import STALE_NOTE, assumptions

    cat = tiny_catalog()
    hw = cat.hardware.copy()
    hw["as_of"] = "2020"
    cat = cat.with_tables("tiny+old", hardware=hw)
    text = HEAD + "clouds: [aws]\ntraining:\n  - {name: j, gpu: X1, gpu_hours: 10, max_gpus: 1}\n"
    plan = make_plan(load_scenario_text(text), cat).to_dict()
    table = [b for b in assumptions([], [("plan", plan)]).blocks if hasattr(b, "rows")][0]
    as_of = {row[0]: row[4] for row in table.rows}
    assert as_of["power_w [X1]"] == f"2020 ({STALE_NOTE})"
    (price_key,) = [k for k in as_of if k.startswith("usd_per_gpu_hour [aws/us-east-1 X1 ")]
    assert as_of[price_key].startswith("2026-01-01")
