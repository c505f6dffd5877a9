"""Objective terms (cost, energy, carbon, water) as coefficients on the model's variables.

A term is a sum of pieces ``Σ coefficient · variable`` over a variable's cells. Kept as
coefficient arrays rather than linopy expressions: on a 2M-column week, merging eight
full-size expressions and scaling them into an objective took longer than the blocks
themselves. An expression is built only when a row or an objective needs one, with one
linopy term per cell of each variable however many figures weigh it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import linopy
import numpy as np
import xarray as xr

TERM_NAMES = (
    "compute_usd",
    "egress_usd",
    "energy_kwh",
    "carbon_location_tco2e",
    "carbon_market_tco2e",
    "carbon_embodied_tco2e",
    "water_m3",
    "water_weighted_m3",
)


class Terms(Mapping[str, linopy.LinearExpression]):
    """The objective terms of one model: ``terms[name]`` is the term's expression."""

    def __init__(self, m: linopy.Model):
        self.model = m
        # per term: {variable name: coefficient DataArray over (a subset of) its dims}
        self._pieces: dict[str, dict[str, xr.DataArray]] = {n: {} for n in TERM_NAMES}

    def add(self, name: str, var: linopy.Variable, coef: xr.DataArray | float) -> None:
        """Add ``Σ coef · var`` to term ``name`` (NaN coefficients count as 0)."""
        coef = xr.DataArray(coef) if not isinstance(coef, xr.DataArray) else coef
        coef = coef.fillna(0.0)
        pieces = self._pieces[name]
        key = str(var.name)
        pieces[key] = _plus(pieces[key], coef) if key in pieces else coef

    def weighted(self, weights: Mapping[str, float]) -> linopy.LinearExpression:
        """``Σ weight · term`` as one expression (terms with weight 0 left out)."""
        by_var: dict[str, xr.DataArray] = {}
        for name, weight in weights.items():
            if weight == 0:
                continue
            for var, coef in self._pieces[name].items():
                scaled = coef * weight
                by_var[var] = _plus(by_var[var], scaled) if var in by_var else scaled
        return self._expression(by_var)

    def _expression(self, by_var: Mapping[str, xr.DataArray]) -> linopy.LinearExpression:
        """``Σ_var Σ_cells coef · var`` as one flat expression (zero coefficients dropped)."""
        labels, coeffs = [], []
        for var, coef in by_var.items():
            v, c = self._aligned(var, coef)
            keep = (v >= 0) & (c != 0)
            labels.append(v[keep])
            coeffs.append(c[keep])
        if not labels:
            return linopy.LinearExpression(None, self.model)
        data = xr.Dataset({"coeffs": ("_term", np.concatenate(coeffs)),
                           "vars": ("_term", np.concatenate(labels)), "const": 0.0})
        return linopy.LinearExpression(data, self.model)

    def _aligned(self, var: str, coef: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
        """A variable's labels and ``coef`` on its cells, both flat (labels −1: masked)."""
        labels = self.model.variables[var].labels
        _, on_cells = xr.align(labels, coef, join="left", fill_value=0.0)
        return (np.asarray(labels.values).ravel(),
                np.asarray(on_cells.broadcast_like(labels).transpose(*labels.dims).values,
                           dtype=float).ravel())

    def value(self, name: str, values: Mapping[str, xr.DataArray]) -> float:
        """The term's value at variable ``values`` (masked cells are NaN)."""
        return float(sum(float((values[var].fillna(0.0) * coef).sum())
                         for var, coef in self._pieces[name].items()))

    def columns(self, name: str) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(variable labels, coefficients) per piece, flat and aligned (labels −1: masked)."""
        for var, coef in self._pieces[name].items():
            yield self._aligned(var, coef)

    def __getitem__(self, name: str) -> linopy.LinearExpression:
        return self.weighted({name: 1.0})

    def __iter__(self) -> Iterator[str]:
        return iter(TERM_NAMES)

    def __len__(self) -> int:
        return len(TERM_NAMES)


def _plus(a: xr.DataArray, b: xr.DataArray) -> xr.DataArray:
    """a + b over the union of their cells (a cell one of them lacks counts as 0)."""
    if any(not a.indexes[d].equals(b.indexes[d]) for d in set(a.dims) & set(b.dims)):
        a, b = xr.align(a, b, join="outer", fill_value=0.0)
    return a + b
