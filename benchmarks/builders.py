"""Synthetic but realistic benchmark instances built from the real embedded catalog.

A *training fleet*: N training jobs, each on an H100, A100-40GB or A100-80GB (cycling), may
run in every region of the three clouds that offers its GPU, in every hour of the horizon
(hourly grid carbon, so time shifting matters). Regions get GPU quotas that the fleet as
a whole needs about half of, so the cheap and clean regions fill up and the jobs compete
for them (``Region-capacity`` rows couple the jobs; without quotas the LP would split into
independent per-job problems). Optionally a few inference services add latency-masked
``Service-rps`` flows from user metros.

Sizes are chosen by target variable count: each job's GPU has one on-demand offer per
region, so ``Job-instances`` has one column per (job, allowed region, hour), and
N = target / (mean allowed regions per job × hours). Everything is
seeded: the same arguments give the same scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from connectors.catalog import Catalog, load_catalog
from planner.scenario import Scenario, parse_scenario

GPUS = ("H100", "A100-40GB", "A100-80GB")
START = "2027-01-04T00:00Z"
METROS = ("Frankfurt", "London", "New York", "Chicago", "Tokyo", "Singapore", "Dallas",
          "Paris", "Mumbai", "San Francisco")


@dataclass(frozen=True)
class FleetSpec:
    """What one benchmark instance contains (hours in the horizon, counts of workloads)."""

    jobs: int
    hours: int
    services: int = 0
    seed: int = 0


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The embedded catalog (plus any local refresh), loaded once per process."""
    return load_catalog()


@lru_cache(maxsize=4)
def regions_per_gpu(cat_id: int = 0) -> dict[str, int]:
    """How many candidate regions offer each benchmark GPU (the prepared problem's view).

    Prepared from a one-job-per-GPU probe scenario, so regions the planner leaves out for
    missing figures are not counted.
    """
    from planner.problem import prepare

    probe = fleet_scenario(FleetSpec(jobs=len(GPUS), hours=2))
    p = prepare(probe, catalog())
    counts = p.job_allowed.sum("region").values.tolist()
    return {job.gpu: int(n) for job, n in zip(probe.training, counts, strict=True)}


def expected_job_vars(spec: FleetSpec) -> int:
    """``Job-instances`` columns the spec yields: Σ_jobs allowed regions × hours."""
    per_gpu = regions_per_gpu()
    return sum(per_gpu[GPUS[i % len(GPUS)]] for i in range(spec.jobs)) * spec.hours


def spec_for_vars(target_vars: int, hours: int, services: int = 0) -> FleetSpec:
    """The smallest training fleet with at least ``target_vars`` ``Job-instances`` columns."""
    per_gpu = regions_per_gpu()
    mean_regions = sum(per_gpu[g] for g in GPUS) / len(GPUS)
    jobs = max(1, math.ceil(target_vars / (mean_regions * hours)))
    while expected_job_vars(FleetSpec(jobs, hours)) < target_vars:
        jobs += 1
    return FleetSpec(jobs=jobs, hours=hours, services=services)


def fleet_scenario(spec: FleetSpec) -> Scenario:
    """The scenario for ``spec`` (validated like any user scenario)."""
    rng = np.random.default_rng(spec.seed)
    h = spec.hours
    jobs: list[dict[str, Any]] = []
    need_gpus: dict[str, float] = dict.fromkeys(GPUS, 0.0)
    for i in range(spec.jobs):
        gpu = GPUS[i % len(GPUS)]
        max_gpus = float(rng.choice([64, 128, 256, 512]))
        # 20–60 % of the job's full-parallel capacity over the horizon: deadlines bind
        # for some jobs at some prices, never make the instance infeasible.
        gpu_hours = round(float(rng.uniform(0.2, 0.6)) * max_gpus * h, 1)
        need_gpus[gpu] += gpu_hours / h
        jobs.append({"name": f"job-{i:04d}", "gpu": gpu, "gpu_hours": gpu_hours,
                     "max_gpus": max_gpus})
    services: list[dict[str, Any]] = []
    for k in range(spec.services):
        metros = [METROS[(k + j) % len(METROS)] for j in range(6)]
        services.append({
            "name": f"svc-{k:03d}", "gpu": "H100", "requests_per_gpu_s": 2.5,
            "latency_slo_ms": 80, "min_regions": 1,
            "demand": [{"metro": m, "rps": round(float(rng.uniform(20, 300)), 1)}
                       for m in metros],
        })
        need_gpus["H100"] += sum(d["rps"] for d in services[-1]["demand"]) / 2.5
    return parse_scenario({
        "name": f"bench-{spec.jobs}j-{spec.services}s-{h}h",
        "horizon": {"start": START, "hours": h},
        "clouds": ["aws", "gcp", "azure"],
        "objective": {"carbon_price_usd_per_tco2e": 100.0},
        "training": jobs,
        "inference": services,
        "quotas": _quotas(need_gpus, rng) if spec.jobs > len(GPUS) else {},
    }, origin="benchmarks.builders")


def _quotas(need_gpus: dict[str, float], rng: np.random.Generator) -> dict[str, dict[str, float]]:
    """Quotas per (region, GPU): the fleet's mean GPU need × 2 spread over the regions.

    Each region gets a random share (×0.5–1.5 of an even split), rounded up to 8 GPUs.
    """
    offers = catalog().gpu_offers
    quotas: dict[str, dict[str, float]] = {}
    for gpu in GPUS:
        rids = sorted(set(offers.loc[offers["gpu_model"] == gpu, "provider"]
                          + "/" + offers.loc[offers["gpu_model"] == gpu, "region"]))
        if not rids or need_gpus[gpu] <= 0:
            continue
        even = 2.0 * need_gpus[gpu] / len(rids)
        for rid in rids:
            q = 8 * math.ceil(even * float(rng.uniform(0.5, 1.5)) / 8)
            quotas.setdefault(rid, {})[gpu] = float(q)
    return quotas
