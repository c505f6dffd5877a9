"""Water figures a region does not publish: a sourced fallback instead of a silent gap.

For a region without its own figure, the fallback levels are tried in order:

1. **country**: the mean of the catalog's regions in the same country that publish the
   figure (any provider for grid water, which is a property of the country's grid; the
   same provider for site WUE, which is a property of the provider's buildings);
2. **provider fleet**: the mean over the provider's regions that publish it.

Each filled figure keeps a source that names the level, how many regions it averages and
their sources, so the plan's provenance says where every value came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

WATER_FIGURES = ("wue_l_per_kwh", "grid_water_l_per_kwh")
WATER_SOURCE_COLUMN = {"wue_l_per_kwh": "wue_source", "grid_water_l_per_kwh": "grid_water_source"}
# grid water follows the grid (any provider in the country); site WUE follows the provider
SAME_PROVIDER_ONLY = {"wue_l_per_kwh": True, "grid_water_l_per_kwh": False}
MAX_SOURCES_NAMED = 1


@dataclass(frozen=True)
class WaterFallback:
    """A water figure (L/kWh) used for a region that does not publish its own."""

    region: str
    figure: str
    level: str  # "country" | "provider fleet"
    value_l_per_kwh: float
    source: str

    def as_record(self) -> dict[str, str]:
        """The plan.json form (text values, like the other data notes)."""
        return {"region": self.region, "figure": self.figure, "level": self.level,
                "value": f"{self.value_l_per_kwh:.4g} L/kWh", "source": self.source}


def fill_water(reg: pd.DataFrame, catalog_regions: pd.DataFrame
               ) -> tuple[pd.DataFrame, list[WaterFallback]]:
    """``reg`` (candidate rows with an ``id`` column) with missing water figures filled
    from ``catalog_regions`` (the whole regions table), and the fallbacks used."""
    reg = reg.copy()
    used: list[WaterFallback] = []
    for col in WATER_FIGURES:
        for i in reg.index[reg[col].isna()]:
            row = reg.loc[i]
            found = _country_level(row, col, catalog_regions) or _fleet_level(
                row, col, catalog_regions)
            if found is None:
                continue
            reg.loc[i, col] = found.value_l_per_kwh
            reg.loc[i, WATER_SOURCE_COLUMN[col]] = found.source
            used.append(found)
    return reg, used


def _country_level(row: pd.Series, col: str, regions: pd.DataFrame) -> WaterFallback | None:
    country = row["country"]
    if not isinstance(country, str) or not country:
        return None
    pool = regions[(regions["country"] == country) & regions[col].notna()]
    if SAME_PROVIDER_ONLY[col]:
        pool = pool[pool["provider"] == row["provider"]]
    if pool.empty:
        return None
    who = "the catalog's" if not SAME_PROVIDER_ONLY[col] else f"the {row['provider']}"
    return _mean(row, col, "country", pool, f"{who} regions in {country}")


def _fleet_level(row: pd.Series, col: str, regions: pd.DataFrame) -> WaterFallback | None:
    pool = regions[(regions["provider"] == row["provider"]) & regions[col].notna()]
    if pool.empty:
        return None
    return _mean(row, col, "provider fleet", pool, f"the {row['provider']} regions that publish it")


def _mean(row: pd.Series, col: str, level: str, pool: pd.DataFrame, what: str) -> WaterFallback:
    value = float(pool[col].astype(float).mean())
    ids = sorted(pool["provider"].astype(str) + "/" + pool["region"].astype(str))
    sources = sorted(set(pool[WATER_SOURCE_COLUMN[col]].astype(str)))
    more = len(sources) - MAX_SOURCES_NAMED
    named = "; ".join(sources[:MAX_SOURCES_NAMED]) + (
        f"; and {more} similar source(s)" if more > 0 else "")
    shown = ", ".join(ids[:3]) + (", …" if len(ids) > 3 else "")
    source = (f"{level} fallback (no figure for {row['id']}): derived: mean of {col} over "
              f"{len(ids)} of {what} ({shown}); from {named}")
    return WaterFallback(str(row["id"]), col, level, value, source)
