"""End to end in a real browser: serve the app on 127.0.0.1, drive Debian's Chromium.

Starts ``streamlit run app/streamlit_app.py`` on a free port, waits for
``/_stcore/health``, loads the page in headless Chromium (Playwright with
``executable_path=/usr/bin/chromium``: no browser download), moves the carbon-price slider
with the keyboard, checks the KPI text changed and saves ``test-artifacts/app.png``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACT = ROOT / "test-artifacts" / "app.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
START_TIMEOUT_S = 60
SOLVE_TIMEOUT_MS = 180_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian chromium at /usr/bin/chromium (.ci/run installs it)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not become healthy:\n{log.read_text()}")
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_slider_moves_the_kpis(app_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            page.goto(app_url)
            priced = (page.locator('[data-testid="stMetric"]').filter(has_text="Priced total")
                      .locator('[data-testid="stMetricValue"]'))
            priced.wait_for(timeout=SOLVE_TIMEOUT_MS)
            before = priced.inner_text()
            assert before.startswith("$")

            thumb = (page.locator('[data-testid="stSlider"]').filter(has_text="Carbon price")
                     .get_by_role("slider"))
            thumb.focus()
            for _ in range(10):  # ten steps of $10: $100 → $200/tCO2e
                page.keyboard.press("ArrowRight")
            # each key press may rerun the app; wait for the run at the final price
            page.get_by_text("Plan at $200/tCO2e").wait_for(timeout=SOLVE_TIMEOUT_MS)
            page.wait_for_function(
                """([sel, old]) => {
                       const el = document.querySelectorAll(sel);
                       for (const m of el) {
                         if (m.innerText.includes('Priced total')) {
                           const v = m.querySelector('[data-testid="stMetricValue"]');
                           return v && v.innerText !== old;
                         }
                       }
                       return false;
                   }""",
                arg=['[data-testid="stMetric"]', before], timeout=SOLVE_TIMEOUT_MS)
            after = priced.inner_text()
            assert after != before and after.startswith("$")
            assert page.get_by_text("Plan at $200/tCO2e").count() == 1
            page.get_by_text("Where the plan runs").first.wait_for()
            page.wait_for_timeout(1500)  # let plotly finish drawing before the screenshot
            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACT), full_page=True)
        finally:
            browser.close()
    assert ARTIFACT.stat().st_size > 10_000


def test_map_outlines_draw_with_the_network_blocked(app_url: str) -> None:
    """Every request leaving 127.0.0.1 is refused; the map still draws country outlines
    (shipped Natural Earth rings), and nothing asks a CDN for map shapes."""
    from playwright.sync_api import sync_playwright

    refused: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1400})

            def block(route) -> None:  # type: ignore[no-untyped-def]
                if route.request.url.startswith(app_url):
                    route.continue_()
                else:
                    refused.append(route.request.url)
                    route.abort()

            page.route("**/*", block)
            page.goto(app_url)
            page.get_by_text("Where the plan runs").first.wait_for(timeout=SOLVE_TIMEOUT_MS)
            # the outline trace is one long path (≈10,000 points) inside the geo subplot
            page.wait_for_function(
                """() => Array.from(document.querySelectorAll('.geo .scattergeo path.js-line'))
                         .some(p => (p.getAttribute('d') || '').length > 20000)""",
                timeout=SOLVE_TIMEOUT_MS)
        finally:
            browser.close()
    assert not [u for u in refused if "plot.ly" in u or "topojson" in u]
