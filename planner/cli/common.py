"""Helpers shared by CLI commands: clean failures, atomic writes, loading inputs."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from connectors.catalog import Catalog, load_catalog
from connectors.schema import SchemaError
from planner.problem import InfeasibleError
from planner.scenario import Scenario, ScenarioError, load_scenario


def make_console(stderr: bool = False) -> Console:
    """A console that stays readable in CI logs (120 columns when not a terminal)."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 120)


err_console = make_console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-screen error (no traceback) and exit with ``code``."""
    err_console.print(f"[bold red]error[/]: {escape(message)}")
    raise typer.Exit(code=code)


def fail_infeasible(console: Console, what: str, err: InfeasibleError) -> NoReturn:
    """Print why a scenario has no plan, one reason a line, and exit 1."""
    console.print(f"[bold red]infeasible[/]: {escape(what)}")
    for reason in err.reasons:
        console.print(f"  - {escape(reason)}")
    raise typer.Exit(code=1)


def load_scenario_or_fail(path: Path) -> Scenario:
    """The validated scenario at ``path`` (the guarded loader), or a clean exit 2."""
    try:
        return load_scenario(path)
    except ScenarioError as err:
        fail(str(err))


def load_catalog_or_fail() -> Catalog:
    """The embedded catalog overlaid by the local store; a broken one is a clean error."""
    from connectors.settings import SettingsError
    from connectors.store import StoreError

    try:
        return load_catalog()
    except (SchemaError, FileNotFoundError, SettingsError, StoreError) as err:
        fail(f"catalog: {err}")


def read_plan_json(path: Path) -> dict[str, Any]:
    """Read a plan.json (:func:`planner.emit.planfile.load_plan`), failing cleanly."""
    from planner.emit.planfile import PlanFileError, load_plan

    try:
        return load_plan(path)
    except PlanFileError as err:
        fail(str(err))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file and rename: never half a file."""
    from planner.emit.files import remove_stale_temps

    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; outputs are ordinary files
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
