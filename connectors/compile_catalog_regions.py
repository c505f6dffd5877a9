"""The ``regions`` table of the embedded catalog.

Identity, location, partition and in-service status come from ``regions_v2.csv``; the
grid zone and its Electricity Maps 2024 yearly intensities (lifecycle = the default
``grid_ci_gco2e_per_kwh``, and direct) from ``grid_carbon_2024.csv``, one basis for all
three clouds. ``cfe_fraction`` is a provider-published carbon-free-energy share usable for
market-based accounting: Google's 2024 CFE for GCP, missing for AWS and Azure, which
publish none per region. PUE, site WUE, grid water intensity and water stress come from
the older reference files, which the update does not replace.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from connectors.compile_catalog_figures import EU27, REF, read_ref

EM_VERSION_DATE = "2025-01-27"  # Electricity Maps 2024 yearly data, "Version January 27, 2025"
REGIONS_BUILD_DATE = "2026-12-03"  # regions_v2.csv build date (UPDATE-2026-12.md)
GCP_CFE_SOURCE = (
    "Google 2024 CFE% (hourly-matched carbon-free energy including Google's own purchases): "
    "GoogleCloudPlatform/region-carbon-info@49f3f26bfd68:data/yearly/2024.csv via "
    f"{REF}/grid_carbon_2024.csv"
)
EM_YEARLY = (
    "Electricity Maps 2024 yearly zone data (version 2025-01-27) via "
    "nextflow-io/nf-co2footprint@9f05928f189c:src/resources/ci_data/"
    "ci_yearly_2024_by_location.csv"
)
ZONE_EVIDENCE = (
    "electricitymaps/electricitymaps-contrib@b354f28aad43 config/data_centers/"
    f"data_centers.json and geo/world.geojson, via {REF}/grid_carbon_2024.csv"
)
# Coordinates replaced by the CIM metro point of the region's documented city, where the
# reference's point is far from that city (region -> CIM metro name in region_locations.csv).
# azure/francecentral: az CLI gives 46.3772, 2.373 (the centre of France, 276 km from Paris).
COORD_CORRECTIONS: dict[tuple[str, str], str] = {("azure", "francecentral"): "Paris"}
JURISDICTION_OVERRIDES = {"Hong Kong (China)": "Hong Kong"}


def jurisdiction(country: object) -> object:
    """"EU" for EU-27 members, else the country name ("Hong Kong" for Hong Kong (China))."""
    if not isinstance(country, str):
        return math.nan
    return "EU" if country in EU27 else JURISDICTION_OVERRIDES.get(country, country)


def _pue(ref: Path) -> dict[str, tuple[float, str, dict[str, float]]]:
    """Per-provider PUE: (fleet value, source, per-region overrides)."""
    facts = read_ref(ref, "water_pue_provider_facts.csv")
    coef = read_ref(ref, "ccf_coefficients.csv")
    aws = facts[(facts.provider == "aws") & (facts.metric == "PUE")].iloc[0]
    gcp_avg = coef[(coef.provider == "gcp") & (coef.parameter == "pue_avg")].iloc[0]
    gcp_ttm = coef[(coef.provider == "gcp") & (coef.parameter == "pue_trailing_twelve_month")]
    az = coef[(coef.provider == "azure") & (coef.parameter == "pue_avg")].iloc[0]
    return {
        "aws": (float(aws.value), f"AWS fleet PUE {aws.year} ({aws.source_quality}): "
                f"{aws.source}", {}),
        "gcp": (float(gcp_avg.value), f"CCF GCP fleet PUE: {gcp_avg.source}",
                dict(zip(gcp_ttm.key, gcp_ttm.value.astype(float), strict=True))),
        "azure": (float(az.value), f"CCF Azure fleet PUE (Microsoft statement): {az.source}", {}),
    }  # fmt: skip


def _wue(ref: Path) -> dict[str, tuple[float, str]]:
    """Per-provider site WUE (L/kWh) and its source label."""
    facts = read_ref(ref, "water_pue_provider_facts.csv")
    wue = facts[facts.metric == "WUE"].dropna(subset=["value"])
    aws = wue[wue.provider == "aws"].sort_values("year").iloc[-1]
    az = wue[(wue.provider == "azure") & ~wue.source_quality.str.startswith("tertiary")]
    az_row = az.iloc[[az.year.str.extract(r"(\d{4})")[0].astype(int).argmax()]].iloc[0]
    eco = facts[facts.metric == "WUE on-site (EcoLogits assumption)"]
    g = eco[eco.provider.str.startswith("gcp")].iloc[0]
    return {
        "aws": (float(aws.value), f"AWS fleet WUE {aws.year} ({aws.source_quality}): "
                f"{aws.source}"),
        "azure": (float(az_row.value), f"Microsoft fleet WUE {az_row.year} "
                  f"({az_row.source_quality}): {az_row.source}"),
        "gcp": (float(g.value), "EcoLogits per-provider assumption (Google-hosted, USA; "
                f"Google publishes no fleet WUE): {g.source}"),
    }  # fmt: skip


def _old_or_derived(old: pd.Series, provider: str, region: str, country: object) -> object:
    """The jurisdiction region_locations.csv gives the region, else derived from country."""
    value = old.get((provider, region), math.nan)
    return value if isinstance(value, str) else jurisdiction(country)


def _corrected_coords(ref: Path, metro: str) -> dict[str, object]:
    """lat/lon of the CIM metro point ``metro`` (region_locations.csv), with its source."""
    loc = read_ref(ref, "region_locations.csv")
    hit = loc[(loc.coord_source == "CIM metro") & (loc.metro_or_location == metro)]
    h = hit.sort_values(["provider", "region"]).iloc[0]
    return {"lat_deg": float(h.latitude), "lon_deg": float(h.longitude),
            "coord_source": (f"corrected: CIM metro point '{metro}' ({h.provider}/{h.region}) "
                             f"replaces the az CLI point, which lies far from {metro}: "
                             f"{h.source}")}  # fmt: skip


def _num(value: Any) -> float:
    """A float, or NaN for missing."""
    return float(value) if pd.notna(value) else math.nan


def build_regions(ref: Path) -> pd.DataFrame:
    """One row per region of ``regions_v2.csv``: location, status, grid, facility, water."""
    loc = read_ref(ref, "regions_v2.csv")
    grid = read_ref(ref, "grid_carbon_2024.csv").set_index(["provider", "region"])
    summ = read_ref(ref, "region_summary.csv")
    iso3 = dict(zip(summ.country, summ.country_iso3, strict=True))
    old = read_ref(ref, "region_locations.csv").set_index(["provider", "region"]).jurisdiction
    pue, wue = _pue(ref), _wue(ref)
    eco = read_ref(ref, "country_electricity_impacts_ecologits.csv").set_index("country_iso3")
    stress = read_ref(ref, "water_stress_country_partial.csv").set_index("country")
    rows = []
    for r in loc.itertuples(index=False):
        row: dict[str, object] = {
            "provider": r.provider, "region": r.region, "display_name": r.display_name,
            "city": r.city, "country": r.country,
            "jurisdiction": _old_or_derived(old, r.provider, r.region, r.country),
            "partition": r.partition, "lat_deg": _num(r.lat), "lon_deg": _num(r.lon),
            "coord_source": r.coord_source if pd.notna(r.lat) else math.nan,
            "in_service": bool(r.in_service), "status_note": r.status_note,
            "source": f"{r.source} via {REF}/regions_v2.csv",
        }  # fmt: skip
        if (r.provider, r.region) in COORD_CORRECTIONS:
            row.update(_corrected_coords(ref, COORD_CORRECTIONS[(r.provider, r.region)]))
        row.update(_grid_fields(grid.loc[(r.provider, r.region)]))
        row.update(_facility_fields(r.provider, r.region, pue, wue))
        row.update(_water_fields(r.country, iso3.get(r.country, math.nan), eco, stress))
        rows.append(row)
    return pd.DataFrame(rows)


def _grid_fields(g: pd.Series) -> dict[str, object]:
    """Zone, lifecycle/direct intensity (g/kWh), grid and provider CFE, and as_of."""
    out: dict[str, object] = dict.fromkeys(
        ("grid_zone", "grid_zone_source", "grid_ci_gco2e_per_kwh",
         "grid_ci_direct_gco2e_per_kwh", "grid_ci_year", "grid_ci_source", "grid_cfe_fraction",
         "cfe_fraction", "cfe_source"), math.nan)  # fmt: skip
    out["as_of"] = REGIONS_BUILD_DATE
    if pd.notna(g.google_cfe_fraction_2024):
        out["cfe_fraction"], out["cfe_source"] = float(g.google_cfe_fraction_2024), GCP_CFE_SOURCE
    if pd.isna(g.grid_zone):
        return out
    note = f"; {g.zone_note}" if pd.notna(g.zone_note) else ""
    out["grid_zone"] = g.grid_zone
    out["grid_zone_source"] = (f"{g.zone_method} ({g.zone_confidence} confidence){note} "
                               f"[{ZONE_EVIDENCE}]")  # fmt: skip
    if pd.notna(g.ci_lifecycle_gco2e_per_kwh_2024):
        out["grid_ci_gco2e_per_kwh"] = float(g.ci_lifecycle_gco2e_per_kwh_2024)
        out["grid_ci_direct_gco2e_per_kwh"] = float(g.ci_direct_gco2e_per_kwh_2024)
        out["grid_ci_year"] = int(g.year)
        out["grid_cfe_fraction"] = _num(g.cfe_fraction)
        out["grid_ci_source"] = (
            f"Electricity Maps {int(g.year)} yearly mean, zone {g.grid_zone} "
            f"({g.em_zone_name}), lifecycle, direct and CFE share (ODbL): {EM_YEARLY}")
        out["as_of"] = EM_VERSION_DATE
    return out


def _facility_fields(provider: str, region: str, pue: dict, wue: dict) -> dict[str, object]:
    """PUE and site WUE for one region."""
    fleet, src, per_region = pue[provider]
    if region in per_region:
        p, psrc = per_region[region], (
            f"CCF GCP trailing-twelve-month PUE for {region}: cloud-carbon-footprint/"
            "cloud-carbon-footprint@b7a049c7d25c:packages/gcp/src/domain/"
            "GcpFootprintEstimationConstants.ts")
    else:
        p, psrc = fleet, src
    w, wsrc = wue[provider]
    return {"pue": p, "pue_source": psrc, "wue_l_per_kwh": w, "wue_source": wsrc}


def _water_fields(country: object, iso3: object, eco: pd.DataFrame, stress: pd.DataFrame
                  ) -> dict[str, object]:
    """Grid water intensity (L/kWh, by country) and Aqueduct water stress (0-5)."""
    out: dict[str, object] = {"grid_water_l_per_kwh": math.nan, "grid_water_source": math.nan,
                              "water_stress_0_5": math.nan, "water_stress_source": math.nan}
    if isinstance(iso3, str) and iso3 in eco.index:
        e = eco.loc[iso3]
        out["grid_water_l_per_kwh"] = float(e.wue_offsite_l_per_kwh)
        out["grid_water_source"] = f"EcoLogits country wue_offsite ({iso3}): {e.source}"
    if isinstance(country, str) and country in stress.index:
        w = stress.loc[country]
        out["water_stress_0_5"] = float(w.bws_total_score_0_5)
        out["water_stress_source"] = f"WRI Aqueduct 4.0 BWS ({w.year}): {w.source}"
    return out
