"""Pure view functions: plans and DataFrames in, KPI cards, tables and plotly figures out.

Nothing here imports Streamlit or solves anything; every function reads figures the
planner already computed (``Plan.totals``, ``placements``, ``flows``, ``schedule``) and
only arranges them for display, so each can be unit-tested on a hand-made plan.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planner.datanotes import market_stand_ins
from planner.plan import Plan

# Grid carbon colour scale shared by the map and the hourly chart (low = green).
CI_COLORSCALE = "RdYlGn_r"
CI_RANGE_GCO2E_PER_KWH = (0.0, 800.0)
MAX_FLOW_LINES = 300
LOWER_IS_BETTER = True  # every KPI shown is a cost of some kind


@dataclass(frozen=True)
class KpiSpec:
    """One KPI card: which figure, how it is labelled and formatted."""

    key: str
    label: str
    unit: str
    decimals: int
    help: str


KPI_SPECS: tuple[KpiSpec, ...] = (
    KpiSpec("cost_usd", "Cost ($)", "$", 0,
            "Cloud spend over the horizon: GPU hours plus data egress (USD)."),
    KpiSpec("carbon_tco2e", "Carbon (tCO2e)", "tCO2e", 2,
            "Operational (location- or market-based, as chosen) plus embodied emissions."),
    KpiSpec("water_m3", "Water (m³)", "m³", 1,
            "On-site cooling water plus the water used to generate the electricity."),
    KpiSpec("energy_mwh", "Energy (MWh)", "MWh", 1,
            "Facility energy (GPU power × PUE) plus data-transfer energy."),
    KpiSpec("latency_ms", "Latency (ms)", "ms", 1,
            "Traffic-weighted mean round-trip time, user metro → serving region."),
    KpiSpec("objective_usd", "Priced total ($)", "$", 0,
            "What the optimizer minimizes: cost + carbon price × tCO2e + water price × m³."),
)


@dataclass(frozen=True)
class KpiCard:
    """Display-ready KPI: label, value text and an optional delta against a reference."""

    key: str
    label: str
    value_text: str
    delta_text: str | None
    delta_color: Literal["inverse", "off"]  # inverse: lower is better (green)
    help: str


def kpi_values(plan: Plan) -> dict[str, float | None]:
    """The figures behind the KPI cards, keyed like :data:`KPI_SPECS`."""
    t = plan.totals
    return {
        "cost_usd": float(t["cost_usd"]),
        "carbon_tco2e": float(t["carbon_tco2e"]),
        "water_m3": float(t["water_m3"]),
        "energy_mwh": float(t["energy_mwh"]),
        "latency_ms": plan.latency_ms_weighted,
        "objective_usd": float(t["objective_usd"]),
    }


def _compact(value: float) -> str:
    """1,234 → '1,234'; 489,855 → '489.9k'; 1,234,567 → '1.23M' (cards are narrow)."""
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:,.2f}M"
    if a >= 1e5:
        return f"{value / 1e3:,.1f}k"
    return f"{value:,.0f}"


def format_value(spec: KpiSpec, value: float | None) -> str:
    """``$489.9k`` / ``22.46`` (the unit is in the card's label) / ``—`` when missing."""
    if value is None or not math.isfinite(value):
        return "—"
    if spec.unit == "$":
        return f"${_compact(value)}"
    if abs(value) >= 1e5:
        return _compact(value)
    return f"{value:,.{spec.decimals}f}"


def format_delta(spec: KpiSpec, value: float | None,
                 ref: float | None) -> tuple[str | None, Literal["inverse", "off"]]:
    """Delta text against a reference and the metric colour mode.

    ``("-1,234 (-2.1%)", "inverse")``: a leading minus is a decrease, coloured green
    because every KPI here is better lower. Equal values read ``"no change"`` in grey.
    """
    if value is None or ref is None:
        return None, "off"
    d = value - ref
    scale = max(abs(ref), abs(value), 1e-12)
    if abs(d) <= 1e-9 * scale or round(abs(d), spec.decimals) == 0:
        return "no change", "off"
    pct = f" ({d / ref:+.1%})" if ref != 0 else ""
    num = (("+" if d > 0 else "-") + _compact(abs(d)) if spec.decimals == 0
           else f"{d:+,.{spec.decimals}f}")
    return f"{num}{pct}", "inverse"


def kpi_cards(plan: Plan, reference: Plan | None = None) -> list[KpiCard]:
    """KPI cards for ``plan``, with deltas against ``reference`` when given.

    The priced total carries no delta: the reference was priced at other carbon and
    water prices, so the two totals are not comparable.
    """
    vals = kpi_values(plan)
    ref_vals = kpi_values(reference) if reference is not None else {}
    cards = []
    for spec in KPI_SPECS:
        delta: tuple[str | None, Literal["inverse", "off"]] = (None, "off")
        if reference is not None and spec.key != "objective_usd":
            delta = format_delta(spec, vals[spec.key], ref_vals.get(spec.key))
        cards.append(KpiCard(spec.key, spec.label, format_value(spec, vals[spec.key]),
                             delta[0], delta[1], spec.help))
    return cards


# ---------------------------------------------------------------------------------------
# Tables


PLACEMENT_COLUMNS = {
    "workload": "Workload", "kind": "Kind", "region_id": "Region", "gpu_model": "GPU",
    "peak_gpus": "Peak GPUs", "instances": "Instances", "instance_type": "Instance type",
    "gpu_hours": "GPU-h", "cost_usd": "Cost $", "carbon_tco2e": "tCO2e",
    "water_m3": "Water m³", "energy_mwh": "Energy MWh", "rps": "Requests/s",
    "latency_ms": "RTT ms",
}


def placements_frame(plan: Plan) -> pd.DataFrame:
    """One row per placement with readable column names (units in the names)."""
    rows = [{"workload": p.workload, "kind": p.kind, "region_id": f"{p.provider}/{p.region}",
             "gpu_model": p.gpu_model, "peak_gpus": p.peak_gpus, "instances": p.instances,
             "instance_type": p.instance_type, "gpu_hours": p.gpu_hours,
             "cost_usd": p.cost_usd, "carbon_tco2e": p.carbon_tco2e, "water_m3": p.water_m3,
             "energy_mwh": p.energy_mwh, "rps": p.rps, "latency_ms": p.latency_ms}
            for p in plan.placements]
    return pd.DataFrame(rows, columns=list(PLACEMENT_COLUMNS)).rename(columns=PLACEMENT_COLUMNS)


def flows_frame(plan: Plan) -> pd.DataFrame:
    """Mean requests/s from each user metro to each serving region."""
    rows = [{"Service": f.service, "Metro": f.metro, "Region": f"{f.provider}/{f.region}",
             "Requests/s": f.rps, "RTT ms": f.rtt_ms} for f in plan.flows]
    return pd.DataFrame(rows, columns=["Service", "Metro", "Region", "Requests/s", "RTT ms"])


@dataclass(frozen=True)
class Compared:
    """A plan to compare side by side, with the baseline's own violation figures if any."""

    name: str
    description: str
    plan: Plan
    slo_violation_share: float | None = None
    capacity_violations: int | None = None


def comparison_frame(rows: Sequence[Compared]) -> pd.DataFrame:
    """KPIs of several plans side by side (first row is the plan on screen)."""
    out = []
    for r in rows:
        v = kpi_values(r.plan)
        out.append({
            "Plan": r.name, "Cost $": v["cost_usd"], "tCO2e": v["carbon_tco2e"],
            "Water m³": v["water_m3"], "Energy MWh": v["energy_mwh"],
            "Latency ms": v["latency_ms"],
            "SLO violations %": (None if r.slo_violation_share is None
                                 else 100.0 * r.slo_violation_share),
            "Over-quota regions": r.capacity_violations,
            "Regions": ", ".join(sorted({f"{p.provider}/{p.region}" for p in r.plan.placements})),
            "How it decides": r.description,
        })
    return pd.DataFrame(out)


MISSING_TEXT = "—"
MONEY_MARKERS = ("$", "usd", "cost")
WHOLE_FROM = 100.0  # money at or above this shows whole dollars, below it 2 decimals


def _cell_text(value: object, money: bool) -> str:
    """One table cell for reading: "—" for a missing value, whole dollars (or cents below
    $100) for money, at most two decimals otherwise, thousands separated."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_TEXT
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return str(value)
    x = float(value)
    if isinstance(value, int | np.integer) or (x.is_integer() and not money):
        return f"{x:,.0f}"
    if money:
        return f"{x:,.0f}" if abs(x) >= WHOLE_FROM else f"{x:,.2f}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.2f}" if abs(x) >= 0.01 or x == 0 else f"{x:.2g}"


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` as text for the app's tables: no "None", no long decimals (see
    :func:`_cell_text`); money columns are those whose name says $, USD or cost."""
    out = frame.astype(object).copy()
    for col in frame.columns:
        money = any(m in str(col).lower() for m in MONEY_MARKERS)
        out[col] = [_cell_text(v, money) for v in frame[col].tolist()]
    return out


LEFT_OUT_COLUMNS = ("Region", "Missing figure", "Why it is needed", "Fix")


def excluded_frame(plan: Plan) -> pd.DataFrame:
    """Regions the planner left out for missing figures: region, figure, reason and fix."""
    return pd.DataFrame([(e["region"], e.get("figure", ""), e.get("reason", ""),
                          e.get("fix", "")) for e in plan.excluded],
                        columns=list(LEFT_OUT_COLUMNS))


def data_notes_frame(plan: Plan) -> pd.DataFrame:
    """Figures a used region does not publish and what stands in: water fallbacks and
    market-basis or other gaps (one row each)."""
    rows = [(f["region"], f["figure"], f"{f['value']} from the {f['level']} mean")
            for f in plan.fallbacks]
    rows += [(i["region"], i["figure"], i["effect"]) for i in plan.incomplete]
    return pd.DataFrame(rows, columns=["Region", "Figure", "What the plan used"])


def market_caveat(plan: Plan) -> str:
    """" (location-based for N of M regions: …)" when used regions publish no market-based
    figure, so an equal market total is never left unexplained; "" otherwise."""
    missing = market_stand_ins(plan.grid_basis)
    if not missing:
        return ""
    return (f" (location-based for {len(missing)} of {len(plan.grid_basis)} region(s): no "
            "market-based figure published)")


def left_out_summary(plan: Plan) -> str | None:
    """One sentence naming every region left out for data (None when none is)."""
    if not plan.excluded:
        return None
    named = "; ".join(f"{e['region']} (no {e.get('figure', 'figure')})" for e in plan.excluded)
    return (f"{len(plan.excluded)} region(s) left out for missing data: {named}. "
            "See 'Why' for the fix.")


# ---------------------------------------------------------------------------------------
# Figures


def _region_ids(df: pd.DataFrame) -> pd.Series:
    return df["provider"].astype(str) + "/" + df["region"].astype(str)


def _gpu_marker_size(gpus: float, largest: float) -> float:
    """Marker diameter (px) ∝ √GPUs so the area reads as the GPU count."""
    return 10.0 + 30.0 * math.sqrt(max(gpus, 0.0) / max(largest, 1e-9))


WORLD_OUTLINES = "world_110m.json"
OUTLINE_TRACE_NAME = "country outlines"


@functools.cache
def world_rings() -> tuple[tuple[tuple[float, float], ...], ...]:
    """Country outline rings ([lon, lat] degrees) shipped in ``app/data`` (Natural Earth
    1:110m, public domain; see app/data/SOURCES.md)."""
    text = (resources.files("app") / "data" / WORLD_OUTLINES).read_text()
    return tuple(tuple((float(x), float(y)) for x, y in r) for r in json.loads(text)["rings"])


def outline_lonlat() -> tuple[list[float | None], list[float | None]]:
    """Every ring as one line: rings separated by None, and a ring cut where it jumps
    across the antimeridian (so no line is drawn across the whole map)."""
    lons: list[float | None] = []
    lats: list[float | None] = []
    for ring in world_rings():
        prev: float | None = None
        for lon, lat in ring:
            if prev is not None and abs(lon - prev) > 180.0:
                lons.append(None)
                lats.append(None)
            lons.append(lon)
            lats.append(lat)
            prev = lon
        lons.append(None)
        lats.append(None)
    return lons, lats


def outline_trace() -> go.Scattergeo:
    """Land and borders drawn from the shipped outlines: no CDN, works offline."""
    lons, lats = outline_lonlat()
    return go.Scattergeo(lon=lons, lat=lats, mode="lines", name=OUTLINE_TRACE_NAME,
                         line={"width": 0.6, "color": "#b9b9b2"}, hoverinfo="skip",
                         showlegend=False)


def map_figure(plan: Plan, regions: pd.DataFrame, metros: pd.DataFrame,
               clouds: Iterable[str] | None = None, outlines: bool = True) -> go.Figure:
    """World map (offline ``scattergeo``): candidate and used regions, user metros, flows.

    ``regions`` needs provider, region, lat_deg, lon_deg, grid_ci_gco2e_per_kwh;
    ``metros`` needs metro, lat_deg, lon_deg. Used regions are sized by peak GPUs placed
    (all workloads) and coloured by annual location-based grid carbon; flows are lines
    from each user metro to the region serving it, width ∝ requests/s.

    ``outlines`` draws country outlines from the Natural Earth 1:110m file shipped with
    the app. plotly.js's own land and border layers stay off: it fetches those from a CDN
    and draws no map when it cannot, so the map would be blank offline.
    """
    reg = regions.copy()
    reg["region_id"] = _region_ids(reg)
    if clouds is not None:
        reg = reg[reg["provider"].isin(list(clouds))]
    reg = reg.drop_duplicates("region_id").set_index("region_id")
    gpus: dict[str, float] = {}
    workloads: dict[str, list[str]] = {}
    for p in plan.placements:
        rid = f"{p.provider}/{p.region}"
        gpus[rid] = gpus.get(rid, 0.0) + p.peak_gpus
        workloads.setdefault(rid, []).append(f"{p.workload}: {p.peak_gpus:,.0f}×{p.gpu_model}")
    cmin, cmax = CI_RANGE_GCO2E_PER_KWH
    fig = go.Figure()
    if outlines:
        fig.add_trace(outline_trace())

    # Flows first so markers sit on top of the lines.
    met = metros.drop_duplicates("metro").set_index("metro")
    flows = sorted(plan.flows, key=lambda f: -f.rps)[:MAX_FLOW_LINES]
    top_rps = max((f.rps for f in flows), default=1.0)
    for i, f in enumerate(flows):
        rid = f"{f.provider}/{f.region}"
        if f.metro not in met.index or rid not in reg.index:
            continue
        fig.add_trace(go.Scattergeo(
            lon=[met.at[f.metro, "lon_deg"], reg.at[rid, "lon_deg"]],
            lat=[met.at[f.metro, "lat_deg"], reg.at[rid, "lat_deg"]],
            mode="lines", line={"width": 1.0 + 5.0 * f.rps / top_rps, "color": "#3b6fb6"},
            opacity=0.55, hoverinfo="text",
            text=f"{f.service}: {f.metro} → {rid}<br>{f.rps:,.1f} req/s, {f.rtt_ms:.0f} ms RTT",
            name="served traffic", legendgroup="flows", showlegend=i == 0))

    unused = reg[~reg.index.isin(list(gpus))]
    fig.add_trace(go.Scattergeo(
        lon=unused["lon_deg"], lat=unused["lat_deg"], mode="markers",
        marker={"size": 6, "color": unused["grid_ci_gco2e_per_kwh"], "colorscale": CI_COLORSCALE,
                "cmin": cmin, "cmax": cmax, "opacity": 0.45, "line": {"width": 0}},
        text=[f"{rid}<br>grid {ci:,.0f} gCO2e/kWh (unused)" if pd.notna(ci)
              else f"{rid}<br>grid carbon unknown (unused)"
              for rid, ci in unused["grid_ci_gco2e_per_kwh"].items()],
        hoverinfo="text", name="candidate regions"))

    used_ids = [rid for rid in gpus if rid in reg.index]
    used = reg.loc[used_ids]
    largest = max(gpus.values(), default=1.0)
    fig.add_trace(go.Scattergeo(
        lon=used["lon_deg"], lat=used["lat_deg"], mode="markers+text",
        marker={"size": [_gpu_marker_size(gpus[r], largest) for r in used_ids],
                "color": used["grid_ci_gco2e_per_kwh"], "colorscale": CI_COLORSCALE,
                "cmin": cmin, "cmax": cmax, "line": {"width": 1.5, "color": "#222"},
                "colorbar": {"title": {"text": "grid<br>gCO2e/kWh"}, "thickness": 12,
                             "len": 0.75}},
        text=[r.split("/", 1)[1] for r in used_ids], textposition="top center",
        textfont={"size": 10},
        hovertext=[f"<b>{r}</b><br>{gpus[r]:,.0f} GPUs at peak<br>"
                   + "<br>".join(workloads[r])
                   + (f"<br>grid {used.at[r, 'grid_ci_gco2e_per_kwh']:,.0f} gCO2e/kWh"
                      if pd.notna(used.at[r, "grid_ci_gco2e_per_kwh"]) else "")
                   for r in used_ids],
        hoverinfo="text", name="regions used (size = GPUs)"))

    metro_rps: dict[str, float] = {}
    for f in plan.flows:
        metro_rps[f.metro] = metro_rps.get(f.metro, 0.0) + f.rps
    shown = [m for m in metro_rps if m in met.index]
    if shown:
        fig.add_trace(go.Scattergeo(
            lon=[met.at[m, "lon_deg"] for m in shown], lat=[met.at[m, "lat_deg"] for m in shown],
            mode="markers+text", marker={"symbol": "diamond", "size": 9, "color": "#3b6fb6",
                                         "line": {"width": 1, "color": "white"}},
            text=shown, textposition="bottom center",
            textfont={"size": 10, "color": "#3b6fb6"},
            hovertext=[f"<b>{m}</b> (users)<br>{metro_rps[m]:,.1f} req/s" for m in shown],
            hoverinfo="text", name="user metros"))
    # plotly's own base layers stay off: any of them makes plotly.js fetch a CDN file
    fig.update_geos(projection_type="equirectangular", showframe=True, framecolor="#bbb",
                    showland=False, showcountries=False, showocean=False,
                    showcoastlines=False, showlakes=False, showrivers=False,
                    showsubunits=False, bgcolor="#f7f9fb",
                    lataxis={"range": [-48, 72], "showgrid": True, "dtick": 15,
                             "gridcolor": "#dde3ea"},
                    lonaxis={"range": [-180, 180], "showgrid": True, "dtick": 30,
                             "gridcolor": "#dde3ea"})
    fig.update_layout(margin={"l": 0, "r": 0, "t": 30, "b": 0}, height=440,
                      legend={"orientation": "h", "y": -0.02, "x": 0.0},
                      title={"text": "Where the plan runs", "x": 0.0, "font": {"size": 15}})
    return fig


def training_workloads(plan: Plan) -> list[str]:
    """Names of the plan's training jobs that were scheduled (the time-shiftable work)."""
    return [w["name"] for w in plan.workloads
            if w["kind"] == "training" and w["name"] in plan.schedule]


def hourly_figure(plan: Plan, workload: str, ci: pd.DataFrame, basis: str) -> go.Figure:
    """GPUs per hour by region (stacked) and the grid carbon of those regions.

    ``ci`` has one row per planning hour (index: UTC timestamps) and one column per
    region id, in gCO2e/kWh; it is the hourly intensity the model used.
    """
    sched = plan.schedule.get(workload, {})
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = ci.index if len(ci.index) else None
    for rid, series in sorted(sched.items(), key=lambda kv: -sum(kv[1])):
        xs = x if x is not None and len(x) == len(series) else list(range(len(series)))
        fig.add_trace(go.Scatter(x=xs, y=series, mode="lines", stackgroup="gpus",
                                 line={"width": 0.5}, name=f"GPUs in {rid}",
                                 hovertemplate="%{y:,.0f} GPUs<extra>" + rid + "</extra>"),
                      secondary_y=False)
        if rid in ci.columns:
            fig.add_trace(go.Scatter(x=ci.index, y=ci[rid], mode="lines",
                                     line={"width": 2, "dash": "dot"},
                                     name=f"grid carbon {rid}",
                                     hovertemplate="%{y:,.0f} gCO2e/kWh<extra>" + rid
                                     + "</extra>"),
                          secondary_y=True)
    fig.update_yaxes(title_text="GPUs running", secondary_y=False, rangemode="tozero")
    fig.update_yaxes(title_text=f"grid gCO2e/kWh ({basis}-based)", secondary_y=True,
                     rangemode="tozero", showgrid=False)
    fig.update_layout(height=400, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      title={"text": f"{workload}: when it runs vs grid carbon", "x": 0.0,
                             "font": {"size": 15}},
                      legend={"orientation": "h", "y": -0.2}, hovermode="x unified")
    return fig


@dataclass(frozen=True)
class Marker:
    """A single plan drawn on the frontier chart (current plan, cost-only, a baseline)."""

    name: str
    carbon_tco2e: float
    cost_usd: float
    symbol: str = "circle"
    color: str = "#d62728"
    size: int = 14


FRONTIER_TRACE = "frontier"


def frontier_figure(frame: pd.DataFrame | None, markers: Sequence[Marker],
                    selected: int | None = None) -> go.Figure:
    """Cost vs carbon: the traced frontier (if any) plus single plans as markers.

    ``frame`` is ``Frontier.to_frame()`` (carbon_tco2e, cost_usd, dominated, knee,
    mac_usd_per_tco2e). Frontier points carry their row number as ``customdata`` so a
    click can be mapped back with :func:`selected_point`.
    """
    fig = go.Figure()
    if frame is not None and len(frame):
        eff = frame[~frame["dominated"]]
        dom = frame[frame["dominated"]]
        mac = [("" if pd.isna(m) else f"<br>MAC vs previous: ${m:,.0f}/tCO2e")
               for m in eff["mac_usd_per_tco2e"]]
        fig.add_trace(go.Scatter(
            x=eff["carbon_tco2e"], y=eff["cost_usd"], mode="lines+markers",
            marker={"size": 9, "color": "#1f77b4"}, line={"width": 2},
            customdata=list(eff.index), name=FRONTIER_TRACE,
            text=[f"point {i}: {c:,.2f} tCO2e, ${u:,.0f}{m}" for i, c, u, m in
                  zip(eff.index, eff["carbon_tco2e"], eff["cost_usd"], mac, strict=True)],
            hovertemplate="%{text}<extra>click to inspect</extra>"))
        if len(dom):
            fig.add_trace(go.Scatter(
                x=dom["carbon_tco2e"], y=dom["cost_usd"], mode="markers",
                marker={"size": 7, "color": "#b0b0b0"}, customdata=list(dom.index),
                name="dominated", hovertemplate="dominated point<extra></extra>"))
        knee = frame[frame["knee"]]
        if len(knee):
            fig.add_trace(go.Scatter(
                x=knee["carbon_tco2e"], y=knee["cost_usd"], mode="markers",
                marker={"size": 18, "symbol": "star", "color": "#ff9900",
                        "line": {"width": 1, "color": "#333"}},
                customdata=list(knee.index), name="knee",
                hovertemplate="knee: %{x:,.2f} tCO2e, $%{y:,.0f}<extra></extra>"))
        if selected is not None and selected in frame.index:
            row = frame.loc[selected]
            fig.add_trace(go.Scatter(
                x=[row["carbon_tco2e"]], y=[row["cost_usd"]], mode="markers",
                marker={"size": 20, "symbol": "circle-open", "color": "#000",
                        "line": {"width": 3}},
                name="selected", hoverinfo="skip"))
    for m in markers:
        fig.add_trace(go.Scatter(
            x=[m.carbon_tco2e], y=[m.cost_usd], mode="markers",
            marker={"size": m.size, "symbol": m.symbol, "color": m.color,
                    "line": {"width": 1, "color": "#222"}},
            name=m.name, customdata=[m.name],
            hovertemplate=f"{m.name}: " + "%{x:,.2f} tCO2e, $%{y:,.0f}<extra></extra>"))
    fig.update_layout(height=400, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      title={"text": "Cost vs carbon", "x": 0.0, "font": {"size": 15}},
                      xaxis_title="tCO2e over the horizon", yaxis_title="cost $",
                      legend={"orientation": "h", "y": -0.2}, clickmode="event+select")
    fig.update_yaxes(tickprefix="$", separatethousands=True)
    return fig


def selected_point(event: Mapping[str, Any] | Any) -> int | None:
    """The frontier row a plotly selection event points at (None if none or another trace).

    ``event`` is what ``st.plotly_chart(..., on_select="rerun")`` returns: a mapping with
    ``selection.points``, each carrying the ``customdata`` set by :func:`frontier_figure`.
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for p in points or []:
        cd = p.get("customdata") if isinstance(p, Mapping) else None
        if isinstance(cd, list) and cd:
            cd = cd[0]
        if isinstance(cd, int | float) and not isinstance(cd, bool):
            return int(cd)
    return None
