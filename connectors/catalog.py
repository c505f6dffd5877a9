"""The catalog: the canonical tables the planner reads.

:func:`load_embedded` reads the snapshot that ships with the package (offline, no
credentials). The tables are validated against :mod:`connectors.schema` on load, so a
broken file is an error naming the file and the column, never a silent gap.
:func:`load_catalog` lays the local store's refreshed rows over it. Data flows one way:
this module reads :mod:`connectors.store`; the store knows nothing of the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import pandas as pd

from connectors.schema import TABLES, validate_table
from connectors.store import Store

EMBEDDED_TABLES = (
    "regions",
    "gpu_offers",
    "purchase_options",
    "hardware",
    "latency",
    "latency_model",
    "metros",
    "transfer",
    "grid_profiles",
)


@dataclass(frozen=True)
class Catalog:
    """Canonical tables, each a validated DataFrame (see :mod:`connectors.schema`).

    ``origins`` maps each table name to where its rows came from (``"embedded"`` or a
    store path with its refresh time), so a plan can say which data it used.
    """

    regions: pd.DataFrame
    gpu_offers: pd.DataFrame
    hardware: pd.DataFrame
    latency: pd.DataFrame
    latency_model: pd.DataFrame
    metros: pd.DataFrame
    transfer: pd.DataFrame
    grid_profiles: pd.DataFrame
    purchase_options: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["provider", "purchase", "discount_fraction", "scope", "source", "as_of"]
        )
    )
    grid_hourly: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["grid_zone", "ts_utc", "ci_gco2e_per_kwh", "signal", "is_forecast",
                     "source", "as_of"]
        )
    )
    origins: dict[str, str] = field(default_factory=dict)

    def with_tables(self, origin: str, **tables: pd.DataFrame) -> Catalog:
        """Return a copy with some tables replaced (validated), recording their origin."""
        checked = {name: validate_table(name, df, origin=origin) for name, df in tables.items()}
        origins = {**self.origins, **{name: origin for name in tables}}
        return replace(self, **checked, origins=origins)


def _read_embedded(name: str) -> pd.DataFrame:
    path = resources.files("connectors") / "data" / f"{name}.csv"
    with resources.as_file(path) as p:
        df = pd.read_csv(p, keep_default_na=True, na_values=[""])
    return validate_table(name, df, origin=f"embedded {name}.csv")


def load_embedded() -> Catalog:
    """Load the snapshot shipped inside the package."""
    tables = {name: _read_embedded(name) for name in EMBEDDED_TABLES}
    return Catalog(**tables, origins={name: "embedded" for name in EMBEDDED_TABLES})


def load_catalog(store_path: Path | None = None) -> Catalog:
    """The catalog the planner uses: the embedded snapshot, overlaid by the local store.

    ``store_path`` defaults to the configured store (``REGIONPLAN_STORE__PATH`` or the
    user data dir). Without a store (or an empty one) this is :func:`load_embedded`;
    with one, refreshed ``gpu_offers`` and ``grid_hourly`` rows replace embedded rows of
    the same key and ``origins`` names the store and its refresh time.
    """
    if store_path is None:
        from connectors.settings import load_settings

        store_path = load_settings().store.path
    catalog = load_embedded()
    store = Store(store_path)
    return overlay_catalog(catalog, store) if store.exists() else catalog


def overlay_catalog(catalog: Catalog, store: Store) -> Catalog:
    """``catalog`` with the store's ``gpu_offers`` and ``grid_hourly`` rows laid over it.

    Store rows replace embedded rows with the same key; embedded rows the store has no
    fresher figure for stay, each with its own ``source``/``as_of``. The origin reads
    ``store <path> refreshed <time>`` (plus ``over embedded`` when rows were kept).
    """
    refreshed = store.refreshed_at()
    if refreshed is None:
        return catalog
    stamp = refreshed.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = catalog
    for table in ("gpu_offers", "grid_hourly"):
        fresh = store.read(table)
        if fresh.empty:
            continue
        base: pd.DataFrame = getattr(catalog, table)
        key = list(TABLES[table].key)
        kept = base[~base.set_index(key).index.isin(fresh.set_index(key).index)]
        for col in fresh.columns:  # DuckDB INTEGER → int32: align with the embedded dtypes
            if col in base.columns and len(base) and fresh[col].dtype != base[col].dtype:
                fresh[col] = fresh[col].astype(base[col].dtype)
        merged = pd.concat([fresh, kept], ignore_index=True) if len(kept) else fresh
        origin = f"store {store.path} refreshed {stamp}" + (" over embedded" if len(kept) else "")
        out = out.with_tables(origin, **{table: merged})
    return out
