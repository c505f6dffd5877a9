"""Prepare: scenario + catalog → the arrays the model needs, with provenance.

Everything the optimizer sees passes through :func:`prepare`. It resolves names
(GPU models, metros, regions), looks up every figure with its source, masks the
places a workload may not run (jurisdiction, residency, latency SLO, missing data) and
records why, so that both the model and the explanations read the same facts.

:func:`prepare` is a sequence of named steps, each in its own module under
:mod:`planner.prep`: resolve names → planning periods → candidate regions → offers →
grid carbon → training arrays → inference arrays → capacity.

Arrays are xarray DataArrays over the dimensions ``job``, ``service``, ``metro``,
``region`` (ids such as ``aws/us-east-1``) and ``hour`` (0 … H−1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import pandas as pd
import xarray as xr

from connectors.catalog import Catalog
from planner.figures import InputFigure, Offer, dedupe
from planner.freshness import catalog_tables, table_freshness
from planner.names import resolve_scenario_names
from planner.offers import Options
from planner.prep.capacity import quotas
from planner.prep.grid import GridCarbon, grid_carbon
from planner.prep.inference import InferenceArrays, inference_arrays
from planner.prep.names import resolve_names
from planner.prep.periods import Periods, make_periods
from planner.prep.regions import Candidates, candidate_regions, cheapest_offers
from planner.prep.training import TrainingArrays, training_arrays
from planner.scenario import Scenario

T = TypeVar("T")


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
    job_options: Options  # [job, option, region] prices, GPUs per instance, coefficients
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
    service_options: Options  # [service, option, region]; work = requests/s per GPU
    # capacity: quota[region, gpu] in GPUs, NaN = unlimited
    quota_gpus: xr.DataArray
    offers: dict[tuple[str, str], Offer]  # (gpu_model, region) → cheapest on-demand offer
    inputs: list[InputFigure] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)
    incomplete: list[dict[str, str]] = field(default_factory=list)
    catalog_origins: dict[str, str] = field(default_factory=dict)
    # region → the provider-published CFE share behind its market-based figure, or a note
    # that none is published and location-based stands in
    market_basis: dict[str, str] = field(default_factory=dict)
    # water figures taken from a country or provider-fleet mean (plan.json records)
    fallbacks: list[dict[str, str]] = field(default_factory=list)
    # the day freshness is measured on (UTC), and each catalog table's date
    reference_date: date | None = None
    freshness: dict[str, dict[str, Any]] = field(default_factory=dict)

    period_weight_h: xr.DataArray = field(default_factory=lambda: xr.DataArray(1.0))
    # [service, metro, region]: where a metro may be served while a region is lost
    # (residency, jurisdiction, offer and the failover SLO); None without inference
    failover_allowed: xr.DataArray | None = None
    # arrays derived from the fields above, each computed on first use (see memo); a copy
    # made with dataclasses.replace starts empty
    derived: dict[str, Any] = field(default_factory=dict, init=False, compare=False,
                                    repr=False)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, computed once per problem: derived arrays that code run many
        times per solve (the rounding of whole instances) would otherwise rebuild."""
        if key not in self.derived:
            self.derived[key] = compute()
        return self.derived[key]

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


def prepare(scenario: Scenario, catalog: Catalog, *, today: date | None = None) -> Problem:
    """Resolve the scenario against the catalog. Raises ScenarioError / InfeasibleError.

    ``today`` is the day figure ages are measured on (default: the current UTC date).
    """
    scenario = resolve_scenario_names(scenario, catalog)  # catalog spelling of every name
    gpus = resolve_names(scenario, catalog)
    periods = make_periods(scenario)
    cands = candidate_regions(scenario, catalog, gpus)
    offers, offer_inputs = cheapest_offers(catalog, gpus, cands.regions)
    grid = grid_carbon(scenario, catalog, cands, periods)
    training = training_arrays(scenario, catalog, cands, periods, offers, gpus)
    inference = inference_arrays(scenario, catalog, cands, periods, offers, gpus)
    quota, quota_inputs = quotas(scenario, catalog, cands.regions, gpus, offers)
    reasons = training.reasons + inference.reasons
    if reasons:
        raise InfeasibleError(reasons)
    inputs = (offer_inputs + cands.site_inputs() + grid.inputs + training.inputs
              + inference.inputs + quota_inputs)
    problem = _assemble(scenario, catalog, periods, cands, grid, training, inference, quota,
                        offers, inputs)
    return _with_data_notes(problem, catalog, cands, grid, today or datetime.now(UTC).date())


def _with_data_notes(problem: Problem, catalog: Catalog, cands: Candidates, grid: GridCarbon,
                     today: date) -> Problem:
    """``problem`` with what the data could not say plainly: market-basis notes, water
    fallbacks, and the date of every catalog table."""
    return replace(problem, market_basis=grid.market_basis,
                   fallbacks=[f.as_record() for f in cands.fallbacks], reference_date=today,
                   freshness=table_freshness(catalog_tables(catalog), today))


def _assemble(
    scenario: Scenario, catalog: Catalog, periods: Periods, cands: Candidates,
    grid: GridCarbon, training: TrainingArrays, inference: InferenceArrays,
    quota: xr.DataArray, offers: dict[tuple[str, str], Offer],
    inputs: list[InputFigure],
) -> Problem:
    """The :class:`Problem` from the results of the preparation steps."""
    jobs = training.jobs
    return Problem(
        scenario=scenario, hours=periods.hours, timestamps=periods.timestamps,
        regions=cands.regions, jobs=jobs, services=inference.services, metros=inference.metros,
        ci_location_gco2e_per_kwh=grid.ci_location_gco2e_per_kwh,
        ci_market_gco2e_per_kwh=grid.ci_market_gco2e_per_kwh,
        ci_basis=grid.ci_basis, water_stress_0_5=cands.column("water_stress_0_5"),
        job_allowed=training.allowed, job_hour_allowed=training.hour_allowed,
        job_options=training.options,
        job_gpu_hours=xr.DataArray([j.gpu_hours for j in scenario.training], coords=[jobs]),
        job_max_gpus=xr.DataArray([j.max_gpus for j in scenario.training], coords=[jobs]),
        job_egress_usd=training.egress_usd, job_egress_kwh=training.egress_kwh,
        job_move_usd=training.move_usd, job_move_kwh=training.move_kwh,
        flow_allowed=inference.flow_allowed, rtt_ms=inference.rtt_ms,
        demand_rps=inference.demand_rps, service_allowed=inference.allowed,
        service_options=inference.options, quota_gpus=quota, offers=offers, inputs=dedupe(inputs),
        excluded=cands.excluded, incomplete=cands.incomplete,
        catalog_origins=dict(catalog.origins),
        period_weight_h=xr.DataArray(periods.weights_h, coords=[periods.hours]),
        failover_allowed=inference.failover_allowed,
    )


__all__ = ["InfeasibleError", "InputFigure", "Offer", "Problem", "prepare"]
