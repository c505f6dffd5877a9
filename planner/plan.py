"""Extract: a Solution → a Plan (frozen), and the Plan's JSON / CSV forms.

Per-placement figures are recomputed here from the solved variables and the same
coefficients the model used, so totals can be checked against the sum of the parts.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from planner.datanotes import catalog_notes, grid_basis, market_notes
from planner.failover import check_plan
from planner.gang import starts_of
from planner.problem import InputFigure, Problem
from planner.scenario import InferenceService, TrainingJob
from planner.solve import Solution, Status
from planner.units import G_PER_T, KWH_PER_MWH

PLAN_SCHEMA_VERSION = 1
EPS_GPU_HOURS = 1e-6


@dataclass(frozen=True)
class Placement:
    """One workload's share in one region (figures are totals over the horizon)."""

    workload: str
    kind: str  # training | inference
    provider: str
    region: str
    gpu_model: str
    instance_type: str
    gpus_per_instance: int
    peak_gpus: float
    instances: int
    gpu_hours: float
    cost_usd: float
    carbon_tco2e: float
    water_m3: float
    energy_mwh: float
    rps: float | None = None
    latency_ms: float | None = None


@dataclass(frozen=True)
class Flow:
    """Mean requests/s from one user metro served by one region."""

    service: str
    metro: str
    provider: str
    region: str
    rps: float
    rtt_ms: float


@dataclass(frozen=True)
class Plan:
    """The whole decision, with every objective term reported separately."""

    scenario: dict[str, Any]
    status: str
    solver: dict[str, Any]
    accounting: str
    horizon: dict[str, Any]
    objective: dict[str, float]
    totals: dict[str, float]
    placements: tuple[Placement, ...]
    workloads: tuple[dict[str, Any], ...]
    flows: tuple[Flow, ...]
    schedule: dict[str, dict[str, list[float]]]
    inputs: tuple[InputFigure, ...]
    excluded: tuple[dict[str, str], ...]
    incomplete: tuple[dict[str, str], ...]
    grid_basis: dict[str, str]
    catalog: dict[str, Any]
    explanations: tuple[str, ...] = field(default_factory=tuple)
    grid_carbon_basis: str = "lifecycle"
    fallbacks: tuple[dict[str, str], ...] = field(default_factory=tuple)
    # survive_region_loss, re-checked from the plan's GPUs: one entry per service and region
    failover: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def latency_ms_weighted(self) -> float | None:
        """Traffic-weighted mean RTT (ms) over all flows; None when there is no inference."""
        total = sum(f.rps for f in self.flows)
        return sum(f.rps * f.rtt_ms for f in self.flows) / total if total > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The plan.json document (stable keys; see the README)."""
        d = asdict(self)
        from planner import __version__

        return {"schema_version": PLAN_SCHEMA_VERSION, "regionplan_version": __version__, **d}

    def placements_csv(self) -> str:
        """plan.csv: one row per placement."""
        buf = io.StringIO()
        cols = list(Placement.__dataclass_fields__)
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for p in self.placements:
            w.writerow(asdict(p))
        return buf.getvalue()


def _r(x: float, nd: int = 6) -> float:
    """Round for output; keeps plan.json readable without changing any decision."""
    return float(round(x, nd))


def extract(problem: Problem, solution: Solution, *, scenario_path: str | None = None,
            build_s: float = 0.0) -> Plan:
    """Read the plan out of an optimal solution."""
    sc = problem.scenario
    if solution.status is not Status.OPTIMAL:
        raise ValueError(f"cannot extract a plan from a {solution.status} solution")
    dt = problem.dt_h
    basis = sc.accounting
    ci = (problem.ci_location_gco2e_per_kwh if basis == "location"
          else problem.ci_market_gco2e_per_kwh) / G_PER_T
    annual_ci = (problem.ci_location_gco2e_per_kwh / G_PER_T).mean("hour")
    placements: list[Placement] = []
    flows: list[Flow] = []
    schedule: dict[str, dict[str, list[float]]] = {}

    regions = [str(r) for r in problem.regions]
    weight_h = np.broadcast_to(np.asarray(dt.values, float), (len(problem.hours),))
    ci_rh = ci.transpose("region", "hour").values
    annual_r = annual_ci.values

    def add(kind: str, name: str, gpus: xr.DataArray, price: xr.DataArray, fac: xr.DataArray,
            emb: float, water: xr.DataArray, extra_usd: xr.DataArray | None,
            extra_kwh: xr.DataArray | None) -> None:
        # numpy over [region, hour] once per workload; Python only for regions in use
        gpu = problem.workload_gpu[name]
        g = np.clip(gpus.fillna(0.0).transpose("region", "hour").values, 0.0, None)
        gh = g @ weight_h
        fac_r, price_r, water_r = fac.values, price.values, water.values
        op_t = fac_r * ((g * weight_h) * ci_rh).sum(axis=1)
        e_usd = np.zeros(len(regions)) if extra_usd is None else extra_usd.values
        e_kwh = np.zeros(len(regions)) if extra_kwh is None else extra_kwh.values
        for r in np.flatnonzero(gh > EPS_GPU_HOURS):
            rid = regions[r]
            gpu_hours = float(gh[r])
            kwh = gpu_hours * float(fac_r[r]) + float(e_kwh[r])
            carbon = float(op_t[r]) + float(e_kwh[r]) * float(annual_r[r]) + gpu_hours * emb
            cost = gpu_hours * float(price_r[r]) + float(e_usd[r])
            offer = problem.offers[(gpu, rid)]
            peak = float(g[r].max())
            provider, region = rid.split("/", 1)
            placements.append(Placement(
                workload=name, kind=kind, provider=provider, region=region, gpu_model=gpu,
                instance_type=offer.instance_type, gpus_per_instance=offer.gpus_per_instance,
                peak_gpus=_r(peak), instances=math.ceil(peak / offer.gpus_per_instance - 1e-6),
                gpu_hours=_r(gpu_hours), cost_usd=_r(cost), carbon_tco2e=_r(carbon),
                water_m3=_r(gpu_hours * float(water_r[r])),
                energy_mwh=_r(kwh / KWH_PER_MWH)))
            schedule.setdefault(name, {})[rid] = np.round(g[r], 4).tolist()

    v = solution.values
    moves_by_job: dict[str, float] = {}
    starts_by_job: dict[str, int] = {}
    if v.get("Job-run") is not None:
        starts = starts_of(v["Job-run"]).sum("region")
        starts_by_job = {j.name: int(starts.sel(job=j.name)) for j in sc.training
                         if j.tracks_runs}
    if len(problem.jobs):
        site = v.get("Job-site")
        moves = v.get("Job-moves")
        for job in sc.training:
            extra_usd = xr.zeros_like(problem.job_egress_usd.sel(job=job.name))
            extra_kwh = xr.zeros_like(extra_usd)
            if site is not None:
                opened = site.sel(job=job.name).fillna(0.0).round()
                extra_usd = extra_usd + opened * problem.job_egress_usd.sel(job=job.name)
                extra_kwh = extra_kwh + opened * problem.job_egress_kwh.sel(job=job.name)
            if moves is not None:
                n = moves.sel(job=job.name).fillna(0.0).sum("hour")  # moves into each region
                extra_usd = extra_usd + n * float(problem.job_move_usd.sel(job=job.name))
                extra_kwh = extra_kwh + n * float(problem.job_move_kwh.sel(job=job.name))
                moves_by_job[job.name] = float(n.sum())
            add("training", job.name, v["Job-gpus"].sel(job=job.name),
                problem.job_usd_per_gpu_hour.sel(job=job.name),
                problem.job_facility_kwh_per_gpu_hour.sel(job=job.name),
                float(problem.job_embodied_tco2e_per_gpu_hour.sel(job=job.name)),
                problem.job_water_m3_per_gpu_hour.sel(job=job.name), extra_usd, extra_kwh)
    if len(problem.services):
        rps = v["Service-rps"].fillna(0.0)
        for s in sc.inference:
            add("inference", s.name, v["Service-gpus"].sel(service=s.name),
                problem.service_usd_per_gpu_hour.sel(service=s.name),
                problem.service_facility_kwh_per_gpu_hour.sel(service=s.name),
                float(problem.service_embodied_tco2e_per_gpu_hour.sel(service=s.name)),
                problem.service_water_m3_per_gpu_hour.sel(service=s.name), None, None)
            mean_rps = rps.sel(service=s.name).transpose("metro", "region", "hour").values
            # mean over the horizon's hours (periods weighted by the hours they stand for)
            mean_rps = (mean_rps * weight_h).sum(axis=2) / weight_h.sum()
            rtt = problem.rtt_ms.transpose("metro", "region").values
            for mi, ri in zip(*np.nonzero(mean_rps > 1e-9), strict=True):
                provider, region = regions[ri].split("/", 1)
                flows.append(Flow(s.name, str(problem.metros[mi]), provider, region,
                                  _r(float(mean_rps[mi, ri])), _r(float(rtt[mi, ri]), 2)))
        placements = [_with_latency(p, flows) for p in placements]

    t = solution.terms
    carbon_basis = t[f"carbon_{basis}_tco2e"] + t["carbon_embodied_tco2e"]
    totals = {
        "objective_usd": _r(solution.objective_usd or 0.0),
        "cost_usd": _r(t["compute_usd"] + t["egress_usd"]),
        "compute_usd": _r(t["compute_usd"]),
        "egress_usd": _r(t["egress_usd"]),
        "carbon_tco2e": _r(carbon_basis),
        "carbon_operational_tco2e": _r(t[f"carbon_{basis}_tco2e"]),
        "carbon_location_tco2e": _r(t["carbon_location_tco2e"]),
        "carbon_market_tco2e": _r(t["carbon_market_tco2e"]),
        "carbon_embodied_tco2e": _r(t["carbon_embodied_tco2e"]),
        "carbon_cost_usd": _r(sc.objective.carbon_price_usd_per_tco2e * carbon_basis),
        "water_m3": _r(t["water_m3"]),
        "water_cost_usd": _r(sc.objective.water_price_usd_per_m3 * (
            t["water_weighted_m3"] if sc.objective.water_scarcity_weighted else t["water_m3"])),
        "energy_mwh": _r(t["energy_kwh"] / KWH_PER_MWH),
        "gpu_hours": _r(sum(p.gpu_hours for p in placements)),
    }
    used = {f"{p.provider}/{p.region}" for p in placements}
    return Plan(
        scenario={"name": sc.name, "path": scenario_path, "sha256": sc.sha256()},
        status=str(solution.status),
        solver={"backend": solution.backend, "termination": solution.termination,
                "mip_gap": None if solution.mip_gap is None else _r(solution.mip_gap, 8),
                "build_s": _r(build_s, 4), "solve_s": _r(solution.solve_s, 4)},
        accounting=basis,
        horizon={"start_utc": sc.horizon.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "hours": sc.horizon.hours, "periods": len(problem.hours),
                 "representative": sc.horizon.representative,
                 "period_weights_h": ([_r(w, 3) for w in np.broadcast_to(
                     dt.values, (len(problem.hours),)).tolist()]
                     if sc.horizon.representative else None),
                 "period_start_utc": ([t.strftime("%Y-%m-%dT%H:%MZ") for t in problem.timestamps]
                                      if sc.horizon.representative else None)},
        objective={"carbon_price_usd_per_tco2e": sc.objective.carbon_price_usd_per_tco2e,
                   "water_price_usd_per_m3": sc.objective.water_price_usd_per_m3},
        totals=totals,
        placements=tuple(placements),
        workloads=tuple(_workloads(problem, placements, moves_by_job, starts_by_job)),
        flows=tuple(flows),
        schedule=schedule,
        inputs=tuple(problem.inputs),
        excluded=tuple(problem.excluded),
        incomplete=tuple([d for d in problem.incomplete if d["region"] in used]
                         + market_notes(problem, used)),
        grid_basis=grid_basis(problem, used),
        catalog={"origins": problem.catalog_origins, **catalog_notes(problem, used)},
        grid_carbon_basis=sc.grid_carbon_basis,
        fallbacks=tuple(f for f in problem.fallbacks if f["region"] in used),
        failover=_failover_report(problem, v.get("Service-gpus")),
    )


def _failover_report(problem: Problem, service_gpus: xr.DataArray | None
                     ) -> tuple[dict[str, Any], ...]:
    """Each region a surviving service runs in, lost in turn: demand left unserved (rps)."""
    if service_gpus is None:
        return ()
    slo = {s.name: s.failover_slo_ms for s in problem.scenario.inference}
    return tuple({"service": c.service, "lost_region": c.lost,
                  "failover_latency_slo_ms": slo[c.service],
                  "periods_checked": len(problem.hours),
                  "worst_unserved_rps": _r(c.worst_unserved_rps),
                  "worst_period": c.worst_period, "survives": c.survives}
                 for c in check_plan(problem, service_gpus))


def _with_latency(p: Placement, flows: list[Flow]) -> Placement:
    if p.kind != "inference":
        return p
    mine = [f for f in flows if f.service == p.workload and f.provider == p.provider
            and f.region == p.region]
    total = sum(f.rps for f in mine)
    lat = sum(f.rps * f.rtt_ms for f in mine) / total if total > 0 else None
    return Placement(**{**asdict(p), "rps": _r(total),
                        "latency_ms": None if lat is None else _r(lat, 2)})


def _workloads(problem: Problem, placements: list[Placement], moves_by_job: dict[str, float],
               starts_by_job: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    sc = problem.scenario
    workloads: list[TrainingJob | InferenceService] = [*sc.training, *sc.inference]
    for w in workloads:
        mine = [p for p in placements if p.workload == w.name]
        kind = "training" if w in sc.training else "inference"
        rps = sum(p.rps or 0.0 for p in mine)
        lat = (sum((p.rps or 0.0) * (p.latency_ms or 0.0) for p in mine) / rps) if rps else None
        data = getattr(w, "data", None)
        out.append({
            "name": w.name, "kind": kind, "gpu_model": w.gpu,
            "regions": [f"{p.provider}/{p.region}" for p in mine],
            "cost_usd": _r(sum(p.cost_usd for p in mine)),
            "carbon_tco2e": _r(sum(p.carbon_tco2e for p in mine)),
            "water_m3": _r(sum(p.water_m3 for p in mine)),
            "energy_mwh": _r(sum(p.energy_mwh for p in mine)),
            "gpu_hours": _r(sum(p.gpu_hours for p in mine)),
            "latency_ms": None if lat is None else _r(lat, 2),
            "latency_slo_ms": getattr(w, "latency_slo_ms", None),
            "data_home": data.home if data else None,
            "data_size_gb": data.size_gb if data else None,
            "moves": round(moves_by_job[w.name]) if w.name in moves_by_job else None,
            # (re)starts, each paying the job's restart overhead (jobs that model them)
            "starts": starts_by_job.get(w.name),
        })
    return out


def totals_check(plan: Plan) -> dict[str, float]:
    """Σ placements for cost, carbon, water, energy (for invariant tests)."""
    return {k: float(np.sum([getattr(p, k) for p in plan.placements]))
            for k in ("cost_usd", "carbon_tco2e", "water_m3", "energy_mwh", "gpu_hours")}
