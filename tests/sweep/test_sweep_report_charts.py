"""The sweep's cost–carbon chart: titled for what it shows, legend clear of the colour bar."""

from __future__ import annotations

import pandas as pd

from planner.sweep import SweepSpec, parse_grid
from planner.sweep.report import cost_carbon_figure


def _summary(label: str, cost: float, carbon: float) -> dict[str, object]:
    return {"label": label, "cost_usd": {"p50": cost}, "carbon_tco2e": {"p50": carbon}}


def test_monte_carlo_cloud_is_not_called_a_frontier_and_legend_clears_colorbar() -> None:
    spec = SweepSpec(parse_grid(["carbon_price=0,100"]), samples=3)
    ok = pd.DataFrame({"carbon_tco2e": [2.0, 2.1, 1.0, 1.1], "cost_usd": [10.0, 11.0, 20.0, 21.0],
                       "carbon_price_usd_per_tco2e": [0, 0, 100, 100],
                       "label": ["carbon_price=0"] * 2 + ["carbon_price=100"] * 2})
    fig = cost_carbon_figure(ok, [_summary("carbon_price=0", 10.5, 2.05),
                                  _summary("carbon_price=100", 20.5, 1.05)], spec, "s")
    title = fig.layout.title.text
    assert "frontier" not in title and "every solve" in title
    # the colour bar stands right of the plot (x > 1); the legend lies under it (y < 0),
    # horizontal, so the two cannot overlap
    bar = fig.data[0].marker.colorbar
    assert bar.x > 1.0 and bar.title.side == "right"
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0
    assert fig.layout.legend.yanchor == "top"
