"""User-metro → region round-trip time (ms) from the catalog's fitted RTT model.

The model (``latency_model`` scope ``default``) maps great-circle distance to RTT: a
two-segment line fitted by least absolute deviation on measured inter-region medians of
AWS, Azure and GCP, with its error on held-out measured pairs. It is a region-to-region
figure: the user's access network (last mile, Wi-Fi, mobile) is not included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from planner.figures import InputFigure, as_of_text
from planner.geo import great_circle_km, piecewise_rtt_ms

if TYPE_CHECKING:
    from connectors.catalog import Catalog

MODEL_SCOPE = "default"


def _num(value: object) -> float:
    """A float, NaN for an empty cell."""
    return float(value) if pd.notna(value) else math.nan  # type: ignore[arg-type]


@dataclass(frozen=True)
class RttModel:
    """The RTT model the planner uses, with its held-out error and provenance."""

    intercept_ms: float
    ms_per_100km: float
    knot_km: float  # NaN: one straight line
    ms_per_100km_beyond_knot: float
    heldout_median_abs_err_ms: float  # NaN where the catalog has no held-out score
    heldout_p90_abs_err_ms: float
    heldout_pairs: float
    fit_method: str
    source: str
    as_of: str

    def rtt_ms(self, km: np.ndarray) -> np.ndarray:
        """Modelled RTT (ms) at great-circle distances ``km``."""
        return piecewise_rtt_ms(km, self.intercept_ms, self.ms_per_100km, self.knot_km,
                                self.ms_per_100km_beyond_knot)

    def formula(self) -> str:
        """The model as text, e.g. '1.9 ms + 2.38 ms/100 km to 1000 km, then 1.5 ms/100 km'."""
        if math.isnan(self.knot_km):
            return f"{self.intercept_ms:g} ms + {self.ms_per_100km:g} ms/100 km"
        return (f"{self.intercept_ms:g} ms + {self.ms_per_100km:g} ms/100 km up to "
                f"{self.knot_km:g} km, then {self.ms_per_100km_beyond_knot:g} ms/100 km")

    def input_figures(self) -> list[InputFigure]:
        """The model and its held-out error as plan.json ``inputs`` records."""
        key = "user metro → region"
        as_of = as_of_text(self.as_of)
        figures = [InputFigure("rtt_model", key, self.formula(), "ms",
                               f"{self.fit_method}: {self.source}", as_of)]
        if not math.isnan(self.heldout_median_abs_err_ms):
            src = (f"|modelled − measured| RTT over {self.heldout_pairs:g} measured "
                   "inter-region pairs held out of the fit (latency_model.csv)")
            figures += [
                InputFigure("rtt_model_heldout_median_abs_err_ms", key,
                            self.heldout_median_abs_err_ms, "ms", src, as_of),
                InputFigure("rtt_model_heldout_p90_abs_err_ms", key,
                            self.heldout_p90_abs_err_ms, "ms", src, as_of)]
        return figures


def rtt_model(catalog: Catalog) -> RttModel:
    """The catalog's ``default`` RTT model (older catalogs: a straight line, no score)."""
    table = catalog.latency_model.set_index("scope")
    if MODEL_SCOPE not in table.index:
        raise KeyError(f"latency_model has no '{MODEL_SCOPE}' row")
    row = table.loc[MODEL_SCOPE]
    knot = _num(row.get("knot_km"))
    method = row.get("fit_method")
    return RttModel(
        intercept_ms=float(row["intercept_ms"]), ms_per_100km=float(row["ms_per_100km"]),
        knot_km=knot, ms_per_100km_beyond_knot=_num(row.get("ms_per_100km_beyond_knot")),
        heldout_median_abs_err_ms=_num(row.get("heldout_median_abs_err_ms")),
        heldout_p90_abs_err_ms=_num(row.get("heldout_p90_abs_err_ms")),
        heldout_pairs=_num(row.get("heldout_pairs")),
        fit_method=str(method) if pd.notna(method) else "fit method not stated",
        source=str(row["source"]), as_of=str(row["as_of"]),
    )  # fmt: skip


def user_rtt_ms(catalog: Catalog, metros: Sequence[str], regions: pd.DataFrame) -> xr.DataArray:
    """Modelled RTT (ms) from each of ``metros`` to each region, DataArray [metro, region].

    ``regions`` has columns ``id``, ``lat_deg``, ``lon_deg`` (one row per region, in
    order). A region without coordinates gets NaN (no RTT, so no SLO can be met there).
    """
    table = catalog.metros.set_index("metro")
    names = list(metros)
    m_lat = table.loc[names, "lat_deg"].to_numpy(float) if names else np.zeros(0)
    m_lon = table.loc[names, "lon_deg"].to_numpy(float) if names else np.zeros(0)
    km = great_circle_km(m_lat[:, None], m_lon[:, None],
                         regions["lat_deg"].to_numpy(float)[None, :],
                         regions["lon_deg"].to_numpy(float)[None, :])
    rtt = rtt_model(catalog).rtt_ms(km)
    return xr.DataArray(rtt, coords=[pd.Index(names, name="metro"),
                                     pd.Index(regions["id"].tolist(), name="region")])
