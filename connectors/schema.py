"""The canonical tables of the catalog: names, columns, units and keys.

This module is the contract between connectors (which produce tables), the local store
(which keeps them) and the planner (which reads them). Units live in column names.
Every table carries provenance: a ``source`` column on every row, plus a per-figure
``*_source`` column wherever one row mixes figures from different sources.

A column listed as *required* must be present; a *required value* column must also be
non-null on every row. An *optional* column may be absent from an input (a table written
before the column existed): it is then added empty, i.e. "not published". Nullable figures
(``NaN``/``<NA>``) mean "not published": the planner treats them as missing and says so,
it never fills them silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class TableSpec:
    """Columns of one canonical table."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    required_values: tuple[str, ...]
    description: str
    # groups of columns of which every row needs at least one non-null value
    any_of: tuple[tuple[str, ...], ...] = ()
    optional_columns: tuple[str, ...] = ()


REGIONS = TableSpec(
    name="regions",
    key=("provider", "region"),
    columns=(
        "provider",  # aws | gcp | azure
        "region",  # provider's own region code (AWS code, GCP region, Azure ARM name)
        "display_name",
        "city",  # metro the coordinates stand for
        "country",
        "jurisdiction",  # "EU" for EU-27 members, otherwise the country name
        "partition",  # commercial | china | us-gov | us-gov-secret | eu-sovereign
        "lat_deg",
        "lon_deg",
        "coord_source",
        "grid_zone",  # Electricity Maps zone id, where mapped
        "grid_zone_source",
        "grid_ci_gco2e_per_kwh",  # yearly zone mean, location-based, lifecycle basis
        "grid_ci_direct_gco2e_per_kwh",  # same zone and year, direct (operational) basis
        "grid_ci_year",  # the year both intensities are the mean of
        "grid_ci_source",
        "grid_cfe_fraction",  # the grid's own carbon-free share, 0..1 (informational)
        "cfe_fraction",  # provider-published carbon-free-energy share, 0..1 (market basis)
        "cfe_source",
        "pue",
        "pue_source",
        "wue_l_per_kwh",  # site water per kWh of IT energy
        "wue_source",
        "grid_water_l_per_kwh",  # water consumed to generate 1 kWh of grid electricity
        "grid_water_source",
        "water_stress_0_5",  # WRI Aqueduct baseline water stress score
        "water_stress_source",
        "in_service",
        "status_note",  # why a region is (not) in service, restrictions
        "source",
        "as_of",
    ),
    required_values=("provider", "region", "in_service", "source", "as_of"),
    description="One row per cloud region, with its location, grid and facility figures.",
)

GPU_OFFERS = TableSpec(
    name="gpu_offers",
    key=("provider", "region", "gpu_model", "instance_type"),
    columns=(
        "provider",
        "region",
        "gpu_model",  # canonical model name, a key of the hardware table
        "instance_type",
        "gpus_per_instance",
        "usd_per_instance_hour",  # on-demand list price; NaN for a spot-only shape
        "usd_per_instance_hour_spot",  # NaN where no spot price is sourced
        "usd_per_gpu_hour",  # derived: on-demand / gpus_per_instance
        "usd_per_gpu_hour_spot",  # derived: spot / gpus_per_instance
        "multi_node",  # 8-GPU SXM/NVLink server with a cluster network (EFA, TCPX, IB)
        "quota_gpus",  # optional capacity limit; NaN = unlimited
        "source",
        "as_of",  # price date, ISO date
    ),
    required_values=(
        "provider",
        "region",
        "gpu_model",
        "instance_type",
        "gpus_per_instance",
        "multi_node",
        "source",
        "as_of",
    ),
    description="GPU instance offers: on-demand and spot prices per instance and per GPU-hour.",
    any_of=(("usd_per_instance_hour", "usd_per_instance_hour_spot"),),
)

PURCHASE_OPTIONS = TableSpec(
    name="purchase_options",
    key=("provider", "purchase"),
    columns=(
        "provider",
        "purchase",  # committed_1y | committed_3y
        "discount_fraction",  # vs the on-demand price, 0..1
        "scope",  # what the discount applies to
        "source",
        "as_of",
    ),
    required_values=("provider", "purchase", "discount_fraction", "scope", "source", "as_of"),
    description="Committed-use discounts per provider for GPU instances.",
)

HARDWARE = TableSpec(
    name="hardware",
    key=("gpu_model",),
    columns=(
        "gpu_model",
        "power_w",  # per GPU at full load (board power), including no host share
        "idle_w",
        "power_source",
        "host_power_w_per_gpu",  # host (CPU, memory, fans) share per GPU; may be NaN
        "host_power_source",
        "embodied_kgco2e_per_gpu",  # GPU plus its share of the server
        "lifetime_h",
        "embodied_source",
        "source",
        "as_of",
    ),
    required_values=("gpu_model", "source", "as_of"),
    description="Per-GPU power and embodied carbon.",
)

LATENCY = TableSpec(
    name="latency",
    key=("from_id", "to_id"),
    columns=(
        "from_id",  # "provider/region", e.g. "aws/us-east-1"
        "to_id",
        "rtt_ms",
        "kind",  # measured | modelled
        "source",
        "as_of",
        "great_circle_km",  # between the two regions' coordinates; empty if one has none
    ),
    required_values=("from_id", "to_id", "rtt_ms", "kind", "source", "as_of"),
    description="Measured round-trip times between regions (P50).",
    optional_columns=("great_circle_km",),
)

LATENCY_MODEL = TableSpec(
    name="latency_model",
    key=("scope",),
    columns=(
        "scope",  # default (used by the planner) | previous_default | aws | azure
        "form",  # two_segment | linear
        "intercept_ms",
        "ms_per_100km",  # up to knot_km (all distances when knot_km is empty)
        "knot_km",  # empty for a straight line
        "ms_per_100km_beyond_knot",
        "fit_method",
        "fit_pairs",  # directed measured pairs the fit used
        "heldout_pairs",  # directed measured pairs it is scored on (never fitted on)
        "heldout_median_abs_err_ms",
        "heldout_p90_abs_err_ms",
        "source",
        "as_of",
    ),
    required_values=("scope", "intercept_ms", "ms_per_100km", "source", "as_of"),
    description="RTT from great-circle distance (user metro → region), with held-out error.",
    optional_columns=("form", "knot_km", "ms_per_100km_beyond_knot", "fit_method", "fit_pairs",
                      "heldout_pairs", "heldout_median_abs_err_ms", "heldout_p90_abs_err_ms"),
)

METROS = TableSpec(
    name="metros",
    key=("metro",),
    columns=("metro", "country", "jurisdiction", "lat_deg", "lon_deg", "source", "as_of"),
    required_values=("metro", "country", "jurisdiction", "lat_deg", "lon_deg", "source", "as_of"),
    description="Major user metros, for inference demand.",
)

TRANSFER = TableSpec(
    name="transfer",
    key=("provider", "scope"),
    columns=(
        "provider",  # the provider whose egress is charged (the source side)
        "scope",  # inter_region (same provider) | internet (to another provider)
        "usd_per_gb",
        "kwh_per_gb",
        "source",
        "as_of",
    ),
    required_values=("provider", "scope", "usd_per_gb", "kwh_per_gb", "source", "as_of"),
    description="Data transfer price and energy per GB.",
)

GRID_PROFILES = TableSpec(
    name="grid_profiles",
    key=("grid_zone", "month", "hour_utc"),
    columns=(
        "grid_zone",
        "month",  # 1..12
        "hour_utc",  # 0..23
        "ci_gco2e_per_kwh",  # mean over the source year's hours in that month and hour
        "basis",  # lifecycle | direct
        "year",
        "source",
        "as_of",
    ),
    required_values=(
        "grid_zone",
        "month",
        "hour_utc",
        "ci_gco2e_per_kwh",
        "basis",
        "year",
        "source",
        "as_of",
    ),
    description="Typical grid carbon intensity by month and UTC hour, per grid zone.",
)

GRID_HOURLY = TableSpec(
    name="grid_hourly",
    key=("grid_zone", "ts_utc"),
    columns=(
        "grid_zone",
        "ts_utc",  # start of the hour, tz-aware UTC
        "ci_gco2e_per_kwh",
        "signal",  # average | marginal
        "is_forecast",
        "source",
        "as_of",
    ),
    required_values=("grid_zone", "ts_utc", "ci_gco2e_per_kwh", "signal", "source", "as_of"),
    description="Hourly grid carbon intensity (history or forecast) from live sources.",
)

SPEND = TableSpec(
    name="spend",
    key=("provider", "region", "service_or_meter", "period_start", "carbon_basis"),
    columns=(
        "provider",  # aws | gcp | azure
        "region",  # provider's region code as the source reports it ("global" if none)
        "service_or_meter",  # AWS service code, GCP service, Azure meter
        "period_start",  # ISO date, inclusive
        "period_end",  # ISO date, exclusive
        "cost_usd",  # NaN where the source reports carbon only
        "carbon_kgco2e",  # NaN where the source reports cost only
        "carbon_basis",  # location | market; empty for cost rows
        "source",
        "as_of",
    ),
    required_values=(
        "provider",
        "region",
        "service_or_meter",
        "period_start",
        "period_end",
        "source",
        "as_of",
    ),
    description="Current spend and footprint per region and service (migration baseline).",
)

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        REGIONS,
        GPU_OFFERS,
        PURCHASE_OPTIONS,
        HARDWARE,
        LATENCY,
        LATENCY_MODEL,
        METROS,
        TRANSFER,
        GRID_PROFILES,
        GRID_HOURLY,
        SPEND,
    )
}


class SchemaError(ValueError):
    """A table does not match its canonical schema."""


def validate_table(name: str, df: pd.DataFrame, *, origin: str) -> pd.DataFrame:
    """Check ``df`` against the canonical schema ``name``; return it with columns ordered.

    ``origin`` names where the table came from (a file, a connector) for the error message.
    Raises :class:`SchemaError` naming the table, the column and the first offending key.
    """
    spec = TABLES[name]
    absent = [c for c in spec.optional_columns if c not in df.columns]
    if absent:
        df = df.assign(**{c: float("nan") for c in absent})
    missing = [c for c in spec.columns if c not in df.columns]
    if missing:
        raise SchemaError(f"{origin}: table '{name}' lacks column(s) {missing}")
    for col in spec.required_values:
        bad = df[df[col].isna()]
        if len(bad):
            key = {k: bad.iloc[0][k] for k in spec.key}
            raise SchemaError(
                f"{origin}: table '{name}' has an empty '{col}' at {key} "
                f"({len(bad)} row(s)); every row needs one"
            )
    for group in spec.any_of:
        bad = df[df[list(group)].isna().all(axis=1)]
        if len(bad):
            key = {k: bad.iloc[0][k] for k in spec.key}
            raise SchemaError(
                f"{origin}: table '{name}' has none of {list(group)} at {key} "
                f"({len(bad)} row(s)); every row needs at least one"
            )
    dup = df.duplicated(list(spec.key), keep=False)
    if dup.any():
        key = {k: df[dup].iloc[0][k] for k in spec.key}
        raise SchemaError(f"{origin}: table '{name}' repeats key {key}")
    return df.loc[:, list(spec.columns)].reset_index(drop=True)
