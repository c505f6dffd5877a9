"""Build: a Problem → a linopy model in named, vectorized blocks.

Naming grammar for variables, constraints and objective terms:
``Entity-quantity[-qualifier]`` with Entity in {Job, Service, Region, Budget}
(checked by a test). One call per concept; masks, never loops over variables.

Blocks (dimensions in brackets):

- ``Job-gpus[job, region, hour] ≥ 0``: GPUs running a training job (only where the job's
  GPU is offered, its jurisdictions allow, and inside its window).
- ``Job-completion[job]``: Σ gpus · Δt = gpu_hours (+ restart overhead × starts).
- ``Job-run``, ``Job-start`` for jobs with a minimum run length or a restart overhead: see
  :mod:`planner.gang`.
- ``Job-parallelism[job, hour]``: Σ_region gpus ≤ max_gpus.
- ``Job-site[job, region] ∈ {0,1}`` for jobs that are single-region or carry data:
  ``Job-site-link`` gpus ≤ max_gpus · site; ``Job-single-region`` Σ site = 1; a site away
  from the data's home pays one copy of the data (egress $, transfer kWh).
- ``Job-location[job, region, hour] ∈ {0,1}`` for migrating jobs (checkpoint_gb > 0, not
  single-region): the checkpoint is in one region each hour (``Job-location-one``), GPUs run
  only there (``Job-location-link``), and ``Job-moves`` ≥ location − previous location
  counts the moves, each paying a checkpoint copy ($, kWh, carbon).
- ``Service-rps[service, metro, region, hour] ≥ 0``: only where RTT ≤ SLO and residency
  allows; ``Service-demand`` Σ_region rps = demand.
- ``Service-gpus[service, region, hour] ≥ 0``; ``Service-throughput`` gpus · rps_per_gpu ≥
  Σ_metro rps.
- ``Service-site[service, region] ∈ {0,1}`` when min_regions > 1, survive_region_loss or
  min_gpus_per_region is set: ``Service-site-link`` (traffic only where deployed),
  ``Service-site-warm`` (a deployed region keeps min_gpus_per_region running, 1 GPU when
  unset), ``Service-min-regions`` (Σ site ≥ min_regions).
- ``Service-failover-*`` for services that must survive the loss of a region: see
  :mod:`planner.failover`.
- ``Service-max-share[service, region, hour]``: a region carries ≤ max_region_share of traffic.
- ``Region-capacity-<gpu>[region, hour]``: training + inference GPUs ≤ quota.
- ``Budget-carbon``, ``Budget-cost``, ``Budget-water``: the scenario's limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import linopy
import numpy as np
import xarray as xr

from planner.failover import add_failover_block
from planner.gang import add_gang_block, round_runs
from planner.problem import Problem
from planner.units import G_PER_T

# Which binaries to branch on first: a job's site moves all of its GPU-hours, its hourly
# location one hour of them, a service site about one warm GPU (unlisted blocks: 0).
BRANCH_PRIORITY = {"Job-site": 2, "Job-location": 1}

TERM_NAMES = (
    "compute_usd",
    "egress_usd",
    "energy_kwh",
    "carbon_location_tco2e",
    "carbon_market_tco2e",
    "carbon_embodied_tco2e",
    "water_m3",
    "water_weighted_m3",
)


@dataclass(frozen=True)
class BuiltModel:
    """A linopy model with its objective terms kept as separate expressions."""

    problem: Problem
    model: linopy.Model
    terms: dict[str, linopy.LinearExpression]
    slacks: dict[str, tuple[linopy.Variable, xr.DataArray | float]] = field(default_factory=dict)

    def carbon_tco2e(self) -> linopy.LinearExpression:
        """Carbon under the scenario's accounting basis, operational + embodied."""
        basis = self.problem.scenario.accounting
        return self.terms[f"carbon_{basis}_tco2e"] + self.terms["carbon_embodied_tco2e"]

    def cost_usd(self) -> linopy.LinearExpression:
        return self.terms["compute_usd"] + self.terms["egress_usd"]

    def round_binaries(self, relaxed: dict[str, xr.DataArray], generous: bool
                       ) -> dict[str, xr.DataArray]:
        """Turn an LP relaxation's binaries into a choice that respects each block's rule.

        ``Job-site``: a single-region job opens its largest site; other jobs open every
        site in use. ``Job-location``: the largest region each hour. ``Service-site``: the
        sites at ≥ 0.5 (``generous``: any in use), topped up by value to min_regions (2 for
        a service that must survive the loss of a region). ``Job-run``: see
        :func:`planner.gang.round_runs` (within the rounded sites and locations).
        """
        sc = self.problem.scenario
        out: dict[str, xr.DataArray] = {}
        cut = 1e-6 if generous else 0.5
        for name, value in relaxed.items():
            v = value.fillna(0.0)
            if name == "Job-run":
                continue  # after the sites and locations it must agree with
            if name == "Job-site":
                single = xr.DataArray([j.single_region for j in sc.training],
                                      coords=[self.problem.jobs])
                top = (v == v.max("region")) & (v.rank("region") == v.sizes["region"])
                out[name] = xr.where(single, top, v > 1e-6).astype(float)
            elif name == "Job-location":
                out[name] = ((v == v.max("region"))
                             & (v.rank("region") == v.sizes["region"])).astype(float)
            elif name == "Service-site":
                k = xr.DataArray([max(s.min_regions, 2 if s.survive_region_loss else 1)
                                  for s in sc.inference], coords=[self.problem.services])
                rank = v.sizes["region"] + 1 - v.rank("region")  # 1 = largest
                out[name] = ((v >= cut) | (rank <= k)).astype(float)
            else:
                out[name] = (v >= cut).astype(float)
        if "Job-run" in relaxed:
            def chosen(name: str) -> xr.DataArray | None:
                return out[name].where(relaxed[name].notnull()) if name in out else None
            out["Job-run"] = round_runs(self.problem, relaxed["Job-run"], chosen("Job-site"),
                                        chosen("Job-location"), generous)
        return out

    def objective(self, carbon_price_usd_per_tco2e: float, water_price_usd_per_m3: float
                  ) -> linopy.LinearExpression:
        water = self.terms["water_weighted_m3" if self.problem.scenario.objective.
                           water_scarcity_weighted else "water_m3"]
        return (self.cost_usd() + carbon_price_usd_per_tco2e * self.carbon_tco2e()
                + water_price_usd_per_m3 * water)


def _zero(m: linopy.Model) -> linopy.LinearExpression:
    return linopy.LinearExpression(None, m)


def _add_use_by_gpu(gpu_use: dict[str, list[linopy.LinearExpression]],
                    gpus: linopy.LinearExpression | linopy.Variable, dim: str,
                    models: list[str]) -> None:
    """Append, per GPU model, the GPUs in use [region, hour] summed over ``dim``.

    One ``sum`` per GPU model over the workloads that use it: adding workloads one at a
    time would copy the growing expression each time (quadratic in the workload count).
    """
    by_model = xr.DataArray(models, coords=[gpus.indexes[dim]])
    for gpu in sorted(set(models)):
        names = by_model.indexes[dim][(by_model == gpu).values]
        gpu_use.setdefault(gpu, []).append(gpus.sel({dim: names}).sum(dim))


def build(p: Problem, *, elastic: bool = False) -> BuiltModel:
    """Build the model for a prepared problem (see the module docstring for the blocks).

    With ``elastic=True`` the hard requirements (completion, demand, min regions) get
    non-negative slack variables named ``<constraint>-slack`` and the objective becomes
    their sum, each normalized by its requirement: the solution says which rules must give
    way, and by how much, for a plan to exist.
    """
    m = linopy.Model(force_dim_names=True)
    slacks: dict[str, tuple[linopy.Variable, xr.DataArray | float]] = {}

    def slack(name: str, coords: list, scale: xr.DataArray | float = 1.0
              ) -> linopy.LinearExpression | float:
        if not elastic:
            return 0.0
        var = m.add_variables(lower=0, coords=coords or None, name=f"{name}-slack")
        slacks[name] = (var, scale)
        return var.to_linexpr().fillna(0) if coords else var.to_linexpr()
    sc = p.scenario
    dt = p.dt_h
    terms = {name: _zero(m) for name in TERM_NAMES}
    ci_loc = p.ci_location_gco2e_per_kwh / G_PER_T
    ci_mkt = p.ci_market_gco2e_per_kwh / G_PER_T
    stress = 1.0 + p.water_stress_0_5.fillna(0.0)
    annual_ci = ci_loc.mean("hour")
    gpu_use: dict[str, list[linopy.LinearExpression]] = {}

    if len(p.jobs):
        mask = p.job_allowed & p.job_hour_allowed
        # Masked (absent) slots contribute nothing: fillna(0) states that explicitly.
        gpus = m.add_variables(lower=0, coords=[p.jobs, p.regions, p.hours], name="Job-gpus",
                               mask=mask).fillna(0)
        restart_gpu_hours = add_gang_block(m, p, gpus, mask)
        done = (gpus * dt).sum(["region", "hour"])
        if restart_gpu_hours is not None:  # work redone after each (re)start
            done = done - restart_gpu_hours.sum("region")
        m.add_constraints(done + slack("Job-completion", [p.jobs], p.job_gpu_hours)
                          == p.job_gpu_hours, name="Job-completion")
        m.add_constraints(gpus.sum("region") <= p.job_max_gpus, name="Job-parallelism",
                          mask=p.job_hour_allowed)
        single = xr.DataArray([j.single_region for j in sc.training], coords=[p.jobs])
        has_egress = (p.job_egress_usd > 0).any("region")
        needs_site = single | has_egress
        site_mask = p.job_allowed & needs_site
        if bool(site_mask.any()):
            site = m.add_variables(binary=True, coords=[p.jobs, p.regions], name="Job-site",
                                   mask=site_mask).fillna(0)
            m.add_constraints(gpus - p.job_max_gpus * site <= 0, name="Job-site-link",
                              mask=mask & site_mask)
            # Implied by the link and completion, but it tightens the LP relaxation: a
            # fractional site may then carry only that fraction of the job's GPU-hours.
            site_hours = (gpus * dt).sum("hour") - p.job_gpu_hours * site
            if restart_gpu_hours is not None:
                site_hours = site_hours - restart_gpu_hours
            m.add_constraints(site_hours <= 0, name="Job-site-hours", mask=site_mask)
            m.add_constraints(site.sum("region") == 1, name="Job-single-region",
                              mask=single & site_mask.any("region"))
            m.add_constraints(site.sum("region") >= 1, name="Job-site-any",
                              mask=~single & site_mask.any("region"))
            terms["egress_usd"] += (site * p.job_egress_usd).sum()
            egress_kwh = site * p.job_egress_kwh
            terms["energy_kwh"] += egress_kwh.sum()
            terms["carbon_location_tco2e"] += (egress_kwh * annual_ci).sum()
            terms["carbon_market_tco2e"] += (egress_kwh * annual_ci).sum()
        migrating = xr.DataArray([j.migrates for j in sc.training], coords=[p.jobs])
        if bool(migrating.any()):
            loc_mask = mask & migrating
            loc = m.add_variables(binary=True, coords=[p.jobs, p.regions, p.hours],
                                  name="Job-location", mask=loc_mask).fillna(0)
            m.add_constraints(loc.sum("region") == 1, name="Job-location-one",
                              mask=p.job_hour_allowed & migrating)
            m.add_constraints(gpus - p.job_max_gpus * loc <= 0, name="Job-location-link",
                              mask=loc_mask)
            prev_ok = p.job_hour_allowed.shift(hour=1, fill_value=False)
            move_mask = loc_mask & prev_ok
            moves = m.add_variables(lower=0, coords=[p.jobs, p.regions, p.hours],
                                    name="Job-moves", mask=move_mask).fillna(0)
            m.add_constraints(moves - loc + loc.shift(hour=1).fillna(0) >= 0,
                              name="Job-moves-count", mask=move_mask)
            move_kwh = moves * p.job_move_kwh
            terms["egress_usd"] += (moves * p.job_move_usd).sum()
            terms["energy_kwh"] += move_kwh.sum()
            terms["carbon_location_tco2e"] += (move_kwh * annual_ci).sum()
            terms["carbon_market_tco2e"] += (move_kwh * annual_ci).sum()
        kwh = gpus * (p.job_facility_kwh_per_gpu_hour * dt)
        terms["compute_usd"] += (gpus * (p.job_usd_per_gpu_hour * dt)).sum()
        terms["energy_kwh"] += kwh.sum()
        terms["carbon_location_tco2e"] += (kwh * ci_loc).sum()
        terms["carbon_market_tco2e"] += (kwh * ci_mkt).sum()
        terms["carbon_embodied_tco2e"] += (gpus * (p.job_embodied_tco2e_per_gpu_hour * dt)).sum()
        water = gpus * (p.job_water_m3_per_gpu_hour * dt)
        terms["water_m3"] += water.sum()
        terms["water_weighted_m3"] += (water * stress).sum()
        _add_use_by_gpu(gpu_use, gpus, "job", [j.gpu for j in sc.training])

    if len(p.services):
        flow_mask = p.flow_allowed & (p.demand_rps > 0)
        rps = m.add_variables(lower=0, coords=[p.services, p.metros, p.regions, p.hours],
                              name="Service-rps", mask=flow_mask).fillna(0)
        m.add_constraints(rps.sum("region")
                          + slack("Service-demand", [p.services, p.metros, p.hours],
                                  p.demand_rps.where(p.demand_rps > 0, 1.0))
                          == p.demand_rps, name="Service-demand", mask=p.demand_rps > 0)
        s_mask = p.service_allowed & p.flow_allowed.any("metro")
        sgpus = m.add_variables(lower=0, coords=[p.services, p.regions, p.hours],
                                name="Service-gpus", mask=s_mask).fillna(0)
        m.add_constraints(sgpus * p.service_rps_per_gpu - rps.sum("metro") >= 0,
                          name="Service-throughput", mask=s_mask)
        min_regions = xr.DataArray([s.min_regions for s in sc.inference], coords=[p.services])
        multi = min_regions > 1
        sited = xr.DataArray([s.tracks_sites for s in sc.inference], coords=[p.services])
        total_h = p.demand_rps.sum("metro")  # [service, hour]
        if bool(sited.any()):
            ssite = m.add_variables(binary=True, coords=[p.services, p.regions],
                                    name="Service-site", mask=s_mask & sited).fillna(0)
            m.add_constraints(rps.sum("metro") - total_h * ssite <= 0, name="Service-site-link",
                              mask=s_mask & sited)
            floor = xr.DataArray([s.warm_gpus_per_region for s in sc.inference],
                                 coords=[p.services])
            m.add_constraints(sgpus - floor * ssite >= 0, name="Service-site-warm",
                              mask=s_mask & sited)
            m.add_constraints(ssite.sum("region") + slack("Service-min-regions", [p.services])
                              >= min_regions, name="Service-min-regions", mask=multi)
        add_failover_block(m, p, sgpus, s_mask, slack if elastic else None)
        cap = xr.DataArray([s.max_region_share if s.max_region_share is not None else np.nan
                            for s in sc.inference], coords=[p.services])
        if bool(cap.notnull().any()):
            m.add_constraints(rps.sum("metro") <= cap.fillna(1.0) * total_h,
                              name="Service-max-share", mask=s_mask & cap.notnull())
        kwh = sgpus * (p.service_facility_kwh_per_gpu_hour * dt)
        terms["compute_usd"] += (sgpus * (p.service_usd_per_gpu_hour * dt)).sum()
        terms["energy_kwh"] += kwh.sum()
        terms["carbon_location_tco2e"] += (kwh * ci_loc).sum()
        terms["carbon_market_tco2e"] += (kwh * ci_mkt).sum()
        terms["carbon_embodied_tco2e"] += (
            sgpus * (p.service_embodied_tco2e_per_gpu_hour * dt)).sum()
        water = sgpus * (p.service_water_m3_per_gpu_hour * dt)
        terms["water_m3"] += water.sum()
        terms["water_weighted_m3"] += (water * stress).sum()
        _add_use_by_gpu(gpu_use, sgpus, "service", [s.gpu for s in sc.inference])

    for gpu, uses in sorted(gpu_use.items()):
        quota = p.quota_gpus.sel(gpu=gpu, drop=True)
        if not bool(quota.notnull().any()):
            continue
        total = uses[0]
        for u in uses[1:]:
            total = total + u
        rhs = quota.fillna(np.inf).broadcast_like(p.ci_location_gco2e_per_kwh)
        m.add_constraints(total <= rhs, name=f"Region-capacity-{gpu}",
                          mask=quota.notnull().broadcast_like(rhs))

    built = BuiltModel(problem=p, model=m, terms=terms, slacks=slacks)
    lim = sc.limits
    for name, limit, expr in (("Budget-carbon", lim.carbon_tco2e, built.carbon_tco2e()),
                              ("Budget-cost", lim.cost_usd, built.cost_usd()),
                              ("Budget-water", lim.water_m3, terms["water_m3"])):
        if limit is not None:
            m.add_constraints(expr <= limit, name=name)
    m.constraints.sanitize_zeros()  # once here, not on every re-solve (see solve.py)
    m.constraints.sanitize_infinities()
    if elastic:
        total = _zero(m)
        for var, scale in slacks.values():
            total = total + (var.fillna(0) / scale).sum()
        m.add_objective(total)
    else:
        m.add_objective(built.objective(sc.objective.carbon_price_usd_per_tco2e,
                                        sc.objective.water_price_usd_per_m3))
    return built
