"""Candidate regions, their site figures, and the offer each GPU model uses there.

A region is a candidate when it is in the scenario's clouds, not excluded by name, offers
a GPU some workload needs and has every figure the plan needs (or a fill for it). Regions
left out are recorded with the figure that is missing and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from connectors.catalog import Catalog
from planner.figures import InputFigure, Offer, as_of_text, region_ids
from planner.scenario import Scenario

CARBON_FIGURES = ("grid_ci_gco2e_per_kwh", "pue")
WATER_FIGURES = ("wue_l_per_kwh", "grid_water_l_per_kwh")
SOURCE_COLUMN = {"grid_ci_gco2e_per_kwh": "grid_ci_source", "pue": "pue_source",
                 "wue_l_per_kwh": "wue_source", "grid_water_l_per_kwh": "grid_water_source"}
SITE_FIGURE_UNITS = (("grid_ci_gco2e_per_kwh", "gCO2e/kWh"), ("pue", "ratio"),
                     ("wue_l_per_kwh", "L/kWh"), ("grid_water_l_per_kwh", "L/kWh"))


@dataclass(frozen=True)
class Candidates:
    """The candidate regions (sorted ids) and their catalog rows, in the same order.

    ``table`` is the ``regions`` catalog table restricted to the candidates, with an
    ``id`` column and any missing water figure filled as recorded in ``incomplete``.
    """

    table: pd.DataFrame
    regions: pd.Index
    excluded: list[dict[str, str]] = field(default_factory=list)
    incomplete: list[dict[str, str]] = field(default_factory=list)

    def column(self, name: str) -> xr.DataArray:
        """One numeric column of the candidates' rows as a [region] array."""
        return xr.DataArray(self.table[name].to_numpy(float), coords=[self.regions])

    def series(self, name: str) -> pd.Series:
        """One column of the candidates' rows, indexed by region id."""
        return pd.Series(self.table[name].to_numpy(), index=self.regions)

    def in_jurisdictions(self, allowed: list[str] | None) -> np.ndarray:
        """[region] mask of the candidates in the allowed jurisdictions (all if None)."""
        if allowed is None:
            return np.ones(len(self.regions), bool)
        return self.series("jurisdiction").isin(allowed).to_numpy()

    def site_inputs(self) -> list[InputFigure]:
        """Provenance of each candidate's grid intensity, PUE and water figures."""
        inputs = []
        for row in self.table.itertuples(index=False):
            for col, unit in SITE_FIGURE_UNITS:
                inputs.append(InputFigure(col, row.id, float(getattr(row, col)), unit,
                                          str(getattr(row, SOURCE_COLUMN[col])),
                                          as_of_text(row.as_of)))
        return inputs


def candidate_regions(scenario: Scenario, catalog: Catalog, gpus: set[str]) -> Candidates:
    """The regions that may host some workload, after the missing-figure policy."""
    reg = catalog.regions.copy()
    reg["id"] = region_ids(reg)
    reg = reg[reg["provider"].isin(scenario.clouds) & ~reg["id"].isin(scenario.exclude_regions)]
    offered = _offers_of(catalog, gpus, reg["id"])
    reg = reg[reg["id"].isin(offered["id"])].sort_values("id").reset_index(drop=True)
    reg, excluded, incomplete = apply_missing_policy(scenario, reg)
    return Candidates(reg, pd.Index(reg["id"].tolist(), name="region"), excluded, incomplete)


def cheapest_offers(
    catalog: Catalog, gpus: set[str], regions: pd.Index
) -> tuple[dict[tuple[str, str], Offer], list[InputFigure]]:
    """The cheapest offer per (GPU model, candidate region), with its price provenance."""
    offers: dict[tuple[str, str], Offer] = {}
    inputs: list[InputFigure] = []
    for (gpu, rid), grp in _offers_of(catalog, gpus, regions).groupby(["gpu_model", "id"]):
        best = grp.sort_values(["usd_per_gpu_hour", "instance_type"]).iloc[0]
        offers[(str(gpu), str(rid))] = Offer(
            str(best["instance_type"]), int(best["gpus_per_instance"]),
            float(best["usd_per_gpu_hour"]), str(best["source"]), as_of_text(best["as_of"]),
        )
        inputs.append(InputFigure("usd_per_gpu_hour", f"{rid} {gpu} {best['instance_type']}",
                                  float(best["usd_per_gpu_hour"]), "USD/GPU-h",
                                  str(best["source"]), as_of_text(best["as_of"])))
    return offers, inputs


def _offers_of(catalog: Catalog, gpus: set[str], ids: pd.Series | pd.Index) -> pd.DataFrame:
    """On-demand offer rows of the given GPU models in the given regions, with an ``id``.

    Spot-only shapes (no on-demand price) are not planned on yet: the model prices every
    GPU-hour at the on-demand rate.
    """
    offers = catalog.gpu_offers.copy()
    offers["id"] = region_ids(offers)
    on_demand = offers["usd_per_gpu_hour"].notna()
    return offers[on_demand & offers["gpu_model"].isin(gpus) & offers["id"].isin(ids)]


def apply_missing_policy(
    scenario: Scenario, reg: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict[str, str]], list[dict[str, str]]]:
    """Fill, exclude or flag regions whose figures the catalog does not publish.

    - A value in ``scenario.fill_missing`` fills the gap; the source says so.
    - Grid intensity and PUE are always needed (carbon is always reported): a region
      without them is left out.
    - Water figures are needed when water is priced or limited: then a region without them
      is left out; otherwise the region stays, its unknown water counts as 0 and the plan
      lists it under ``incomplete`` so the water total is read as a lower bound.
    """
    reg = reg.copy()
    excluded: list[dict[str, str]] = []
    incomplete: list[dict[str, str]] = []
    col: str
    for col, value in scenario.fill_missing.items():
        miss = reg[col].isna()
        reg.loc[miss, col] = value
        reg.loc[miss, SOURCE_COLUMN[col]] = "scenario fill_missing (no published figure)"
    keep = np.ones(len(reg), bool)
    needed = CARBON_FIGURES + (WATER_FIGURES if scenario.water_matters else ())
    for col in needed:
        miss = reg[col].isna().to_numpy()
        for rid in reg.loc[miss & keep, "id"]:
            excluded.append({"region": rid, "reason": f"{col} is not published in the catalog; "
                             f"set fill_missing.{col} in the scenario to include it"})
        keep &= ~miss
    reg = reg[keep].reset_index(drop=True)
    if not scenario.water_matters:
        for col in WATER_FIGURES:
            miss = reg[col].isna()
            for rid in reg.loc[miss, "id"]:
                incomplete.append({"region": rid, "figure": col,
                                   "effect": "not published: this region's water total omits it"})
            reg.loc[miss, col] = 0.0
            reg.loc[miss, SOURCE_COLUMN[col]] = "not published (counted as 0; see incomplete)"
    return reg, excluded, incomplete
