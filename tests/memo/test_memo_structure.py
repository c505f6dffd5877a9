"""Golden structure: the section headings of each memo for each bundled example."""

from __future__ import annotations

import pytest

from planner.memo import build_vs_buy_memo, migrate_memo, render
from planner.memo.params import BuildVsBuyParams, MigrateParams

APPENDICES = ["Appendix A: Assumptions and sources", "Appendix B: Formulas",
              "Appendix C: Accounting basis", "Appendix D: Uncertainty ranges"]
BUILD_VS_BUY = ["Summary", "What is compared", "Cost and footprint per unit",
                "Total cost of ownership over 12 months", "Break-even volume",
                "With the internal carbon price", "Sensitivity", "Uncertainty", *APPENDICES]
MIGRATE = ["Summary", "What changes", "Yearly change", "Latency", "One-time cost and payback",
           "Residency and reporting", "Risks", "Sensitivity", "Uncertainty", *APPENDICES]
NAMES = ["llm-fleet", "eu-resident", "global-low-latency"]


@pytest.mark.parametrize("name", NAMES)
def test_build_vs_buy_headings(example_plans, catalog, name):
    _, plan, _ = example_plans[name]
    res = build_vs_buy_memo(plan, BuildVsBuyParams(input_tokens_per_request=300), catalog,
                            samples=100)
    assert res.document.headings() == BUILD_VS_BUY
    md = render.to_markdown(res.document)
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == BUILD_VS_BUY
    assert "location-based" in md  # accounting basis stated


@pytest.mark.parametrize("name", NAMES)
def test_migrate_headings(example_plans, catalog, name):
    _, best, cost_only = example_plans[name]
    res = migrate_memo(cost_only, best, catalog, MigrateParams(), ("today", "proposal"),
                       samples=100)
    assert res.document.headings() == MIGRATE
    md = render.to_markdown(res.document)
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == MIGRATE
    assert "Against the baseline — **today**" in md  # savings name their baseline
    assert "location-based" in md and "market-based" in md


def test_assumptions_table_has_sources(example_plans, catalog):
    _, plan, _ = example_plans["llm-fleet"]
    doc = build_vs_buy_memo(plan, BuildVsBuyParams(input_tokens_per_request=300), catalog,
                            samples=50).document
    table = next(b for b in doc.sections[-4].blocks if hasattr(b, "rows"))
    assert table.columns == ("figure", "value", "unit", "source", "as of")
    assert all(row[3].strip() for row in table.rows)  # every figure names a source
    names = [row[0] for row in table.rows]
    for needed in ("api_usd_per_m_output_tokens", "api_wh_per_1k_output_tokens",
                   "input_tokens_per_request"):
        assert needed in names
    # the price of a region the plan uses is among the assumptions (the 2026 prices moved
    # the fine-tune out of gcp/us-west1, which the old catalog underpriced)
    placed = {f"{p['provider']}/{p['region']}" for p in plan["placements"]}
    assert any(n.startswith(f"usd_per_gpu_hour [{rid} ") for n in names for rid in placed)


def test_html_inlines_plotly_once_and_nothing_external(example_plans, catalog):
    _, best, cost_only = example_plans["global-low-latency"]
    doc = migrate_memo(cost_only, best, catalog, MigrateParams(), ("a", "b"),
                       samples=50).document
    html = render.to_html(doc)
    assert html.count("plotly.js v") == 1  # the library banner: inlined exactly once
    assert html.count('class="chart"') == 3
    for bad in ('src="http', "src='http", 'href="http', "@import", "cdn.plot.ly/plotly"):
        assert bad not in html.split("</style>")[0] + "".join(
            part.split(">", 1)[0] for part in html.split("<script")[1:]), bad


def test_chart_titles_wrap_and_money_has_one_sign(example_plans, catalog):
    from planner.memo.charts import TITLE_LINE_PX, TITLE_MAX_CHARS, TOP_MARGIN_PX
    from planner.memo.document import Chart

    _, plan, _ = example_plans["llm-fleet"]
    doc = build_vs_buy_memo(plan, BuildVsBuyParams(input_tokens_per_request=300), catalog,
                            samples=50).document
    charts = [b for s in doc.sections for b in s.blocks if isinstance(b, Chart)]
    mc = next(c for c in charts if c.key == "monte_carlo")
    assert len(mc.figure.layout.title.text.replace("<br>", " ")) > TITLE_MAX_CHARS
    for c in charts:
        lines = c.figure.layout.title.text.split("<br>")
        assert all(len(line) <= TITLE_MAX_CHARS for line in lines), c.key
        # the top margin makes room for every line of the title
        assert c.figure.layout.margin.t >= TOP_MARGIN_PX + TITLE_LINE_PX * (len(lines) - 1)
    md = render.to_markdown(doc)
    assert "$ $" not in md and "serving cost $" in md
