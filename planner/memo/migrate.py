"""Region migration: what moving from the current plan to the proposed one changes per year.

Pure computation on two plan.json dicts. Moves, one-time cost (egress + dual running)
come from :func:`planner.diff.diff_plans`; this module adds per-year deltas, both GHG
Protocol scope 2 bases, latency, residency checks, payback and risks. Each plan's
figures are scaled to a year by 8760 h ÷ its horizon hours (the horizon is taken as a
representative period; a training job in it is treated as recurring at that rate).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.diff import DiffError, PlanDiff, diff_plans
from planner.memo import uncertainty as unc
from planner.memo.params import MemoError, MigrateParams
from planner.memo.planview import horizon_hours, parts
from planner.units import HOURS_PER_YEAR

DAYS_PER_YEAR = HOURS_PER_YEAR / 24.0


@dataclass(frozen=True)
class Yearly:
    """One plan's totals per year (US$, tCO2e, m³, MWh)."""

    name: str
    cost_usd: float
    tco2e: float
    location_tco2e: float
    market_tco2e: float
    embodied_tco2e: float
    water_m3: float
    energy_mwh: float
    regions: tuple[str, ...]
    providers: tuple[str, ...]


@dataclass(frozen=True)
class LatencyChange:
    """Demand-weighted mean and worst round trip of one service (ms)."""

    service: str
    current_ms: float | None
    proposed_ms: float | None
    current_worst_ms: float | None
    proposed_worst_ms: float | None
    slo_ms: float | None


@dataclass(frozen=True)
class Migration:
    """Per-year deltas (current − proposed: positive = saving) and one-time cost."""

    current: Yearly
    proposed: Yearly
    diff: PlanDiff
    params: MigrateParams
    accounting: str
    carbon_price_usd_per_tco2e: float
    water_price_usd_per_m3: float
    saving_usd_per_year: float
    saving_tco2e_per_year: float
    saving_location_tco2e_per_year: float
    saving_market_tco2e_per_year: float
    saving_water_m3_per_year: float
    saving_carbon_cost_usd_per_year: float
    saving_objective_usd_per_year: float
    egress_usd: float
    dual_run_usd: float
    dual_run_tco2e: float
    dual_run_water_m3: float
    one_time_usd: float
    one_time_objective_usd: float
    payback_days: float
    latency: tuple[LatencyChange, ...]
    residency_notes: tuple[str, ...]
    residency_ok: bool
    risks: tuple[str, ...]

    @property
    def changes_regions(self) -> bool:
        d = self.diff
        return bool(d.moves or d.added or d.removed)


def yearly(plan: Mapping[str, Any], name: str) -> Yearly:
    """``plan``'s totals scaled to a year (8760 h ÷ horizon h)."""
    k = HOURS_PER_YEAR / horizon_hours(plan, name)
    t = plan.get("totals", {})
    try:
        emb = float(t["carbon_embodied_tco2e"])
        fig = Yearly(name, float(t["cost_usd"]) * k, float(t["carbon_tco2e"]) * k,
                     (float(t["carbon_location_tco2e"]) + emb) * k,
                     (float(t["carbon_market_tco2e"]) + emb) * k, emb * k,
                     float(t["water_m3"]) * k, float(t["energy_mwh"]) * k,
                     tuple(sorted({f"{p['provider']}/{p['region']}"
                                   for p in plan.get("placements", [])})),
                     tuple(sorted({str(p["provider"]) for p in plan.get("placements", [])})))
    except (KeyError, TypeError, ValueError) as exc:
        raise MemoError(f"{name} plan: totals lack {exc}") from exc
    return fig


def _latency(current: Mapping[str, Any], proposed: Mapping[str, Any]) -> list[LatencyChange]:
    def per(plan: Mapping[str, Any]) -> dict[str, tuple[float | None, float | None, Any]]:
        worst: dict[str, float] = {}
        for f in plan.get("flows", []):
            worst[f["service"]] = max(worst.get(f["service"], 0.0), float(f["rtt_ms"]))
        return {w["name"]: (w.get("latency_ms"), worst.get(w["name"]), w.get("latency_slo_ms"))
                for w in plan.get("workloads", []) if w.get("kind") == "inference"}

    c, p = per(current), per(proposed)
    return [LatencyChange(s, c.get(s, (None,) * 3)[0], p.get(s, (None,) * 3)[0],
                          c.get(s, (None,) * 3)[1], p.get(s, (None,) * 3)[1],
                          (p.get(s) or c.get(s) or (None, None, None))[2])
            for s in sorted(set(c) | set(p))]


def residency(plan: Mapping[str, Any], regions: pd.DataFrame, metros: pd.DataFrame,
              label: str) -> list[str]:
    """Places where EU users' requests or EU-held training data leave the EU in ``plan``."""
    jur = dict(zip(regions["provider"] + "/" + regions["region"], regions["jurisdiction"],
                   strict=True))
    mj = dict(zip(metros["metro"], metros["jurisdiction"], strict=True))
    out = []
    for f in plan.get("flows", []):
        rid = f"{f['provider']}/{f['region']}"
        if mj.get(f["metro"]) == "EU" and jur.get(rid) != "EU":
            out.append(f"{label}: {f['service']} serves EU users in {f['metro']} from {rid} "
                       f"({jur.get(rid, 'unknown jurisdiction')}), outside the EU "
                       f"({float(f['rps']):,.1f} requests/s)")
    for w in plan.get("workloads", []):
        home = w.get("data_home")
        if home and jur.get(home) == "EU":
            for rid in w.get("regions", []):
                if jur.get(rid) != "EU":
                    out.append(f"{label}: {w['name']} copies its {w.get('data_size_gb') or 0:,.0f}"
                               f" GB of EU-held data from {home} to {rid} ({jur.get(rid)})")
    return out


def migrate(current: Mapping[str, Any], proposed: Mapping[str, Any], transfer: pd.DataFrame,
            regions: pd.DataFrame, metros: pd.DataFrame, params: MigrateParams) -> Migration:
    """Compare ``current`` and ``proposed`` plans (see the module doc)."""
    if current.get("accounting") != proposed.get("accounting"):
        raise MemoError(f"the plans use different carbon accounting (current "
                        f"{current.get('accounting')}, proposed {proposed.get('accounting')}); "
                        "plan both with the same `accounting:` so their tCO2e compare")
    try:
        d = diff_plans(current, proposed, transfer, params.dual_run_hours,
                       carbon_price_usd_per_tco2e=params.carbon_price_usd_per_tco2e,
                       water_price_usd_per_m3=params.water_price_usd_per_m3)
    except DiffError as err:
        raise MemoError(str(err)) from None
    c, p = yearly(current, "current"), yearly(proposed, "proposed")
    cp, wp = d.carbon_price_usd_per_tco2e, d.water_price_usd_per_m3
    s_usd, s_t, s_w = c.cost_usd - p.cost_usd, c.tco2e - p.tco2e, c.water_m3 - p.water_m3
    s_obj = s_usd + cp * s_t + wp * s_w
    # One one-time-cost model: the diff's per-move egress + dual running, summed.
    egress = sum(m.egress_usd for m in d.moves)
    dual_usd = sum(m.dual_run_usd for m in d.moves)
    dual_t = sum(m.dual_run_tco2e for m in d.moves)
    dual_w = sum(m.dual_run_water_m3 for m in d.moves)
    one_obj = sum(m.one_time_objective_usd for m in d.moves)
    payback = one_obj / (s_obj / DAYS_PER_YEAR) if s_obj > 0 else math.inf
    res_now = residency(current, regions, metros, "today")
    res_new = residency(proposed, regions, metros, "proposed")
    notes = res_new + res_now
    lat = _latency(current, proposed)
    m = Migration(
        current=c, proposed=p, diff=d, params=params, accounting=str(proposed["accounting"]),
        carbon_price_usd_per_tco2e=cp, water_price_usd_per_m3=wp, saving_usd_per_year=s_usd,
        saving_tco2e_per_year=s_t, saving_location_tco2e_per_year=c.location_tco2e
        - p.location_tco2e, saving_market_tco2e_per_year=c.market_tco2e - p.market_tco2e,
        saving_water_m3_per_year=s_w, saving_carbon_cost_usd_per_year=cp * s_t,
        saving_objective_usd_per_year=s_obj, egress_usd=egress, dual_run_usd=dual_usd,
        dual_run_tco2e=dual_t, dual_run_water_m3=dual_w, one_time_usd=d.one_time_usd,
        one_time_objective_usd=one_obj, payback_days=payback, latency=tuple(lat),
        residency_notes=tuple(notes), residency_ok=not res_new, risks=())
    return _with_risks(m, current, proposed)


def _with_risks(m: Migration, current: Mapping[str, Any],
                proposed: Mapping[str, Any]) -> Migration:
    from dataclasses import replace

    risks = []
    for lc in m.latency:
        if lc.current_ms is not None and lc.proposed_ms is not None \
                and lc.proposed_ms > lc.current_ms + 0.5:
            risks.append(f"Latency: {lc.service}'s average round trip rises from "
                         f"{lc.current_ms:.0f} ms to {lc.proposed_ms:.0f} ms (limit "
                         f"{lc.slo_ms:g} ms); round trips are modelled from distance, "
                         "not measured")
    new = sorted(set(m.proposed.regions) - set(m.current.regions))
    quota = {str(i["key"]).split(" ")[0] for i in proposed.get("inputs", [])
             if i.get("figure") == "quota_gpus"}
    unconfirmed = [r for r in new if r not in quota]
    if unconfirmed:
        risks.append("Capacity: GPU quota in " + ", ".join(unconfirmed) + " is not confirmed "
                     "(the plan assumes it is available); request quota before committing")
    if new:
        as_of = sorted({str(i.get("as_of")) for i in proposed.get("inputs", [])
                        if i.get("figure") == "usd_per_gpu_hour"
                        and str(i["key"]).split(" ")[0] in new})
        risks.append("Prices: GPU prices in the new regions are list prices as of "
                     + "; ".join(as_of) + "; committed-use discounts can change the ranking")
    if len(m.proposed.providers) < len(m.current.providers):
        risks.append("Concentration: the proposal uses fewer cloud providers ("
                     + ", ".join(m.proposed.providers) + ") than today ("
                     + ", ".join(m.current.providers) + ")")
    if (m.saving_location_tco2e_per_year > 0) != (m.saving_market_tco2e_per_year > 0):
        risks.append("Reporting: the carbon saving has opposite signs under location- and "
                     "market-based accounting; say which basis any claim uses")
    if any(w.get("kind") == "training" for w in proposed.get("workloads", [])):
        risks.append("Training: a training job's figures are scaled from one run in the plan "
                      "horizon to a year, as if it recurred at that rate")
    for inc in proposed.get("incomplete", []) or []:
        risks.append(f"Data gap: {inc.get('region')}: {inc.get('figure', '')} "
                     f"{inc.get('effect', inc.get('reason', ''))}".rstrip())
    return replace(m, risks=tuple(risks))


# ---------------------------------------------------------------------------------------------
# Uncertainty: yearly saving incl. carbon (and water) price, and payback


def uncertain_inputs(m: Migration, current: Mapping[str, Any],
                     proposed: Mapping[str, Any]) -> list[unc.Uncertain]:
    """Per-region grid factors, per-provider price factors, utilization, one-time costs."""
    pc, pp = parts(current, "current"), parts(proposed, "proposed")
    rids = sorted({x.region_id for x in pc + pp})
    provs = sorted({x.provider for x in pc + pp})
    grid = "grid carbon intensity (every region)"
    out = [unc.rel(f"grid:{r}", grid, unc.GRID_CI_REL_RANGE,
                   "GRID_CI_REL_RANGE (modelling assumption)", group=grid) for r in rids]
    out += [unc.rel(f"price:{v}", f"{v} GPU $/hour", unc.GPU_PRICE_REL_RANGE,
                    "GPU_PRICE_REL_RANGE (modelling assumption)") for v in provs]
    out += [unc.rel("util", "serving utilization", 0.0, "SERVING_UTILIZATION_LOW "
                    "(modelling assumption)", low=unc.SERVING_UTILIZATION_LOW),
            unc.rel("egress", "egress $/GB", unc.EGRESS_PRICE_REL_RANGE,
                    "EGRESS_PRICE_REL_RANGE (modelling assumption)"),
            unc.rel("dual", "dual-running time", unc.DUAL_RUN_REL_RANGE,
                    "DUAL_RUN_REL_RANGE (modelling assumption)"),
            unc.Uncertain("carbon_price", "internal carbon price", m.carbon_price_usd_per_tco2e,
                          0.0, m.carbon_price_usd_per_tco2e * (1 + unc.CARBON_PRICE_REL_RANGE),
                          "$/tCO2e", "policy range 0 … 2× (tornado only)", sampled=False)]
    return out


def outcome_fns(m: Migration, current: Mapping[str, Any], proposed: Mapping[str, Any]
                ) -> dict[str, unc.Outcome]:
    """Vectorized per-year savings ("objective", "usd", "tco2e") and "payback" (days)."""
    sides = [(parts(current, "current"), HOURS_PER_YEAR / horizon_hours(current), 1.0),
             (parts(proposed, "proposed"), HOURS_PER_YEAR / horizon_hours(proposed), -1.0)]
    wp = m.water_price_usd_per_m3

    def terms(v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        usd = t = w = np.zeros_like(v["util"])
        for ps, k, sign in sides:
            for x in ps:
                u = 1.0 / v["util"] if x.kind == "inference" else 1.0
                usd = usd + sign * k * u * (x.compute_usd * v[f"price:{x.provider}"]
                                            + x.other_usd)
                t = t + sign * k * u * (x.operational_tco2e * v[f"grid:{x.region_id}"]
                                        + x.embodied_tco2e)
                w = w + sign * k * u * x.water_m3
        return usd, t, w

    def objective(v: dict[str, np.ndarray]) -> np.ndarray:
        usd, t, w = terms(v)
        return usd + v["carbon_price"] * t + wp * w

    def payback(v: dict[str, np.ndarray]) -> np.ndarray:
        one = m.egress_usd * v["egress"] + v["dual"] * (
            m.dual_run_usd + v["carbon_price"] * m.dual_run_tco2e + wp * m.dual_run_water_m3)
        s = objective(v)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s > 0, one / (s / DAYS_PER_YEAR), np.inf)

    return {"objective": objective, "usd": lambda v: terms(v)[0],
            "tco2e": lambda v: terms(v)[1], "payback": payback}


def analyse(m: Migration, current: Mapping[str, Any], proposed: Mapping[str, Any],
            samples: int, seed: int) -> tuple[unc.Tornado, unc.MonteCarlo]:
    """Tornado of the yearly carbon-priced saving and Monte Carlo intervals."""
    inputs = uncertain_inputs(m, current, proposed)
    fns = outcome_fns(m, current, proposed)
    t = unc.tornado(inputs, fns["objective"], "saving per year incl. carbon price, $")
    mc = unc.monte_carlo(inputs, [
        ("saving per year incl. carbon price", "$", fns["objective"]),
        ("saving per year, cost only", "$", fns["usd"]),
        ("carbon saving per year", "tCO2e", fns["tco2e"]),
        ("payback", "days", fns["payback"]),
    ], samples, seed)
    return t, mc
