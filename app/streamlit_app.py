"""regionplan what-if app (Streamlit): layout and widgets only.

Run with ``regionplan app [SCENARIO]`` or ``streamlit run app/streamlit_app.py -- --scenario
PATH``. Solving, caching and figures live in :mod:`app.state`, :mod:`app.views` and the
planner; this script only reads the widgets and lays the results out.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import streamlit as st

from app import state, views
from planner.cli.plan_cmd import DEFAULT_EXAMPLE
from planner.plan import Plan
from planner.scenario import Scenario, ScenarioError

UPLOAD = "Upload a YAML file…"
CLOUDS = ("aws", "gcp", "azure")
FRONTIER_POINTS = 21


def cli_scenario_path(argv: list[str]) -> Path | None:
    """``--scenario PATH`` from the arguments after ``streamlit run app.py --``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--scenario", type=Path, default=None)
    known, _ = parser.parse_known_args(argv)
    return known.scenario


def choose_scenario() -> tuple[Scenario | None, str]:
    """Sidebar: bundled example, the file given on the command line, or an upload."""
    examples = state.bundled_examples()
    cli_path = cli_scenario_path(sys.argv[1:])
    options = ([f"{cli_path.name} (command line)"] if cli_path else []) + list(examples) + [UPLOAD]
    default = 0 if cli_path else options.index(DEFAULT_EXAMPLE)
    choice = st.sidebar.selectbox("Scenario", options, index=default,
                                  help="A bundled example, the file you started the app with, "
                                       "or your own YAML (same format as `regionplan plan`).")
    try:
        if choice == UPLOAD:
            up = st.sidebar.file_uploader(
                f"Scenario YAML (≤ {state.MAX_UPLOAD_BYTES // 1024} kB)", type=["yaml", "yml"],
                key="upload")
            if up is None:
                return None, "Upload a scenario YAML in the sidebar to plan it."
            return state.scenario_from_upload(up.name, up.getvalue()), up.name
        path = cli_path if (cli_path and choice == options[0]) else examples[choice]
        return state.scenario_from_path(path), str(path)
    except ScenarioError as err:
        st.error(f"**This scenario file cannot be used.**\n\n```\n{err}\n```", icon="⚠️")
        return None, ""


def sidebar_inputs(base: Scenario, catalog_jurisdictions: list[str]) -> tuple[
        float, float, state.WhatIf]:
    """Prices and structural what-ifs; widget keys carry the scenario hash so that
    switching scenario starts from that scenario's own values."""
    k = base.sha256()[:10]
    sb = st.sidebar
    sb.subheader("Prices")
    cp0 = base.objective.carbon_price_usd_per_tco2e
    carbon = sb.slider("Carbon price ($/tCO2e)", 0.0, max(1000.0, cp0), float(cp0), step=10.0,
                       key=f"carbon_{k}",
                       help="Internal carbon price added to the objective. Re-solves the "
                            "built model only.")
    wp0 = base.objective.water_price_usd_per_m3
    water = sb.slider("Water price ($/m³)", 0.0, max(20.0, wp0), float(wp0), step=0.5,
                      key=f"water_{k}")
    sb.subheader("Rules")
    slo = None
    if base.inference:
        slo0 = min(s.latency_slo_ms for s in base.inference)
        if sb.toggle("Override latency SLO", value=False, key=f"slo_on_{k}",
                     help="Apply one round-trip limit to every inference service."):
            slo = sb.slider("Latency SLO (ms, all services)", 5.0, 300.0,
                            float(min(max(slo0, 5.0), 300.0)), step=5.0, key=f"slo_{k}")
    clouds = sb.multiselect("Clouds", list(CLOUDS), default=list(base.clouds), key=f"clouds_{k}")
    juris = sb.multiselect(
        "Allowed jurisdictions", catalog_jurisdictions, default=[], key=f"juris_{k}",
        placeholder="the scenario's own rules",
        help="Restrict every workload to these jurisdictions (never widens a workload's "
             "own list). Empty keeps the scenario's rules.")
    accounting = sb.radio("Carbon accounting", ["location", "market"],
                          index=["location", "market"].index(base.accounting),
                          key=f"acct_{k}", horizontal=True)
    shifting = sb.toggle("Time-shifting (hourly grid carbon)", value=base.time_shifting,
                         key=f"shift_{k}")
    return carbon, water, state.WhatIf(
        latency_slo_ms=slo, clouds=tuple(clouds) if clouds else (),
        jurisdictions=tuple(juris) if juris else None, accounting=accounting,
        time_shifting=shifting)


def infeasible_panel(scenario: Scenario, outcome: state.Outcome) -> None:
    """Why there is no plan, in the planner's own words."""
    title = {"infeasible": "No feasible plan", "solver_error": "The solver stopped",
             "scenario_error": "The scenario does not fit the catalog"}.get(outcome.kind,
                                                                            "No plan")
    reasons = "\n".join(f"- {r}" for r in outcome.reasons)
    st.error(f"### {title} for '{scenario.name}' with these settings\n\n{reasons}\n\n"
             "Change a rule in the sidebar (SLO, clouds, jurisdictions) or the scenario file.",
             icon="🚫")


def kpi_row(plan: Plan, reference: Plan | None) -> None:
    """One metric card per KPI; deltas against ``reference``."""
    for col, card in zip(st.columns(len(views.KPI_SPECS)), views.kpi_cards(plan, reference),
                         strict=True):
        col.metric(card.label, card.value_text, card.delta_text, delta_color=card.delta_color,
                   delta_arrow="auto" if card.delta_color != "off" else "off",
                   help=card.help, border=True)


def table(frame: pd.DataFrame) -> None:
    """A DataFrame as text for reading: "—" where a value is missing, whole dollars (or
    cents below $100), at most two decimals elsewhere (views.display_frame)."""
    st.dataframe(views.display_frame(frame), hide_index=True)


def frontier_section(plan: Plan, markers: list[views.Marker], fws: state.Workspace) -> None:
    """The Pareto chart: traced on demand (with progress), current plan marked, clickable."""
    key = fws.scenario.sha256()[:10]
    frontier = fws.frontier
    if frontier is None:
        if st.button(f"Trace the cost–carbon frontier ({FRONTIER_POINTS} plans)",
                     key=f"trace_{key}", type="primary",
                     help="Solves the model for evenly spaced carbon caps, from the cheapest "
                          "plan to the lowest-carbon plan. Kept for this scenario."):
            bar = st.progress(0.0, text="Tracing the frontier…")

            def tick(done: int, total: int) -> None:
                bar.progress(done / total, text=f"Tracing the frontier: {done}/{total} points")

            frontier = fws.trace_frontier(tick)
            bar.empty()
    frame = frontier.to_frame() if frontier is not None else None
    event = st.plotly_chart(views.frontier_figure(frame, markers), key=f"frontier_{key}",
                            on_select="rerun", selection_mode="points",
                            config={"displayModeBar": False})
    if frontier is None:
        st.caption("Markers: this plan, the cost-only plan and the baselines. Trace the "
                   "frontier to see every efficient trade-off.")
        return
    picked = views.selected_point(event)
    knee = frontier.knee
    if knee is not None:
        st.caption(f"Knee ★: {knee.carbon_tco2e:,.2f} tCO2e for ${knee.cost_usd:,.0f}. "
                   "Click a point to inspect its plan.")
    if picked is not None and 0 <= picked < len(frontier.points):
        point = frontier.points[picked]
        with st.container(border=True):
            mac = ("" if point.mac_usd_per_tco2e is None
                   else f" · marginal abatement ${point.mac_usd_per_tco2e:,.0f}/tCO2e")
            gap = ("" if point.mip_gap is None
                   else f" · least cost proven within {point.mip_gap:.2%}")
            st.markdown(f"**Frontier point {picked}**: {point.carbon_tco2e:,.2f} tCO2e, "
                        f"${point.cost_usd:,.0f}{mac}{gap}")
            st.caption("Deltas against the plan on screen.")
            kpi_row(point.plan, plan)
            table(views.placements_frame(point.plan))


def downloads(plan: Plan, cost_only: Plan | None, carbon: float, water: float) -> None:
    """plan.json, Terraform variables (JSON / HCL) and the migration memo."""
    doc = plan.to_dict()
    name = plan.scenario["name"]
    c1, c2, c3 = st.columns(3)
    c1.download_button("plan.json", json.dumps(doc, indent=2) + "\n",
                       file_name=f"{name}.plan.json", mime="application/json")
    from planner.emit.tfvars import TfvarsError, generate

    try:
        tf_json = generate(doc, "json", stack=False)
        tf_hcl = generate(doc, "hcl", stack=False)
    except TfvarsError as err:
        c2.warning(f"No Terraform variables for this plan: {err}")
    else:
        ((jname, jtext),) = tf_json.items()
        ((hname, htext),) = tf_hcl.items()
        c2.download_button(jname, jtext, file_name=jname, mime="application/json")
        c3.download_button(f"{hname} (HCL)", htext, file_name=hname, mime="text/plain")
    if cost_only is None or not state.module_available("planner.memo"):
        return
    st.markdown("**Decision memo**: moving from the cost-only plan to this plan "
                "(cost, carbon, water, latency, payback, uncertainty).")
    key = f"memo_{plan.scenario['sha256'][:10]}_{carbon:g}_{water:g}"
    if st.button("Write the migration memo", key=f"btn_{key}"):
        from planner.memo import MemoError, migrate_memo, render
        from planner.memo.params import MigrateParams

        try:
            with st.spinner("Writing the memo (Monte Carlo included)…"):
                memo = migrate_memo(cost_only.to_dict(), doc, state.get_catalog(),
                                    MigrateParams(carbon_price_usd_per_tco2e=carbon,
                                                  water_price_usd_per_m3=water),
                                    ("cost-only plan", "this plan"))
            st.session_state[key] = (render.to_markdown(memo.document),
                                     render.to_html(memo.document))
        except MemoError as err:
            st.warning(f"No memo for this pair of plans: {err}")
    if key in st.session_state:
        md, html = st.session_state[key]
        m1, m2, _ = st.columns(3)
        m1.download_button("memo.md", md, file_name=f"{name}.migration-memo.md",
                           mime="text/markdown")
        m2.download_button("memo.html", html, file_name=f"{name}.migration-memo.html",
                           mime="text/html")


def main() -> None:
    st.set_page_config(page_title="regionplan what-if", page_icon="🌍", layout="wide")
    st.sidebar.title("regionplan")
    st.sidebar.caption("Move a price or a rule; the plan re-solves.")
    base, source = choose_scenario()
    if base is None:
        if source:
            st.info(source)
        st.stop()
    catalog = state.get_catalog()
    jurisdictions = sorted(catalog.regions["jurisdiction"].dropna().astype(str).unique())
    carbon, water, what_if = sidebar_inputs(base, jurisdictions)
    if not what_if.clouds:
        st.warning("Choose at least one cloud in the sidebar.")
        st.stop()
    try:
        scenario = state.apply_what_if(base, what_if)
    except ScenarioError as err:
        st.error(f"These settings do not make a valid scenario:\n\n```\n{err}\n```")
        st.stop()
    ws = state.get_workspace(scenario.sha256(), scenario)
    outcome = ws.plan(carbon, water)

    st.title(f"{scenario.name}")
    st.caption(f"{scenario.description or ''} · {len(scenario.training)} training job(s), "
               f"{len(scenario.inference)} inference service(s), {scenario.horizon.hours} h from "
               f"{scenario.horizon.start:%Y-%m-%d %H:%M} UTC · source: {Path(source).name}")
    if outcome.plan is None:
        infeasible_panel(scenario, outcome)
        st.stop()
    plan = outcome.plan
    solved = "cached" if outcome.cached else f"re-solved in {outcome.solve_s:.2f} s"
    st.caption(f"Plan at ${carbon:,.0f}/tCO2e and ${water:,.2f}/m³ ({plan.accounting}-based "
               f"carbon): {solved}; model built once in {ws.build_s:.1f} s.")
    if state.INTERACTIVE_RELAXED:
        st.caption("Instances are fractional here (the relaxation: a lower bound on cost) so "
                   "that what-ifs re-solve at once; `regionplan plan` gives the whole-instance "
                   "fleet you would deploy and be billed for.")

    cost_only = ws.cost_only().plan
    compared: list[views.Compared] = []
    if state.module_available("planner.baselines"):
        with st.spinner("Computing baselines…"):
            compared = [views.Compared(b.name, b.description, b.plan, b.slo_violation_share,
                                       b.capacity_violations) for b in ws.compare_baselines()]
    refs = {"cost-only plan": cost_only} | {c.name: c.plan for c in compared}
    ref_name = st.radio("KPI deltas against", list(refs), horizontal=True, key="reference",
                        help="The cost-only plan minimizes dollars alone; the baselines are "
                             "simple placement rules scored with the same data.")
    kpi_row(plan, refs.get(ref_name or ""))

    markers = [views.Marker("this plan", plan.totals["carbon_tco2e"], plan.totals["cost_usd"])]
    if cost_only is not None:
        markers.append(views.Marker("cost-only plan", cost_only.totals["carbon_tco2e"],
                                    cost_only.totals["cost_usd"], "square", "#7f7f7f", 11))
    markers += [views.Marker(c.name, c.plan.totals["carbon_tco2e"], c.plan.totals["cost_usd"],
                             "triangle-up", "#9467bd", 11) for c in compared]
    outlines = st.toggle("Country outlines on the map", value=True, key="outlines",
                         help="Natural Earth 1:110m outlines shipped with regionplan "
                              "(public domain); no internet needed.")
    st.plotly_chart(views.map_figure(plan, catalog.regions, catalog.metros, scenario.clouds,
                                     outlines=outlines),
                    key="map", config={"displayModeBar": False})
    left, right = st.columns(2)
    with left:
        fws = ws
        if water != scenario.objective.water_price_usd_per_m3:
            # The frontier minimizes cost + water cost, so it is traced at the slider's price.
            priced = scenario.with_overrides(**{"objective.water_price_usd_per_m3": water})
            fws = state.get_workspace(priced.sha256(), priced)
        frontier_section(plan, markers, fws)
    with right:
        jobs = views.training_workloads(plan)
        if not jobs:
            st.info("This scenario has no training job to shift in time.")
        else:
            job = st.selectbox("Training job", jobs) if len(jobs) > 1 else jobs[0]
            st.plotly_chart(views.hourly_figure(plan, job, ws.hourly_ci(), plan.accounting),
                            key="hourly", config={"displayModeBar": False})
            if not scenario.time_shifting:
                st.caption("Time-shifting is off: the model used each region's annual grid "
                           "figure, so the carbon lines are flat.")

    left_out = views.left_out_summary(plan)
    if left_out:
        st.warning(left_out)
    tab_plan, tab_why, tab_base, tab_dl = st.tabs(
        ["Plan", "Why: limits & prices", "Baselines", "Downloads"])
    with tab_plan:
        table(views.placements_frame(plan))
        if plan.flows:
            with st.expander("Served traffic (metro → region)"):
                table(views.flows_frame(plan))
    with tab_why:
        if plan.explanations:
            for note in plan.explanations:
                st.markdown(f"- {note}")
        else:
            st.info("No budget (limits.carbon_tco2e, cost_usd, water_m3) binds this plan at "
                    "these settings. Shadow prices are reported for plans without yes/no "
                    "decisions; single-region jobs and min_regions make this a MILP.")
        t = plan.totals
        st.markdown(
            f"**Objective** ${t['objective_usd']:,.0f} = cost ${t['cost_usd']:,.0f} + carbon "
            f"${t['carbon_cost_usd']:,.0f} ({t['carbon_tco2e']:,.2f} t at ${carbon:,.0f}/t) + "
            f"water ${t['water_cost_usd']:,.0f}. Operational carbon location-based "
            f"{t['carbon_location_tco2e']:,.2f} t, market-based {t['carbon_market_tco2e']:,.2f} "
            f"t{views.market_caveat(plan)}; embodied {t['carbon_embodied_tco2e']:,.2f} t.")
        if plan.excluded:
            st.markdown("**Regions left out for missing figures**")
            st.dataframe(views.excluded_frame(plan), hide_index=True)
        notes = views.data_notes_frame(plan)
        if len(notes):
            st.markdown("**Figures a region does not publish, and what stands in**")
            st.dataframe(notes, hide_index=True)
    with tab_base:
        if compared:
            rows = [views.Compared("this plan", "the optimizer at your settings", plan)]
            if cost_only is not None:
                rows.append(views.Compared("cost-only plan", "the optimizer, $ only", cost_only))
            table(views.comparison_frame(rows + compared))
        else:
            st.info("Baseline comparisons arrive with planner/baselines.py.")
    with tab_dl:
        downloads(plan, cost_only, carbon, water)


main()
