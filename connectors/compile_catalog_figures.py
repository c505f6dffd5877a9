"""Sourced figures and fixed text used by :mod:`connectors.compile_catalog`.

Figures that are not in ``shared/data`` (GPU datasheet power, DGX system power,
data-transfer prices, coordinates of metros with no cloud region) live here, each with
the URL it was read from, so the compiler itself holds only logic.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    TransferPrice(
        "gcp", "internet", round(0.12 * GIB_PER_GB, 6),
        "derived: 0.12 USD per GiB x (1e9 / 2^30) from Google Cloud network pricing "
        "(https://cloud.google.com/vpc/network-pricing), Premium Tier internet egress first "
        "tier (0-1 TiB/month, worldwide destinations except China/Australia), as quoted at "
        "https://egresscost.com/gcp/regions (updated 2026-04); Google bills network usage "
        "in GiB (2^30 bytes, https://cloud.google.com/compute/vm-instance-pricing)",
        "2026-04",
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

- **Electricity Maps** hourly carbon-intensity exports (copied from the public
  repositories listed at the end): used for `grid_profiles.csv`. Licence: **ODbL** (Open
  Database License); data (c) Electricity Maps, https://www.electricitymaps.com.
  `grid_profiles.csv` is a **derived database** of the Electricity Maps data (monthly x
  UTC-hour means of the lifecycle intensity) and is distributed under the **ODbL**: keep
  this attribution and share any database derived from it under the same licence. The
  `grid_zone` ids in `regions.csv` are Electricity Maps zone identifiers.
- **Cloud Carbon Footprint** (cloud-carbon-footprint @b7a049c7, 2024-03-25;
  cloud-carbon-coefficients @dda7621f): AWS/Azure grid factors, GPU min/max watts, PUE,
  networking kWh/GB, embodied constants. Apache-2.0.
- **Google region-carbon-info** @49f3f26b: GCP grid intensity and CFE (2024). Apache-2.0.
- **agonza05/cloudregioncodes** @fc98afb9 (TeleGeography Cloud Infrastructure Map metro
  points, Microsoft `az account list-locations`, AWS SSM region names): region names,
  coordinates, metro points. **No licence file**: individual facts are used with
  attribution; the files are not redistributed wholesale.
- **skypilot-org/skypilot-catalog** (aws v7 @001367d2, gcp v7 @017e2502, azure v6
  @098741e7): on-demand prices in `gpu_offers.csv`. **No licence file**: individual prices
  are used as facts with attribution; the catalog is not redistributed wholesale.
- **Microsoft Learn, Azure network round-trip latency statistics**
  (MicrosoftDocs/azure-docs `articles/networking/azure-network-latency.md`, P50 over the
  30 days to 2026-07-30): Azure rows of `latency.csv`. CC-BY-4.0, (c) Microsoft.
- **cloudping.co** 1-year P50 snapshot captured 2025-05-29, via
  oaustegard/oaustegard.github.io @a6d652c8 `web-utilities/aws-ping-p50-1y.json`: AWS rows
  of `latency.csv`. Repository Apache-2.0; cloudping.co data terms unknown (attributed).
- **EcoLogits** (genai-impact/ecologits @2d0a1c76): country grid water intensity, H100 card
  and p5 server embodied carbon, 3-year hardware life, the Google WUE assumption. MPL-2.0.
- **Boavizta** e-footprint @29165b3e and boaviztapi @15878f04: BLOOM server embodied
  constants, GPU component lifetime. AGPL-3.0; only numeric constants are quoted.
- **WRI Aqueduct 4.0** country baseline water stress via worldpopulationreview.com (ranks
  1-43 only): `water_stress_0_5`. WRI data CC-BY-4.0; republisher terms unknown.
- **Natural Earth** 1:110m populated places via nvkelso/natural-earth-vector @693f1142:
  coordinates of metros that have no cloud region. Public domain.
- Press, vendor and pricing pages (the URL is in each `source`): provider WUE/PUE, GPU
  datasheet power, DGX system power, data-transfer prices, Seattle's coordinates. Quoted
  facts only.

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
- **latency.csv**, **latency_model.csv**, **metros.csv**: see `LATENCY_SOURCES.md` (AWS,
  Azure and GCP matrices; the LAD user-RTT model and its held-out error; metro sources).
- **transfer.csv**: first paid tier of each provider's public price; GCP has no
  `inter_region` row (no sourced price found).
- **grid_profiles.csv**: zones and years differ (2022-2024) and LCA-only files come from
  an older Electricity Maps vintage. **HK is constant (435.4 g/kWh for every hour of
  2022): it carries no hourly signal** and must not be used for time-shifting. Row
  `source` columns name the repository and commit; the file paths are below.

## Hourly files used for grid_profiles.csv

| zone | year | source |
|---|---|---|
"""
