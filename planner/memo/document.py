"""A memo as plain data: sections of paragraphs, bullet lists, tables and charts.

Composers (:mod:`planner.memo.compose_bvb`, :mod:`planner.memo.compose_migrate`) build a
:class:`Document`; :mod:`planner.memo.render` turns it into Markdown or HTML. Paragraph
text may use ``**bold**``; nothing else is interpreted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import plotly.graph_objects as go


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    numeric: tuple[bool, ...] = ()


@dataclass(frozen=True, eq=False)
class Chart:
    """A plotly figure with a caption and the same data as a table (for Markdown)."""

    key: str
    figure: go.Figure
    caption: str
    data: Table


Block = Para | Bullets | Table | Chart


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: tuple[Section, ...]
    meta: dict[str, str] = field(default_factory=dict)

    def headings(self) -> list[str]:
        """Section titles in order (the memo's golden structure)."""
        return [s.title for s in self.sections]


# ---------------------------------------------------------------------------------------------
# Number formatting for readers


def usd(x: float, signed: bool = False) -> str:
    """$1,234 / $1.23M / −$12 (signed adds +)."""
    if not math.isfinite(x):
        return "n/a"
    sign = "−" if x < 0 else ("+" if signed and x > 0 else "")
    a = abs(x)
    if a >= 1e9:
        body = f"${a / 1e9:,.2f}B"
    elif a >= 1e6:
        body = f"${a / 1e6:,.2f}M"
    elif a >= 100:
        body = f"${a:,.0f}"
    elif a >= 1:
        body = f"${a:,.2f}"
    else:
        body = f"${a:.4g}"
    return sign + body


def num(x: float | None, unit: str = "", digits: int = 3, signed: bool = False) -> str:
    """A number with ``digits`` significant figures (thousands separated) and a unit."""
    if x is None or not math.isfinite(x):
        return "n/a"
    sign = "−" if x < 0 else ("+" if signed and x > 0 else "")
    a = abs(x)
    if a == 0:
        body = "0"
    elif a >= 10 ** digits:
        body = f"{a:,.0f}"
    else:
        body = f"{a:,.{digits}g}" if a >= 1 else f"{a:.{digits}g}"
    return f"{sign}{body}{(' ' + unit) if unit else ''}"


def days(x: float) -> str:
    if not math.isfinite(x):
        return "never (no saving)"
    if x < 1:
        return "immediately (no one-time cost)" if x == 0 else "under a day"
    return f"{x:,.0f} days" + (f" (~{x / 365:.1f} years)" if x > 365 else "")
