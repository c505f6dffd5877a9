"""Refresh the local store from every configured source, with per-zone fallback.

Order: cloud prices and spend sources, then grid carbon zone by zone, trying the sources
of ``grid.priority`` in turn. Nothing is written until every fetch has finished; then all
successful results and the log go to the store in one transaction. A source (or zone)
that failed keeps its last good rows, and the report says how old they are::

    electricitymaps: HTTP 503 after 3 tries; using data from 2026-11-20T10:00Z (2 d old)

Every message is redacted of every configured secret before it is logged or stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from connectors.base import (
    GRID_SOURCES,
    REGISTRY,
    Connector,
    GridConnector,
    Scope,
    SourceError,
    UnknownSourceError,
    make_connector,
    utc_now_iso,
)
from connectors.settings import Settings
from connectors.store import LogEntry, Store, Write
from connectors.zones import zone_map, zones_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """One source's (or zone's) result in a run.

    ``status``: ok | failed (source) | fallback (zone: every source tried failed) |
    not-configured (source) | not-covered (zone: no selected, configured source serves it).
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


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in ``settings`` (to redact from messages)."""
    out: list[str] = []
    for section in settings.model_dump().values():
        if isinstance(section, dict):
            out += [
                v.get_secret_value() for v in section.values() if hasattr(v, "get_secret_value")
            ]
    return [s for s in out if s]


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for s in secrets:
        text = text.replace(s, "***")
    return text


def age_text(then: datetime, now: datetime) -> str:
    """A short age: ``45 min``, ``5 h``, ``2 d``."""
    minutes = max(0, int((now - then).total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"


def fallback_text(store: Store, key: str, now: datetime) -> str:
    """``using data from <when> (<age> old)`` or ``no previous data``."""
    last = store.last_ok(key)
    if last is None:
        return "no previous data in the store"
    return f"using data from {last.strftime('%Y-%m-%dT%H:%MZ')} ({age_text(last, now)} old)"


@dataclass
class _Run:
    settings: Settings
    store: Store
    now: datetime
    secrets: list[str]
    clock: Callable[[], datetime]
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    writes: list[Write] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    started: dict[str, datetime] = field(default_factory=dict)

    def record(self, source: str, status: str, rows: int, message: str) -> None:
        message = redact(message, self.secrets)
        self.outcomes.append(Outcome(source, status, rows, message))
        quiet = ("ok", "not-configured", "not-covered")
        level = logging.INFO if status in quiet else logging.WARNING
        log.log(level, "%s: %s (%d rows) %s", source, status, rows, message)

    def failed(self, source: str, exc: SourceError, key: str | None = None) -> None:
        back = fallback_text(self.store, key or source, self.now)
        self.record(source, "failed", 0, f"{exc}; {back}")


def _tag(df: pd.DataFrame, connector: str) -> pd.DataFrame:
    return df.assign(connector=connector)


def _fetch_plain(run: _Run, name: str, conn: Connector, scope: Scope) -> None:
    run.started[name] = run.clock()
    try:
        result = conn.fetch(scope)
    except SourceError as exc:
        run.failed(name, exc)
        return
    for table, df in result.tables.items():
        run.writes.append(Write(table, _tag(df, name), "connector", name))
    note = "; ".join(result.notes)
    run.record(name, "ok", result.rows, note)


def _fetch_grid(run: _Run, grid: Mapping[str, GridConnector], scope: Scope) -> None:
    rows = dict.fromkeys(grid, 0)
    errors: dict[str, list[str]] = {n: [] for n in grid}
    for name in grid:
        run.started[name] = run.clock()
    for zone in scope.zones:
        tried: list[str] = []
        for name in run.settings.grid.sources_for(zone):
            conn = grid.get(name)
            if conn is None or not conn.covers(zone, scope):
                continue
            try:
                df = conn.fetch_zone(zone, scope)
            except SourceError as exc:
                tried.append(str(exc))
                errors[name].append(f"{zone}: {exc.detail}")
                continue
            run.writes.append(Write("grid_hourly", _tag(df, name), "grid_zone", zone))
            rows[name] += len(df)
            note = f"served by {name}" + (f" after {'; '.join(tried)}" if tried else "")
            run.record(f"zone:{zone}", "ok", len(df), note)
            break
        else:
            back = fallback_text(run.store, f"zone:{zone}", run.now)
            if tried:
                run.record(f"zone:{zone}", "fallback", 0, f"{'; '.join(tried)}; {back}")
            else:  # nothing selected and configured serves it: not a failure of this run
                run.record(
                    f"zone:{zone}",
                    "not-covered",
                    0,
                    f"no selected, configured source covers this zone; {back}",
                )
    for name, conn in grid.items():
        notes = list(getattr(conn, "notes", []))
        if errors[name] and not rows[name]:
            run.record(name, "failed", 0, "; ".join(errors[name] + notes))
        else:
            run.record(name, "ok", rows[name], "; ".join(errors[name] + notes))


def refresh(
    settings: Settings,
    *,
    sources: Sequence[str] | None = None,
    regions: pd.DataFrame | None = None,
    now: datetime | None = None,
    inject: Mapping[str, Mapping[str, object]] | None = None,
) -> RefreshReport:
    """Fetch ``sources`` (default: all registered) and commit the results atomically.

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
        from connectors.catalog import load_embedded

        regions = load_embedded().regions
    fixed = now

    def clock() -> datetime:
        return fixed or datetime.now(UTC)

    now = clock()
    zones = tuple(settings.grid.zones) if settings.grid.zones is not None else zones_of(regions)
    scope = Scope(regions=regions, zones=zones, now=now)
    store = Store(settings.store.path)
    run = _Run(settings, store, now, secrets_of(settings), clock)
    inject = inject or {}

    grid: dict[str, GridConnector] = {}
    for name in names:
        conn = make_connector(name, settings, **inject.get(name, {}))
        missing = conn.missing_settings()
        if missing:
            run.record(name, "not-configured", 0, "set " + ", ".join(missing))
            continue
        if name in GRID_SOURCES:
            grid[name] = conn  # type: ignore[assignment]
        else:
            _fetch_plain(run, name, conn, scope)
    if any(n in GRID_SOURCES for n in names) and zones:
        _fetch_grid(run, grid, scope)
        as_of = utc_now_iso(now)
        zmap, notes = zone_map(regions, as_of)
        for src in ("electricitymaps", "ukci"):
            part = zmap[zmap["zone_source"] == src]
            run.writes.append(Write("zone_map", _tag(part, "zones"), "zone_source", src))
        for note in notes:
            log.info("zones: %s", note)

    finished = clock()
    entries = [
        LogEntry(
            run.run_id,
            o.source,
            run.started.get(o.source, finished),
            finished,
            o.status,
            o.rows,
            o.message,
        )
        for o in run.outcomes
    ]
    store.commit(run.writes, entries)
    return RefreshReport(run.run_id, str(store.path), tuple(run.outcomes))
