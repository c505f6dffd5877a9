"""Whole instances: the instance blocks of the model and the rounding of their counts.

Blocks (dimensions in brackets; ``option`` is a GPU model × purchase, see
:mod:`planner.offers`):

- ``Job-instances[job, option, region, hour]`` ∈ ℤ≥0 (continuous with ``--relaxed``):
  instances of the option's instance type running the job; ≤ ⌊max_gpus / GPUs per
  instance⌋, and ≤ 1 on an offer that is not fit for multi-node training.
- ``Job-gpus[job, region, hour]`` = Σ_option instances · GPUs per instance
  (``Job-gpus-link``): the GPUs in use, which the other job blocks refer to.
- ``Job-completion[job]``: Σ instances · GPUs per instance · work per GPU-hour · Δt ≥
  gpu_hours (whole instances may do a little more work than asked).
- ``Job-hardware[job, gpu]`` ∈ {0,1} for jobs listing several GPU models: one model per
  job (``Job-hardware-one``), instances only of it (``Job-hardware-link-<gpu>``).
- ``Service-instances[service, option, region, hour]``, ``Service-gpus`` likewise;
  ``Service-throughput``: Σ instances · GPUs per instance · requests/s per GPU ≥ Σ rps.
- ``Service-commitment[service, option, region]`` ∈ ℤ≥0 for committed options: instances
  bought for the whole horizon (``Service-commitment-cover``: instances in use ≤ it),
  billed every hour whether used or not.
- Cost is per instance-hour (committed options: per committed instance-hour); energy,
  carbon and water per GPU-hour in use.
"""

from __future__ import annotations

from collections.abc import Callable

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from planner.offers import Options
from planner.problem import Problem
from planner.units import G_PER_T

INSTANCE_NAMES = ("Job-instances", "Service-instances", "Service-commitment")

Slack = Callable[..., "linopy.LinearExpression | float"]
GpuUse = dict[str, list[linopy.LinearExpression]]
# Adds the run/start blocks of training jobs over Job-gpus; returns the restart work or None
RunBlock = Callable[[linopy.Model, Problem, linopy.LinearExpression, xr.DataArray],
                   "linopy.LinearExpression | None"]


def job_work(p: Problem, inst: linopy.LinearExpression) -> linopy.LinearExpression:
    """Work done [job, region, hour] in GPU-hours of the job's unit."""
    o = p.job_options
    coef = (o.gpus_per_instance * o.work_per_gpu_hour * p.dt_h).fillna(0.0)
    return (inst * coef).sum("option")


def work_allowance(p: Problem) -> xr.DataArray:
    """[job] the most work (GPU-hours) a job may do: gpu_hours plus one instance-period.

    Whole instances may finish a job with part of their last period to spare; a plan that
    overshoots by more than one instance-period could drop that instance-period. Used as the
    big-M of the links that tighten the LP relaxation (``Job-site-hours``,
    ``Job-hardware-hours``).
    """
    o = p.job_options
    step = (o.gpus_per_instance * o.work_per_gpu_hour).where(o.available).max(
        ["option", "region"]).fillna(0.0)
    return p.job_gpu_hours + step * float(p.dt_h.max())


def _instance_variable(m: linopy.Model, o: Options, coords: list, mask: xr.DataArray,
                       name: str, whole: bool) -> linopy.Variable:
    upper = o.max_instances.where(o.available, 0.0)
    return m.add_variables(lower=0, upper=upper.broadcast_like(mask), coords=coords,
                           name=name, mask=mask, integer=whole)


def _terms(p: Problem, o: Options, inst: linopy.LinearExpression, terms: dict,
           hourly_usd: xr.DataArray) -> None:
    """Cost per instance-hour; energy, carbon and water per GPU-hour in use."""
    dt = p.dt_h
    ci_loc = p.ci_location_gco2e_per_kwh / G_PER_T
    ci_mkt = p.ci_market_gco2e_per_kwh / G_PER_T
    stress = 1.0 + p.water_stress_0_5.fillna(0.0)
    gpi = o.gpus_per_instance
    terms["compute_usd"] += (inst * (hourly_usd.fillna(0.0) * dt)).sum()
    kwh = inst * (gpi * o.facility_kwh_per_gpu_hour * dt).fillna(0.0)
    terms["energy_kwh"] += kwh.sum()
    terms["carbon_location_tco2e"] += (kwh * ci_loc).sum()
    terms["carbon_market_tco2e"] += (kwh * ci_mkt).sum()
    terms["carbon_embodied_tco2e"] += (
        inst * (gpi * o.embodied_tco2e_per_gpu_hour * dt).fillna(0.0)).sum()
    water = inst * (gpi * o.water_m3_per_gpu_hour * dt).fillna(0.0)
    terms["water_m3"] += water.sum()
    terms["water_weighted_m3"] += (water * stress).sum()


def _gpu_use(o: Options, inst: linopy.LinearExpression, gpu_use: GpuUse) -> None:
    """Append, per GPU model, the GPUs in use [region, hour] summed over the workloads."""
    for gpu in sorted(set(o.gpu_of.values())):
        names = o.options_of_gpu(gpu)
        use = (inst.sel(option=names) * o.gpus_per_instance.sel(option=names)).sum(
            [o.dim, "option"])
        gpu_use.setdefault(gpu, []).append(use)


def job_instances(m: linopy.Model, p: Problem, whole: bool, terms: dict, gpu_use: GpuUse,
                  slack: Slack, runs: RunBlock
                  ) -> tuple[linopy.LinearExpression, linopy.LinearExpression | None]:
    """The training instance blocks; returns ``Job-gpus`` [job, region, hour] and the work
    redone after (re)starts [job, region] (GPU-hours) that ``runs`` adds, or None."""
    o = p.job_options
    mask = p.job_allowed & p.job_hour_allowed
    imask = o.available & p.job_hour_allowed
    inst = _instance_variable(m, o, [p.jobs, o.options, p.regions, p.hours], imask,
                              "Job-instances", whole).fillna(0)
    gpus = m.add_variables(lower=0, coords=[p.jobs, p.regions, p.hours], name="Job-gpus",
                           mask=mask).fillna(0)
    m.add_constraints(gpus - (inst * o.gpus_per_instance.fillna(0.0)).sum("option") == 0,
                      name="Job-gpus-link", mask=mask)
    restart_gpu_hours = runs(m, p, gpus, mask)
    done = job_work(p, inst).sum(["region", "hour"])
    if restart_gpu_hours is not None:
        done = done - restart_gpu_hours.sum("region")
    m.add_constraints(done + slack("Job-completion", [p.jobs], p.job_gpu_hours)
                      >= p.job_gpu_hours, name="Job-completion")
    _hardware_choice(m, p, inst)
    _terms(p, o, inst, terms, o.usd_per_instance_hour)
    _gpu_use(o, inst, gpu_use)
    return gpus, restart_gpu_hours


def _hardware_choice(m: linopy.Model, p: Problem, inst: linopy.LinearExpression) -> None:
    """One GPU model per job for jobs that list several."""
    o = p.job_options
    jobs = p.scenario.training
    gpus = sorted(set(o.gpu_of.values()))
    choices = xr.DataArray([[g in j.gpu_choices for g in gpus] for j in jobs],
                           coords=[p.jobs, pd.Index(gpus, name="gpu")])
    several = xr.DataArray([len(j.gpu_choices) > 1 for j in jobs], coords=[p.jobs])
    if not bool(several.any()):
        return
    hw = m.add_variables(binary=True, coords=[p.jobs, choices.indexes["gpu"]],
                         name="Job-hardware", mask=choices & several)
    m.add_constraints(hw.fillna(0).sum("gpu") == 1, name="Job-hardware-one", mask=several)
    for g in gpus:
        names = o.options_of_gpu(g)
        on_g = (inst.sel(option=names) * o.gpus_per_instance.sel(option=names).fillna(0.0)
                ).sum("option")
        on_g_ok = several & choices.sel(gpu=g, drop=True)
        m.add_constraints(on_g - p.job_max_gpus * hw.sel(gpu=g).fillna(0) <= 0,
                          name=f"Job-hardware-link-{g}",
                          mask=on_g_ok & p.job_allowed & p.job_hour_allowed)
        # implied by the link, but it tightens the relaxation: a fractional choice of a GPU
        # model carries only that fraction of the job's work
        work_g = inst.sel(option=names) * (o.gpus_per_instance * o.work_per_gpu_hour
                                           * p.dt_h).sel(option=names).fillna(0.0)
        m.add_constraints(work_g.sum(["option", "region", "hour"])
                          - work_allowance(p) * hw.sel(gpu=g).fillna(0) <= 0,
                          name=f"Job-hardware-hours-{g}", mask=on_g_ok)


def service_instances(m: linopy.Model, p: Problem, s_mask: xr.DataArray,
                      rps: linopy.LinearExpression, whole: bool, terms: dict,
                      gpu_use: GpuUse) -> linopy.LinearExpression:
    """The inference instance blocks; returns ``Service-gpus`` [service, region, hour]."""
    o = p.service_options
    hours = xr.DataArray(np.ones(len(p.hours), bool), coords=[p.hours])
    imask = o.available & s_mask & hours
    inst = _instance_variable(m, o, [p.services, o.options, p.regions, p.hours], imask,
                              "Service-instances", whole).fillna(0)
    sgpus = m.add_variables(lower=0, coords=[p.services, p.regions, p.hours],
                            name="Service-gpus", mask=s_mask & hours).fillna(0)
    gpi = o.gpus_per_instance.fillna(0.0)
    m.add_constraints(sgpus - (inst * gpi).sum("option") == 0, name="Service-gpus-link",
                      mask=s_mask & hours)
    m.add_constraints((inst * (gpi * o.work_per_gpu_hour)).sum("option")
                      - rps.sum("metro") >= 0, name="Service-throughput", mask=s_mask & hours)
    committed = o.committed
    hourly = o.usd_per_instance_hour.where(~committed, 0.0)
    if bool((o.available & committed).any()):
        cmask = o.available & committed & s_mask
        bought = m.add_variables(lower=0, coords=[p.services, o.options, p.regions],
                                 name="Service-commitment", mask=cmask, integer=whole)
        m.add_constraints(inst - bought.fillna(0) <= 0, name="Service-commitment-cover",
                          mask=cmask & hours)
        total_h = float(np.broadcast_to(p.dt_h.values, (len(p.hours),)).sum())
        terms["compute_usd"] += (bought.fillna(0) * (o.usd_per_instance_hour.fillna(0.0)
                                                     * total_h)).sum()
    _terms(p, o, inst, terms, hourly)
    _gpu_use(o, inst, gpu_use)
    return sgpus


# --- rounding ----------------------------------------------------------------------------


def round_instances(p: Problem, values: dict[str, xr.DataArray],
                    choice: dict[str, xr.DataArray]) -> dict[str, xr.DataArray]:
    """Whole instance counts consistent with the rounded binaries in ``choice``.

    ``values`` holds (relaxed) instance counts. Training: the counts in the cells the
    binaries keep open are scaled up to the job's work if closing other cells lost some,
    floored, and the work still missing is added back one instance at a time in the cells
    with the largest fractions (largest remainder), so the job's work is done with the
    fewest extra instance-hours. Services: the counts in open sites rounded up (capacity
    never falls below what the relaxation served); commitments: the peak of those counts.
    """
    out: dict[str, xr.DataArray] = {}
    if "Job-instances" in values:
        out["Job-instances"] = _round_jobs(p, values, choice)
    if "Service-instances" in values:
        v = values["Service-instances"].fillna(0.0)
        if "Service-site" in choice:
            has = values["Service-site"].notnull().any("region")
            v = v * xr.where(has, choice["Service-site"].fillna(0.0), 1.0)
        up = np.ceil(v - 1e-6).clip(min=0.0)
        out["Service-instances"] = up
        if "Service-commitment" in values:
            out["Service-commitment"] = up.max("hour").where(
                values["Service-commitment"].notnull(), 0.0)
    return out


def _open_cells(p: Problem, values: dict[str, xr.DataArray],
                choice: dict[str, xr.DataArray]) -> xr.DataArray:
    """[job, option, region, hour] 1 where the rounded binaries let a job run."""
    o = p.job_options
    has = {k: values[k].notnull() for k in ("Job-site", "Job-hardware", "Job-location")
           if k in choice and k in values}
    ok = xr.ones_like(o.usd_per_instance_hour).fillna(1.0)
    if "Job-site" in has:
        ok = ok * xr.where(has["Job-site"].any("region"), choice["Job-site"].fillna(0.0), 1.0)
    if "Job-hardware" in has:
        hw = choice["Job-hardware"].fillna(0.0)
        gpu_of = xr.DataArray([o.gpu_of[x] for x in o.options], coords=[o.options])
        per_option = hw.sel(gpu=gpu_of)
        ok = ok * xr.where(has["Job-hardware"].any("gpu"), per_option, 1.0)
    if "Job-location" in has:
        ok = ok * xr.where(has["Job-location"].any(["region", "hour"]),
                           choice["Job-location"].fillna(0.0), 1.0)
    return ok


def _round_jobs(p: Problem, values: dict[str, xr.DataArray], choice: dict[str, xr.DataArray]
                ) -> xr.DataArray:
    o = p.job_options
    relaxed = values["Job-instances"]
    v = (relaxed.fillna(0.0) * _open_cells(p, values, choice)).transpose(
        "job", "option", "region", "hour")
    coef = (o.gpus_per_instance * o.work_per_gpu_hour * p.dt_h).fillna(0.0).broadcast_like(
        v).transpose(*v.dims).values
    upper = o.max_instances.where(o.available, 0.0).broadcast_like(v).transpose(
        *v.dims).values
    x = v.values.copy()
    for j, need in enumerate(p.job_gpu_hours.values):
        xj, cj, uj = x[j].ravel(), coef[j].ravel(), upper[j].ravel()
        done = float(xj @ cj)
        if 0 < done < need:
            xj = np.minimum(xj * (need / done), uj)
        base = np.floor(xj + 1e-6)
        frac = np.where(cj > 0, xj - base, 0.0)
        missing = need - float(base @ cj)
        order = np.argsort(-frac, kind="stable")
        added = np.cumsum(cj[order])
        take = order[((added - cj[order]) < missing - 1e-9) & (frac[order] > 1e-9)]
        base[take] += 1.0
        x[j] = base.reshape(x[j].shape)
    return xr.DataArray(x, coords=v.coords, dims=v.dims)
