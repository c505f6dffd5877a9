"""Grid carbon intensity of each candidate region in each planning period (gCO2e/kWh).

Location-based intensity starts from the region's annual level on the scenario's basis
(``grid_carbon_basis``: lifecycle by default, or direct) and is shaped hour by hour where
the catalog can: an hourly series covering the horizon is used as is on the lifecycle
basis (as a shape of the direct level otherwise); else a grid zone's typical month × hour
profile shapes the annual level.

Market-based intensity scales location-based by (1 − carbon-free-energy share) only where
the provider publishes a regional share (``cfe_fraction``). Elsewhere no market-based
figure exists: the location-based intensity stands in and ``market_basis`` says so for
that region, so that a market-based total is never silently a location-based one.
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
    market_basis: dict[str, str] = field(default_factory=dict)
    inputs: list[InputFigure] = field(default_factory=list)


MARKET_PUBLISHED = "provider-published CFE share"
MARKET_MISSING = "no market-based figure published"


def grid_carbon(
    scenario: Scenario, catalog: Catalog, cands: Candidates, periods: Periods
) -> GridCarbon:
    """Location- and market-based intensity of each candidate in each period."""
    reg = cands.table
    ci_hourly, ci_basis, inputs = hourly_ci(scenario, catalog, reg, periods.all_hours,
                                            cands.ci_column)
    ci_loc = periods.mean(ci_hourly)
    cfe = reg["cfe_fraction"].to_numpy(float)
    market_factor = np.where(np.isnan(cfe), 1.0, 1.0 - cfe)
    for row in reg[reg["cfe_fraction"].notna()].itertuples(index=False):
        inputs.append(InputFigure("cfe_fraction", row.id, float(row.cfe_fraction), "fraction",
                                  str(row.cfe_source), as_of_text(row.as_of)))
    coords = [cands.regions, periods.hours]
    return GridCarbon(xr.DataArray(ci_loc, coords=coords),
                      xr.DataArray(ci_loc * market_factor[:, None], coords=coords),
                      ci_basis, market_basis(reg, scenario.grid_carbon_basis), inputs)


def market_basis(reg: pd.DataFrame, carbon_basis: str) -> dict[str, str]:
    """Per region: the provider-published CFE share behind its market-based intensity, or
    that none is published and the location-based intensity stands in."""
    out: dict[str, str] = {}
    for row in reg.itertuples(index=False):
        if pd.notna(row.cfe_fraction):
            out[row.id] = (f"{MARKET_PUBLISHED} {float(row.cfe_fraction):.2f}: market-based = "
                           f"location-based × (1 − share)")
        else:
            out[row.id] = (f"{MARKET_MISSING} by {row.provider} for this region; the "
                           f"location-based {carbon_basis} intensity is used instead")
    return out


def hourly_ci(
    scenario: Scenario, catalog: Catalog, regions: pd.DataFrame, timestamps: pd.DatetimeIndex,
    level_column: str = "grid_ci_gco2e_per_kwh",
) -> tuple[np.ndarray, dict[str, str], list[InputFigure]]:
    """Location-based intensity [region, hour] (g/kWh) and the basis used per region.

    Levels come from the region's annual figure in ``level_column``; where the catalog
    has an hourly series covering the horizon (a live refresh) it is used as is on the
    lifecycle basis, and as a shape of the annual level on the direct basis; otherwise,
    where the region's grid zone has a typical month × hour profile, the annual level is
    shaped by it (value × profile / profile annual mean), so that regions with and
    without profiles stay on one consistent level basis.
    """
    annual = regions[level_column].to_numpy(dtype=float)
    direct = level_column != "grid_ci_gco2e_per_kwh"
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
            values, basis[rid], figure = series
            out[i] = annual[i] * values / values.mean() if direct else values
            if direct:
                basis[rid] = f"annual direct level × shape of the {basis[rid]}"
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
