"""Build: a Problem → a linopy model in named, vectorized blocks.

Naming grammar for variables, constraints and objective terms:
``Entity-quantity[-qualifier]`` with Entity in {Job, Service, Region, Budget}
(checked by a test). One call per concept; masks, never loops over variables.

Blocks (dimensions in brackets):

- ``Job-instances[job, option, region, hour]``: whole instances running a training job
  (only where the job's GPU is offered, its jurisdictions allow, and inside its window);
  ``gpus`` below is their GPUs, Σ_option instances · GPUs per instance (see
  :mod:`planner.instances`).
- ``Job-completion[job]``: Σ gpus · Δt ≥ gpu_hours (+ restart overhead × starts).
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
- ``Service-instances[service, option, region, hour]``: whole instances serving; ``gpus``
  below is their GPUs (see :mod:`planner.instances`); ``Service-throughput`` instances ·
  GPUs per instance · rps_per_gpu ≥ Σ_metro rps.
- ``Service-site[service, region] ∈ {0,1}`` when min_regions > 1, survive_region_loss or
  min_gpus_per_region is set: ``Service-site-route`` (a metro's traffic only where
  deployed; with failover ``Service-site-link`` instead, the same summed over metros),
  ``Service-site-warm`` (a deployed region keeps min_gpus_per_region running, 1 GPU when
  unset; with whole instances ``Service-site-warm-instances``: at least one instance, which
  leaves the GPU row out where one instance of any offer carries the floor),
  ``Service-min-regions`` (Σ site ≥ min_regions).
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
import pandas as pd
import xarray as xr

from planner.failover import add_failover_block, capacity_rps
from planner.gang import add_gang_block, round_runs
from planner.instances import (
    INSTANCE_NAMES,
    instance_floors,
    job_instances,
    job_work,
    round_instances,
    service_instances,
    work_allowance,
)
from planner.problem import Problem
from planner.terms import Terms
from planner.units import G_PER_T

# Which integral columns to branch on first: a job's GPU model and its site move all of its
# GPU-hours (a relaxation that mixes two GPU models under a carbon cap sits ~11 % below
# either: flex-fleet's frontier), its hourly location one hour of them, a service site
# about one warm GPU, an instance count one instance (unlisted blocks: 0).
BRANCH_PRIORITY = {"Job-hardware": 2, "Job-site": 2, "Job-location": 1}

# How the LP relaxation's binaries are rounded (see BuiltModel.round_choices); the
# frontier also tries RUNNER_UP
ROUNDING_RULES = ("strict", "busy", "generous")
RUNNER_UP = "runner-up"


@dataclass(frozen=True)
class BuiltModel:
    """A linopy model with its objective terms (see :mod:`planner.terms`)."""

    problem: Problem
    model: linopy.Model
    terms: Terms
    slacks: dict[str, tuple[linopy.Variable, xr.DataArray | float]] = field(default_factory=dict)
    whole_instances: bool = True  # False: instance counts are relaxed (``--relaxed``)

    def carbon_tco2e(self) -> linopy.LinearExpression:
        """Carbon under the scenario's accounting basis, operational + embodied."""
        return self.terms.weighted(self._carbon_weights(1.0))

    def _carbon_weights(self, weight: float) -> dict[str, float]:
        basis = self.problem.scenario.accounting
        return {f"carbon_{basis}_tco2e": weight, "carbon_embodied_tco2e": weight}

    def cost_usd(self) -> linopy.LinearExpression:
        return self.terms.weighted({"compute_usd": 1.0, "egress_usd": 1.0})

    def round_instances(self, values: dict[str, xr.DataArray],
                        choice: dict[str, xr.DataArray], compact: bool = False
                        ) -> dict[str, xr.DataArray]:
        """Whole instance counts from (relaxed) ``values`` under the binaries ``choice``."""
        return round_instances(self.problem, values, choice, compact)

    def _hardware_can_finish(self) -> xr.DataArray:
        """[job, gpu]: max_gpus of that model over the job's window do its work."""
        p = self.problem
        o = p.job_options
        gpus = sorted(set(o.gpu_of.values()))
        hours_h = (p.job_hour_allowed * p.dt_h).sum("hour")
        best = xr.DataArray(
            [[float(o.work_per_gpu_hour.sel(job=j, option=o.options_of_gpu(g)).max())
              for g in gpus] for j in p.jobs], coords=[p.jobs, pd.Index(gpus, name="gpu")])
        return best * p.job_max_gpus * hours_h >= p.job_gpu_hours * (1 - 1e-9)

    def _cover_metros(self, value: xr.DataArray, open_: xr.DataArray) -> xr.DataArray:
        """``open_`` [service, region] topped up, largest ``value`` first, until every metro
        with demand has a deployed region in reach and, for a service that must survive
        the loss of a region, two in its failover reach."""
        v = value.transpose("service", "region").values
        o = open_.transpose("service", "region").values.astype(bool)
        for reach, applies, n in self.problem.memo("cover-metros", self._cover_rules):
            reach = reach & ~np.isnan(v)[:, None, :]  # [service, metro, region]
            for _ in range(n):  # each pass opens at most one region per short metro
                short = applies & ((reach & o[:, None, :]).sum(axis=2) < n)
                if not short.any():
                    break
                score = np.where(reach & ~o[:, None, :] & short[:, :, None], v[:, None, :],
                                 -1.0)
                best = (score == score.max(axis=2, keepdims=True)) & (score >= 0)
                o = o | best.any(axis=1)
        return open_.transpose("service", "region").copy(data=o).transpose(*open_.dims)

    def _cover_rules(self) -> list[tuple[np.ndarray, np.ndarray, int]]:
        """For :meth:`_cover_metros`: (reach [service, metro, region], the metros it applies
        to [service, metro], regions each needs)."""
        p = self.problem
        order = ("service", "metro", "region")
        has_demand = (p.demand_rps > 0).any("hour")
        survive = xr.DataArray([s.survive_region_loss for s in p.scenario.inference],
                               coords=[p.services])
        rules = [(p.flow_allowed, has_demand, 1)]
        if p.failover_allowed is not None:
            rules.append((p.failover_allowed, has_demand & survive, 2))
        return [(reach.transpose(*order).values.astype(bool),
                 applies.broadcast_like(reach).any("region").transpose(*order[:2]).values,
                 n) for reach, applies, n in rules]

    def _serves_most_periods(self, relaxed: dict[str, xr.DataArray]) -> xr.DataArray | bool:
        """[service, region]: the relaxation runs half an instance or more of the service
        there in at least half of the horizon's hours. ``Service-site`` is only the
        region's peak share of the traffic (its one cost is the warm floor), so a region
        carrying 30 % of it all week may have a site value of 0.3; such a region stays
        deployed, one used a few hours may close.
        """
        inst = relaxed.get("Service-instances")
        if inst is None:
            return False
        # half an instance or more: not the warm floor's share (site value × 1 GPU)
        running = (inst.fillna(0.0).sum("option") >= 0.5) * self.problem.dt_h
        return running.sum("hour") >= 0.5 * float(np.broadcast_to(
            self.problem.dt_h.values, (len(self.problem.hours),)).sum())

    def round_choices(self, relaxed: dict[str, xr.DataArray], rule: str
                      ) -> dict[str, xr.DataArray]:
        """Turn an LP relaxation's binaries into a choice that respects each block's rule.

        ``rule`` is one of :data:`ROUNDING_RULES`: ``strict`` keeps what the relaxation
        uses at ≥ 0.5, ``busy`` also the regions it runs a service in most hours,
        ``generous`` anything in use; :data:`RUNNER_UP` is ``generous`` except that a job
        takes the GPU model and (single-region) the site with the second-largest value
        where the relaxation uses it (the largest one may be what cannot meet a carbon
        cap). ``Job-site``: a single-region job opens its largest site; other jobs open
        every site in use. ``Job-location``: the largest region each hour.
        ``Service-site``: by the rule, topped up by value to min_regions (2 for a service
        that must survive the loss of a region). ``Job-run``: see
        :func:`planner.gang.round_runs` (within the rounded sites and locations).
        ``Job-hardware``: the GPU model with the largest value. Instance counts are left
        to :meth:`round_instances`, given this choice.
        """
        if rule not in (*ROUNDING_RULES, RUNNER_UP):
            raise ValueError(f"rounding rule {rule!r} is not one of "
                             f"{(*ROUNDING_RULES, RUNNER_UP)}")
        sc = self.problem.scenario
        out: dict[str, xr.DataArray] = {}
        generous = rule in ("generous", RUNNER_UP)
        pick = _runner_up if rule == RUNNER_UP else _largest
        cut = 1e-6 if generous else 0.5
        for name, value in relaxed.items():
            v = value.fillna(0.0)
            if name == "Job-run" or name in INSTANCE_NAMES:
                continue  # Job-run after the sites and locations it must agree with
            if name == "Job-hardware":
                out[name] = pick(v.where(self._hardware_can_finish(), -1.0), "gpu")
            elif name == "Job-site":
                single = xr.DataArray([j.single_region for j in sc.training],
                                      coords=[self.problem.jobs])
                out[name] = xr.where(single, pick(v, "region"), v > 1e-6).astype(float)
            elif name == "Job-location":
                out[name] = _largest(v, "region")
            elif name == "Service-site":
                k = xr.DataArray([max(s.min_regions, 2 if s.survive_region_loss else 1)
                                  for s in sc.inference], coords=[self.problem.services])
                rank = v.sizes["region"] + 1 - v.rank("region")  # 1 = largest
                busy = self._serves_most_periods(relaxed) if rule == "busy" else False
                out[name] = self._cover_metros(v, (v >= cut) | (rank <= k) | busy
                                               ).astype(float)
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
        water = ("water_weighted_m3" if self.problem.scenario.objective.water_scarcity_weighted
                 else "water_m3")
        return self.terms.weighted({"compute_usd": 1.0, "egress_usd": 1.0, water:
                                    water_price_usd_per_m3,
                                    **self._carbon_weights(carbon_price_usd_per_tco2e)})


def _transfer_terms(terms: Terms, var: linopy.Variable, usd: xr.DataArray, kwh: xr.DataArray,
                    annual_ci: xr.DataArray) -> None:
    """A data copy's egress $ and transfer energy, at the region's annual grid carbon."""
    terms.add("egress_usd", var, usd)
    terms.add("energy_kwh", var, kwh)
    terms.add("carbon_location_tco2e", var, kwh * annual_ci)
    terms.add("carbon_market_tco2e", var, kwh * annual_ci)


def _zero(m: linopy.Model) -> linopy.LinearExpression:
    return linopy.LinearExpression(None, m)


def build(p: Problem, *, elastic: bool = False, whole_instances: bool = True) -> BuiltModel:
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
    terms = Terms(m)
    annual_ci = (p.ci_location_gco2e_per_kwh / G_PER_T).mean("hour")
    gpu_use: dict[str, list[linopy.LinearExpression]] = {}

    if len(p.jobs):
        mask = p.job_allowed & p.job_hour_allowed
        gpus, restart_gpu_hours = job_instances(m, p, whole_instances, terms, gpu_use, slack,
                                                add_gang_block)
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
            # fractional site may then carry only that fraction of the job's work.
            site_work = job_work(p, m.variables["Job-instances"].fillna(0)).sum("hour")
            if restart_gpu_hours is not None:  # work redone after each (re)start
                site_work = site_work - restart_gpu_hours
            m.add_constraints(site_work - work_allowance(p) * site <= 0,
                              name="Job-site-hours", mask=site_mask)
            m.add_constraints(site.sum("region") == 1, name="Job-single-region",
                              mask=single & site_mask.any("region"))
            m.add_constraints(site.sum("region") >= 1, name="Job-site-any",
                              mask=~single & site_mask.any("region"))
            _transfer_terms(terms, m.variables["Job-site"], p.job_egress_usd,
                            p.job_egress_kwh, annual_ci)
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
            _transfer_terms(terms, m.variables["Job-moves"], p.job_move_usd, p.job_move_kwh,
                            annual_ci)

    if len(p.services):
        flow_mask = p.flow_allowed & (p.demand_rps > 0)
        rps = m.add_variables(lower=0, coords=[p.services, p.metros, p.regions, p.hours],
                              name="Service-rps", mask=flow_mask).fillna(0)
        m.add_constraints(rps.sum("region")
                          + slack("Service-demand", [p.services, p.metros, p.hours],
                                  p.demand_rps.where(p.demand_rps > 0, 1.0))
                          == p.demand_rps, name="Service-demand", mask=p.demand_rps > 0)
        s_mask = p.service_allowed & p.flow_allowed.any("metro")
        sgpus = service_instances(m, p, s_mask, rps, whole_instances, terms, gpu_use)
        min_regions = xr.DataArray([s.min_regions for s in sc.inference], coords=[p.services])
        multi = min_regions > 1
        sited = xr.DataArray([s.tracks_sites for s in sc.inference], coords=[p.services])
        survive = xr.DataArray([s.survive_region_loss for s in sc.inference],
                               coords=[p.services])
        total_h = p.demand_rps.sum("metro")  # [service, hour]
        if bool(sited.any()):
            ssite = m.add_variables(binary=True, coords=[p.services, p.regions],
                                    name="Service-site", mask=s_mask & sited).fillna(0)
            # Traffic only where deployed, per metro: it keeps the relaxation from opening a
            # fraction of a site to carry a metro's whole traffic. Not with failover, where
            # these rows slow branch and bound (measured 2026-12-03, see
            # benchmarks/README.md "Whole instances"): there the sum over metros instead
            # (the per-metro rows imply it, so it is left out where they are present).
            m.add_constraints(rps - p.demand_rps * ssite <= 0, name="Service-site-route",
                              mask=flow_mask & sited & ~survive)
            m.add_constraints(rps.sum("metro") - total_h * ssite <= 0, name="Service-site-link",
                              mask=s_mask & sited & survive)
            floor = xr.DataArray([s.warm_gpus_per_region for s in sc.inference],
                                 coords=[p.services])
            warm_by_instance = False
            if whole_instances:  # the warm floor in whole instances: at least one
                inst = m.variables["Service-instances"].fillna(0).sum("option")
                m.add_constraints(inst - ssite >= 0, name="Service-site-warm-instances",
                                  mask=s_mask & sited & (floor > 0))
                # one instance of any offer already carries the floor: the GPU row is implied
                o = p.service_options
                warm_by_instance = (floor > 0) & (
                    floor <= o.gpus_per_instance.where(o.available).min("option"))
            m.add_constraints(sgpus - floor * ssite >= 0, name="Service-site-warm",
                              mask=s_mask & sited & ~warm_by_instance)
            m.add_constraints(ssite.sum("region") + slack("Service-min-regions", [p.services])
                              >= min_regions, name="Service-min-regions", mask=multi)
        add_failover_block(m, p, capacity_rps(p, m.variables["Service-instances"]), s_mask,
                           slack if elastic else None)
        cap = xr.DataArray([s.max_region_share if s.max_region_share is not None else np.nan
                            for s in sc.inference], coords=[p.services])
        if bool(cap.notnull().any()):
            m.add_constraints(rps.sum("metro") <= cap.fillna(1.0) * total_h,
                              name="Service-max-share", mask=s_mask & cap.notnull())

    if whole_instances and not elastic:
        instance_floors(m, p)
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

    built = BuiltModel(problem=p, model=m, terms=terms, slacks=slacks,
                       whole_instances=whole_instances)
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


def _largest(v: xr.DataArray, dim: str) -> xr.DataArray:
    """1.0 at the largest value along ``dim`` (the first one on a tie), else 0.0."""
    return _one_hot(v, dim, v.argmax(dim))


def _runner_up(v: xr.DataArray, dim: str) -> xr.DataArray:
    """1.0 at the second-largest value along ``dim`` where it is in use (> 1e-6), else at
    the largest."""
    top = _largest(v, dim)
    rest = v.where(top == 0, -np.inf)
    second = _one_hot(v, dim, rest.argmax(dim))
    in_use = (rest.max(dim) > 1e-6)
    return xr.where(in_use, second, top).transpose(*v.dims)


def _one_hot(v: xr.DataArray, dim: str, at: xr.DataArray) -> xr.DataArray:
    position = xr.DataArray(np.arange(v.sizes[dim]), coords={dim: v[dim]}, dims=dim)
    return (position == at).astype(float).transpose(*v.dims)
