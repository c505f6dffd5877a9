"""Acceptance of a fetched batch before it may replace the last good rows in the store.

A connector's output is checked against the canonical schema (:mod:`connectors.schema`)
and against what a figure can plausibly be: types (numbers are numbers, text is text),
units (the unit lives in the column name, the bound is in that unit), finite,
non-negative, within a plausible range per figure, and at least ``min_row_share`` of
the rows the last good batch had. A batch that fails any check is rejected **whole**:
the refresh quarantines it with the reason and keeps the last good rows active.

The ranges are plausibility bounds, not forecasts: wide enough for every real offer or
grid hour, narrow enough to stop a unit slip (cents for dollars, lbs for grams), a sign
error or an absurd magnitude (1e12) before a plan is made on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from connectors.schema import TABLES, SchemaError, validate_table


class BatchRejected(ValueError):
    """A fetched batch failed acceptance; ``reason`` says which check, column and row."""

    def __init__(self, table: str, reason: str) -> None:
        self.table = table
        self.reason = reason
        super().__init__(f"batch of {table} rejected: {reason}")


@dataclass(frozen=True)
class Bound:
    """The plausible closed range of one figure, in the unit of its column name."""

    lo: float
    hi: float
    unit: str
    basis: str  # why these bounds (source or reasoning), for reviewers and messages


MAX_GPUS_PER_INSTANCE = 16  # largest GPU VM shape of any provider (8 today; margin for 16)
_GPU_PRICE = Bound(
    0.01,
    200.0,
    "USD/GPU-h",
    "list prices 2026-12 span ~0.2 (T4 spot) to ~15 (B200 on-demand) USD/GPU-h; "
    "200 allows for any currency or premium without admitting unit slips",
)
_INSTANCE_PRICE = Bound(
    0.01,
    _GPU_PRICE.hi * MAX_GPUS_PER_INSTANCE,
    "USD/instance-h",
    "GPU-hour bound × the largest shape",
)

BOUNDS: dict[str, dict[str, Bound]] = {
    "gpu_offers": {
        "usd_per_gpu_hour": _GPU_PRICE,
        "usd_per_gpu_hour_spot": _GPU_PRICE,
        "usd_per_instance_hour": _INSTANCE_PRICE,
        "usd_per_instance_hour_spot": _INSTANCE_PRICE,
        "gpus_per_instance": Bound(1, MAX_GPUS_PER_INSTANCE, "GPUs", "instance shapes"),
        "quota_gpus": Bound(0, 1e6, "GPUs", "no account holds a million GPUs of one kind"),
    },
    "grid_hourly": {
        "ci_gco2e_per_kwh": Bound(
            0.0,
            2000.0,
            "gCO2e/kWh",
            "lignite/oil-only grids reach ~1,200 lifecycle; marginal peaks stay below 2,000",
        ),
    },
    "spend": {
        "cost_usd": Bound(0.0, 1e9, "USD per region, meter and period", "a billion per row"),
        "carbon_kgco2e": Bound(0.0, 1e9, "kgCO2e per region, service and period", "1 Mt/row"),
    },
}

# Figures that may be NaN ("not published"); every other bounded figure is required.
NULLABLE: dict[str, frozenset[str]] = {
    "gpu_offers": frozenset(
        {
            "usd_per_gpu_hour",  # NaN for a spot-only shape (then the spot price is set)
            "usd_per_instance_hour",
            "usd_per_gpu_hour_spot",
            "usd_per_instance_hour_spot",
            "quota_gpus",
        }
    ),
    "grid_hourly": frozenset(),
    "spend": frozenset({"cost_usd", "carbon_kgco2e"}),
}
SIGNALS = frozenset({"average", "marginal"})
GRID_HISTORY_MAX = timedelta(days=11)  # grid.history_hours ≤ 240 h, plus a day of slack
GRID_FORECAST_MAX = timedelta(days=4)  # grid.forecast_hours ≤ 72 h, plus a day of slack
PRICE_CONSISTENCY_REL = 1e-6  # usd_per_gpu_hour = usd_per_instance_hour / gpus_per_instance


def _key_of(df: pd.DataFrame, table: str, mask: pd.Series) -> str:
    row = df[mask].iloc[0]
    key = ", ".join(f"{k}={row[k]}" for k in TABLES[table].key if k in df.columns)
    return f"{int(mask.sum())} row(s), first at {key}"


def _check_number(df: pd.DataFrame, table: str, col: str, bound: Bound) -> None:
    series = df[col]
    if series.dtype == bool or not pd.api.types.is_numeric_dtype(series):
        text = series.dropna().astype(str).head(1).tolist()
        raise BatchRejected(
            table, f"'{col}' is not numeric (dtype {series.dtype}; e.g. {text[:1]!r})"
        )
    values = series.astype("float64")
    if col not in NULLABLE.get(table, frozenset()) and values.isna().any():
        raise BatchRejected(table, f"'{col}' is empty or NaN: {_key_of(df, table, values.isna())}")
    infinite = values.abs() == math.inf
    if infinite.any():
        raise BatchRejected(table, f"'{col}' is not finite: {_key_of(df, table, infinite)}")
    negative = values < 0
    if negative.any():
        raise BatchRejected(
            table,
            f"'{col}' is negative ({values[negative].iloc[0]:g}): {_key_of(df, table, negative)}",
        )
    out = (values < bound.lo) | (values > bound.hi)
    if out.any():
        raise BatchRejected(
            table,
            f"'{col}' = {values[out].iloc[0]:g} {bound.unit} is outside the plausible range "
            f"{bound.lo:g}..{bound.hi:g}: {_key_of(df, table, out)}",
        )


NOT_TEXT = frozenset({"ts_utc", "multi_node", "is_forecast", "in_service"})


def _check_text(df: pd.DataFrame, table: str) -> None:
    spec = TABLES[table]
    numeric = set(BOUNDS.get(table, {}))
    for col in spec.required_values:
        if col in numeric or col in NOT_TEXT:
            continue
        bad = ~df[col].map(lambda v: isinstance(v, str) and v.strip() != "")
        if bad.any():
            raise BatchRejected(table, f"'{col}' is not text: {_key_of(df, table, bad)}")


def _check_offers(df: pd.DataFrame) -> None:
    spot = df["usd_per_gpu_hour_spot"] if "usd_per_gpu_hour_spot" in df.columns else None
    priced = df["usd_per_gpu_hour"].notna() | (spot.notna() if spot is not None else False)
    if not priced.all():
        raise BatchRejected("gpu_offers", f"no price: {_key_of(df, 'gpu_offers', ~priced)}")
    gpus = df["gpus_per_instance"].astype("float64")
    if (gpus != gpus.round()).any():
        raise BatchRejected("gpu_offers", "'gpus_per_instance' is not a whole number")
    for per_gpu, per_inst in (
        ("usd_per_gpu_hour", "usd_per_instance_hour"),
        ("usd_per_gpu_hour_spot", "usd_per_instance_hour_spot"),
    ):
        if per_gpu not in df.columns or per_inst not in df.columns:
            continue
        both = df[per_gpu].notna() & df[per_inst].notna()
        derived = df[per_inst] / gpus
        off = both & ((df[per_gpu] - derived).abs() > PRICE_CONSISTENCY_REL * derived.abs())
        if off.any():
            raise BatchRejected(
                "gpu_offers",
                f"'{per_gpu}' ≠ '{per_inst}' / gpus_per_instance: {_key_of(df, 'gpu_offers', off)}",
            )
    if "multi_node" in df.columns:
        flags = df["multi_node"].dropna()
        if not flags.map(lambda v: isinstance(v, bool | int) and v in (0, 1)).all():
            raise BatchRejected("gpu_offers", "'multi_node' is not a boolean")


def _check_grid(df: pd.DataFrame, now: datetime) -> None:
    ts = df["ts_utc"]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise BatchRejected("grid_hourly", f"'ts_utc' is not a UTC timestamp (dtype {ts.dtype})")
    lo, hi = pd.Timestamp(now - GRID_HISTORY_MAX), pd.Timestamp(now + GRID_FORECAST_MAX)
    far = (ts < lo) | (ts > hi)
    if far.any():
        raise BatchRejected(
            "grid_hourly",
            f"'ts_utc' {ts[far].iloc[0]} is outside {lo:%Y-%m-%d}..{hi:%Y-%m-%d} "
            f"(the fetch window): {_key_of(df, 'grid_hourly', far)}",
        )
    bad_signal = ~df["signal"].isin(SIGNALS)
    if bad_signal.any():
        raise BatchRejected(
            "grid_hourly",
            f"'signal' is not one of {sorted(SIGNALS)}: {_key_of(df, 'grid_hourly', bad_signal)}",
        )
    if not df["is_forecast"].map(lambda v: isinstance(v, bool) or v in (0, 1)).all():
        raise BatchRejected("grid_hourly", "'is_forecast' is not a boolean")


def canonical(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the canonical columns of ``table`` in order (values are not judged here).

    Connectors shape their rows with this; :func:`validate_batch` judges them, so a bad
    value ends as a rejected, quarantined batch rather than an exception mid-fetch.
    Raises :class:`BatchRejected` when a column is missing.
    """
    cols = list(TABLES[table].columns)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise BatchRejected(table, f"lacks column(s) {missing}")
    return df.loc[:, cols].reset_index(drop=True)


def check_row_share(table: str, rows: int, previous_rows: int, min_row_share: float) -> None:
    """Reject a batch smaller than ``min_row_share`` of the last good batch's rows."""
    need = math.ceil(min_row_share * previous_rows)
    if rows < need:
        raise BatchRejected(
            table,
            f"{rows} row(s), fewer than {min_row_share:.0%} of the {previous_rows} row(s) of "
            f"the last good batch (refresh.min_row_share={min_row_share:g})",
        )


def validate_batch(
    table: str,
    df: pd.DataFrame,
    *,
    previous_rows: int,
    min_row_share: float,
    now: datetime,
) -> pd.DataFrame:
    """``df`` if it may replace the last good batch of ``table``, else :class:`BatchRejected`.

    ``previous_rows`` is the number of rows the batch replaces (0 when there are none);
    ``now`` (tz-aware UTC) anchors the plausible window of grid timestamps.
    """
    try:
        validate_table(table, df.copy(), origin="batch")
    except SchemaError as exc:
        raise BatchRejected(table, str(exc).removeprefix("batch: ")) from None
    check_row_share(table, len(df), previous_rows, min_row_share)
    if df.empty:
        return df
    for col, bound in BOUNDS.get(table, {}).items():
        if col in df.columns:
            _check_number(df, table, col, bound)
    _check_text(df, table)
    if table == "gpu_offers":
        _check_offers(df)
    elif table == "grid_hourly":
        _check_grid(df, now)
    return df
