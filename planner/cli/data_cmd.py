"""``regionplan data``: refresh the local store from live sources and show its state."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    from connectors.store import Store

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


VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log every request, retry and traceback (redacted).")
]


def _logging(verbose: bool) -> None:
    """Connector logs: redacted on stderr with ``--verbose``, otherwise kept out of output."""
    from connectors.redact import RedactingFormatter

    logger = logging.getLogger("connectors")
    for h in list(logger.handlers):
        if getattr(h, "regionplan", False):
            logger.removeHandler(h)
    handler: logging.Handler = logging.StreamHandler() if verbose else logging.NullHandler()
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.regionplan = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)


def outcome_line(source: str, status: str, rows: int, message: str) -> str:
    """One line per source or zone: ``status  source: message`` (message without its prefix)."""
    text = message.removeprefix(f"{source}: ")
    if status == "ok":
        return f"{'ok':<14} {source}: {rows} rows" + (f"; {text}" if text else "")
    return f"{status:<14} {source}: {text}"


def refresh_cmd(
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Refresh only this source (repeatable)."),
    ] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Fetch prices, spend and grid carbon into the local store.

    Every batch is validated before it replaces the last good one; each source commits on
    its own. Exit 1 when a source failed or its batch was rejected (its data is kept).
    """
    from connectors.base import UnknownSourceError
    from connectors.redact import redact
    from connectors.refresh import refresh
    from connectors.store import StoreError

    _logging(verbose)
    settings = _settings(store, config)
    try:
        report = refresh(settings, sources=source or None)
    except UnknownSourceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except StoreError as exc:
        typer.echo(redact(f"error: {exc}; the previous data is intact"), err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"refresh -> {report.store}")
    for o in report.outcomes:
        typer.echo(outcome_line(o.source, o.status, o.rows, o.message))
    bad = report.failing()
    if bad:
        typer.echo(
            f"{len(bad)} source(s)/zone(s) failed or were rejected; their previous data in "
            "the store is kept (see `regionplan data status`)."
        )
        raise typer.Exit(1)


def _age(when: datetime | None, now: datetime) -> str:
    from connectors.refresh import age_text

    return "none" if when is None else f"{when:%Y-%m-%dT%H:%MZ} ({age_text(when, now)} old)"


def _rejections(console: Console, st: Store, logdf: pd.DataFrame, now: datetime) -> None:
    """The latest rejected batch per source/zone: reason, rows, and the data still in use."""
    rejected = st.quarantined()
    if rejected.empty:
        return
    latest = rejected.drop_duplicates(["source", "target"])
    table = Table(title="rejected batches (quarantined; the data in use is kept)")
    for col in ("source", "for", "rejected", "rows", "reason", "data in use"):
        table.add_column(col, overflow="fold")
    for r in latest.itertuples():
        key = r.target if str(r.target).startswith("zone:") else r.source
        table.add_row(
            str(r.source),
            str(r.target),
            _age(r.rejected_at.to_pydatetime(), now),
            str(r.rows),
            str(r.reason),
            _age(st.last_ok(str(key), logdf), now),
        )
    console.print(table)


def status_cmd(store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Show the store: rows per table, freshness, sources, fallbacks and rejected batches."""
    from connectors.base import REGISTRY, make_connector
    from connectors.store import Store

    settings = _settings(store, config)
    st = Store(settings.store.path)
    console = Console()
    now = datetime.now(UTC)
    if not st.exists():
        console.print(f"store {st.path}: none yet (the planner uses the embedded snapshot)")
    else:
        when = st.refreshed_at()
        console.print(f"store {st.path}: last good refresh {_age(when, now)}")
        counts = Table(title="rows")
        counts.add_column("table")
        counts.add_column("rows", justify="right")
        for name, n in st.counts().items():
            counts.add_row(name, str(n))
        console.print(counts)
    logdf = st.log() if st.exists() else None
    table = Table(title="sources")
    for col in ("source", "configured", "last run", "data in use", "message"):
        table.add_column(col, overflow="fold")
    for name in REGISTRY:
        missing = make_connector(name, settings).missing_settings()
        configured = "yes" if not missing else "no: set " + "; ".join(missing)
        last, good, msg = "-", "-", ""
        if logdf is not None:
            rows = logdf[logdf["source"] == name]
            if len(rows):
                last, msg = str(rows.iloc[0]["status"]), str(rows.iloc[0]["message"])
            ok = st.last_ok(name, logdf)
            if ok:
                good = _age(ok, now)
        table.add_row(name, configured, last, good, msg)
    console.print(table)
    if logdf is not None and len(logdf):
        latest = logdf[logdf["run_id"] == logdf.iloc[0]["run_id"]]
        fell = latest[latest["status"].isin(["failed", "rejected", "fallback"])]
        for r in fell.itertuples():
            message = str(r.message).removeprefix(f'{r.source}: ')
            console.print(f"fell back: {escape(str(r.source))}: {escape(message)}")
        _rejections(console, st, logdf, now)
    console.print(freshness_table(settings.store.path, now.date()))


def freshness_table(store_path: Path, today: date) -> Table:
    """The date of every catalog table the planner reads (embedded + store), its age on
    ``today`` and whether it is older than 18 months."""
    from connectors.catalog import load_catalog
    from planner.freshness import STALE_AFTER_MONTHS, catalog_tables, table_freshness

    tables = catalog_tables(load_catalog(store_path))
    table = Table(title=f"catalog dates on {today.isoformat()} (stale: older than "
                        f"{STALE_AFTER_MONTHS} months)")
    for col in ("table", "date", "as of (oldest)", "newest", "age days", "stale"):
        table.add_column(col, overflow="fold")
    for name, f in table_freshness(tables, today).items():
        undated = f" (+{f['undated_rows']} undated rows)" if f["undated_rows"] else ""
        table.add_row(name, f["meaning"], f"{f['as_of'] or 'undated'}{undated}",
                      f["newest_as_of"] or "", "" if f["age_days"] is None else str(f["age_days"]),
                      {True: "STALE", False: "ok", None: "undated"}[f["stale"]])
    return table


def register(app: typer.Typer) -> None:
    """Add the ``data`` sub-app (refresh, status) to ``app``."""
    data = typer.Typer(help="Refresh and inspect the local data store.", no_args_is_help=True)
    data.command("refresh")(refresh_cmd)
    data.command("status")(status_cmd)
    app.add_typer(data, name="data")
