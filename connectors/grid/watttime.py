"""WattTime API v3: marginal (``co2_moer``) intensity, history and forecast.

``GET /login`` with HTTP Basic (``WATTTIME_USERNAME`` / ``WATTTIME_PASSWORD``) returns a
bearer token that expires after 30 minutes: it is renewed before expiry and once more
on a 401. A zone is served through the WattTime region at the coordinates of a catalog
region in that zone (``/v3/region-from-loc``). Values arrive in lbs CO2/MWh every 5 min
and are converted with :data:`G_PER_KWH_PER_LBS_PER_MWH` and averaged per hour.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pandas as pd

from connectors.base import (
    ConnectorResult,
    Scope,
    SourceAuthError,
    SourceDataError,
    SourceNotConfigured,
    SourceRequestError,
    utc_now_iso,
)
from connectors.grid import Point, hourly, parse_number, parse_ts
from connectors.http import HttpClient, field_of
from connectors.redact import register_basic, register_secret
from connectors.settings import Settings

NAME = "watttime"
ENV = ("WATTTIME_USERNAME", "WATTTIME_PASSWORD")
# 1 lb = 453.592 g (exact by definition: 0.45359237 kg, rounded as WattTime and CCF do);
# per MWh → per kWh divides by 1000, so 1 lbs/MWh = 0.453592 g/kWh.
G_PER_KWH_PER_LBS_PER_MWH = 0.453592
SIGNALS = {"co2_moer": "marginal", "co2_aoer": "average"}


def lbs_per_mwh_to_g_per_kwh(value: float) -> float:
    """lbs CO2/MWh → gCO2/kWh."""
    return value * G_PER_KWH_PER_LBS_PER_MWH


class WattTimeConnector:
    """``grid_hourly`` rows from WattTime, keyed by the catalog's grid zone."""

    name = NAME
    tables = ("grid_hourly",)
    credential_env = ENV

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.cfg = settings.watttime
        self.http = HttpClient(
            NAME,
            settings.http,
            auth_hint=f"set {ENV[0]} and {ENV[1]} (a 403 can also mean this region or "
            "signal is outside your plan)",
            sleep=sleep,
            transport=transport,
        )
        self.clock = clock
        self._token: str | None = None
        self._token_at = 0.0
        self._regions: dict[tuple[float, float], str] = {}
        self.logins = 0
        self._login_lock = threading.Lock()  # zones are fetched concurrently

    def missing_settings(self) -> list[str]:
        """Empty when username and password are set."""
        return [
            v for v, s in zip(ENV, (self.cfg.username, self.cfg.password), strict=True) if not s
        ]

    def _url(self, path: str) -> str:
        return f"{self.cfg.base_url.rstrip('/')}/{path}"

    def login(self) -> None:
        """``GET /login`` with Basic auth; keeps the token in memory only."""
        if self.cfg.username is None or self.cfg.password is None:
            raise SourceNotConfigured(NAME, f"no credentials; set {ENV[0]} and {ENV[1]}")
        auth = (self.cfg.username.get_secret_value(), self.cfg.password.get_secret_value())
        register_basic(*auth)  # the Basic header is a derived form of the password
        try:
            body = self.http.get_json(self._url("login"), auth=auth)
        except SourceRequestError as exc:  # e.g. 404 from a wrong base_url, not auth
            raise SourceAuthError(NAME, f"login failed: {exc.detail}") from exc
        token = field_of(NAME, body, "token", where="login")
        if not isinstance(token, str) or not token:
            raise SourceDataError(NAME, "login response field 'token' is empty")
        register_secret(token)  # before anything could quote it
        self._token, self._token_at = token, self.clock()
        self.logins += 1

    def _fresh_token(self, stale: str | None = None) -> str | None:
        """The current token; log in when there is none, it is old, or it is ``stale``."""
        with self._login_lock:
            age = self.clock() - self._token_at
            old = age >= self.cfg.token_ttl_s - self.cfg.token_margin_s
            if self._token is None or old or (stale is not None and self._token == stale):
                self.login()
            return self._token

    def _get(self, path: str, **params: Any) -> Any:
        token = self._fresh_token()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {token}"}
            try:
                return self.http.get_json(self._url(path), params=params, headers=headers)
            except SourceAuthError as exc:
                if attempt == 2 or "HTTP 401" not in exc.detail:
                    raise
                token = self._fresh_token(stale=token)  # expired early or revoked: once more
        raise AssertionError("unreachable")

    def region_from_loc(self, lat_deg: float, lon_deg: float) -> str:
        """The WattTime region at a point (cached per run)."""
        key = (round(lat_deg, 4), round(lon_deg, 4))
        if key not in self._regions:
            body = self._get(
                "v3/region-from-loc",
                latitude=lat_deg,
                longitude=lon_deg,
                signal_type=self.cfg.signal_type,
            )
            self._regions[key] = str(field_of(NAME, body, "region", where="region-from-loc"))
        return self._regions[key]

    def _points(self, body: Any, where: str, forecast: bool) -> list[Point]:
        units = field_of(NAME, body, "meta", "units", where=where)
        if units != "lbs_co2_per_mwh":
            raise SourceDataError(NAME, f"{where}: meta.units is {units!r}, not 'lbs_co2_per_mwh'")
        data = field_of(NAME, body, "data", where=where)
        if not isinstance(data, list):
            raise SourceDataError(NAME, f"{where}: field 'data' is not a list")
        out: list[Point] = []
        for i, row in enumerate(data):
            f = f"{where}.data[{i}]"
            ts = parse_ts(NAME, field_of(NAME, row, "point_time", where=f), f"{f}.point_time")
            value = parse_number(NAME, field_of(NAME, row, "value", where=f), f"{f}.value")
            out.append((ts.to_pydatetime(), lbs_per_mwh_to_g_per_kwh(value), forecast))
        return out

    def historical(self, region: str, scope: Scope) -> list[Point]:
        """The last ``grid.history_hours`` (``GET /v3/historical``)."""
        end = scope.now.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(hours=self.settings.grid.history_hours)
        body = self._get(
            "v3/historical",
            region=region,
            signal_type=self.cfg.signal_type,
            start=start.isoformat(),
            end=end.isoformat(),
        )
        return self._points(body, "historical", False)

    def forecast(self, region: str) -> list[Point]:
        """The next ``grid.forecast_hours`` (``GET /v3/forecast``)."""
        body = self._get(
            "v3/forecast",
            region=region,
            signal_type=self.cfg.signal_type,
            horizon_hours=self.settings.grid.forecast_hours,
        )
        return self._points(body, "forecast", True)

    def _anchor(self, zone: str, scope: Scope) -> tuple[float, float] | None:
        df = scope.regions
        if "grid_zone" not in df.columns:
            return None
        rows = df[(df["grid_zone"] == zone) & df["lat_deg"].notna() & df["lon_deg"].notna()]
        if rows.empty:
            return None
        return float(rows.iloc[0]["lat_deg"]), float(rows.iloc[0]["lon_deg"])

    def covers(self, zone: str, scope: Scope) -> bool:
        """Configured, and some catalog region in ``zone`` has coordinates."""
        return not self.missing_settings() and self._anchor(zone, scope) is not None

    def fetch_zone(self, zone: str, scope: Scope) -> pd.DataFrame:
        """History + forecast for the WattTime region under ``zone``'s first region."""
        anchor = self._anchor(zone, scope)
        if anchor is None:
            raise SourceRequestError(NAME, f"zone {zone}: no catalog region with lat/lon")
        region = self.region_from_loc(*anchor)
        points = self.historical(region, scope)
        if self.settings.grid.forecast_hours > 0:
            points += self.forecast(region)
        signal = SIGNALS.get(self.cfg.signal_type, self.cfg.signal_type)
        source = f"WattTime v3 {region} {self.cfg.signal_type}"
        return hourly(zone, points, signal=signal, source=source, as_of=utc_now_iso(scope.now))

    def fetch(self, scope: Scope) -> ConnectorResult:
        """Every zone of ``scope.zones``; the first failing zone raises."""
        frames = [self.fetch_zone(z, scope) for z in scope.zones]
        df = (
            pd.concat(frames, ignore_index=True)
            if frames
            else hourly("", [], signal="marginal", source=NAME, as_of="")
        )
        return ConnectorResult(NAME, {"grid_hourly": df})
