"""Monte Carlo perturbations of the inputs, with stated uncertainty ranges.

Each sample multiplies three groups of figures by random factors around 1:

- **grid carbon intensity** — one factor per grid zone (regions without a zone get their
  own), applied to the annual level (``regions.grid_ci_gco2e_per_kwh``) and to any hourly
  series of that zone (``grid_hourly``); month × hour profiles only shape the level, so the
  shape is kept. Market-based intensity follows, as it is derived from the location basis.
- **prices** — one factor per (provider, region, GPU model) offer, applied to every
  instance type of it (so the cheapest instance stays the cheapest), and one per
  (provider, scope) transfer price (USD/GB).
- **demand** — one factor per (inference service, user metro) on its requests/s. Training
  GPU-hours are taken as known.

The default half-widths below are **modelling assumptions**, not measured uncertainties;
pass an :class:`Uncertainty` (CLI ``--uncertainty grid_ci=0.3 --uncertainty price=0.05``)
to state your own.

``triangular`` draws from Tri(1 − r, 1, 1 + r): bounded, mode 1. ``lognormal`` draws
exp(N(0, σ)) with σ = ln(1 + r) / 1.645, so that 1 + r is the 95th percentile (median 1,
never negative, unbounded above).

Reproducibility: sample *i* of seed *s* uses ``numpy.random.default_rng([s, i, stream])``
with one stream per group (0 grid, 1 prices, 2 demand), drawing in a sorted key order.
A sample is therefore the same whichever worker draws it and in whatever order, and
changing one group's range does not change another group's draws.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from connectors.catalog import Catalog
from planner.scenario import Scenario

GRID_CI_REL = 0.20
"""Default half-width of grid-intensity uncertainty (±20 %): annual averages vs the year
actually run, and differences between data providers. A modelling assumption."""
PRICE_REL = 0.10
"""Default half-width of price uncertainty (±10 %): list-price changes and discounts over a
planning horizon. A modelling assumption."""
DEMAND_REL = 0.15
"""Default half-width of demand uncertainty (±15 %): forecast error on requests/s. A
modelling assumption."""
DEFAULT_DISTRIBUTION = "triangular"
Z_95 = 1.6448536269514722  # standard normal 95th percentile
STREAM_GRID, STREAM_PRICE, STREAM_DEMAND = 0, 1, 2
Distribution = Literal["triangular", "lognormal"]


@dataclass(frozen=True)
class Uncertainty:
    """Relative half-widths (fractions, e.g. 0.2 = ±20 %) and the factor distribution."""

    grid_ci_rel: float = GRID_CI_REL
    price_rel: float = PRICE_REL
    demand_rel: float = DEMAND_REL
    distribution: Distribution = DEFAULT_DISTRIBUTION  # type: ignore[assignment]

    def __post_init__(self) -> None:
        for name in ("grid_ci_rel", "price_rel", "demand_rel"):
            r = getattr(self, name)
            if not 0 <= r < 1:
                raise ValueError(f"uncertainty {name} = {r}: must be in [0, 1) "
                                 f"(a fraction, e.g. 0.2 for ±20 %)")
        if self.distribution not in ("triangular", "lognormal"):
            raise ValueError(f"uncertainty distribution '{self.distribution}': use triangular "
                             f"or lognormal")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def factors(rng: np.random.Generator, n: int, rel: float, distribution: str) -> np.ndarray:
    """``n`` multiplicative factors around 1 with half-width ``rel`` (see module docstring)."""
    if rel == 0 or n == 0:
        return np.ones(n)
    if distribution == "triangular":
        return rng.triangular(1.0 - rel, 1.0, 1.0 + rel, size=n)
    sigma = np.log1p(rel) / Z_95
    return np.exp(rng.normal(0.0, sigma, size=n))


def _rng(seed: int, sample: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, sample, stream])


def _zone_keys(regions: pd.DataFrame) -> pd.Series:
    """Grid zone of each region row, or ``region:<id>`` where the catalog gives none."""
    ids = "region:" + regions["provider"].astype(str) + "/" + regions["region"].astype(str)
    zone = regions["grid_zone"]
    return zone.where(zone.map(lambda z: isinstance(z, str) and z != ""), ids).astype(str)


def perturb_catalog(catalog: Catalog, u: Uncertainty, seed: int, sample: int) -> Catalog:
    """The catalog with grid intensity and prices of sample ``sample`` applied."""
    regions = catalog.regions.copy()
    keys = _zone_keys(regions)
    zones = sorted(set(keys))
    f_zone = dict(zip(zones, factors(_rng(seed, sample, STREAM_GRID), len(zones),
                                     u.grid_ci_rel, u.distribution), strict=True))
    regions["grid_ci_gco2e_per_kwh"] = regions["grid_ci_gco2e_per_kwh"] * keys.map(f_zone)
    tables: dict[str, pd.DataFrame] = {"regions": regions}
    if len(catalog.grid_hourly):
        hourly = catalog.grid_hourly.copy()
        # zones with an hourly series but no region row still get a (unused) stable factor
        f = hourly["grid_zone"].astype(str).map(f_zone).fillna(1.0)
        hourly["ci_gco2e_per_kwh"] = hourly["ci_gco2e_per_kwh"] * f
        tables["grid_hourly"] = hourly

    rng_price = _rng(seed, sample, STREAM_PRICE)
    offers = catalog.gpu_offers.copy()
    offer_key = (offers["provider"].astype(str) + "/" + offers["region"].astype(str) + "/"
                 + offers["gpu_model"].astype(str))
    okeys = sorted(set(offer_key))
    f_offer = dict(zip(okeys, factors(rng_price, len(okeys), u.price_rel, u.distribution),
                       strict=True))
    f = offer_key.map(f_offer)
    for col in ("usd_per_gpu_hour", "usd_per_instance_hour", "usd_per_gpu_hour_spot",
                "usd_per_instance_hour_spot"):
        if col in offers:
            offers[col] = offers[col] * f
    tables["gpu_offers"] = offers
    transfer = catalog.transfer.copy()
    tkey = transfer["provider"].astype(str) + "/" + transfer["scope"].astype(str)
    tkeys = sorted(set(tkey))
    f_t = dict(zip(tkeys, factors(rng_price, len(tkeys), u.price_rel, u.distribution),
                   strict=True))
    transfer["usd_per_gb"] = transfer["usd_per_gb"] * tkey.map(f_t)
    tables["transfer"] = transfer
    return catalog.with_tables(f"monte carlo sample {sample} (seed {seed})", **tables)


def perturb_scenario(scenario: Scenario, u: Uncertainty, seed: int, sample: int) -> Scenario:
    """The scenario with demand of sample ``sample`` applied (requests/s × factor)."""
    if not scenario.inference or u.demand_rel == 0:
        return scenario
    keys = sorted({(s.name, d.metro) for s in scenario.inference for d in s.demand})
    f = dict(zip(keys, factors(_rng(seed, sample, STREAM_DEMAND), len(keys), u.demand_rel,
                               u.distribution), strict=True))
    data = scenario.model_dump(mode="python")
    for svc in data["inference"]:
        for d in svc["demand"]:
            d["rps"] = float(d["rps"] * f[(svc["name"], d["metro"])])
    return Scenario.model_validate(data)
