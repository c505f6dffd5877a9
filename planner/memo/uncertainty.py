"""Sensitivity (one-at-a-time tornado) and seeded Monte Carlo over a memo's main inputs.

A memo states an *outcome* as a vectorized function of named multiplicative or absolute
inputs: ``outcome(values) -> ndarray`` where ``values`` maps each input's key to an array
of samples. Each :class:`Uncertain` input has a base value and a low/high range; the
tornado moves one *group* of inputs at a time to its low and high ends, the Monte Carlo
draws every input independently from a triangular distribution (low, base, high) with a
fixed seed, so the same seed gives the same intervals.

The relative ranges below are **modelling assumptions** of regionplan, not measurements:
they state how far we think each figure could plausibly be from the catalog's value over
a planning year. Each memo lists them in its assumptions table; change them here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

GRID_CI_REL_RANGE = 0.25
"""± share of grid carbon intensity (annual means differ from the year planned; the
catalog mixes sources and years). Modelling assumption."""
GPU_PRICE_REL_RANGE = 0.15
"""± share of on-demand $/GPU-h per provider (list prices move; catalog prices may
predate cuts). Modelling assumption."""
SERVING_UTILIZATION_LOW = 0.7
"""Lowest share of the scenario's requests_per_gpu_s reached in production (fleet sized at
the plan's throughput; lower utilization means proportionally more GPU-hours).
Modelling assumption; the high end is 1 (the plan as solved)."""
API_PRICE_REL_RANGE = 0.25
"""± share of the API list price per token (discounts, batch tiers, price changes).
Modelling assumption."""
EGRESS_PRICE_REL_RANGE = 0.25
"""± share of the per-GB egress price (tiers and negotiated rates). Modelling assumption."""
DUAL_RUN_REL_RANGE = 0.5
"""± share of the dual-running time. Modelling assumption."""
CARBON_PRICE_REL_RANGE = 1.0
"""Tornado only: internal carbon price from 0 to twice the stated price (a policy
choice, not an uncertainty, so it is not sampled in the Monte Carlo)."""

ROUNDING_NOISE = 1e-6
"""|outcome| below this ($, tCO2e, days) is float noise and counts as zero."""
DEFAULT_SEED = 20270104
DEFAULT_SAMPLES = 2000


@dataclass(frozen=True)
class Uncertain:
    """One uncertain input: ``key`` in the outcome function, a readable ``label``, its
    base/low/high values, the ``group`` moved together in the tornado, and whether the
    Monte Carlo samples it."""

    key: str
    label: str
    base: float
    low: float
    high: float
    unit: str
    basis: str
    group: str = ""
    sampled: bool = True

    def __post_init__(self) -> None:
        if not (self.low <= self.base <= self.high):
            raise ValueError(f"{self.key}: need low ≤ base ≤ high, got {self.low}, "
                             f"{self.base}, {self.high}")

    @property
    def group_key(self) -> str:
        return self.group or self.key


Outcome = Callable[[dict[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class TornadoBar:
    """Outcome with one input group at its low and at its high end (others at base)."""

    group: str
    label: str
    range_text: str
    outcome_at_low: float
    outcome_at_high: float

    @property
    def swing(self) -> float:
        return abs(self.outcome_at_high - self.outcome_at_low)


@dataclass(frozen=True)
class Tornado:
    """Bars sorted by swing (largest first) around ``base`` (the outcome at base values)."""

    outcome_label: str
    base: float
    bars: tuple[TornadoBar, ...]


@dataclass(frozen=True)
class Interval:
    """P10 / P50 / P90 of one Monte Carlo outcome and the share of samples above zero."""

    label: str
    unit: str
    p10: float
    p50: float
    p90: float
    mean: float
    share_positive: float


@dataclass(frozen=True)
class MonteCarlo:
    """Seeded Monte Carlo result: intervals per outcome, and the samples of the first."""

    seed: int
    samples: int
    intervals: tuple[Interval, ...]
    first_samples: tuple[float, ...]


def _base_values(inputs: Sequence[Uncertain]) -> dict[str, np.ndarray]:
    return {u.key: np.array([u.base]) for u in inputs}


def tornado(inputs: Sequence[Uncertain], outcome: Outcome, label: str) -> Tornado:
    """One-at-a-time sensitivity: each group to its low, then its high end."""
    base = float(outcome(_base_values(inputs))[0])
    groups: dict[str, list[Uncertain]] = {}
    for u in inputs:
        groups.setdefault(u.group_key, []).append(u)
    bars = []
    for gkey, members in groups.items():
        lo = _base_values(inputs)
        hi = _base_values(inputs)
        for u in members:
            lo[u.key] = np.array([u.low])
            hi[u.key] = np.array([u.high])
        first = members[0]
        rng = (f"{first.low:,.4g} … {first.high:,.4g} {first.unit}".rstrip()
               if len(members) == 1 else f"{first.low:,.4g} … {first.high:,.4g} × each")
        bars.append(TornadoBar(gkey, first.label if len(members) == 1 else first.group,
                               rng, float(outcome(lo)[0]), float(outcome(hi)[0])))
    bars.sort(key=lambda b: b.swing, reverse=True)
    return Tornado(label, base, tuple(bars))


def sample(inputs: Sequence[Uncertain], n: int, seed: int) -> dict[str, np.ndarray]:
    """Triangular(low, base, high) draws for sampled inputs; the rest fixed at base."""
    if n < 1:
        raise ValueError(f"samples must be ≥ 1, got {n}")
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for u in inputs:  # order fixed by the caller: same seed → same draws
        if u.sampled and u.high > u.low:
            out[u.key] = rng.triangular(u.low, u.base, u.high, size=n)
        else:
            out[u.key] = np.full(n, u.base)
    return out


def monte_carlo(inputs: Sequence[Uncertain],
                outcomes: Sequence[tuple[str, str, Outcome]],
                n: int, seed: int) -> MonteCarlo:
    """Percentiles of each ``(label, unit, outcome)`` over ``n`` seeded draws."""
    draws = sample(inputs, n, seed)
    intervals = []
    first: np.ndarray | None = None
    for label, unit, fn in outcomes:
        vals = np.asarray(fn(draws), dtype=float)
        vals = np.where(np.abs(vals) < ROUNDING_NOISE, 0.0, vals)  # float noise, not a sign
        if first is None:
            first = vals
        p10, p50, p90 = np.percentile(vals, [10, 50, 90], method="nearest")
        finite = vals[np.isfinite(vals)]
        mean = float(finite.mean()) if finite.size else math.inf
        intervals.append(Interval(label, unit, float(p10), float(p50), float(p90), mean,
                                  float((vals > 0).mean())))
    assert first is not None
    return MonteCarlo(seed, n, tuple(intervals), tuple(float(v) for v in first))


def rel(key: str, label: str, rel_range: float, basis: str, group: str = "",
        low: float | None = None, sampled: bool = True) -> Uncertain:
    """A multiplicative factor around 1 with ± ``rel_range`` (or an explicit ``low``)."""
    lo = 1.0 - rel_range if low is None else low
    hi = 1.0 + rel_range if low is None else 1.0
    return Uncertain(key, label, 1.0, max(lo, 0.0), hi, "×", basis, group, sampled)
