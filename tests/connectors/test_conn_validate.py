"""Batch acceptance: types, finite, non-negative, plausible ranges, row share, and the
optional spot / multi-node columns of ``gpu_offers``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from connectors.validate import BatchRejected, check_row_share, validate_batch

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def offers(**over: object) -> pd.DataFrame:
    row: dict[str, object] = {
        "provider": "aws",
        "region": "us-east-1",
        "gpu_model": "H100",
        "instance_type": "p5.48xlarge",
        "gpus_per_instance": 8,
        "usd_per_instance_hour": 55.04,
        "usd_per_gpu_hour": 6.88,
        "usd_per_instance_hour_spot": np.nan,
        "usd_per_gpu_hour_spot": np.nan,
        "multi_node": True,
        "quota_gpus": np.nan,
        "source": "AWS Price List API",
        "as_of": "2026-11-22T10:00:00Z",
    }
    return pd.DataFrame([{**row, **over}])


def grid(values: list[float], start: datetime = NOW) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "grid_zone": "DE",
            "ts_utc": pd.to_datetime([start + timedelta(hours=i) for i in range(len(values))]),
            "ci_gco2e_per_kwh": values,
            "signal": "average",
            "is_forecast": False,
            "source": "Electricity Maps v3",
            "as_of": "2026-11-22T10:00:00Z",
        }
    )


def accept(table: str, df: pd.DataFrame, previous_rows: int = 0) -> pd.DataFrame:
    return validate_batch(table, df, previous_rows=previous_rows, min_row_share=0.5, now=NOW)


def test_a_good_offer_and_grid_batch_pass() -> None:
    assert len(accept("gpu_offers", offers())) == 1
    assert len(accept("grid_hourly", grid([0.0, 300.0, 2000.0]))) == 3  # bounds are closed


@pytest.mark.parametrize(
    ("over", "words"),
    [
        ({"usd_per_gpu_hour": 250.0, "usd_per_instance_hour": 2000.0}, "outside the plausible"),
        ({"usd_per_gpu_hour": 0.005, "usd_per_instance_hour": 0.04}, "outside the plausible"),
        ({"usd_per_gpu_hour": -6.88, "usd_per_instance_hour": -55.04}, "negative"),
        ({"usd_per_gpu_hour": np.inf, "usd_per_instance_hour": np.inf}, "not finite"),
        ({"usd_per_gpu_hour": np.nan, "usd_per_instance_hour": np.nan}, "none of"),
        ({"usd_per_gpu_hour": "6.88"}, "not numeric"),
        ({"gpus_per_instance": 0}, "outside the plausible"),
        ({"usd_per_gpu_hour": 7.0}, "usd_per_instance_hour' / gpus_per_instance"),
        ({"region": ""}, "not text"),
    ],
)
def test_an_implausible_offer_is_rejected_naming_the_column(
    over: dict[str, object], words: str
) -> None:
    with pytest.raises(BatchRejected, match="gpu_offers") as info:
        accept("gpu_offers", offers(**over))
    assert words in info.value.reason


@pytest.mark.parametrize(
    ("value", "words"),
    [(-500.0, "negative"), (2000.5, "outside the plausible"), (np.inf, "not finite")],
)
def test_an_implausible_intensity_is_rejected(value: float, words: str) -> None:
    with pytest.raises(BatchRejected, match=words):
        accept("grid_hourly", grid([300.0, value]))


def test_grid_hours_far_from_now_are_rejected() -> None:
    with pytest.raises(BatchRejected, match=r"outside 2026-11-11..2026-11-26 \(the fetch window\)"):
        accept("grid_hourly", grid([300.0], start=NOW - timedelta(days=400)))


def test_spot_only_offers_and_spot_prices_are_judged_too() -> None:
    spot_only = offers(
        usd_per_instance_hour=np.nan,
        usd_per_gpu_hour=np.nan,
        usd_per_instance_hour_spot=16.0,
        usd_per_gpu_hour_spot=2.0,
        multi_node=True,
    )
    assert len(accept("gpu_offers", spot_only)) == 1
    with pytest.raises(BatchRejected, match="none of"):
        accept("gpu_offers", spot_only.assign(usd_per_instance_hour_spot=np.nan))
    both = offers(usd_per_instance_hour_spot=16.0, usd_per_gpu_hour_spot=2.0, multi_node=False)
    assert len(accept("gpu_offers", both)) == 1
    with pytest.raises(BatchRejected, match="usd_per_gpu_hour_spot"):
        accept("gpu_offers", offers(usd_per_instance_hour_spot=-16.0, usd_per_gpu_hour_spot=-2.0))


def test_row_share_of_the_last_good_batch() -> None:
    check_row_share("gpu_offers", 2, 4, 0.5)  # exactly half: kept
    with pytest.raises(BatchRejected, match="1 row\\(s\\), fewer than 50% of the 4"):
        check_row_share("gpu_offers", 1, 4, 0.5)
    check_row_share("gpu_offers", 0, 0, 0.5)  # nothing to lose
    with pytest.raises(BatchRejected, match="0 row"):
        accept("grid_hourly", grid([]), previous_rows=72)


def test_spend_must_be_finite_and_non_negative() -> None:
    spend = pd.DataFrame(
        [
            {
                "provider": "azure",
                "region": "eastus",
                "service_or_meter": "m",
                "period_start": "2026-10-01",
                "period_end": "2026-11-01",
                "cost_usd": -3.0,
                "carbon_kgco2e": np.nan,
                "carbon_basis": "",
                "source": "Azure Cost Management",
                "as_of": "2026-11-22T10:00:00Z",
            }
        ]
    )
    with pytest.raises(BatchRejected, match="'cost_usd' is negative"):
        accept("spend", spend)
    assert len(accept("spend", spend.assign(cost_usd=3.0))) == 1  # NaN carbon: not published
