"""Provenance records shared by the preparation steps, the model and the plan.

This module sits below everything else in :mod:`planner` (it imports nothing from it), so
that the preparation steps, the feasibility checks and the plan can all speak of the same
figures without importing one another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class InputFigure:
    """One figure the model used, with its unit and source."""

    figure: str
    key: str
    value: float | str
    unit: str
    source: str
    as_of: str


@dataclass(frozen=True)
class Offer:
    """The cheapest catalog offer of a GPU model in a region (price in USD per GPU-hour)."""

    instance_type: str
    gpus_per_instance: int
    usd_per_gpu_hour: float
    source: str
    as_of: str


def region_ids(df: pd.DataFrame) -> pd.Series:
    """``provider/region`` ids of the rows of a catalog table."""
    return df["provider"].astype(str) + "/" + df["region"].astype(str)


def as_of_text(value: object) -> str:
    """A catalog ``as_of`` cell as text; an empty string where the cell is missing."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def dedupe(inputs: list[InputFigure]) -> list[InputFigure]:
    """The first record of each (figure, key), in order of first appearance."""
    seen: dict[tuple[str, str], InputFigure] = {}
    for f in inputs:
        seen.setdefault((f.figure, f.key), f)
    return list(seen.values())
