"""Baselines scored side by side with the optimum, with the same data and accounting.

- ``weighted-score``: like Google's Region Picker — each workload goes whole to the region
  with the best equal-weight score of normalized grid carbon, price and distance (to users,
  or to the data's home); no capacity, residency or SLO awareness; runs as soon as allowed.
- ``greedy-carbon``: like the Green Software Foundation's Carbon Aware SDK best-location /
  best-time — one workload at a time, lowest-carbon allowed region with quota left, and a
  training job's cleanest hours in its window; users are served from the cleanest region
  within their SLO and residency.
- ``cheapest-region``: each workload whole in its cheapest allowed region, as soon as allowed.

Every baseline respects a workload's ``allowed_jurisdictions`` and GPU availability; what
else it ignores shows up as violations in the result: SLO, residency, unserved demand,
quota, min_regions, max_region_share, min_gpus_per_region, survive_region_loss (re-checked
from its GPUs), min_run_hours, and the budgets (carbon, cost, water).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from planner.evaluate import as_solution
from planner.failover import check_plan
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


class _Builder:
    """Accumulates a hand-made placement in the model's variable shapes."""

    def __init__(self, p: Problem):
        self.p = p
        self.job_gpus = xr.zeros_like(p.job_allowed, dtype=float).expand_dims(
            hour=p.hours).transpose("job", "region", "hour").copy()
        self.job_site = xr.zeros_like(p.job_allowed, dtype=float).copy()
        self.rps = xr.zeros_like(p.flow_allowed, dtype=float).expand_dims(
            hour=p.hours).transpose("service", "metro", "region", "hour").copy()
        self.used: dict[tuple[str, str], np.ndarray] = {}  # GPUs used per hour

    def values(self) -> dict[str, xr.DataArray]:
        p = self.p
        sgpus = self.rps.sum("metro") / p.service_rps_per_gpu
        return {"Job-gpus": self.job_gpus, "Job-site": self.job_site, "Service-rps": self.rps,
                "Service-gpus": sgpus}

    def quota_left(self, region: str, gpu: str) -> np.ndarray:
        q = self.p.quota_gpus.sel(region=region, gpu=gpu).item()
        used = self.used.get((region, gpu), np.zeros(len(self.p.hours)))
        return np.full(len(self.p.hours), np.inf) if np.isnan(q) else q - used

    def add_use(self, region: str, gpu: str, gpus: np.ndarray) -> None:
        key = (region, gpu)
        self.used[key] = self.used.get(key, np.zeros(len(self.p.hours))) + gpus


def _job_hours(p: Problem, j: int, order: np.ndarray, need: float, cap: np.ndarray) -> np.ndarray:
    """GPUs per hour filling ``need`` GPU-hours in ``order`` of hours, ≤ cap each hour."""
    out = np.zeros(len(p.hours))
    allowed = p.job_hour_allowed.values[j]
    weight_h = p.dt_h.values * np.ones(len(p.hours))
    for h in order:
        if need <= EPS:
            break
        if not allowed[h]:
            continue
        g = min(cap[h], need / weight_h[h])
        if g > EPS:
            out[h] = g
            need -= g * weight_h[h]
    return out


def _place_jobs(p: Problem, b: _Builder, strategy: str) -> list[str]:
    problems: list[str] = []
    sc = p.scenario
    ci_mean = p.ci_location_gco2e_per_kwh.values.mean(axis=1)
    for j, job in enumerate(sc.training):
        ok = p.job_allowed.values[j]
        price = p.job_usd_per_gpu_hour.values[j]
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
            rid = p.regions[r]
            cap = np.maximum(job.max_gpus - running, 0.0)
            if strategy == "greedy-carbon":
                cap = np.minimum(cap, np.maximum(b.quota_left(rid, job.gpu), 0.0))
                order = np.argsort(p.ci_location_gco2e_per_kwh.values[r], kind="stable")
            else:
                order = np.arange(len(p.hours))
            g = _job_hours(p, j, order, need, cap)
            if g.sum() <= EPS:
                continue
            b.job_gpus.values[j, r] = g
            b.job_site.values[j, r] = 1.0
            running += g
            b.add_use(rid, job.gpu, g)
            need -= float((g * p.dt_h.values).sum())
            if need <= EPS or job.single_region or strategy != "greedy-carbon":
                break
        if need > 1e-6:
            problems.append(f"{job.name}: {need:,.0f} GPU-hours left unplaced")
    return problems


def _place_services(p: Problem, b: _Builder, strategy: str) -> None:
    sc = p.scenario
    ci_mean = p.ci_location_gco2e_per_kwh.values.mean(axis=1)
    for i, s in enumerate(sc.inference):
        ok = p.service_allowed.values[i]
        price = p.service_usd_per_gpu_hour.values[i]
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
            b.add_use(p.regions[r], s.gpu, demand.sum(axis=0) / s.requests_per_gpu_s)
            continue
        for m in range(len(p.metros)):
            if demand[m].sum() <= EPS:
                continue
            allowed = p.flow_allowed.values[i, m]
            left = demand[m].copy()
            for r in np.argsort(np.where(allowed, ci_mean, np.inf))[: int(allowed.sum())]:
                room = np.maximum(b.quota_left(p.regions[r], s.gpu), 0.0) * s.requests_per_gpu_s
                take = np.minimum(left, room)
                b.rps.values[i, m, r] += take
                b.add_use(p.regions[r], s.gpu, take / s.requests_per_gpu_s)
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
        gpus = served / s.requests_per_gpu_s
        used = served.sum("hour") > EPS
        low = ((gpus < s.warm_gpus_per_region - 1e-9) & used).sum("hour")
        for rid in p.regions[(low > 0).values]:
            out.append(f"{s.name}: {rid} runs fewer than min_gpus_per_region "
                       f"{s.warm_gpus_per_region:g} GPUs in {int(low.sel(region=rid))} h")
    return out


def _failover_violations(p: Problem, b: _Builder) -> list[str]:
    """survive_region_loss, re-checked from the baseline's GPUs: one line per service."""
    failed = [c for c in check_plan(p, b.values()["Service-gpus"]) if not c.survives]
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
