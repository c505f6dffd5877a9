"""Cloud sources: GPU prices (AWS Price List, GCP Cloud Billing Catalog, Azure Retail
Prices) and current spend / footprint (Azure Cost Management, AWS Sustainability API,
GCP Carbon Footprint export). Prices come out as ``gpu_offers`` rows in USD per
GPU-hour; spend as ``spend`` rows (cost_usd, carbon_kgco2e).
"""

from __future__ import annotations

import pandas as pd

from connectors.gpu_families import is_multi_node
from connectors.schema import TABLES
from connectors.validate import canonical


def offers_frame(rows: list[dict[str, object]], origin: str) -> pd.DataFrame:
    """Canonical ``gpu_offers`` rows: per-GPU prices = instance prices / GPUs (on-demand and,
    where a row has one, spot); ``multi_node`` from the instance family. Values are judged
    by :func:`connectors.validate.validate_batch` before anything is stored."""
    df = pd.DataFrame(rows, columns=list(TABLES["gpu_offers"].columns))
    for col in ("usd_per_instance_hour_spot", "quota_gpus"):
        df[col] = df[col].astype("float64")
    if not df.empty:
        df["usd_per_gpu_hour"] = df["usd_per_instance_hour"] / df["gpus_per_instance"]
        df["usd_per_gpu_hour_spot"] = df["usd_per_instance_hour_spot"] / df["gpus_per_instance"]
        df["multi_node"] = [is_multi_node(str(p), str(t))
                            for p, t in zip(df["provider"], df["instance_type"], strict=True)]
    return canonical("gpu_offers", df)


def spend_frame(rows: list[dict[str, object]], origin: str) -> pd.DataFrame:
    """Canonical ``spend`` rows, summed over duplicate keys (projects, accounts)."""
    spec = TABLES["spend"]
    df = pd.DataFrame(rows, columns=list(spec.columns))
    if not df.empty:
        keys = list(spec.key)
        df["carbon_basis"] = df["carbon_basis"].fillna("")
        df = df.groupby(keys, as_index=False, dropna=False).agg(
            period_end=("period_end", "first"),
            cost_usd=("cost_usd", lambda s: s.sum(min_count=1)),
            carbon_kgco2e=("carbon_kgco2e", lambda s: s.sum(min_count=1)),
            source=("source", "first"),
            as_of=("as_of", "first"),
        )
    return canonical("spend", df)
