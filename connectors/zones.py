"""Region → grid zone mapping per source, each with its provenance.

* Electricity Maps: the regions table's ``grid_zone`` (its provenance is the table's
  ``grid_zone_source``).
* WattTime: ``/v3/region-from-loc`` at the region's ``lat_deg``/``lon_deg`` (looked up
  only when a WattTime lookup function is given, since it needs credentials).
* UK Carbon Intensity: NESO region ids for the UK cloud regions, from the metro each
  region is in (London → 13, Cardiff → 7 South Wales), plus the national series (GB).

The result is the ``zone_map`` table of the store: provider, region, zone_source,
zone_ref, provenance, as_of.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from connectors.base import SourceError

# (provider, region) → (NESO region id, its name, the region's metro)
UKCI_REGION_IDS: dict[tuple[str, str], tuple[int, str, str]] = {
    ("aws", "eu-west-2"): (13, "London", "London"),
    ("gcp", "europe-west2"): (13, "London", "London"),
    ("azure", "uksouth"): (13, "London", "London"),
    ("azure", "ukwest"): (7, "South Wales", "Cardiff"),
}

COLUMNS = ["provider", "region", "zone_source", "zone_ref", "provenance", "as_of"]


def zone_map(
    regions: pd.DataFrame,
    as_of: str,
    watttime_lookup: Callable[[float, float], str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Map every catalog region to each source's zone; return (rows, notes).

    A region without a ``grid_zone`` or coordinates gets no row for that source and a
    note saying so (never a guessed zone). WattTime lookup failures become notes too.
    """
    rows: list[dict[str, object]] = []
    notes: list[str] = []
    for r in regions.itertuples(index=False):
        provider, region = str(r.provider), str(r.region)
        zone = getattr(r, "grid_zone", None)
        if isinstance(zone, str) and zone:
            prov = getattr(r, "grid_zone_source", None)
            rows.append(
                _row(
                    provider,
                    region,
                    "electricitymaps",
                    zone,
                    f"catalog regions.grid_zone ({prov or 'no source given'})",
                    as_of,
                )
            )
        else:
            notes.append(f"{provider}/{region}: no grid_zone in the catalog; no live carbon")
        ukci = UKCI_REGION_IDS.get((provider, region))
        if ukci:
            rid, name, metro = ukci
            rows.append(
                _row(
                    provider,
                    region,
                    "ukci",
                    f"regionid {rid}",
                    f"regionplan zones.py: {metro} metro → NESO region {rid} "
                    f"({name}); national series for zone GB",
                    as_of,
                )
            )
        lat, lon = getattr(r, "lat_deg", None), getattr(r, "lon_deg", None)
        if watttime_lookup is None:
            continue
        if pd.isna(lat) or pd.isna(lon):
            notes.append(f"{provider}/{region}: no coordinates; no WattTime region")
            continue
        try:
            wt = watttime_lookup(float(lat), float(lon))  # type: ignore[arg-type]
        except SourceError as exc:
            notes.append(f"{provider}/{region}: WattTime region lookup failed: {exc}")
            continue
        coord = getattr(r, "coord_source", None) or "catalog"
        rows.append(
            _row(
                provider,
                region,
                "watttime",
                wt,
                f"WattTime /v3/region-from-loc at ({lat}, {lon}) from {coord}",
                as_of,
            )
        )
    return pd.DataFrame(rows, columns=COLUMNS), notes


def _row(
    provider: str, region: str, src: str, ref: str, prov: str, as_of: str
) -> dict[str, object]:
    return {
        "provider": provider,
        "region": region,
        "zone_source": src,
        "zone_ref": ref,
        "provenance": prov,
        "as_of": as_of,
    }


def zones_of(regions: pd.DataFrame) -> tuple[str, ...]:
    """Distinct grid zones of the catalog regions, sorted."""
    if "grid_zone" not in regions.columns:
        return ()
    return tuple(sorted({str(z) for z in regions["grid_zone"].dropna() if str(z)}))
