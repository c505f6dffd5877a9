"""Training gangs: starts, minimum run length and restart overhead (model block + rounding).

A job with ``min_run_hours > 1`` or ``restart_overhead_gpu_hours > 0`` (hourly horizons only:
representative periods are not consecutive hours, and the scenario refuses these fields
there) gets, over the regions and hours it may run in:

- ``Job-run[job, region, hour] ∈ {0,1}``: the job runs in that region that hour.
  ``Job-run-link``: GPUs ≤ max_gpus · run; ``Job-run-gang``: GPUs ≥ min_gpus · run (a job
  that runs holds at least its smallest gang, so a pause at zero GPUs is a stop).
- ``Job-start[job, region, hour] ∈ [0,1]``: ``Job-start-count`` start ≥ run − run one hour
  earlier (the first hour of the window counts as a start); ``Job-start-any``: Σ starts ≥ 1
  (implied, tightens the relaxation). Continuous: with run binary its
  least feasible value is 0 or 1, and every start costs work, so it takes that value.
- ``Job-min-run``: run at hour t ≥ Σ starts over the last ``min_run_hours`` hours (a run lasts
  at least that long); ``Job-start-late``: no start too close to the end of the window (or
  of the horizon) for a whole run to fit.
- The restart overhead adds ``restart_overhead_gpu_hours`` × Σ starts to the job's work in
  ``Job-completion``: the GPUs that redo it are billed, powered and counted like any other.

Jobs without those fields keep the pure LP (no extra binaries).
"""

from __future__ import annotations

import linopy
import numpy as np
import xarray as xr

from planner.problem import Problem


def tracked_jobs(p: Problem) -> xr.DataArray:
    """[job] True where starts and run lengths are modelled (hourly horizons only)."""
    hourly = p.scenario.horizon.representative is None
    return xr.DataArray([hourly and j.tracks_runs for j in p.scenario.training],
                        coords=[p.jobs], dims=["job"])


def add_gang_block(m: linopy.Model, p: Problem, gpus: linopy.LinearExpression,
                   mask: xr.DataArray) -> linopy.LinearExpression | None:
    """Add the run/start blocks; returns the restart work [job, region] (GPU-hours), or None.

    ``gpus`` is ``Job-gpus`` [job, region, hour] (absent cells filled with 0) and ``mask``
    where it exists. The caller adds the returned work to the job's completion requirement.
    """
    tracked = tracked_jobs(p)
    if not bool(tracked.any()):
        return None
    sc = p.scenario
    run_mask = mask & tracked
    run = m.add_variables(binary=True, coords=[p.jobs, p.regions, p.hours], name="Job-run",
                          mask=run_mask).fillna(0)
    start = m.add_variables(lower=0, upper=1, coords=[p.jobs, p.regions, p.hours],
                            name="Job-start", mask=run_mask).fillna(0)
    max_gpus = p.job_max_gpus
    min_gpus = xr.DataArray([j.gang_min_gpus for j in sc.training], coords=[p.jobs])
    m.add_constraints(gpus - max_gpus * run <= 0, name="Job-run-link", mask=run_mask)
    m.add_constraints(gpus - min_gpus * run >= 0, name="Job-run-gang", mask=run_mask)
    m.add_constraints(start - run + run.shift(hour=1).fillna(0) >= 0, name="Job-start-count",
                      mask=run_mask)
    # implied (a job with work starts somewhere), but the LP relaxation otherwise spreads a
    # fraction of a start over the hours and pays a fraction of the overhead
    m.add_constraints(start.sum(["region", "hour"]) >= 1, name="Job-start-any",
                      mask=tracked & run_mask.any(["region", "hour"]))
    min_run = xr.DataArray([j.min_run_hours for j in sc.training], coords=[p.jobs])
    longest = int(min_run.where(tracked, 1).max())
    if longest > 1:
        recent = start
        for lag in range(1, longest):
            recent = recent + start.shift(hour=lag).fillna(0) * (min_run > lag)
        long_run = tracked & (min_run > 1)
        m.add_constraints(recent - run <= 0, name="Job-min-run",
                          mask=p.job_allowed & p.job_hour_allowed & long_run)
        m.add_constraints(start <= 0, name="Job-start-late",
                          mask=run_mask & long_run & ~_run_fits(p, min_run))
    overhead = xr.DataArray([j.restart_overhead_gpu_hours for j in sc.training],
                            coords=[p.jobs])
    return (start * overhead).sum("hour")


def _run_fits(p: Problem, min_run: xr.DataArray) -> xr.DataArray:
    """[job, hour] True where a run started that hour can last ``min_run`` hours in the window.

    Windows are contiguous, so hour t + min_run − 1 inside the window is enough.
    """
    ok = p.job_hour_allowed.transpose("job", "hour").values
    fits = np.zeros_like(ok)
    for j, length in enumerate(min_run.values.astype(int)):
        n = max(ok.shape[1] - length + 1, 0)  # hours a run of that length can start in
        fits[j, :n] = ok[j, length - 1:]
    return xr.DataArray(fits, coords=p.job_hour_allowed.transpose("job", "hour").coords)


def round_runs(p: Problem, relaxed: xr.DataArray, site: xr.DataArray | None,
               location: xr.DataArray | None, generous: bool) -> xr.DataArray:
    """A choice of ``Job-run`` [job, region, hour] from its LP relaxation.

    Runs where the relaxation runs (≥ 0.5; ``generous``: any), only in the region(s) the job's
    rounded ``Job-site`` / ``Job-location`` allow; then every run shorter than the job's
    ``min_run_hours`` is lengthened to it (forward where the window allows, else backward).
    ``site`` / ``location`` are those blocks' choices as relaxed (NaN where they do not exist).
    """
    cut = 1e-6 if generous else 0.5
    exists = relaxed.notnull()
    run = (relaxed.fillna(0.0) >= cut) & exists
    for other in (site, location):
        if other is not None:
            run = run & xr.where(other.notnull(), other.fillna(0.0) > 0.5, True)
    min_run = np.array([j.min_run_hours for j in p.scenario.training])
    out = run.transpose("job", "region", "hour").values.copy()
    ok = exists.transpose("job", "region", "hour").values
    for j, r in zip(*np.nonzero(out.any(axis=2) & (min_run[:, None] > 1)), strict=True):
        out[j, r] = _lengthen(out[j, r], ok[j, r], int(min_run[j]))
    return xr.DataArray(out.astype(float), coords=run.transpose("job", "region", "hour").coords)


def _lengthen(on: np.ndarray, ok: np.ndarray, length: int) -> np.ndarray:
    """``on`` [hour] with every block of consecutive hours made ≥ ``length`` hours long.

    A short block grows forward through hours where ``ok``, then backward; one that cannot
    reach ``length`` either way is dropped (the re-solve then shows if the rest suffices).
    """
    out = on.copy()
    h = 0
    n = len(out)
    while h < n:
        if not out[h]:
            h += 1
            continue
        end = h
        while end < n and out[end]:
            end += 1
        if end - h < length:
            lo, hi = h, end
            while hi - lo < length and hi < n and ok[hi]:
                hi += 1
            while hi - lo < length and lo > 0 and ok[lo - 1]:
                lo -= 1
            out[lo:hi] = hi - lo >= length
            # rescan a lengthened block: it may now touch the next one
            end = lo if out[lo] else hi
        h = end
    return out


def starts_of(run: xr.DataArray) -> xr.DataArray:
    """Starts [job, region] counted from a solved ``Job-run`` (0/1 per hour)."""
    on = run.fillna(0.0).round()
    return (on - on.shift(hour=1, fill_value=0.0)).clip(min=0.0).sum("hour")
