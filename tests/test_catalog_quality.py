"""Data-quality checks over the compiled catalog itself (``connectors/data``).

Each check recomputes an invariant from the shipped tables, independently of the
compiler: prices per GPU, spot vs on-demand, zones vs countries, coordinates vs cities,
service status, plannability of every offered GPU, and provenance (a source and a date
on every figure).
"""

from __future__ import annotations

import math
import re
import unicodedata

import pandas as pd
import pytest

from connectors.catalog import EMBEDDED_TABLES, Catalog, load_embedded
from connectors.gpu_families import GPU_MODELS

KM_PER_RAD = 6371.0088  # mean Earth radius (IUGG), km
MAX_CITY_KM = 100.0

# ISO 3166-1 alpha-2 codes (https://www.iso.org/iso-3166-country-codes.html) of the
# countries in regions.csv; Electricity Maps zone keys start with them.
ISO2: dict[str, str] = {
    "Australia": "AU", "Austria": "AT", "Bahrain": "BH", "Belgium": "BE", "Brazil": "BR",
    "Canada": "CA", "Chile": "CL", "China": "CN", "Denmark": "DK", "Finland": "FI",
    "France": "FR", "Germany": "DE", "Greece": "GR", "Hong Kong (China)": "HK", "India": "IN",
    "Indonesia": "ID", "Ireland": "IE", "Israel": "IL", "Italy": "IT", "Japan": "JP",
    "Malaysia": "MY", "Mexico": "MX", "Netherlands": "NL", "New Zealand": "NZ", "Norway": "NO",
    "Poland": "PL", "Qatar": "QA", "Saudi Arabia": "SA", "Singapore": "SG",
    "South Africa": "ZA", "South Korea": "KR", "Spain": "ES", "Sweden": "SE",
    "Switzerland": "CH", "Taiwan": "TW", "Thailand": "TH", "United Arab Emirates": "AE",
    "United Kingdom": "GB", "United States": "US",
}  # fmt: skip

# City centres not in the metros table, for the Azure regions whose coordinates the
# 2026-12 update corrected (Wikipedia city infoboxes, read 2026-12-03).
CITY_COORDS: dict[str, tuple[float, float]] = {
    "Marseille": (43.2964, 5.3700),  # https://en.wikipedia.org/wiki/Marseille
    "Cardiff": (51.4817, -3.1791),  # https://en.wikipedia.org/wiki/Cardiff
}


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_embedded()


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (km), haversine."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * KM_PER_RAD * math.asin(math.sqrt(a))


def _fold(name: str) -> str:
    """Case- and accent-insensitive city key ('Zürich' == 'zurich')."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


# ---------------------------------------------------------------- prices
def test_per_gpu_prices_are_instance_prices_over_gpus(cat: Catalog) -> None:
    o = cat.gpu_offers
    for inst, gpu in (("usd_per_instance_hour", "usd_per_gpu_hour"),
                      ("usd_per_instance_hour_spot", "usd_per_gpu_hour_spot")):  # fmt: skip
        both = o[o[inst].notna()]
        assert ((both[gpu] - both[inst] / both.gpus_per_instance).abs() < 1e-6).all(), gpu
        assert o.loc[o[inst].isna(), gpu].isna().all(), f"{gpu} without {inst}"


def test_every_offer_has_a_price_and_whole_gpus(cat: Catalog) -> None:
    o = cat.gpu_offers
    assert (o.usd_per_instance_hour.notna() | o.usd_per_instance_hour_spot.notna()).all()
    assert (o.gpus_per_instance >= 1).all()
    prices = o[["usd_per_instance_hour", "usd_per_instance_hour_spot"]].stack().dropna()
    assert (prices > 0).all()


def test_spot_never_above_on_demand(cat: Catalog) -> None:
    o = cat.gpu_offers.dropna(subset=["usd_per_instance_hour", "usd_per_instance_hour_spot"])
    assert len(o) > 400
    above = o[o.usd_per_instance_hour_spot > o.usd_per_instance_hour]
    assert above.empty, above[["provider", "region", "instance_type"]].to_string()


def test_multi_node_only_for_whole_8_gpu_servers(cat: Catalog) -> None:
    o = cat.gpu_offers
    multi = o[o.multi_node]
    assert set(multi.gpus_per_instance) == {8}
    assert set(multi.gpu_model) <= {"H100", "H200", "B200", "A100-40GB", "A100-80GB"}
    assert not o[o.gpu_model == "H100-NVL"].multi_node.any()
    nc = o[o.instance_type.str.startswith("Standard_NC")]
    assert len(nc) and not nc.multi_node.any()
    for provider in ("aws", "gcp", "azure"):
        assert o[(o.provider == provider) & o.multi_node].gpu_model.isin(["H100"]).any()


def test_gpu_families_are_distinct_and_known(cat: Catalog) -> None:
    assert set(cat.gpu_offers.gpu_model) == set(GPU_MODELS)
    nvl = cat.gpu_offers[cat.gpu_offers.instance_type.str.contains("NC.*H100_v5", regex=True)]
    assert len(nvl) and set(nvl.gpu_model) == {"H100-NVL"}


def test_purchase_options_are_fractions_longer_terms_no_cheaper(cat: Catalog) -> None:
    p = cat.purchase_options
    assert p.discount_fraction.between(0, 1, inclusive="neither").all()
    assert set(p.purchase) <= {"committed_1y", "committed_3y"}
    assert set(p.provider) == {"aws", "gcp", "azure"}
    wide = p.pivot(index="provider", columns="purchase", values="discount_fraction").dropna()
    assert (wide.committed_3y >= wide.committed_1y).all()


# ---------------------------------------------------------------- regions
def test_zone_is_consistent_with_country(cat: Catalog) -> None:
    r = cat.regions.dropna(subset=["grid_zone"])
    prefix = r.grid_zone.str.split("-").str[0]
    expected = r.country.map(ISO2)
    assert expected.notna().all(), sorted(set(r.country[expected.isna()]))
    bad = r[prefix != expected]
    assert bad.empty, bad[["provider", "region", "country", "grid_zone"]].to_string()


def test_every_mapped_region_has_both_carbon_bases(cat: Catalog) -> None:
    r = cat.regions
    mapped = r[r.grid_zone.notna()]
    assert mapped.grid_ci_gco2e_per_kwh.notna().all()
    assert mapped.grid_ci_direct_gco2e_per_kwh.notna().all()
    assert (mapped.grid_ci_year == 2024).all()
    # lifecycle includes upstream emissions: never below direct
    assert (mapped.grid_ci_gco2e_per_kwh >= mapped.grid_ci_direct_gco2e_per_kwh).all()
    assert mapped.grid_cfe_fraction.between(0, 1).all()


def test_provider_cfe_only_where_the_provider_publishes_it(cat: Catalog) -> None:
    r = cat.regions
    assert r[r.provider != "gcp"].cfe_fraction.isna().all()
    gcp = r[(r.provider == "gcp") & r.in_service]
    assert gcp.cfe_fraction.notna().mean() > 0.9
    assert r.cfe_fraction.dropna().between(0, 1).all()


def test_coordinates_within_100_km_of_the_named_city(cat: Catalog) -> None:
    metros = {_fold(m.metro): (m.lat_deg, m.lon_deg) for m in cat.metros.itertuples()}
    cities = {**metros, **{_fold(c): xy for c, xy in CITY_COORDS.items()}}
    checked, far = 0, []
    for r in cat.regions.dropna(subset=["lat_deg", "city"]).itertuples():
        ref = cities.get(_fold(r.city))
        if ref is None:
            continue
        checked += 1
        km = _km(r.lat_deg, r.lon_deg, *ref)
        if km > MAX_CITY_KM:
            far.append(f"{r.provider}/{r.region} {r.city}: {km:.0f} km")
    assert checked >= 80, checked
    assert not far, far


def test_corrected_azure_regions_sit_in_their_city(cat: Catalog) -> None:
    r = cat.regions.set_index(["provider", "region"])
    for region, city in (("israelcentral", "Tel Aviv"), ("francesouth", "Marseille"),
                         ("ukwest", "Cardiff")):  # fmt: skip
        row = r.loc[("azure", region)]
        assert row.city == city
    paris = cat.metros.set_index("metro").loc["Paris"]
    fc = r.loc[("azure", "francecentral")]
    assert _km(fc.lat_deg, fc.lon_deg, paris.lat_deg, paris.lon_deg) < 1.0
    assert fc.coord_source.startswith("corrected: ")


def test_no_staging_or_canary_region_in_service(cat: Catalog) -> None:
    r = cat.regions
    staging = r[r.region.str.contains(r"(?:euap|stg)$", regex=True)]
    assert len(staging) == 4
    assert not staging.in_service.any()


def test_regions_the_audit_found_live_are_in_service(cat: Catalog) -> None:
    r = cat.regions.set_index(["provider", "region"]).in_service
    for key in (("aws", "ap-southeast-5"), ("aws", "ap-southeast-7"), ("aws", "ca-west-1"),
                ("aws", "mx-central-1"), ("azure", "austriaeast")):  # fmt: skip
        assert r.loc[key], key


def test_every_offer_is_in_an_in_service_region(cat: Catalog) -> None:
    live = cat.regions[cat.regions.in_service]
    keys = set(zip(live.provider, live.region, strict=True))
    o = cat.gpu_offers
    assert set(zip(o.provider, o.region, strict=True)) <= keys


# ---------------------------------------------------------------- plannability
def test_every_offered_gpu_is_plannable(cat: Catalog) -> None:
    hw = cat.hardware.set_index("gpu_model")
    for gpu in sorted(set(cat.gpu_offers.gpu_model)):
        row = hw.loc[gpu]
        for col in ("power_w", "embodied_kgco2e_per_gpu", "lifetime_h"):
            assert pd.notna(row[col]) and row[col] > 0, (gpu, col)


def test_embodied_carbon_follows_the_hardware(cat: Catalog) -> None:
    e = cat.hardware.set_index("gpu_model").embodied_kgco2e_per_gpu
    assert e["H200"] >= e["H100"] and e["B200"] >= e["H100"]
    assert e["A100-40GB"] > e["T4"] and e["A100-80GB"] >= e["A100-40GB"]
    assert e["H100"] > e["A100-80GB"] > e["V100"] >= e["T4"]
    p = cat.hardware.set_index("gpu_model").power_w
    assert p["B200"] > p["H100"] > p["A100-40GB"] > p["L4"] and p["T4"] < p["L4"]


# ---------------------------------------------------------------- provenance
_DAY = r"\d{4}(?:-\d{2}(?:-\d{2})?)?"
ISO_DATE = re.compile(rf"^{_DAY}(?:/{_DAY})?$")  # a date, or an ISO 8601 interval


@pytest.mark.parametrize("table", EMBEDDED_TABLES)
def test_every_row_has_a_source_and_a_date(cat: Catalog, table: str) -> None:
    df = getattr(cat, table)
    assert df.source.notna().all() and (df.source.str.len() > 10).all()
    if table == "metros":  # static coordinates; undated sources say so
        return
    assert df.as_of.astype(str).str.match(ISO_DATE).all(), sorted(
        set(df.as_of[~df.as_of.astype(str).str.match(ISO_DATE)]))


def test_every_offer_date_is_a_price_date(cat: Catalog) -> None:
    dates = pd.to_datetime(cat.gpu_offers.as_of, format="%Y-%m-%d")
    assert dates.min() >= pd.Timestamp("2026-01-01")
    assert dates.max() <= pd.Timestamp("2026-12-03")
