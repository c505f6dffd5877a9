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
