"""Refresh the local store from every configured source, never losing or poisoning the
last good data.

Cloud price and spend sources, and the grid zones (each trying the sources of
``grid.priority`` in turn), are fetched concurrently, at most ``refresh.max_concurrency``
at a time, within one overall deadline (``refresh.deadline_s``). Every fetched batch is
validated (:mod:`connectors.validate`) before it may replace anything; a batch that fails
is rejected whole and quarantined in the store with its reason. Each source (or zone) is
then committed in its own transaction: its new rows and its log row, or, when it failed,
only the log row and the quarantined batch. A source that failed keeps its last good
rows, and the report says how old they are::

    electricitymaps: HTTP 503 after 3 tries; using data from 2026-11-20T10:00Z (2 d old)

Every message is redacted (:mod:`connectors.redact`) before it is logged or stored.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from connectors import redact as rd
from connectors.base import (
    GRID_SOURCES,
    REGISTRY,
    Connector,
    GridConnector,
    Scope,
    UnknownSourceError,
    make_connector,
    utc_now_iso,
)
from connectors.fetch import Attempt, fetch_source, fetch_zone
from connectors.http import deadline_at
from connectors.settings import Settings
from connectors.store import LOG_COLUMNS, LogEntry, Quarantined, Store, StoreSession, Write
from connectors.zones import zone_map, zones_of

log = logging.getLogger(__name__)

FAILING = ("failed", "rejected", "fallback")


@dataclass(frozen=True)
class Outcome:
    """One source's (or zone's) result in a run.

    ``status``: ok | failed (source) | rejected (source: its batch failed validation) |
    fallback (zone: every source tried failed) | not-configured (source) | not-covered
    (zone: no selected, configured source serves it).
    """

    source: str
    status: str
    rows: int
    message: str


@dataclass(frozen=True)
class RefreshReport:
    """What a refresh did (a failed store write raises :class:`~connectors.store.StoreError`)."""

    run_id: str
    store: str
    outcomes: tuple[Outcome, ...]

    def by_status(self, status: str) -> list[Outcome]:
        """Outcomes with one status."""
        return [o for o in self.outcomes if o.status == status]

    def failing(self) -> list[Outcome]:
        """Outcomes that make the refresh exit 1 (failed, rejected, fallback)."""
        return [o for o in self.outcomes if o.status in FAILING]


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in ``settings`` (to redact from messages)."""
    out: list[str] = []
    for section in settings.model_dump().values():
        if isinstance(section, dict):
            out += [
                v.get_secret_value() for v in section.values() if hasattr(v, "get_secret_value")
            ]
    return [s for s in out if s]


def register_secrets(settings: Settings) -> None:
    """Register every credential of ``settings`` and the environment for redaction."""
    rd.register_secret(*secrets_of(settings))
    wt = settings.watttime
    if wt.username is not None and wt.password is not None:
        rd.register_basic(wt.username.get_secret_value(), wt.password.get_secret_value())
    rd.register_environment()


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with every registered secret, every one of ``secrets`` and every
    credential-shaped string replaced by ``***``."""
    return rd.redact(text, secrets)


def age_text(then: datetime, now: datetime) -> str:
    """A short age: ``45 min``, ``5 h``, ``2 d``."""
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def fallback_text(store: Store, key: str, now: datetime, log: pd.DataFrame | None = None) -> str:
    """``using data from <when> (<age> old)`` or ``no previous data``.

    ``log`` is the refresh log as read before the run (spares a read per source).
    """
    last = store.last_ok(key, log)
    if last is None:
        return "no previous data in the store"
    return f"using data from {last.strftime('%Y-%m-%dT%H:%MZ')} ({age_text(last, now)} old)"


@dataclass
class _Run:
    """The state of one refresh run, touched only by the thread that commits."""

    settings: Settings
    store: Store
    now: datetime
    clock: Callable[[], datetime]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    outcomes: list[Outcome] = field(default_factory=list)
    started: dict[str, datetime] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)
    log_before: pd.DataFrame | None = None  # the refresh log as it was when the run began
    session: StoreSession | None = None  # the open connection while results are committed

    def fallback(self, key: str) -> str:
        """How old the data in use for ``key`` is (it stays in use)."""
        return fallback_text(self.store, key, self.now, self.log_before)

    def outcome(self, source: str, status: str, rows: int, message: str) -> LogEntry:
        """Record an outcome (redacted) and return its log row."""
        message = redact(message, self.secrets)
        self.outcomes.append(Outcome(source, status, rows, message))
        quiet = ("ok", "not-configured", "not-covered")
        level = logging.INFO if status in quiet else logging.WARNING
        log.log(level, "%s: %s (%d rows) %s", source, status, rows, message)
        finished = self.clock()
        return LogEntry(
            self.run_id,
            source,
            self.started.get(source, finished),
            finished,
            status,
            rows,
            message,
        )

    def quarantine(self, attempt: Attempt, target: str) -> Quarantined:
        """A rejected (or unreadable) batch as a quarantine row, redacted."""
        df = attempt.rejected
        payload = "" if df is None else df.to_json(orient="records", date_format="iso")
        return Quarantined(
            self.run_id,
            attempt.source,
            target,
            self.clock(),
            redact(attempt.message, self.secrets),
            0 if df is None else len(df),
            redact(payload, self.secrets),
        )

    def commit(
        self, writes: Sequence[Write], entries: Sequence[LogEntry], held: Sequence[Quarantined]
    ) -> None:
        """One transaction: a source's (or zone's) writes, log rows and quarantined batches."""
        if self.session is not None:
            self.session.commit(writes, entries, held)
        else:
            self.store.commit(writes, entries, held)


def _tag(df: pd.DataFrame, connector: str) -> pd.DataFrame:
    return df.assign(connector=connector)


def _source_done(run: _Run, name: str, attempt: Attempt) -> None:
    """Commit one cloud/spend source's result (or its failure) in one transaction."""
    if attempt.status == "ok":
        writes = [Write(t, _tag(df, name), "connector", name) for t, df in attempt.tables.items()]
        entry = run.outcome(name, "ok", attempt.rows, attempt.message)
        run.commit(writes, [entry], [])
        return
    back = run.fallback(name)
    entry = run.outcome(name, attempt.status, 0, f"{attempt.message}; {back}")
    held = [run.quarantine(attempt, attempt.table or name)] if attempt.status == "rejected" else []
    run.commit([], [entry], held)


@dataclass
class _GridTally:
    """Per grid source: rows served, and the error of every zone it could not serve."""

    rows: dict[str, int]
    errors: dict[str, list[str]]
    rejected_only: dict[str, bool]

    @classmethod
    def of(cls, names: Sequence[str]) -> _GridTally:
        return cls(dict.fromkeys(names, 0), {n: [] for n in names}, dict.fromkeys(names, True))


def _zone_done(run: _Run, zone: str, attempts: list[Attempt], tally: _GridTally) -> None:
    """Commit one zone: the first good batch, the log row and every rejected batch."""
    key = f"zone:{zone}"
    held = [run.quarantine(a, key) for a in attempts if a.status == "rejected"]
    tried = [a.message for a in attempts if a.status != "ok"]
    for a in attempts:
        if a.status != "ok":
            tally.errors[a.source].append(f"{zone}: {a.detail}")
            tally.rejected_only[a.source] &= a.status == "rejected"
    served = next((a for a in attempts if a.status == "ok"), None)
    if served is not None:
        df = served.tables["grid_hourly"]
        tally.rows[served.source] += len(df)
        note = f"served by {served.source}" + (f" after {'; '.join(tried)}" if tried else "")
        entry = run.outcome(key, "ok", len(df), note)
        write = Write("grid_hourly", _tag(df, served.source), "grid_zone", zone)
        run.commit([write], [entry], held)
        return
    back = run.fallback(key)
    if tried:
        entry = run.outcome(key, "fallback", 0, f"{'; '.join(tried)}; {back}")
    else:  # nothing selected and configured serves it: not a failure of this run
        entry = run.outcome(
            key, "not-covered", 0, f"no selected, configured source covers this zone; {back}"
        )
    run.commit([], [entry], held)


def _grid_summary(run: _Run, grid: Mapping[str, GridConnector], tally: _GridTally) -> None:
    entries = []
    for name, conn in grid.items():
        notes = list(getattr(conn, "notes", []))
        text = "; ".join(tally.errors[name] + notes)
        if tally.errors[name] and not tally.rows[name]:
            status = "rejected" if tally.rejected_only[name] else "failed"
            entries.append(run.outcome(name, status, 0, text))
        else:
            entries.append(run.outcome(name, "ok", tally.rows[name], text))
    run.commit([], entries, [])


def _late(run: _Run, key: str, limit_s: float) -> LogEntry:
    back = run.fallback(key)
    message = (
        f"{key}: refresh deadline of {limit_s:g} s reached before it finished "
        f"(refresh.deadline_s); {back}"
    )
    return run.outcome(key, "fallback" if key.startswith("zone:") else "failed", 0, message)


Task = tuple[str, Callable[[], object]]


def _run_tasks(run: _Run, tasks: list[Task], on_done: Callable[[str, object], None]) -> None:
    """Run ``tasks`` in a bounded pool under the refresh deadline; commit each as it ends.

    Results are handed to ``on_done`` in this thread (the only one that writes the store).
    Tasks still running at the deadline are reported late and abandoned: their requests
    see the same deadline and give up within one request timeout.
    """
    cfg = run.settings.refresh
    limit_s = cfg.deadline_s
    ends_at = time.monotonic() + limit_s
    pool = ThreadPoolExecutor(max_workers=cfg.max_concurrency, thread_name_prefix="refresh")
    pending: dict[Future[object], str] = {}
    with deadline_at(ends_at):
        for key, fn in tasks:
            run.started[key] = run.clock()
            ctx = contextvars.copy_context()
            pending[pool.submit(ctx.run, fn)] = key
    try:
        while pending:
            left = ends_at - time.monotonic()
            done, _ = wait(pending, timeout=max(0.0, left), return_when=FIRST_COMPLETED)
            if not done:
                break
            with run.store.session() as session:  # one connection per batch of results
                run.session = session
                try:
                    for fut in done:
                        on_done(pending.pop(fut), fut.result())
                finally:
                    run.session = None
        late = [run_key for run_key in pending.values()]
        if late:
            run.commit([], [_late(run, k, limit_s) for k in late], [])
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _connectors(
    run: _Run, names: Sequence[str], inject: Mapping[str, Mapping[str, object]]
) -> tuple[dict[str, Connector], dict[str, GridConnector]]:
    plain: dict[str, Connector] = {}
    grid: dict[str, GridConnector] = {}
    skipped: list[LogEntry] = []
    for name in names:
        conn = make_connector(name, run.settings, **inject.get(name, {}))
        missing = conn.missing_settings()
        if missing:
            skipped.append(run.outcome(name, "not-configured", 0, "set " + ", ".join(missing)))
        elif name in GRID_SOURCES:
            grid[name] = conn  # type: ignore[assignment]
        else:
            plain[name] = conn
    if skipped:
        run.commit([], skipped, [])
    return plain, grid


def _tasks(
    run: _Run,
    plain: Mapping[str, Connector],
    grid: Mapping[str, GridConnector],
    scope: Scope,
) -> list[Task]:
    """One task per cloud/spend source and one per grid zone, each bound to its inputs."""
    cfg = run.settings
    share = cfg.refresh.min_row_share
    tasks: list[Task] = []
    for name, conn in plain.items():
        previous = {t: run.store.slice_rows(t, "connector").get(name, 0) for t in conn.tables}

        def source_task(name: str = name, conn: Connector = conn, prev: dict[str, int] = previous):
            return fetch_source(name, conn, scope, prev, share)

        tasks.append((name, source_task))
    zone_rows = run.store.slice_rows("grid_hourly", "grid_zone")
    for zone in scope.zones:
        order = [(n, grid[n]) for n in cfg.grid.sources_for(zone) if n in grid]

        def zone_task(zone: str = zone, order: list[tuple[str, GridConnector]] = order):
            return fetch_zone(zone, order, scope, zone_rows.get(zone, 0), share)

        tasks.append((f"zone:{zone}", zone_task))
    return tasks


@functools.cache
def _embedded_regions() -> pd.DataFrame:
    from connectors.catalog import load_embedded

    return load_embedded().regions


def embedded_regions() -> pd.DataFrame:
    """The embedded catalog's regions (read once per process; a copy per call)."""
    return _embedded_regions().copy()


def refresh(
    settings: Settings,
    *,
    sources: Sequence[str] | None = None,
    regions: pd.DataFrame | None = None,
    now: datetime | None = None,
    inject: Mapping[str, Mapping[str, object]] | None = None,
) -> RefreshReport:
    """Fetch ``sources`` (default: all registered), validate, and commit each on its own.

    ``regions`` defaults to the embedded catalog's regions; ``inject`` passes keyword
    arguments to connector constructors by name (tests inject stubbed SDK clients).
    ``now`` fixes the reference time for data windows, the log and ages (tests);
    by default the wall clock is used.
    """
    names = list(sources) if sources else list(REGISTRY)
    for n in names:
        if n not in REGISTRY:
            raise UnknownSourceError(n)
    if regions is None:
        regions = embedded_regions()
    fixed = now

    def clock() -> datetime:
        return fixed or datetime.now(UTC)

    now = clock()
    register_secrets(settings)
    zones = tuple(settings.grid.zones) if settings.grid.zones is not None else zones_of(regions)
    with_grid = any(n in GRID_SOURCES for n in names) and bool(zones)
    scope = Scope(regions=regions, zones=zones if with_grid else (), now=now)
    store = Store(settings.store.path)
    run = _Run(settings, store, now, clock, secrets=secrets_of(settings))
    run.log_before = store.log() if store.exists() else pd.DataFrame(columns=LOG_COLUMNS)
    plain, grid = _connectors(run, names, inject or {})
    tally = _GridTally.of(list(grid))

    def done(key: str, result: object) -> None:
        if key.startswith("zone:"):
            _zone_done(run, key.removeprefix("zone:"), result, tally)  # type: ignore[arg-type]
        else:
            _source_done(run, key, result)  # type: ignore[arg-type]

    _run_tasks(run, _tasks(run, plain, grid, scope), done)
    if with_grid:
        _grid_summary(run, grid, tally)
        _commit_zone_map(run, regions)
    return RefreshReport(run.run_id, str(store.path), tuple(run.outcomes))


def _commit_zone_map(run: _Run, regions: pd.DataFrame) -> None:
    zmap, notes = zone_map(regions, utc_now_iso(run.now))
    writes = [
        Write("zone_map", _tag(zmap[zmap["zone_source"] == src], "zones"), "zone_source", src)
        for src in ("electricitymaps", "ukci")
    ]
    run.commit(writes, [], [])
    for note in notes:
        log.info("zones: %s", note)
