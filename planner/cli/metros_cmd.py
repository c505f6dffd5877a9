"""``regionplan metros``: list the user metros a scenario's ``demand`` may name.

Filter: ``--jurisdiction`` (repeatable; case-insensitive, aliases such as UK, US, EU).
Output: a rich table (default), CSV or JSON on stdout, with each metro's country,
jurisdiction, coordinates, the aliases a scenario may use for it, and its source.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from connectors.catalog import Catalog, load_catalog
from connectors.schema import SchemaError
from planner.cli.regions_cmd import OutputFormat
from planner.names import METRO_ALIASES, NameResolver
from planner.scenario import ScenarioError

LISTING_COLUMNS = ("metro", "country", "jurisdiction", "lat_deg", "lon_deg", "aliases",
                   "source", "as_of")


def metro_listing(catalog: Catalog, jurisdictions: list[str] | None = None) -> pd.DataFrame:
    """The catalog's metros (filtered by jurisdiction), sorted by name, with their aliases.

    Raises ``typer.BadParameter`` for a jurisdiction the catalog does not know.
    """
    metros = catalog.metros.copy()
    if jurisdictions:
        res = NameResolver(catalog, extra_jurisdictions=metros["jurisdiction"].dropna())
        try:
            wanted = [res.jurisdiction(j, "value") for j in jurisdictions]
        except ScenarioError as err:
            raise typer.BadParameter(str(err).split(": ", 1)[1],
                                     param_hint="--jurisdiction") from None
        metros = metros[metros["jurisdiction"].isin(wanted)]
    aliases: dict[str, list[str]] = {}
    for alias, metro in sorted(METRO_ALIASES.items()):
        aliases.setdefault(metro, []).append(alias.upper() if len(alias) <= 3 else alias)
    metros["aliases"] = [", ".join(aliases.get(m, [])) for m in metros["metro"]]
    metros = metros.sort_values("metro", key=lambda s: s.str.casefold(), kind="mergesort")
    return metros.loc[:, list(LISTING_COLUMNS)].reset_index(drop=True)


def render_table(listing: pd.DataFrame, console: Console) -> None:
    """Print the listing as a rich table (the source column is left to CSV/JSON)."""
    t = Table(title=f"{len(listing)} metro(s)")
    for name, justify in (("metro", "left"), ("country", "left"), ("jurisdiction", "left"),
                          ("lat °", "right"), ("lon °", "right"), ("aliases", "left")):
        t.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in listing.itertuples(index=False):
        t.add_row(escape(r.metro), escape(r.country), escape(r.jurisdiction),
                  f"{r.lat_deg:.3f}", f"{r.lon_deg:.3f}", escape(r.aliases))
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``regionplan metros`` to the CLI."""

    @app.command("metros")
    def metros_command(
        jurisdiction: Annotated[
            list[str] | None,
            typer.Option("--jurisdiction", help="e.g. EU, UK, US, Japan (repeatable)."),
        ] = None,
        output: Annotated[
            OutputFormat, typer.Option("--format", help="table, csv or json.")
        ] = OutputFormat.table,
    ) -> None:
        """List the user metros a scenario's demand may name (with coordinates and source)."""
        try:
            catalog = load_catalog()
        except (SchemaError, FileNotFoundError) as err:
            Console(stderr=True).print(f"[bold red]error[/]: catalog: {escape(str(err))}")
            raise typer.Exit(code=2) from err
        listing = metro_listing(catalog, jurisdiction)
        if output is OutputFormat.csv:
            sys.stdout.write(listing.to_csv(index=False, lineterminator="\n"))
        elif output is OutputFormat.json:
            records = json.loads(listing.to_json(orient="records"))
            sys.stdout.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
        else:
            render_table(listing, Console())
