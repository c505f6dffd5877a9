"""``regionplan diff`` and the migration memo price a move with one model: the same
default dual-run period and the same one-time cost (egress + dual running) per move."""

from __future__ import annotations

import inspect

import pytest
from test_tf_diff import TRANSFER
from tfhelpers import load_fixture

from planner.cli.tf_cmd import diff as diff_command
from planner.diff import DEFAULT_DUAL_RUN_HOURS, diff_plans
from planner.memo.params import MigrateParams


def test_one_default_dual_run_period() -> None:
    cli_default = inspect.signature(diff_command).parameters["dual_run_hours"].default
    assert cli_default == MigrateParams().dual_run_hours == DEFAULT_DUAL_RUN_HOURS == 168.0


def test_diff_and_memo_agree_on_one_time_cost() -> None:
    from connectors.catalog import load_catalog
    from planner.memo.migrate import migrate

    cur, new = load_fixture("llm_fleet_carbon0.json"), load_fixture("llm_fleet_carbon200.json")
    for plan in (cur, new):  # the memo also reads both carbon bases (older fixtures lack them)
        t = plan["totals"]
        t.setdefault("carbon_location_tco2e", t["carbon_tco2e"])
        t.setdefault("carbon_market_tco2e", t["carbon_tco2e"])
    catalog = load_catalog()
    memo = migrate(cur, new, TRANSFER, catalog.regions, catalog.metros, MigrateParams())
    d = diff_plans(cur, new, TRANSFER, DEFAULT_DUAL_RUN_HOURS)
    assert d.moves, "the fixtures should move work"
    assert memo.params.dual_run_hours == d.dual_run_hours
    assert memo.one_time_usd == pytest.approx(d.one_time_usd, rel=1e-12)
    assert memo.one_time_objective_usd == pytest.approx(
        sum(m.one_time_objective_usd for m in d.moves), rel=1e-12)
    # By hand: one-time = Σ egress + Σ dual running, dual running = 168 h at the old $/h.
    assert d.one_time_usd == pytest.approx(
        sum(m.egress_usd for m in d.moves) + sum(m.dual_run_usd for m in d.moves), rel=1e-12)
    short = diff_plans(cur, new, TRANSFER, 24.0)
    for a, b in zip(d.moves, short.moves, strict=True):
        assert a.dual_run_usd == pytest.approx(b.dual_run_usd * 7, rel=1e-12)
