"""Inference-service arrays: round trips, allowed routes, demand and coefficients."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from connectors.catalog import Catalog
from planner.feasibility import check_failover, check_service
from planner.figures import InputFigure, Offer, as_of_text
from planner.latency import rtt_model, user_rtt_ms
from planner.prep.gpu import WorkloadCoefficients, workload_coefficients
from planner.prep.periods import Periods
from planner.prep.regions import Candidates
from planner.scenario import InferenceService, Scenario


@dataclass(frozen=True)
class InferenceArrays:
    """Arrays of the inference services (dimension ``service``) and their pre-solve reasons."""

    services: pd.Index
    metros: pd.Index
    allowed: xr.DataArray  # [service, region]
    coefficients: WorkloadCoefficients
    flow_allowed: xr.DataArray  # [service, metro, region]
    rtt_ms: xr.DataArray  # [metro, region]
    demand_rps: xr.DataArray  # [service, metro, hour]
    rps_per_gpu: xr.DataArray  # [service]
    failover_allowed: xr.DataArray  # [service, metro, region], within the failover SLO
    reasons: list[str] = field(default_factory=list)
    inputs: list[InputFigure] = field(default_factory=list)


def inference_arrays(
    scenario: Scenario, catalog: Catalog, cands: Candidates, periods: Periods,
    offers: dict[tuple[str, str], Offer],
) -> InferenceArrays:
    """Routes, demand and coefficients of every inference service."""
    services = pd.Index([s.name for s in scenario.inference], name="service")
    coef = workload_coefficients(list(services), [s.gpu for s in scenario.inference],
                                 "service", catalog, cands, offers)
    inputs = list(coef.inputs)
    allowed = coef.usd_per_gpu_hour.notnull()
    metros = pd.Index(sorted({d.metro for s in scenario.inference for d in s.demand}),
                      name="metro")
    rtt, rtt_figures = round_trips(catalog, metros, cands)
    if len(services):
        inputs += rtt_figures
    flow = np.zeros((len(services), len(metros), len(cands.regions)), bool)
    failover = np.zeros_like(flow)
    demand = np.zeros((len(services), len(metros), periods.n))
    reasons: list[str] = []
    for i, s in enumerate(scenario.inference):
        allowed.values[i] &= cands.in_jurisdictions(s.allowed_jurisdictions)
        flow[i], demand[i] = _routes_and_demand(s, allowed.values[i], metros, rtt, cands,
                                                periods)
        failover[i] = _routes(s, allowed.values[i], metros, rtt, cands, s.failover_slo_ms)
        reasons += check_service(s, allowed.values[i], flow[i], rtt, metros, cands.regions,
                                 cands.series("jurisdiction"),
                                 _left_out_servers(s, catalog, metros, cands))
        reasons += check_failover(s, allowed.values[i], flow[i], rtt, metros, cands.regions,
                                  cands.series("jurisdiction"))
    inputs += _metro_inputs(catalog, metros)
    rps_per_gpu = xr.DataArray([s.requests_per_gpu_s for s in scenario.inference],
                               coords=[services])
    return InferenceArrays(
        services, metros, allowed, coef,
        xr.DataArray(flow, coords=[services, metros, cands.regions]), rtt,
        xr.DataArray(demand, coords=[services, metros, periods.hours]), rps_per_gpu,
        xr.DataArray(failover, coords=[services, metros, cands.regions]), reasons, inputs)


def round_trips(catalog: Catalog, metros: pd.Index,
                cands: Candidates) -> tuple[xr.DataArray, list[InputFigure]]:
    """Modelled round trip (ms) [metro, region] (see :mod:`planner.latency`), and its sources."""
    rtt = user_rtt_ms(catalog, list(metros), cands.table.assign(id=list(cands.regions)))
    return rtt, rtt_model(catalog).input_figures()


def _left_out_servers(s: InferenceService, catalog: Catalog, metros: pd.Index,
                      cands: Candidates) -> dict[str, list[str]]:
    """Per metro of the service: regions left out for data that would have served it
    (GPU offered, jurisdiction and residency allowed, round trip within the SLO)."""
    hosts = cands.left_out_hosts(s.gpu, s.allowed_jurisdictions)
    if hosts.empty:
        return {}
    rtt = user_rtt_ms(catalog, list(metros), hosts).to_numpy()
    out: dict[str, list[str]] = {}
    for d in s.demand:
        m = metros.get_loc(d.metro)
        ok = rtt[m] <= s.latency_slo_ms
        if d.residency is not None:
            ok &= (hosts["jurisdiction"] == d.residency).to_numpy()
        out[d.metro] = [f"{cands.describe_left_out(r)} at {rtt[m][j]:.0f} ms"
                        for j, r in enumerate(hosts["id"]) if ok[j]]
    return out


def _routes_and_demand(
    s: InferenceService, allowed: np.ndarray, metros: pd.Index, rtt: xr.DataArray,
    cands: Candidates, periods: Periods,
) -> tuple[np.ndarray, np.ndarray]:
    """[metro, region] routes within the SLO and residency, and [metro, hour] demand (req/s)."""
    demand = np.zeros((len(metros), periods.n))
    profile = np.asarray(s.hourly_profile, float) if s.hourly_profile else np.ones(24)
    hour_of_day = periods.all_hours.hour.to_numpy()
    for d in s.demand:
        m = metros.get_loc(d.metro)
        demand[m] += periods.mean(d.rps * profile[hour_of_day][None, :])[0]
    return _routes(s, allowed, metros, rtt, cands, s.latency_slo_ms), demand


def _routes(s: InferenceService, allowed: np.ndarray, metros: pd.Index, rtt: xr.DataArray,
            cands: Candidates, slo_ms: float) -> np.ndarray:
    """[metro, region] routes within ``slo_ms`` (round trip) and each metro's residency."""
    flow = np.zeros((len(metros), len(cands.regions)), bool)
    jurisdiction = cands.series("jurisdiction")
    for d in s.demand:
        m = metros.get_loc(d.metro)
        res_ok = np.ones(len(cands.regions), bool) if d.residency is None else (
            jurisdiction == d.residency).to_numpy()
        flow[m] = allowed & res_ok & (rtt.values[m] <= slo_ms)
    return flow


def _metro_inputs(catalog: Catalog, metros: pd.Index) -> list[InputFigure]:
    """Provenance of the coordinates of each user metro."""
    metros_df = catalog.metros.set_index("metro")
    inputs = []
    for metro in metros:
        row = metros_df.loc[metro]
        inputs.append(InputFigure("metro_coordinates", metro,
                                  f"{row['lat_deg']}, {row['lon_deg']}", "deg",
                                  str(row["source"]), as_of_text(row["as_of"])))
    return inputs
