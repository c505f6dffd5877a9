"""Summary and charts of a finished sweep (read from its results; never re-solves).

- ``summary.json`` / ``summary.md``: per grid point, the number of solves by status and
  P10 / P50 / P90 of cost, carbon, water, energy and the objective over the optimal solves
  (over the Monte Carlo samples; with no samples the three are the one nominal value), and
  the most frequent set of regions used.
- ``charts.html`` (self-contained, plotly inlined, works offline): distributions of cost
  and carbon per grid point (P10–P90 bars over the samples), cost vs carbon of every
  solve coloured by carbon price, and — when two numeric parameters are swept — the surface of
  median carbon over them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.sweep.results import write_atomic
from planner.sweep.spec import SweepSpec, Value
from planner.sweep.tasks import Status

METRICS = ("objective_usd", "cost_usd", "carbon_tco2e", "water_m3", "energy_mwh")
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


def _fmt(v: Value) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "none"
    return f"{v:g}" if isinstance(v, float) else str(v)


def point_label(spec: SweepSpec, combo: tuple[Value, ...]) -> str:
    """``carbon_price=50, clouds=aws+gcp`` (``nominal`` without a grid)."""
    if not combo:
        return "nominal"
    return ", ".join(f"{p.name}={_fmt(v)}" for p, v in zip(spec.grid.params, combo, strict=True))


def _combo_index(df: pd.DataFrame, spec: SweepSpec) -> pd.Series:
    """Grid-combination index of each row (points are numbered grid-major, then sample)."""
    return df["point_id"] // len(spec.sample_ids)


def summarize(df: pd.DataFrame, spec: SweepSpec) -> list[dict[str, Any]]:
    """One entry per grid combination: its values, status counts and metric quantiles."""
    combos = spec.grid.combinations()
    idx = _combo_index(df, spec)
    out: list[dict[str, Any]] = []
    for i, combo in enumerate(combos):
        sub = df[idx == i]
        ok = sub[sub["status"] == Status.OPTIMAL]
        entry: dict[str, Any] = {
            "label": point_label(spec, combo),
            "values": {p.column: v for p, v in zip(spec.grid.params, combo, strict=True)},
            "solves": int(len(sub)),
            "status": {str(k): int(v) for k, v in sub["status"].value_counts().items()},
        }
        for m in METRICS:
            vals = ok[m].to_numpy(float)
            entry[m] = ({q: float(np.quantile(vals, x)) for q, x in QUANTILES.items()}
                        if len(vals) else {q: None for q in QUANTILES})
        if len(ok):
            counts = ok["regions"].value_counts()
            entry["regions_mode"] = {"regions": str(counts.index[0]),
                                     "share": float(counts.iloc[0] / len(ok))}
        out.append(entry)
    return out


def _timing(df: pd.DataFrame) -> dict[str, float | None]:
    def med(s: pd.Series) -> float | None:
        s = s.dropna()
        return float(s.median()) if len(s) else None

    return {"median_solve_s": med(df["solve_s"]), "median_point_s": med(df["point_s"]),
            "median_build_s": med(df.loc[df["build_s"] > 0, "build_s"]),
            "builds": int((df["build_s"] > 0).sum())}


def _q(entry: dict[str, Any], metric: str, fmt: str) -> str:
    q = entry[metric]
    if q["p50"] is None:
        return "—"
    if q["p10"] == q["p90"]:
        return format(q["p50"], fmt)
    return f"{format(q['p50'], fmt)} [{format(q['p10'], fmt)} – {format(q['p90'], fmt)}]"


def _uncertainty_text(u: dict[str, Any]) -> str:
    return (f"{u['distribution']} factors: grid intensity ±{u['grid_ci_rel']:.0%}, prices "
            f"±{u['price_rel']:.0%}, demand ±{u['demand_rel']:.0%}")


def summary_markdown(doc: dict[str, Any]) -> str:
    """A readable table of :func:`summarize` (P50 [P10 – P90])."""
    lines = [f"# Sweep of '{doc['scenario']}'", "",
             f"{doc['points']} solves: " + ", ".join(f"{n} {s}" for s, n in
                                                     sorted(doc['status'].items())) + ".",
             f"Monte Carlo samples per grid point: {doc['samples']} (seed {doc['seed']}; "
             f"{_uncertainty_text(doc['uncertainty'])}).", "",
             "Figures are P50 [P10 – P90] over the samples' optimal solves.", "",
             "| grid point | optimal/solves | cost $ | carbon tCO2e | water m³ | objective $ "
             "| most frequent regions |",
             "|---|---|---|---|---|---|---|"]
    for e in doc["grid_points"]:
        mode = e.get("regions_mode")
        where = f"{mode['regions']} ({mode['share']:.0%})" if mode else "—"
        lines.append(f"| {e['label']} | {e['status'].get(Status.OPTIMAL, 0)}/{e['solves']} | "
                     f"{_q(e, 'cost_usd', ',.0f')} | {_q(e, 'carbon_tco2e', ',.3f')} | "
                     f"{_q(e, 'water_m3', ',.1f')} | {_q(e, 'objective_usd', ',.0f')} | "
                     f"{where} |")
    return "\n".join(lines) + "\n"


def _colour_param(spec: SweepSpec) -> str | None:
    numeric = [p for p in spec.grid.params if p.kind in ("number", "optional_number")]
    for p in numeric:
        if p.name == "carbon_price":
            return p.column
    return numeric[0].column if numeric else None


def cost_carbon_figure(ok: pd.DataFrame, summary: list[dict[str, Any]], spec: SweepSpec,
                       title: str) -> Any:
    """Cost (USD) against carbon (tCO2e) of every optimal solve, coloured by the swept
    carbon price (or first numeric parameter), with the P50 of each grid point.

    The cloud is every solve (Monte Carlo samples included), not an efficient frontier,
    and the title says so. The legend sits under the plot so the colour bar on the right
    never covers it.
    """
    import plotly.graph_objects as go

    colour = _colour_param(spec)
    labels = [e["label"] for e in summary]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=ok["carbon_tco2e"], y=ok["cost_usd"], mode="markers", name="solves",
        marker={"size": 6, "opacity": 0.6,
                **({"color": ok[colour], "colorscale": "Viridis", "showscale": True,
                    "colorbar": {"title": {"text": colour, "side": "right"}, "x": 1.02}}
                   if colour else {})},
        text=ok["label"], hovertemplate="%{text}<br>%{x:.3f} tCO2e, $%{y:,.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=[e["carbon_tco2e"]["p50"] for e in summary], y=[e["cost_usd"]["p50"] for e in summary],
        mode="lines+markers", name="P50 per grid point", line_color="black", text=labels,
        hovertemplate="%{text}<br>%{x:.3f} tCO2e, $%{y:,.0f}<extra></extra>"))
    what = "every solve (samples and grid points)" if spec.samples else "every grid point"
    fig.update_layout(title=f"{title}: cost vs carbon of {what}",
                      xaxis_title="carbon (tCO2e)", yaxis_title="cost (USD)", height=580,
                      legend={"orientation": "h", "x": 0.0, "xanchor": "left",
                              "y": -0.18, "yanchor": "top"},
                      margin={"b": 110})
    return fig


def charts_html(df: pd.DataFrame, spec: SweepSpec, summary: list[dict[str, Any]],
                title: str) -> str:
    """All charts in one self-contained HTML page (plotly.js inlined once)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    ok = df[df["status"] == Status.OPTIMAL].copy()
    ok["label"] = [summary[i]["label"] for i in _combo_index(ok, spec)]
    labels = [e["label"] for e in summary]
    figs: list[go.Figure] = []

    dist = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                         subplot_titles=("Cost (USD)", "Carbon (tCO2e)"))
    for row, metric in ((1, "cost_usd"), (2, "carbon_tco2e")):
        if spec.samples:
            dist.add_trace(go.Violin(x=ok["label"], y=ok[metric], name="samples",
                                     showlegend=row == 1, points=False, spanmode="hard",
                                     line_color="lightsteelblue"), row=row, col=1)
        p50 = [e[metric]["p50"] for e in summary]
        up = [None if e[metric]["p90"] is None else e[metric]["p90"] - e[metric]["p50"]
              for e in summary]
        down = [None if e[metric]["p10"] is None else e[metric]["p50"] - e[metric]["p10"]
                for e in summary]
        dist.add_trace(go.Scatter(x=labels, y=p50, mode="markers+lines", name="P50 (P10–P90)",
                                  showlegend=row == 1, line_color="black",
                                  error_y={"type": "data", "array": up, "arrayminus": down}),
                       row=row, col=1)
    dist.update_layout(title=f"{title}: distributions per grid point", height=700)
    figs.append(dist)

    figs.append(cost_carbon_figure(ok, summary, spec, title))

    numeric = [p for p in spec.grid.params if p.kind in ("number", "optional_number")]
    if len(numeric) >= 2 and len(ok):
        a, b = numeric[0].column, numeric[1].column
        pivot = ok.groupby([b, a])["carbon_tco2e"].median().unstack(a)
        if pivot.shape[0] >= 2 and pivot.shape[1] >= 2:
            surface = go.Figure(go.Surface(x=pivot.columns.to_numpy(), y=pivot.index.to_numpy(),
                                           z=pivot.to_numpy(), colorscale="Viridis"))
            surface.update_layout(title=f"{title}: median carbon over {a} × {b}", height=650,
                                  scene={"xaxis_title": a, "yaxis_title": b,
                                         "zaxis_title": "carbon (tCO2e)"})
            figs.append(surface)

    body = "\n".join(f.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False)
                     for i, f in enumerate(figs))
    return (f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body>\n{body}\n</body></html>\n")


def write_report(out_dir: Path, df: pd.DataFrame, spec: SweepSpec, *,
                 scenario_name: str) -> list[Path]:
    """Write summary.json, summary.md and charts.html into ``out_dir``."""
    grid_points = summarize(df, spec)
    doc = {"scenario": scenario_name, "points": int(len(df)),
           "status": {str(k): int(v) for k, v in df["status"].value_counts().items()},
           "samples": spec.samples, "seed": spec.seed,
           "uncertainty": spec.uncertainty.to_dict(), "grid": spec.grid.to_dict(),
           "timing": _timing(df), "grid_points": grid_points}
    paths = [out_dir / "summary.json", out_dir / "summary.md", out_dir / "charts.html"]
    write_atomic(paths[0], (json.dumps(doc, indent=2) + "\n").encode())
    write_atomic(paths[1], summary_markdown(doc).encode())
    write_atomic(paths[2], charts_html(df, spec, grid_points,
                                       f"Sweep of '{scenario_name}'").encode())
    return paths
