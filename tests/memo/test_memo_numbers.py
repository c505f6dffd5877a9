"""Memo numbers recomputed independently from the plan dicts (not through planner.memo)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.memo import build_vs_buy_memo, migrate_memo, render
from planner.memo.buildvsbuy import outcome_fn
from planner.memo.document import usd
from planner.memo.migrate import outcome_fns
from planner.memo.params import BuildVsBuyParams, MigrateParams
from planner.session import Parameters, PlanSession

HOURS_PER_YEAR = 8760.0
IN_TOKENS = 300.0


def _svc(plan, service):
    return [p for p in plan["placements"] if p["workload"] == service]


@pytest.mark.parametrize("name", ["llm-fleet", "eu-resident"])
def test_build_vs_buy_numbers(example_plans, catalog, name):
    sc, plan, _ = example_plans[name]
    svc, job = sc.inference[0], sc.training[0]
    res = build_vs_buy_memo(plan, BuildVsBuyParams(input_tokens_per_request=IN_TOKENS), catalog,
                            floor_gpus=svc.min_regions * svc.warm_gpus_per_region, samples=200)
    r = res.result
    serving = _svc(plan, svc.name)
    training = _svc(plan, job.name)
    hours = plan["horizon"]["hours"]
    requests = sum(p["rps"] for p in serving) * 3600 * hours
    s_usd = sum(p["cost_usd"] + p["egress_usd"] for p in serving) / requests
    s_t = sum(p["carbon_tco2e"] for p in serving) / requests
    a_usd = (IN_TOKENS * 2.50 + 500 * 10.00) / 1e6
    g_api = 0.301 * 1000 / 500 / 1000 * 383.55  # Wh/1k → kWh/1k × g/kWh
    a_t = 500 / 1000 * g_api / 1e6
    # the training bill includes its data copy (egress), billed with the plan
    t_usd = sum(p["cost_usd"] + p["egress_usd"] for p in training)
    t_t = sum(p["carbon_tco2e"] for p in training)
    vol = sum(p["rps"] for p in serving) * 3600 * 730 / 1e6
    req_h = vol * 1e6 * 12
    assert r.self_usd_per_request == pytest.approx(s_usd, rel=1e-9)
    assert r.api_usd_per_request == pytest.approx(a_usd, rel=1e-12)
    assert r.api_gco2e_per_1k_output_tokens == pytest.approx(g_api, rel=1e-12)
    assert r.planned_m_requests_per_month == pytest.approx(vol, rel=1e-12)
    assert r.build_usd == pytest.approx(t_usd + req_h * s_usd, rel=1e-9)
    assert r.buy_usd == pytest.approx(req_h * a_usd, rel=1e-9)
    assert r.build_tco2e == pytest.approx(t_t + req_h * s_t, rel=1e-9)
    assert r.buy_tco2e == pytest.approx(req_h * a_t, rel=1e-9)
    cp = plan["objective"]["carbon_price_usd_per_tco2e"]
    assert r.build_adjusted_usd == pytest.approx(t_usd + req_h * s_usd + cp * (t_t + req_h * s_t),
                                                 rel=1e-9)
    # break-even: build and buy TCO are equal there (over the warm floor or under it)
    v = r.breakeven_m_requests_per_month
    assert v is not None and v > 0
    floor_m = r.floor_gpus * requests / sum(p["gpu_hours"] for p in serving) * 730 / 1e6
    build_at = t_usd + max(v, floor_m) * 1e6 * 12 * s_usd
    assert build_at == pytest.approx(v * 1e6 * 12 * a_usd, rel=1e-9)
    # the uncertainty outcome at base values is the deterministic difference
    base = {u.key: __import__("numpy").array([u.base]) for u in
            __import__("planner.memo.buildvsbuy", fromlist=["x"]).uncertain_inputs(r)}
    assert float(outcome_fn(r)(base)[0]) == pytest.approx(r.buy_adjusted_usd
                                                          - r.build_adjusted_usd, rel=1e-9)
    assert res.tornado.base == pytest.approx(r.buy_adjusted_usd - r.build_adjusted_usd, rel=1e-9)
    md = render.to_markdown(res.document)
    for figure in (usd(r.build_usd), usd(r.buy_usd), usd(r.build_adjusted_usd)):
        assert figure in md


@pytest.mark.parametrize("name", ["llm-fleet", "eu-resident", "global-low-latency"])
def test_migrate_numbers(example_plans, catalog, name):
    _, best, cost_only = example_plans[name]
    res = migrate_memo(cost_only, best, catalog, MigrateParams(), ("today", "proposal"),
                       samples=200)
    m = res.result
    k = HOURS_PER_YEAR / best["horizon"]["hours"]
    tc, tp = cost_only["totals"], best["totals"]
    cp = best["objective"]["carbon_price_usd_per_tco2e"]
    wp = best["objective"]["water_price_usd_per_m3"]
    s_usd = (tc["cost_usd"] - tp["cost_usd"]) * k
    s_t = (tc["carbon_tco2e"] - tp["carbon_tco2e"]) * k
    s_w = (tc["water_m3"] - tp["water_m3"]) * k
    assert m.saving_usd_per_year == pytest.approx(s_usd, rel=1e-9, abs=1e-6)
    assert m.saving_tco2e_per_year == pytest.approx(s_t, rel=1e-9, abs=1e-9)
    assert m.saving_objective_usd_per_year == pytest.approx(s_usd + cp * s_t + wp * s_w,
                                                            rel=1e-9, abs=1e-6)
    # each basis's saving is its operational carbon plus the embodied carbon of the GPUs
    emb = tc["carbon_embodied_tco2e"] - tp["carbon_embodied_tco2e"]
    loc = (tc["carbon_location_tco2e"] - tp["carbon_location_tco2e"] + emb) * k
    mkt = (tc["carbon_market_tco2e"] - tp["carbon_market_tco2e"] + emb) * k
    assert m.saving_location_tco2e_per_year == pytest.approx(loc, rel=1e-9, abs=1e-9)
    assert m.saving_market_tco2e_per_year == pytest.approx(mkt, rel=1e-9, abs=1e-9)
    # the diff's monthly plan-wide saving agrees (730 h months)
    assert m.diff.saving_objective_usd_per_month * 12 == pytest.approx(
        m.saving_objective_usd_per_year, rel=1e-9, abs=1e-6)
    # one-time cost and payback from the moves
    one = sum(mv.egress_usd + mv.dual_run_usd + cp * mv.dual_run_tco2e + wp * mv.dual_run_water_m3
              for mv in m.diff.moves)
    assert m.one_time_objective_usd == pytest.approx(one, rel=1e-9, abs=1e-9)
    expect = one / (m.saving_objective_usd_per_year / 365) if m.saving_objective_usd_per_year > 0 \
        else math.inf
    assert m.payback_days == pytest.approx(expect, rel=1e-9, abs=1e-9)
    # the Monte Carlo model at base values reproduces the deterministic saving
    import numpy as np

    from planner.memo.migrate import uncertain_inputs

    base = {u.key: np.array([u.base]) for u in uncertain_inputs(m, cost_only, best)}
    f = outcome_fns(m, cost_only, best)
    # placements and totals are each rounded to 1e-6 in plan.json; × 8760/168 × $150/t
    assert float(f["objective"](base)[0]) == pytest.approx(m.saving_objective_usd_per_year,
                                                           rel=1e-6, abs=0.05)


def test_monte_carlo_is_reproducible(example_plans, catalog):
    # At $100/t llm-fleet's optimum may equal its cost-only plan (its first abatement step
    # costs ~$40k/t), so the proposed plan here prices carbon above that: savings then vary.
    sc, _, cost_only = example_plans["llm-fleet"]
    best = PlanSession(sc, catalog).plan(
        Parameters(carbon_price_usd_per_tco2e=100_000.0)).to_dict()
    assert best["totals"]["carbon_tco2e"] < cost_only["totals"]["carbon_tco2e"] - 1.0
    a = migrate_memo(cost_only, best, catalog, MigrateParams(), ("a", "b"), samples=300, seed=7)
    b = migrate_memo(cost_only, best, catalog, MigrateParams(), ("a", "b"), samples=300, seed=7)
    c = migrate_memo(cost_only, best, catalog, MigrateParams(), ("a", "b"), samples=300, seed=8)
    assert a.monte_carlo == b.monte_carlo
    assert a.monte_carlo.intervals[0] != c.monte_carlo.intervals[0]
    i = a.monte_carlo.intervals[0]
    assert i.p10 <= i.p50 <= i.p90
    swings = [bar.swing for bar in a.tornado.bars]
    assert swings == sorted(swings, reverse=True)


def test_crossing_is_interpolated_between_samples():
    from planner.memo.charts import crossing

    # a − b = −2, −0.5, +2: crosses between x = 1 and 2 at 1 + 0.5 / 2.5 = 1.2
    assert crossing([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], [3.0, 2.5, 1.0]) == pytest.approx(1.2)
    assert crossing([0.0, 10.0], [0.0, 1.0], [2.0, 1.5]) is None
    assert crossing([1.0, 2.0], [5.0, 4.0], [5.0, 1.0]) == 1.0


def test_each_build_vs_buy_chart_marks_its_own_break_even(example_plans, catalog):
    from planner.memo.document import Chart

    sc, plan, _ = example_plans["llm-fleet"]
    svc = sc.inference[0]
    res = build_vs_buy_memo(plan, BuildVsBuyParams(input_tokens_per_request=IN_TOKENS), catalog,
                            floor_gpus=svc.min_regions * svc.warm_gpus_per_region, samples=50)
    r = res.result
    charts = {b.key: b for s in res.document.sections for b in s.blocks if isinstance(b, Chart)}
    expected = {"tco": r.breakeven_m_requests_per_month,
                "footprint": r.breakeven_carbon_m_requests_per_month,
                "tco_adjusted": r.breakeven_adjusted_m_requests_per_month}
    assert r.breakeven_carbon_m_requests_per_month != pytest.approx(
        r.breakeven_m_requests_per_month, rel=0.05)  # the bug: one mark for all charts
    for key, be in expected.items():
        fig = charts[key].figure
        labels = [a.text for a in fig.layout.annotations]
        xs = [10 ** a.x for a in fig.layout.annotations]
        marked = dict(zip(labels, xs, strict=True))
        if be is None:
            assert "break-even" not in marked
            continue
        assert marked["break-even"] == pytest.approx(be, rel=1e-3)
        # and the chart's own curves are equal there (recomputed from the traces)
        build, buy = fig.data[0], fig.data[1]
        at = np.interp(marked["break-even"], build.x, build.y) / np.interp(
            marked["break-even"], buy.x, buy.y)
        assert at == pytest.approx(1.0, rel=1e-3)
