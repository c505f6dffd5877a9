"""Prepare: scenario + catalog → the arrays the model needs, with provenance.

Everything the optimizer sees passes through :func:`prepare`. It resolves names
(GPU models, metros, regions), looks up every figure with its source, masks the
places a workload may not run (jurisdiction, residency, latency SLO, missing data) and
records why, so that both the model and the explanations read the same facts.

Arrays are xarray DataArrays over the dimensions ``job``, ``service``, ``metro``,
``region`` (ids such as ``aws/us-east-1``) and ``hour`` (0 … H−1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import xarray as xr

from connectors.catalog import Catalog
from planner.feasibility import check_failover, check_job, check_service
from planner.geo import great_circle_km, modelled_rtt_ms
from planner.scenario import InferenceService, Scenario, ScenarioError, TrainingJob, suggest
from planner.units import KG_PER_T, L_PER_M3, W_PER_KW

CARBON_FIGURES = ("grid_ci_gco2e_per_kwh", "pue")
WATER_FIGURES = ("wue_l_per_kwh", "grid_water_l_per_kwh")
SOURCE_COLUMN = {"grid_ci_gco2e_per_kwh": "grid_ci_source", "pue": "pue_source",
                 "wue_l_per_kwh": "wue_source", "grid_water_l_per_kwh": "grid_water_source"}


@dataclass(frozen=True)
class InputFigure:
    """One figure the model used, with its unit and source."""

    figure: str
    key: str
    value: float | str
    unit: str
    source: str
    as_of: str


@dataclass(frozen=True)
class Offer:
    """The cheapest catalog offer of a GPU model in a region."""

    instance_type: str
    gpus_per_instance: int
    usd_per_gpu_hour: float
    source: str
    as_of: str


@dataclass(frozen=True)
class Problem:
    """Everything the model needs, as labelled arrays, plus provenance.

    Coefficients are per GPU-hour unless named otherwise. ``allowed_*`` masks are
    boolean arrays; a ``False`` cell means the variable does not exist.
    """

    scenario: Scenario
    hours: pd.RangeIndex
    timestamps: pd.DatetimeIndex
    regions: pd.Index
    jobs: pd.Index
    services: pd.Index
    metros: pd.Index
    # region-hour grid
    ci_location_gco2e_per_kwh: xr.DataArray  # [region, hour]
    ci_market_gco2e_per_kwh: xr.DataArray  # [region, hour]
    ci_basis: dict[str, str]
    water_stress_0_5: xr.DataArray  # [region], NaN where not captured
    # training
    job_allowed: xr.DataArray  # [job, region]
    job_hour_allowed: xr.DataArray  # [job, hour]
    job_usd_per_gpu_hour: xr.DataArray  # [job, region]
    job_facility_kwh_per_gpu_hour: xr.DataArray  # [job, region]
    job_embodied_tco2e_per_gpu_hour: xr.DataArray  # [job]
    job_water_m3_per_gpu_hour: xr.DataArray  # [job, region]
    job_gpu_hours: xr.DataArray  # [job]
    job_max_gpus: xr.DataArray  # [job]
    job_egress_usd: xr.DataArray  # [job, region], one-time copy of the job's data
    job_egress_kwh: xr.DataArray  # [job, region]
    job_move_usd: xr.DataArray  # [job], one checkpoint copy to another region
    job_move_kwh: xr.DataArray  # [job]
    # inference
    flow_allowed: xr.DataArray  # [service, metro, region]
    rtt_ms: xr.DataArray  # [metro, region]
    demand_rps: xr.DataArray  # [service, metro, hour]
    service_allowed: xr.DataArray  # [service, region]
    service_usd_per_gpu_hour: xr.DataArray  # [service, region]
    service_facility_kwh_per_gpu_hour: xr.DataArray  # [service, region]
    service_embodied_tco2e_per_gpu_hour: xr.DataArray  # [service]
    service_water_m3_per_gpu_hour: xr.DataArray  # [service, region]
    service_rps_per_gpu: xr.DataArray  # [service]
    # capacity: quota[region, gpu] in GPUs, NaN = unlimited
    quota_gpus: xr.DataArray
    workload_gpu: dict[str, str]
    offers: dict[tuple[str, str], Offer]  # (gpu_model, region) → offer
    inputs: list[InputFigure] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)
    incomplete: list[dict[str, str]] = field(default_factory=list)
    catalog_origins: dict[str, str] = field(default_factory=dict)

    period_weight_h: xr.DataArray = field(default_factory=lambda: xr.DataArray(1.0))
    # [service, metro, region]: where a metro may be served while a region is lost
    # (residency, jurisdiction, offer and the failover SLO); None without inference
    failover_allowed: xr.DataArray | None = None

    @property
    def dt_h(self) -> xr.DataArray:
        """Hours each period stands for ([hour]; 1 everywhere unless representative)."""
        return self.period_weight_h


class InfeasibleError(ValueError):
    """The scenario cannot be satisfied; ``reasons`` name each workload and rule."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        lines = "\n".join(f"  - {r}" for r in reasons)
        super().__init__(f"the scenario has no feasible plan:\n{lines}")


def _region_ids(df: pd.DataFrame) -> pd.Series:
    return df["provider"].astype(str) + "/" + df["region"].astype(str)


def _fmt_ts(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%MZ")


def _as_of(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _hourly_ci(
    scenario: Scenario, catalog: Catalog, regions: pd.DataFrame, timestamps: pd.DatetimeIndex
) -> tuple[np.ndarray, dict[str, str], list[InputFigure]]:
    """Location-based intensity [region, hour] (g/kWh) and the basis used per region.

    Levels come from the region's annual figure; where the catalog has an hourly series
    covering the horizon (a live refresh) it is used as is; otherwise, where the region's
    grid zone has a typical month × hour profile, the annual level is shaped by it
    (value × profile / profile annual mean), so that regions with and without profiles
    stay on one consistent level basis.
    """
    n_h = len(timestamps)
    annual = regions["grid_ci_gco2e_per_kwh"].to_numpy(dtype=float)
    out = np.repeat(annual[:, None], n_h, axis=1)
    basis: dict[str, str] = {}
    inputs: list[InputFigure] = []
    profiles = catalog.grid_profiles
    hourly = catalog.grid_hourly
    months = timestamps.month.to_numpy()
    hod = timestamps.hour.to_numpy()
    for i, row in enumerate(regions.itertuples(index=False)):
        rid = f"{row.provider}/{row.region}"
        zone = row.grid_zone if isinstance(row.grid_zone, str) else None
        if not scenario.time_shifting:
            basis[rid] = "annual (time shifting off)"
            continue
        if zone is not None and len(hourly):
            series = hourly[hourly["grid_zone"] == zone]
            if len(series):
                ts = pd.to_datetime(series["ts_utc"], utc=True)
                values = pd.Series(series["ci_gco2e_per_kwh"].to_numpy(float), index=ts)
                values = values[~values.index.duplicated(keep="last")]
                aligned = values.reindex(timestamps)
                if aligned.notna().all():
                    out[i] = aligned.to_numpy()
                    src = str(series["source"].iloc[0])
                    basis[rid] = f"hourly series for zone {zone} ({src})"
                    inputs.append(InputFigure("grid_hourly", zone, f"{n_h} h", "gCO2e/kWh", src,
                                              _as_of(series["as_of"].max())))
                    continue
        if zone is not None:
            prof = profiles[profiles["grid_zone"] == zone]
            if len(prof) == 288:
                grid = np.full((13, 24), np.nan)
                grid[prof["month"].to_numpy(int), prof["hour_utc"].to_numpy(int)] = prof[
                    "ci_gco2e_per_kwh"
                ].to_numpy(float)
                days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], float)
                annual_mean = float((grid[1:].mean(axis=1) * days).sum() / days.sum())
                shape = grid[months, hod] / annual_mean
                out[i] = annual[i] * shape
                src = str(prof["source"].iloc[0])
                basis[rid] = f"annual level × month-hour profile of zone {zone}"
                inputs.append(InputFigure("grid_profile", zone, "12×24 means", "gCO2e/kWh", src,
                                          str(prof["year"].iloc[0])))
                continue
        basis[rid] = "annual (no hourly profile for this grid zone)"
    return out, basis, inputs


def prepare(scenario: Scenario, catalog: Catalog) -> Problem:
    """Resolve the scenario against the catalog. Raises ScenarioError / InfeasibleError."""
    start = pd.Timestamp(scenario.horizon.start)
    all_hours = pd.date_range(start, periods=scenario.horizon.hours, freq="h", tz="UTC")
    group, weights = _periods(scenario, all_hours)
    H = len(weights)
    hours = pd.RangeIndex(H, name="hour")
    timestamps = all_hours[np.unique(group, return_index=True)[1]]
    inputs: list[InputFigure] = []

    # --- names ------------------------------------------------------------------------------
    hardware = catalog.hardware.set_index("gpu_model")
    gpus_known = sorted(hardware.index)
    workload_gpu: dict[str, str] = {}
    workloads: list[TrainingJob | InferenceService] = [*scenario.training, *scenario.inference]
    for w in workloads:
        if w.gpu not in hardware.index:
            raise ScenarioError(
                f"workload '{w.name}': unknown gpu '{w.gpu}'{suggest(w.gpu, gpus_known)}; "
                f"known models: {', '.join(gpus_known)}"
            )
        workload_gpu[w.name] = w.gpu
    metros_df = catalog.metros.set_index("metro")
    metro_names = sorted(metros_df.index)
    for s in scenario.inference:
        for d in s.demand:
            if d.metro not in metros_df.index:
                raise ScenarioError(
                    f"inference '{s.name}': unknown metro '{d.metro}'"
                    f"{suggest(d.metro, metro_names)}; known metros: {', '.join(metro_names)}"
                )
    all_ids = set(_region_ids(catalog.regions))
    named = [(f"quotas.{k}", k) for k in scenario.quotas] + [
        ("exclude_regions", r) for r in scenario.exclude_regions
    ] + [(f"training '{j.name}' data.home", j.data.home) for j in scenario.training if j.data]
    for where, rid in named:
        if rid not in all_ids:
            raise ScenarioError(f"{where}: unknown region '{rid}'{suggest(rid, sorted(all_ids))}")

    # --- candidate regions ---------------------------------------------------------------------
    reg = catalog.regions.copy()
    reg["id"] = _region_ids(reg)
    reg = reg[reg["provider"].isin(scenario.clouds) & ~reg["id"].isin(scenario.exclude_regions)]
    offers_df = catalog.gpu_offers.copy()
    offers_df["id"] = _region_ids(offers_df)
    used_gpus = set(workload_gpu.values())
    offers_df = offers_df[offers_df["gpu_model"].isin(used_gpus) & offers_df["id"].isin(reg["id"])]
    # a region is a candidate if it offers a GPU some workload needs and has every figure
    reg = reg[reg["id"].isin(offers_df["id"])].sort_values("id").reset_index(drop=True)
    reg, excluded, incomplete = _apply_missing_policy(scenario, reg)
    regions = pd.Index(reg["id"].tolist(), name="region")
    offers_df = offers_df[offers_df["id"].isin(regions)]
    offers: dict[tuple[str, str], Offer] = {}
    for (gpu, rid), grp in offers_df.groupby(["gpu_model", "id"]):
        best = grp.sort_values(["usd_per_gpu_hour", "instance_type"]).iloc[0]
        offers[(str(gpu), str(rid))] = Offer(
            str(best["instance_type"]), int(best["gpus_per_instance"]),
            float(best["usd_per_gpu_hour"]), str(best["source"]), _as_of(best["as_of"]),
        )
        inputs.append(InputFigure("usd_per_gpu_hour", f"{rid} {gpu} {best['instance_type']}",
                                  float(best["usd_per_gpu_hour"]), "USD/GPU-h",
                                  str(best["source"]), _as_of(best["as_of"])))
    for row in reg.itertuples(index=False):
        for col, unit in (("grid_ci_gco2e_per_kwh", "gCO2e/kWh"), ("pue", "ratio"),
                          ("wue_l_per_kwh", "L/kWh"), ("grid_water_l_per_kwh", "L/kWh")):
            src_col = SOURCE_COLUMN[col]
            inputs.append(InputFigure(col, row.id, float(getattr(row, col)), unit,
                                      str(getattr(row, src_col)), _as_of(row.as_of)))

    ci_hourly, ci_basis, ci_inputs = _hourly_ci(scenario, catalog, reg, all_hours)
    ci_loc = _period_mean(ci_hourly, group, H)
    inputs += ci_inputs
    cfe = reg["cfe_fraction"].to_numpy(float)
    market_factor = np.where(np.isnan(cfe), 1.0, 1.0 - cfe)
    for row in reg[reg["cfe_fraction"].notna()].itertuples(index=False):
        inputs.append(InputFigure("cfe_fraction", row.id, float(row.cfe_fraction), "fraction",
                                  str(row.cfe_source), _as_of(row.as_of)))
    ci_location = xr.DataArray(ci_loc, coords=[regions, hours])
    ci_market = xr.DataArray(ci_loc * market_factor[:, None], coords=[regions, hours])
    pue = xr.DataArray(reg["pue"].to_numpy(float), coords=[regions])
    wue = xr.DataArray(reg["wue_l_per_kwh"].to_numpy(float), coords=[regions])
    grid_water = xr.DataArray(reg["grid_water_l_per_kwh"].to_numpy(float), coords=[regions])
    stress = xr.DataArray(reg["water_stress_0_5"].to_numpy(float), coords=[regions])
    jurisdiction = pd.Series(reg["jurisdiction"].to_numpy(), index=regions)
    provider = pd.Series(reg["provider"].to_numpy(), index=regions)

    def it_kw_per_gpu(gpu: str) -> float:
        hw = hardware.loc[gpu]
        host = float(hw["host_power_w_per_gpu"]) if pd.notna(hw["host_power_w_per_gpu"]) else 0.0
        if pd.isna(hw["power_w"]):
            raise ScenarioError(f"gpu '{gpu}': the catalog has no power figure for it")
        inputs.append(InputFigure("power_w", gpu, float(hw["power_w"]), "W/GPU",
                                  str(hw["power_source"]), _as_of(hw["as_of"])))
        if pd.notna(hw["host_power_w_per_gpu"]):
            inputs.append(InputFigure("host_power_w_per_gpu", gpu, host, "W/GPU",
                                      str(hw["host_power_source"]), _as_of(hw["as_of"])))
        else:
            inputs.append(InputFigure("host_power_w_per_gpu", gpu, "not published", "W/GPU",
                                      "not included: GPU board power only", ""))
        return (float(hw["power_w"]) + host) / W_PER_KW

    def embodied_t_per_gpu_hour(gpu: str) -> float:
        hw = hardware.loc[gpu]
        if pd.isna(hw["embodied_kgco2e_per_gpu"]) or pd.isna(hw["lifetime_h"]):
            raise ScenarioError(f"gpu '{gpu}': the catalog has no embodied-carbon figure for it")
        inputs.append(InputFigure("embodied_kgco2e_per_gpu", gpu,
                                  float(hw["embodied_kgco2e_per_gpu"]), "kgCO2e/GPU",
                                  str(hw["embodied_source"]), _as_of(hw["as_of"])))
        inputs.append(InputFigure("lifetime_h", gpu, float(hw["lifetime_h"]), "h",
                                  str(hw["embodied_source"]), _as_of(hw["as_of"])))
        return float(hw["embodied_kgco2e_per_gpu"]) / float(hw["lifetime_h"]) / KG_PER_T

    def offer_arrays(names: list[str], gpus: list[str], dim: str) -> tuple[xr.DataArray, ...]:
        idx = pd.Index(names, name=dim)
        price = np.full((len(names), len(regions)), np.nan)
        for i, gpu in enumerate(gpus):
            for j, rid in enumerate(regions):
                o = offers.get((gpu, rid))
                if o is not None:
                    price[i, j] = o.usd_per_gpu_hour
        kw = np.array([it_kw_per_gpu(g) for g in gpus]) if gpus else np.zeros(0)
        it_kw = xr.DataArray(kw, coords=[idx])
        facility = it_kw * pue
        water = (it_kw * wue + it_kw * pue * grid_water) / L_PER_M3
        emb = xr.DataArray(np.array([embodied_t_per_gpu_hour(g) for g in gpus]), coords=[idx])
        price_da = xr.DataArray(price, coords=[idx, regions])
        return price_da, facility, water, emb

    def jurisdiction_ok(allowed: list[str] | None) -> np.ndarray:
        if allowed is None:
            return np.ones(len(regions), bool)
        return jurisdiction.isin(allowed).to_numpy()

    reasons: list[str] = []

    # --- training ------------------------------------------------------------------------------
    jobs = pd.Index([j.name for j in scenario.training], name="job")
    j_price, j_fac, j_water, j_emb = offer_arrays(
        list(jobs), [j.gpu for j in scenario.training], "job")
    job_allowed = j_price.notnull()
    job_hour = np.zeros((len(jobs), H), bool)
    egress_usd = np.zeros((len(jobs), len(regions)))
    egress_kwh = np.zeros((len(jobs), len(regions)))
    transfer = catalog.transfer.set_index(["provider", "scope"])
    for i, job in enumerate(scenario.training):
        ok = job_allowed.values[i] & jurisdiction_ok(job.allowed_jurisdictions)
        job_allowed.values[i] = ok
        w_start, w_end = (job.window.start, job.window.deadline) if job.window else (
            scenario.horizon.start, scenario.horizon.end)
        job_hour[i] = (timestamps >= pd.Timestamp(w_start)) & (
            timestamps + timedelta(hours=1) <= pd.Timestamp(w_end))  # hourly: 1 h periods
        if job.data is not None and job.data.size_gb > 0:
            home_provider = job.data.home.split("/")[0]
            for j, rid in enumerate(regions):
                if rid == job.data.home:
                    continue
                scope = "inter_region" if provider[rid] == home_provider else "internet"
                if (home_provider, scope) not in transfer.index:
                    raise ScenarioError(
                        f"training '{job.name}': the catalog has no {scope} transfer price for "
                        f"{home_provider}; cannot price moving its data")
                t = transfer.loc[(home_provider, scope)]
                egress_usd[i, j] = job.data.size_gb * float(t["usd_per_gb"])
                egress_kwh[i, j] = job.data.size_gb * float(t["kwh_per_gb"])
            for scope in ("inter_region", "internet"):
                if (home_provider, scope) in transfer.index:
                    t = transfer.loc[(home_provider, scope)]
                    inputs.append(InputFigure("transfer_usd_per_gb", f"{home_provider} {scope}",
                                              float(t["usd_per_gb"]), "USD/GB", str(t["source"]),
                                              _as_of(t["as_of"])))
                    inputs.append(InputFigure("transfer_kwh_per_gb", f"{home_provider} {scope}",
                                              float(t["kwh_per_gb"]), "kWh/GB", str(t["source"]),
                                              _as_of(t["as_of"])))
        reasons += check_job(job, ok, job_hour[i] * weights, regions, offers, jurisdiction,
                              provider, scenario)

    move = [_move_cost(job, scenario, catalog, inputs) for job in scenario.training]

    # --- inference -----------------------------------------------------------------------------
    services = pd.Index([s.name for s in scenario.inference], name="service")
    s_price, s_fac, s_water, s_emb = offer_arrays(
        list(services), [s.gpu for s in scenario.inference], "service")
    service_allowed = s_price.notnull()
    used_metros = sorted({d.metro for s in scenario.inference for d in s.demand})
    metros = pd.Index(used_metros, name="metro")
    m_lat = metros_df.loc[used_metros, "lat_deg"].to_numpy(float) if used_metros else np.zeros(0)
    m_lon = metros_df.loc[used_metros, "lon_deg"].to_numpy(float) if used_metros else np.zeros(0)
    km = great_circle_km(m_lat[:, None], m_lon[:, None], reg["lat_deg"].to_numpy(float)[None, :],
                         reg["lon_deg"].to_numpy(float)[None, :])
    lm = catalog.latency_model.set_index("scope").loc["default"]
    rtt = xr.DataArray(modelled_rtt_ms(km, float(lm["intercept_ms"]), float(lm["ms_per_100km"])),
                       coords=[metros, regions])
    if len(services):
        inputs.append(InputFigure("rtt_model", "user metro → region",
                                  f"{lm['intercept_ms']} ms + {lm['ms_per_100km']} ms/100 km",
                                  "ms", str(lm["source"]), _as_of(lm["as_of"])))
    flow = np.zeros((len(services), len(metros), len(regions)), bool)
    failover = np.zeros_like(flow)
    demand = np.zeros((len(services), len(metros), H))
    for i, s in enumerate(scenario.inference):
        ok = service_allowed.values[i] & jurisdiction_ok(s.allowed_jurisdictions)
        service_allowed.values[i] = ok
        profile = np.asarray(s.hourly_profile, float) if s.hourly_profile else np.ones(24)
        for d in s.demand:
            m = used_metros.index(d.metro)
            res_ok = np.ones(len(regions), bool) if d.residency is None else (
                jurisdiction == d.residency).to_numpy()
            flow[i, m] = ok & res_ok & (rtt.values[m] <= s.latency_slo_ms)
            failover[i, m] = ok & res_ok & (rtt.values[m] <= s.failover_slo_ms)
            demand[i, m] += _period_mean(d.rps * profile[all_hours.hour.to_numpy()][None, :],
                                         group, H)[0]
        reasons += check_service(s, ok, flow[i], rtt, metros, regions, jurisdiction)
        reasons += check_failover(s, ok, flow[i], rtt, metros, regions, jurisdiction)
    for metro in used_metros:
        row = metros_df.loc[metro]
        inputs.append(InputFigure("metro_coordinates", metro,
                                  f"{row['lat_deg']}, {row['lon_deg']}", "deg",
                                  str(row["source"]), _as_of(row["as_of"])))

    # --- capacity --------------------------------------------------------------------------------
    gpu_idx = pd.Index(sorted(used_gpus), name="gpu")
    quota = np.full((len(regions), len(gpu_idx)), np.nan)
    for (gpu, rid), _o in offers.items():
        q = catalog.gpu_offers[(_region_ids(catalog.gpu_offers) == rid)
                               & (catalog.gpu_offers["gpu_model"] == gpu)]["quota_gpus"]
        if q.notna().any():
            quota[regions.get_loc(rid), gpu_idx.get_loc(gpu)] = float(q.max())
    for rid, per_gpu in scenario.quotas.items():
        for gpu, q in per_gpu.items():
            if gpu in gpu_idx and rid in regions:
                quota[regions.get_loc(rid), gpu_idx.get_loc(gpu)] = q
                inputs.append(InputFigure("quota_gpus", f"{rid} {gpu}", q, "GPUs",
                                          "scenario quotas", ""))
    if reasons:
        raise InfeasibleError(reasons)

    return Problem(
        scenario=scenario, hours=hours, timestamps=timestamps, regions=regions, jobs=jobs,
        services=services, metros=metros,
        ci_location_gco2e_per_kwh=ci_location, ci_market_gco2e_per_kwh=ci_market,
        ci_basis=ci_basis, water_stress_0_5=stress,
        job_allowed=job_allowed, job_hour_allowed=xr.DataArray(job_hour, coords=[jobs, hours]),
        job_usd_per_gpu_hour=j_price.fillna(0.0), job_facility_kwh_per_gpu_hour=j_fac,
        job_embodied_tco2e_per_gpu_hour=j_emb, job_water_m3_per_gpu_hour=j_water,
        job_gpu_hours=xr.DataArray([j.gpu_hours for j in scenario.training], coords=[jobs]),
        job_max_gpus=xr.DataArray([j.max_gpus for j in scenario.training], coords=[jobs]),
        job_egress_usd=xr.DataArray(egress_usd, coords=[jobs, regions]),
        job_egress_kwh=xr.DataArray(egress_kwh, coords=[jobs, regions]),
        job_move_usd=xr.DataArray([c[0] for c in move], coords=[jobs]),
        job_move_kwh=xr.DataArray([c[1] for c in move], coords=[jobs]),
        flow_allowed=xr.DataArray(flow, coords=[services, metros, regions]),
        rtt_ms=rtt, demand_rps=xr.DataArray(demand, coords=[services, metros, hours]),
        service_allowed=service_allowed, service_usd_per_gpu_hour=s_price.fillna(0.0),
        service_facility_kwh_per_gpu_hour=s_fac, service_embodied_tco2e_per_gpu_hour=s_emb,
        service_water_m3_per_gpu_hour=s_water,
        service_rps_per_gpu=xr.DataArray([s.requests_per_gpu_s for s in scenario.inference],
                                         coords=[services]),
        quota_gpus=xr.DataArray(quota, coords=[regions, gpu_idx]),
        workload_gpu=workload_gpu, offers=offers, inputs=_dedupe(inputs), excluded=excluded,
        incomplete=incomplete,
        catalog_origins=dict(catalog.origins),
        period_weight_h=xr.DataArray(weights, coords=[hours]),
        failover_allowed=xr.DataArray(failover, coords=[services, metros, regions]),
    )


def _periods(scenario: Scenario, all_hours: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Period id of every horizon hour, and the hours each period stands for.

    Hourly planning: one period per hour, weight 1. ``representative: month-hour``: one
    period per (month, UTC hour of day) present, in order of first appearance, weighted
    by how many horizon hours fall in it.
    """
    if scenario.horizon.representative is None:
        return np.arange(len(all_hours)), np.ones(len(all_hours))
    key = all_hours.month.to_numpy() * 24 + all_hours.hour.to_numpy()
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first)  # period ids in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    group = rank[group]
    return group, np.bincount(group).astype(float)


def _period_mean(values: np.ndarray, group: np.ndarray, n_periods: int) -> np.ndarray:
    """Mean of ``values[..., hour]`` over the hours of each period."""
    flat = values.reshape(-1, values.shape[-1])
    out = np.zeros((flat.shape[0], n_periods))
    counts = np.bincount(group, minlength=n_periods)
    for i, row in enumerate(flat):
        out[i] = np.bincount(group, weights=row, minlength=n_periods) / counts
    return out.reshape(*values.shape[:-1], n_periods)


def _move_cost(job: TrainingJob, scenario: Scenario, catalog: Catalog,
               inputs: list[InputFigure]) -> tuple[float, float]:
    """USD and kWh of one checkpoint move of a migrating job.

    The model does not track where a move comes from, so a move is priced at the highest
    internet (cross-cloud) egress price among the scenario's clouds: an upper bound for a
    move within one cloud.
    """
    if not job.migrates:
        return 0.0, 0.0
    t = catalog.transfer[(catalog.transfer["scope"] == "internet")
                         & catalog.transfer["provider"].isin(scenario.clouds)]
    if t.empty:
        raise ScenarioError(f"training '{job.name}': checkpoint_gb needs an internet transfer "
                            f"price for one of {scenario.clouds}; the catalog has none")
    row = t.sort_values("usd_per_gb", ascending=False).iloc[0]
    inputs.append(InputFigure("checkpoint_move_usd_per_gb", f"{row['provider']} internet "
                              "(highest among the scenario's clouds)", float(row["usd_per_gb"]),
                              "USD/GB", str(row["source"]), _as_of(row["as_of"])))
    return job.checkpoint_gb * float(row["usd_per_gb"]), job.checkpoint_gb * float(
        row["kwh_per_gb"])


def _apply_missing_policy(
    scenario: Scenario, reg: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict[str, str]], list[dict[str, str]]]:
    """Fill, exclude or flag regions whose figures the catalog does not publish.

    - A value in ``scenario.fill_missing`` fills the gap; the source says so.
    - Grid intensity and PUE are always needed (carbon is always reported): a region
      without them is left out.
    - Water figures are needed when water is priced or limited: then a region without them
      is left out; otherwise the region stays, its unknown water counts as 0 and the plan
      lists it under ``incomplete`` so the water total is read as a lower bound.
    """
    reg = reg.copy()
    excluded: list[dict[str, str]] = []
    incomplete: list[dict[str, str]] = []
    col: str
    for col, value in scenario.fill_missing.items():
        miss = reg[col].isna()
        reg.loc[miss, col] = value
        reg.loc[miss, SOURCE_COLUMN[col]] = "scenario fill_missing (no published figure)"
    keep = np.ones(len(reg), bool)
    needed = CARBON_FIGURES + (WATER_FIGURES if scenario.water_matters else ())
    for col in needed:
        miss = reg[col].isna().to_numpy()
        for rid in reg.loc[miss & keep, "id"]:
            excluded.append({"region": rid, "reason": f"{col} is not published in the catalog; "
                             f"set fill_missing.{col} in the scenario to include it"})
        keep &= ~miss
    reg = reg[keep].reset_index(drop=True)
    if not scenario.water_matters:
        for col in WATER_FIGURES:
            miss = reg[col].isna()
            for rid in reg.loc[miss, "id"]:
                incomplete.append({"region": rid, "figure": col,
                                   "effect": "not published: this region's water total omits it"})
            reg.loc[miss, col] = 0.0
            reg.loc[miss, SOURCE_COLUMN[col]] = "not published (counted as 0; see incomplete)"
    return reg, excluded, incomplete


def _dedupe(inputs: list[InputFigure]) -> list[InputFigure]:
    seen: dict[tuple[str, str], InputFigure] = {}
    for f in inputs:
        seen.setdefault((f.figure, f.key), f)
    return list(seen.values())


__all__ = ["InfeasibleError", "InputFigure", "Offer", "Problem", "prepare"]
