"""Surviving the loss of a region: the failover block and an independent check of a plan.

For a service with ``survive_region_loss: true``, for every region ``lost`` the service may
be deployed in and every planning period, the demand must fit into the GPUs running in the
*other* regions, each metro served within ``failover_latency_slo_ms`` and its residency:

- ``Service-failover-rps[service, lost, metro, region, hour] ≥ 0``: traffic re-routed while
  ``lost`` is down (never to ``lost`` itself);
- ``Service-failover-demand``: Σ_region failover rps = demand, for every lost region;
- ``Service-failover-capacity``: Σ_metro failover rps ≤ GPUs · requests_per_gpu_s in each
  surviving region.

Every candidate region is a possible loss, deployed or not: losing a region that serves
nothing leaves the normal routing, so the condition binds exactly on deployed regions and
needs no binary. The capacity is the GPUs the plan runs (N+1 sizing): a plan that meets it
keeps serving, within the failover SLO, with any one region gone, in every period. Failover
traffic goes only to regions the service may run in (within its normal SLO of some metro):
a standby region that no metro could use normally is not considered.

Size: one variable per (lost region, metro, region within the failover SLO, period); the
llm-fleet week with it on chat-api adds ~244k variables and ~12 s of solve.

:func:`failover_shortfall_rps` re-checks a plan from its GPUs alone (an LP per lost region,
independent of the model's variables): the plan's report and the baselines use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import linopy
import numpy as np
import scipy.optimize
import scipy.sparse
import xarray as xr

from planner.problem import Problem

SHORTFALL_TOL_RPS = 1e-6

# build()'s elastic slack maker: (constraint name, coords, scale) → slack expression or 0
Slack = Callable[[str, list[Any], "xr.DataArray | float"], "linopy.LinearExpression | float"]


def survivors(p: Problem) -> xr.DataArray:
    """[service] True where the service must survive the loss of a region."""
    return xr.DataArray([s.survive_region_loss for s in p.scenario.inference],
                        coords=[p.services], dims=["service"])


def add_failover_block(m: linopy.Model, p: Problem, sgpus: linopy.LinearExpression,
                       s_mask: xr.DataArray, slack: Slack | None = None) -> None:
    """Add the failover flows for services with ``survive_region_loss`` (see module doc).

    ``sgpus`` is ``Service-gpus`` [service, region, hour] (absent cells 0), ``s_mask`` where
    a service may run [service, region]. ``slack`` (elastic models) gives the failover
    demand a slack named ``Service-failover-demand-slack``.
    """
    survive = survivors(p)
    if not bool(survive.any()) or p.failover_allowed is None:
        return
    lost_idx = p.regions.rename("lost")
    lost_ok = s_mask.rename(region="lost") & survive  # [service, lost]
    other = xr.DataArray(np.not_equal.outer(p.regions, p.regions), coords=[lost_idx, p.regions])
    demand_on = p.demand_rps > 0  # [service, metro, hour]
    # only into regions where the service may run GPUs (within its normal SLO of some metro)
    flow_mask = lost_ok & other & s_mask & p.failover_allowed & demand_on
    rps = m.add_variables(lower=0, coords=[p.services, lost_idx, p.metros, p.regions, p.hours],
                          name="Service-failover-rps", mask=flow_mask).fillna(0)
    short = 0.0 if slack is None else slack(
        "Service-failover-demand", [p.services, lost_idx, p.metros, p.hours],
        p.demand_rps.where(demand_on, 1.0))
    m.add_constraints(rps.sum("region") + short == p.demand_rps,
                      name="Service-failover-demand", mask=lost_ok & demand_on)
    capacity = sgpus * p.service_rps_per_gpu
    m.add_constraints(rps.sum("metro") - capacity <= 0, name="Service-failover-capacity",
                      mask=flow_mask.any("metro"))


@dataclass(frozen=True)
class FailoverCheck:
    """One lost region of one service, re-checked from the plan's GPUs."""

    service: str
    lost: str
    worst_unserved_rps: float  # most demand left unserved in any period (0: survives)
    worst_period: int

    @property
    def survives(self) -> bool:
        return self.worst_unserved_rps <= SHORTFALL_TOL_RPS


def failover_shortfall_rps(demand: np.ndarray, allowed: np.ndarray, capacity: np.ndarray
                           ) -> np.ndarray:
    """Least unserved demand per period (rps) when traffic is routed by ``allowed``.

    ``demand`` [metro, hour] rps, ``allowed`` [metro, region] bool, ``capacity`` [region,
    hour] rps. One LP over every period (they are independent): flows on allowed pairs,
    unserved slack per metro and hour, minimizing the total slack.
    """
    n_m, n_h = demand.shape
    pm, pr = np.nonzero(allowed)
    n_pairs = len(pm)
    n_flow = n_pairs * n_h
    # column order: flows (pair-major, hour-minor), then slack (metro-major, hour-minor)
    pair = np.repeat(np.arange(n_pairs), n_h)
    hour = np.tile(np.arange(n_h), n_pairs)
    slack_cols = n_flow + np.arange(n_m * n_h)
    eq_rows = np.concatenate([pm[pair] * n_h + hour, np.arange(n_m * n_h)])
    eq_cols = np.concatenate([np.arange(n_flow), slack_cols])
    a_eq = scipy.sparse.csr_matrix((np.ones(len(eq_rows)), (eq_rows, eq_cols)),
                                   shape=(n_m * n_h, n_flow + n_m * n_h))
    n_r = capacity.shape[0]
    a_ub = scipy.sparse.csr_matrix((np.ones(n_flow), (pr[pair] * n_h + hour,
                                                      np.arange(n_flow))),
                                   shape=(n_r * n_h, n_flow + n_m * n_h))
    cost = np.concatenate([np.zeros(n_flow), np.ones(n_m * n_h)])
    res = scipy.optimize.linprog(cost, A_ub=a_ub, b_ub=capacity.reshape(-1), A_eq=a_eq,
                                 b_eq=demand.reshape(-1), bounds=(0, None), method="highs")
    if res.status != 0:
        raise RuntimeError(f"failover check LP ended with status {res.status}: {res.message}")
    return res.x[n_flow:].reshape(n_m, n_h).sum(axis=0)


def check_plan(p: Problem, service_gpus: xr.DataArray) -> list[FailoverCheck]:
    """Re-check ``survive_region_loss`` from GPUs per [service, region, hour].

    For each service that asks for it and each region it runs GPUs in: remove that region,
    and route the demand within the failover SLO and residency onto the GPUs left.
    """
    out: list[FailoverCheck] = []
    if p.failover_allowed is None:
        return out
    for s in p.scenario.inference:
        if not s.survive_region_loss:
            continue
        gpus = service_gpus.sel(service=s.name).fillna(0.0).transpose("region", "hour").values
        capacity = np.clip(gpus, 0.0, None) * s.requests_per_gpu_s
        demand = p.demand_rps.sel(service=s.name).transpose("metro", "hour").values
        allowed = p.failover_allowed.sel(service=s.name).transpose("metro", "region").values
        for k in np.flatnonzero(gpus.max(axis=1) > SHORTFALL_TOL_RPS):
            cap = capacity.copy()
            cap[k] = 0.0
            short = failover_shortfall_rps(demand, allowed, cap)
            worst = int(np.argmax(short))
            out.append(FailoverCheck(s.name, str(p.regions[k]), float(short[worst]), worst))
    return out
