"""``regionplan regions``: list the catalog's cloud regions with their key figures.

Filters: ``--cloud`` (repeatable), ``--jurisdiction`` (repeatable), ``--gpu`` (regions that
offer that GPU model). Output: a rich table (default), CSV or JSON on stdout. Missing
figures are shown as missing (``—`` in the table, empty in CSV, ``null`` in JSON), never
filled in.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectors.catalog import Catalog, load_catalog
from connectors.schema import SchemaError
from planner.names import NameResolver
from planner.scenario import ScenarioError

PROVIDERS = ("aws", "azure", "gcp")
LISTING_COLUMNS = (
    "provider",
    "region",
    "display_name",
    "jurisdiction",
    "grid_ci_gco2e_per_kwh",
    "pue",
    "wue_l_per_kwh",
    "gpu_offers",
    "min_usd_per_gpu_hour",
    "min_usd_per_gpu_hour_spot",
    "in_service",
    "has_coords",
)


class OutputFormat(StrEnum):
    """How ``regionplan regions`` prints its result."""

    table = "table"
    csv = "csv"
    json = "json"


def _choose(values: list[str] | None, valid: list[str], flag: str) -> list[str] | None:
    """Match ``values`` case-insensitively against ``valid``; BadParameter names the valid ones."""
    if not values:
        return None
    by_key = {v.casefold(): v for v in valid}
    unknown = [v for v in values if v.casefold() not in by_key]
    if unknown:
        raise typer.BadParameter(
            f"unknown value(s) {', '.join(repr(u) for u in unknown)}; valid: {', '.join(valid)}",
            param_hint=flag,
        )
    return [by_key[v.casefold()] for v in values]


def _resolved(resolve: Callable[[str, str], str], value: str, flag: str) -> str:
    """``resolve(value)`` (case-insensitive, aliases); BadParameter names the valid values."""
    try:
        return resolve(value, "value")
    except ScenarioError as err:
        raise typer.BadParameter(str(err).split(": ", 1)[1], param_hint=flag) from None


def region_listing(
    catalog: Catalog,
    clouds: list[str] | None = None,
    jurisdictions: list[str] | None = None,
    gpu: str | None = None,
) -> pd.DataFrame:
    """Regions matching the filters, one row each, with the columns of ``LISTING_COLUMNS``.

    ``gpu_offers`` counts the GPU offers in the region (of model ``gpu`` when given).
    ``min_usd_per_gpu_hour`` is the cheapest on-demand USD per GPU-hour of model ``gpu``
    in the region and ``min_usd_per_gpu_hour_spot`` the cheapest sourced spot price (missing
    where no offer has one); both are only filled when ``gpu`` is given (a minimum across
    different GPU models would compare unlike things). With ``gpu`` set, only regions
    offering it (on-demand or spot) remain.
    Raises ``typer.BadParameter`` for a filter value the catalog does not know.
    """
    regions, offers = catalog.regions, catalog.gpu_offers
    clouds = _choose(clouds, list(PROVIDERS), "--cloud")
    names = NameResolver(catalog)
    if jurisdictions:
        jurisdictions = [_resolved(names.jurisdiction, j, "--jurisdiction") for j in jurisdictions]
    if gpu is not None:
        gpu = _resolved(names.gpu, gpu, "--gpu")
        offers = offers[offers.gpu_model == gpu]
    grouped = offers.groupby(["provider", "region"])
    per_region = pd.DataFrame({
        "gpu_offers": grouped.size(),
        "min_usd_per_gpu_hour": grouped.usd_per_gpu_hour.min(),
        "min_usd_per_gpu_hour_spot": grouped.usd_per_gpu_hour_spot.min(),
    })  # fmt: skip
    out = regions.merge(per_region, left_on=["provider", "region"], right_index=True, how="left")
    out["gpu_offers"] = out.gpu_offers.fillna(0).astype(int)  # a count: no offers = 0
    out["has_coords"] = out.lat_deg.notna() & out.lon_deg.notna()
    if clouds:
        out = out[out.provider.isin(clouds)]
    if jurisdictions:
        out = out[out.jurisdiction.isin(jurisdictions)]
    if gpu is None:
        out["min_usd_per_gpu_hour"] = out["min_usd_per_gpu_hour_spot"] = math.nan
    else:
        out = out[out.gpu_offers > 0]
    out = out.sort_values(["provider", "region"], kind="mergesort")
    return out.loc[:, list(LISTING_COLUMNS)].reset_index(drop=True)


def _cell(value: Any, fmt: str) -> str:
    """Format one table cell; missing values show as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format(value, fmt)


def render_table(listing: pd.DataFrame, gpu: str | None, console: Console) -> None:
    """Print the listing as a rich table (units in the headers)."""
    title = f"{len(listing)} region(s)" + (f" offering {gpu}" if gpu else "")
    t = Table(title=title)
    price_cols = ((f"{gpu} on-demand $/GPU-h", "right"), (f"{gpu} spot $/GPU-h", "right")) \
        if gpu else (("GPU offers", "right"),)
    for name, justify in (
        ("provider", "left"),
        ("region", "left"),
        ("name", "left"),
        ("jurisdiction", "left"),
        ("grid gCO2e/kWh", "right"),
        ("PUE", "right"),
        ("WUE L/kWh", "right"),
        *price_cols,
        ("in service", "center"),
        ("coords", "center"),
    ):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in listing.itertuples(index=False):
        offer = ([_cell(r.min_usd_per_gpu_hour, ".2f"), _cell(r.min_usd_per_gpu_hour_spot, ".2f")]
                 if gpu else [str(r.gpu_offers)])
        t.add_row(
            r.provider,
            r.region,
            _cell(r.display_name, ""),
            _cell(r.jurisdiction, ""),
            _cell(r.grid_ci_gco2e_per_kwh, ".1f"),
            _cell(r.pue, ".3g"),
            _cell(r.wue_l_per_kwh, ".3g"),
            *offer,
            "yes" if r.in_service else "no",
            "yes" if r.has_coords else "no",
        )
    console.print(t)


def listing_json(listing: pd.DataFrame) -> str:
    """The listing as a JSON array of objects; missing figures are ``null``."""
    records = json.loads(listing.to_json(orient="records"))
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


def register(app: typer.Typer) -> None:
    """Add ``regionplan regions`` to the CLI."""

    @app.command("regions")
    def regions_command(
        cloud: Annotated[
            list[str] | None,
            typer.Option("--cloud", help="aws, gcp or azure (repeatable)."),
        ] = None,
        jurisdiction: Annotated[
            list[str] | None,
            typer.Option("--jurisdiction", help="e.g. EU, 'United States' (repeatable)."),
        ] = None,
        gpu: Annotated[
            str | None,
            typer.Option("--gpu", help="Only regions offering this GPU model, e.g. H100."),
        ] = None,
        output: Annotated[
            OutputFormat, typer.Option("--format", help="table, csv or json.")
        ] = OutputFormat.table,
    ) -> None:
        """List cloud regions with grid carbon, PUE, WUE and GPU prices from the catalog."""
        try:
            catalog = load_catalog()
        except (SchemaError, FileNotFoundError) as err:
            Console(stderr=True).print(f"[bold red]error[/]: catalog: {escape(str(err))}")
            raise typer.Exit(code=2) from err
        listing = region_listing(catalog, cloud, jurisdiction, gpu)
        if output is OutputFormat.csv:
            sys.stdout.write(listing.to_csv(index=False, lineterminator="\n"))
        elif output is OutputFormat.json:
            sys.stdout.write(listing_json(listing))
        else:
            render_table(listing, gpu and listing_gpu_name(catalog, gpu), Console())


def listing_gpu_name(catalog: Catalog, gpu: str) -> str:
    """The catalog's spelling of ``gpu`` (the filter is case-insensitive, with aliases)."""
    return NameResolver(catalog).gpu(gpu, "--gpu")
