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
from planner.prep.water import WATER_FIGURES, WaterFallback, fill_water
from planner.scenario import Scenario, ScenarioError

CI_COLUMN = {"lifecycle": "grid_ci_gco2e_per_kwh", "direct": "grid_ci_direct_gco2e_per_kwh"}
SOURCE_COLUMN = {"grid_ci_gco2e_per_kwh": "grid_ci_source",
                 "grid_ci_direct_gco2e_per_kwh": "grid_ci_source", "pue": "pue_source",
                 "wue_l_per_kwh": "wue_source", "grid_water_l_per_kwh": "grid_water_source"}
UNIT = {"grid_ci_gco2e_per_kwh": "gCO2e/kWh", "grid_ci_direct_gco2e_per_kwh": "gCO2e/kWh",
        "pue": "ratio", "wue_l_per_kwh": "L/kWh", "grid_water_l_per_kwh": "L/kWh"}


def ci_column(scenario: Scenario) -> str:
    """The regions column holding the annual grid intensity of the scenario's basis."""
    return CI_COLUMN[scenario.grid_carbon_basis]


@dataclass(frozen=True)
class Candidates:
    """The candidate regions (sorted ids) and their catalog rows, in the same order.

    ``table`` is the ``regions`` catalog table restricted to the candidates, with an
    ``id`` column; a missing water figure is filled from the fallback (``fallbacks``) or,
    in strict mode when water does not matter, with 0 (recorded in ``incomplete``).
    """

    table: pd.DataFrame
    regions: pd.Index
    ci_column: str = "grid_ci_gco2e_per_kwh"
    excluded: list[dict[str, str]] = field(default_factory=list)
    incomplete: list[dict[str, str]] = field(default_factory=list)
    fallbacks: list[WaterFallback] = field(default_factory=list)
    # regions left out for a missing figure: their catalog rows and the GPUs they offer
    left_out: pd.DataFrame = field(default_factory=pd.DataFrame)
    left_out_gpus: dict[str, frozenset[str]] = field(default_factory=dict)

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
        cols = (self.ci_column, "pue", *WATER_FIGURES)
        for row in self.table.itertuples(index=False):
            for col in cols:
                inputs.append(InputFigure(col, row.id, float(getattr(row, col)), UNIT[col],
                                          str(getattr(row, SOURCE_COLUMN[col])),
                                          as_of_text(row.as_of)))
        return inputs

    def left_out_hosts(self, gpu: str, allowed: list[str] | None) -> pd.DataFrame:
        """Rows of the regions left out for data that offer ``gpu`` in an allowed
        jurisdiction (all jurisdictions if ``allowed`` is None)."""
        if self.left_out.empty:
            return self.left_out
        offers = self.left_out["id"].map(lambda r: gpu in self.left_out_gpus.get(r, ()))
        ok = offers & (self.left_out["jurisdiction"].isin(allowed) if allowed is not None
                       else True)
        return self.left_out[ok.to_numpy(bool)]

    def describe_left_out(self, rid: str) -> str:
        """"region (figure not published; fix)" for a region left out for data."""
        e = next(e for e in self.excluded if e["region"] == rid)
        return f"{rid} ({e['figure']} not published; {e['fix']})"


def candidate_regions(scenario: Scenario, catalog: Catalog, gpus: set[str]) -> Candidates:
    """The regions that may host some workload, after the missing-figure policy."""
    _check_basis_column(scenario, catalog)
    reg = catalog.regions.copy()
    reg["id"] = region_ids(reg)
    reg = reg[reg["provider"].isin(scenario.clouds) & ~reg["id"].isin(scenario.exclude_regions)]
    offered = offer_rows(catalog, gpus, reg["id"])
    reg = reg[reg["id"].isin(offered["id"])].sort_values("id").reset_index(drop=True)
    fallbacks: list[WaterFallback] = []
    reg = _fill_from_scenario(scenario, reg)
    if scenario.water_fallback:
        reg, fallbacks = fill_water(reg, catalog.regions)
    kept, excluded, incomplete = apply_missing_policy(scenario, reg)
    left = reg[~reg["id"].isin(kept["id"])].reset_index(drop=True)
    left_gpus = {str(rid): frozenset(g["gpu_model"].astype(str))
                 for rid, g in offered[offered["id"].isin(left["id"])].groupby("id")}
    return Candidates(kept, pd.Index(kept["id"].tolist(), name="region"), ci_column(scenario),
                      excluded, incomplete, fallbacks, left, left_gpus)


def _check_basis_column(scenario: Scenario, catalog: Catalog) -> None:
    """The catalog must carry the intensity column of the scenario's carbon basis."""
    col = ci_column(scenario)
    if col not in catalog.regions.columns:
        raise ScenarioError(
            f"grid_carbon_basis: {scenario.grid_carbon_basis} needs the regions column '{col}', "
            f"which this catalog does not have; use grid_carbon_basis: lifecycle, or update "
            f"the catalog to one that publishes {scenario.grid_carbon_basis} intensities")


def _fill_from_scenario(scenario: Scenario, reg: pd.DataFrame) -> pd.DataFrame:
    """Gaps filled with the scenario's ``fill_missing`` values, the source saying so."""
    reg = reg.copy()
    col: str
    for col, value in scenario.fill_missing.items():
        if col not in reg.columns:
            continue  # a basis this catalog does not carry; _check_basis_column guards use
        miss = reg[col].isna()
        reg.loc[miss, col] = value
        reg.loc[miss, SOURCE_COLUMN[col]] = "scenario fill_missing (no published figure)"
    return reg


def cheapest_offers(
    catalog: Catalog, gpus: set[str], regions: pd.Index
) -> tuple[dict[tuple[str, str], Offer], list[InputFigure]]:
    """The cheapest on-demand offer per (GPU model, candidate region), with its provenance.

    Informational (feasibility messages, the regions table); the model prices each
    purchase option from :mod:`planner.offers`.
    """
    offers: dict[tuple[str, str], Offer] = {}
    inputs: list[InputFigure] = []
    rows = offer_rows(catalog, gpus, regions)
    for (gpu, rid), grp in rows[rows["usd_per_gpu_hour"].notna()].groupby(["gpu_model", "id"]):
        best = grp.sort_values(["usd_per_gpu_hour", "instance_type"]).iloc[0]
        offers[(str(gpu), str(rid))] = Offer(
            str(best["instance_type"]), int(best["gpus_per_instance"]),
            float(best["usd_per_gpu_hour"]), str(best["source"]), as_of_text(best["as_of"]),
        )
        inputs.append(InputFigure("usd_per_gpu_hour", f"{rid} {gpu} {best['instance_type']}",
                                  float(best["usd_per_gpu_hour"]), "USD/GPU-h",
                                  str(best["source"]), as_of_text(best["as_of"])))
    return offers, inputs


def offer_rows(catalog: Catalog, gpus: set[str], ids: pd.Series | pd.Index) -> pd.DataFrame:
    """Offer rows (on-demand and spot-only shapes) of the GPU models in the regions, with
    an ``id`` column."""
    offers = catalog.gpu_offers.copy()
    offers["id"] = region_ids(offers)
    return offers[offers["gpu_model"].isin(gpus) & offers["id"].isin(ids)]


def apply_missing_policy(
    scenario: Scenario, reg: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict[str, str]], list[dict[str, str]]]:
    """Exclude or flag regions whose figures are still missing after fills and fallbacks.

    - Grid intensity (of the scenario's basis) and PUE are always needed: carbon is always
      reported and the carbon frontier needs it. A region without them is left out.
    - Water figures are needed when water is priced or limited: then a region without them
      is left out; otherwise the region stays, its unknown water counts as 0 and the plan
      lists it under ``incomplete`` so the water total is read as a lower bound.

    Each left-out region gets one ``excluded`` record: the region, the first missing
    figure, a reason and the fix.
    """
    excluded: list[dict[str, str]] = []
    incomplete: list[dict[str, str]] = []
    keep = np.ones(len(reg), bool)
    needed = (ci_column(scenario), "pue") + (WATER_FIGURES if scenario.water_matters else ())
    for col in needed:
        miss = reg[col].isna().to_numpy()
        for rid in reg.loc[miss & keep, "id"]:
            excluded.append(excluded_record(str(rid), col, scenario))
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


def excluded_record(rid: str, col: str, scenario: Scenario) -> dict[str, str]:
    """Why a region is left out and how to bring it back."""
    why = "water is priced or limited" if col in WATER_FIGURES else "carbon is always counted"
    fix = f"set fill_missing.{col} in the scenario"
    if col in WATER_FIGURES and not scenario.water_fallback:
        fix += " or water_fallback: true (country / provider fleet mean)"
    return {"region": rid, "figure": col,
            "reason": f"{col} is not published in the catalog and {why}",
            "fix": f"{fix} to include it"}
