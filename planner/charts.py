"""Charts for CLI outputs (plotly): built from results, never re-solving anything."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from planner.pareto import Frontier


def frontier_figure(frontier: Frontier, title: str) -> go.Figure:
    """Cost vs carbon, efficient points joined, dominated points grey, the knee marked."""
    return family_figure([("efficient plans", frontier)], title)


def family_figure(frontiers: list[tuple[str, Frontier]], title: str) -> go.Figure:
    """One or more frontiers (e.g. one per latency SLO) on shared axes, each named."""
    fig = go.Figure()
    for name, frontier in frontiers:
        eff = frontier.efficient
        fig.add_trace(go.Scatter(
            x=[p.carbon_tco2e for p in eff], y=[p.cost_usd for p in eff],
            mode="lines+markers", name=name,
            customdata=[[p.mac_usd_per_tco2e or 0.0, p.water_m3] for p in eff],
            hovertemplate=(f"{name}<br>" "%{x:,.2f} tCO2e<br>$%{y:,.0f}<br>MAC "
                           "$%{customdata[0]:,.0f}/tCO2e<br>%{customdata[1]:,.1f} m³ water"
                           "<extra></extra>")))
        dom = [p for p in frontier.points if p.dominated]
        if dom:
            fig.add_trace(go.Scatter(x=[p.carbon_tco2e for p in dom],
                                     y=[p.cost_usd for p in dom], mode="markers",
                                     name=f"dominated ({name})" if len(frontiers) > 1
                                     else "dominated", marker={"color": "#aaa"}))
        knee = frontier.knee
        if knee is not None:
            fig.add_trace(go.Scatter(
                x=[knee.carbon_tco2e], y=[knee.cost_usd], mode="markers+text",
                name=f"knee ({name})" if len(frontiers) > 1 else "knee", text=["knee"],
                textposition="top right",
                marker={"size": 14, "symbol": "star", "color": "#d62728"}))
    accounting = frontiers[0][1].accounting if frontiers else "location"
    fig.update_layout(
        title=title, template="plotly_white",
        xaxis_title=f"carbon, tCO2e ({accounting}-based operational + embodied)",
        yaxis_title="cost, USD over the horizon")
    return fig


def write_figure(fig: go.Figure, html_path: Path, png_path: Path | None) -> list[Path]:
    """Self-contained HTML (plotly.js inlined, works offline) and, optionally, a PNG."""
    fig.write_html(html_path, include_plotlyjs="inline", full_html=True)
    written = [html_path]
    if png_path is not None:
        fig.write_image(png_path, width=1000, height=600, scale=1)
        written.append(png_path)
    return written
