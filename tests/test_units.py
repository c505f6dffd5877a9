"""One test per conversion constant, and the accounting helpers on hand-computed values."""

from __future__ import annotations

import pytest

from planner import units as u
from planner.geo import great_circle_km, modelled_rtt_ms


def test_mass_and_energy_constants():
    assert u.G_PER_T == 1_000_000
    assert u.KG_PER_T == 1_000
    assert u.KWH_PER_MWH == 1_000
    assert u.W_PER_KW == 1_000
    assert u.L_PER_M3 == 1_000
    assert u.J_PER_KWH == 3_600_000  # 1 kWh = 1000 W × 3600 s
    assert u.KWH_PER_J * 3.6e6 == pytest.approx(1.0, rel=1e-15)


def test_watttime_lbs_per_mwh_to_g_per_kwh():
    # 1 lb = 453.59237 g exactly; per MWh → per kWh divides by 1000.
    assert u.GCO2_PER_KWH_PER_LB_PER_MWH == pytest.approx(0.45359237, rel=1e-15)
    assert 1000 * u.GCO2_PER_KWH_PER_LB_PER_MWH == pytest.approx(453.59237, rel=1e-15)


def test_hours_per_month_is_billing_convention():
    assert u.HOURS_PER_MONTH == 730


def test_accounting_chain():
    it = u.it_energy_kwh(gpu_hours=10, power_w=700)  # 7 kWh
    assert it == pytest.approx(7.0, rel=1e-12)
    fac = u.facility_energy_kwh(it, pue=1.2)
    assert fac == pytest.approx(8.4, rel=1e-12)
    assert u.carbon_tco2e(fac, ci_gco2e_per_kwh=500) == pytest.approx(0.0042, rel=1e-12)
    # 7 kWh × 0.3 L + 8.4 kWh × 2 L = 2.1 + 16.8 = 18.9 L
    assert u.water_m3(it, 1.2, 0.3, 2.0) == pytest.approx(0.0189, rel=1e-12)


def test_great_circle_quarter_meridian():
    # pole to equator is a quarter of the circumference
    km = float(great_circle_km(90.0, 0.0, 0.0, 0.0))
    assert km == pytest.approx(3.141592653589793 * u.EARTH_RADIUS_KM / 2, rel=1e-12)
    assert float(great_circle_km(10.0, 20.0, 10.0, 20.0)) == 0.0


def test_rtt_model_is_linear():
    assert float(modelled_rtt_ms(1000.0, 20.0, 1.5)) == pytest.approx(35.0, rel=1e-12)
