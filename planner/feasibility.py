"""Pre-solve feasibility checks: each workload on its own, with the rule that blocks it.

These run while the training and inference arrays are prepared (:mod:`planner.prep`),
before any model is built, so the most common mistakes (no region allowed, an SLO no
allowed region meets, a window too short) are reported with
the workload, the rule and the value that would fix them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from planner.figures import Offer
from planner.scenario import InferenceService, Scenario, TrainingJob


def check_job(
    job: TrainingJob,
    allowed: np.ndarray,
    hour_ok: np.ndarray,
    regions: pd.Index,
    offers: dict[tuple[str, str], Offer],
    jurisdiction: pd.Series,
    provider: pd.Series,
    scenario: Scenario,
    left_out: Sequence[str] = (),
) -> list[str]:
    """Reasons a training job cannot be placed at all, before any solve.

    ``left_out`` describes regions left out for missing data that offer the job's GPU in
    an allowed jurisdiction ("region (figure not published; fix)"): they are named, since
    the data, not the rules, is what keeps the job from them.
    """
    reasons = []
    if not allowed.any() and left_out:
        reasons.append(
            f"training '{job.name}': no candidate region can host {job.gpu}, but "
            f"{_named(left_out)} would have been allowed and were left out for missing data")
    elif not allowed.any():
        offered = sorted(r for (g, r) in offers if g == job.gpu)
        if not offered:
            reasons.append(
                f"training '{job.name}': no region in clouds {scenario.clouds} offers {job.gpu} "
                f"with complete data (price, grid carbon, PUE, water); try another gpu or cloud")
        else:
            where = sorted({str(jurisdiction[r]) for r in offered})
            reasons.append(
                f"training '{job.name}': allowed_jurisdictions {job.allowed_jurisdictions} exclude "
                f"every region offering {job.gpu} (offered in: {', '.join(where)})")
    n_hours = int(round(float(hour_ok.sum())))  # hours the window covers
    # the first start's overhead is unavoidable when starts are modelled
    need = job.gpu_hours + (job.restart_overhead_gpu_hours if job.tracks_runs else 0.0)
    if n_hours * job.max_gpus < need - 1e-9:
        what = (f"{job.gpu_hours:g} GPU-hours" if need == job.gpu_hours else
                f"{job.gpu_hours:g} GPU-hours + one restart overhead of "
                f"{job.restart_overhead_gpu_hours:g}")
        reasons.append(
            f"training '{job.name}': needs {what} but its window has "
            f"{n_hours} h × max_gpus {job.max_gpus:g} = {n_hours * job.max_gpus:g} GPU-hours; "
            f"widen the window or raise max_gpus to ≥ {math.ceil(need / max(n_hours, 1))}")
    if job.tracks_runs and n_hours < job.min_run_hours:
        reasons.append(
            f"training '{job.name}': min_run_hours {job.min_run_hours} is longer than its "
            f"window ({n_hours} h); lower min_run_hours or widen the window")
    least = job.min_run_hours * job.gang_min_gpus  # GPU-hours of the shortest possible run
    if job.tracks_runs and least > need + 1e-9:
        reasons.append(
            f"training '{job.name}': one run of min_run_hours {job.min_run_hours} at "
            f"{job.gang_min_gpus:g} GPU(s) (min_gpus) is {least:g} GPU-hours, more than the "
            f"job's {need:g}; lower min_run_hours or min_gpus")
    return reasons


def check_service(
    s: InferenceService,
    allowed: np.ndarray,
    flow: np.ndarray,
    rtt: xr.DataArray,
    metros: pd.Index,
    regions: pd.Index,
    jurisdiction: pd.Series,
    left_out: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """Reasons a service cannot serve some metro, naming the nearest allowed region.

    ``left_out[metro]`` describes regions left out for missing data that would have
    served that metro's users (GPU offered, jurisdiction, residency and SLO met).
    """
    reasons = []
    left_out = left_out or {}
    if not allowed.any():
        reasons.append(f"inference '{s.name}': no candidate region offers {s.gpu} in the "
                       f"allowed clouds and jurisdictions" + _left_out_note(
                           sorted({x for v in left_out.values() for x in v})))
        return reasons
    for d in s.demand:
        m = metros.get_loc(d.metro)
        if flow[m].any():
            continue
        ok = allowed.copy()
        rule = "allowed_jurisdictions" if s.allowed_jurisdictions else "gpu offers"
        if d.residency is not None:
            ok &= (jurisdiction == d.residency).to_numpy()
            rule = f"residency {d.residency}"
        note = _left_out_note(left_out.get(d.metro, ()))
        if not ok.any():
            reasons.append(f"inference '{s.name}': users in {d.metro} need {rule} but no region "
                           f"there offers {s.gpu}{note}")
            continue
        r = rtt.values[m].copy()
        r[~ok] = np.inf
        best = int(np.argmin(r))
        reasons.append(
            f"inference '{s.name}': users in {d.metro} (with {rule}) cannot be served within "
            f"{s.latency_slo_ms:g} ms — nearest allowed region {regions[best]} is "
            f"{r[best]:.0f} ms away; raise latency_slo_ms to ≥ {math.ceil(r[best])} "
            f"or relax {rule}{note}")
    if allowed.sum() < s.min_regions:
        reasons.append(f"inference '{s.name}': min_regions {s.min_regions} but only "
                       f"{int(allowed.sum())} region(s) can host {s.gpu}" + _left_out_note(
                           sorted({x for v in left_out.values() for x in v})))
    return reasons


def check_failover(
    s: InferenceService,
    allowed: np.ndarray,
    flow: np.ndarray,
    rtt: xr.DataArray,
    metros: pd.Index,
    regions: pd.Index,
    jurisdiction: pd.Series,
) -> list[str]:
    """Metros a service with ``survive_region_loss`` could not serve with one region lost.

    Failover traffic goes to regions the service may run in (``allowed`` and within its SLO
    of some metro, ``flow`` [metro, region]); each metro needs two of them within the
    failover SLO and its residency, else losing the nearer one leaves it unserved.
    """
    if not s.survive_region_loss:
        return []
    hosts = allowed & flow.any(axis=0)
    reasons = []
    for d in s.demand:
        m = metros.get_loc(d.metro)
        ok = hosts.copy()
        if d.residency is not None:
            ok &= (jurisdiction == d.residency).to_numpy()
        r = np.where(ok, rtt.values[m], np.inf)
        within = int((r <= s.failover_slo_ms).sum())
        if within >= 2:
            continue
        second = int(np.argsort(r)[1]) if len(r) > 1 else -1
        if second < 0 or not np.isfinite(r[second]):
            reasons.append(
                f"inference '{s.name}': survive_region_loss needs two regions for users in "
                f"{d.metro}, but only {int(np.isfinite(r).sum())} region(s) may host it for "
                f"them; allow more regions or set survive_region_loss: false")
            continue
        reasons.append(
            f"inference '{s.name}': survive_region_loss — users in {d.metro} have only "
            f"{within} region within the failover SLO of {s.failover_slo_ms:g} ms, so losing "
            f"it leaves them unserved; the next region that may serve them, "
            f"{regions[second]}, is {r[second]:.0f} ms away: set failover_latency_slo_ms to "
            f"≥ {math.ceil(r[second])}")
    return reasons


def _named(left_out: Sequence[str]) -> str:
    return "; ".join(left_out)


def _left_out_note(left_out: Sequence[str]) -> str:
    """A sentence naming regions left out for data that would have served, or nothing."""
    if not left_out:
        return ""
    return (f" — left out for missing data, though it would have served: {_named(left_out)}")
