"""Diff two plans into migration moves with their one-time cost, saving and payback.

:func:`diff_plans` is pure: two plan.json dicts and the catalog's ``transfer`` table in,
a frozen :class:`PlanDiff` out. How it reads the plans:

* **Work** is measured in GPU-hours per month (a placement's ``gpu_hours`` × 730 h /
  its plan's horizon hours): the quantity a workload conserves when it moves (a training
  job's GPU-hours, an inference service's load), unlike provisioned GPUs, which round up
  and may not change at a destination that had headroom.
* **Moves.** Per workload, the change of GPU-hours per month in every region (proposed −
  current) is split into sources (regions that lose work) and destinations (regions that
  gain). Each destination draws from sources greedily — same cloud first, then by region
  id — giving moves ``(workload, from → to, GPUs)`` where GPUs are the source's
  provisioned GPUs (``instances * gpus_per_instance``) in proportion to the work moved.
  Work a destination cannot draw is *added* capacity, work a source does not give away
  is *removed* capacity; neither is a move. Changes below :data:`MIN_GPU_HOURS_PER_MONTH`
  are solver noise and ignored.
* **One-time cost of a move** = data egress + dual running.
  Egress: the workload's ``data_size_gb`` (from the plan's ``workloads``; 0 if it declares
  none) copied from the source to the destination, priced at the source cloud's
  ``usd_per_gb`` — scope ``inter_region`` within one cloud, ``internet`` across clouds —
  charged once per new destination (a region that already ran the workload has the data);
  the price is looked up only for moves that carry data.
  Dual running: the moved share of the old placement's $/h (``cost_usd / horizon hours``)
  × ``dual_run_hours``; its tCO2e and m³ likewise.
* **Saving per month** of a move = moved GPU-hours per month × (old placement's figure
  per GPU-hour − new placement's), for $, tCO2e and m³. Plan-wide savings compare the
  plans' totals, each scaled from its horizon to a month of :data:`HOURS_PER_MONTH` h.
* **Payback** values tCO2e and m³ at the proposed plan's prices (unless given):
  ``payback_days = one-time (cost + carbon price·tCO2e + water price·m³) / (monthly saving
  of the same / days per month)``; ``inf`` when the move saves nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import pandas as pd

from planner.emit.planfile import horizon_hours

HOURS_PER_MONTH = 730.0
"""Hours in the average month (8760 h / 12) used for every per-month figure."""
HOURS_PER_DAY = 24.0
DAYS_PER_MONTH = HOURS_PER_MONTH / HOURS_PER_DAY

DEFAULT_DUAL_RUN_HOURS = 168.0
"""Hours old and new placements run side by side during a move, unless told otherwise:
one week, a regionplan choice (not a measurement) shared by ``regionplan diff`` and the
migration memo so both price the same move the same way."""

MIN_GPU_HOURS_PER_MONTH = 0.01
"""Smaller changes of a workload's GPU-hours per month in a region are ignored (noise)."""


class DiffError(ValueError):
    """The plans cannot be compared (names the plan, workload or price that is missing)."""


@dataclass(frozen=True)
class Move:
    """GPUs of one workload moving from one region to another (``"cloud/region"`` ids).

    Money in US$, carbon in tCO2e, water in m³; ``*_per_month`` over 730 h.
    """

    workload: str
    kind: str
    gpu_model: str
    from_id: str
    to_id: str
    gpus: float
    gpu_hours_per_month: float
    egress_gb: float
    egress_usd_per_gb: float | None  # None when no data moves (no price needed)
    egress_usd: float
    dual_run_usd: float
    dual_run_tco2e: float
    dual_run_water_m3: float
    one_time_usd: float
    one_time_objective_usd: float
    saving_usd_per_month: float
    saving_tco2e_per_month: float
    saving_water_m3_per_month: float
    saving_objective_usd_per_month: float
    payback_days: float


@dataclass(frozen=True)
class CapacityChange:
    """Work of a workload added in (``> 0``) or removed from (``< 0``) a region without a
    counterpart elsewhere (demand or schedule changed, not a move). ``gpus`` is that
    region's provisioned GPUs in proportion to the work."""

    workload: str
    region_id: str
    gpus: float
    gpu_hours_per_month: float


@dataclass(frozen=True)
class PlanDiff:
    """Moves from ``current`` to ``proposed`` and the plan-wide savings per month.

    ``same_scenario`` compares scenario name and path. ``saving_*_per_month`` compare the
    two plans' totals (current − proposed, so positive
    is a saving); ``one_time_usd`` sums the listed moves. ``dual_run_hours``,
    ``carbon_price_usd_per_tco2e`` and ``water_price_usd_per_m3`` are the assumptions used.
    """

    moves: tuple[Move, ...]
    added: tuple[CapacityChange, ...]
    removed: tuple[CapacityChange, ...]
    saving_usd_per_month: float
    saving_tco2e_per_month: float
    saving_water_m3_per_month: float
    saving_objective_usd_per_month: float
    one_time_usd: float
    dual_run_hours: float
    carbon_price_usd_per_tco2e: float
    water_price_usd_per_m3: float
    current_scenario: str
    proposed_scenario: str
    same_scenario: bool
    max_payback_days: float | None = None

    def keep_payback_within(self, days: float) -> PlanDiff:
        """Only the moves that pay back within ``days`` days (``payback_days <= days``)."""
        if not days >= 0:
            raise DiffError(f"payback limit must be a non-negative number of days, got {days}")
        kept = tuple(m for m in self.moves if m.payback_days <= days)
        return replace(
            self,
            moves=kept,
            one_time_usd=sum(m.one_time_usd for m in kept),
            max_payback_days=float(days),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (``inf`` payback as ``None``): the migration memo's input."""
        doc = asdict(self)
        for m in doc["moves"]:
            if not math.isfinite(m["payback_days"]):
                m["payback_days"] = None
        doc["hours_per_month"] = HOURS_PER_MONTH
        return doc


@dataclass(frozen=True)
class _Site:
    """One workload's placement in one region: provisioned GPUs, work per month, and
    figures per hour of the horizon and per GPU-hour."""

    gpus: float
    gpu_hours_per_month: float
    usd_per_hour: float
    tco2e_per_hour: float
    water_m3_per_hour: float
    usd_per_gpu_hour: float
    tco2e_per_gpu_hour: float
    water_m3_per_gpu_hour: float
    provider: str
    kind: str
    gpu_model: str

    def gpus_for(self, gpu_hours_per_month: float) -> float:
        """Provisioned GPUs in proportion to a share of this site's work."""
        if self.gpu_hours_per_month <= 0:
            return 0.0
        return self.gpus * gpu_hours_per_month / self.gpu_hours_per_month


def _hours(plan: Mapping[str, Any], name: str) -> float:
    return horizon_hours(plan, f"{name} plan", DiffError)


def _sites(plan: Mapping[str, Any], name: str) -> dict[str, dict[str, _Site]]:
    """``{workload: {"cloud/region": _Site}}`` summing rows of the same region."""
    hours = _hours(plan, name)
    acc: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    for i, row in enumerate(plan.get("placements", [])):
        try:
            wl = str(row["workload"])
            rid = f"{row['provider']}/{row['region']}"
            gpus = float(row["instances"]) * float(row["gpus_per_instance"])
            figs = (float(row["cost_usd"]), float(row["carbon_tco2e"]), float(row["water_m3"]),
                    float(row["gpu_hours"]))
            meta = (str(row["provider"]), str(row["kind"]), str(row["gpu_model"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise DiffError(f"{name} plan: placements[{i}] lacks or mistypes {exc}") from exc
        if not all(math.isfinite(x) for x in (gpus, *figs)):
            raise DiffError(f"{name} plan: placements[{i}] ({wl} in {rid}) has a non-finite figure")
        cur = acc[wl].get(rid)
        if cur is None:
            acc[wl][rid] = [gpus, *figs, *meta]
        else:
            cur[0] += gpus
            cur[1] += figs[0]
            cur[2] += figs[1]
            cur[3] += figs[2]
            cur[4] += figs[3]

    def per_gpu_hour(x: float, gh: float) -> float:
        return x / gh if gh > 0 else 0.0

    return {
        wl: {
            rid: _Site(
                gpus=v[0], gpu_hours_per_month=v[4] * HOURS_PER_MONTH / hours,
                usd_per_hour=v[1] / hours, tco2e_per_hour=v[2] / hours,
                water_m3_per_hour=v[3] / hours, usd_per_gpu_hour=per_gpu_hour(v[1], v[4]),
                tco2e_per_gpu_hour=per_gpu_hour(v[2], v[4]),
                water_m3_per_gpu_hour=per_gpu_hour(v[3], v[4]),
                provider=v[5], kind=v[6], gpu_model=v[7],
            )
            for rid, v in regions.items()
        }
        for wl, regions in acc.items()
    }


def _data_sizes(*plans: Mapping[str, Any]) -> dict[str, float]:
    """``{workload: data_size_gb}`` from the plans' ``workloads`` (first plan wins)."""
    sizes: dict[str, float] = {}
    for plan in plans:
        for w in plan.get("workloads", []) or []:
            size = w.get("data_size_gb")
            if w.get("name") is not None and w["name"] not in sizes and size is not None:
                sizes[str(w["name"])] = float(size)
    return sizes


def egress_usd_per_gb(transfer: pd.DataFrame, from_provider: str, to_provider: str) -> float:
    """Egress price ($/GB) charged by ``from_provider`` for data leaving towards
    ``to_provider``: scope ``inter_region`` within one cloud, ``internet`` across."""
    missing = {"provider", "scope", "usd_per_gb"} - set(transfer.columns)
    if missing:
        raise DiffError(f"transfer table lacks column(s) {sorted(missing)}")
    scope = "inter_region" if from_provider == to_provider else "internet"
    rows = transfer[(transfer["provider"] == from_provider) & (transfer["scope"] == scope)]
    if len(rows) != 1 or pd.isna(rows["usd_per_gb"].iloc[0]):
        raise DiffError(
            f"transfer table has no single usd_per_gb for provider={from_provider!r}, "
            f"scope={scope!r} ({len(rows)} row(s)); needed to price egress "
            f"{from_provider} → {to_provider}"
        )
    return float(rows["usd_per_gb"].iloc[0])


def _price(plan: Mapping[str, Any], key: str, override: float | None) -> float:
    if override is not None:
        return float(override)
    try:
        return float(plan["objective"][key])
    except (KeyError, TypeError, ValueError) as exc:
        raise DiffError(f"proposed plan: no objective.{key}; pass it explicitly") from exc


def _monthly_totals(plan: Mapping[str, Any], name: str) -> tuple[float, float, float]:
    scale = HOURS_PER_MONTH / _hours(plan, name)
    try:
        t = plan["totals"]
        return (float(t["cost_usd"]) * scale, float(t["carbon_tco2e"]) * scale,
                float(t["water_m3"]) * scale)
    except (KeyError, TypeError, ValueError) as exc:
        raise DiffError(f"{name} plan: totals lack {exc}") from exc


def _scenario_id(plan: Mapping[str, Any]) -> tuple[Any, Any]:
    """Name and path: plans of one scenario solved with other prices (``--carbon-price``)
    have different scenario hashes but are the same scenario for a migration."""
    scenario = plan.get("scenario") or {}
    return scenario.get("name"), scenario.get("path")


def _payback_days(one_time: float, saving_per_month: float) -> float:
    if saving_per_month <= 0:
        return math.inf
    return max(one_time, 0.0) / (saving_per_month / DAYS_PER_MONTH)


def diff_plans(
    current: Mapping[str, Any],
    proposed: Mapping[str, Any],
    transfer: pd.DataFrame,
    dual_run_hours: float,
    *,
    carbon_price_usd_per_tco2e: float | None = None,
    water_price_usd_per_m3: float | None = None,
) -> PlanDiff:
    """The moves from ``current`` to ``proposed`` (plan.json dicts); see the module doc.

    ``transfer`` is the catalog's transfer table (``provider``, ``scope``,
    ``usd_per_gb``). ``dual_run_hours`` (h) is how long old and new placements run side
    by side. Carbon and water prices default to the proposed plan's objective.
    """
    if not (math.isfinite(dual_run_hours) and dual_run_hours >= 0):
        raise DiffError(f"dual_run_hours must be a non-negative number, got {dual_run_hours}")
    cprice = _price(proposed, "carbon_price_usd_per_tco2e", carbon_price_usd_per_tco2e)
    wprice = _price(proposed, "water_price_usd_per_m3", water_price_usd_per_m3)
    cur_sites = _sites(current, "current")
    new_sites = _sites(proposed, "proposed")
    sizes = _data_sizes(current, proposed)

    moves: list[Move] = []
    added: list[CapacityChange] = []
    removed: list[CapacityChange] = []
    for wl in sorted(set(cur_sites) | set(new_sites)):
        old = cur_sites.get(wl, {})
        new = new_sites.get(wl, {})
        delta = {
            rid: (new[rid].gpu_hours_per_month if rid in new else 0.0)
            - (old[rid].gpu_hours_per_month if rid in old else 0.0)
            for rid in sorted(set(old) | set(new))
        }
        give = {rid: -d for rid, d in delta.items() if d < -MIN_GPU_HOURS_PER_MONTH}
        take = {rid: d for rid, d in delta.items() if d > MIN_GPU_HOURS_PER_MONTH}
        charged: set[str] = set()
        for dst in sorted(take):
            dst_site = new[dst]
            sources = sorted(give, key=lambda r: (old[r].provider != dst_site.provider, r))
            for src in sources:
                if take[dst] <= MIN_GPU_HOURS_PER_MONTH:
                    break
                amount = min(take[dst], give[src])
                if amount <= MIN_GPU_HOURS_PER_MONTH:
                    continue
                take[dst] -= amount
                give[src] -= amount
                moves.append(
                    _move(wl, old[src], dst_site, src, dst, amount, transfer,
                          sizes.get(wl, 0.0) if (dst not in old and dst not in charged) else 0.0,
                          dual_run_hours, cprice, wprice)
                )
                charged.add(dst)
            if take[dst] > MIN_GPU_HOURS_PER_MONTH:
                added.append(CapacityChange(wl, dst, dst_site.gpus_for(take[dst]), take[dst]))
        removed.extend(
            CapacityChange(wl, src, -old[src].gpus_for(g), -g)
            for src, g in give.items()
            if g > MIN_GPU_HOURS_PER_MONTH
        )

    cur_m = _monthly_totals(current, "current")
    new_m = _monthly_totals(proposed, "proposed")
    s_usd, s_t, s_w = (c - n for c, n in zip(cur_m, new_m, strict=True))
    return PlanDiff(
        moves=tuple(moves),
        added=tuple(added),
        removed=tuple(removed),
        saving_usd_per_month=s_usd,
        saving_tco2e_per_month=s_t,
        saving_water_m3_per_month=s_w,
        saving_objective_usd_per_month=s_usd + cprice * s_t + wprice * s_w,
        one_time_usd=sum(m.one_time_usd for m in moves),
        dual_run_hours=float(dual_run_hours),
        carbon_price_usd_per_tco2e=cprice,
        water_price_usd_per_m3=wprice,
        current_scenario=str(current.get("scenario", {}).get("name", "")),
        proposed_scenario=str(proposed.get("scenario", {}).get("name", "")),
        same_scenario=_scenario_id(current) == _scenario_id(proposed),
    )


def _move(
    workload: str,
    src: _Site,
    dst: _Site,
    src_id: str,
    dst_id: str,
    gpu_hours_per_month: float,
    transfer: pd.DataFrame,
    egress_gb: float,
    dual_run_hours: float,
    cprice: float,
    wprice: float,
) -> Move:
    f_src = gpu_hours_per_month / src.gpu_hours_per_month  # share of the old site's work
    # Look the price up only when data moves: a missing price for a route no data takes
    # must not block the diff.
    price = egress_usd_per_gb(transfer, src.provider, dst.provider) if egress_gb > 0 else None
    egress_usd = egress_gb * price if price is not None else 0.0
    dual_usd = src.usd_per_hour * f_src * dual_run_hours
    dual_t = src.tco2e_per_hour * f_src * dual_run_hours
    dual_w = src.water_m3_per_hour * f_src * dual_run_hours
    one_time = egress_usd + dual_usd
    one_time_obj = one_time + cprice * dual_t + wprice * dual_w
    s_usd = gpu_hours_per_month * (src.usd_per_gpu_hour - dst.usd_per_gpu_hour)
    s_t = gpu_hours_per_month * (src.tco2e_per_gpu_hour - dst.tco2e_per_gpu_hour)
    s_w = gpu_hours_per_month * (src.water_m3_per_gpu_hour - dst.water_m3_per_gpu_hour)
    s_obj = s_usd + cprice * s_t + wprice * s_w
    return Move(
        workload=workload,
        kind=src.kind,
        gpu_model=dst.gpu_model,
        from_id=src_id,
        to_id=dst_id,
        gpus=src.gpus * f_src,
        gpu_hours_per_month=gpu_hours_per_month,
        egress_gb=egress_gb,
        egress_usd_per_gb=price,
        egress_usd=egress_usd,
        dual_run_usd=dual_usd,
        dual_run_tco2e=dual_t,
        dual_run_water_m3=dual_w,
        one_time_usd=one_time,
        one_time_objective_usd=one_time_obj,
        saving_usd_per_month=s_usd,
        saving_tco2e_per_month=s_t,
        saving_water_m3_per_month=s_w,
        saving_objective_usd_per_month=s_obj,
        payback_days=_payback_days(one_time_obj, s_obj),
    )
