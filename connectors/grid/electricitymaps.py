"""Electricity Maps API v3: latest, history (24 h) and forecast carbon intensity per zone.

Auth is the ``auth-token`` header from ``ELECTRICITYMAPS_API_KEY``. Values are gCO2e/kWh
(lifecycle by default, ``electricitymaps.emission_factor_type``), average intensity,
hourly. A 401 means a bad key *or* a key without access to that zone/endpoint; a
forecast the plan does not include is noted and skipped, history is required.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pandas as pd

from connectors.base import (
    ConnectorResult,
    Scope,
    SourceAuthError,
    SourceDataError,
    SourceNotConfigured,
    utc_now_iso,
)
from connectors.grid import Point, hourly, parse_number, parse_ts
from connectors.http import HttpClient, field_of
from connectors.settings import Settings

NAME = "electricitymaps"
ENV = "ELECTRICITYMAPS_API_KEY"
HORIZONS_H = (6, 24, 48, 72)  # the forecast horizons the API accepts


class ElectricityMapsConnector:
    """``grid_hourly`` rows from Electricity Maps for Electricity Maps zone ids."""

    name = NAME
    tables = ("grid_hourly",)
    credential_env = (ENV,)

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.cfg = settings.electricitymaps
        self.http = HttpClient(
            NAME,
            settings.http,
            auth_hint=f"set {ENV}; with a valid key a 401 means the key has no access "
            "to this zone or endpoint",
            sleep=sleep,
            transport=transport,
        )
        self.notes: list[str] = []

    def missing_settings(self) -> list[str]:
        """Empty when an API key is set."""
        return [] if self.cfg.api_key else [f"{ENV} (Electricity Maps API key)"]

    def covers(self, zone: str, scope: Scope) -> bool:
        """Electricity Maps serves every zone id it knows; the API says if not."""
        return not self.missing_settings()

    def _get(self, path: str, **params: Any) -> Any:
        if self.cfg.api_key is None:
            raise SourceNotConfigured(NAME, f"no API key; set {ENV}")
        headers = {"auth-token": self.cfg.api_key.get_secret_value()}
        url = f"{self.cfg.base_url.rstrip('/')}/{path}"
        return self.http.get_json(url, params=params, headers=headers)

    def _row_point(self, row: Any, where: str, forecast: bool) -> Point | None:
        ci = field_of(NAME, row, "carbonIntensity", where=where)
        if ci is None:  # history may hold null hours: not published, not zero
            return None
        ts = parse_ts(NAME, field_of(NAME, row, "datetime", where=where), f"{where}.datetime")
        return (ts.to_pydatetime(), parse_number(NAME, ci, f"{where}.carbonIntensity"), forecast)

    def latest(self, zone: str) -> list[Point]:
        """The latest hour (``GET /carbon-intensity/latest``)."""
        body = self._get("carbon-intensity/latest", zone=zone, **self._common())
        p = self._row_point(body, "latest", False)
        return [p] if p else []

    def history(self, zone: str) -> list[Point]:
        """The last 24 hours (``GET /carbon-intensity/history`` → ``history[]``)."""
        body = self._get("carbon-intensity/history", zone=zone, **self._common())
        rows = field_of(NAME, body, "history", where="history")
        if not isinstance(rows, list):
            raise SourceDataError(NAME, "field 'history' is not a list")
        pts = [self._row_point(r, f"history[{i}]", False) for i, r in enumerate(rows)]
        return [p for p in pts if p]

    def forecast(self, zone: str, hours: int) -> list[Point]:
        """``hours`` ahead (``GET /carbon-intensity/forecast`` → ``forecast[]``)."""
        horizon = next((h for h in HORIZONS_H if h >= hours), HORIZONS_H[-1])
        body = self._get(
            "carbon-intensity/forecast", zone=zone, horizonHours=horizon, **self._common()
        )
        rows = field_of(NAME, body, "forecast", where="forecast")
        if not isinstance(rows, list):
            raise SourceDataError(NAME, "field 'forecast' is not a list")
        pts = [self._row_point(r, f"forecast[{i}]", True) for i, r in enumerate(rows)]
        return [p for p in pts if p]

    def resolve_zone(self, lat_deg: float, lon_deg: float) -> str:
        """The zone id at a point (``GET /zone?lat&lon``), no caller-IP fallback."""
        body = self._get("zone", lat=lat_deg, lon=lon_deg, shouldUseFallbackCallerLookup="false")
        return str(field_of(NAME, body, "zone", where="zone"))

    def _common(self) -> dict[str, str]:
        return {"emissionFactorType": self.cfg.emission_factor_type}

    def fetch_zone(self, zone: str, scope: Scope) -> pd.DataFrame:
        """History + latest + forecast for one zone, hourly."""
        points = self.history(zone)
        if not points:
            points = self.latest(zone)
        if self.settings.grid.forecast_hours > 0:
            try:
                points += self.forecast(zone, self.settings.grid.forecast_hours)
            except SourceAuthError as exc:
                self.notes.append(f"{zone}: forecast not available to this key ({exc.detail})")
        if not points:
            raise SourceDataError(NAME, f"zone {zone}: history and latest hold no carbonIntensity")
        source = f"Electricity Maps v3 ({self.cfg.emission_factor_type})"
        return hourly(zone, points, signal="average", source=source, as_of=utc_now_iso(scope.now))

    def fetch(self, scope: Scope) -> ConnectorResult:
        """Every zone of ``scope.zones``; the first failing zone raises."""
        frames = [self.fetch_zone(z, scope) for z in scope.zones]
        df = (
            pd.concat(frames, ignore_index=True)
            if frames
            else hourly("", [], signal="average", source=NAME, as_of="")
        )
        return ConnectorResult(NAME, {"grid_hourly": df}, tuple(self.notes))
