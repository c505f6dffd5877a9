"""A tiny, hand-checkable catalog for planner tests.

Four regions, one GPU model ``X1`` at 1000 W (1 kW per GPU, no host share), PUE 1.0 unless
stated, so one GPU-hour is exactly 1 kWh and hand arithmetic stays simple.

| region            | jurisdiction  | $/GPU-h | g/kWh | WUE L/kWh | lat, lon    |
|-------------------|---------------|---------|-------|-----------|-------------|
| aws/us-east-1     | United States | 2.0     | 500   | 0.0       | 38.9, -77.4 |
| aws/eu-west-1     | EU            | 2.5     | 300   | 0.0       | 53.3, -6.3  |
| gcp/europe-north1 | EU            | 3.0     | 100   | 1.0       | 60.6, 27.2  |
| azure/japaneast   | Japan         | 1.5     | 450   | 0.0       | 35.7, 139.7 |

Grid water intensity is 0 everywhere; europe-north1 has a CFE share of 0.5.
Embodied carbon of X1: 87.6 kg over 8760 h = 0.01 kg/GPU-h = 1e-5 t/GPU-h.
RTT model: 10 ms + 1 ms per 100 km (so RTT is easy to bound by hand).
Transfer: 0.02 $/GB within a provider, 0.09 $/GB to another, 0.001 kWh/GB.
"""

from __future__ import annotations

import math

import pandas as pd

from connectors.catalog import Catalog
from connectors.schema import validate_table

SRC = "tests/tiny.py (hand-made)"
AS_OF = "2026-01-01"

REGIONS = [
    # provider, region, jurisdiction, country, price, ci, wue, lat, lon
    ("aws", "us-east-1", "United States", "United States", 2.0, 500.0, 0.0, 38.9, -77.4),
    ("aws", "eu-west-1", "EU", "Ireland", 2.5, 300.0, 0.0, 53.3, -6.3),
    ("gcp", "europe-north1", "EU", "Finland", 3.0, 100.0, 1.0, 60.6, 27.2),
    ("azure", "japaneast", "Japan", "Japan", 1.5, 450.0, 0.0, 35.7, 139.7),
]


def tiny_catalog(pue: float = 1.0, quotas: dict[str, float] | None = None,
                 gpus_per_instance: int = 1, spot: dict[str, float] | None = None,
                 multi_node: bool = True) -> Catalog:
    """The table above as a validated Catalog; ``quotas`` maps region id → X1 quota.

    Instances hold ``gpus_per_instance`` X1 GPUs (1 by default, so whole instances are
    whole GPUs and GPU-hour arithmetic stays exact); ``spot`` maps region id → spot
    $/GPU-h; every offer is ``multi_node`` unless told otherwise.
    """
    quotas = quotas or {}
    spot = spot or {}
    regions = pd.DataFrame([
        {"provider": p, "region": r, "display_name": r, "city": r, "country": c,
         "jurisdiction": j, "partition": "commercial",
         "lat_deg": lat, "lon_deg": lon, "coord_source": SRC, "grid_zone": None,
         "grid_zone_source": None, "grid_ci_gco2e_per_kwh": ci,
         "grid_ci_direct_gco2e_per_kwh": ci, "grid_ci_year": 2024, "grid_ci_source": SRC,
         "grid_cfe_fraction": None, "cfe_fraction": 0.5 if p == "gcp" else None,
         "cfe_source": SRC if p == "gcp" else None,
         "pue": pue, "pue_source": SRC, "wue_l_per_kwh": wue, "wue_source": SRC,
         "grid_water_l_per_kwh": 0.0, "grid_water_source": SRC, "water_stress_0_5": None,
         "water_stress_source": None, "in_service": True, "status_note": None, "source": SRC,
         "as_of": AS_OF}
        for p, r, j, c, _price, ci, wue, lat, lon in REGIONS
    ])
    offers = pd.DataFrame([
        {"provider": p, "region": r, "gpu_model": "X1",
         "instance_type": f"{p}-x1.{gpus_per_instance}",
         "gpus_per_instance": gpus_per_instance,
         "usd_per_instance_hour": price * gpus_per_instance, "usd_per_gpu_hour": price,
         "usd_per_instance_hour_spot": spot.get(f"{p}/{r}", math.nan) * gpus_per_instance,
         "usd_per_gpu_hour_spot": spot.get(f"{p}/{r}", math.nan), "multi_node": multi_node,
         "quota_gpus": quotas.get(f"{p}/{r}"), "source": SRC, "as_of": AS_OF}
        for p, r, _j, _c, price, *_ in REGIONS
    ])
    hardware = pd.DataFrame([{
        "gpu_model": "X1", "power_w": 1000.0, "idle_w": 100.0, "power_source": SRC,
        "host_power_w_per_gpu": None, "host_power_source": None,
        "embodied_kgco2e_per_gpu": 87.6, "lifetime_h": 8760.0, "embodied_source": SRC,
        "source": SRC, "as_of": AS_OF}])
    metros = pd.DataFrame([
        {"metro": m, "country": c, "jurisdiction": j, "lat_deg": lat, "lon_deg": lon,
         "source": SRC, "as_of": AS_OF}
        for m, c, j, lat, lon in [
            ("Washington DC", "United States", "United States", 38.9, -77.0),
            ("Dublin", "Ireland", "EU", 53.35, -6.26),
            ("Helsinki", "Finland", "EU", 60.17, 24.94),
            ("Tokyo", "Japan", "Japan", 35.68, 139.69),
        ]
    ])
    latency_model = pd.DataFrame([{"scope": "default", "intercept_ms": 10.0, "ms_per_100km": 1.0,
                                   "source": SRC, "as_of": AS_OF}])
    transfer = pd.DataFrame([
        {"provider": p, "scope": s, "usd_per_gb": usd, "kwh_per_gb": 0.001, "source": SRC,
         "as_of": AS_OF}
        for p in ("aws", "gcp", "azure")
        for s, usd in (("inter_region", 0.02), ("internet", 0.09))
    ])
    empty = {
        "latency": pd.DataFrame(columns=["from_id", "to_id", "rtt_ms", "kind", "source", "as_of"]),
        "grid_profiles": pd.DataFrame(columns=["grid_zone", "month", "hour_utc",
                                               "ci_gco2e_per_kwh", "basis", "year", "source",
                                               "as_of"]),
    }
    tables = {"regions": regions, "gpu_offers": offers, "hardware": hardware, "metros": metros,
              "latency_model": latency_model, "transfer": transfer, **empty}
    checked = {k: validate_table(k, v, origin="tiny") for k, v in tables.items()}
    return Catalog(**checked, origins={k: "tiny" for k in tables})
