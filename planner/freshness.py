"""How old the catalog's figures are: a date per table, and the figures past their age.

Catalog ``as_of`` cells are ISO dates (``2026-07-30``), months (``2026-04``), years
(``2024``: a yearly figure, complete at the year's end) or ranges (``2025-05-29/2026-07-30``,
dated by their end). A figure is **stale** when its date is more than
:data:`STALE_AFTER_MONTHS` calendar months before the reference date (the day the plan is
made, UTC). Cells with no date in them are reported as undated, never guessed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import pandas as pd

from planner.figures import InputFigure

STALE_AFTER_MONTHS = 18
# a date stands alone: not inside a commit hash or a longer number
_DATE = re.compile(r"(?<![0-9A-Za-z])(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?![0-9A-Za-z])")
YEAR_RANGE = (1990, 2100)


@dataclass(frozen=True)
class TableDate:
    """Which column dates a table, and what that date means."""

    table: str
    column: str
    meaning: str


# the date of each catalog table; regions also carry the year of their grid intensity
TABLE_DATES = (
    TableDate("gpu_offers", "as_of", "price date"),
    TableDate("regions", "grid_ci_year", "carbon year"),
    TableDate("regions", "as_of", "figure date"),
    TableDate("grid_profiles", "year", "profile year"),
    TableDate("grid_hourly", "as_of", "fetch time"),
    TableDate("latency", "as_of", "measurement date"),
    TableDate("latency_model", "as_of", "fit date"),
    TableDate("hardware", "as_of", "figure date"),
    TableDate("transfer", "as_of", "price date"),
    TableDate("metros", "as_of", "coordinates date"),
    TableDate("purchase_options", "as_of", "price date"),
)


def parse_as_of(value: object) -> date | None:
    """The date an ``as_of`` cell stands for (the end of a year, month or range), or None
    when the cell holds no date."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    ends = [_end_of(*m.groups()) for m in _DATE.finditer(str(value))]
    found = [d for d in ends if d is not None]
    return max(found) if found else None


def _end_of(year: str, month: str | None, day: str | None) -> date | None:
    y = int(year)
    if not YEAR_RANGE[0] <= y <= YEAR_RANGE[1]:
        return None
    if month is None:
        return date(y, 12, 31)
    m = int(month)
    if not 1 <= m <= 12:
        return None
    last = calendar.monthrange(y, m)[1]
    d = last if day is None else int(day)
    return date(y, m, d) if 1 <= d <= last else None


def stale_before(today: date) -> date:
    """The oldest date that is not stale on ``today`` (``today`` − 18 calendar months)."""
    months = today.year * 12 + today.month - 1 - STALE_AFTER_MONTHS
    y, m = divmod(months, 12)
    return date(y, m + 1, min(today.day, calendar.monthrange(y, m + 1)[1]))


def catalog_tables(catalog: Any) -> dict[str, pd.DataFrame]:
    """The tables of a catalog object by name (every DataFrame field it has)."""
    return {f.name: getattr(catalog, f.name) for f in fields(catalog)
            if isinstance(getattr(catalog, f.name), pd.DataFrame)}


def table_freshness(tables: dict[str, pd.DataFrame], today: date) -> dict[str, dict[str, Any]]:
    """``{label: {as_of, newest_as_of, age_days, stale, meaning, undated_rows}}`` per table.

    ``as_of`` is the oldest dated row (every row is at least that fresh), ``age_days`` its
    age on ``today``; ``stale`` is true when it is older than 18 months. Tables without
    the dating column (or empty) are left out.
    """
    out: dict[str, dict[str, Any]] = {}
    limit = stale_before(today)
    for td in TABLE_DATES:
        df = tables.get(td.table)
        if df is None or td.column not in df.columns or df.empty:
            continue
        dates = [parse_as_of(v) for v in df[td.column].unique()]
        dated = [d for d in dates if d is not None]
        undated = int(df[td.column].map(parse_as_of).isna().sum())
        label = td.table if td.column == "as_of" else f"{td.table}.{td.column}"
        if not dated:
            out[label] = {"as_of": None, "newest_as_of": None, "age_days": None,
                          "stale": None, "meaning": td.meaning, "undated_rows": undated}
            continue
        oldest = min(dated)
        out[label] = {"as_of": oldest.isoformat(), "newest_as_of": max(dated).isoformat(),
                      "age_days": (today - oldest).days, "stale": oldest < limit,
                      "meaning": td.meaning, "undated_rows": undated}
    return out


def stale_figures(inputs: Iterable[InputFigure], today: date) -> list[dict[str, Any]]:
    """The figures dated more than 18 months before ``today``, oldest first."""
    limit = stale_before(today)
    out = []
    for f in inputs:
        d = parse_as_of(f.as_of)
        if d is not None and d < limit:
            out.append({"figure": f.figure, "key": f.key, "as_of": f.as_of,
                        "age_days": (today - d).days})
    return sorted(out, key=lambda r: (-r["age_days"], r["figure"], r["key"]))


def summarize_stale(stale: list[dict[str, Any]], max_items: int = 4) -> list[str]:
    """One line per figure kind: how many are stale and the oldest date, e.g. for the CLI."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for s in stale:
        by_kind.setdefault(str(s["figure"]), []).append(s)
    lines = []
    for kind, rows in sorted(by_kind.items(), key=lambda kv: -kv[1][0]["age_days"]):
        keys = ", ".join(str(r["key"]) for r in rows[:max_items])
        more = f" and {len(rows) - max_items} more" if len(rows) > max_items else ""
        lines.append(f"{kind}: {len(rows)} figure(s), oldest as of {rows[0]['as_of']} "
                     f"({rows[0]['age_days'] // 30} months): {keys}{more}")
    return lines
