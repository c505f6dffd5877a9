"""The ``gpu_offers`` table of the embedded catalog, from ``gpu_prices_v2.csv``.

Each reference row becomes one offer: on-demand and spot USD per instance-hour as
sourced (either may be missing, never both), per-GPU prices derived by dividing by the
GPUs in the instance, ``multi_node`` from :mod:`connectors.gpu_families`, and the price
date as ``as_of``. The reference's notes (cross-checks, conflicts, corrections) are kept
in ``source`` so a reader sees them next to the figure.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from connectors.compile_catalog_figures import REF, read_ref
from connectors.gpu_families import GPU_MODELS, is_multi_node

PRICES_FILE = "gpu_prices_v2.csv"
# The Azure US rows (SkyPilot catalog @098741e7) carry no price date. The closest dated
# evidence is an independent snapshot retrieved 2026-11-09 (datareceipts/data-receipts
# 109-gpu-pricing/hyperscalers.json) that matches 4 of their eastus SKUs and conflicts on 3
# (flagged CONFLICT in the row's source); that date stands as the rows' as_of.
UNDATED_PREFIX = "undated"
UNDATED_AS_OF = "2026-11-09"
UNDATED_NOTE = (
    "price date: the source snapshot is undated; as_of is the 2026-11-09 retrieval of "
    "datareceipts/data-receipts 109-gpu-pricing/hyperscalers.json, which matches 4 eastus "
    "SKUs of this snapshot and conflicts on 3"
)


# Short labels for the reference's source column (full text in SOURCES.md), by prefix.
SOURCE_LABELS: dict[str, str] = {
    "tsaol/aws-gpu@": "tsaol/aws-gpu@7412fd256c5e:data/all_gpu_instances.js "
                      "(instances.vantage.sh data)",
    "skypilot-org/skypilot-catalog@": "skypilot-org/skypilot-catalog@098741e70562:catalogs/"
                                      "v6/azure/vms.csv (pay-as-you-go Price, SpotPrice)",
    "andy-diericks/azure-pricing-radar@": "andy-diericks/azure-pricing-radar@cf741f25c507:data/"
                                          "latest/vm-<region>.json (Azure Retail Prices API)",
    "Cyclenerd/google-cloud-pricing-cost-calculator@": (
        "Cyclenerd/google-cloud-pricing-cost-calculator@fd66b26ff84f:pricing.yml (Cloud "
        "Billing Catalog API; hour = on-demand, hour_spot = Spot)"),
    "https://huggingface.co/datasets/tanod/cloud-gpu-list-prices": (
        "https://huggingface.co/datasets/tanod/cloud-gpu-list-prices (Cloud Billing Catalog "
        "API; per-GPU instance share x 8)"),
}  # fmt: skip
# Repeated long phrases of the reference's notes, shortened (full text in SOURCES.md).
NOTE_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("GPU offered in region per Cyclenerd/google-cloud-pricing-cost-calculator@1c13e286ef65:"
     "tools/acceleratortyperegion.csv (2026-08-10); GCP Spot prices are variable (Google: can "
     "change up to once every 30 days; https://cloud.google.com/spot-vms/pricing)",
     "offered here per Cyclenerd@1c13e286ef65:tools/acceleratortyperegion.csv; Spot prices "
     "can change every 30 days"),
    ("datareceipts/data-receipts 109-gpu-pricing/hyperscalers.json (retrieved 2026-11-09; "
     "raw.githubusercontent.com URL, docs-search excerpt)",
     "datareceipts/data-receipts 109-gpu-pricing/hyperscalers.json (2026-11-09)"),
    ("GPU count as in the SkyPilot Azure catalog / Microsoft VM size docs",
     "GPU count per SkyPilot / Microsoft docs"),
)  # fmt: skip


def source_label(source: str) -> str:
    """The short label of a reference source (unchanged when no label is defined)."""
    for prefix, label in SOURCE_LABELS.items():
        if source.startswith(prefix):
            return label
    return source


def short_note(note: str) -> str:
    """``note`` with the repeated long phrases abbreviated."""
    for long, short in NOTE_ABBREVIATIONS:
        note = note.replace(long, short)
    return note


def _price(value: object) -> float:
    """A USD figure, or NaN for a blank cell."""
    return float(value) if pd.notna(value) else math.nan  # type: ignore[arg-type]


def _per_gpu(usd_per_instance_hour: float, gpus: int) -> float:
    """USD per GPU-hour (derived), NaN when the instance price is missing."""
    return math.nan if math.isnan(usd_per_instance_hour) else round(usd_per_instance_hour / gpus, 6)


def _offer(r: pd.Series) -> dict[str, object]:
    """One ``gpu_offers`` row from one ``gpu_prices_v2.csv`` row."""
    n = int(r.gpus_per_instance)
    od, spot = _price(r.usd_per_instance_hour_ondemand), _price(r.usd_per_instance_hour_spot)
    if math.isnan(od) and math.isnan(spot):
        raise ValueError(f"{REF}/{PRICES_FILE}: {r.provider}/{r.region} {r.instance_type} "
                         "has neither an on-demand nor a spot price")  # fmt: skip
    if r.gpu_model not in GPU_MODELS:
        raise ValueError(f"{REF}/{PRICES_FILE}: unknown gpu_model {r.gpu_model!r}")
    as_of, notes = str(r.price_date), [] if pd.isna(r.notes) else [short_note(str(r.notes))]
    if as_of.startswith(UNDATED_PREFIX):
        as_of = UNDATED_AS_OF
        notes.append(UNDATED_NOTE)
    source = source_label(str(r.source)) + "".join(f"; {n_}" for n_ in notes)
    return {
        "provider": r.provider, "region": r.region, "gpu_model": r.gpu_model,
        "instance_type": r.instance_type, "gpus_per_instance": n,
        "usd_per_instance_hour": od, "usd_per_instance_hour_spot": spot,
        "usd_per_gpu_hour": _per_gpu(od, n), "usd_per_gpu_hour_spot": _per_gpu(spot, n),
        "multi_node": is_multi_node(str(r.provider), str(r.instance_type)),
        "quota_gpus": math.nan, "source": source, "as_of": as_of,
    }  # fmt: skip


def build_gpu_offers(ref: Path) -> pd.DataFrame:
    """Every priced GPU offer of the reference file, one row per instance type and region."""
    prices = read_ref(ref, PRICES_FILE)
    return pd.DataFrame([_offer(r) for _, r in prices.iterrows()])
