"""UK Carbon Intensity API (NESO): national and regional half-hourly intensity, no auth.

National: ``/intensity/{from}/pt24h`` (past 24 h, with ``actual`` where measured) and
``/intensity/{from}/fw48h`` (forecast). Regional: ``/regional/intensity/{from}/fw48h/
regionid/{id}`` (forecast only). Units gCO2/kWh (operational, not lifecycle); half hours
are averaged into UTC hours. Errors come as ``{"error": {"code", "message"}}``, also
inside a 200, and are raised as typed errors naming the source.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pandas as pd

from connectors.base import ConnectorResult, Scope, SourceDataError, SourceRequestError, utc_now_iso
from connectors.grid import Point, hourly, parse_number, parse_ts
from connectors.http import HttpClient, field_of
from connectors.settings import Settings

NAME = "ukci"
NATIONAL_ZONE = "GB"  # the Electricity Maps zone the national series describes


def _stamp(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%MZ")


class UkCarbonIntensityConnector:
    """``grid_hourly`` rows for zone GB from the national series."""

    name = NAME
    tables = ("grid_hourly",)
    credential_env: tuple[str, ...] = ()

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.cfg = settings.ukci
        self.http = HttpClient(NAME, settings.http, sleep=sleep, transport=transport)

    def missing_settings(self) -> list[str]:
        """Public API: always configured."""
        return []

    def covers(self, zone: str, scope: Scope) -> bool:
        """Only the GB zone."""
        return zone == NATIONAL_ZONE

    def _get(self, path: str) -> Any:
        body = self.http.get_json(f"{self.cfg.base_url.rstrip('/')}/{path}")
        if isinstance(body, dict) and "error" in body:  # the documented error body, in a 200
            err = body["error"]
            text = err.get("message", err) if isinstance(err, dict) else err
            raise SourceRequestError(NAME, f"error body on /{path}: {text}")
        return body

    @staticmethod
    def _periods(rows: Any, where: str, regional: bool) -> list[Point]:
        if not isinstance(rows, list):
            raise SourceDataError(NAME, f"{where}: field 'data' is not a list")
        out: list[Point] = []
        for i, row in enumerate(rows):
            f = f"{where}.data[{i}]"
            ts = parse_ts(NAME, field_of(NAME, row, "from", where=f), f"{f}.from")
            intensity = field_of(NAME, row, "intensity", where=f)
            actual = None if regional else field_of(NAME, intensity, "actual", where=f)
            if actual is not None:
                out.append((ts.to_pydatetime(), parse_number(NAME, actual, f"{f}.actual"), False))
                continue
            fc = field_of(NAME, intensity, "forecast", where=f)
            if fc is None:
                continue  # neither measured nor forecast: not published
            out.append((ts.to_pydatetime(), parse_number(NAME, fc, f"{f}.forecast"), True))
        return out

    def national(self, scope: Scope) -> list[Point]:
        """Past 24 h (actuals where known) and the next 48 h (forecast), half-hourly."""
        now = scope.now.replace(minute=0, second=0, microsecond=0)
        pts: list[Point] = []
        if self.settings.grid.history_hours > 0:
            body = self._get(f"intensity/{_stamp(now)}/pt24h")
            pts += self._periods(field_of(NAME, body, "data"), "pt24h", regional=False)
        if self.settings.grid.forecast_hours > 0:
            body = self._get(f"intensity/{_stamp(now)}/fw48h")
            pts += self._periods(field_of(NAME, body, "data"), "fw48h", regional=False)
        return pts

    def regional(self, region_id: int, scope: Scope) -> list[Point]:
        """Forecast for one NESO region id (1–17), next 48 h, half-hourly."""
        now = scope.now.replace(minute=0, second=0, microsecond=0)
        body = self._get(f"regional/intensity/{_stamp(now)}/fw48h/regionid/{region_id}")
        data = field_of(NAME, body, "data", where="regional")
        outer = data[0] if isinstance(data, list) and data else data  # object or [object]
        return self._periods(field_of(NAME, outer, "data", where="regional"), "regional", True)

    def fetch_zone(self, zone: str, scope: Scope) -> pd.DataFrame:
        """The national series for GB."""
        if zone != NATIONAL_ZONE:
            raise SourceRequestError(NAME, f"zone {zone}: UK CI covers only {NATIONAL_ZONE}")
        points = self.national(scope)
        if not points:
            raise SourceDataError(NAME, "pt24h and fw48h hold no intensity")
        # A period that starts after `now` is a forecast whatever the body says.
        points = [(t, v, f or t >= scope.now) for t, v, f in points]
        source = "NESO Carbon Intensity API (national)"
        return hourly(zone, points, signal="average", source=source, as_of=utc_now_iso(scope.now))

    def fetch(self, scope: Scope) -> ConnectorResult:
        """GB, if it is among ``scope.zones``."""
        frames = [self.fetch_zone(z, scope) for z in scope.zones if z == NATIONAL_ZONE]
        df = (
            pd.concat(frames, ignore_index=True)
            if frames
            else hourly(NATIONAL_ZONE, [], signal="average", source=NAME, as_of="")
        )
        return ConnectorResult(NAME, {"grid_hourly": df})
