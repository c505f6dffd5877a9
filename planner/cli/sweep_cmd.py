"""``regionplan sweep``: parameter grids and Monte Carlo, serially or on Dask."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from planner.cli.common import fail, load_catalog_or_fail, load_scenario_or_fail, make_console
from planner.scenario import ScenarioError
from planner.solve import SolveOptions
from planner.sweep.engine import SWEEP_SOLVE_OPTIONS, SweepInterrupted, machine_cores, run_sweep
from planner.sweep.results import SweepStoreError
from planner.sweep.sampling import Uncertainty
from planner.sweep.spec import SweepSpec, SweepSpecError, parse_grid, valid_names
from planner.sweep.tasks import Status

console = make_console()
UNCERTAINTY_KEYS = {"grid_ci": "grid_ci_rel", "price": "price_rel", "demand": "demand_rel"}


def parse_uncertainty(items: list[str], distribution: str) -> Uncertainty:
    """``grid_ci=0.2`` / ``price=0.1`` / ``demand=0.15`` (fractions) over the defaults."""
    changes: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or key.strip() not in UNCERTAINTY_KEYS:
            fail(f"--uncertainty '{item}': write KEY=FRACTION with KEY one of "
                 f"{', '.join(UNCERTAINTY_KEYS)}, e.g. grid_ci=0.2 for ±20 %")
        try:
            changes[UNCERTAINTY_KEYS[key.strip()]] = float(text)
        except ValueError:
            fail(f"--uncertainty {key}: '{text}' is not a number (a fraction, e.g. 0.2)")
    try:
        return Uncertainty(**changes, distribution=distribution)  # type: ignore[arg-type]
    except ValueError as err:
        fail(f"--uncertainty: {err}")


class _Bar:
    """A rich progress bar over points, with rate, ETA and a count of failed points."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.task: Any = None
        self.failed = 0
        self.start, self.first = 0.0, 0

    def __call__(self, done: int, total: int, rows: list[dict[str, Any]]) -> None:
        self.failed += sum(r["status"] != Status.OPTIMAL for r in rows)
        label = "solving" if not self.failed else f"solving ({self.failed} not optimal)"
        if self.task is None:  # the first call: points already done (--resume) are not timed
            self.start, self.first = time.monotonic(), done
            self.task = self.progress.add_task(label, total=total, completed=done, rate="")
            return
        elapsed = time.monotonic() - self.start
        rate = f"{(done - self.first) / elapsed:.2f} solves/s" if elapsed > 0 else ""
        self.progress.update(self.task, completed=done, description=label, rate=rate)


def register(app: typer.Typer) -> None:
    """Add ``sweep`` to the CLI."""

    @app.command("sweep")
    def sweep_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML to sweep.")],
        grid: Annotated[list[str] | None, typer.Option(
            "--grid", help=f"PARAM=VALUES, repeatable; values '0,50,100' or a range "
                           f"'0:400:100'; PARAM one of: {valid_names()}.")] = None,
        samples: Annotated[int, typer.Option(
            "--samples", min=0, help="Monte Carlo samples per grid point (0: nominal data).")
        ] = 0,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Monte Carlo seed.")] = 0,
        uncertainty: Annotated[list[str] | None, typer.Option(
            "--uncertainty", help="KEY=FRACTION half-width, repeatable: grid_ci (default 0.2), "
                                  "price (0.1), demand (0.15).")] = None,
        distribution: Annotated[str, typer.Option(
            "--distribution", help="triangular (default) or lognormal.")] = "triangular",
        engine: Annotated[str, typer.Option(
            "--engine", help="dask (default; a local cluster unless --scheduler) or local "
                             "(serial, in this process).")] = "dask",
        scheduler: Annotated[str | None, typer.Option(
            "--scheduler", help="Address of an existing Dask scheduler, e.g. "
                                "tcp://10.0.0.5:8786.")] = None,
        workers: Annotated[int | None, typer.Option(
            "--workers", min=1, help="Worker processes of the local cluster "
                                     "(default: one per core).")] = None,
        out: Annotated[Path, typer.Option("--out", help="Directory for results.parquet, "
                                          "parts/, summary and charts.")] = Path("out/sweep"),
        resume: Annotated[bool, typer.Option(
            "--resume", help="Continue the sweep in --out, skipping finished points.")] = False,
        batch_size: Annotated[int | None, typer.Option(
            "--batch-size", min=1, help="Points per task (default: about 4 tasks per worker, "
                                        "at most 16).")] = None,
        time_limit: Annotated[float | None, typer.Option(
            "--time-limit", min=0, help="Solver time limit per solve (s).")] = None,
    ) -> None:
        """Solve a scenario over a parameter grid × Monte Carlo samples.

        Writes OUT/results.parquet (one row per solve: parameters, status, every objective
        term, solve time), OUT/summary.json, OUT/summary.md and OUT/charts.html. Finished
        points are saved as they arrive: after an interruption, --resume continues.
        """
        if engine not in ("local", "dask"):
            fail(f"--engine {engine!r}: use dask or local")
        if engine == "local" and (scheduler is not None or workers is not None):
            fail("--scheduler and --workers need --engine dask")
        if scheduler is not None and workers is not None:
            fail("--workers sizes a local cluster; with --scheduler the cluster's own workers "
                 "are used")
        if distribution not in ("triangular", "lognormal"):
            fail(f"--distribution {distribution!r}: use triangular or lognormal")
        try:
            spec = SweepSpec(parse_grid(grid or []), samples=samples, seed=seed,
                             uncertainty=parse_uncertainty(uncertainty or [], distribution))
        except SweepSpecError as err:
            fail(str(err))
        sc = load_scenario_or_fail(scenario)
        catalog = load_catalog_or_fail()
        options = SolveOptions(threads=SWEEP_SOLVE_OPTIONS.threads, time_limit_s=time_limit)
        n = len(spec.points())
        where = (f"Dask scheduler {scheduler}" if scheduler else
                 f"a local Dask cluster of {workers or machine_cores()} worker(s)"
                 if engine == "dask" else "this process (serial)")
        console.print(f"Sweeping '{sc.name}': {n} solve(s) "
                      f"({len(spec.grid.combinations())} grid point(s) × "
                      f"{max(spec.samples, 1)} sample(s)) on {where}")
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                   MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        try:
            with Progress(*columns, console=console) as progress:
                report = run_sweep(sc, catalog, spec, out, engine=engine,  # type: ignore[arg-type]
                                   scheduler=scheduler, workers=workers, resume=resume,
                                   options=options, batch_size=batch_size,
                                   on_progress=_Bar(progress))
        except (SweepSpecError, SweepStoreError, ScenarioError) as err:
            fail(str(err))
        except SweepInterrupted as err:
            fail(str(err), code=130)
        except (RuntimeError, OSError) as err:  # cluster start-up or connection
            fail(f"{type(err).__name__}: {err}", code=1)
        counts = report.status_counts
        console.print(
            f"{report.total_points} point(s): " + ", ".join(f"{v} {k}" for k, v in
                                                             sorted(counts.items()))
            + (f" ({report.skipped_points} already done)" if report.skipped_points else "")
            + f" in {report.wall_s:.1f} s")
        if counts.get(Status.OPTIMAL, 0) < report.total_points:
            console.print("[yellow]some points are not optimal; their status and message "
                          "are in results.parquet[/]")
        console.print("wrote " + escape(", ".join(str(p) for p in report.written)))
