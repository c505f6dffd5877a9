"""Grid carbon-intensity sources: Electricity Maps, WattTime, UK Carbon Intensity.

Each returns ``grid_hourly`` rows (see :mod:`connectors.schema`): one row per zone and
UTC hour, ``ci_gco2e_per_kwh`` in gCO2e/kWh, ``signal`` average|marginal, ``is_forecast``.
Sub-hourly points (WattTime 5 min, UK CI 30 min) are averaged into their hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd

from connectors.base import SourceDataError
from connectors.http import number_of
from connectors.validate import canonical

Point = tuple[datetime, float, bool]  # (timestamp, gCO2e/kWh, is_forecast)


def parse_ts(source: str, value: object, field: str) -> pd.Timestamp:
    """An ISO-8601 timestamp as tz-aware UTC, or :class:`SourceDataError` naming ``field``."""
    try:
        ts = pd.Timestamp(str(value))
    except ValueError as exc:
        raise SourceDataError(source, f"field '{field}' is not a timestamp: {value!r}") from exc
    if ts is pd.NaT:
        raise SourceDataError(source, f"field '{field}' is empty")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def parse_number(source: str, value: object, field: str) -> float:
    """A JSON number (not a string, boolean or NaN), or :class:`SourceDataError` naming
    ``field`` (see :func:`connectors.http.number_of`)."""
    return number_of(source, value, field)


def hourly(
    zone: str,
    points: Iterable[Point],
    *,
    signal: str,
    source: str,
    as_of: str,
) -> pd.DataFrame:
    """Average points into UTC hours; an hour is a forecast if any of its points is.

    Where the same hour has measured and forecast points, only the measured ones count.
    """
    df = pd.DataFrame(list(points), columns=["ts", "ci", "fc"])
    if df.empty:
        return canonical("grid_hourly", _empty())
    df["ts_utc"] = pd.to_datetime(df["ts"], utc=True).dt.floor("h")
    measured_hours = set(df.loc[~df["fc"], "ts_utc"])
    df = df[~(df["fc"] & df["ts_utc"].isin(measured_hours))]
    out = (
        df.groupby("ts_utc", as_index=False)
        .agg(ci_gco2e_per_kwh=("ci", "mean"), is_forecast=("fc", "any"))
        .sort_values("ts_utc")
    )
    out.insert(0, "grid_zone", zone)
    out["signal"] = signal
    out["source"] = source
    out["as_of"] = as_of
    return canonical("grid_hourly", out)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "grid_zone": pd.Series(dtype="str"),
            "ts_utc": pd.Series(dtype="datetime64[us, UTC]"),
            "ci_gco2e_per_kwh": pd.Series(dtype="float64"),
            "signal": pd.Series(dtype="str"),
            "is_forecast": pd.Series(dtype="bool"),
            "source": pd.Series(dtype="str"),
            "as_of": pd.Series(dtype="str"),
        }
    )
