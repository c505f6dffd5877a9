"""Score any placement with the model's own coefficients (no solver involved).

:func:`evaluate_terms` recomputes every objective term from variable values, exactly as
:mod:`planner.model` defines them; :func:`as_solution` wraps hand-made placements (the
baselines) so that :func:`planner.plan.extract` reports them like an optimal plan.
A test checks that the optimum's terms recomputed here equal the solver's.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from planner.problem import Problem
from planner.solve import Solution, Status
from planner.units import G_PER_T


def _zero(a: xr.DataArray | None) -> xr.DataArray | float:
    return 0.0 if a is None else a.fillna(0.0)


def evaluate_terms(problem: Problem, values: dict[str, xr.DataArray]) -> dict[str, float]:
    """Objective terms (USD, kWh, tCO2e, m³) of the placement in ``values``."""
    p = problem
    dt = p.dt_h
    ci_loc = p.ci_location_gco2e_per_kwh / G_PER_T
    ci_mkt = p.ci_market_gco2e_per_kwh / G_PER_T
    annual = ci_loc.mean("hour")
    stress = 1.0 + p.water_stress_0_5.fillna(0.0)
    t = dict.fromkeys(("compute_usd", "egress_usd", "energy_kwh", "carbon_location_tco2e",
                       "carbon_market_tco2e", "carbon_embodied_tco2e", "water_m3",
                       "water_weighted_m3"), 0.0)
    if len(p.jobs):
        site = _zero(values.get("Job-site"))
        t["egress_usd"] += float((site * p.job_egress_usd).sum())
        ekwh = site * p.job_egress_kwh
        t["energy_kwh"] += float(ekwh.sum()) if isinstance(ekwh, xr.DataArray) else 0.0
        moves = _zero(values.get("Job-moves"))
        t["egress_usd"] += float((moves * p.job_move_usd).sum())
        ekwh = ekwh + moves * p.job_move_kwh
        t["energy_kwh"] += float((moves * p.job_move_kwh).sum())
        for key in ("carbon_location_tco2e", "carbon_market_tco2e"):
            t[key] += float((ekwh * annual).sum()) if isinstance(ekwh, xr.DataArray) else 0.0
    groups = []
    if len(p.jobs):
        groups.append((_zero(values.get("Job-instances")), p.job_options, None))
    if len(p.services):
        groups.append((_zero(values.get("Service-instances")), p.service_options,
                       values.get("Service-commitment")))
    total_h = float(np.broadcast_to(dt.values, (len(p.hours),)).sum())
    for inst, o, bought in groups:
        committed = o.committed
        usd = o.usd_per_instance_hour.fillna(0.0)
        t["compute_usd"] += float((inst * usd.where(~committed, 0.0) * dt).sum())
        if bought is not None:
            t["compute_usd"] += float((bought.fillna(0.0) * usd * total_h).sum())
        gpus = inst * o.gpus_per_instance.fillna(0.0)
        kwh = gpus * o.facility_kwh_per_gpu_hour.fillna(0.0) * dt
        t["energy_kwh"] += float(kwh.sum())
        t["carbon_location_tco2e"] += float((kwh * ci_loc).sum())
        t["carbon_market_tco2e"] += float((kwh * ci_mkt).sum())
        t["carbon_embodied_tco2e"] += float((gpus * o.embodied_tco2e_per_gpu_hour * dt).sum())
        w = gpus * o.water_m3_per_gpu_hour.fillna(0.0) * dt
        t["water_m3"] += float(w.sum())
        t["water_weighted_m3"] += float((w * stress).sum())
    return t


def objective_usd(problem: Problem, terms: dict[str, float]) -> float:
    """The scenario's objective for these terms (cost + carbon price + water price)."""
    o = problem.scenario.objective
    carbon = terms[f"carbon_{problem.scenario.accounting}_tco2e"] + terms["carbon_embodied_tco2e"]
    water = terms["water_weighted_m3" if o.water_scarcity_weighted else "water_m3"]
    return (terms["compute_usd"] + terms["egress_usd"] + o.carbon_price_usd_per_tco2e * carbon
            + o.water_price_usd_per_m3 * water)


def as_solution(problem: Problem, values: dict[str, xr.DataArray], name: str) -> Solution:
    """A Solution-shaped record of a hand-made placement, scored with the model's terms."""
    terms = evaluate_terms(problem, values)
    return Solution(Status.OPTIMAL, f"evaluated ({name})", name, 0.0,
                    objective_usd(problem, terms), terms, values)
