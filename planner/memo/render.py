"""Render a memo :class:`Document` as Markdown or as one self-contained HTML file.

HTML inlines plotly.js once (the first chart) and nothing else is loaded from outside:
no fonts, no CDN, no images by URL. The CSS is small and print-friendly (A4, charts
fixed at 700 px so they fit the page).
"""

from __future__ import annotations

import html
import re

from planner.memo.document import Block, Bullets, Chart, Document, Para, Table

_BOLD = re.compile(r"\*\*(.+?)\*\*")

CSS = """
body{font-family:Georgia,'Times New Roman',serif;color:#1a1a1a;max-width:760px;margin:2em auto;
line-height:1.45;padding:0 1em}
h1{font-size:1.7em;margin-bottom:.1em}h2{font-size:1.25em;border-bottom:1px solid #bbb;
margin-top:1.6em;padding-bottom:.2em}.subtitle{color:#555;margin-top:0}
table{border-collapse:collapse;margin:.8em 0;font-size:.82em;width:100%}
th,td{border:1px solid #ccc;padding:.25em .45em;vertical-align:top;text-align:left}
th{background:#f0f0f0}td.n{text-align:right;white-space:nowrap}
caption{caption-side:bottom;text-align:left;color:#555;font-size:.9em;padding-top:.3em}
figure{margin:1em 0;page-break-inside:avoid}figcaption{color:#555;font-size:.9em}
.appendix table{font-size:.7em}.appendix td{word-break:break-word}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}
"""


def _md_inline(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> list[str]:
    out = ["| " + " | ".join(_md_inline(c) for c in t.columns) + " |"]
    aligns = t.numeric or (False,) * len(t.columns)
    out.append("|" + "|".join("---:" if a else "---" for a in aligns) + "|")
    out += ["| " + " | ".join(_md_inline(c) for c in row) + " |" for row in t.rows]
    if t.caption:
        out += ["", f"*{t.caption}*"]
    return out


def _md_block(b: Block) -> list[str]:
    if isinstance(b, Para):
        return [b.text]
    if isinstance(b, Bullets):
        return [f"- {i}" for i in b.items]
    if isinstance(b, Table):
        return _md_table(b)
    return [f"**Chart — {b.figure.layout.title.text}.** {b.caption} (Interactive chart in the "
            "HTML memo; the data:)", "", *_md_table(b.data)]


def to_markdown(doc: Document) -> str:
    """The memo as GitHub-flavoured Markdown (charts as their data tables)."""
    lines = [f"# {doc.title}", "", f"*{doc.subtitle}*", ""]
    for k, v in doc.meta.items():
        lines.append(f"- {k}: {v}")
    if doc.meta:
        lines.append("")
    for s in doc.sections:
        lines += [f"## {s.title}", ""]
        for b in s.blocks:
            lines += _md_block(b) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _h(text: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", html.escape(text))


def _html_table(t: Table) -> str:
    aligns = t.numeric or (False,) * len(t.columns)
    head = "".join(f"<th>{_h(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td class=\"{'n' if a else ''}\">{_h(c)}</td>"
                                    for c, a in zip(row, aligns, strict=False)) + "</tr>"
                   for row in t.rows)
    cap = f"<caption>{_h(t.caption)}</caption>" if t.caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_chart(c: Chart, first: bool) -> str:
    fig_html = c.figure.to_html(full_html=False, include_plotlyjs=True if first else False,
                                include_mathjax=False, div_id=f"chart-{c.key}",
                                config={"displayModeBar": False, "responsive": False})
    return (f"<figure class=\"chart\" id=\"fig-{c.key}\">{fig_html}"
            f"<figcaption>{_h(c.caption)}</figcaption></figure>")


def to_html(doc: Document) -> str:
    """One self-contained HTML file (plotly.js inlined once, no external assets)."""
    parts = [f"<h1>{_h(doc.title)}</h1><p class=\"subtitle\">{_h(doc.subtitle)}</p>"]
    if doc.meta:
        parts.append("<ul class=\"meta\">" + "".join(
            f"<li>{_h(k)}: {_h(v)}</li>" for k, v in doc.meta.items()) + "</ul>")
    first = True
    for s in doc.sections:
        cls = " class=\"appendix\"" if s.title.startswith("Appendix") else ""
        parts.append(f"<section{cls}><h2>{_h(s.title)}</h2>")
        for b in s.blocks:
            if isinstance(b, Para):
                parts.append(f"<p>{_h(b.text)}</p>")
            elif isinstance(b, Bullets):
                parts.append("<ul>" + "".join(f"<li>{_h(i)}</li>" for i in b.items) + "</ul>")
            elif isinstance(b, Table):
                parts.append(_html_table(b))
            else:
                parts.append(_html_chart(b, first))
                first = False
        parts.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(doc.title)}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
