"""Plotly figures for the memos (each paired with its data as a table)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from planner.memo.document import Chart, Table, num, usd
from planner.memo.uncertainty import MonteCarlo, Tornado

WIDTH_PX = 700
HEIGHT_PX = 380
BUILD = "#1b7837"
BUY = "#762a83"
CURRENT = "#8c8c8c"
PROPOSED = "#2166ac"


TITLE_MAX_CHARS = 60  # ~ what fits the chart width at the title's font (a PDF page too)
TITLE_LINE_PX = 20
TOP_MARGIN_PX = 50


def wrap_title(title: str, max_chars: int = TITLE_MAX_CHARS) -> str:
    """``title`` broken at spaces into lines of at most ``max_chars`` (plotly ``<br>``), so
    that a long title wraps instead of running past the figure's edge."""
    lines: list[str] = []
    for word in title.split():
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _layout(fig: go.Figure, title: str, x: str, y: str, log_x: bool = False) -> go.Figure:
    wrapped = wrap_title(title)
    top = TOP_MARGIN_PX + TITLE_LINE_PX * wrapped.count("<br>")
    fig.update_layout(title=wrapped, width=WIDTH_PX, height=HEIGHT_PX + top - TOP_MARGIN_PX,
                      template="plotly_white",
                      margin={"l": 70, "r": 20, "t": top, "b": 60}, font={"size": 12},
                      legend={"orientation": "h", "y": -0.22})
    fig.update_xaxes(title=x)
    if log_x:
        fig.update_xaxes(type="log")
    fig.update_yaxes(title=y)
    return fig


def crossing(x: Sequence[float], a: Sequence[float], b: Sequence[float]) -> float | None:
    """The first ``x`` where curve ``a`` meets curve ``b`` (sign change of a − b), linearly
    interpolated between the two samples around it; None if they never meet on ``x``."""
    xs, d = np.asarray(x, float), np.asarray(a, float) - np.asarray(b, float)
    for i in range(len(xs) - 1):
        if d[i] == 0.0:
            return float(xs[i])
        if d[i] * d[i + 1] < 0.0:
            return float(xs[i] + (xs[i + 1] - xs[i]) * d[i] / (d[i] - d[i + 1]))
    return float(xs[-1]) if len(xs) and d[-1] == 0.0 else None


def curves(key: str, title: str, x: Sequence[float], lines: Sequence[tuple[str, Sequence[float],
           str, str]], x_label: str, y_label: str, marks: Sequence[tuple[str, float]],
           caption: str, money: bool, crossing_label: str | None = "break-even") -> Chart:
    """Lines over a log volume axis with vertical markers (planned volume, ...). With
    ``crossing_label``, the point where the first two lines cross is marked too: each
    chart marks its own crossing, computed from its own curves."""
    marks = list(marks)
    if crossing_label is not None and len(lines) >= 2:
        where = crossing(x, lines[0][1], lines[1][1])
        if where is not None:
            marks.append((crossing_label, where))
    fig = go.Figure()
    for name, ys, color, dash in lines:
        fig.add_trace(go.Scatter(x=list(x), y=list(ys), name=name, mode="lines",
                                 line={"color": color, "dash": dash, "width": 2.5}))
    for label, v in marks:
        fig.add_vline(x=v, line={"color": "#444", "dash": "dot", "width": 1})
        fig.add_annotation(x=np.log10(v), y=1.0, yref="paper", text=label, showarrow=False,
                           xanchor="left", yanchor="top", font={"size": 11})
    _layout(fig, title, x_label, y_label, log_x=True)
    fig.update_yaxes(type="log")  # both curves stay readable across decades of volume
    fmt = usd if money else (lambda v: num(v))
    idx = np.unique(np.linspace(0, len(x) - 1, 7).round().astype(int))
    rows = tuple((num(x[i]), *(fmt(ys[i]) for _, ys, _, _ in lines)) for i in idx)
    data = Table((x_label, *(n for n, *_ in lines)), rows, numeric=(True,) * (1 + len(lines)))
    return Chart(key, fig, caption, data)


def tornado(key: str, t: Tornado, caption: str, money: bool = True) -> Chart:
    """Horizontal bars from the base outcome to the outcome at each input's low / high."""
    bars = list(reversed(t.bars))  # largest swing on top
    labels = [f"{b.label}<br><sub>{b.range_text}</sub>" for b in bars]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=[b.outcome_at_low - t.base for b in bars], base=t.base,
                         orientation="h", name="input at low end", marker_color="#d6604d"))
    fig.add_trace(go.Bar(y=labels, x=[b.outcome_at_high - t.base for b in bars], base=t.base,
                         orientation="h", name="input at high end", marker_color="#4393c3"))
    fig.add_vline(x=t.base, line={"color": "#222", "width": 1})
    _layout(fig, f"Sensitivity: {t.outcome_label}", t.outcome_label, "")
    fig.update_layout(barmode="overlay", height=max(HEIGHT_PX, 60 + 48 * len(bars)),
                      margin={"l": 230, "r": 20, "t": fig.layout.margin.t, "b": 60})
    fmt = usd if money else (lambda v: num(v))
    rows = tuple((b.label, b.range_text, fmt(b.outcome_at_low), fmt(b.outcome_at_high))
                 for b in t.bars)
    data = Table(("input", "range", "outcome at low", "outcome at high"), rows,
                 caption=f"Base: {fmt(t.base)}", numeric=(False, False, True, True))
    return Chart(key, fig, caption, data)


def histogram(key: str, mc: MonteCarlo, caption: str, money: bool = True) -> Chart:
    """Distribution of the first Monte Carlo outcome with P10/P50/P90 lines."""
    first = mc.intervals[0]
    xs = np.asarray(mc.first_samples)
    xs = xs[np.isfinite(xs)]
    fig = go.Figure(go.Histogram(x=xs, nbinsx=40, marker_color="#4393c3", name="samples"))
    for name, v in (("P10", first.p10), ("P50", first.p50), ("P90", first.p90)):
        fig.add_vline(x=v, line={"color": "#222", "dash": "dash", "width": 1})
        fig.add_annotation(x=v, y=1.0, yref="paper", text=name, showarrow=False,
                           yanchor="bottom", font={"size": 11})
    _layout(fig, f"Monte Carlo: {first.label} ({mc.samples:,} samples, seed {mc.seed})",
            f"{first.label} ({first.unit})", "samples")
    fmt = usd if money else (lambda v: num(v))
    rows = tuple((i.label, fmt(i.p10) if i.unit == "$" else num(i.p10, i.unit),
                  fmt(i.p50) if i.unit == "$" else num(i.p50, i.unit),
                  fmt(i.p90) if i.unit == "$" else num(i.p90, i.unit),
                  f"{i.share_positive:.0%}") for i in mc.intervals)
    data = Table(("outcome", "P10", "P50", "P90", "share of samples > 0"), rows,
                 numeric=(False, True, True, True, True))
    return Chart(key, fig, caption, data)


def paired_bars(key: str, title: str, categories: Sequence[str], a: Sequence[float],
                b: Sequence[float], names: tuple[str, str], caption: str,
                fmts: Sequence[str]) -> Chart:
    """Current vs proposed per metric, each metric normalized to the current value = 100."""
    base = [x if x else 1.0 for x in a]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(categories), y=[100 * x / s for x, s in zip(a, base, strict=True)],
                         name=names[0], marker_color=CURRENT))
    fig.add_trace(go.Bar(x=list(categories), y=[100 * x / s for x, s in zip(b, base, strict=True)],
                         name=names[1], marker_color=PROPOSED))
    _layout(fig, title, "", f"{names[0]} = 100")
    fig.update_layout(barmode="group")
    rows = tuple((c, f, fa, fb) for c, f, fa, fb in
                 zip(categories, fmts, (f"{x:,.4g}" for x in a), (f"{x:,.4g}" for x in b),
                     strict=True))
    data = Table(("metric", "unit", names[0], names[1]), rows,
                 numeric=(False, False, True, True))
    return Chart(key, fig, caption, data)
