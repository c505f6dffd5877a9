"""Exact unit conversions. Every quantity in regionplan carries its unit in its name.

Each constant here is exact (by definition of the units), and each has a test.
"""

from __future__ import annotations

W_PER_KW = 1_000.0
KWH_PER_MWH = 1_000.0
G_PER_KG = 1_000.0
KG_PER_T = 1_000.0
G_PER_T = G_PER_KG * KG_PER_T
L_PER_M3 = 1_000.0
J_PER_KWH = 3.6e6
KWH_PER_J = 1.0 / J_PER_KWH
KG_PER_LB = 0.45359237  # international avoirdupois pound, exact
# WattTime reports lbs CO2/MWh; 1 lb/MWh = 453.59237 g / 1000 kWh = 0.45359237 g/kWh.
GCO2_PER_KWH_PER_LB_PER_MWH = KG_PER_LB * G_PER_KG / KWH_PER_MWH
HOURS_PER_YEAR = 8_760.0
HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0  # 730 h, the cloud-billing convention
EARTH_RADIUS_KM = 6_371.0088  # IUGG mean radius


def it_energy_kwh(gpu_hours: float, power_w: float) -> float:
    """IT energy (kWh) of ``gpu_hours`` at ``power_w`` watts per GPU (GPU plus host share)."""
    return gpu_hours * power_w / W_PER_KW


def facility_energy_kwh(it_kwh: float, pue: float) -> float:
    """Facility energy (kWh): IT energy times power usage effectiveness."""
    return it_kwh * pue


def carbon_tco2e(energy_kwh: float, ci_gco2e_per_kwh: float) -> float:
    """Tonnes CO2e from energy (kWh) at a grid intensity (gCO2e/kWh)."""
    return energy_kwh * ci_gco2e_per_kwh / G_PER_T


def water_m3(it_kwh: float, pue: float, wue_l_per_kwh: float, grid_water_l_per_kwh: float) -> float:
    """Water consumed (m³): on-site (IT kWh × WUE) plus off-site (facility kWh × grid water)."""
    return (it_kwh * wue_l_per_kwh + it_kwh * pue * grid_water_l_per_kwh) / L_PER_M3
