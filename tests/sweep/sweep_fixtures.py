"""Small sweep fixtures on the tiny catalog (tests/tiny.py): solves take milliseconds."""

from __future__ import annotations

import pandas as pd

from planner.scenario import Scenario
from planner.sweep.tasks import TIMING_COLUMNS


def tiny_scenario(hours: int = 12) -> Scenario:
    """A single-region training job and a two-region service on the tiny catalog.

    The job (200 GPU-h of X1) goes to the cheapest allowed region at a low carbon price
    (azure/japaneast, 1.5 $/GPU-h, 450 g/kWh) and moves to gcp/europe-north1 (3.0 $/GPU-h,
    100 g/kWh) once carbon costs more than (3.0 − 1.5) $ / 0.35 kg ≈ 4 286 $/tCO2e.
    """
    return Scenario.model_validate({
        "name": "tiny-sweep",
        "horizon": {"start": "2027-01-04T00:00Z", "hours": hours},
        "training": [{"name": "job", "gpu": "X1", "gpu_hours": 200, "max_gpus": 20,
                      "single_region": True}],
        "inference": [{"name": "svc", "gpu": "X1", "requests_per_gpu_s": 10,
                       "latency_slo_ms": 60, "min_regions": 2,
                       "demand": [{"metro": "Dublin", "rps": 30},
                                  {"metro": "Helsinki", "rps": 20}]}],
    })


def deterministic(df: pd.DataFrame) -> pd.DataFrame:
    """Result rows without the columns that vary run to run (timings, worker)."""
    return df.drop(columns=list(TIMING_COLUMNS)).sort_values("point_id", ignore_index=True)
