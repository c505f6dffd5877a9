"""Grid sources beyond the contract: auth quirks, token refresh, units, averaging."""

from __future__ import annotations

from typing import Any

import conn_fakes as fakes
import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from connectors.base import Scope, SourceAuthError, SourceDataError, SourceRequestError
from connectors.grid.electricitymaps import ElectricityMapsConnector
from connectors.grid.ukci import UkCarbonIntensityConnector
from connectors.grid.watttime import (
    G_PER_KWH_PER_LBS_PER_MWH,
    WattTimeConnector,
    lbs_per_mwh_to_g_per_kwh,
)

ZONE = "US-MIDA-PJM"


def scope(regions: pd.DataFrame) -> Scope:
    return Scope(regions=regions, zones=(ZONE,), now=fakes.NOW)


# ---------------------------------------------------------------- Electricity Maps
def test_em_401_names_the_key_and_zone_access(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    body = {
        "error": "Request unauthorized for zoneKey=US-MIDA-PJM,requestType=history,"
        "dataType=carbon-intensity.",
        "message": "You do not have access to this specific endpoint for this specific zone.",
    }
    httpserver.expect_request("/v3/carbon-intensity/history").respond_with_json(body, status=401)
    conn = ElectricityMapsConnector(env())
    with pytest.raises(SourceAuthError) as info:
        conn.fetch_zone(ZONE, scope(regions))
    msg = str(info.value)
    assert "electricitymaps: HTTP 401" in msg and "zoneKey=US-MIDA-PJM" in msg
    assert "ELECTRICITYMAPS_API_KEY" in msg and "no access to this zone" in msg


def test_em_forecast_outside_plan_keeps_history_and_notes_it(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    q = {"zone": ZONE, "emissionFactorType": "lifecycle"}
    httpserver.expect_request("/v3/carbon-intensity/history", query_string=q).respond_with_json(
        fakes.em_history(ZONE)
    )
    httpserver.expect_request("/v3/carbon-intensity/forecast").respond_with_json(
        {"error": "Request unauthorized for zoneKey=US-MIDA-PJM,requestType=forecast"}, status=401
    )
    conn = ElectricityMapsConnector(env())
    df = conn.fetch_zone(ZONE, scope(regions))
    assert len(df) == 24 and not df["is_forecast"].any()
    assert "forecast not available" in conn.notes[0]


def test_em_null_hours_are_skipped_not_zeroed(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    hist = fakes.em_history(ZONE)
    hist["history"][3]["carbonIntensity"] = None
    httpserver.expect_request("/v3/carbon-intensity/history").respond_with_json(hist)
    df = ElectricityMapsConnector(env(REGIONPLAN_GRID__FORECAST_HOURS="0")).fetch_zone(
        ZONE, scope(regions)
    )
    assert len(df) == 23 and df["ci_gco2e_per_kwh"].min() == fakes.EM_HIST_G


def test_em_missing_field_names_it(env: Any, httpserver: HTTPServer, regions: pd.DataFrame) -> None:
    hist = fakes.em_history(ZONE)
    del hist["history"][5]["datetime"]
    httpserver.expect_request("/v3/carbon-intensity/history").respond_with_json(hist)
    with pytest.raises(SourceDataError, match=r"electricitymaps: .*history\[5\].*'datetime'"):
        ElectricityMapsConnector(env()).fetch_zone(ZONE, scope(regions))


# ---------------------------------------------------------------- WattTime
def test_lbs_per_mwh_constant_is_exact() -> None:
    # 1 lb = 0.45359237 kg → 453.59237 g; per MWh = per 1000 kWh → 0.45359237 g/kWh,
    # which WattTime, CCF and this project round to 0.453592.
    assert G_PER_KWH_PER_LBS_PER_MWH == 0.453592
    assert lbs_per_mwh_to_g_per_kwh(1000.0) == pytest.approx(453.592, rel=1e-12)
    assert lbs_per_mwh_to_g_per_kwh(0.0) == 0.0


def test_wt_five_minute_points_average_into_hours(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    fakes.serve_watttime(httpserver)
    df = WattTimeConnector(env()).fetch_zone(ZONE, scope(regions))
    assert len(df) == 72 and df["is_forecast"].sum() == 48
    assert set(df["signal"]) == {"marginal"}
    fc = df[df["is_forecast"]]["ci_gco2e_per_kwh"]
    assert fc.iloc[0] == pytest.approx(900.0 * 0.453592, rel=1e-12)
    assert df["source"].iloc[0] == "WattTime v3 PJM_DC co2_moer"


def test_wt_token_is_renewed_after_30_minutes(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    fakes.serve_watttime(httpserver)
    t = [0.0]
    conn = WattTimeConnector(env(), clock=lambda: t[0])
    conn.fetch_zone(ZONE, scope(regions))
    assert conn.logins == 1
    t[0] = 25 * 60.0  # still valid (margin 60 s)
    conn.forecast("PJM_DC")
    assert conn.logins == 1
    t[0] = 30 * 60.0  # expired
    conn.forecast("PJM_DC")
    assert conn.logins == 2


def test_wt_401_on_data_logs_in_once_more(env: Any, httpserver: HTTPServer) -> None:
    fakes.serve_watttime(httpserver)
    httpserver.expect_oneshot_request("/v3/forecast").respond_with_json(
        {"error": "token expired"}, status=401
    )
    conn = WattTimeConnector(env())
    assert len(conn.forecast("PJM_DC")) == 48 * 12
    assert conn.logins == 2


def test_wt_login_html_403_names_both_variables(env: Any, httpserver: HTTPServer) -> None:
    html = "<html><head><title>403 Forbidden</title></head><body>nginx</body></html>"
    httpserver.expect_request("/login").respond_with_data(
        html, status=403, content_type="text/html"
    )
    with pytest.raises(SourceAuthError) as info:
        WattTimeConnector(env()).login()
    msg = str(info.value)
    assert "HTML error page (403 Forbidden)" in msg
    assert "WATTTIME_USERNAME" in msg and "WATTTIME_PASSWORD" in msg


def test_wt_unexpected_units_are_refused(env: Any, httpserver: HTTPServer) -> None:
    fakes.serve_watttime(httpserver)
    body = {"data": [], "meta": fakes.wt_meta("PJM_DC") | {"units": "percentile"}}
    httpserver.expect_oneshot_request("/v3/forecast").respond_with_json(body)
    with pytest.raises(SourceDataError, match="meta.units is 'percentile'"):
        WattTimeConnector(env()).forecast("PJM_DC")


# ---------------------------------------------------------------- UK Carbon Intensity
def test_ukci_half_hours_average_and_actuals_win(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    stamp = f"{fakes.NOW:%Y-%m-%dT%H:%MZ}"
    past = [
        fakes.uk_period(fakes.NOW - pd.Timedelta(minutes=30 * (2 - i)), 200.0, a)
        for i, a in enumerate([100.0, None])
    ]  # 09:00 actual 100, 09:30 forecast only
    httpserver.expect_request(f"/intensity/{stamp}/pt24h").respond_with_json({"data": past})
    httpserver.expect_request(f"/intensity/{stamp}/fw48h").respond_with_json(
        {
            "data": [
                fakes.uk_period(fakes.NOW, 180.0, None),
                fakes.uk_period(fakes.NOW + pd.Timedelta(minutes=30), 220.0, None),
            ]
        }
    )
    df = UkCarbonIntensityConnector(env()).fetch_zone("GB", scope(regions))
    assert df["ci_gco2e_per_kwh"].tolist() == [100.0, 200.0]  # 09:00 measured; 10:00 mean
    assert df["is_forecast"].tolist() == [False, True]


def test_ukci_regional_shape_with_inner_data(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    stamp = f"{fakes.NOW:%Y-%m-%dT%H:%MZ}"
    periods = [
        {
            "from": "2026-11-22T10:00Z",
            "to": "2026-11-22T10:30Z",
            "intensity": {"forecast": 150, "index": "moderate"},
            "generationmix": [{"fuel": "wind", "perc": 40.0}],
        }
    ]
    body = {
        "data": [
            {"regionid": 13, "dnoregion": "UKPN London", "shortname": "London", "data": periods}
        ]
    }
    httpserver.expect_request(f"/regional/intensity/{stamp}/fw48h/regionid/13").respond_with_json(
        body
    )
    pts = UkCarbonIntensityConnector(env()).regional(13, scope(regions))
    assert [(v, f) for _, v, f in pts] == [(150.0, True)]


def test_ukci_error_body_is_raised_even_in_a_200(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    stamp = f"{fakes.NOW:%Y-%m-%dT%H:%MZ}"
    httpserver.expect_request(f"/intensity/{stamp}/pt24h").respond_with_json(
        {"error": {"code": "400 Bad Request", "message": "Invalid date"}}
    )
    with pytest.raises(SourceRequestError, match="ukci: error body on .*Invalid date"):
        UkCarbonIntensityConnector(env()).fetch_zone("GB", scope(regions))
