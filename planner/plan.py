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
from planner.failover import capacity_rps, check_plan
from planner.gang import starts_of
from planner.offers import Options
from planner.problem import InputFigure, Problem
from planner.scenario import InferenceService, TrainingJob
from planner.solve import Solution, Status
from planner.units import G_PER_T, KWH_PER_MWH

PLAN_SCHEMA_VERSION = 1
EPS_GPU_HOURS = 1e-6
RELAXED_NOTE = ("relaxed: fractional instances (--relaxed); the cost is a lower bound on "
                "a deployable plan's")


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
    purchase: str = "on_demand"  # on_demand | spot | committed_1y | committed_3y
    usd_per_instance_hour: float = 0.0  # the price billed for this purchase option
    instance_hours: float = 0.0  # Σ periods instances × hours the period stands for
    schedule_instances: tuple[float, ...] = ()  # instances per planning period
    egress_usd: float = 0.0  # data and checkpoint copies (not in cost_usd)
    commitment_utilization: float | None = None  # committed: used / bought instance-hours


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

    def add(kind: str, name: str, opts: Options, inst: xr.DataArray,
            bought: xr.DataArray | None, extra_usd: np.ndarray, extra_kwh: np.ndarray) -> None:
        # numpy over [option, region, hour] once per workload; Python only for cells in use
        x = np.clip(inst.fillna(0.0).transpose("option", "region", "hour").values, 0.0, None)
        if solution.whole_instances:  # the solver returns whole counts within its tolerance
            x = np.round(x)
        gpi = opts.gpus_per_instance.sel({opts.dim: name}).fillna(0.0).values
        g = x * gpi[:, :, None]  # GPUs in use
        gh = g @ weight_h  # [option, region]
        fac = opts.facility_kwh_per_gpu_hour.sel({opts.dim: name}).fillna(0.0).values
        water = opts.water_m3_per_gpu_hour.sel({opts.dim: name}).fillna(0.0).values
        emb = opts.embodied_tco2e_per_gpu_hour.values
        usd = opts.usd_per_instance_hour.sel({opts.dim: name}).values
        op_t = fac * ((g * weight_h) * ci_rh[None]).sum(axis=2)
        held = (np.zeros_like(gh) if bought is None
                else bought.fillna(0.0).transpose("option", "region").values)
        by_region = g.sum(axis=0)
        first = set()
        for k, r in zip(*np.nonzero((gh > EPS_GPU_HOURS) | (held > 1e-9)), strict=True):
            option, rid = str(opts.options[k]), regions[r]
            offer = opts.offers[(name, option, rid)]
            committed = held[k, r] > 1e-9
            sched = np.full(len(weight_h), held[k, r]) if committed else x[k, r]
            inst_h = float(sched @ weight_h)
            gpu_hours = float(gh[k, r])
            extra_u, extra_k = (0.0, 0.0) if r in first else (float(extra_usd[r]),
                                                            float(extra_kwh[r]))
            first.add(r)
            kwh = gpu_hours * float(fac[k, r]) + extra_k
            carbon = float(op_t[k, r]) + extra_k * float(annual_r[r]) + gpu_hours * float(emb[k])
            provider, region = rid.split("/", 1)
            placements.append(Placement(
                workload=name, kind=kind, provider=provider, region=region,
                gpu_model=opts.gpu_of[option], instance_type=offer.instance_type,
                gpus_per_instance=offer.gpus_per_instance, peak_gpus=_r(float(g[k, r].max())),
                instances=math.ceil(float(sched.max()) - 1e-6), gpu_hours=_r(gpu_hours),
                cost_usd=_r(inst_h * float(usd[k, r])), carbon_tco2e=_r(carbon),
                water_m3=_r(gpu_hours * float(water[k, r])), energy_mwh=_r(kwh / KWH_PER_MWH),
                purchase=offer.purchase, usd_per_instance_hour=float(usd[k, r]),
                instance_hours=_r(inst_h), schedule_instances=tuple(_whole(sched)),
                egress_usd=_r(extra_u),
                commitment_utilization=(_r(float(x[k, r] @ weight_h) / inst_h, 4)
                                        if committed and inst_h > 0 else None)))
        for r in np.flatnonzero(by_region @ weight_h > EPS_GPU_HOURS):
            schedule.setdefault(name, {})[regions[r]] = by_region[r].tolist()

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
            add("training", job.name, problem.job_options,
                v["Job-instances"].sel(job=job.name), None, extra_usd.values, extra_kwh.values)
    if len(problem.services):
        rps = v["Service-rps"].fillna(0.0)
        bought_all = v.get("Service-commitment")
        none = np.zeros(len(regions))
        for s in sc.inference:
            bought = None if bought_all is None else bought_all.sel(service=s.name)
            add("inference", s.name, problem.service_options,
                v["Service-instances"].sel(service=s.name), bought, none, none)
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
                "build_s": _r(build_s, 4), "solve_s": _r(solution.solve_s, 4),
                "instances": "whole" if solution.whole_instances else RELAXED_NOTE,
                "stopped_at_time_limit": solution.stopped_at_time_limit},
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
        failover=_failover_report(problem, None if "Service-instances" not in v else
                                  capacity_rps(problem, v["Service-instances"])),
    )


def _failover_report(problem: Problem, capacity: xr.DataArray | None
                     ) -> tuple[dict[str, Any], ...]:
    """Each region a surviving service runs in, lost in turn: demand left unserved (rps).

    ``capacity``: requests/s the plan's instances serve [service, region, hour]."""
    if capacity is None:
        return ()
    slo = {s.name: s.failover_slo_ms for s in problem.scenario.inference}
    return tuple({"service": c.service, "lost_region": c.lost,
                  "failover_latency_slo_ms": slo[c.service],
                  "periods_checked": len(problem.hours),
                  "worst_unserved_rps": _r(c.worst_unserved_rps),
                  "worst_period": c.worst_period, "survives": c.survives}
                 for c in check_plan(problem, capacity))


def _whole(values: np.ndarray) -> list[float]:
    """Instances per period: whole numbers as ints; relaxed (fractional) counts kept as is."""
    near = np.round(values)
    if np.allclose(values, near, atol=1e-6):
        return [int(x) for x in near]
    return [float(x) for x in values]


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
            "name": w.name, "kind": kind, "gpu_model": w.gpu_label,
            "regions": list(dict.fromkeys(f"{p.provider}/{p.region}" for p in mine)),
            "cost_usd": _r(sum(p.cost_usd + p.egress_usd for p in mine)),
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
    out = {k: float(np.sum([getattr(p, k) for p in plan.placements]))
           for k in ("carbon_tco2e", "water_m3", "energy_mwh", "gpu_hours")}
    out["compute_usd"] = float(np.sum([p.cost_usd for p in plan.placements]))
    out["cost_usd"] = out["compute_usd"] + float(np.sum([p.egress_usd for p in plan.placements]))
    return out
