"""Whole instances: the instance blocks of the model and the rounding of their counts.

Blocks (dimensions in brackets; ``option`` is a GPU model × purchase, see
:mod:`planner.offers`):

- ``Job-instances[job, option, region, hour]`` ∈ ℤ≥0 (continuous with ``--relaxed``):
  instances of the option's instance type running the job; ≤ ⌊max_gpus / GPUs per
  instance⌋, and ≤ 1 on an offer that is not fit for multi-node training.
- GPUs in use [job, region, hour] = Σ_option instances · GPUs per instance: an expression
  over ``Job-instances`` (no column of its own), which the other job blocks refer to.
- ``Job-completion[job]``: Σ instances · GPUs per instance · work per GPU-hour · Δt ≥
  gpu_hours (whole instances may do a little more work than asked).
- ``Job-hardware[job, gpu]`` ∈ {0,1} for jobs listing several GPU models: one model per
  job (``Job-hardware-one``), instances only of it (``Job-hardware-link-<gpu>``).
- ``Service-instances[service, option, region, hour]``, and their GPUs likewise;
  ``Service-throughput``: Σ instances · GPUs per instance · requests/s per GPU ≥ Σ rps.
- ``Service-commitment[service, option, region]`` ∈ ℤ≥0 for committed options: instances
  bought for the whole horizon (``Service-commitment-cover``: instances in use ≤ it),
  billed every hour whether used or not.
- Cost is per instance-hour (committed options: per committed instance-hour); energy,
  carbon and water per GPU-hour in use.
- ``Service-instances-daily``: month × hour plans keep one daily profile per month on
  providers whose autoscaling cannot name a month (Azure), so the plan is what deploys.
- ``Job-instances-floor[job]`` and ``Service-instances-floor[service, hour]`` (whole
  instances only): the fewest whole instances that can do the work or carry the demand,
  see :func:`instance_floors`.
"""

from __future__ import annotations

from collections.abc import Callable

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from planner.offers import Options
from planner.problem import Problem
from planner.terms import Terms
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


def _terms(p: Problem, o: Options, inst: linopy.Variable, terms: Terms,
           hourly_usd: xr.DataArray) -> None:
    """Cost per instance-hour; energy, carbon and water per GPU-hour in use."""
    dt = p.dt_h
    ci_loc = p.ci_location_gco2e_per_kwh / G_PER_T
    ci_mkt = p.ci_market_gco2e_per_kwh / G_PER_T
    stress = 1.0 + p.water_stress_0_5.fillna(0.0)
    gpi = o.gpus_per_instance
    terms.add("compute_usd", inst, hourly_usd.fillna(0.0) * dt)
    kwh = (gpi * o.facility_kwh_per_gpu_hour * dt).fillna(0.0)
    terms.add("energy_kwh", inst, kwh)
    terms.add("carbon_location_tco2e", inst, kwh * ci_loc)
    terms.add("carbon_market_tco2e", inst, kwh * ci_mkt)
    terms.add("carbon_embodied_tco2e", inst, gpi * o.embodied_tco2e_per_gpu_hour * dt)
    water = (gpi * o.water_m3_per_gpu_hour * dt).fillna(0.0)
    terms.add("water_m3", inst, water)
    terms.add("water_weighted_m3", inst, water * stress)


def _gpu_use(o: Options, inst: linopy.LinearExpression, gpu_use: GpuUse) -> None:
    """Append, per GPU model, the GPUs in use [region, hour] summed over the workloads."""
    for gpu in sorted(set(o.gpu_of.values())):
        names = o.options_of_gpu(gpu)
        use = (inst.sel(option=names) * o.gpus_per_instance.sel(option=names)).sum(
            [o.dim, "option"])
        gpu_use.setdefault(gpu, []).append(use)


def job_instances(m: linopy.Model, p: Problem, whole: bool, terms: Terms, gpu_use: GpuUse,
                  slack: Slack, runs: RunBlock
                  ) -> tuple[linopy.LinearExpression, linopy.LinearExpression | None]:
    """The training instance blocks; returns the GPUs in use [job, region, hour] and the work
    redone after (re)starts [job, region] (GPU-hours) that ``runs`` adds, or None."""
    o = p.job_options
    mask = p.job_allowed & p.job_hour_allowed
    imask = o.available & p.job_hour_allowed
    inst_var = _instance_variable(m, o, [p.jobs, o.options, p.regions, p.hours], imask,
                                  "Job-instances", whole)
    inst = inst_var.fillna(0)
    gpus = (inst * o.gpus_per_instance.fillna(0.0)).sum("option")
    restart_gpu_hours = runs(m, p, gpus, mask)
    done = job_work(p, inst).sum(["region", "hour"])
    if restart_gpu_hours is not None:
        done = done - restart_gpu_hours.sum("region")
    m.add_constraints(done + slack("Job-completion", [p.jobs], p.job_gpu_hours)
                      >= p.job_gpu_hours, name="Job-completion")
    _hardware_choice(m, p, inst)
    _terms(p, o, inst_var, terms, o.usd_per_instance_hour)
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
                      rps: linopy.LinearExpression, whole: bool, terms: Terms,
                      gpu_use: GpuUse) -> linopy.LinearExpression:
    """The inference instance blocks; returns the GPUs in use [service, region, hour]."""
    o = p.service_options
    hours = xr.DataArray(np.ones(len(p.hours), bool), coords=[p.hours])
    imask = o.available & s_mask & hours
    inst_var = _instance_variable(m, o, [p.services, o.options, p.regions, p.hours], imask,
                                  "Service-instances", whole)
    inst = inst_var.fillna(0)
    gpi = o.gpus_per_instance.fillna(0.0)
    sgpus = (inst * gpi).sum("option")
    m.add_constraints((inst * (gpi * o.work_per_gpu_hour)).sum("option")
                      - rps.sum("metro") >= 0, name="Service-throughput", mask=s_mask & hours)
    _one_day_every_month(m, p, inst, imask)
    committed = o.committed
    hourly = o.usd_per_instance_hour.where(~committed, 0.0)
    if bool((o.available & committed).any()):
        cmask = o.available & committed & s_mask
        bought = m.add_variables(lower=0, coords=[p.services, o.options, p.regions],
                                 name="Service-commitment", mask=cmask, integer=whole)
        m.add_constraints(inst - bought.fillna(0) <= 0, name="Service-commitment-cover",
                          mask=cmask & hours)
        total_h = float(np.broadcast_to(p.dt_h.values, (len(p.hours),)).sum())
        terms.add("compute_usd", bought, o.usd_per_instance_hour * total_h)
    _terms(p, o, inst_var, terms, hourly)
    _gpu_use(o, inst, gpu_use)
    return sgpus


# Providers whose scheduled scaling repeats by week day and time but cannot name a month
# (Azure autoscale recurrence profiles): a month × hour plan deploys there only if each hour
# of the day runs the same fleet in every month.
NO_MONTH_SCHEDULES = ("azure",)
HOURS_PER_DAY = 24


def _one_day_every_month(m: linopy.Model, p: Problem, inst: linopy.LinearExpression,
                         imask: xr.DataArray) -> None:
    """``Service-instances-daily``: in month × hour plans, the instances of an Azure region
    at an hour of the day are the same in every month (what its autoscale can deploy)."""
    if p.scenario.horizon.representative != "month-hour":
        return
    fixed_day = xr.DataArray([r.split("/", 1)[0] in NO_MONTH_SCHEDULES for r in p.regions],
                             coords=[p.regions])
    if not bool(fixed_day.any()):
        return
    later = xr.DataArray(np.arange(len(p.hours)) >= HOURS_PER_DAY, coords=[p.hours])
    mask = imask & fixed_day & later & imask.shift(hour=HOURS_PER_DAY, fill_value=False)
    # the mask keeps only cells whose day-earlier cell exists, so its fill never counts
    m.add_constraints(inst - inst.shift(hour=HOURS_PER_DAY).fillna(0) == 0,
                      name="Service-instances-daily", mask=mask)


def instance_floors(m: linopy.Model, p: Problem) -> None:
    """Valid inequalities that make the LP relaxation see whole instances.

    Chvátal–Gomory cuts of the completion and throughput rows: with ``c_max`` the most one
    instance can do (work per instance-period for a job, requests/s per instance for a
    service), any whole-instance plan runs at least ⌈need / c_max⌉ instance-periods of the
    job, and at least ⌈demand(hour) / c_max⌉ instances of the service in every hour. No
    whole-instance plan is cut off, but the relaxation can no longer carry a service on 45.5
    instances when 46 are needed, which is most of the gap between the relaxation and the
    rounded plan (so the rounded plan's gap is proven without branch and bound). Only for
    whole instances without elastic slack (both would make the cut invalid).
    """
    if len(p.jobs):
        o = p.job_options
        ok = o.available & p.job_hour_allowed
        per_period = (o.gpus_per_instance * o.work_per_gpu_hour * p.dt_h).where(ok)
        c_max = per_period.max(["option", "region", "hour"])
        need = np.ceil(p.job_gpu_hours / c_max - 1e-9)
        inst = m.variables["Job-instances"].fillna(0)
        m.add_constraints(inst.sum(["option", "region", "hour"]) >= need.fillna(0.0),
                          name="Job-instances-floor", mask=(need > 0) & c_max.notnull())
    if len(p.services):
        member, need = _service_floor_sets(p)
        if member is not None:
            inst = m.variables["Service-instances"].fillna(0).sum("option")
            m.add_constraints((inst * member).sum(["service", "region"]) >= need,
                              name="Service-instances-floor", mask=need > 0)


def _service_floor_sets(p: Problem) -> tuple[xr.DataArray | None, xr.DataArray]:
    """The region sets of the service floors: [cut, service, region] membership (0/1) and
    [cut, hour] the fewest instances in them (see :func:`_service_load_sets`): each set
    runs at least ⌈its load / the most requests/s one instance in it carries⌉ instances.
    """
    o = p.service_options
    per_instance = (o.gpus_per_instance * o.work_per_gpu_hour).where(o.available).max("option")
    cap = per_instance.transpose("service", "region").values
    rows = [(s, inside, np.ceil(load / float(np.nanmax(cap[s][inside])) - 1e-9))
            for s, inside, load in _service_load_sets(p)]
    if not rows:
        return None, xr.DataArray(np.zeros((0, len(p.hours))))
    cuts = pd.RangeIndex(len(rows), name="cut")
    member = np.zeros((len(rows), len(p.services), len(p.regions)))
    need = np.zeros((len(rows), len(p.hours)))
    for k, (s, inside, n) in enumerate(rows):
        member[k, s] = inside
        need[k] = n
    return (xr.DataArray(member, coords=[cuts, p.services, p.regions]),
            xr.DataArray(need, coords=[cuts, p.hours]))


def _service_load_sets(p: Problem) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(service, regions [region] bool, requests/s they must carry [hour]) for the region
    sets every whole-instance plan must staff.

    One per service and distinct set R of regions some metro may be served from: every
    metro whose regions all lie in R must be served from R (for example, the EU regions
    for EU-resident traffic, which the sum over all regions cannot see), and one over all
    the service's regions. A service that must survive the loss of a region also gets,
    for every set R of its failover routes and every region L in it, R without L: the
    regions left when L is lost carry that demand on their own. Smaller sets first.
    """
    o = p.service_options
    offered = (o.gpus_per_instance * o.work_per_gpu_hour).where(o.available).max(
        "option").notnull()
    demand = p.demand_rps.transpose("service", "metro", "hour")
    survive = [sv.survive_region_loss for sv in p.scenario.inference]
    rows: list[tuple[int, np.ndarray, np.ndarray]] = []
    for s in range(len(p.services)):
        reach = (p.flow_allowed & offered).transpose("service", "metro", "region").values[s]
        rows += [(s, inside, load) for inside, load in
                 _load_rows(reach, demand.values[s], lose_one=False)]
        if survive[s] and p.failover_allowed is not None:
            reach = (p.failover_allowed & offered).transpose(
                "service", "metro", "region").values[s]
            rows += [(s, inside, load) for inside, load in
                     _load_rows(reach, demand.values[s], lose_one=True)]
    return sorted(rows, key=lambda row: (row[0], int(row[1].sum())))


def _load_rows(reach: np.ndarray, demand: np.ndarray, lose_one: bool
               ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(regions [region] bool, load [hour] rps) for each distinct reach set of the metros
    with demand, and their union; ``lose_one``: each set without each of its regions in
    turn. ``reach`` [metro, region] (regions offering the service), ``demand``
    [metro, hour] rps."""
    active = demand.sum(axis=1) > 0
    sets = {tuple(np.flatnonzero(reach[mi])) for mi in np.flatnonzero(active)}
    sets.add(tuple(np.flatnonzero(reach[active].any(axis=0))))
    out = []
    for regions in sorted(sets):
        if not regions:
            continue
        inside = np.zeros(reach.shape[1], bool)
        inside[list(regions)] = True
        served = active & ~(reach & ~inside).any(axis=1)
        load = demand[served].sum(axis=0)
        for lost in (regions if lose_one else (None,)):
            left = inside.copy()
            if lost is not None:
                left[lost] = False
            if left.any():
                out.append((left, load))
    return out


# --- rounding -------------------------------------------------------------------------


def _quota_room(p: Problem, services: xr.DataArray | None) -> tuple[np.ndarray, np.ndarray]:
    """For the job cells [job, option, region, hour]: ``quota_at`` [option, region, hour]
    the flat index of each cell's (GPU model, region, hour) and ``quota_room`` the GPUs of
    each model left under the region's quota once the rounded services run (inf where
    there is no quota)."""
    at, room0, service_gpus = p.memo("round-quota", lambda: _quota_cells(p))
    room = room0.copy()
    if services is not None:
        for g, names, gpi in service_gpus:
            use = (services.sel(option=names) * gpi).sum(["service", "option"])
            room[g] -= use.transpose("region", "hour").values
    return at, np.append(room.ravel(), np.inf)  # the last slot: models with no quota row


def _quota_cells(p: Problem) -> tuple[np.ndarray, np.ndarray, list]:
    """What :func:`_quota_room` reads on every call: each job cell's flat index, the quota
    [gpu, region, hour], and per GPU model the service options of it with their GPUs per
    instance."""
    o = p.job_options
    gpus = list(p.quota_gpus.indexes["gpu"])
    n_r, n_h = len(p.regions), len(p.hours)
    quota = p.quota_gpus.transpose("gpu", "region").fillna(np.inf).values.astype(float)
    room = np.repeat(quota[:, :, None], n_h, axis=2)
    so = p.service_options
    service_gpus = []
    for g, gpu in enumerate(gpus):
        names = so.options_of_gpu(gpu) if so is not None and gpu in so.gpu_of.values() else []
        if names:
            service_gpus.append((g, names, so.gpus_per_instance.sel(option=names).fillna(0.0)))
    g_of = np.array([gpus.index(o.gpu_of[n]) if o.gpu_of[n] in gpus else -1
                     for n in o.options])
    at = (g_of[:, None, None] * n_r * n_h + np.arange(n_r)[None, :, None] * n_h
          + np.arange(n_h)[None, None, :])
    at = np.where(g_of[:, None, None] >= 0, at, room.size)
    return at, room, service_gpus


def round_instances(p: Problem, values: dict[str, xr.DataArray],
                    choice: dict[str, xr.DataArray], compact: bool = False
                    ) -> dict[str, xr.DataArray]:
    """Whole instance counts consistent with the rounded binaries in ``choice``.

    ``values`` holds relaxed instance counts solved with the binaries fixed at ``choice``
    (so a service may keep failover capacity in a region it sends no traffic to).
    Training: the counts in the cells the
    binaries keep open are scaled up to the job's work if closing other cells lost some,
    floored, and the work still missing is added back one instance at a time in the cells
    with the largest fractions (largest remainder), so the job's work is done with the
    fewest extra instance-hours, never above the job's ``max_gpus`` in an hour nor a
    region's GPU quota left by the services and the other jobs. Services (first): the
    counts in open sites rounded up (capacity never falls below what the relaxation
    served), or with ``compact`` only as many rounded up as the demand needs
    (:func:`_compact_services`); commitments: the peak of those counts.
    """
    out: dict[str, xr.DataArray] = {}
    if "Service-instances" in values:
        v = values["Service-instances"].fillna(0.0)
        up = _compact_services(p, v) if compact else np.ceil(v - 1e-6).clip(min=0.0)
        out["Service-instances"] = up
        if "Service-commitment" in values:
            out["Service-commitment"] = up.max("hour").where(
                values["Service-commitment"].notnull(), 0.0)
    if "Job-instances" in values:
        out["Job-instances"] = _round_jobs(p, values, choice, out.get("Service-instances"))
    return out


def _compact_services(p: Problem, v: xr.DataArray) -> xr.DataArray:
    """Relaxed service counts ``v`` [service, option, region, hour] floored, then rounded
    up one cell at a time (largest fraction first) only where a region set of
    :func:`_service_load_sets` would otherwise carry less than its load, or a deployed
    region would run fewer GPUs than its warm floor.

    Rounding every cell up costs up to one instance per cell: a relaxation that spreads
    9 instances as 1.18 + 7.82 over two regions pays for 10. Here it pays for 9 where the
    set both serve needs 9. The sets are necessary conditions only, so the plan is still
    checked by the LP with these counts fixed (callers fall back to rounding every cell
    up when it is infeasible).
    """
    o = p.service_options
    x = v.transpose("service", "option", "region", "hour").values
    base = np.floor(x + 1e-6).clip(min=0.0)
    frac = np.where(x - base > 1e-6, x - base, -np.inf)  # -inf: cannot round up
    per, gpi, load_sets = p.memo("compact-services", lambda: (
        (o.gpus_per_instance * o.work_per_gpu_hour).where(o.available).fillna(0.0)
        .transpose("service", "option", "region").values,  # [s, o, r] rps/instance
        o.gpus_per_instance.fillna(0.0).transpose("service", "option", "region").values,
        _service_load_sets(p)))

    def raise_where(s: int, cells: np.ndarray, short: np.ndarray) -> bool:
        """Round up, in each hour that is ``short``, the largest fraction among ``cells``
        [option, region]; False when no hour had one left."""
        f = np.where(cells[:, :, None] & short[None, None, :], frac[s], -np.inf)
        flat = f.reshape(-1, f.shape[2])
        best = flat.argmax(axis=0)
        hours = np.flatnonzero(np.isfinite(flat[best, np.arange(flat.shape[1])]))
        if not len(hours):
            return False
        oi, ri = np.unravel_index(best[hours], f.shape[:2])
        base[s, oi, ri, hours] += 1.0
        frac[s, oi, ri, hours] = -np.inf
        return True

    for s, inside, load in load_sets:
        cells = np.broadcast_to(inside[None, :], per[s].shape)
        while raise_where(s, cells, (base[s] * per[s][:, :, None])[:, inside].sum(axis=(0, 1))
                          < load * (1 - 1e-9)):
            pass
    warm = [sv.warm_gpus_per_region for sv in p.scenario.inference]
    for s in range(len(p.services)):
        deployed = (x[s] > 1e-6).any(axis=(0, 2))  # [region]
        for r in np.flatnonzero(deployed):
            cells = np.zeros(per[s].shape, bool)
            cells[:, r] = True
            while raise_where(s, cells, (base[s, :, r] * gpi[s, :, r][:, None]).sum(axis=0)
                              < warm[s] - 1e-9):
                pass
    return v.transpose("service", "option", "region", "hour").copy(data=base).transpose(
        *v.dims)


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


def _floor_job(x: np.ndarray, coef: np.ndarray, upper: np.ndarray, need: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """One job's relaxed counts (flat), scaled up to its work if closed cells lost some,
    and their floors."""
    xj, cj, uj = x.ravel(), coef.ravel(), upper.ravel()
    done = float(xj @ cj)
    if 0 < done < need:
        xj = np.minimum(xj * (need / done), uj)
    return xj, np.floor(xj + 1e-6)


def _add_back(xj: np.ndarray, base: np.ndarray, coef: np.ndarray, upper: np.ndarray,
              gpi: np.ndarray, usd: np.ndarray, need: float, max_gpus: float,
              quota_at: np.ndarray, quota_room: np.ndarray, n_hours: int) -> np.ndarray:
    """Add whole instances to a job's floors (flat) until its work is done.

    Only in an hour with room for the instance's GPUs under ``max_gpus`` and where its
    region's quota has room (``quota_room`` at ``quota_at``, updated in place so the next
    job sees what this one took). First the cells with the largest fractions, then where
    the relaxation ran the job (largest instances first), then anywhere else the job may
    run, cheapest work first (``usd`` [option, region, hour] $ per instance-hour).
    """
    cj, uj, gj, qk = coef.ravel(), upper.ravel(), gpi.ravel(), quota_at.ravel()
    usd_per_work = np.where(cj > 0, usd.ravel() / np.where(cj > 0, cj, 1.0), np.inf)
    hour_of = np.arange(len(base)) % n_hours
    room = max_gpus - np.bincount(hour_of, weights=base * gj, minlength=n_hours)
    frac = np.where(cj > 0, xj - base, 0.0)
    missing = need - float(base @ cj)
    used = np.flatnonzero((xj > 1e-9) & (cj > 0))
    other = np.flatnonzero((xj <= 1e-9) & (cj > 0))
    order = np.concatenate([np.argsort(-frac, kind="stable")[:int((frac > 1e-9).sum())],
                            used[np.argsort(-cj[used], kind="stable")],
                            other[np.argsort(usd_per_work[other], kind="stable")]])
    for k in order:
        if missing <= 1e-9:
            break
        if (room[hour_of[k]] + 1e-9 >= gj[k] and quota_room[qk[k]] + 1e-9 >= gj[k]
                and base[k] + 1.0 <= uj[k] + 1e-9):
            base[k] += 1.0
            room[hour_of[k]] -= gj[k]
            quota_room[qk[k]] -= gj[k]
            missing -= cj[k]
    return base


def _round_jobs(p: Problem, values: dict[str, xr.DataArray], choice: dict[str, xr.DataArray],
                services: xr.DataArray | None) -> xr.DataArray:
    o = p.job_options
    relaxed = values["Job-instances"]
    v = (relaxed.fillna(0.0) * _open_cells(p, values, choice)).transpose(
        "job", "option", "region", "hour")
    coef, upper, gpi, usd = p.memo("round-job-cells", lambda: tuple(
        a.broadcast_like(v).transpose(*v.dims).values for a in (
            (o.gpus_per_instance * o.work_per_gpu_hour * p.dt_h).fillna(0.0),
            o.max_instances.where(o.available, 0.0), o.gpus_per_instance.fillna(0.0),
            o.usd_per_instance_hour.fillna(np.inf))))
    quota_at, quota_room = _quota_room(p, services)
    x = v.values.copy()
    needs = p.job_gpu_hours.values.astype(float)
    floors = [_floor_job(x[j], coef[j], upper[j], needs[j]) for j in range(len(needs))]
    for j, (_, base) in enumerate(floors):  # every job's floors first, then the add-backs
        np.subtract.at(quota_room, quota_at.ravel(), base * gpi[j].ravel())
    for j, (xj, base) in enumerate(floors):
        x[j] = _add_back(xj, base, coef[j], upper[j], gpi[j], usd[j], needs[j],
                         float(p.job_max_gpus.values[j]), quota_at, quota_room,
                         len(p.hours)).reshape(x[j].shape)
    return xr.DataArray(x, coords=v.coords, dims=v.dims)
