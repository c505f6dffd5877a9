"""Per-GPU-hour coefficients of a set of workloads in each candidate region.

For workloads ``w`` running GPU model ``g`` in region ``r``:

- price (USD/GPU-h): the cheapest offer of ``g`` in ``r``; NaN where ``g`` is not offered;
- facility energy (kWh/GPU-h) = IT power (GPU board + host share, kW) × PUE(r);
- water (m³/GPU-h) = (IT kW × site WUE(r) + IT kW × PUE(r) × grid water(r)) / 1000;
- embodied (tCO2e/GPU-h) = embodied kgCO2e per GPU / lifetime h / 1000.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from connectors.catalog import Catalog
from planner.figures import InputFigure, Offer, as_of_text
from planner.prep.regions import Candidates
from planner.scenario import ScenarioError
from planner.units import KG_PER_T, L_PER_M3, W_PER_KW


@dataclass(frozen=True)
class WorkloadCoefficients:
    """Per-GPU-hour coefficients of workloads along dimension ``dim`` ([dim, region] or [dim])."""

    usd_per_gpu_hour: xr.DataArray  # [dim, region], NaN where not offered
    facility_kwh_per_gpu_hour: xr.DataArray  # [dim, region]
    water_m3_per_gpu_hour: xr.DataArray  # [dim, region]
    embodied_tco2e_per_gpu_hour: xr.DataArray  # [dim]
    inputs: list[InputFigure] = field(default_factory=list)


def workload_coefficients(
    names: list[str], gpus: list[str], dim: str, catalog: Catalog, cands: Candidates,
    offers: dict[tuple[str, str], Offer],
) -> WorkloadCoefficients:
    """Coefficients of the workloads ``names`` (running ``gpus``) along dimension ``dim``."""
    hardware = catalog.hardware.set_index("gpu_model")
    idx = pd.Index(names, name=dim)
    price = np.full((len(names), len(cands.regions)), np.nan)
    for i, gpu in enumerate(gpus):
        for j, rid in enumerate(cands.regions):
            o = offers.get((gpu, rid))
            if o is not None:
                price[i, j] = o.usd_per_gpu_hour
    inputs: list[InputFigure] = []
    kw = [it_kw_per_gpu(hardware, g, inputs) for g in gpus]
    emb = [embodied_tco2e_per_gpu_hour(hardware, g, inputs) for g in gpus]
    it_kw = xr.DataArray(np.array(kw, float), coords=[idx])
    pue = cands.column("pue")
    facility = it_kw * pue
    water = (it_kw * cands.column("wue_l_per_kwh")
             + it_kw * pue * cands.column("grid_water_l_per_kwh")) / L_PER_M3
    return WorkloadCoefficients(xr.DataArray(price, coords=[idx, cands.regions]), facility,
                                water, xr.DataArray(np.array(emb, float), coords=[idx]), inputs)


def it_kw_per_gpu(hardware: pd.DataFrame, gpu: str, inputs: list[InputFigure]) -> float:
    """IT power per GPU (kW): board power plus the host's share where published."""
    hw = hardware.loc[gpu]
    host = float(hw["host_power_w_per_gpu"]) if pd.notna(hw["host_power_w_per_gpu"]) else 0.0
    if pd.isna(hw["power_w"]):
        raise ScenarioError(f"gpu '{gpu}': the catalog has no power figure for it")
    inputs.append(InputFigure("power_w", gpu, float(hw["power_w"]), "W/GPU",
                              str(hw["power_source"]), as_of_text(hw["as_of"])))
    if pd.notna(hw["host_power_w_per_gpu"]):
        inputs.append(InputFigure("host_power_w_per_gpu", gpu, host, "W/GPU",
                                  str(hw["host_power_source"]), as_of_text(hw["as_of"])))
    else:
        inputs.append(InputFigure("host_power_w_per_gpu", gpu, "not published", "W/GPU",
                                  "not included: GPU board power only", ""))
    return (float(hw["power_w"]) + host) / W_PER_KW


def embodied_tco2e_per_gpu_hour(hardware: pd.DataFrame, gpu: str,
                                inputs: list[InputFigure]) -> float:
    """Embodied carbon per GPU-hour (tCO2e): manufacturing footprint spread over lifetime."""
    hw = hardware.loc[gpu]
    if pd.isna(hw["embodied_kgco2e_per_gpu"]) or pd.isna(hw["lifetime_h"]):
        raise ScenarioError(f"gpu '{gpu}': the catalog has no embodied-carbon figure for it")
    inputs.append(InputFigure("embodied_kgco2e_per_gpu", gpu,
                              float(hw["embodied_kgco2e_per_gpu"]), "kgCO2e/GPU",
                              str(hw["embodied_source"]), as_of_text(hw["as_of"])))
    inputs.append(InputFigure("lifetime_h", gpu, float(hw["lifetime_h"]), "h",
                              str(hw["embodied_source"]), as_of_text(hw["as_of"])))
    return float(hw["embodied_kgco2e_per_gpu"]) / float(hw["lifetime_h"]) / KG_PER_T
