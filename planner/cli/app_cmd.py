"""``regionplan app``: serve the Streamlit what-if app.

The planner never imports Streamlit: this command only starts ``python -m streamlit run``
on the app's entry script in a child process and waits for it. SIGTERM and SIGHUP sent to
this command are passed on to the server, so stopping ``regionplan app`` stops the app.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from planner.cli.common import fail, load_scenario_or_fail


def streamlit_app_path() -> Path:
    """Path of ``app/streamlit_app.py`` in the installed ``app`` package."""
    spec = importlib.util.find_spec("app.streamlit_app")
    if spec is None or spec.origin is None:
        fail("the 'app' package is not installed; reinstall regionplan (pip install -e .)")
    return Path(spec.origin)


def streamlit_command(scenario: Path | None, port: int | None, headless: bool,
                      address: str | None = None) -> list[str]:
    """The ``streamlit run`` command line for these options."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(streamlit_app_path()),
           "--browser.gatherUsageStats", "false"]
    if port is not None:
        cmd += ["--server.port", str(port)]
    if address is not None:
        cmd += ["--server.address", address]
    if headless:
        cmd += ["--server.headless", "true"]
    if scenario is not None:
        cmd += ["--", "--scenario", str(scenario.resolve())]
    return cmd


FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
STOP_TIMEOUT_S = 15.0


def run_child(cmd: list[str]) -> int:
    """Run ``cmd``, passing SIGTERM / SIGHUP on to it, and return its exit code (128 + the
    signal number when a signal ended it, as a shell reports it)."""
    child = subprocess.Popen(cmd)

    def forward(signum: int, _frame: FrameType | None) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in FORWARDED_SIGNALS}
    try:
        code = child.wait()
    except KeyboardInterrupt:  # Ctrl-C reaches the child too (same process group)
        code = _stop(child)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if child.poll() is None:
            _stop(child)
    return 128 - code if code < 0 else code


def _stop(child: subprocess.Popen[bytes]) -> int:
    """Terminate ``child``, killing it if it has not stopped within STOP_TIMEOUT_S."""
    child.terminate()
    try:
        return child.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()


def register(app: typer.Typer) -> None:
    """Add ``regionplan app`` to the CLI."""

    @app.command("app")
    def app_cmd(
        scenario: Annotated[Path | None, typer.Argument(
            help="Scenario YAML to open first; defaults to the bundled example.")] = None,
        port: Annotated[int | None, typer.Option("--port", min=1, max=65535,
                                                 help="Port to serve on (default 8501).")
                        ] = None,
        address: Annotated[str | None, typer.Option(
            "--address", help="Address to bind (Streamlit's default: all interfaces).")] = None,
        headless: Annotated[bool, typer.Option(
            "--headless", help="Do not open a browser window.")] = False,
    ) -> None:
        """Open the what-if app: move prices and rules, watch the plan, frontier and map."""
        if scenario is not None:
            load_scenario_or_fail(scenario)  # a bad file fails here, before the server starts
        raise typer.Exit(code=run_child(streamlit_command(scenario, port, headless, address)))
