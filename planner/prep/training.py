"""Training-job arrays: where and when each job may run, its coefficients and data moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
import xarray as xr

from connectors.catalog import Catalog
from planner.feasibility import check_job
from planner.figures import InputFigure, Offer, as_of_text
from planner.offers import Options, build_options
from planner.prep.periods import Periods
from planner.prep.regions import Candidates, offer_rows
from planner.scenario import Scenario, ScenarioError, TrainingJob


@dataclass(frozen=True)
class TrainingArrays:
    """Arrays of the training jobs (dimension ``job``) and the pre-solve reasons they fail."""

    jobs: pd.Index
    allowed: xr.DataArray  # [job, region]
    hour_allowed: xr.DataArray  # [job, hour]
    options: Options  # [job, option, region]: instance prices, GPUs, coefficients
    egress_usd: xr.DataArray  # [job, region], one-time copy of the job's data
    egress_kwh: xr.DataArray  # [job, region]
    move_usd: xr.DataArray  # [job], one checkpoint copy to another region
    move_kwh: xr.DataArray  # [job]
    reasons: list[str] = field(default_factory=list)
    inputs: list[InputFigure] = field(default_factory=list)


def training_arrays(
    scenario: Scenario, catalog: Catalog, cands: Candidates, periods: Periods,
    offers: dict[tuple[str, str], Offer], gpus: set[str],
) -> TrainingArrays:
    """Masks, purchase options and data-gravity costs of every training job."""
    jobs = pd.Index([j.name for j in scenario.training], name="job")
    inputs: list[InputFigure] = []
    opts = build_options("job", scenario.training, offer_rows(catalog, gpus, cands.regions),
                         catalog.purchase_options, cands,
                         catalog.hardware.set_index("gpu_model"), scenario, inputs)
    allowed = opts.available.any("option")  # jurisdictions applied per option
    hour_ok = np.zeros((len(jobs), periods.n), bool)
    egress_usd = np.zeros((len(jobs), len(cands.regions)))
    egress_kwh = np.zeros((len(jobs), len(cands.regions)))
    reasons: list[str] = []
    for i, job in enumerate(scenario.training):
        hour_ok[i] = _window_mask(job, scenario, periods)
        egress_usd[i], egress_kwh[i] = _egress(job, catalog, cands, inputs)
        left = cands.left_out_hosts(job.gpu, job.allowed_jurisdictions)
        reasons += check_job(job, allowed.values[i], hour_ok[i] * periods.weights_h,
                             cands.regions, offers, cands.series("jurisdiction"),
                             cands.series("provider"), scenario,
                             [cands.describe_left_out(r) for r in left["id"]])
    move = [move_cost(job, scenario, catalog, inputs) for job in scenario.training]
    coords = [jobs, cands.regions]
    return TrainingArrays(
        jobs, allowed, xr.DataArray(hour_ok, coords=[jobs, periods.hours]), opts,
        xr.DataArray(egress_usd, coords=coords), xr.DataArray(egress_kwh, coords=coords),
        xr.DataArray([c[0] for c in move], coords=[jobs]),
        xr.DataArray([c[1] for c in move], coords=[jobs]), reasons, inputs)


def _window_mask(job: TrainingJob, scenario: Scenario, periods: Periods) -> np.ndarray:
    """[hour] mask of the periods inside the job's window (the horizon if it has none)."""
    w_start, w_end = (job.window.start, job.window.deadline) if job.window else (
        scenario.horizon.start, scenario.horizon.end)
    ts = periods.timestamps
    return np.asarray((ts >= pd.Timestamp(w_start))
                      & (ts + timedelta(hours=1) <= pd.Timestamp(w_end)))  # hourly: 1 h periods


def _egress(job: TrainingJob, catalog: Catalog, cands: Candidates,
            inputs: list[InputFigure]) -> tuple[np.ndarray, np.ndarray]:
    """USD and kWh [region] of copying the job's data from its home to each candidate."""
    usd = np.zeros(len(cands.regions))
    kwh = np.zeros(len(cands.regions))
    if job.data is None or job.data.size_gb <= 0:
        return usd, kwh
    transfer = catalog.transfer.set_index(["provider", "scope"])
    home_provider = job.data.home.split("/")[0]
    provider = cands.series("provider")
    for j, rid in enumerate(cands.regions):
        if rid == job.data.home:
            continue
        scope = "inter_region" if provider[rid] == home_provider else "internet"
        if (home_provider, scope) not in transfer.index:
            raise ScenarioError(
                f"training '{job.name}': the catalog has no {scope} transfer price for "
                f"{home_provider}; cannot price moving its data")
        t = transfer.loc[(home_provider, scope)]
        usd[j] = job.data.size_gb * float(t["usd_per_gb"])
        kwh[j] = job.data.size_gb * float(t["kwh_per_gb"])
    for scope in ("inter_region", "internet"):
        if (home_provider, scope) in transfer.index:
            t = transfer.loc[(home_provider, scope)]
            inputs.append(InputFigure("transfer_usd_per_gb", f"{home_provider} {scope}",
                                      float(t["usd_per_gb"]), "USD/GB", str(t["source"]),
                                      as_of_text(t["as_of"])))
            inputs.append(InputFigure("transfer_kwh_per_gb", f"{home_provider} {scope}",
                                      float(t["kwh_per_gb"]), "kWh/GB", str(t["source"]),
                                      as_of_text(t["as_of"])))
    return usd, kwh


def move_cost(job: TrainingJob, scenario: Scenario, catalog: Catalog,
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
                              "USD/GB", str(row["source"]), as_of_text(row["as_of"])))
    return job.checkpoint_gb * float(row["usd_per_gb"]), job.checkpoint_gb * float(
        row["kwh_per_gb"])
