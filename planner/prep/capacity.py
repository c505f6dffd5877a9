"""Capacity: GPU quotas per [region, gpu] (GPUs; NaN = unlimited)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from connectors.catalog import Catalog
from planner.figures import InputFigure, Offer, region_ids
from planner.scenario import Scenario


def quotas(
    scenario: Scenario, catalog: Catalog, regions: pd.Index, gpus: set[str],
    offers: dict[tuple[str, str], Offer],
) -> tuple[xr.DataArray, list[InputFigure]]:
    """Quota [region, gpu] in GPUs: the catalog's largest published quota of an offered
    GPU, overridden by the scenario's ``quotas``; NaN where neither gives one."""
    gpu_idx = pd.Index(sorted(gpus), name="gpu")
    quota = np.full((len(regions), len(gpu_idx)), np.nan)
    offer_ids = region_ids(catalog.gpu_offers)
    for gpu, rid in offers:
        q = catalog.gpu_offers[(offer_ids == rid)
                               & (catalog.gpu_offers["gpu_model"] == gpu)]["quota_gpus"]
        if q.notna().any():
            quota[regions.get_loc(rid), gpu_idx.get_loc(gpu)] = float(q.max())
    inputs: list[InputFigure] = []
    for rid, per_gpu in scenario.quotas.items():
        for gpu, q in per_gpu.items():
            if gpu in gpu_idx and rid in regions:
                quota[regions.get_loc(rid), gpu_idx.get_loc(gpu)] = q
                inputs.append(InputFigure("quota_gpus", f"{rid} {gpu}", q, "GPUs",
                                          "scenario quotas", ""))
    return xr.DataArray(quota, coords=[regions, gpu_idx]), inputs
