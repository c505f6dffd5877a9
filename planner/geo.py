"""Great-circle distance and round-trip-time estimates."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from planner.units import EARTH_RADIUS_KM

FloatArray = npt.NDArray[np.float64]


def great_circle_km(
    lat1_deg: FloatArray | float,
    lon1_deg: FloatArray | float,
    lat2_deg: FloatArray | float,
    lon2_deg: FloatArray | float,
) -> FloatArray:
    """Haversine distance in km (broadcasts over arrays)."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(x, dtype=float)) for x in
                              (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def modelled_rtt_ms(km: FloatArray | float, intercept_ms: float, ms_per_100km: float) -> FloatArray:
    """RTT ≈ intercept_ms + ms_per_100km · km/100 (a linear fit on measured matrices)."""
    return np.asarray(intercept_ms + ms_per_100km * np.asarray(km, dtype=float) / 100.0)


def piecewise_rtt_ms(
    km: FloatArray | float,
    intercept_ms: float,
    ms_per_100km: float,
    knot_km: float,
    ms_per_100km_beyond_knot: float,
) -> FloatArray:
    """Two-segment RTT (ms) from great-circle distance (km).

    RTT = intercept_ms + ms_per_100km · min(km, knot_km)/100
          + ms_per_100km_beyond_knot · max(km − knot_km, 0)/100.
    The segments meet at ``knot_km`` (continuous); a NaN knot means one straight line.
    """
    d = np.asarray(km, dtype=float)
    if np.isnan(knot_km):
        return modelled_rtt_ms(d, intercept_ms, ms_per_100km)
    near = np.minimum(d, knot_km)
    far = np.maximum(d - knot_km, 0.0)
    return np.asarray(intercept_ms + (ms_per_100km * near + ms_per_100km_beyond_knot * far) / 100.0)
