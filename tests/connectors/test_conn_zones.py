"""Region → grid zone mapping with provenance, for every catalog region."""

from __future__ import annotations

import pandas as pd

from connectors.catalog import load_embedded
from connectors.zones import UKCI_REGION_IDS, zone_map, zones_of


def test_every_catalog_region_is_mapped_or_explained() -> None:
    regions = load_embedded().regions
    rows, notes = zone_map(regions, "t", watttime_lookup=lambda lat, lon: f"WT({lat:.0f})")
    em = rows[rows["zone_source"] == "electricitymaps"]
    with_zone = regions["grid_zone"].notna()
    assert len(em) == int(with_zone.sum())
    assert (em["provenance"].str.startswith("catalog regions.grid_zone (")).all()
    unexplained = [
        f"{p}/{r}"
        for p, r in regions.loc[~with_zone, ["provider", "region"]].itertuples(index=False)
        if not any(n.startswith(f"{p}/{r}:") for n in notes)
    ]
    assert unexplained == []
    wt = rows[rows["zone_source"] == "watttime"]
    assert len(wt) == int((regions["lat_deg"].notna() & regions["lon_deg"].notna()).sum())
    assert wt["provenance"].str.contains("region-from-loc").all()


def test_uk_regions_get_neso_region_ids() -> None:
    regions = load_embedded().regions
    rows, _ = zone_map(regions, "t")
    uk = rows[rows["zone_source"] == "ukci"].set_index(["provider", "region"])["zone_ref"]
    assert uk[("azure", "ukwest")] == "regionid 7"
    assert uk[("aws", "eu-west-2")] == "regionid 13"
    keys = set(map(tuple, regions[["provider", "region"]].to_numpy().tolist()))
    assert set(UKCI_REGION_IDS) <= keys  # every mapped region exists in the catalog


def test_zones_of_ignores_missing() -> None:
    df = pd.DataFrame({"grid_zone": ["DE", None, "FR", "DE"]})
    assert zones_of(df) == ("DE", "FR")
