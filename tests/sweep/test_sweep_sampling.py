"""Monte Carlo perturbations: stated ranges, reproducible, independent of order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sweep_fixtures import tiny_scenario

from connectors.catalog import load_embedded
from planner.sweep.sampling import (
    DEMAND_REL,
    GRID_CI_REL,
    PRICE_REL,
    Uncertainty,
    factors,
    perturb_catalog,
    perturb_scenario,
)


@pytest.fixture(scope="module")
def catalog():
    return load_embedded()


def test_default_ranges_are_the_documented_ones() -> None:
    u = Uncertainty()
    assert (u.grid_ci_rel, u.price_rel, u.demand_rel) == (0.20, 0.10, 0.15)
    assert (GRID_CI_REL, PRICE_REL, DEMAND_REL, u.distribution) == (0.2, 0.1, 0.15, "triangular")


def test_triangular_factors_stay_inside_the_range() -> None:
    f = factors(np.random.default_rng(1), 20_000, 0.2, "triangular")
    assert f.min() >= 0.8 and f.max() <= 1.2
    assert np.median(f) == pytest.approx(1.0, abs=0.01)


def test_lognormal_factors_have_median_one_and_p95_at_one_plus_r() -> None:
    f = factors(np.random.default_rng(2), 200_000, 0.2, "lognormal")
    assert np.median(f) == pytest.approx(1.0, abs=0.005)
    assert np.quantile(f, 0.95) == pytest.approx(1.2, abs=0.005)
    assert f.min() > 0


def test_zero_range_changes_nothing(catalog) -> None:
    u = Uncertainty(grid_ci_rel=0, price_rel=0, demand_rel=0)
    out = perturb_catalog(catalog, u, 0, 3)
    pd.testing.assert_frame_equal(out.regions, catalog.regions)
    pd.testing.assert_frame_equal(out.gpu_offers, catalog.gpu_offers)
    assert perturb_scenario(tiny_scenario(), u, 0, 3) == tiny_scenario()


def test_samples_are_reproducible_and_independent_of_order(catalog) -> None:
    u = Uncertainty()
    a3 = perturb_catalog(catalog, u, 7, 3)
    perturb_catalog(catalog, u, 7, 1)  # drawing another sample in between changes nothing
    b3 = perturb_catalog(catalog, u, 7, 3)
    pd.testing.assert_frame_equal(a3.regions, b3.regions)
    pd.testing.assert_frame_equal(a3.gpu_offers, b3.gpu_offers)
    other = perturb_catalog(catalog, u, 7, 4)
    assert not other.regions["grid_ci_gco2e_per_kwh"].equals(a3.regions["grid_ci_gco2e_per_kwh"])
    reseeded = perturb_catalog(catalog, u, 8, 3)
    assert not reseeded.gpu_offers["usd_per_gpu_hour"].equals(a3.gpu_offers["usd_per_gpu_hour"])


def test_grid_factor_shared_within_a_zone_and_bounded(catalog) -> None:
    out = perturb_catalog(catalog, Uncertainty(), 0, 0)
    ratio = out.regions["grid_ci_gco2e_per_kwh"] / catalog.regions["grid_ci_gco2e_per_kwh"]
    ok = ratio.notna()
    assert ((ratio[ok] >= 0.8 - 1e-12) & (ratio[ok] <= 1.2 + 1e-12)).all()
    zoned = catalog.regions["grid_zone"].notna() & ok
    per_zone = ratio[zoned].round(12).groupby(catalog.regions.loc[zoned, "grid_zone"]).nunique()
    assert (per_zone == 1).all() and (per_zone.index.size > 5)
    # a missing figure stays missing (the planner's missing-figure policy still applies)
    assert out.regions["grid_ci_gco2e_per_kwh"].isna().equals(
        catalog.regions["grid_ci_gco2e_per_kwh"].isna())


def test_price_factor_shared_by_instance_types_of_one_offer(catalog) -> None:
    out = perturb_catalog(catalog, Uncertainty(), 0, 0)
    on_demand = catalog.gpu_offers["usd_per_gpu_hour"].notna()
    ratio = (out.gpu_offers["usd_per_gpu_hour"] / catalog.gpu_offers["usd_per_gpu_hour"])[on_demand]
    assert ((ratio >= 0.9 - 1e-12) & (ratio <= 1.1 + 1e-12)).all()
    key = [catalog.gpu_offers.loc[on_demand, c] for c in ("provider", "region", "gpu_model")]
    assert (ratio.round(12).groupby(key).nunique() == 1).all()
    inst = out.gpu_offers["usd_per_instance_hour"] / catalog.gpu_offers["usd_per_instance_hour"]
    np.testing.assert_allclose(inst[on_demand], ratio, rtol=1e-12)
    # a spot price moves with the on-demand price of the same offer; a missing one stays missing
    spot = catalog.gpu_offers["usd_per_instance_hour_spot"].notna() & on_demand
    assert spot.sum() > 100
    spot_ratio = (out.gpu_offers["usd_per_instance_hour_spot"]
                  / catalog.gpu_offers["usd_per_instance_hour_spot"])[spot]
    np.testing.assert_allclose(spot_ratio, ratio[spot[on_demand]], rtol=1e-12)
    assert out.gpu_offers["usd_per_instance_hour_spot"].isna().equals(
        catalog.gpu_offers["usd_per_instance_hour_spot"].isna())
    assert "monte carlo sample 0 (seed 0)" in out.origins["gpu_offers"]


def test_demand_factor_per_service_and_metro() -> None:
    sc = tiny_scenario()
    out = perturb_scenario(sc, Uncertainty(), 0, 0)
    before = [d.rps for d in sc.inference[0].demand]
    after = [d.rps for d in out.inference[0].demand]
    ratios = np.array(after) / np.array(before)
    assert ((ratios >= 0.85) & (ratios <= 1.15)).all() and ratios[0] != ratios[1]
    assert out.training == sc.training  # training GPU-hours are taken as known


def test_bad_uncertainty_is_rejected() -> None:
    with pytest.raises(ValueError, match="grid_ci_rel"):
        Uncertainty(grid_ci_rel=1.5)
    with pytest.raises(ValueError, match="triangular or lognormal"):
        Uncertainty(distribution="uniform")  # type: ignore[arg-type]
