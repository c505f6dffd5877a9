"""Baselines scored side by side with the optimum, with the same data and accounting.

- ``weighted-score``: like Google's Region Picker — each workload goes whole to the region
  with the best equal-weight score of normalized grid carbon, price and distance (to users,
  or to the data's home); no capacity, residency or SLO awareness; runs as soon as allowed.
- ``greedy-carbon``: like the Green Software Foundation's Carbon Aware SDK best-location /
  best-time — one workload at a time, lowest-carbon allowed region with quota left, and a
  training job's cleanest hours in its window; users are served from the cleanest region
  within their SLO and residency, as far as the whole instances its quota leaves can carry.
- ``cheapest-region``: each workload whole in its cheapest allowed region, as soon as allowed.

Every baseline respects a workload's ``allowed_jurisdictions`` and GPU availability; what
else it ignores shows up as violations in the result: SLO, residency, unserved demand,
quota (counted in the whole instances it deploys), min_regions, max_region_share,
min_gpus_per_region, survive_region_loss (re-checked from its GPUs), min_run_hours, and the
budgets (carbon, cost, water).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from planner.evaluate import as_solution
from planner.failover import capacity_rps, check_plan
from planner.offers import Options
from planner.plan import Plan, extract
from planner.problem import Problem
from planner.session import PlanSession

EPS = 1e-9


@dataclass(frozen=True)
class BaselineResult:
    """A baseline placement reported like a plan, with the rules it breaks."""

    name: str
    description: str
    plan: Plan
    slo_violation_share: float  # share of traffic (rps-weighted) beyond SLO or residency
    capacity_violations: int  # (region, GPU model, hour) cells above quota
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


def _norm(x: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    if not finite.any():
        return np.zeros_like(x)
    lo, hi = np.nanmin(x[finite]), np.nanmax(x[finite])
    out = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    return np.where(finite, out, np.inf)


def best_options(o: Options, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Per region, the option a baseline buys for workload ``i`` and its USD per unit of work.

    The cheapest per unit of work (GPU-hour of work, or request/s-hour) among on-demand and
    spot (where the workload allows it); committed capacity is left to the optimizer.
    Returns (option index per region, -1 where none; USD per unit of work, inf where none).
    """
    usd = o.usd_per_instance_hour.values[i].copy()  # [option, region]
    usd[o.committed.values] = np.nan
    per_work = usd / (o.gpus_per_instance.values[i] * o.work_per_gpu_hour.values[i][:, None])
    none = np.isnan(per_work).all(axis=0)
    k = np.where(none, -1, np.argmin(np.where(np.isnan(per_work), np.inf, per_work), axis=0))
    return k, np.where(none, np.inf, np.nanmin(np.where(np.isnan(per_work), np.inf, per_work),
                                                axis=0))


class _Builder:
    """Accumulates a hand-made placement in the model's variable shapes."""

    def __init__(self, p: Problem):
        self.p = p
        jo = p.job_options
        self.job_inst = xr.zeros_like(jo.usd_per_instance_hour, dtype=float).expand_dims(
            hour=p.hours).transpose("job", "option", "region", "hour").copy()
        self.job_site = xr.zeros_like(p.job_allowed, dtype=float).copy()
        self.rps = xr.zeros_like(p.flow_allowed, dtype=float).expand_dims(
            hour=p.hours).transpose("service", "metro", "region", "hour").copy()
        self.used: dict[tuple[str, str], np.ndarray] = {}  # GPUs used per hour

    @property
    def job_gpus(self) -> xr.DataArray:
        """[job, region, hour] GPUs in use: instances × GPUs per instance, over options."""
        gpi = self.p.job_options.gpus_per_instance.fillna(0.0)
        return (self.job_inst * gpi).sum("option").transpose("job", "region", "hour")

    def service_instances(self) -> xr.DataArray:
        """Whole instances of each region's baseline option serving the routed traffic."""
        p, o = self.p, self.p.service_options
        out = xr.zeros_like(o.usd_per_instance_hour, dtype=float).expand_dims(
            hour=p.hours).transpose("service", "option", "region", "hour").copy()
        served = self.rps.sum("metro").transpose("service", "region", "hour").values
        for i in range(len(p.services)):
            k, _ = best_options(o, i)
            for r in np.flatnonzero(served[i].sum(axis=1) > EPS):
                per_instance = float(o.gpus_per_instance.values[i, k[r], r]
                                     * o.work_per_gpu_hour.values[i, k[r]])
                out.values[i, k[r], r] = np.ceil(served[i, r] / per_instance - 1e-9)
        return out

    def values(self) -> dict[str, xr.DataArray]:
        return {"Job-instances": self.job_inst, "Job-site": self.job_site,
                "Service-rps": self.rps, "Service-instances": self.service_instances()}

    def quota_left(self, region: str, gpu: str) -> np.ndarray:
        q = self.p.quota_gpus.sel(region=region, gpu=gpu).item()
        used = self.used.get((region, gpu), np.zeros(len(self.p.hours)))
        return np.full(len(self.p.hours), np.inf) if np.isnan(q) else q - used

    def add_use(self, region: str, gpu: str, gpus: np.ndarray) -> None:
        key = (region, gpu)
        self.used[key] = self.used.get(key, np.zeros(len(self.p.hours))) + gpus


def _job_hours(p: Problem, j: int, order: np.ndarray, need: float, cap: np.ndarray,
               work_per_instance_hour: float) -> np.ndarray:
    """Whole instances per hour doing ``need`` GPU-hours of work in ``order`` of hours.

    ``cap``: instances allowed each hour; ``work_per_instance_hour``: GPU-hours of work one
    instance does in an hour. The last hour used may do a little more work than needed.
    """
    out = np.zeros(len(p.hours))
    allowed = p.job_hour_allowed.values[j]
    weight_h = p.dt_h.values * np.ones(len(p.hours))
    for h in order:
        if need <= EPS:
            break
        if not allowed[h]:
            continue
        n = min(np.floor(cap[h] + 1e-9), np.ceil(need / (work_per_instance_hour * weight_h[h])
                                                 - 1e-9))
        if n > 0:
            out[h] = n
            need -= n * work_per_instance_hour * weight_h[h]
    return out


def _place_jobs(p: Problem, b: _Builder, strategy: str) -> list[str]:
    problems: list[str] = []
    sc = p.scenario
    ci_mean = p.ci_location_gco2e_per_kwh.values.mean(axis=1)
    for j, job in enumerate(sc.training):
        o = p.job_options
        option, price = best_options(o, j)
        ok = p.job_allowed.values[j] & (option >= 0)
        if strategy == "weighted-score":
            dist = np.zeros(len(p.regions))
            if job.data is not None:
                dist = (p.job_egress_usd.values[j] > 0).astype(float)
            score = (_norm(np.where(ok, ci_mean, np.nan)) + _norm(np.where(ok, price, np.nan))
                     + _norm(np.where(ok, dist, np.nan))) / 3
            ranking = np.argsort(np.where(ok, score, np.inf))
        elif strategy == "greedy-carbon":
            hours_ok = p.job_hour_allowed.values[j]
            window_ci = np.where(hours_ok, p.ci_location_gco2e_per_kwh.values, np.nan)
            ranking = np.argsort(np.where(ok, np.nanmean(window_ci, axis=1), np.inf))
        else:
            ranking = np.argsort(np.where(ok, price, np.inf))
        need = job.gpu_hours
        running = np.zeros(len(p.hours))  # this job's GPUs per hour in regions already used
        for r in ranking[: int(ok.sum())]:
            rid, k = p.regions[r], int(option[r])
            gpi = float(o.gpus_per_instance.values[j, k, r])
            gpu = o.gpu_of[str(o.options[k])]
            cap = np.maximum(job.max_gpus - running, 0.0)
            if strategy == "greedy-carbon":
                cap = np.minimum(cap, np.maximum(b.quota_left(rid, gpu), 0.0))
                order = np.argsort(p.ci_location_gco2e_per_kwh.values[r], kind="stable")
            else:
                order = np.arange(len(p.hours))
            cap_inst = np.minimum(np.floor(cap / gpi + 1e-9), o.max_instances.values[j, k, r])
            per_instance_h = gpi * float(o.work_per_gpu_hour.values[j, k])
            n = _job_hours(p, j, order, need, cap_inst, per_instance_h)
            if n.sum() <= EPS:
                continue
            g = n * gpi
            b.job_inst.values[j, k, r] = n
            b.job_site.values[j, r] = 1.0
            running += g
            b.add_use(rid, gpu, g)
            need -= float((n * p.dt_h.values).sum()) * per_instance_h
            if need <= EPS or job.single_region or strategy != "greedy-carbon":
                break
        if need > 1e-6:
            problems.append(f"{job.name}: {need:,.0f} GPU-hours left unplaced")
    return problems


def _place_services(p: Problem, b: _Builder, strategy: str) -> None:
    sc = p.scenario
    ci_mean = p.ci_location_gco2e_per_kwh.values.mean(axis=1)
    for i in range(len(sc.inference)):
        o = p.service_options
        option, price = best_options(o, i)
        ok = p.service_allowed.values[i] & (option >= 0)
        rps_per_gpu = np.where(option >= 0, o.work_per_gpu_hour.values[i][option], np.nan)
        gpi = np.array([o.gpus_per_instance.values[i, k, r] if k >= 0 else np.nan
                        for r, k in enumerate(option)])
        gpu_at = [o.gpu_of[str(o.options[k])] if k >= 0 else "" for k in option]
        demand = p.demand_rps.values[i]  # [metro, hour]
        if strategy in ("weighted-score", "cheapest-region"):
            if strategy == "weighted-score":
                w = demand.sum(axis=1)
                dist = (p.rtt_ms.values * w[:, None]).sum(axis=0) / max(w.sum(), EPS)
                score = (_norm(np.where(ok, ci_mean, np.nan)) + _norm(np.where(ok, price, np.nan))
                         + _norm(np.where(ok, dist, np.nan))) / 3
            else:
                score = np.where(ok, price, np.inf)
            r = int(np.argmin(np.where(ok, score, np.inf)))
            b.rps.values[i, :, r, :] = demand
        else:
            _route_greedy(p, b, i, ci_mean, rps_per_gpu, gpi, gpu_at)
        # the quota is used by the whole instances that carry the traffic
        served = b.rps.values[i].sum(axis=0)  # [region, hour]
        for r in np.flatnonzero(served.sum(axis=1) > EPS):
            b.add_use(p.regions[r], gpu_at[r],
                      np.ceil(served[r] / (rps_per_gpu[r] * gpi[r]) - 1e-9) * gpi[r])


def _route_greedy(p: Problem, b: _Builder, i: int, ci_mean: np.ndarray,
                  rps_per_gpu: np.ndarray, gpi: np.ndarray, gpu_at: list[str]) -> None:
    """Each metro's traffic to its allowed regions, lowest carbon first, as far as the whole
    instances the quota left there can carry (counting what the service already sends)."""
    demand = p.demand_rps.values[i]  # [metro, hour]
    for m in range(len(p.metros)):
        if demand[m].sum() <= EPS:
            continue
        allowed = p.flow_allowed.values[i, m]
        left = demand[m].copy()
        for r in np.argsort(np.where(allowed, ci_mean, np.inf))[: int(allowed.sum())]:
            instances = np.floor(np.maximum(b.quota_left(p.regions[r], gpu_at[r]), 0.0)
                                 / gpi[r] + 1e-9)
            sent = b.rps.values[i, :, r].sum(axis=0)  # [hour], from other metros
            room = np.maximum(instances * gpi[r] * rps_per_gpu[r] - sent, 0.0)
            take = np.minimum(left, room)
            b.rps.values[i, m, r] += take
            left -= take
            if left.sum() <= EPS:
                break


def _violations(p: Problem, b: _Builder, unplaced: list[str], plan: Plan
                ) -> tuple[float, int, list[str]]:
    """Every rule of the scenario the baseline breaks, in words; with the share of traffic
    beyond SLO or residency and the count of (region, GPU, hour) cells over quota."""
    out = list(unplaced)
    total = float(p.demand_rps.sum())
    bad_rps = float((b.rps * (~p.flow_allowed)).sum()) if total else 0.0
    for i, s in enumerate(p.scenario.inference):
        share = float((b.rps[i] * (~p.flow_allowed[i])).sum()) / max(float(
            p.demand_rps[i].sum()), EPS)
        if share > 1e-9:
            out.append(f"{s.name}: {share:.0%} of traffic breaks its {s.latency_slo_ms:g} ms "
                       f"SLO or residency")
        unserved = p.demand_rps[i] - b.rps[i].sum("region")  # [metro, hour]
        if float(unserved.max()) > 1e-6:
            out.append(f"{s.name}: up to {float(unserved.max()):,.1f} rps not served "
                       f"(no quota left within its rules)")
        regions = int((b.rps[i].sum(["metro", "hour"]) > EPS).sum())
        if regions < s.min_regions:
            out.append(f"{s.name}: served from {regions} region(s), min_regions {s.min_regions}")
        out += _service_rule_violations(p, b, i)
    cells = 0
    for (rid, gpu), used in b.used.items():
        q = p.quota_gpus.sel(region=rid, gpu=gpu).item()
        if not np.isnan(q):
            over = int((used > q + 1e-6).sum())
            if over:
                cells += over
                out.append(f"quota exceeded in {rid} for {gpu} ({over} h, peak "
                           f"{used.max():,.0f} > {q:,.0f} GPUs)")
    out += _job_rule_violations(p, b) + _budget_violations(p, plan)
    out += _failover_violations(p, b)
    return (bad_rps / total if total else 0.0), cells, out


def _service_rule_violations(p: Problem, b: _Builder, i: int) -> list[str]:
    """max_region_share and the warm floor of service ``i`` (min_gpus_per_region)."""
    s = p.scenario.inference[i]
    out: list[str] = []
    served = b.rps[i].sum("metro")  # [region, hour]
    total = p.demand_rps[i].sum("metro")  # [hour]
    if s.max_region_share is not None:
        share = (served / total.where(total > EPS)).max("hour").fillna(0.0)
        worst = share.idxmax("region").item() if float(share.max()) > 0 else None
        if worst is not None and float(share.max()) > s.max_region_share + 1e-9:
            out.append(f"{s.name}: {worst} carries up to {float(share.max()):.0%} of traffic, "
                       f"max_region_share {s.max_region_share:g}")
    if s.tracks_sites:
        o = p.service_options
        inst = b.values()["Service-instances"].isel(service=i).fillna(0.0)
        gpus = (inst * o.gpus_per_instance.isel(service=i).fillna(0.0)).sum("option")
        used = served.sum("hour") > EPS
        low = ((gpus < s.warm_gpus_per_region - 1e-9) & used).sum("hour")
        for rid in p.regions[(low > 0).values]:
            out.append(f"{s.name}: {rid} runs fewer than min_gpus_per_region "
                       f"{s.warm_gpus_per_region:g} GPUs in {int(low.sel(region=rid))} h")
    return out


def _failover_violations(p: Problem, b: _Builder) -> list[str]:
    """survive_region_loss, re-checked from the baseline's GPUs: one line per service."""
    capacity = capacity_rps(p, b.values()["Service-instances"])
    failed = [c for c in check_plan(p, capacity) if not c.survives]
    out = []
    for s in p.scenario.inference:
        mine = [c for c in failed if c.service == s.name]
        if mine:
            worst = max(c.worst_unserved_rps for c in mine)
            out.append(f"{s.name}: survive_region_loss broken — losing "
                       f"{', '.join(c.lost for c in mine)} leaves up to {worst:,.1f} rps "
                       f"unserved within {s.failover_slo_ms:g} ms")
    return out


def _job_rule_violations(p: Problem, b: _Builder) -> list[str]:
    """Runs shorter than a job's min_run_hours, and restart work left undone (hourly)."""
    out: list[str] = []
    if p.scenario.horizon.representative is not None:
        return out
    for j, job in enumerate(p.scenario.training):
        if not job.tracks_runs:
            continue
        on = b.job_gpus.values[j] > EPS  # [region, hour]
        runs = []
        for row in on:
            edges = np.flatnonzero(np.diff(np.concatenate([[0], row.astype(int), [0]])))
            runs += list(edges[1::2] - edges[::2])
        short = sum(1 for n in runs if n < job.min_run_hours)
        if short:
            out.append(f"{job.name}: {short} run(s) shorter than min_run_hours "
                       f"{job.min_run_hours}")
        if job.restart_overhead_gpu_hours > 0 and runs:
            # the baseline places the job's work only; each start needs the overhead too
            out.append(f"{job.name}: {len(runs)} start(s) need "
                       f"{len(runs) * job.restart_overhead_gpu_hours:,.0f} GPU-h of restart "
                       f"work the baseline does not run (restart_overhead_gpu_hours "
                       f"{job.restart_overhead_gpu_hours:g})")
    return out


def _budget_violations(p: Problem, plan: Plan) -> list[str]:
    """The scenario's limits (carbon, cost, water) against the baseline's totals."""
    lim = p.scenario.limits
    checks = (("carbon", "limits.carbon_tco2e", lim.carbon_tco2e, plan.totals["carbon_tco2e"],
               "tCO2e"),
              ("cost", "limits.cost_usd", lim.cost_usd, plan.totals["cost_usd"], "USD"),
              ("water", "limits.water_m3", lim.water_m3, plan.totals["water_m3"], "m³"))
    return [f"{what} {value:,.3f} {unit} exceeds {field} = {limit:g}"
            for what, field, limit, value, unit in checks
            if limit is not None and value > limit * (1 + 1e-9) + 1e-9]


DESCRIPTIONS = {
    "weighted-score": "equal-weight score of carbon, price and distance per workload "
                      "(Region Picker-like)",
    "greedy-carbon": "lowest-carbon region and hours per workload, quota-aware "
                     "(Carbon Aware SDK-like)",
    "cheapest-region": "cheapest allowed region per workload",
}


def run_baseline(p: Problem, name: str) -> BaselineResult:
    """Place every workload by the named rule and score it like a plan."""
    b = _Builder(p)
    unplaced = _place_jobs(p, b, name)
    _place_services(p, b, name)
    plan = extract(p, as_solution(p, b.values(), f"baseline:{name}"))
    share, cells, violations = _violations(p, b, unplaced, plan)
    return BaselineResult(name, DESCRIPTIONS[name], plan, share, cells, tuple(violations))


def compare(session: PlanSession) -> tuple[BaselineResult, ...]:
    """All baselines for the session's scenario."""
    return tuple(run_baseline(session.problem, name) for name in DESCRIPTIONS)
