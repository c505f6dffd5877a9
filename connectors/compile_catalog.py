"""Compile the embedded catalog (``connectors/data/*.csv``) from the shared reference data.

Maintainer tool, run as::

    .venv/bin/python -m connectors.compile_catalog \\
        --reference ../shared/data/reference --hourly ../shared/data/hourly --out connectors/data

It reads the sourced reference CSVs (see ``shared/data/reference/README.md``) and the
hourly Electricity Maps series (``shared/data/hourly/README.md``) and writes the canonical
tables of :mod:`connectors.schema` plus ``SOURCES.md``. Every figure keeps a source;
anything computed here says ``derived: <formula> from <source>``. Missing figures stay
empty. The output is deterministic: same inputs, byte-identical files (rows sorted,
fixed float formatting, no timestamps).

The few figures that are not in ``shared/data`` (GPU datasheet power, DGX system power,
data-transfer prices, coordinates of metros without a cloud region) are constants below,
each with the URL it was read from.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from connectors.schema import TABLES, validate_table

# --------------------------------------------------------------------------------------
# Source labels for the shared reference data (full provenance in SOURCES.md)
# --------------------------------------------------------------------------------------
REF = "shared/data/reference"
SKYPILOT_INDICATIVE = (
    "indicative: GCP accelerator prices in this SkyPilot catalog snapshot vary implausibly "
    "between regions (likely mixed SKUs), validate before relying on them"
)
AZURE_LATENCY_SOURCE = "Microsoft Azure network latency statistics, P50"
AZURE_LATENCY_AS_OF = "2026-07-30"
AWS_LATENCY_SOURCE = "cloudping.co 1-year P50 snapshot"
AWS_LATENCY_AS_OF = "2025-05-29"
FIT_MIN_KM = 500.0
KM_PER_100 = 100.0
HOURS_PER_YEAR = 8760
GIB_PER_GB = 1e9 / 2**30  # 1 GB = 0.931 GiB, so USD/GB = USD/GiB x GIB_PER_GB

# Electricity Maps zone ids for countries that Electricity Maps models as a single zone.
# Used only where the reference gives no zone for a region (grid_zone_source says so).
SINGLE_ZONE_COUNTRIES: dict[str, str] = {
    "Austria": "AT",
    "Bahrain": "BH",
    "Belgium": "BE",
    "Finland": "FI",
    "France": "FR",
    "Germany": "DE",
    "Greece": "GR",
    "Hong Kong (China)": "HK",
    "Ireland": "IE",
    "Israel": "IL",
    "Netherlands": "NL",
    "Poland": "PL",
    "Qatar": "QA",
    "Saudi Arabia": "SA",
    "Singapore": "SG",
    "South Africa": "ZA",
    "South Korea": "KR",
    "Switzerland": "CH",
    "Taiwan": "TW",
    "United Arab Emirates": "AE",
}

EU27 = {
    "Austria", "Belgium", "Bulgaria", "Croatia", "Cyprus", "Czechia", "Czech Republic",
    "Denmark", "Estonia", "Finland", "France", "Germany", "Greece", "Hungary", "Ireland",
    "Italy", "Latvia", "Lithuania", "Luxembourg", "Malta", "Netherlands", "Poland",
    "Portugal", "Romania", "Slovakia", "Slovenia", "Spain", "Sweden",
}  # fmt: skip

# --------------------------------------------------------------------------------------
# GPU models
# --------------------------------------------------------------------------------------
# (provider, catalog gpu_model) -> canonical gpu_model
GPU_MODEL_MAP: dict[tuple[str, str], str] = {
    ("aws", "H100"): "H100",
    ("aws", "H200"): "H200",
    ("aws", "A100-40GB"): "A100-40GB",
    ("aws", "A100-80GB"): "A100-80GB",
    ("aws", "V100"): "V100",
    ("azure", "H100"): "H100",
    ("azure", "A100-40GB"): "A100-40GB",
    ("azure", "A100-80GB"): "A100-80GB",
    ("azure", "V100-32GB"): "V100-32GB",
    ("azure", "T4"): "T4",
    ("azure", "A10"): "A10",
    ("gcp", "A100"): "A100-40GB",  # a2-highgpu = A100 40GB
    ("gcp", "A100-80GB"): "A100-80GB",
    ("gcp", "H100"): "H100",
    ("gcp", "H100-MEGA"): "H100",  # a3-megagpu: same H100 80GB GPU, faster network
    ("gcp", "H200"): "H200",
}
# Microsoft's ND H100 v5 spec is 8 GPUs per VM; the SkyPilot catalog says 12.
GPU_COUNT_CORRECTIONS: dict[tuple[str, str], tuple[int, str]] = {
    ("azure", "Standard_ND96isr_H100_v5"): (
        8,
        "gpus_per_instance corrected from the catalog's 12 to 8 (Microsoft ND H100 v5 "
        "spec: 8 H100 GPUs per VM, https://learn.microsoft.com/azure/virtual-machines/"
        "nd-h100-v5-series)",
    ),
}


@dataclass(frozen=True)
class PowerFigure:
    """Board power of one GPU model at full load (W), with its source."""

    power_w: float
    source: str
    as_of: str


# Vendor datasheet TDPs for models CCF does not list (CCF: A100 407 W, V100 306 W, T4 71 W).
DATASHEET_POWER: dict[str, PowerFigure] = {
    "H100": PowerFigure(
        700.0,
        "NVIDIA H100 SXM max TDP up to 700 W (NVIDIA H100 datasheet), read at "
        "https://theneuralbase.com/ai-infrastructure/learn/advanced/h100-tdp-700w/ and "
        "https://huggingface.co/hardware/h100",
        "2022",
    ),
    "H200": PowerFigure(
        700.0,
        "NVIDIA H200 SXM max TDP up to 700 W (NVIDIA H200 datasheet), read at "
        "https://www.aiminingco.com/gpu/h200/specs and https://huggingface.co/hardware/h200",
        "2024",
    ),
    "A10": PowerFigure(
        150.0,
        "NVIDIA A10 PCIe TDP 150 W (NVIDIA A10 datasheet), read at "
        "https://gist.github.com/kimbochen (table: A10 ... 150 W)",
        "2021",
    ),
}
CCF_GPU_NAMES: dict[str, str] = {
    "A100-40GB": "Nvidia Tesla A100",
    "A100-80GB": "Nvidia Tesla A100",
    "V100": "Nvidia Tesla V100",
    "V100-32GB": "Nvidia Tesla V100",
    "T4": "Nvidia T4",
}


@dataclass(frozen=True)
class SystemPower:
    """Maximum input power of a vendor 8-GPU system (W), to derive a host share per GPU."""

    system: str
    max_w: float
    gpus: int
    source: str


SYSTEM_POWER: dict[str, SystemPower] = {
    "H100": SystemPower(
        "NVIDIA DGX H100", 10200.0, 8,
        "NVIDIA DGX H100/H200 user guide: maximum system input 10.2 kW (6 x 3300 W PSUs), "
        "read at https://unanswered.io/guide/nvidia-dgx-power-consumption-watts",
    ),
    "H200": SystemPower(
        "NVIDIA DGX H200", 10200.0, 8,
        "NVIDIA DGX H100/H200 user guide: maximum system input 10.2 kW (6 x 3300 W PSUs), "
        "read at https://unanswered.io/guide/nvidia-dgx-power-consumption-watts",
    ),
    "A100-40GB": SystemPower(
        "NVIDIA DGX A100", 6500.0, 8,
        "NVIDIA DGX A100 documentation: maximum system power 6500 W, read at "
        "https://pcnews.ru/news/vycislitelnaa_sistema_nvidia_dgx_a100_ampere_osnasaetsa_"
        "sestu_blokami_pitania_po_3_kvt-985106.html",
    ),
    "A100-80GB": SystemPower(
        "NVIDIA DGX A100", 6500.0, 8,
        "NVIDIA DGX A100 documentation: maximum system power 6500 W, read at "
        "https://pcnews.ru/news/vycislitelnaa_sistema_nvidia_dgx_a100_ampere_osnasaetsa_"
        "sestu_blokami_pitania_po_3_kvt-985106.html",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class TransferPrice:
    """First paid tier of a provider's data-transfer price (USD per GB), with its source."""

    provider: str
    scope: str
    usd_per_gb: float
    source: str
    as_of: str


TRANSFER_PRICES: tuple[TransferPrice, ...] = (
    TransferPrice(
        "aws", "internet", 0.09,
        "AWS EC2 on-demand pricing (https://aws.amazon.com/ec2/pricing/on-demand/), data "
        "transfer out to internet, first paid tier (100 GB-10 TB/month, US East), as quoted "
        "at https://wring.co/blog/aws-data-transfer-pricing-guide",
        "2026",
    ),
    TransferPrice(
        "aws", "inter_region", 0.02,
        "AWS EC2 on-demand pricing (https://aws.amazon.com/ec2/pricing/on-demand/), data "
        "transfer between regions (most US/EU pairs), as quoted at "
        "https://wring.co/blog/aws-data-transfer-pricing-guide",
        "2026",
    ),
    TransferPrice(
        "azure", "internet", 0.087,
        "Azure bandwidth pricing (https://azure.microsoft.com/pricing/details/bandwidth/), "
        "internet egress first paid tier (100 GB-10 TB/month, North America/Europe, "
        "Microsoft network routing), as quoted at "
        "https://c3x.dev/blog/azure-egress-bandwidth-cost/",
        "2026",
    ),
    TransferPrice(
        "azure", "inter_region", 0.02,
        "Azure bandwidth pricing (https://azure.microsoft.com/pricing/details/bandwidth/), "
        "data transfer between regions within North America or Europe, as quoted at "
        "https://lucidity.cloud/feeds/blog/azure-storage-egress-cost",
        "2026",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class MetroPoint:
    """A user metro: the region_locations.csv metro to copy, or a cited coordinate."""

    metro: str
    country: str
    location: str | None = None  # metro_or_location in region_locations.csv (CIM point)
    lat_deg: float | None = None
    lon_deg: float | None = None
    source: str | None = None
    as_of: str | None = None


NE_SOURCE = (
    "Natural Earth 1:110m populated places (public domain) via "
    "nvkelso/natural-earth-vector@693f11422f4e:geojson/ne_110m_populated_places_simple.geojson "
    "(latitude/longitude properties)"
)
NE_AS_OF = "undated"  # static coordinates; the snapshot carries no date
METROS: tuple[MetroPoint, ...] = (
    MetroPoint("Amsterdam", "Netherlands", lat_deg=52.3499686881, lon_deg=4.91664017601,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Athens", "Greece", "Athens"),
    MetroPoint("Atlanta", "United States", "Atlanta"),
    MetroPoint("Auckland", "New Zealand", lat_deg=-36.84805489493, lon_deg=174.76302698708,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Bangkok", "Thailand", "Bangkok"),
    MetroPoint("Berlin", "Germany", "Berlin"),
    MetroPoint("Bogotá", "Colombia", lat_deg=4.59642356253, lon_deg=-74.0833439552,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Buenos Aires", "Argentina", lat_deg=-34.6025016085, lon_deg=-58.3975313737,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Cairo", "Egypt", lat_deg=30.0499603465, lon_deg=31.2499682197,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Cape Town", "South Africa", "Cape Town"),
    MetroPoint("Chicago", "United States", lat_deg=41.8299906607, lon_deg=-87.7500549741,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Copenhagen", "Denmark", "Copenhagen"),
    MetroPoint("Dallas", "United States", "Dallas"),
    MetroPoint("Dubai", "United Arab Emirates", "Dubai"),
    MetroPoint("Dublin", "Ireland", "Dublin"),
    MetroPoint("Frankfurt", "Germany", "Frankfurt"),
    MetroPoint("Helsinki", "Finland", "Helsinki"),
    MetroPoint("Hong Kong", "Hong Kong (China)", "Hong Kong"),
    MetroPoint("Istanbul", "Turkey", lat_deg=41.1049961538, lon_deg=29.0100015856,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Jakarta", "Indonesia", "Jakarta"),
    MetroPoint("Johannesburg", "South Africa", "Johannesburg"),
    MetroPoint("Kuala Lumpur", "Malaysia", "Kuala Lumpur"),
    MetroPoint("Lagos", "Nigeria", lat_deg=6.44326165348, lon_deg=3.39153107121,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("London", "United Kingdom", "London"),
    MetroPoint("Los Angeles", "United States", "Los Angeles"),
    MetroPoint("Madrid", "Spain", "Madrid"),
    MetroPoint("Melbourne", "Australia", "Melbourne"),
    MetroPoint("Mexico City", "Mexico", lat_deg=19.4424424428, lon_deg=-99.1309882017,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Milan", "Italy", "Milan"),
    MetroPoint("Montreal", "Canada", "Montréal"),
    MetroPoint("Mumbai", "India", "Mumbai"),
    MetroPoint("Nairobi", "Kenya", lat_deg=-1.28334674185, lon_deg=36.8166568591,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("New Delhi", "India", "New Delhi"),
    MetroPoint("New York", "United States", lat_deg=40.749979064, lon_deg=-73.9800169288,
               source=NE_SOURCE, as_of=NE_AS_OF),
    MetroPoint("Osaka", "Japan", "Osaka"),
    MetroPoint("Paris", "France", "Paris"),
    MetroPoint("Riyadh", "Saudi Arabia", "Riyadh"),
    MetroPoint("San Francisco", "United States", "San Francisco"),
    MetroPoint("Santiago", "Chile", "Santiago"),
    MetroPoint("São Paulo", "Brazil", "São Paulo"),
    MetroPoint("Seattle", "United States", lat_deg=47.60972, lon_deg=-122.33306,
               source="Wikipedia 'Seattle' infobox (47°36′35″N 122°19′59″W), read at "
               "https://wiki.kidzsearch.com/wiki/Seattle,_WA", as_of="2023"),
    MetroPoint("Seoul", "South Korea", "Seoul"),
    MetroPoint("Singapore", "Singapore", "Singapore"),
    MetroPoint("Stockholm", "Sweden", "Stockholm"),
    MetroPoint("Sydney", "Australia", "Sydney"),
    MetroPoint("Taipei", "Taiwan", "Taipei"),
    MetroPoint("Tel Aviv", "Israel", "Tel Aviv"),
    MetroPoint("Tokyo", "Japan", "Tokyo"),
    MetroPoint("Toronto", "Canada", "Toronto"),
    MetroPoint("Warsaw", "Poland", "Warsaw"),
    MetroPoint("Washington DC", "United States", "Washington"),
    MetroPoint("Zurich", "Switzerland", "Zürich"),
)  # fmt: skip
CIM_AS_OF = "2025-01-05"  # agonza05/cloudregioncodes@fc98afb9d3f1 commit date


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------
def _read(ref: Path, name: str) -> pd.DataFrame:
    """Read one reference CSV with empty cells as missing (NaN)."""
    return pd.read_csv(ref / name, keep_default_na=False, na_values=[""])


def _jurisdiction(country: str) -> str:
    """"EU" for EU-27 members, otherwise the country name (same rule as region_locations)."""
    return "EU" if country in EU27 else country


def _num(value: object) -> float:
    """A float, or NaN for missing."""
    return float(value) if pd.notna(value) else math.nan


# --------------------------------------------------------------------------------------
# regions
# --------------------------------------------------------------------------------------
def _ccf_grid(ref: Path) -> pd.DataFrame:
    """CCF grid factors (g/kWh) for AWS and Azure, keyed by provider/region."""
    ccf = _read(ref, "ccf_grid_emission_factors.csv")
    ccf = ccf[(ccf.factor_variant == "grid") & ccf.provider.isin(["aws", "azure"])].copy()
    ccf["g"] = (ccf.emission_factor_tco2e_per_kwh * 1e6).round(3)
    ccf["src"] = (
        "CCF grid factor (" + ccf.factor_basis + "), tCO2e/kWh x 1e6: " + ccf.source
    )
    return ccf.set_index(["provider", "region"])[["g", "src"]]


def _gcp_2024(ref: Path) -> pd.DataFrame:
    """Google's 2024 grid intensity and CFE per GCP region."""
    gcp = _read(ref, "gcp_region_carbon_cfe.csv")
    return gcp[gcp.year == 2024].set_index("region")


def _pue(ref: Path) -> dict[str, tuple[float, str, dict[str, float]]]:
    """Per-provider PUE: (fleet value, source, per-region overrides)."""
    facts = _read(ref, "water_pue_provider_facts.csv")
    coef = _read(ref, "ccf_coefficients.csv")
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
    facts = _read(ref, "water_pue_provider_facts.csv")
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


def build_regions(ref: Path) -> pd.DataFrame:
    """One row per region (164): location, grid, facility and water figures."""
    loc = _read(ref, "region_locations.csv")
    summ = _read(ref, "region_summary.csv").set_index(["provider", "region"])
    ccf, gcp = _ccf_grid(ref), _gcp_2024(ref)
    pue, wue = _pue(ref), _wue(ref)
    eco = _read(ref, "country_electricity_impacts_ecologits.csv").set_index("country_iso3")
    stress = _read(ref, "water_stress_country_partial.csv").set_index("country")
    rows = []
    for r in loc.itertuples(index=False):
        s = summ.loc[(r.provider, r.region)]
        row: dict[str, object] = {
            "provider": r.provider, "region": r.region, "display_name": r.display_name,
            "country": r.country, "jurisdiction": r.jurisdiction,
            "lat_deg": _num(r.latitude), "lon_deg": _num(r.longitude),
            "coord_source": r.coord_source, "in_service": r.in_service, "source": r.source,
        }  # fmt: skip
        row.update(_grid_fields(r, s, ccf, gcp))
        row.update(_facility_fields(r, pue, wue))
        row.update(_water_fields(r, s, eco, stress))
        rows.append(row)
    return pd.DataFrame(rows)


def _grid_fields(r: object, s: pd.Series, ccf: pd.DataFrame, gcp: pd.DataFrame) -> dict:
    """grid_zone, grid CI (g/kWh), CFE and the row's as_of for one region."""
    out: dict[str, object] = {}
    zone = s["electricity_maps_zone"]
    country = getattr(r, "country")
    if pd.notna(zone):
        out["grid_zone"], out["grid_zone_source"] = zone, (
            f"CCF mapping to Electricity Maps zone ({REF}/ccf_grid_emission_factors.csv)")
    elif country in SINGLE_ZONE_COUNTRIES:
        out["grid_zone"] = SINGLE_ZONE_COUNTRIES[country]
        out["grid_zone_source"] = f"derived: single-zone country ({country})"
    else:
        out["grid_zone"] = out["grid_zone_source"] = math.nan
    key = (getattr(r, "provider"), getattr(r, "region"))
    out["cfe_fraction"] = out["cfe_source"] = math.nan
    out["grid_ci_gco2e_per_kwh"] = out["grid_ci_source"] = math.nan
    out["as_of"] = CIM_AS_OF
    if key[0] == "gcp" and key[1] in gcp.index:
        g = gcp.loc[key[1]]
        out["grid_ci_gco2e_per_kwh"] = float(g.grid_carbon_intensity_gco2e_per_kwh)
        out["grid_ci_source"] = f"Google 2024 grid carbon intensity: {g.source}"
        if pd.notna(g.google_cfe_fraction):
            out["cfe_fraction"] = float(g.google_cfe_fraction)
            out["cfe_source"] = f"Google 2024 CFE%: {g.source}"
        out["as_of"] = "2024"
    elif key in ccf.index:
        c = ccf.loc[key]
        out["grid_ci_gco2e_per_kwh"], out["grid_ci_source"] = float(c.g), c.src
        out["as_of"] = _ccf_year(c.src)
    return out


def _ccf_year(src: str) -> str:
    """Data year of a CCF factor: eGRID2020 -> 2020, carbonfootprint.com 2021 -> 2021."""
    if "eGRID2020" in src:
        return "2020"
    if "2021" in src:
        return "2021"
    return "2024-03-25"  # EEA factors: no year stated; the CCF commit date


def _facility_fields(r: object, pue: dict, wue: dict) -> dict:
    """PUE and site WUE for one region."""
    prov, region = getattr(r, "provider"), getattr(r, "region")
    fleet, src, per_region = pue[prov]
    if region in per_region:
        p, psrc = per_region[region], f"CCF GCP trailing-twelve-month PUE for {region}: " + (
            "cloud-carbon-footprint/cloud-carbon-footprint@b7a049c7d25c:packages/gcp/src/"
            "domain/GcpFootprintEstimationConstants.ts")
    else:
        p, psrc = fleet, src
    w, wsrc = wue[prov]
    return {"pue": p, "pue_source": psrc, "wue_l_per_kwh": w, "wue_source": wsrc}


def _water_fields(r: object, s: pd.Series, eco: pd.DataFrame, stress: pd.DataFrame) -> dict:
    """Grid water intensity (L/kWh, by country) and Aqueduct water stress (0-5)."""
    iso3, country = s["country_iso3"], getattr(r, "country")
    out: dict[str, object] = {"grid_water_l_per_kwh": math.nan, "grid_water_source": math.nan}
    if pd.notna(iso3) and iso3 in eco.index:
        e = eco.loc[iso3]
        out["grid_water_l_per_kwh"] = float(e.wue_offsite_l_per_kwh)
        out["grid_water_source"] = f"EcoLogits country wue_offsite ({iso3}): {e.source}"
    out["water_stress_0_5"] = out["water_stress_source"] = math.nan
    if pd.notna(country) and country in stress.index:
        w = stress.loc[country]
        out["water_stress_0_5"] = float(w.bws_total_score_0_5)
        out["water_stress_source"] = f"WRI Aqueduct 4.0 BWS ({w.year}): {w.source}"
    return out


# --------------------------------------------------------------------------------------
# gpu_offers
# --------------------------------------------------------------------------------------
def build_gpu_offers(ref: Path) -> pd.DataFrame:
    """On-demand offers: AWS/Azure full instances, GCP derived host+accelerator totals."""
    p = _read(ref, "gpu_instance_prices_ondemand.csv")
    keep = ((p.provider.isin(["aws", "azure"]) & (p.price_component == "full_instance"))
            | ((p.provider == "gcp") & (p.price_component == "derived_total")))  # fmt: skip
    rows = []
    for r in p[keep].itertuples(index=False):
        n, extra = int(r.gpu_count), ""
        fix = GPU_COUNT_CORRECTIONS.get((r.provider, r.instance_type))
        if fix:
            n, extra = fix[0], "; " + fix[1]
        commit = re.search(r"@([0-9a-f]+):", r.source)
        snap = f"skypilot-catalog@{commit.group(1) if commit else '?'}"
        note = {
            "aws": " (pre-June-2025 prices)",
            "azure": " (US regions only)",
            "gcp": " (host + accelerator totals)",
        }[r.provider]
        src = f"{r.source}; {r.note}{extra}"
        if r.provider == "gcp":
            src = (f"derived: gcp_host_only + gcp_accelerator_only (same region) from "
                   f"{r.source}; {SKYPILOT_INDICATIVE}")  # fmt: skip
        price = float(r.price_usd_per_hour)
        rows.append({
            "provider": r.provider, "region": r.region,
            "gpu_model": GPU_MODEL_MAP[(r.provider, r.gpu_model)],
            "instance_type": r.instance_type, "gpus_per_instance": n,
            "usd_per_instance_hour": price, "usd_per_gpu_hour": round(price / n, 6),
            "quota_gpus": math.nan, "source": src, "as_of": snap + note,
        })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# hardware
# --------------------------------------------------------------------------------------
def build_hardware(ref: Path, models: Iterable[str]) -> pd.DataFrame:
    """Per-GPU power and embodied carbon for every canonical model that has an offer."""
    coef = _read(ref, "ccf_coefficients.csv")
    emb = _read(ref, "embodied_gpu_servers.csv")
    rows = []
    for model in sorted(set(models)):
        row: dict[str, object] = {"gpu_model": model}
        row.update(_power(coef, model))
        row.update(_host_power(model, row["power_w"]))
        row.update(_embodied(emb, model))
        row["source"] = "see power_source, host_power_source and embodied_source"
        rows.append(row)
    return pd.DataFrame(rows)


def _power(coef: pd.DataFrame, model: str) -> dict:
    """Board power and idle power (W): CCF where CCF lists the chip, else the datasheet."""
    name = CCF_GPU_NAMES.get(model)
    if name:
        aws = coef[(coef.provider == "aws") & (coef.key == name)]
        mx = aws[aws.parameter == "max_watts_gpu"].iloc[0]
        mn = aws[aws.parameter == "min_watts_gpu"].iloc[0]
        return {
            "power_w": float(mx.value), "idle_w": float(mn.value),
            "power_source": f"CCF max/min_watts_gpu for {name} (100 % / idle): {mx.source}",
            "as_of": "2024-03-25",
        }  # fmt: skip
    fig = DATASHEET_POWER[model]
    return {"power_w": fig.power_w, "idle_w": math.nan, "power_source": fig.source,
            "as_of": fig.as_of}  # fmt: skip


def _host_power(model: str, power_w: object) -> dict:
    """Host share per GPU (W) = (8-GPU system max - 8 x board power) / 8, where sourced."""
    sp = SYSTEM_POWER.get(model)
    if sp is None or pd.isna(power_w):
        return {"host_power_w_per_gpu": math.nan, "host_power_source": math.nan}
    gpu_w = float(power_w)  # type: ignore[arg-type]
    host = (sp.max_w - sp.gpus * gpu_w) / sp.gpus
    src = (f"derived: ({sp.system} max system power {sp.max_w:g} W - {sp.gpus} x "
           f"{gpu_w:g} W board power) / {sp.gpus}; upper bound (PSU maximum, not measured "
           f"draw) from {sp.source}")  # fmt: skip
    return {"host_power_w_per_gpu": round(host, 3), "host_power_source": src}


EMB_FILE = f"{REF}/embodied_gpu_servers.csv"
HOST_GPUS_BY_MODEL: dict[str, tuple[int, str]] = {
    # GPUs sharing one server; 8 for the 8-GPU platforms offered (p3/p4d/p4de/p5en, ND v2/v4,
    # a2/a3), 4 for the NC T4 v3 host (CCF NC4as T4 v3 host-server record).
    "H200": (8, "8-GPU HGX server (p5en.48xlarge, a3-ultragpu-8g)"),
    "A100-40GB": (8, "8-GPU server (p4d.24xlarge, ND96asr_v4, a2-highgpu-8g)"),
    "A100-80GB": (8, "8-GPU server (p4de.24xlarge, ND96amsr_A100_v4, a2-ultragpu-8g)"),
    "V100": (8, "8-GPU server (p3.16xlarge)"),
    "V100-32GB": (8, "8-GPU server (ND40rs_v2)"),
    "T4": (4, "4-GPU host (CCF host-server record for NC4as T4 v3: 4 GPUs)"),
}


def _embodied(emb: pd.DataFrame, model: str) -> dict:
    """Embodied kgCO2e per GPU (card + server share) and the lifetime it is spread over."""
    life = emb[(emb.record_type == "boavizta_archetype") & (emb.gpu_model == "Large GPU")]
    life_h = int(round(float(life.lifetime_years.iloc[0]) * HOURS_PER_YEAR))
    life_src = (f"lifetime {life_h} h = 3 y (EcoLogits HARDWARE_LIFESPAN; BoaviztAPI GPU "
                f"component hours_life_time=26280), same for all models")  # fmt: skip
    if model == "H100":
        server = emb[(emb.record_type == "model_constant") & emb.embodied_kgco2e_server_excl_gpu
                     .eq(5700.0)].iloc[0]  # fmt: skip
        card = emb[(emb.record_type == "model_constant")
                   & emb.embodied_kgco2e_per_gpu.eq(164.0)].iloc[0]  # fmt: skip
        n = int(server.gpus_per_server)
        kg = float(server.embodied_kgco2e_server_excl_gpu) / n + float(card.embodied_kgco2e_per_gpu)
        src = (f"derived: {server.embodied_kgco2e_server_excl_gpu:g}/{n} kg (p5.48xlarge "
               f"server excl. GPUs) + {card.embodied_kgco2e_per_gpu:g} kg (H100 card) from "
               f"EcoLogits ({server.source}) via {EMB_FILE}; {life_src}")  # fmt: skip
        return {"embodied_kgco2e_per_gpu": round(kg, 3), "lifetime_h": life_h,
                "embodied_source": src}  # fmt: skip
    if model not in HOST_GPUS_BY_MODEL:
        return {"embodied_kgco2e_per_gpu": math.nan, "lifetime_h": math.nan,
                "embodied_source": math.nan}  # fmt: skip
    bloom = emb[(emb.record_type == "model_constant")
                & emb.embodied_kgco2e_server_excl_gpu.eq(2500.0)].iloc[0]  # fmt: skip
    n, why = HOST_GPUS_BY_MODEL[model]
    server_kg, per_gpu = float(bloom.embodied_kgco2e_server_excl_gpu), float(
        bloom.embodied_kgco2e_per_gpu)
    kg = server_kg / n + per_gpu
    src = (f"derived: {server_kg:g}/{n} kg (server excl. GPUs; {why}) + {per_gpu:g} kg per "
           f"GPU from BLOOM/e-footprint constants ({bloom.source}) via {EMB_FILE}; {life_src}")
    return {"embodied_kgco2e_per_gpu": round(kg, 3), "lifetime_h": life_h,
            "embodied_source": src}  # fmt: skip


# --------------------------------------------------------------------------------------
# latency and latency_model
# --------------------------------------------------------------------------------------
def _matrix(ref: Path, name: str, provider: str, source: str, as_of: str) -> pd.DataFrame:
    """One measured P50 matrix as latency rows (non-numeric cells dropped)."""
    m = _read(ref, name)
    rtt = pd.to_numeric(m.rtt_p50_ms, errors="coerce")
    m = m.assign(rtt_ms=rtt)[rtt.notna()]
    return pd.DataFrame({
        "from_id": provider + "/" + m.source_region, "to_id": provider + "/" + m.dest_region,
        "rtt_ms": m.rtt_ms.astype(float), "kind": "measured", "source": source, "as_of": as_of,
        "great_circle_km": m.great_circle_km.astype(float),
    })  # fmt: skip


def build_latency(ref: Path) -> pd.DataFrame:
    """Measured RTTs: Azure's published matrix and the AWS cloudping snapshot, directed."""
    az = _matrix(ref, "azure_interregion_rtt_p50.csv", "azure", AZURE_LATENCY_SOURCE,
                 AZURE_LATENCY_AS_OF)
    aws = _matrix(ref, "aws_interregion_rtt_p50_cloudping.csv", "aws", AWS_LATENCY_SOURCE,
                  AWS_LATENCY_AS_OF)
    return pd.concat([az, aws], ignore_index=True)


def fit_rtt(km: Iterable[float], rtt_ms: Iterable[float]) -> tuple[float, float]:
    """Ordinary least squares RTT = a + b * km/100; returns (a ms, b ms per 100 km).

    Uses exact (``math.fsum``) sums so the result does not depend on the BLAS build.
    """
    xs = [k / KM_PER_100 for k in km]
    ys = list(rtt_ms)
    n = len(xs)
    sx, sy = math.fsum(xs), math.fsum(ys)
    sxx = math.fsum(x * x for x in xs)
    sxy = math.fsum(x * y for x, y in zip(xs, ys, strict=True))
    b = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    return (sy - b * sx) / n, b


def build_latency_model(ref: Path, latency: pd.DataFrame) -> pd.DataFrame:
    """RTT-from-distance fits: Azure and AWS as published, and a pooled default fit."""
    params = _read(ref, "rtt_model_parameters.csv").set_index("parameter")
    rows = []
    for scope, key, as_of in (("azure", "azure_linear_fit_rtt_ms", AZURE_LATENCY_AS_OF),
                              ("aws", "aws_linear_fit_rtt_ms", AWS_LATENCY_AS_OF)):
        a, b = re.findall(r"[\d.]+", params.loc[key, "value"])[:2]
        rows.append({"scope": scope, "intercept_ms": float(a), "ms_per_100km": float(b),
                     "source": f"{params.loc[key, 'source']} ({REF}/rtt_model_parameters.csv, "
                               f"OLS over pairs > {FIT_MIN_KM:g} km)", "as_of": as_of})
    far = latency[latency.great_circle_km > FIT_MIN_KM]
    a, b = fit_rtt(far.great_circle_km, far.rtt_ms)
    rows.append({
        "scope": "default", "intercept_ms": round(a, 2), "ms_per_100km": round(b, 4),
        "source": (f"derived: OLS rtt_ms = a + b * great_circle_km/100 over {len(far)} "
                   f"directed pairs > {FIT_MIN_KM:g} km pooled from the Azure and AWS measured "
                   f"matrices ({REF}/azure_interregion_rtt_p50.csv, "
                   f"aws_interregion_rtt_p50_cloudping.csv; distances from their "
                   f"great_circle_km column)"),
        "as_of": f"{AWS_LATENCY_AS_OF}/{AZURE_LATENCY_AS_OF}",
    })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# metros, transfer
# --------------------------------------------------------------------------------------
def build_metros(ref: Path) -> pd.DataFrame:
    """User metros: CIM metro points from region_locations.csv, else a cited coordinate."""
    loc = _read(ref, "region_locations.csv")
    cim = loc[loc.coord_source == "CIM metro"]
    rows = []
    for m in METROS:
        if m.location is not None:
            hit = cim[cim.metro_or_location == m.location].sort_values(["provider", "region"])
            if hit.empty:
                raise ValueError(f"metro {m.metro!r}: no CIM point {m.location!r} in {REF}")
            h = hit.iloc[0]
            lat, lon = float(h.latitude), float(h.longitude)
            src, as_of = f"CIM metro point '{m.location}' ({h.provider}/{h.region}): {h.source}", \
                CIM_AS_OF
        else:
            lat, lon, src, as_of = m.lat_deg, m.lon_deg, m.source, m.as_of
        rows.append({"metro": m.metro, "country": m.country,
                     "jurisdiction": _jurisdiction(m.country) if m.country !=
                     "Hong Kong (China)" else "Hong Kong",
                     "lat_deg": lat, "lon_deg": lon, "source": src, "as_of": as_of})
    return pd.DataFrame(rows)


def build_transfer(ref: Path) -> pd.DataFrame:
    """Per-provider transfer price (USD/GB) and energy (kWh/GB, CCF networking coefficient)."""
    coef = _read(ref, "ccf_coefficients.csv")
    net = coef[coef.parameter == "networking_coefficient"].set_index("provider")
    rows = []
    for t in TRANSFER_PRICES:
        n = net.loc[t.provider]
        rows.append({
            "provider": t.provider, "scope": t.scope, "usd_per_gb": t.usd_per_gb,
            "kwh_per_gb": float(n.value),
            "source": f"price: {t.source}; energy: CCF networking coefficient {float(n.value):g} "
                      f"kWh/GB ({n.source})",
            "as_of": t.as_of,
        })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# grid_profiles
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HourlyFile:
    """One row of the hourly README's file table."""

    file: str
    zone: str
    year: int
    origin: str  # "<repo>@<commit> : <path ...>"


def read_hourly_index(hourly: Path) -> list[HourlyFile]:
    """Parse the file table of ``hourly/README.md`` (file, zone, year, source repo)."""
    out = []
    for line in (hourly / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].startswith("`") and cells[0].endswith(".csv`"):
            out.append(HourlyFile(cells[0].strip("`"), cells[1], int(cells[2]), cells[4]))
    return sorted(out, key=lambda f: f.file)


def hourly_source(origin: str, *, with_path: bool = True) -> str:
    """'Electricity Maps (ODbL) via <repo>@<commit>:<path>' from a README table cell.

    ``with_path=False`` drops the path (kept in SOURCES.md) to keep the CSV small.
    """
    repo, _, rest = origin.partition(" : ")
    label = f"Electricity Maps (ODbL) via {repo.strip()}"
    if not with_path:
        return label
    path = re.search(r"`([^`]+)`", rest)
    return f"{label}:{path.group(1) if path else rest}"


def profile_of(csv: Path) -> pd.DataFrame:
    """Mean LCA carbon intensity (g/kWh) by (month, UTC hour), rounded to 0.1 g."""
    df = pd.read_csv(csv, usecols=["datetime_utc", "carbon_intensity_lca_gco2_per_kwh"])
    ts = pd.to_datetime(df.datetime_utc, utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    g = df.carbon_intensity_lca_gco2_per_kwh.groupby([ts.dt.month, ts.dt.hour]).mean()
    g.index.names = ["month", "hour_utc"]
    return g.round(1).rename("ci_gco2e_per_kwh").reset_index()


def build_grid_profiles(hourly: Path) -> pd.DataFrame:
    """Typical lifecycle CI per zone by month x UTC hour, from one year of hourly data."""
    frames = []
    for f in read_hourly_index(hourly):
        p = profile_of(hourly / f.file)
        frames.append(p.assign(grid_zone=f.zone, basis="lifecycle", year=f.year,
                               source=hourly_source(f.origin, with_path=False),
                               as_of=str(f.year)))
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------
SORT_KEYS: dict[str, list[str]] = {
    "regions": ["provider", "region"],
    "gpu_offers": ["provider", "region", "gpu_model", "instance_type"],
    "hardware": ["gpu_model"],
    "latency": ["from_id", "to_id"],
    "latency_model": ["scope"],
    "metros": ["metro"],
    "transfer": ["provider", "scope"],
    "grid_profiles": ["grid_zone", "month", "hour_utc"],
}


INT_COLUMNS: dict[str, tuple[str, ...]] = {
    "hardware": ("lifetime_h",),
    "gpu_offers": ("gpus_per_instance", "quota_gpus"),
    "grid_profiles": ("month", "hour_utc", "year"),
}


def write_table(name: str, df: pd.DataFrame, out: Path) -> Path:
    """Validate, sort and write one table as CSV (LF line ends, shortest float repr)."""
    spec = TABLES[name]
    df = validate_table(name, df, origin=f"compile_catalog {name}")
    df = df.sort_values(SORT_KEYS[name], kind="mergesort").reset_index(drop=True)
    for col in INT_COLUMNS.get(name, ()):
        df[col] = df[col].astype("Int64")
    path = out / f"{name}.csv"
    df.loc[:, list(spec.columns)].to_csv(path, index=False, lineterminator="\n")
    return path


def compile_catalog(reference: Path, hourly: Path, out: Path) -> dict[str, pd.DataFrame]:
    """Build every embedded table from ``reference`` and ``hourly``; write them to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    offers = build_gpu_offers(reference)
    latency = build_latency(reference)
    tables = {
        "regions": build_regions(reference),
        "gpu_offers": offers,
        "hardware": build_hardware(reference, offers.gpu_model),
        "latency": latency.drop(columns="great_circle_km"),
        "latency_model": build_latency_model(reference, latency),
        "metros": build_metros(reference),
        "transfer": build_transfer(reference),
        "grid_profiles": build_grid_profiles(hourly),
    }
    for name, df in tables.items():
        write_table(name, df, out)
    (out / "SOURCES.md").write_text(sources_md(hourly), encoding="utf-8")
    return tables


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(prog="python -m connectors.compile_catalog",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, required=True, help="shared/data/reference")
    ap.add_argument("--hourly", type=Path, required=True, help="shared/data/hourly")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    args = ap.parse_args(argv)
    tables = compile_catalog(args.reference, args.hourly, args.out)
    for name, df in tables.items():
        print(f"{name}: {len(df)} rows")



# --------------------------------------------------------------------------------------
# SOURCES.md
# --------------------------------------------------------------------------------------
SOURCES_HEAD = """# Sources of the embedded catalog

Generated by `python -m connectors.compile_catalog` from `shared/data/reference` and
`shared/data/hourly` (see their README files for every column, unit and commit). Do not
edit the CSVs by hand: change the inputs or the compiler and re-run it. Every row carries
a `source`; per-figure `*_source` columns say where each figure came from, and anything
computed by the compiler is labelled `derived: <formula> from <source>`. Empty cells mean
"not published / not found", never zero.

## Licences and attribution

| source | used for | licence / terms |
|---|---|---|
| **Electricity Maps** data-portal exports (hourly carbon intensity), copied from the public repositories listed below | `grid_profiles.csv` | **ODbL** (Open Database License). Data (c) Electricity Maps, https://www.electricitymaps.com. `grid_profiles.csv` is a **derived database** of the Electricity Maps data (monthly x UTC-hour means of the lifecycle intensity) and is distributed under the **ODbL**; keep this attribution and share derived databases under the same licence. Zone ids in `regions.csv` are Electricity Maps identifiers. |
| cloud-carbon-footprint/cloud-carbon-footprint @b7a049c7 (2024-03-25) and cloud-carbon-coefficients @dda7621f | AWS/Azure grid factors, GPU min/max watts, PUE, networking kWh/GB, embodied constants | Apache-2.0 |
| GoogleCloudPlatform/region-carbon-info @49f3f26b | GCP grid intensity and CFE 2024 | Apache-2.0 |
| agonza05/cloudregioncodes @fc98afb9 (TeleGeography Cloud Infrastructure Map metros, Microsoft `az account list-locations`, AWS SSM names) | region names, coordinates, metro points | **no licence file**: individual facts used with attribution; the files are not redistributed wholesale |
| skypilot-org/skypilot-catalog (aws v7 @001367d2, gcp v7 @017e2502, azure v6 @098741e7) | `gpu_offers.csv` prices | **no licence file**: individual prices used as facts with attribution; the catalog is not redistributed wholesale |
| MicrosoftDocs/azure-docs `articles/networking/azure-network-latency.md` (P50, 30 days to 2026-07-30) | Azure measured RTTs | CC-BY-4.0, (c) Microsoft |
| cloudping.co 1-year P50 snapshot via oaustegard/oaustegard.github.io @a6d652c8 (captured 2025-05-29) | AWS measured RTTs | repository Apache-2.0; cloudping.co data terms unknown (attributed) |
| genai-impact/ecologits @2d0a1c76 | country grid water intensity, H100 card/server embodied, 3-year lifetime, Google WUE assumption | MPL-2.0 |
| Boavizta/e-footprint @29165b3e, Boavizta/boaviztapi @15878f04 | BLOOM server embodied constants, GPU component lifetime | AGPL-3.0 (only numeric constants quoted) |
| WRI Aqueduct 4.0 country scores via worldpopulationreview.com | `water_stress_0_5` (ranks 1-43 only) | WRI data CC-BY-4.0; republisher terms unknown |
| Natural Earth 1:110m populated places via nvkelso/natural-earth-vector @693f1142 | coordinates of metros with no cloud region | public domain |
| Press, vendor and pricing pages (URL in each `source`) | provider WUE/PUE, GPU datasheet power, DGX system power, data-transfer prices, Seattle coordinates | quoted facts only |

## Caveats by table

- **regions.csv**: `grid_ci_gco2e_per_kwh` is Google's 2024 figure for GCP and CCF's older
  factors (eGRID2020 / carbonfootprint.com 2021 / EEA) for AWS and Azure; `as_of` is the
  year of that figure (or the coordinates snapshot date where there is none). `grid_zone`
  comes from CCF's mapping; where blank and the country is a single Electricity Maps zone,
  it is filled with `grid_zone_source = "derived: single-zone country"`. Google WUE is
  EcoLogits' per-provider assumption, not a Google figure. `water_stress_0_5` blank =
  not captured (only the 43 most stressed countries were available), not low stress.
- **gpu_offers.csv**: SkyPilot catalog snapshots; AWS prices predate the June-2025 P5 cut;
  Azure covers US regions only; GCP rows are host + accelerator totals and only
  indicative. `as_of` names the snapshot (the snapshot date itself is not recorded).
  Standard_ND96isr_H100_v5 is corrected to 8 GPUs (catalog: 12).
- **hardware.csv**: `power_w` is board power at full load; `host_power_w_per_gpu` is an
  upper bound from vendor DGX maximum system power, not measured draw.
- **latency.csv**: measured, directed P50s as published; AWS same-region rows are the
  intra-region value. `latency_model.csv` `default` is an OLS fit over both matrices.
- **grid_profiles.csv**: zones and years differ (2022-2024) and LCA-only files come from
  an older Electricity Maps vintage. **HK is constant (435.4 g/kWh for every hour of
  2022): it carries no hourly signal** and must not be used for time-shifting.

## Hourly files used for grid_profiles.csv

| zone | year | source |
|---|---|---|
"""


def sources_md(hourly: Path) -> str:
    """The SOURCES.md text: licences, caveats and the hourly file table."""
    rows = [f"| {f.zone} | {f.year} | {hourly_source(f.origin)} |"
            for f in read_hourly_index(hourly)]
    return SOURCES_HEAD + "\n".join(rows) + "\n"


if __name__ == "__main__":
    main()
