"""Build vs buy: train and self-host (the planner's placement) or call an API per token.

Pure computation on a plan.json dict. Formulas (volume V in requests per month, horizon
M months, n trainings over the horizon; all shown in the memo's appendix):

* requests served in the plan, R = Σ service rps × 3600 s/h × plan hours H
* self-hosted $ per request  s$ = Σ service placement $ / R   (likewise tCO2e, m³)
* API $ per request          a$ = (tokens_in × $/M_in + tokens_out × $/M_out) / 10⁶
* API tCO2e per request      aC = tokens_out / 1000 × Wh/1k × gCO2e/kWh / 1000 / 10⁶
* warm floor: self-hosting keeps at least G_f GPUs running (min_regions × min GPUs per
  region), serving V_f = G_f × (R / service GPU-hours) × 730 h / 10⁶ million requests/month
* build TCO(V) = n × training $ + max(V, V_f) × M × s$ ;  buy TCO(V) = V × M × a$
* carbon-adjusted: add carbon price × tCO2e to each side
* break-even V*: where build TCO = buy TCO; above the floor V* = n × training $ /
  (M × (a$ − s$)), below it V* = (n × training $ + V_f × M × s$) / (M × a$); none when
  a$ ≤ s$
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.memo import uncertainty as unc
from planner.memo.params import (
    API_WH_PER_1K_OUTPUT_TOKENS_RANGE,
    OUTPUT_TOKENS_RANGE,
    SOURCES,
    BuildVsBuyParams,
    MemoError,
    Source,
    api_gco2e_per_1k_output_tokens,
    api_water_l_per_1k_output_tokens,
)
from planner.memo.planview import Part, horizon_hours, parts, pick_workload
from planner.units import G_PER_T, HOURS_PER_MONTH, L_PER_M3

S_PER_H = 3_600.0
TOKENS_PER_M = 1e6
M = 1e6  # "million requests"
CURVE_POINTS = 61


@dataclass(frozen=True)
class Totals:
    """Figures summed over some placements (US$, tCO2e, m³, MWh, GPU-h)."""

    usd: float
    compute_usd: float
    operational_tco2e: float
    embodied_tco2e: float
    water_m3: float
    energy_mwh: float
    gpu_hours: float
    regions: tuple[str, ...]

    @property
    def tco2e(self) -> float:
        return self.operational_tco2e + self.embodied_tco2e


def _sum(ps: list[Part]) -> Totals:
    return Totals(sum(p.cost_usd for p in ps), sum(p.compute_usd for p in ps),
                  sum(p.operational_tco2e for p in ps), sum(p.embodied_tco2e for p in ps),
                  sum(p.water_m3 for p in ps), sum(p.energy_mwh for p in ps),
                  sum(p.gpu_hours for p in ps), tuple(sorted({p.region_id for p in ps})))


@dataclass(frozen=True)
class CurvePoint:
    """TCO over the horizon at one volume (US$, tCO2e)."""

    m_requests_per_month: float
    build_usd: float
    buy_usd: float
    build_adjusted_usd: float
    buy_adjusted_usd: float
    build_tco2e: float
    buy_tco2e: float


@dataclass(frozen=True)
class BuildVsBuy:
    """The build-vs-buy comparison (see the module doc for every formula)."""

    scenario: str
    accounting: str
    plan_hours: float
    params: BuildVsBuyParams
    api_grid_source: Source
    carbon_price_usd_per_tco2e: float
    training_name: str | None
    service_name: str
    training: Totals
    serving: Totals
    service_rps: float
    requests_in_plan: float
    tokens_per_request: float
    self_usd_per_request: float
    self_tco2e_per_request: float
    self_water_m3_per_request: float
    api_usd_per_request: float
    api_tco2e_per_request: float
    api_water_m3_per_request: float
    api_gco2e_per_1k_output_tokens: float
    planned_m_requests_per_month: float
    volume_m_requests_per_month: float
    floor_gpus: float
    floor_basis: str
    floor_m_requests_per_month: float
    build_usd: float
    buy_usd: float
    build_tco2e: float
    buy_tco2e: float
    build_water_m3: float
    buy_water_m3: float
    build_adjusted_usd: float
    buy_adjusted_usd: float
    breakeven_m_requests_per_month: float | None
    breakeven_adjusted_m_requests_per_month: float | None
    breakeven_carbon_m_requests_per_month: float | None
    curve: tuple[CurvePoint, ...]

    @property
    def self_usd_per_m_tokens(self) -> float:
        """Self-hosted $ per million tokens (input + output)."""
        return self.self_usd_per_request / self.tokens_per_request * TOKENS_PER_M

    @property
    def api_usd_per_m_tokens(self) -> float:
        return self.api_usd_per_request / self.tokens_per_request * TOKENS_PER_M

    @property
    def self_gco2e_per_1k_output_tokens(self) -> float:
        return (self.self_tco2e_per_request * G_PER_T
                / self.params.output_tokens_per_request * 1000)

    @property
    def months(self) -> float:
        return self.params.horizon_months

    @property
    def trainings(self) -> float:
        return self.params.trainings_per_horizon


def _breakeven(fixed: float, s: float, a: float, months: float, floor_m: float) -> float | None:
    """Million requests/month where ``fixed + max(V, V_f)·M·s = V·M·a`` (None if a ≤ s)."""
    if a <= s:
        return None
    below = (fixed + floor_m * M * months * s) / (months * a) / M
    return below if below <= floor_m else fixed / (months * (a - s)) / M


def api_grid(params: BuildVsBuyParams, regions: pd.DataFrame | None
             ) -> tuple[BuildVsBuyParams, Source]:
    """Apply ``api_region`` (grid intensity from the catalog) if given; else the default."""
    if params.api_region is None:
        return params, SOURCES["api_grid_gco2e_per_kwh"]
    if regions is None:
        raise MemoError("api_region needs the catalog's regions table")
    ids = (regions["provider"] + "/" + regions["region"]).tolist()
    if params.api_region not in ids:
        import difflib

        close = difflib.get_close_matches(params.api_region, ids, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise MemoError(f"--api-region {params.api_region!r}: unknown region{hint}; "
                        "write provider/region, e.g. azure/eastus (list: `regionplan regions`)")
    row = regions.iloc[ids.index(params.api_region)]
    ci = float(row["grid_ci_gco2e_per_kwh"])
    if math.isnan(ci):
        raise MemoError(f"--api-region {params.api_region}: the catalog has no grid intensity "
                        "for it; pass --api-grid-gco2e-per-kwh instead")
    src = Source(f"catalog regions.csv {params.api_region}: {row['grid_ci_source']}",
                 str(row.get("as_of", "")))
    return params.model_copy(update={"api_grid_gco2e_per_kwh": ci}), src


def build_vs_buy(plan: Mapping[str, Any], params: BuildVsBuyParams,
                 regions: pd.DataFrame | None = None, floor_gpus: float | None = None,
                 floor_basis: str | None = None) -> BuildVsBuy:
    """Compare training + self-hosting (from ``plan``) with an API, per the module doc.

    ``floor_gpus`` is the warm capacity self-hosting keeps at any volume (the scenario's
    min_regions × min_gpus_per_region); without it, one GPU per region the plan uses."""
    params, grid_src = api_grid(params, regions)
    hours = horizon_hours(plan)
    service = pick_workload(plan, "inference", params.service, "--service")
    if service is None:
        raise MemoError("build-vs-buy needs an inference service in the plan (the API "
                        "replaces self-hosted serving); this plan has none")
    job = pick_workload(plan, "training", params.training, "--training")
    ps = parts(plan)
    train = _sum([p for p in ps if p.workload == job and p.kind == "training"])
    serve = _sum([p for p in ps if p.workload == service and p.kind == "inference"])
    rps = sum(p.rps for p in ps if p.workload == service and p.kind == "inference")
    if not rps > 0:
        raise MemoError(f"service {service!r} serves no requests in the plan")
    requests = rps * S_PER_H * hours
    cprice = (params.carbon_price_usd_per_tco2e if params.carbon_price_usd_per_tco2e is not None
              else float(plan.get("objective", {}).get("carbon_price_usd_per_tco2e", 0.0)))
    tin, tout = params.input_tokens_per_request, params.output_tokens_per_request
    g_api = api_gco2e_per_1k_output_tokens(params)
    a_usd = (tin * params.api_usd_per_m_input_tokens
             + tout * params.api_usd_per_m_output_tokens) / TOKENS_PER_M
    a_t = tout / 1000 * g_api / G_PER_T
    a_w = tout / 1000 * api_water_l_per_1k_output_tokens(params) / L_PER_M3
    s_usd, s_t, s_w = serve.usd / requests, serve.tco2e / requests, serve.water_m3 / requests
    planned = rps * S_PER_H * HOURS_PER_MONTH / M
    if floor_gpus is None:
        floor_gpus = float(len(serve.regions))
        floor_basis = "one GPU in each of the plan's serving regions (no scenario given)"
    floor_m = floor_gpus * requests / serve.gpu_hours * HOURS_PER_MONTH / M
    vol = params.volume_m_requests_per_month or planned
    mo, n = params.horizon_months, params.trainings_per_horizon

    def at(v: float) -> CurvePoint:
        req, served = v * M * mo, max(v, floor_m) * M * mo
        b_usd, y_usd = n * train.usd + served * s_usd, req * a_usd
        b_t, y_t = n * train.tco2e + served * s_t, req * a_t
        return CurvePoint(v, b_usd, y_usd, b_usd + cprice * b_t, y_usd + cprice * y_t, b_t, y_t)

    be = _breakeven(n * train.usd, s_usd, a_usd, mo, floor_m)
    be_adj = _breakeven(n * (train.usd + cprice * train.tco2e), s_usd + cprice * s_t,
                        a_usd + cprice * a_t, mo, floor_m)
    be_c = _breakeven(n * train.tco2e, s_t, a_t, mo, floor_m)
    marks = [v for v in (vol, planned, be, be_adj, be_c) if v is not None and v > 0]
    lo = params.volume_max_m_requests_per_month / 1000 if params.volume_max_m_requests_per_month \
        else min(marks) / 20
    hi = params.volume_max_m_requests_per_month or max(marks) * 5
    curve = tuple(at(float(v)) for v in np.geomspace(lo, hi, CURVE_POINTS))
    here = at(vol)
    return BuildVsBuy(
        scenario=str(plan.get("scenario", {}).get("name", "")),
        accounting=str(plan.get("accounting", "location")), plan_hours=hours, params=params,
        api_grid_source=grid_src, carbon_price_usd_per_tco2e=cprice, training_name=job,
        service_name=service, training=train, serving=serve, service_rps=rps,
        requests_in_plan=requests, tokens_per_request=tin + tout,
        self_usd_per_request=s_usd, self_tco2e_per_request=s_t, self_water_m3_per_request=s_w,
        api_usd_per_request=a_usd, api_tco2e_per_request=a_t, api_water_m3_per_request=a_w,
        api_gco2e_per_1k_output_tokens=g_api, planned_m_requests_per_month=planned,
        volume_m_requests_per_month=vol, build_usd=here.build_usd, buy_usd=here.buy_usd,
        build_tco2e=here.build_tco2e, buy_tco2e=here.buy_tco2e,
        floor_gpus=floor_gpus, floor_basis=floor_basis or "", floor_m_requests_per_month=floor_m,
        build_water_m3=n * train.water_m3 + max(vol, floor_m) * M * mo * s_w,
        buy_water_m3=vol * M * mo * a_w, build_adjusted_usd=here.build_adjusted_usd,
        buy_adjusted_usd=here.buy_adjusted_usd, breakeven_m_requests_per_month=be,
        breakeven_adjusted_m_requests_per_month=be_adj,
        breakeven_carbon_m_requests_per_month=be_c, curve=curve)


# ---------------------------------------------------------------------------------------------
# Uncertainty: the build advantage (buy − build) at the evaluated volume


def uncertain_inputs(r: BuildVsBuy) -> list[unc.Uncertain]:
    """The main inputs of the comparison with their ranges (see :mod:`uncertainty`)."""
    p = r.params
    wlo, whi = API_WH_PER_1K_OUTPUT_TOKENS_RANGE
    tlo, thi = OUTPUT_TOKENS_RANGE
    cp = r.carbon_price_usd_per_tco2e
    return [
        unc.rel("grid", "grid carbon intensity (self-hosted regions)", unc.GRID_CI_REL_RANGE,
                "GRID_CI_REL_RANGE (modelling assumption)"),
        unc.rel("gpu_price", "GPU $/hour (self-hosted)", unc.GPU_PRICE_REL_RANGE,
                "GPU_PRICE_REL_RANGE (modelling assumption)"),
        unc.rel("util", "serving utilization (share of planned requests/GPU/s)", 0.0,
                "SERVING_UTILIZATION_LOW (modelling assumption)",
                low=unc.SERVING_UTILIZATION_LOW),
        unc.rel("api_price", "API $ per token", unc.API_PRICE_REL_RANGE,
                "API_PRICE_REL_RANGE (modelling assumption)"),
        unc.Uncertain("api_wh", "API energy per 1k output tokens", p.api_wh_per_1k_output_tokens,
                      min(wlo, p.api_wh_per_1k_output_tokens),
                      max(whi, p.api_wh_per_1k_output_tokens), "Wh",
                      "Epoch AI sheet: smaller-model and pessimistic columns"),
        unc.Uncertain("tokens_out", "output tokens per request", p.output_tokens_per_request,
                      min(tlo, p.output_tokens_per_request),
                      max(thi, p.output_tokens_per_request), "tokens",
                      "Chatbot Arena mean (269) … Epoch 'long output' (1500)"),
        unc.Uncertain("carbon_price", "internal carbon price", cp, 0.0,
                      cp * (1 + unc.CARBON_PRICE_REL_RANGE), "$/tCO2e",
                      "policy range 0 … 2× (tornado only)", sampled=False),
    ]


def outcome_fn(r: BuildVsBuy, what: str = "adjusted") -> unc.Outcome:
    """Vectorized buy − build over the horizon at ``r.volume_m_requests_per_month``:
    ``what`` = "adjusted" ($ incl. carbon price), "usd" or "tco2e".

    Self-hosted throughput is taken as fixed in tokens/s, so self-hosted GPU-hours per
    request scale with output tokens (and with 1 / utilization)."""
    p, tr, sv = r.params, r.training, r.serving
    req = r.volume_m_requests_per_month * M * r.months
    base_out = p.output_tokens_per_request

    def f(v: dict[str, np.ndarray]) -> np.ndarray:
        tok = v["tokens_out"] / base_out
        scale = tok / v["util"]
        t_usd = r.trainings * (tr.compute_usd * v["gpu_price"] + (tr.usd - tr.compute_usd))
        t_t = r.trainings * (tr.operational_tco2e * v["grid"] + tr.embodied_tco2e)
        s_usd = (sv.compute_usd * v["gpu_price"] + (sv.usd - sv.compute_usd)) * scale
        s_t = (sv.operational_tco2e * v["grid"] + sv.embodied_tco2e) * scale
        served = np.maximum(req, r.floor_m_requests_per_month * M * r.months * v["util"] / tok)
        b_usd = t_usd + served * s_usd / r.requests_in_plan
        b_t = t_t + served * s_t / r.requests_in_plan
        out = v["tokens_out"]
        y_usd = req * (p.input_tokens_per_request * p.api_usd_per_m_input_tokens
                       + out * p.api_usd_per_m_output_tokens) / TOKENS_PER_M * v["api_price"]
        y_t = req * out / 1000 * v["api_wh"] / 1000 * p.api_grid_gco2e_per_kwh / G_PER_T
        if what == "usd":
            return y_usd - b_usd
        if what == "tco2e":
            return y_t - b_t
        return (y_usd + v["carbon_price"] * y_t) - (b_usd + v["carbon_price"] * b_t)

    return f


def analyse(r: BuildVsBuy, samples: int, seed: int) -> tuple[unc.Tornado, unc.MonteCarlo]:
    """Tornado of the carbon-adjusted build advantage and Monte Carlo intervals."""
    inputs = uncertain_inputs(r)
    t = unc.tornado(inputs, outcome_fn(r), "build advantage incl. carbon price (buy − build), $")
    mc = unc.monte_carlo(inputs, [
        ("build advantage incl. carbon price (buy − build)", "$", outcome_fn(r, "adjusted")),
        ("build advantage, cost only (buy − build)", "$", outcome_fn(r, "usd")),
        ("footprint advantage (buy − build)", "tCO2e", outcome_fn(r, "tco2e")),
    ], samples, seed)
    return t, mc
