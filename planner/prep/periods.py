"""Planning periods: the horizon's hours, or representative (month × hour) periods."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.scenario import Scenario


@dataclass(frozen=True)
class Periods:
    """The horizon as planning periods.

    ``all_hours`` are the horizon's hours (UTC); ``group[h]`` is the period of hour ``h``;
    ``weights_h[p]`` the hours period ``p`` stands for; ``timestamps[p]`` its first hour.
    """

    all_hours: pd.DatetimeIndex
    group: np.ndarray
    weights_h: np.ndarray
    hours: pd.RangeIndex
    timestamps: pd.DatetimeIndex

    @property
    def n(self) -> int:
        """Number of planning periods."""
        return len(self.weights_h)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of ``values[..., hour]`` over the hours of each period."""
        return period_mean(values, self.group, self.n)


def make_periods(scenario: Scenario) -> Periods:
    """The scenario's planning periods."""
    start = pd.Timestamp(scenario.horizon.start)
    all_hours = pd.date_range(start, periods=scenario.horizon.hours, freq="h", tz="UTC")
    group, weights = period_groups(scenario, all_hours)
    hours = pd.RangeIndex(len(weights), name="hour")
    timestamps = all_hours[np.unique(group, return_index=True)[1]]
    return Periods(all_hours, group, weights, hours, timestamps)


def period_groups(scenario: Scenario, all_hours: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
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


def period_mean(values: np.ndarray, group: np.ndarray, n_periods: int) -> np.ndarray:
    """Mean of ``values[..., hour]`` over the hours of each period."""
    flat = values.reshape(-1, values.shape[-1])
    out = np.zeros((flat.shape[0], n_periods))
    counts = np.bincount(group, minlength=n_periods)
    for i, row in enumerate(flat):
        out[i] = np.bincount(group, weights=row, minlength=n_periods) / counts
    return out.reshape(*values.shape[:-1], n_periods)
