"""The local store: one embedded DuckDB file holding refreshed tables, a refresh log and
the quarantine of rejected batches.

Tables keep the canonical columns of :mod:`connectors.schema` plus ``connector`` (the
registry name that wrote the row). Each :meth:`Store.commit` is **one transaction**:
the refresh commits once per source (or grid zone), so a source's new rows, its log
row and any quarantined batch become visible together or not at all; a failure (or a
killed process) leaves that source's tables exactly as they were. A source that failed
keeps its previous rows, because rows are replaced per connector (prices, spend) or per
grid zone (hourly carbon), never wholesale.

This module knows tables, not the catalog: :mod:`connectors.catalog` reads the store,
never the other way round.

Timestamps are stored as naive UTC ``TIMESTAMP`` (DuckDB's tz-aware type would need
pytz) and come back tz-aware UTC. No credential is ever written here: the refresh log
and the quarantine hold texts that :mod:`connectors.refresh` has already redacted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from connectors.schema import TABLES

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
# What a connector that does not know a column leaves there (contract of gpu_offers).
_ABSENT: dict[tuple[str, str], object] = {("gpu_offers", "multi_node"): False}

_LOG_DDL = """CREATE TABLE IF NOT EXISTS refresh_log (
    run_id VARCHAR, source VARCHAR, started TIMESTAMP, finished TIMESTAMP,
    status VARCHAR, rows INTEGER, message VARCHAR)"""
LOG_COLUMNS = ("run_id", "source", "started", "finished", "status", "rows", "message")
_QUARANTINE_DDL = """CREATE TABLE IF NOT EXISTS quarantine (
    run_id VARCHAR, source VARCHAR, target VARCHAR, rejected_at TIMESTAMP,
    reason VARCHAR, rows INTEGER, payload VARCHAR)"""
QUARANTINE_COLUMNS = ("run_id", "source", "target", "rejected_at", "reason", "rows", "payload")


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
class Quarantined:
    """A rejected batch: who sent it (``source``), what it would have replaced (``target``:
    a table, or ``zone:<id>``), why, and its rows as JSON records (``payload``, redacted;
    empty when the body could not be read into rows at all)."""

    run_id: str
    source: str
    target: str
    rejected_at: datetime
    reason: str
    rows: int
    payload: str


@dataclass(frozen=True)
class LogEntry:
    """One source's outcome in one refresh run.

    ``status``: ok | failed | rejected | fallback | not-configured | not-covered.
    """

    run_id: str
    source: str
    started: datetime
    finished: datetime
    status: str
    rows: int
    message: str


def _naive_utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(tzinfo=None)


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name, cols in _TYPES.items():
        typed = {**cols, "connector": "VARCHAR"}
        ddl = ", ".join(f'"{c}" {t}' for c, t in typed.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({ddl})")
        for c, t in typed.items():  # a store written before a column existed
            con.execute(f'ALTER TABLE {name} ADD COLUMN IF NOT EXISTS "{c}" {t}')
    con.execute(_LOG_DDL)
    con.execute(_QUARANTINE_DDL)


def _apply(con: duckdb.DuckDBPyConnection, w: Write, view: str) -> None:
    """Replace the slice ``w.column == w.value`` of ``w.table`` by ``w.df``."""
    cols = list(_TYPES[w.table])
    df = w.df.copy()
    for c in cols:
        if c not in df.columns:
            df[c] = _ABSENT.get((w.table, c))
    for c in _TS_COLUMNS.get(w.table, ()):
        df[c] = pd.to_datetime(df[c], utc=True).dt.tz_convert(None)
    if "connector" not in df.columns:
        df["connector"] = None
    con.register(view, df[[*cols, "connector"]])
    con.execute(f'DELETE FROM {w.table} WHERE "{w.column}" = ?', [w.value])
    quoted = ", ".join(f'"{c}"' for c in [*cols, "connector"])
    con.execute(f"INSERT INTO {w.table} ({quoted}) SELECT {quoted} FROM {view}")
    con.unregister(view)


@dataclass
class StoreSession:
    """An open connection to the store; each :meth:`commit` is its own transaction."""

    path: Path
    con: duckdb.DuckDBPyConnection

    def commit(
        self,
        writes: Sequence[Write],
        log: Sequence[LogEntry],
        quarantine: Sequence[Quarantined] = (),
    ) -> None:
        """Apply every write, log entry and quarantined batch in one transaction, or none.

        Raises :class:`StoreError` (after rolling back) on any failure.
        """
        con = self.con
        try:
            con.execute("BEGIN TRANSACTION")
            for i, w in enumerate(writes):
                _apply(con, w, f"_incoming_{i}")
            for q in quarantine:
                con.execute(
                    "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        q.run_id,
                        q.source,
                        q.target,
                        _naive_utc(q.rejected_at),
                        q.reason,
                        q.rows,
                        q.payload,
                    ],
                )
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
            raise StoreError(f"store {self.path}: write failed, nothing changed: {exc}") from exc


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

    def commit(
        self,
        writes: Sequence[Write],
        log: Sequence[LogEntry],
        quarantine: Sequence[Quarantined] = (),
    ) -> None:
        """Apply every write, log entry and quarantined batch in one transaction, or none.

        Raises :class:`StoreError` (after rolling back) on any failure.
        """
        with self.session() as session:
            session.commit(writes, log, quarantine)

    @contextmanager
    def session(self) -> Iterator[StoreSession]:
        """One open connection for several transactions (opening one costs more than a
        small transaction); the file stays locked for writing while it is open."""
        with self._connect(read_only=False) as con:
            try:
                _ensure_schema(con)
            except duckdb.Error as exc:
                raise StoreError(f"store {self.path}: cannot prepare tables: {exc}") from exc
            yield StoreSession(self.path, con)

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
                return pd.DataFrame(columns=list(LOG_COLUMNS))
        for c in ("started", "finished"):
            df[c] = pd.to_datetime(df[c]).dt.tz_localize(UTC)
        return df.head(limit) if limit else df

    def last_ok(self, source: str, log: pd.DataFrame | None = None) -> datetime | None:
        """When ``source`` last refreshed successfully (UTC), or None.

        ``log`` is a refresh log already read (:meth:`log`), to spare a read per source.
        """
        if log is None:
            if not self.exists():
                return None
            log = self.log()
        ok = log[(log["source"] == source) & (log["status"] == "ok")]
        return None if ok.empty else ok["finished"].max().to_pydatetime()

    def refreshed_at(self) -> datetime | None:
        """The latest successful refresh of any source (UTC), or None."""
        if not self.exists():
            return None
        df = self.log()
        ok = df[df["status"] == "ok"]
        return None if ok.empty else ok["finished"].max().to_pydatetime()

    def slice_rows(self, table: str, column: str) -> dict[str, int]:
        """Rows of ``table`` per value of ``column`` (what each slice's last good batch had)."""
        if not self.exists():
            return {}
        with self._connect(read_only=True) as con:
            try:
                rows = con.execute(
                    f'SELECT "{column}", count(*) FROM {table} GROUP BY 1'
                ).fetchall()
            except duckdb.CatalogException:
                return {}
        return {str(k): int(n) for k, n in rows}

    def quarantined(self, limit: int | None = None) -> pd.DataFrame:
        """Rejected batches, newest first (``rejected_at`` tz-aware UTC)."""
        with self._connect(read_only=True) as con:
            try:
                df = con.execute("SELECT * FROM quarantine ORDER BY rejected_at DESC").df()
            except duckdb.CatalogException:
                return pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
        df["rejected_at"] = pd.to_datetime(df["rejected_at"]).dt.tz_localize(UTC)
        return df.head(limit) if limit else df

    def counts(self) -> dict[str, int]:
        """Row count per data table (0 when absent)."""
        with self._connect(read_only=True) as con:
            out: dict[str, int] = {}
            for t in (*DATA_TABLES, "zone_map", "quarantine"):
                try:
                    row = con.execute(f"SELECT count(*) FROM {t}").fetchone()
                except duckdb.CatalogException:
                    row = (0,)
                out[t] = int(row[0]) if row else 0
        return out
