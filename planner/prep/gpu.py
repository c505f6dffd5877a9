"""Per-GPU-hour figures of a GPU model (used by :mod:`planner.offers` per option):

- facility energy (kWh/GPU-h) = IT power (GPU board + host share, kW) × PUE(r);
- water (m³/GPU-h) = (IT kW × site WUE(r) + IT kW × PUE(r) × grid water(r)) / 1000;
- embodied (tCO2e/GPU-h) = embodied kgCO2e per GPU / lifetime h / 1000.
"""

from __future__ import annotations

import pandas as pd

from planner.figures import InputFigure, as_of_text
from planner.scenario import ScenarioError
from planner.units import KG_PER_T, W_PER_KW


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
