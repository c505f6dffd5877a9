"""Grid carbon intensity of each candidate region in each planning period (gCO2e/kWh).

Location-based intensity starts from the region's annual level and is shaped hour by hour
where the catalog can: an hourly series covering the horizon is used as is; otherwise a
grid zone's typical month × hour profile shapes the annual level. Market-based intensity
scales location-based by (1 − carbon-free-energy share) where a share is published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from connectors.catalog import Catalog
from planner.figures import InputFigure, as_of_text
from planner.prep.periods import Periods
from planner.prep.regions import Candidates
from planner.scenario import Scenario

DAYS_PER_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], float)
PROFILE_CELLS = 12 * 24  # month × UTC hour of day


@dataclass(frozen=True)
class GridCarbon:
    """Intensity per [region, hour] period (gCO2e/kWh), the basis used per region, and the
    figures it came from."""

    ci_location_gco2e_per_kwh: xr.DataArray
    ci_market_gco2e_per_kwh: xr.DataArray
    ci_basis: dict[str, str]
    inputs: list[InputFigure] = field(default_factory=list)


def grid_carbon(
    scenario: Scenario, catalog: Catalog, cands: Candidates, periods: Periods
) -> GridCarbon:
    """Location- and market-based intensity of each candidate in each period."""
    reg = cands.table
    ci_hourly, ci_basis, inputs = hourly_ci(scenario, catalog, reg, periods.all_hours)
    ci_loc = periods.mean(ci_hourly)
    cfe = reg["cfe_fraction"].to_numpy(float)
    market_factor = np.where(np.isnan(cfe), 1.0, 1.0 - cfe)
    for row in reg[reg["cfe_fraction"].notna()].itertuples(index=False):
        inputs.append(InputFigure("cfe_fraction", row.id, float(row.cfe_fraction), "fraction",
                                  str(row.cfe_source), as_of_text(row.as_of)))
    coords = [cands.regions, periods.hours]
    return GridCarbon(xr.DataArray(ci_loc, coords=coords),
                      xr.DataArray(ci_loc * market_factor[:, None], coords=coords),
                      ci_basis, inputs)


def hourly_ci(
    scenario: Scenario, catalog: Catalog, regions: pd.DataFrame, timestamps: pd.DatetimeIndex
) -> tuple[np.ndarray, dict[str, str], list[InputFigure]]:
    """Location-based intensity [region, hour] (g/kWh) and the basis used per region.

    Levels come from the region's annual figure; where the catalog has an hourly series
    covering the horizon (a live refresh) it is used as is; otherwise, where the region's
    grid zone has a typical month × hour profile, the annual level is shaped by it
    (value × profile / profile annual mean), so that regions with and without profiles
    stay on one consistent level basis.
    """
    annual = regions["grid_ci_gco2e_per_kwh"].to_numpy(dtype=float)
    out = np.repeat(annual[:, None], len(timestamps), axis=1)
    basis: dict[str, str] = {}
    inputs: list[InputFigure] = []
    for i, row in enumerate(regions.itertuples(index=False)):
        rid = f"{row.provider}/{row.region}"
        zone = row.grid_zone if isinstance(row.grid_zone, str) else None
        if not scenario.time_shifting:
            basis[rid] = "annual (time shifting off)"
            continue
        series = _zone_series(catalog, zone, timestamps)
        if series is not None:
            out[i], basis[rid], figure = series
            inputs.append(figure)
            continue
        shape = _zone_shape(catalog, zone, timestamps)
        if shape is not None:
            factor, basis[rid], figure = shape
            out[i] = annual[i] * factor
            inputs.append(figure)
            continue
        basis[rid] = "annual (no hourly profile for this grid zone)"
    return out, basis, inputs


def _zone_series(
    catalog: Catalog, zone: str | None, timestamps: pd.DatetimeIndex
) -> tuple[np.ndarray, str, InputFigure] | None:
    """The zone's hourly series over the horizon (g/kWh), if the catalog covers every hour."""
    hourly = catalog.grid_hourly
    if zone is None or not len(hourly):
        return None
    series = hourly[hourly["grid_zone"] == zone]
    if not len(series):
        return None
    ts = pd.to_datetime(series["ts_utc"], utc=True)
    values = pd.Series(series["ci_gco2e_per_kwh"].to_numpy(float), index=ts)
    values = values[~values.index.duplicated(keep="last")]
    aligned = values.reindex(timestamps)
    if not aligned.notna().all():
        return None
    src = str(series["source"].iloc[0])
    figure = InputFigure("grid_hourly", zone, f"{len(timestamps)} h", "gCO2e/kWh", src,
                         as_of_text(series["as_of"].max()))
    return aligned.to_numpy(), f"hourly series for zone {zone} ({src})", figure


def _zone_shape(
    catalog: Catalog, zone: str | None, timestamps: pd.DatetimeIndex
) -> tuple[np.ndarray, str, InputFigure] | None:
    """The zone's month × hour profile over the horizon ÷ its annual mean (dimensionless)."""
    if zone is None:
        return None
    profiles = catalog.grid_profiles
    prof = profiles[profiles["grid_zone"] == zone]
    if len(prof) != PROFILE_CELLS:
        return None
    grid = np.full((13, 24), np.nan)  # row 0 unused: months are 1-based
    grid[prof["month"].to_numpy(int), prof["hour_utc"].to_numpy(int)] = prof[
        "ci_gco2e_per_kwh"
    ].to_numpy(float)
    annual_mean = float((grid[1:].mean(axis=1) * DAYS_PER_MONTH).sum() / DAYS_PER_MONTH.sum())
    shape = grid[timestamps.month.to_numpy(), timestamps.hour.to_numpy()] / annual_mean
    src = str(prof["source"].iloc[0])
    figure = InputFigure("grid_profile", zone, "12×24 means", "gCO2e/kWh", src,
                         str(prof["year"].iloc[0]))
    return shape, f"annual level × month-hour profile of zone {zone}", figure
