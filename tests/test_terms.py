"""Objective terms as coefficient arrays: expressions, weights and values agree by hand."""

import linopy
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from planner.terms import TERM_NAMES, Terms

REGIONS = pd.Index(["a", "b", "c"], name="region")
HOURS = pd.RangeIndex(2, name="hour")


def _model() -> tuple[linopy.Model, linopy.Variable, linopy.Variable]:
    m = linopy.Model(force_dim_names=True)
    mask = xr.DataArray([[True, True], [True, False], [False, False]], coords=[REGIONS, HOURS])
    x = m.add_variables(lower=0, coords=[REGIONS, HOURS], name="x", mask=mask)
    y = m.add_variables(lower=0, coords=[REGIONS], name="y")
    return m, x, y


def _coefficients(expr: linopy.LinearExpression) -> dict[int, float]:
    out: dict[int, float] = {}
    for label, c in zip(np.ravel(expr.vars.values), np.ravel(expr.coeffs.values), strict=True):
        if label >= 0:
            out[int(label)] = out.get(int(label), 0.0) + float(c)
    return out


def test_weighted_terms_are_one_term_per_cell_with_summed_coefficients() -> None:
    m, x, y = _model()
    terms = Terms(m)
    usd = xr.DataArray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], coords=[REGIONS, HOURS])
    kwh = xr.DataArray([10.0, np.nan, 30.0], coords=[REGIONS])  # NaN counts as 0
    terms.add("compute_usd", x, usd)
    terms.add("energy_kwh", x, kwh)
    terms.add("egress_usd", y, xr.DataArray([7.0, 8.0, 9.0], coords=[REGIONS]))
    expr = terms.weighted({"compute_usd": 1.0, "energy_kwh": 0.5, "egress_usd": 2.0,
                           "water_m3": 3.0})
    labels = x.labels
    want = {int(labels.sel(region="a", hour=0)): 1.0 + 5.0,
            int(labels.sel(region="a", hour=1)): 2.0 + 5.0,
            int(labels.sel(region="b", hour=0)): 3.0}  # b's kwh is NaN → 0; c is masked
    want.update({int(y.labels.sel(region=r)): 2.0 * v
                 for r, v in zip("abc", (7, 8, 9), strict=True)})
    assert _coefficients(expr) == want
    assert expr.nterm == len(want)  # one term per cell, masked cells left out


def test_value_and_columns_agree_with_the_expression() -> None:
    m, x, y = _model()
    terms = Terms(m)
    carbon = xr.DataArray([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], coords=[REGIONS, HOURS])
    terms.add("carbon_location_tco2e", x, carbon)
    terms.add("carbon_location_tco2e", y, 2.0)  # a scalar coefficient on every cell
    values = {"x": xr.DataArray([[1.0, 2.0], [3.0, np.nan], [np.nan, np.nan]],
                                coords=[REGIONS, HOURS]),
              "y": xr.DataArray([1.0, 1.0, 0.5], coords=[REGIONS])}
    by_hand = 0.1 * 1 + 0.2 * 2 + 0.3 * 3 + 2.0 * 2.5
    assert terms.value("carbon_location_tco2e", values) == pytest.approx(by_hand)
    coefficients = _coefficients(terms["carbon_location_tco2e"])
    from_columns: dict[int, float] = {}
    for labels, coeffs in terms.columns("carbon_location_tco2e"):
        for label, c in zip(labels, coeffs, strict=True):
            if label >= 0:
                from_columns[int(label)] = from_columns.get(int(label), 0.0) + float(c)
    assert from_columns == pytest.approx(coefficients)
    assert terms.value("water_m3", values) == 0.0
    assert terms["water_m3"].nterm == 0
    assert list(terms) == list(TERM_NAMES)
