"""What the generated Terraform deploys for each placement, and what that costs.

:func:`deploy_plan` turns every placement of a plan.json into a :class:`Deployed`: its
purchase option and billed $/instance-hour, its schedule as scaling actions
(:mod:`planner.emit.schedule`), and the **deployed cost** recomputed from that schedule
(Σ runs instances × hours × $/instance-hour). With plans that carry
``schedule_instances`` and ``usd_per_instance_hour`` (the whole-instance contract) the
deployed cost equals the plan's compute cost unless a placement was smoothed (or is an
Azure month × hour placement, deployed as its daily envelope); older plans are rounded
up to whole instances per period here, and the report says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.emit import schedule as sched

PURCHASES = ("on_demand", "spot", "committed")
COMMITTED_TERMS = ("committed_1y", "committed_3y")

PRICE_FROM_PLAN = "usd_per_instance_hour (plan)"
PRICE_DERIVED = "derived: cost_usd / gpu_hours x gpus_per_instance (plan without " \
    "usd_per_instance_hour)"
PURCHASE_DEFAULT = "on_demand (plan without purchase: priced at on-demand list)"


class DeployError(ValueError):
    """A placement cannot be deployed as planned (names the placement, the limit, the fix)."""


@dataclass(frozen=True)
class Deployed:
    """One placement as deployed: schedule, price and cost (USD over the plan horizon)."""

    key: str
    cloud: str
    purchase: str
    purchase_source: str
    usd_per_instance_hour: float
    price_source: str
    instances_source: str
    planned_cost_usd: float
    schedule: sched.Schedule
    steps: list[dict[str, Any]] = field(default_factory=list)
    recurrences: list[dict[str, Any]] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    @property
    def instance_hours(self) -> float:
        """Instance-hours the deployed schedule runs over the horizon."""
        return self.schedule.instance_hours

    @property
    def deployed_cost_usd(self) -> float:
        """instance_hours × usd_per_instance_hour (USD over the horizon)."""
        return self.instance_hours * self.usd_per_instance_hour

    def to_dict(self) -> dict[str, Any]:
        """The report row (JSON-ready)."""
        return {
            "placement": self.key, "purchase": self.purchase,
            "purchase_source": self.purchase_source,
            "usd_per_instance_hour": self.usd_per_instance_hour,
            "price_source": self.price_source, "instances_source": self.instances_source,
            "schedule_kind": self.schedule.kind, "scaling_actions": self.schedule.actions,
            "smoothed_from_actions": self.schedule.smoothed_from,
            "peak_instances": self.schedule.peak_instances,
            "instance_hours": self.instance_hours,
            "planned_cost_usd": self.planned_cost_usd,
            "deployed_cost_usd": self.deployed_cost_usd, "notes": list(self.notes),
        }


def _price(row: Mapping[str, Any], where: str) -> tuple[float, str]:
    given = row.get("usd_per_instance_hour")
    if given is not None:
        x = float(given)
        if not (math.isfinite(x) and x >= 0):
            raise DeployError(f"{where}: usd_per_instance_hour {given!r} is not a price >= 0")
        return x, PRICE_FROM_PLAN
    gpu_hours = float(row.get("gpu_hours") or 0.0)
    cost = float(row.get("cost_usd") or 0.0)
    if gpu_hours <= 0:
        if cost > 0:
            raise DeployError(f"{where}: cost_usd {cost} with 0 gpu_hours: cannot price an "
                              "instance-hour; re-plan with a current regionplan")
        return 0.0, PRICE_DERIVED + "; no GPU-hours, priced 0"
    return cost / gpu_hours * int(row["gpus_per_instance"]), PRICE_DERIVED


def _purchase(row: Mapping[str, Any], where: str) -> tuple[str, str]:
    given = row.get("purchase")
    if given is None:
        return "on_demand", PURCHASE_DEFAULT
    if given in COMMITTED_TERMS:  # deployed as committed capacity; the term is bought apart
        return "committed", f"plan ({given})"
    if given not in PURCHASES:
        raise DeployError(f"{where}: purchase {given!r} is not one of {PURCHASES}")
    return str(given), "plan"


def action_limit(cloud: str, max_actions: int | None) -> int:
    """Scaling actions allowed per placement: ``max_actions`` capped by the cloud's own."""
    cloud_max = sched.MAX_ACTIONS_BY_CLOUD[cloud]
    return cloud_max if max_actions is None else min(max_actions, cloud_max)


def _months_differ(values: Any) -> bool:
    """True when a month × hour schedule does not repeat one day in every month."""
    days = np.asarray(values, float).reshape(-1, 24)
    return bool((days != days[0]).any())


def deploy_placement(
    plan: Mapping[str, Any], row: Mapping[str, Any], key: str, *,
    max_actions: int | None = None, smooth: bool = False,
) -> Deployed:
    """Deploy one placement row (see module doc). Raises :class:`DeployError` when its
    schedule needs more scaling actions than allowed and ``smooth`` is off."""
    where = f"placement {key}"
    cloud = str(row["provider"])
    try:
        lay = sched.layout(plan)
        values, source = sched.placement_instances(plan, row, where)
    except sched.ScheduleError as exc:
        raise DeployError(str(exc)) from exc
    kind = sched.choose_kind(lay, values, str(row["kind"]), cloud)
    schedule = sched.encode(lay, values, kind)
    notes: list[str] = []
    if lay.month_hour is not None and cloud == "azure" and _months_differ(values):
        notes.append("Azure autoscale recurrences have no month: deployed as the daily "
                     "envelope (each hour's peak over the months)")
    limit = action_limit(cloud, max_actions)
    if schedule.actions > limit:
        try:
            smoothed = sched.smooth(schedule, limit)
        except sched.ScheduleError as exc:
            raise DeployError(f"{where}: {exc}") from exc
        if not smooth:
            price, _ = _price(row, where)
            extra = (smoothed.instance_hours - schedule.instance_hours) * price
            raise DeployError(
                f"{where}: {schedule.actions} scaling actions, more than the {limit} allowed "
                f"({cloud} allows {sched.MAX_ACTIONS_BY_CLOUD[cloud]}). Pass --smooth to merge "
                f"the smallest steps (never below the plan; deployed cost +${extra:,.2f}), "
                "or raise --max-actions up to the cloud's limit."
            )
        notes.append(f"smoothed from {schedule.actions} to {smoothed.actions} scaling actions")
        schedule = smoothed
    price, price_source = _price(row, where)
    purchase, purchase_source = _purchase(row, where)
    planned_ih = row.get("instance_hours")
    if source == "schedule_instances" and planned_ih is not None and not math.isclose(
            float(planned_ih), sum(v * h for v, h in zip(values, lay.hours, strict=True)),
            rel_tol=1e-9, abs_tol=1e-9):
        notes.append(f"the plan's instance_hours {planned_ih} differ from its "
                     "schedule_instances x period hours; deployed from schedule_instances")
    return Deployed(
        key=key, cloud=cloud, purchase=purchase, purchase_source=purchase_source,
        usd_per_instance_hour=price, price_source=price_source, instances_source=source,
        planned_cost_usd=float(row["cost_usd"]), schedule=schedule,
        steps=sched.steps(schedule, lay), recurrences=sched.recurrences(schedule),
        notes=tuple(notes),
    )


def cost_report(plan: Mapping[str, Any], deployed: list[Deployed]) -> dict[str, Any]:
    """``deployed_cost.json``: per placement and total deployed vs planned compute cost."""
    total = sum(d.deployed_cost_usd for d in deployed)
    planned = float(plan["totals"].get("compute_usd", plan["totals"]["cost_usd"]))
    sources = sorted({d.instances_source for d in deployed})
    return {
        "//": "Deployed cost = Σ scaling-schedule instance-hours × usd_per_instance_hour, "
              "over the plan horizon, USD; planned = plan totals.compute_usd.",
        "scenario": plan["scenario"].get("name"),
        "horizon_hours": float(plan["horizon"]["hours"]),
        "planned_compute_usd": planned,
        "deployed_cost_usd": total,
        "difference_usd": total - planned,
        "difference_fraction": (total - planned) / planned if planned else 0.0,
        "instances_sources": sources,
        "placements": [d.to_dict() for d in deployed],
    }
