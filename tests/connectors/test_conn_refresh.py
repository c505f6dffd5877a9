"""Refresh → store: all sources, per-zone fallback, last good data kept (with its age),
a server killed mid-refresh, atomic writes, and the catalog overlay."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta
from typing import Any

import conn_fakes as fakes
import pandas as pd
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.base import utc_now_iso
from connectors.catalog import load_catalog
from connectors.refresh import age_text, refresh
from connectors.store import LogEntry, Store, StoreError, Write

ALL = [
    "aws",
    "gcp",
    "azure",
    "azure-cost",
    "aws-carbon",
    "gcp-carbon",
    "electricitymaps",
    "watttime",
    "ukci",
]


def statuses(report: Any) -> dict[str, str]:
    return {o.source: o.status for o in report.outcomes}


def test_refresh_fills_the_store_for_all_sources(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    fakes.serve_all(httpserver)
    settings = env()
    report = refresh(settings, regions=regions, now=fakes.NOW)
    st = statuses(report)
    assert {s: st[s] for s in ALL} == dict.fromkeys(ALL, "ok")
    assert st["zone:US-MIDA-PJM"] == st["zone:GB"] == "ok"
    store = Store(settings.store.path)
    assert store.counts() == {
        "gpu_offers": 5,
        "grid_hourly": 144,
        "spend": 7,
        "zone_map": 8,
        "quarantine": 0,
    }
    grid = store.read("grid_hourly", with_connector=True)
    assert dict(grid.groupby("grid_zone")["connector"].first()) == {
        "GB": "ukci",
        "US-MIDA-PJM": "electricitymaps",
    }
    assert str(grid["ts_utc"].dt.tz) == "UTC"
    offers = store.read("gpu_offers")
    aws = offers[(offers["provider"] == "aws") & (offers["region"] == "us-east-1")].iloc[0]
    assert aws["usd_per_gpu_hour"] == pytest.approx(55.04 / 8)
    assert aws["as_of"] == utc_now_iso(fakes.NOW)
    spend = store.read("spend")
    assert spend.loc[spend["carbon_basis"] == "location", "carbon_kgco2e"].sum() == (
        pytest.approx(1500.0 + 1587.3)
    )


def test_a_zone_falls_back_to_the_next_source(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    httpserver.expect_request("/v3/carbon-intensity/history").respond_with_json(
        {"error": "upstream"}, status=503
    )
    fakes.serve_all(httpserver)
    report = refresh(
        env(), regions=regions, now=fakes.NOW, sources=["electricitymaps", "watttime", "ukci"]
    )
    zone = next(o for o in report.outcomes if o.source == "zone:US-MIDA-PJM")
    assert zone.status == "ok" and zone.rows == 72
    assert zone.message.startswith("served by watttime after electricitymaps: HTTP 503")
    assert statuses(report)["electricitymaps"] == "failed"


def test_failed_source_keeps_last_good_data_and_shows_its_age(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    fakes.serve_all(httpserver)
    settings = env()
    refresh(settings, regions=regions, now=fakes.NOW, sources=["azure"])
    httpserver.clear()
    httpserver.expect_request("/api/retail/prices").respond_with_json({"e": 1}, status=503)
    later = fakes.NOW + timedelta(days=2)
    report = refresh(settings, regions=regions, now=later, sources=["azure"])
    (out,) = report.outcomes
    assert out.status == "failed"
    assert out.message == (
        "azure: HTTP 503 (no error message; body keys: e) on GET /api/retail/prices after 3 tries; "
        "using data from 2026-11-22T10:00Z (2 d old)"
    )
    offers = Store(settings.store.path).read("gpu_offers")
    assert len(offers) == 2 and set(offers["as_of"]) == {utc_now_iso(fakes.NOW)}


def test_killing_the_server_mid_refresh_keeps_previous_data(
    env: Any, regions: pd.DataFrame
) -> None:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    url = server.url_for("").rstrip("/")
    try:
        fakes.serve_all(server)
        # one fetch at a time, clouds first: every cloud source is done before the first
        # grid request kills the server (with several at once the kill may land mid-fetch
        # of a cloud source, and what is "before the kill" would be a race)
        settings = env(url=url, REGIONPLAN_REFRESH__MAX_CONCURRENCY="1")
        refresh(settings, regions=regions, now=fakes.NOW)
        server.clear()

        def die(request: Request) -> Response:  # first grid request: the server goes away
            threading.Thread(target=server.stop, daemon=True).start()
            return Response("", status=503)

        server.expect_request("/v3/carbon-intensity/history").respond_with_handler(die)
        fakes.serve_all(server)
        later = fakes.NOW + timedelta(days=1)
        report = refresh(settings, regions=regions, now=later)
    finally:
        if server.is_running():
            server.stop()
    st = statuses(report)
    assert st["aws"] == st["azure"] == st["gcp"] == "ok"  # before the kill
    assert st["zone:US-MIDA-PJM"] == st["zone:GB"] == "fallback"
    fallback = next(o for o in report.outcomes if o.source == "zone:GB")
    assert "connection failed" in fallback.message
    assert fallback.message.endswith("using data from 2026-11-22T10:00Z (24 h old)")
    store = Store(settings.store.path)
    grid = store.read("grid_hourly")
    assert len(grid) == 144 and set(grid["as_of"]) == {utc_now_iso(fakes.NOW)}
    offers = store.read("gpu_offers")
    assert set(offers["as_of"]) == {utc_now_iso(later)}


def test_a_failing_store_write_changes_nothing(tmp_path: Any) -> None:
    store = Store(tmp_path / "s.duckdb")
    good = pd.DataFrame(
        {
            "provider": ["aws"],
            "region": ["r1"],
            "gpu_model": ["H100"],
            "instance_type": ["p5"],
            "gpus_per_instance": [8],
            "usd_per_instance_hour": [80.0],
            "usd_per_gpu_hour": [10.0],
            "quota_gpus": [None],
            "source": ["s"],
            "as_of": ["t0"],
            "connector": ["aws"],
        }
    )
    log = [LogEntry("r", "aws", fakes.NOW, fakes.NOW, "ok", 1, "")]
    store.commit([Write("gpu_offers", good, "connector", "aws")], log)
    newer = good.assign(usd_per_gpu_hour=[20.0], as_of=["t1"])
    broken = good.assign(connector=["gcp"], gpus_per_instance=["eight"])
    with pytest.raises(StoreError, match="nothing changed"):
        store.commit(
            [
                Write("gpu_offers", newer, "connector", "aws"),
                Write("gpu_offers", broken, "connector", "gcp"),
            ],
            log,
        )
    after = store.read("gpu_offers")
    assert after["usd_per_gpu_hour"].tolist() == [10.0] and after["as_of"].tolist() == ["t0"]
    assert len(store.log()) == 1


def test_catalog_overlays_the_store(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    fakes.serve_all(httpserver)
    settings = env()
    assert set(load_catalog(settings.store.path).origins.values()) == {"embedded"}
    refresh(settings, regions=regions, now=fakes.NOW)
    cat = load_catalog(settings.store.path)
    expect = f"store {settings.store.path} refreshed 2026-11-22T10:00:00Z"
    assert cat.origins["gpu_offers"] == expect + " over embedded"
    assert cat.origins["grid_hourly"] == expect
    assert cat.origins["regions"] == "embedded"
    o = cat.gpu_offers
    row = o[
        (o["provider"] == "aws")
        & (o["region"] == "us-east-1")
        & (o["instance_type"] == "p5.48xlarge")
    ]
    assert len(row) == 1 and row.iloc[0]["usd_per_gpu_hour"] == pytest.approx(6.88)
    assert row.iloc[0]["source"] == "AWS Price List API (AmazonEC2 Linux on-demand)"
    kept = o[(o["provider"] == "aws") & (o["instance_type"] == "p3.2xlarge")]
    assert len(kept) > 0 and (kept["source"] != row.iloc[0]["source"]).all()
    assert len(cat.grid_hourly) == 144


def test_age_text() -> None:
    t = fakes.NOW
    assert [
        age_text(t, t + d) for d in (timedelta(minutes=5), timedelta(hours=5), timedelta(days=3))
    ] == ["5 min", "5 h", "3 d"]


def test_zone_no_selected_source_serves_is_not_a_failure(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    fakes.serve_all(httpserver)
    report = refresh(env(), regions=regions, now=fakes.NOW, sources=["ukci"])
    st = statuses(report)
    assert st == {"zone:US-MIDA-PJM": "not-covered", "zone:GB": "ok", "ukci": "ok"}
    assert report.by_status("failed") == report.by_status("fallback") == []


def _em_server(delay_s: float, seen: dict[str, int]) -> HTTPServer:
    """A threaded fake Electricity Maps that answers any zone after ``delay_s``."""
    lock = threading.Lock()

    def answer(request: Request) -> Response:
        with lock:
            seen["now"] += 1
            seen["peak"] = max(seen["peak"], seen["now"])
        time.sleep(delay_s)
        with lock:
            seen["now"] -= 1
        zone = request.args["zone"]
        body = fakes.em_history(zone) if "history" in request.path else fakes.em_forecast(zone)
        return Response(json.dumps(body), content_type="application/json")

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.expect_request(re.compile("/v3/carbon-intensity/.*")).respond_with_handler(answer)
    server.start()
    return server


ZONES = [f"Z{i}" for i in range(8)]


def test_zones_are_fetched_concurrently_within_the_polite_limit(
    env: Any, regions: pd.DataFrame
) -> None:
    seen = {"now": 0, "peak": 0}
    server = _em_server(0.5, seen)
    try:
        settings = env(
            url=server.url_for("").rstrip("/"),
            REGIONPLAN_GRID__ZONES=json.dumps(ZONES),
            REGIONPLAN_REFRESH__MAX_CONCURRENCY="4",
        )
        started = time.monotonic()
        report = refresh(settings, regions=regions, now=fakes.NOW, sources=["electricitymaps"])
        elapsed_s = time.monotonic() - started
    finally:
        server.stop()
    assert statuses(report) == {**{f"zone:{z}": "ok" for z in ZONES}, "electricitymaps": "ok"}
    assert seen["peak"] == 4  # 8 zones × 2 requests, never more than 4 at once
    assert elapsed_s < 8 * 2 * 0.5  # one request at a time would take 8 s


def test_the_refresh_deadline_bounds_the_run_and_keeps_data(
    env: Any, regions: pd.DataFrame
) -> None:
    seen = {"now": 0, "peak": 0}
    server = _em_server(3.0, seen)
    try:
        settings = env(
            url=server.url_for("").rstrip("/"),
            REGIONPLAN_GRID__ZONES=json.dumps(ZONES),
            REGIONPLAN_HTTP__TIMEOUT_S="10",
            REGIONPLAN_REFRESH__DEADLINE_S="0.6",
        )
        started = time.monotonic()
        report = refresh(settings, regions=regions, now=fakes.NOW, sources=["electricitymaps"])
        elapsed_s = time.monotonic() - started
    finally:
        server.stop()
    zones = [o for o in report.outcomes if o.source.startswith("zone:")]
    assert {o.status for o in zones} == {"fallback"} and len(zones) == len(ZONES)
    assert all("deadline" in o.message for o in zones)
    assert elapsed_s < 0.6 + 1.5  # the deadline, plus committing the outcomes
    assert Store(settings.store.path).counts()["grid_hourly"] == 0


def test_an_unresponsive_source_costs_its_budget_once_not_once_per_zone(
    env: Any, regions: pd.DataFrame
) -> None:
    """46 zones against an API that never answers in time: one retry budget, then every
    other zone gives up at once (before: tries × timeout for each zone, one at a time)."""
    seen = {"now": 0, "peak": 0}
    zones = [f"Z{i}" for i in range(46)]
    server = _em_server(1.0, seen)
    try:
        settings = env(
            url=server.url_for("").rstrip("/"),
            REGIONPLAN_GRID__ZONES=json.dumps(zones),
            REGIONPLAN_HTTP__TIMEOUT_S="0.2",
            REGIONPLAN_HTTP__MAX_TRIES="3",
            REGIONPLAN_HTTP__RETRY_BUDGET_S="0.6",
        )
        started = time.monotonic()
        report = refresh(settings, regions=regions, now=fakes.NOW, sources=["electricitymaps"])
        elapsed_s = time.monotonic() - started
    finally:
        server.stop()
    fell = [o for o in report.outcomes if o.status == "fallback"]
    assert len(fell) == 46
    assert sum("retry budget spent" in o.message for o in fell) >= 46 - 4
    # 46 zones × 3 tries × 0.2 s = 27.6 s of timeouts before; now the 0.6 s budget (spent
    # by at most 4 zones in flight at once) plus bookkeeping
    assert elapsed_s < 10.0
