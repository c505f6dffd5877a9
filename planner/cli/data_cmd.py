"""``regionplan data``: refresh the local store from live sources and show its state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

log = logging.getLogger(__name__)

StoreOpt = Annotated[
    Path | None, typer.Option("--store", help="DuckDB store path (default: user data dir).")
]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Settings file (.toml/.yaml).")]


def _settings(store: Path | None, config: Path | None):  # type: ignore[no-untyped-def]
    from connectors.settings import SettingsError, load_settings

    try:
        over = {"store": {"path": store}} if store else {}
        return load_settings(config_file=config, overrides=over)
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def refresh_cmd(
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Refresh only this source (repeatable)."),
    ] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Fetch prices, spend and grid carbon into the local store (atomic, with fallback)."""
    from connectors.base import UnknownSourceError
    from connectors.refresh import refresh
    from connectors.store import StoreError

    settings = _settings(store, config)
    console = Console()
    try:
        report = refresh(settings, sources=source or None)
    except UnknownSourceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except StoreError as exc:
        typer.echo(f"error: {exc}; the previous data is intact", err=True)
        raise typer.Exit(1) from exc
    table = Table(title=f"refresh → {report.store}")
    for col in ("source", "status", "rows", "message"):
        table.add_column(col, overflow="fold")
    for o in report.outcomes:
        table.add_row(o.source, o.status, str(o.rows), o.message)
    console.print(table)
    bad = report.by_status("failed") + report.by_status("fallback")
    if bad:
        console.print(
            f"{len(bad)} source(s)/zone(s) failed; their previous data in the store is kept "
            "(see messages above)."
        )
        raise typer.Exit(1)


def status_cmd(store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Show the store: rows per table, freshness, configured sources, last fallbacks."""
    from connectors.base import REGISTRY, make_connector
    from connectors.refresh import age_text
    from connectors.store import Store

    settings = _settings(store, config)
    st = Store(settings.store.path)
    console = Console()
    now = datetime.now(UTC)
    if not st.exists():
        console.print(f"store {st.path}: none yet (the planner uses the embedded snapshot)")
    else:
        when = st.refreshed_at()
        age = f" ({age_text(when, now)} old)" if when else ""
        console.print(f"store {st.path}: last good refresh {when or 'never'}{age}")
        counts = Table(title="rows")
        counts.add_column("table")
        counts.add_column("rows", justify="right")
        for name, n in st.counts().items():
            counts.add_row(name, str(n))
        console.print(counts)
    logdf = st.log() if st.exists() else None
    table = Table(title="sources")
    for col in ("source", "configured", "last run", "last good", "message"):
        table.add_column(col, overflow="fold")
    for name in REGISTRY:
        missing = make_connector(name, settings).missing_settings()
        configured = "yes" if not missing else "no: set " + "; ".join(missing)
        last, good, msg = "-", "-", ""
        if logdf is not None:
            rows = logdf[logdf["source"] == name]
            if len(rows):
                last, msg = str(rows.iloc[0]["status"]), str(rows.iloc[0]["message"])
            ok = st.last_ok(name)
            if ok:
                good = f"{ok:%Y-%m-%dT%H:%MZ} ({age_text(ok, now)} old)"
        table.add_row(name, configured, last, good, msg)
    console.print(table)
    if logdf is not None and len(logdf):
        latest = logdf[logdf["run_id"] == logdf.iloc[0]["run_id"]]
        fell = latest[latest["status"].isin(["failed", "fallback"])]
        for r in fell.itertuples():
            console.print(f"fell back: {escape(str(r.source))}: {escape(str(r.message))}")


def register(app: typer.Typer) -> None:
    """Add the ``data`` sub-app (refresh, status) to ``app``."""
    data = typer.Typer(help="Refresh and inspect the local data store.", no_args_is_help=True)
    data.command("refresh")(refresh_cmd)
    data.command("status")(status_cmd)
    app.add_typer(data, name="data")
