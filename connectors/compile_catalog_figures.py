"""Sourced figures and fixed text used by :mod:`connectors.compile_catalog`.

Figures that are not in ``shared/data`` (GPU datasheet power, DGX system power,
data-transfer prices, coordinates of metros with no cloud region) live here, each with
the URL it was read from, so the compiler itself holds only logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# --------------------------------------------------------------------------------------
# Source labels for the shared reference data (full provenance in SOURCES.md)
# --------------------------------------------------------------------------------------
REF = "shared/data/reference"


def read_ref(ref: Path, name: str) -> pd.DataFrame:
    """Read one reference CSV with empty cells as missing (NaN)."""
    return pd.read_csv(ref / name, keep_default_na=False, na_values=[""])


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
    "B200": SystemPower(
        "NVIDIA DGX B200", 14300.0, 8,
        "NVIDIA DGX B200 user guide: 14.3 kW max system input (6 x 3.3 kW PSUs), "
        "https://docs.nvidia.com/dgx/dgxb200-user-guide/introduction-to-dgxb200.html",
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
    TransferPrice(
        "gcp", "inter_region", 0.02,
        "Google Cloud network pricing (https://cloud.google.com/vpc/network-pricing), "
        "inter-region data transfer between regions on the same continent, upper end of "
        "the $0.01-0.02 per GB range (pairs across continents cost $0.02-0.08 per GB), as "
        "quoted at https://brainagents.ai/gcpfinops/blog/gcp-network-egress-cross-region-costs "
        "and https://cloudwebschool.com/docs/gcp/cost-management/network-egress-costs/",
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
