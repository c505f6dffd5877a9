"""The local store: one embedded DuckDB file holding refreshed tables and a refresh log.

Tables keep the canonical columns of :mod:`connectors.schema` plus ``connector`` (the
registry name that wrote the row). A refresh is **atomic**: every write of a run, and its
log rows, go through one transaction that is committed only when all of it succeeded; a
failure (or a killed process) rolls back to the last good data. A source that failed
this time keeps its previous rows, because rows are replaced per connector (prices,
spend) or per grid zone (hourly carbon), never wholesale.

Timestamps are stored as naive UTC ``TIMESTAMP`` (DuckDB's tz-aware type would need
pytz) and come back tz-aware UTC. No credential is ever written here: the refresh log
holds error messages that :mod:`connectors.refresh` has already redacted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from connectors.schema import TABLES

if TYPE_CHECKING:
    from connectors.catalog import Catalog

# Columns stored per data table: canonical columns + connector, with DuckDB types.
_TYPES: dict[str, dict[str, str]] = {
    "gpu_offers": {
        "provider": "VARCHAR",
        "region": "VARCHAR",
        "gpu_model": "VARCHAR",
        "instance_type": "VARCHAR",
        "gpus_per_instance": "INTEGER",
        "usd_per_instance_hour": "DOUBLE",
        "usd_per_instance_hour_spot": "DOUBLE",
        "usd_per_gpu_hour": "DOUBLE",
        "usd_per_gpu_hour_spot": "DOUBLE",
        "multi_node": "BOOLEAN",
        "quota_gpus": "DOUBLE",
        "source": "VARCHAR",
        "as_of": "VARCHAR",
    },
    "grid_hourly": {
        "grid_zone": "VARCHAR",
        "ts_utc": "TIMESTAMP",
        "ci_gco2e_per_kwh": "DOUBLE",
        "signal": "VARCHAR",
        "is_forecast": "BOOLEAN",
        "source": "VARCHAR",
        "as_of": "VARCHAR",
    },
    "spend": {
        "provider": "VARCHAR",
        "region": "VARCHAR",
        "service_or_meter": "VARCHAR",
        "period_start": "DATE",
        "period_end": "DATE",
        "cost_usd": "DOUBLE",
        "carbon_kgco2e": "DOUBLE",
        "carbon_basis": "VARCHAR",
        "source": "VARCHAR",
        "as_of": "VARCHAR",
    },
    "zone_map": {
        "provider": "VARCHAR",
        "region": "VARCHAR",
        "zone_source": "VARCHAR",
        "zone_ref": "VARCHAR",
        "provenance": "VARCHAR",
        "as_of": "VARCHAR",
    },
}
DATA_TABLES = ("gpu_offers", "grid_hourly", "spend")
_TS_COLUMNS = {"grid_hourly": ("ts_utc",)}

_LOG_DDL = """CREATE TABLE IF NOT EXISTS refresh_log (
    run_id VARCHAR, source VARCHAR, started TIMESTAMP, finished TIMESTAMP,
    status VARCHAR, rows INTEGER, message VARCHAR)"""


class StoreError(RuntimeError):
    """The store could not be read or written; the message names the file."""


@dataclass(frozen=True)
class Write:
    """Replace the rows of ``table`` where ``column == value`` by ``df`` (one slice)."""

    table: str
    df: pd.DataFrame
    column: str
    value: str


@dataclass(frozen=True)
class LogEntry:
    """One source's outcome in one refresh run (status: ok | failed | fallback | skipped)."""

    run_id: str
    source: str
    started: datetime
    finished: datetime
    status: str
    rows: int
    message: str


def _naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None)


class Store:
    """A DuckDB file at ``path``. Opening for reading never creates it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        """Whether the file exists (a refresh has run at least once)."""
        return self.path.is_file()

    @contextmanager
    def _connect(self, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.exists():
            raise StoreError(f"no store at {self.path}; run `regionplan data refresh` first")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open store {self.path}: {exc}") from exc
        try:
            yield con
        finally:
            con.close()

    @staticmethod
    def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
        for name, cols in _TYPES.items():
            ddl = ", ".join(f'"{c}" {t}' for c, t in {**cols, "connector": "VARCHAR"}.items())
            con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({ddl})")
        con.execute(_LOG_DDL)

    def commit(self, writes: Sequence[Write], log: Sequence[LogEntry]) -> None:
        """Apply every write and log entry in one transaction, or none of them.

        Raises :class:`StoreError` (after rolling back) on any failure.
        """
        with self._connect(read_only=False) as con:
            try:
                con.execute("BEGIN TRANSACTION")
                self._ensure_schema(con)
                for i, w in enumerate(writes):
                    self._apply(con, w, f"_incoming_{i}")
                for e in log:
                    con.execute(
                        "INSERT INTO refresh_log VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [
                            e.run_id,
                            e.source,
                            _naive_utc(e.started),
                            _naive_utc(e.finished),
                            e.status,
                            e.rows,
                            e.message,
                        ],
                    )
                con.execute("COMMIT")
            except duckdb.Error as exc:
                con.execute("ROLLBACK")
                raise StoreError(
                    f"store {self.path}: write failed, nothing changed: {exc}"
                ) from exc

    @staticmethod
    def _apply(con: duckdb.DuckDBPyConnection, w: Write, view: str) -> None:
        cols = list(_TYPES[w.table])
        df = w.df.copy()
        for c in cols:
            if c not in df.columns:
                df[c] = None
        for c in _TS_COLUMNS.get(w.table, ()):
            df[c] = pd.to_datetime(df[c], utc=True).dt.tz_convert(None)
        if "connector" not in df.columns:
            df["connector"] = None
        con.register(view, df[[*cols, "connector"]])
        con.execute(f'DELETE FROM {w.table} WHERE "{w.column}" = ?', [w.value])
        quoted = ", ".join(f'"{c}"' for c in [*cols, "connector"])
        con.execute(f"INSERT INTO {w.table} ({quoted}) SELECT {quoted} FROM {view}")
        con.unregister(view)

    def read(self, table: str, with_connector: bool = False) -> pd.DataFrame:
        """All rows of ``table``; canonical columns (plus ``connector`` if asked), UTC-aware."""
        with self._connect(read_only=True) as con:
            try:
                df = con.execute(f"SELECT * FROM {table}").df()
            except duckdb.CatalogException:
                return pd.DataFrame(columns=list(_TYPES[table]))
        for c in _TS_COLUMNS.get(table, ()):
            df[c] = pd.to_datetime(df[c]).dt.tz_localize(UTC)
        if table in ("spend",):
            for c in ("period_start", "period_end"):
                df[c] = pd.to_datetime(df[c]).dt.strftime("%Y-%m-%d")
        keep = list(TABLES[table].columns) if table in TABLES else list(_TYPES[table])
        return df[keep + (["connector"] if with_connector else [])]

    def log(self, limit: int | None = None) -> pd.DataFrame:
        """The refresh log, newest first (started/finished tz-aware UTC)."""
        with self._connect(read_only=True) as con:
            try:
                df = con.execute("SELECT * FROM refresh_log ORDER BY finished DESC").df()
            except duckdb.CatalogException:
                return pd.DataFrame(
                    columns=["run_id", "source", "started", "finished", "status", "rows", "message"]
                )
        for c in ("started", "finished"):
            df[c] = pd.to_datetime(df[c]).dt.tz_localize(UTC)
        return df.head(limit) if limit else df

    def last_ok(self, source: str) -> datetime | None:
        """When ``source`` last refreshed successfully (UTC), or None."""
        if not self.exists():
            return None
        df = self.log()
        ok = df[(df["source"] == source) & (df["status"] == "ok")]
        return None if ok.empty else ok["finished"].max().to_pydatetime()

    def refreshed_at(self) -> datetime | None:
        """The latest successful refresh of any source (UTC), or None."""
        if not self.exists():
            return None
        df = self.log()
        ok = df[df["status"] == "ok"]
        return None if ok.empty else ok["finished"].max().to_pydatetime()

    def counts(self) -> dict[str, int]:
        """Row count per data table (0 when absent)."""
        with self._connect(read_only=True) as con:
            out: dict[str, int] = {}
            for t in (*DATA_TABLES, "zone_map"):
                try:
                    row = con.execute(f"SELECT count(*) FROM {t}").fetchone()
                except duckdb.CatalogException:
                    row = (0,)
                out[t] = int(row[0]) if row else 0
        return out


def overlay_catalog(catalog: Catalog, store: Store) -> Catalog:
    """``catalog`` with the store's ``gpu_offers`` and ``grid_hourly`` rows laid over it.

    Store rows replace embedded rows with the same key; embedded rows the store has no
    fresher figure for stay, each with its own ``source``/``as_of``. The origin reads
    ``store <path> refreshed <time>`` (plus ``over embedded`` when rows were kept).
    """
    refreshed = store.refreshed_at()
    if refreshed is None:
        return catalog
    stamp = refreshed.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = catalog
    for table in ("gpu_offers", "grid_hourly"):
        fresh = store.read(table)
        if fresh.empty:
            continue
        base: pd.DataFrame = getattr(catalog, table)
        key = list(TABLES[table].key)
        kept = base[~base.set_index(key).index.isin(fresh.set_index(key).index)]
        for col in fresh.columns:  # DuckDB INTEGER → int32: align with the embedded dtypes
            if col in base.columns and len(base) and fresh[col].dtype != base[col].dtype:
                fresh[col] = fresh[col].astype(base[col].dtype)
        merged = pd.concat([fresh, kept], ignore_index=True) if len(kept) else fresh
        origin = f"store {store.path} refreshed {stamp}" + (" over embedded" if len(kept) else "")
        out = out.with_tables(origin, **{table: merged})
    return out
