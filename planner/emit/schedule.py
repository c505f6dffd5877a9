"""A placement's planned instances per period → scaling actions the clouds can run.

Pure computation on one plan.json. For each placement:

1. **Instances per period** (:func:`placement_instances`): the plan's
   ``schedule_instances`` (whole instances per planning period); for older plans without
   it, ``ceil(GPUs ÷ gpus_per_instance)`` of the top-level ``schedule``; for plans without
   either, the peak ``instances`` over the whole horizon. The source is recorded.
2. **Encoding** (:func:`encode`): periods are mapped to *slots* and the slot values
   run-length encoded into runs (one scaling action each):

   * ``dated`` — one slot per period: steps ``(start UTC, hours, instances)``, plus a final
     step to 0 instances at the end of the horizon when the last run is not 0 (training
     jobs, and any series that does not repeat);
   * ``daily`` / ``weekly`` — an inference series that repeats every 24 h / 168 h (over at
     least two repeats) becomes recurrences on the hour of day / of week (cron);
   * ``month_hour`` — a representative-period plan (month × hour of day): one daily
     recurrence per month (cron month field). Azure autoscale recurrences have no month,
     so an Azure placement gets the daily *envelope* (each hour's peak over the months),
     which never runs fewer instances than planned and is costed as deployed.
3. **Smoothing** (:func:`smooth`): when a placement needs more actions than allowed, the
   adjacent pair of runs whose merge adds the fewest instance-hours is merged (to the
   larger count) until it fits: never below the planned instances in any period.

Deployed instance-hours are recomputed from the runs (value × hours the run stands for)
and :func:`expand` maps runs back to periods, so ``expand(encode(x)) == x`` unsmoothed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

AZURE_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""Azure autoscale recurrence day names, in Python ``weekday()`` order (Monday = 0)."""

MAX_ACTIONS_BY_CLOUD: dict[str, int] = {
    # AWS EC2 Auto Scaling quota "Scheduled actions per Auto Scaling group": 125
    # (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html, 2026-12).
    "aws": 125,
    # GCP: "You can create up to 128 scaling schedules per managed instance group"
    # (cloud.google.com/compute/docs/autoscaler/scaling-schedules, 2026-12).
    "gcp": 128,
    # Azure Monitor autoscale: at most 20 profiles per autoscale setting, one of which is
    # the default profile (learn.microsoft.com/azure/azure-monitor/autoscale, 2026-12).
    "azure": 19,
}
"""Most scaling actions one placement may have on each cloud (the cloud's own limit)."""

KINDS = ("dated", "daily", "weekly", "month_hour")
MIN_REPEATS = 2
"""A series must repeat at least this many times to be emitted as a recurrence."""


class ScheduleError(ValueError):
    """A placement's schedule cannot be read or deployed (names the placement and fix)."""


@dataclass(frozen=True)
class Layout:
    """The plan's planning periods: ``hours[t]`` (h each period stands for over the
    horizon), ``start_utc`` of the horizon, and for month × hour plans ``month_hour[t]``
    = (month 1..12, hour of day 0..23) of period ``t``."""

    start_utc: datetime
    hours: tuple[float, ...]
    month_hour: tuple[tuple[int, int], ...] | None

    @property
    def n(self) -> int:
        """Number of periods."""
        return len(self.hours)


@dataclass(frozen=True)
class Run:
    """Consecutive slots ``first .. first+length-1`` of one segment at ``instances``;
    ``hours`` = hours of the horizon the run stands for (Σ of its periods' hours)."""

    segment: int
    first: int
    length: int
    instances: int
    hours: float


@dataclass(frozen=True)
class Schedule:
    """One placement's deployed schedule: ``kind`` (:data:`KINDS`), ``slot_of[t]`` (slot of
    period ``t``), ``segment_of_slot`` and the runs (in slot order)."""

    kind: str
    slot_of: tuple[int, ...]
    slots_per_segment: int
    runs: tuple[Run, ...]
    smoothed_from: int | None = None

    @property
    def actions(self) -> int:
        """Scaling actions: one per run; month × hour runs with the same start, length and
        instances in several months share one recurrence (a cron month list)."""
        if self.kind == "month_hour":
            return len({(r.first, r.length, r.instances) for r in self.runs})
        return len(self.runs)

    @property
    def instance_hours(self) -> float:
        """Σ runs instances × hours: what the deployed schedule runs over the horizon."""
        return sum(r.instances * r.hours for r in self.runs)

    @property
    def peak_instances(self) -> int:
        """Most instances at once."""
        return max((r.instances for r in self.runs), default=0)


def _parse_utc(text: Any, where: str) -> datetime:
    if not isinstance(text, str):
        raise ScheduleError(f"{where}: expected an ISO UTC time, got {text!r}")
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ScheduleError(f"{where}: {text!r} is not an ISO time") from exc
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def layout(plan: Mapping[str, Any]) -> Layout:
    """The planning periods of ``plan`` (see contracts: ``horizon``)."""
    horizon = plan["horizon"]
    start = _parse_utc(horizon.get("start_utc"), "horizon.start_utc")
    if horizon.get("representative"):
        weights = horizon.get("period_weights_h")
        starts = horizon.get("period_start_utc")
        if not weights or not starts or len(weights) != len(starts):
            raise ScheduleError("horizon: a representative plan needs period_weights_h and "
                                "period_start_utc of equal length")
        if horizon["representative"] != "month-hour":
            raise ScheduleError(f"horizon.representative: {horizon['representative']!r} is "
                                "not supported; expected 'month-hour'")
        mh = []
        for i, s in enumerate(starts):
            t = _parse_utc(s, f"horizon.period_start_utc[{i}]")
            mh.append((t.month, t.hour))
        return Layout(start, tuple(float(w) for w in weights), tuple(mh))
    hours = float(horizon["hours"])
    periods = int(horizon.get("periods") or round(hours / float(horizon.get("period_hours", 1))))
    if periods <= 0:
        raise ScheduleError(f"horizon.periods: expected a positive count, got {periods}")
    return Layout(start, (hours / periods,) * periods, None)


def placement_instances(
    plan: Mapping[str, Any], row: Mapping[str, Any], where: str
) -> tuple[list[int], str]:
    """Whole instances per period for one placement row, and where they came from:
    ``"schedule_instances"``, ``"derived from schedule (ceil GPUs / gpus_per_instance)"``
    or ``"constant peak (plan has no schedule)"``."""
    n = layout(plan).n
    gpi = int(row["gpus_per_instance"])
    given = row.get("schedule_instances")
    if given is not None:
        if len(given) != n:
            raise ScheduleError(f"{where}: schedule_instances has {len(given)} periods, the "
                                f"horizon {n}")
        out = []
        for i, v in enumerate(given):
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or v != int(v):
                raise ScheduleError(f"{where}: schedule_instances[{i}] = {v!r} is not a "
                                    "whole number >= 0")
            out.append(int(v))
        return out, "schedule_instances"
    series = (plan.get("schedule") or {}).get(row["workload"], {}).get(
        f"{row['provider']}/{row['region']}")
    if series is not None:
        if len(series) != n:
            raise ScheduleError(f"{where}: schedule has {len(series)} periods, the horizon {n}")
        # 1e-6 GPU tolerance: solver round-off must not add an instance.
        return ([max(0, math.ceil(float(g) / gpi - 1e-6)) for g in series],
                "derived from schedule (ceil GPUs / gpus_per_instance)")
    return [int(row["instances"])] * n, "constant peak (plan has no schedule)"


def _slots(lay: Layout, kind: str) -> tuple[tuple[int, ...], int]:
    """Slot of each period and slots per segment for ``kind``."""
    if kind == "dated":
        return tuple(range(lay.n)), lay.n + 1  # one spare slot: the stop at the horizon end
    if kind == "month_hour":
        assert lay.month_hour is not None
        return tuple((m - 1) * 24 + h for m, h in lay.month_hour), 24
    if lay.month_hour is not None:  # daily envelope of a month × hour plan
        return tuple(h for _, h in lay.month_hour), 24
    step_h = lay.hours[0]
    base = lay.start_utc.weekday() * 24 + lay.start_utc.hour
    period = 24 if kind == "daily" else 168
    return tuple(int(base + t * step_h) % period for t in range(lay.n)), period


def _consistent(values: Sequence[int], slot_of: Sequence[int]) -> bool:
    seen: dict[int, int] = {}
    return all(seen.setdefault(s, v) == v for s, v in zip(slot_of, values, strict=True))


def choose_kind(lay: Layout, values: Sequence[int], workload_kind: str, cloud: str) -> str:
    """``month_hour`` for representative plans (``daily`` envelope on Azure); for hourly
    plans ``daily``/``weekly`` when an inference series repeats, else ``dated``."""
    if lay.month_hour is not None:
        return "daily" if cloud == "azure" else "month_hour"
    if workload_kind != "inference" or lay.hours[0] != 1.0:
        return "dated"
    total_h = sum(lay.hours)
    for kind, period in (("daily", 24), ("weekly", 168)):
        if total_h >= MIN_REPEATS * period and _consistent(values, _slots(lay, kind)[0]):
            return kind
    return "dated"


def encode(lay: Layout, values: Sequence[int], kind: str) -> Schedule:
    """Run-length encode ``values`` (instances per period) as ``kind`` (see module doc).
    For the daily envelope of a month × hour plan each slot takes its peak."""
    slot_of, per_seg = _slots(lay, kind)
    n_slots = per_seg * (12 if kind == "month_hour" else 1)
    slot_value = [0] * n_slots
    slot_hours = [0.0] * n_slots
    for t, s in enumerate(slot_of):
        slot_value[s] = max(slot_value[s], int(values[t]))
        slot_hours[s] += lay.hours[t]
    used = [False] * n_slots
    for s in slot_of:
        used[s] = True
    runs: list[Run] = []
    for seg in range(n_slots // per_seg):
        cur: Run | None = None
        for j in range(per_seg):
            s = seg * per_seg + j
            # The dated stop slot (after the horizon, 0 instances, 0 h) folds into a last
            # run of 0; slots no period maps to (a month outside the plan) are skipped.
            if not used[s] and not (kind == "dated" and s == lay.n):
                continue
            v = slot_value[s]
            if cur is not None and cur.instances == v and cur.first + cur.length == j:
                cur = replace(cur, length=cur.length + 1, hours=cur.hours + slot_hours[s])
                continue
            if cur is not None:
                runs.append(cur)
            cur = Run(seg, j, 1, v, slot_hours[s])
        if cur is not None:
            runs.append(cur)
    return Schedule(kind, slot_of, per_seg, tuple(runs))


def expand(schedule: Schedule) -> list[int]:
    """Instances per period that ``schedule`` runs (the inverse of :func:`encode`)."""
    by_slot: dict[int, int] = {}
    for r in schedule.runs:
        base = r.segment * schedule.slots_per_segment + r.first
        for k in range(r.length):
            by_slot[base + k] = r.instances
    return [by_slot[s] for s in schedule.slot_of]


def _merge_cost(a: Run, b: Run) -> float:
    top = max(a.instances, b.instances)
    return (top - a.instances) * a.hours + (top - b.instances) * b.hours


class _Runs:
    """Runs in a doubly linked list, for merging neighbours in O(log n) each."""

    def __init__(self, runs: Sequence[Run]) -> None:
        self.runs: list[Run | None] = list(runs)
        n = len(self.runs)
        self.prev = [i - 1 for i in range(n)]
        self.next = [i + 1 if i + 1 < n else -1 for i in range(n)]
        self.version = [0] * n
        self.count = n

    def touching(self, i: int) -> bool:
        """Run ``i`` and its next run are in one segment with no slot between them."""
        j = self.next[i]
        a, b = self.runs[i], self.runs[j] if j >= 0 else None
        return a is not None and b is not None and a.segment == b.segment \
            and a.first + a.length == b.first

    def merge(self, i: int) -> None:
        """Merge run ``i``'s next run into it, at the larger count."""
        j = self.next[i]
        a, b = self.runs[i], self.runs[j]
        assert a is not None and b is not None
        self.runs[i] = Run(a.segment, a.first, a.length + b.length,
                           max(a.instances, b.instances), a.hours + b.hours)
        self.runs[j] = None
        self.next[i] = self.next[j]
        if self.next[j] >= 0:
            self.prev[self.next[j]] = i
        self.version[i] += 1
        self.count -= 1


def _fold_equal(lst: _Runs, i: int) -> int:
    """Fold run ``i`` with touching neighbours of the same count; return the survivor."""
    folded = True
    while folded:
        folded = False
        for k in (lst.prev[i], i):
            if k >= 0 and lst.touching(k):
                a, b = lst.runs[k], lst.runs[lst.next[k]]
                if a is not None and b is not None and a.instances == b.instances:
                    lst.merge(k)
                    i, folded = k, True
                    break
    return i


def smooth(schedule: Schedule, max_actions: int) -> Schedule:
    """``schedule`` with at most ``max_actions`` runs, never below it in any slot.

    Greedy: merge the adjacent pair (same segment, touching slots) whose merge adds the
    fewest instance-hours, to the larger count; a merge that leaves equal neighbours folds
    them at once (no cost). Raises :class:`ScheduleError` when even one run per segment
    exceeds ``max_actions``.
    """
    if schedule.actions <= max_actions:
        return schedule
    segments = len({r.segment for r in schedule.runs})
    if max_actions < segments:
        raise ScheduleError(f"needs at least {segments} scaling actions (one per "
                            f"{'month' if schedule.kind == 'month_hour' else 'segment'}), "
                            f"the limit is {max_actions}")
    lst = _Runs(schedule.runs)
    heap: list[tuple[float, int, int, int]] = []

    def push(i: int) -> None:
        if i >= 0 and lst.touching(i):
            j = lst.next[i]
            a, b = lst.runs[i], lst.runs[j]
            assert a is not None and b is not None
            heapq.heappush(heap, (_merge_cost(a, b), i, lst.version[i], lst.version[j]))

    for i in range(len(lst.runs)):
        push(i)
    while lst.count > max_actions and heap:
        _, i, vi, vj = heapq.heappop(heap)
        j = lst.next[i]
        if lst.runs[i] is None or j < 0 or lst.version[i] != vi or lst.version[j] != vj:
            continue  # stale: one side merged since
        lst.merge(i)
        i = _fold_equal(lst, i)
        push(lst.prev[i])
        push(i)
    if lst.count > max_actions:
        raise ScheduleError(f"cannot merge runs below {lst.count} actions")
    runs = tuple(r for r in lst.runs if r is not None)
    return replace(schedule, runs=runs, smoothed_from=schedule.actions)


def _utc_text(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def steps(schedule: Schedule, lay: Layout) -> list[dict[str, Any]]:
    """Dated steps ``{start_utc, hours, instances}`` (the stop step has ``hours`` 0)."""
    if schedule.kind != "dated":
        return []
    offsets = [0.0]
    for h in lay.hours:
        offsets.append(offsets[-1] + h)
    return [
        {"start_utc": _utc_text(lay.start_utc + timedelta(hours=offsets[r.first])),
         "hours": r.hours, "instances": r.instances}
        for r in schedule.runs
    ]


def recurrences(schedule: Schedule) -> list[dict[str, Any]]:
    """Recurrences ``{cron, months, days, hour, hours, instances, hours_in_horizon}``.

    ``cron`` is five fields in UTC (``minute hour day-of-month month day-of-week``,
    Sunday = 0); ``months`` the months it applies in (``[]`` = every month; month × hour
    runs alike in several months share one recurrence); ``days`` Azure day names;
    ``hours`` the run's length in h; ``hours_in_horizon`` the hours it stands for over the
    whole horizon.
    """
    if schedule.kind == "dated":
        return []
    grouped: dict[tuple[int, int, int], list[Run]] = {}
    for r in schedule.runs:
        key = (r.first, r.length, r.instances) if schedule.kind == "month_hour" else (
            r.segment * schedule.slots_per_segment + r.first, r.length, r.instances)
        grouped.setdefault(key, []).append(r)
    out = []
    for runs in grouped.values():
        r = runs[0]
        months = sorted(x.segment + 1 for x in runs) if schedule.kind == "month_hour" else []
        if schedule.kind == "weekly":
            wd, hour = divmod(r.first, 24)
            days = [AZURE_DAYS[wd]]
            cron = f"0 {hour} * * {(wd + 1) % 7}"
        else:
            hour = r.first
            days = list(AZURE_DAYS)
            cron = f"0 {hour} * {','.join(map(str, months)) or '*'} *"
        out.append({"cron": cron, "months": months, "days": days, "hour": hour,
                    "hours": float(r.length), "instances": r.instances,
                    "hours_in_horizon": sum(x.hours for x in runs)})
    return out
