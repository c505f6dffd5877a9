"""The HTML memos render in real headless Chromium (screenshots under test-artifacts/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.memo import build_vs_buy_memo, migrate_memo, render
from planner.memo.params import BuildVsBuyParams, MigrateParams
from planner.memo.pdf import chromium_available
from planner.memo.pdf import render as render_in_chromium

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason="no /usr/bin/chromium")]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "memo"


def test_build_vs_buy_renders(example_plans, catalog):
    _, plan, _ = example_plans["llm-fleet"]
    doc = build_vs_buy_memo(plan, BuildVsBuyParams(input_tokens_per_request=300), catalog,
                            samples=200).document
    shot = ARTIFACTS / "build-vs-buy-llm-fleet.png"
    pdf = ARTIFACTS / "build-vs-buy-llm-fleet.pdf"
    external = render_in_chromium(render.to_html(doc), pdf_path=pdf, screenshot_path=shot)
    assert external == []  # nothing fetched from outside the file
    assert shot.stat().st_size > 50_000
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_migrate_renders(example_plans, catalog):
    _, best, cost_only = example_plans["eu-resident"]
    doc = migrate_memo(cost_only, best, catalog, MigrateParams(), ("today", "proposal"),
                       samples=200).document
    shot = ARTIFACTS / "migrate-eu-resident.png"
    assert render_in_chromium(render.to_html(doc), screenshot_path=shot) == []
    assert shot.stat().st_size > 50_000
