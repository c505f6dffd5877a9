"""Decision memos: build vs buy, and region migration (Markdown, HTML, PDF).

Memos read plans (plan.json dicts); they never re-solve. The functions here tie the pure
computations (:mod:`buildvsbuy`, :mod:`migrate`, :mod:`uncertainty`) to the document
composers and renderers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.catalog import Catalog
from planner.memo import buildvsbuy, compose_bvb, compose_migrate, migrate, render
from planner.memo.document import Document
from planner.memo.params import BuildVsBuyParams, MemoError, MigrateParams
from planner.memo.uncertainty import DEFAULT_SAMPLES, DEFAULT_SEED, MonteCarlo, Tornado

FORMATS = ("md", "html")

__all__ = ["FORMATS", "MemoError", "MemoResult", "build_vs_buy_memo", "migrate_memo",
           "write_memo"]


@dataclass(frozen=True)
class MemoResult:
    """A composed memo with the computation behind it."""

    document: Document
    result: Any
    tornado: Tornado
    monte_carlo: MonteCarlo


def build_vs_buy_memo(plan: Mapping[str, Any], params: BuildVsBuyParams, catalog: Catalog,
                      *, floor_gpus: float | None = None, floor_basis: str | None = None,
                      samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED) -> MemoResult:
    """The build-vs-buy memo for ``plan`` (a plan.json dict)."""
    r = buildvsbuy.build_vs_buy(plan, params, catalog.regions, floor_gpus, floor_basis)
    t, mc = buildvsbuy.analyse(r, samples, seed)
    return MemoResult(compose_bvb.compose(r, t, mc, plan), r, t, mc)


def migrate_memo(current: Mapping[str, Any], proposed: Mapping[str, Any], catalog: Catalog,
                 params: MigrateParams, labels: tuple[str, str], *,
                 samples: int = DEFAULT_SAMPLES, seed: int = DEFAULT_SEED) -> MemoResult:
    """The migration memo from ``current`` to ``proposed`` (plan.json dicts)."""
    m = migrate.migrate(current, proposed, catalog.transfer, catalog.regions, catalog.metros,
                        params)
    t, mc = migrate.analyse(m, current, proposed, samples, seed)
    return MemoResult(compose_migrate.compose(m, t, mc, current, proposed, labels), m, t, mc)


def write_memo(doc: Document, out_dir: Path, stem: str, formats: Sequence[str],
               pdf: bool = False) -> list[Path]:
    """Write ``stem``.md / .html (and .pdf via Chromium) into ``out_dir``; return paths.

    ``stem`` may come from a file (a plan's scenario name): it is reduced to one plain file
    name (:func:`planner.emit.files.safe_file_name`), so every file lands inside ``out_dir``.
    """
    from planner.cli.common import atomic_write_text
    from planner.emit.files import OutputPathError, check_out_dir, safe_file_name

    stem = safe_file_name(stem, fallback="memo")
    try:
        check_out_dir(out_dir, [f"{stem}.{ext}" for ext in ("md", "html", "pdf")])
    except OutputPathError as err:
        raise MemoError(str(err)) from None

    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise MemoError(f"--format {','.join(bad)}: use md and/or html (e.g. --format md,html)")
    written: list[Path] = []
    html_text = render.to_html(doc) if ("html" in formats or pdf) else ""
    if "md" in formats:
        path = out_dir / f"{stem}.md"
        atomic_write_text(path, render.to_markdown(doc))
        written.append(path)
    if "html" in formats:
        path = out_dir / f"{stem}.html"
        atomic_write_text(path, html_text)
        written.append(path)
    if pdf:
        from planner.memo.pdf import render as render_pdf

        path = out_dir / f"{stem}.pdf"
        render_pdf(html_text, pdf_path=path)
        written.append(path)
    return written
