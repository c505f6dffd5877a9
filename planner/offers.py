"""Purchase options: what a workload may run on, per GPU model × purchase × region.

An *option* is a GPU model bought one way (``H100/on_demand``, ``H100/spot``,
``A100-80GB/committed_1y``). For every workload, option and region the catalog's offers
give one instance type (its GPUs per instance, its price for that purchase) and the model
counts whole instances of it. Arrays are over ``[<workload dim>, option, region]``.

Rules (each stated where the scenario or catalog is silent):

- on-demand: the catalog's ``usd_per_instance_hour``.
- spot: ``usd_per_instance_hour_spot`` where the catalog has it, only for workloads with
  ``spot: true``; the work (or requests/s) per GPU-hour is divided by
  1 + ``spot_overhead_fraction`` (default :data:`planner.hardware.SPOT_OVERHEAD_FRACTION`).
- committed (1 or 3 years): services only, with representative periods and
  ``committed: true``, at on-demand × (1 − the catalog's ``purchase_options`` discount).
- instance type: the cheapest per GPU-hour; for a training job, first among the offers
  that can hold its ``max_gpus`` (multi-node capable, or one instance large enough).
- multi-node: a training job runs on at most one instance per region-hour of an offer that
  is not ``multi_node``; ``max_gpus`` caps instances at ⌊max_gpus / GPUs per instance⌋.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from planner.figures import InputFigure, as_of_text
from planner.hardware import SPOT_OVERHEAD_FRACTION
from planner.prep.gpu import embodied_tco2e_per_gpu_hour, it_kw_per_gpu
from planner.prep.regions import Candidates
from planner.scenario import InferenceService, Scenario, TrainingJob
from planner.units import L_PER_M3

ON_DEMAND = "on_demand"
SPOT = "spot"
COMMITTED = ("committed_1y", "committed_3y")
SPOT_COLUMN = "usd_per_instance_hour_spot"
MULTI_NODE_COLUMN = "multi_node"
MULTI_NODE_MIN_GPUS = 8  # used only while the catalog has no multi_node column



@dataclass(frozen=True)
class InstanceOffer:
    """One instance type bought one way in one region."""

    instance_type: str
    gpus_per_instance: int
    usd_per_instance_hour: float
    purchase: str
    multi_node: bool
    source: str
    as_of: str


@dataclass(frozen=True)
class Options:
    """Purchase options of one kind of workload (``dim`` is ``job`` or ``service``)."""

    dim: str
    options: pd.Index  # name "option", labels "<gpu>/<purchase>"
    gpu_of: dict[str, str]
    purchase_of: dict[str, str]
    usd_per_instance_hour: xr.DataArray  # [w, option, region], NaN where not available
    gpus_per_instance: xr.DataArray  # [w, option, region], 0 where not available
    work_per_gpu_hour: xr.DataArray  # [w, option]: GPU-hours of work, or requests/s per GPU
    max_instances: xr.DataArray  # [w, option, region], inf = no limit
    facility_kwh_per_gpu_hour: xr.DataArray  # [w, option, region]
    embodied_tco2e_per_gpu_hour: xr.DataArray  # [option]
    water_m3_per_gpu_hour: xr.DataArray  # [w, option, region]
    offers: dict[tuple[str, str, str], InstanceOffer]  # (workload, option, region)

    @property
    def available(self) -> xr.DataArray:
        """[w, option, region]: the option can be bought there for that workload."""
        return self.usd_per_instance_hour.notnull()

    @property
    def committed(self) -> xr.DataArray:
        """[option]: billed every hour whether used or not."""
        return xr.DataArray([self.purchase_of[o] in COMMITTED for o in self.options],
                            coords=[self.options])

    def options_of_gpu(self, gpu: str) -> list[str]:
        return [o for o in self.options if self.gpu_of[o] == gpu]


def _multi_node(offers: pd.DataFrame) -> pd.Series:
    if MULTI_NODE_COLUMN in offers.columns:
        return offers[MULTI_NODE_COLUMN].fillna(False).astype(bool)
    return offers["gpus_per_instance"].astype(int) >= MULTI_NODE_MIN_GPUS


def _candidates(offers: pd.DataFrame, purchase_options: pd.DataFrame | None
                ) -> dict[tuple[str, str, str], list[InstanceOffer]]:
    """(gpu, region id, purchase) → instance offers, cheapest per GPU-hour first."""
    out: dict[tuple[str, str, str], list[InstanceOffer]] = {}
    multi = _multi_node(offers)
    has_spot = SPOT_COLUMN in offers.columns
    discounts: dict[tuple[str, str], tuple[float, str, str]] = {}
    if purchase_options is not None:
        for row in purchase_options.itertuples(index=False):
            discounts[(str(row.provider), str(row.purchase))] = (
                float(row.discount_fraction), str(row.source), as_of_text(row.as_of))
    for i, row in enumerate(offers.itertuples(index=False)):
        gpi = int(row.gpus_per_instance)
        prices: list[tuple[str, float, str]] = []
        od = float(row.usd_per_instance_hour)  # NaN for a spot-only shape
        if not math.isnan(od):
            prices.append((ON_DEMAND, od, str(row.source)))
            for purchase in COMMITTED:
                d = discounts.get((str(row.provider), purchase))
                if d is not None:
                    prices.append((purchase, od * (1.0 - d[0]), f"{row.source}; {d[1]}"))
        if has_spot:
            spot = float(getattr(row, SPOT_COLUMN))
            if not math.isnan(spot):
                prices.append((SPOT, spot, str(row.source)))
        for purchase, usd, src in prices:
            out.setdefault((str(row.gpu_model), str(row.id), purchase), []).append(
                InstanceOffer(str(row.instance_type), gpi, usd, purchase, bool(multi.iloc[i]),
                              src, as_of_text(row.as_of)))
    for cands in out.values():
        cands.sort(key=lambda o: (o.usd_per_instance_hour / o.gpus_per_instance,
                                  o.instance_type))
    return out


def _pick(cands: list[InstanceOffer], w: TrainingJob | InferenceService
          ) -> tuple[InstanceOffer, float] | None:
    """The instance type a workload uses, and its instance cap per region-hour."""
    if isinstance(w, InferenceService):
        return cands[0], math.inf

    def cap(o: InstanceOffer) -> float:
        most = math.floor(w.max_gpus / o.gpus_per_instance + 1e-9)
        return float(most if o.multi_node else min(most, 1))

    usable = [o for o in cands if cap(o) >= 1]
    if not usable:
        return None
    holds = [o for o in usable if cap(o) * o.gpus_per_instance >= w.max_gpus - 1e-9]
    best = (holds or usable)[0]
    return best, cap(best)


def _purchases(w: TrainingJob | InferenceService, scenario: Scenario) -> list[str]:
    out = [ON_DEMAND]
    if w.spot:
        out.append(SPOT)
    if (isinstance(w, InferenceService) and w.committed
            and scenario.horizon.representative is not None):
        out += list(COMMITTED)
    return out


def build_options(
    dim: str,
    workloads: Sequence[TrainingJob | InferenceService],
    offers: pd.DataFrame,
    purchase_options: pd.DataFrame | None,
    cands: Candidates,
    hardware: pd.DataFrame,
    scenario: Scenario,
    inputs: list[InputFigure],
) -> Options:
    """The option arrays of ``workloads`` (see the module docstring for the rules).

    ``offers``: catalog gpu_offers rows with an ``id`` column (provider/region);
    ``hardware``: the hardware table indexed by gpu_model; each figure used is appended to
    ``inputs``. A workload's option exists only in regions its jurisdictions allow.
    """
    regions = cands.regions
    by_key = _candidates(offers, purchase_options)
    allowed = np.array([cands.in_jurisdictions(w.allowed_jurisdictions) for w in workloads],
                       bool).reshape(len(workloads), len(regions))
    labels: list[str] = []
    for w in workloads:
        for g in w.gpu_choices:
            for purchase in _purchases(w, scenario):
                label = f"{g}/{purchase}"
                if label not in labels:
                    labels.append(label)
    idx_w = pd.Index([w.name for w in workloads], name=dim)
    options = pd.Index(labels, name="option")
    gpu_of = {o: o.split("/", 1)[0] for o in labels}
    purchase_of = {o: o.split("/", 1)[1] for o in labels}
    shape = (len(workloads), len(options), len(regions))
    usd = np.full(shape, np.nan)
    gpi = np.zeros(shape)
    cap = np.zeros(shape)
    work = np.zeros(shape[:2])
    chosen: dict[tuple[str, str, str], InstanceOffer] = {}
    for i, w in enumerate(workloads):
        overhead = (w.spot_overhead_fraction if w.spot_overhead_fraction is not None
                    else SPOT_OVERHEAD_FRACTION.value)
        for purchase in _purchases(w, scenario):
            for g, per_gpu in w.gpu_choices.items():
                k = options.get_loc(f"{g}/{purchase}")
                work[i, k] = per_gpu / (1.0 + overhead) if purchase == SPOT else per_gpu
                for r, rid in enumerate(regions):
                    found = by_key.get((g, rid, purchase)) if allowed[i, r] else None
                    pick = _pick(found, w) if found else None
                    if pick is None:
                        continue
                    o, most = pick
                    usd[i, k, r], gpi[i, k, r], cap[i, k, r] = (
                        o.usd_per_instance_hour, o.gpus_per_instance, most)
                    chosen[(w.name, options[k], rid)] = o
        if w.spot and w.spot_overhead_fraction is None:
            inputs.append(InputFigure(
                "spot_overhead_fraction", w.name, SPOT_OVERHEAD_FRACTION.value, "fraction",
                SPOT_OVERHEAD_FRACTION.source, SPOT_OVERHEAD_FRACTION.as_of))
    for (_w, _o, rid), o in chosen.items():
        inputs.append(InputFigure(f"usd_per_instance_hour_{o.purchase}",
                                  f"{rid} {o.instance_type}", o.usd_per_instance_hour,
                                  "USD/instance-h", o.source, o.as_of))
    it_kw = np.array([it_kw_per_gpu(hardware, gpu_of[o], inputs) for o in options])
    emb = np.array([embodied_tco2e_per_gpu_hour(hardware, gpu_of[o], inputs) for o in options])
    site = {c: cands.column(c) for c in ("pue", "wue_l_per_kwh", "grid_water_l_per_kwh")}
    coords = [idx_w, options, regions]
    it = xr.DataArray(it_kw, coords=[options])
    per_region = xr.ones_like(xr.DataArray(usd, coords=coords))
    return Options(
        dim=dim, options=options, gpu_of=gpu_of, purchase_of=purchase_of,
        usd_per_instance_hour=xr.DataArray(usd, coords=coords),
        gpus_per_instance=xr.DataArray(gpi, coords=coords),
        work_per_gpu_hour=xr.DataArray(work, coords=[idx_w, options]),
        max_instances=xr.DataArray(cap, coords=coords),
        facility_kwh_per_gpu_hour=per_region * it * site["pue"],
        embodied_tco2e_per_gpu_hour=xr.DataArray(emb, coords=[options]),
        water_m3_per_gpu_hour=per_region * (it * site["wue_l_per_kwh"] + it * site["pue"]
                                            * site["grid_water_l_per_kwh"]) / L_PER_M3,
        offers=chosen,
    )
