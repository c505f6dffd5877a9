"""Read a plan.json dict into the per-placement parts the memos compute with.

A placement's figures are split into the parts that respond to different uncertain
inputs: compute $ (GPU-hours × the $/GPU-h the planner used, from ``inputs``), other $
(data egress), operational tCO2e (scales with grid intensity) and embodied tCO2e
(GPU-hours × embodied kgCO2e per GPU ÷ lifetime h ÷ 1000). Everything is read from the
plan; nothing is re-solved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planner.emit import planfile
from planner.memo.params import MemoError
from planner.units import KG_PER_T


@dataclass(frozen=True)
class Part:
    """One placement of a plan, over the plan's horizon (US$, tCO2e, m³, MWh, GPU-h)."""

    workload: str
    kind: str
    region_id: str
    provider: str
    gpu_model: str
    gpus: float
    gpu_hours: float
    compute_usd: float
    other_usd: float
    operational_tco2e: float
    embodied_tco2e: float
    water_m3: float
    energy_mwh: float
    rps: float
    latency_ms: float | None

    @property
    def cost_usd(self) -> float:
        return self.compute_usd + self.other_usd

    @property
    def carbon_tco2e(self) -> float:
        return self.operational_tco2e + self.embodied_tco2e


def horizon_hours(plan: Mapping[str, Any], name: str = "plan") -> float:
    """The plan's horizon in hours (> 0); MemoError if it has none."""
    return planfile.horizon_hours(plan, name, MemoError)


def _inputs(plan: Mapping[str, Any], figure: str) -> dict[str, dict[str, Any]]:
    return {str(i["key"]): i for i in plan.get("inputs", []) if i.get("figure") == figure}


def embodied_tco2e_per_gpu_hour(plan: Mapping[str, Any], gpu: str, name: str = "plan") -> float:
    """Embodied tCO2e per GPU-hour = embodied kgCO2e per GPU ÷ lifetime h ÷ 1000 kg/t."""
    emb = _inputs(plan, "embodied_kgco2e_per_gpu").get(gpu)
    life = _inputs(plan, "lifetime_h").get(gpu)
    if emb is None or life is None:
        raise MemoError(f"{name}: inputs lack embodied_kgco2e_per_gpu / lifetime_h for GPU "
                        f"{gpu!r}; re-run `regionplan plan` with this version")
    return float(emb["value"]) / float(life["value"]) / KG_PER_T


def usd_per_gpu_hour(plan: Mapping[str, Any], rid: str, gpu: str, instance: str,
                     name: str = "plan") -> float:
    """The $/GPU-h the planner used for ``gpu`` on ``instance`` in region ``rid``."""
    fig = _inputs(plan, "usd_per_gpu_hour").get(f"{rid} {gpu} {instance}")
    if fig is None:
        raise MemoError(f"{name}: inputs lack usd_per_gpu_hour for {rid} {gpu} {instance}")
    return float(fig["value"])


def _billed_compute_usd(plan: Mapping[str, Any], row: Mapping[str, Any], rid: str, gpu: str,
                        gpu_hours: float, name: str) -> float:
    """A placement's compute bill: instance-hours × $/instance-hour (whole-instance plans,
    any purchase option), else GPU-hours × the $/GPU-hour the planner used."""
    hours, price = row.get("instance_hours"), row.get("usd_per_instance_hour")
    if hours is not None and price is not None:
        return float(hours) * float(price)
    return gpu_hours * usd_per_gpu_hour(plan, rid, gpu, str(row["instance_type"]), name)


def parts(plan: Mapping[str, Any], name: str = "plan") -> list[Part]:
    """Every placement of ``plan`` split into :class:`Part` figures."""
    out = []
    for i, row in enumerate(plan.get("placements", [])):
        try:
            rid = f"{row['provider']}/{row['region']}"
            gpu = str(row["gpu_model"])
            gh = float(row["gpu_hours"])
            compute = _billed_compute_usd(plan, row, rid, gpu, gh, name)
            emb = gh * embodied_tco2e_per_gpu_hour(plan, gpu, name)
            out.append(Part(
                workload=str(row["workload"]), kind=str(row["kind"]), region_id=rid,
                provider=str(row["provider"]), gpu_model=gpu,
                gpus=float(row["instances"]) * float(row["gpus_per_instance"]),
                gpu_hours=gh, compute_usd=compute,
                # egress (the job's data copy, checkpoint moves) is billed with the plan
                other_usd=float(row["cost_usd"]) + float(row.get("egress_usd") or 0.0) - compute,
                operational_tco2e=float(row["carbon_tco2e"]) - emb, embodied_tco2e=emb,
                water_m3=float(row["water_m3"]), energy_mwh=float(row["energy_mwh"]),
                rps=float(row.get("rps") or 0.0),
                latency_ms=None if row.get("latency_ms") is None else float(row["latency_ms"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise MemoError(f"{name}: placements[{i}] lacks or mistypes {exc}") from exc
    return out


def workload_names(plan: Mapping[str, Any], kind: str) -> list[str]:
    """Names of the plan's workloads of ``kind`` (training | inference), in plan order."""
    return [str(w["name"]) for w in plan.get("workloads", []) if w.get("kind") == kind]


def pick_workload(plan: Mapping[str, Any], kind: str, name: str | None,
                  flag: str) -> str | None:
    """The workload the memo is about: ``name`` if given (checked), else the plan's first."""
    names = workload_names(plan, kind)
    if name is None:
        return names[0] if names else None
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise MemoError(f"{flag} {name!r}: the plan has no {kind} workload of that name{hint}; "
                        f"its {kind} workloads are: {', '.join(names) or 'none'}")
    return name


def used_inputs(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plan's input figures that bear on its placements: region figures only for the
    regions it uses (plus every non-regional figure), grid profiles only for their zones."""
    used = {f"{p['provider']}/{p['region']}" for p in plan.get("placements", [])}
    basis = " ".join(str(v) for v in (plan.get("grid_basis") or {}).values())
    keep = []
    for fig in plan.get("inputs", []):
        key = str(fig.get("key", ""))
        first = key.split(" ", 1)[0]
        if "/" in first and first.split("/", 1)[0] in ("aws", "gcp", "azure"):
            if first not in used:
                continue
        elif fig.get("figure") in ("grid_profile", "grid_hourly") and f"zone {key}" not in basis:
            continue
        keep.append(dict(fig))
    return keep
