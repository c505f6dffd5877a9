"""Print a memo's HTML to PDF (and screenshots) with headless Chromium via Playwright.

Uses the system Chromium (``/usr/bin/chromium`` or ``REGIONPLAN_CHROMIUM``); never
downloads a browser. Network requests are blocked: the memo must be self-contained.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM_PATH = Path(os.environ.get("REGIONPLAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RENDER_TIMEOUT_MS = 30_000


class PdfError(RuntimeError):
    """Chromium or Playwright is missing, or the page did not render."""


def chromium_available() -> bool:
    return CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK)


def render(html_text: str, pdf_path: Path | None = None,
           screenshot_path: Path | None = None) -> list[str]:
    """Load ``html_text`` in headless Chromium; write a PDF and/or a full-page screenshot.

    Returns the URLs the page tried to fetch from outside (blocked; should be empty)."""
    if not chromium_available():
        raise PdfError(f"no Chromium at {CHROMIUM_PATH}; install it (Debian: apt-get install "
                       "chromium) or set REGIONPLAN_CHROMIUM to its path; Markdown and HTML "
                       "memos do not need it")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        raise PdfError("the playwright package is not installed; pip install playwright "
                       "(no browser download needed)") from err
    external: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM_PATH),
                                         args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 900, "height": 1200})

                def block(route) -> None:  # type: ignore[no-untyped-def]
                    external.append(route.request.url)
                    route.abort()

                page.route("http*://**/*", block)
                page.set_content(html_text, wait_until="load", timeout=RENDER_TIMEOUT_MS)
                n_charts = page.locator("figure.chart").count()
                if n_charts:
                    page.wait_for_function(
                        f"document.querySelectorAll('figure.chart .main-svg').length >= "
                        f"{n_charts}", timeout=RENDER_TIMEOUT_MS)
                if screenshot_path is not None:
                    screenshot_path.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshot_path), full_page=True)
                if pdf_path is not None:
                    pdf_path.parent.mkdir(parents=True, exist_ok=True)
                    page.emulate_media(media="print")
                    page.pdf(path=str(pdf_path), format="A4", print_background=True,
                             prefer_css_page_size=True)
            finally:
                browser.close()
    except PlaywrightError as err:
        raise PdfError(f"headless Chromium failed: {err}") from err
    return external
