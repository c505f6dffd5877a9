"""``regionplan app``: serve the Streamlit what-if app.

The planner never imports Streamlit: this command only starts ``python -m streamlit run``
on the app's entry script in a child process and waits for it.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
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
        cmd = streamlit_command(scenario, port, headless, address)
        try:
            code = subprocess.call(cmd)
        except KeyboardInterrupt:
            code = 0
        raise typer.Exit(code=code)
