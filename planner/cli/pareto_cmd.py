"""``regionplan pareto``: trace the cost–carbon frontier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from planner.cli.common import (
    atomic_write_text,
    fail,
    fail_infeasible,
    load_catalog_or_fail,
    load_scenario_or_fail,
    make_console,
)
from planner.problem import InfeasibleError
from planner.scenario import ScenarioError
from planner.session import PlanSession, SolverError

console = make_console()


def register(app: typer.Typer) -> None:
    """Add ``pareto`` to the CLI."""

    @app.command("pareto")
    def pareto_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
        points: Annotated[int, typer.Option("--points", min=2, max=201,
                                            help="Plans on the frontier.")] = 21,
        out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("out"),
        png: Annotated[bool, typer.Option("--png/--no-png", help="Also write frontier.png "
                                          "(needs Chromium for plotly's image export).")] = True,
    ) -> None:
        """Trace cost vs carbon (ε-constraint), mark the knee and the $/tCO2e between points."""
        from planner.charts import frontier_figure, write_figure
        from planner.pareto import trace_frontier

        sc = load_scenario_or_fail(scenario)
        catalog = load_catalog_or_fail()
        try:
            session = PlanSession(sc, catalog, scenario_path=str(scenario))
            with Progress(TextColumn("frontier"), BarColumn(), TextColumn("{task.completed}/"
                          "{task.total} points"), TimeRemainingColumn(), console=console,
                          transient=True) as bar:
                task = bar.add_task("points", total=points)
                frontier = trace_frontier(
                    session, points, progress=lambda d, t: bar.update(task, completed=d, total=t))
        except ScenarioError as err:
            fail(str(err))
        except InfeasibleError as err:
            fail_infeasible(console, str(scenario), err)
        except SolverError as err:
            fail(str(err), code=1)
        out.mkdir(parents=True, exist_ok=True)
        frame = frontier.to_frame()
        atomic_write_text(out / "frontier.csv", frame.to_csv(index=False))
        atomic_write_text(out / "frontier.json", json.dumps(frontier.to_dict(), indent=2) + "\n")
        fig = frontier_figure(frontier, f"Cost vs carbon — {sc.name}")
        written = [out / "frontier.csv", out / "frontier.json"]
        written += write_figure(fig, out / "frontier.html", out / "frontier.png" if png else None)
        t = Table(title=f"Pareto frontier — {sc.name} ({frontier.accounting}-based carbon)")
        for col in ("#", "tCO2e", "cost $", "water m³", "$/tCO2e vs previous", ""):
            t.add_column(col, justify="right")
        for i, p in enumerate(frontier.points):
            mark = "knee" if p.knee else ("dominated" if p.dominated else "")
            mac = "" if p.mac_usd_per_tco2e is None else f"{p.mac_usd_per_tco2e:,.0f}"
            t.add_row(str(i), f"{p.carbon_tco2e:,.3f}", f"{p.cost_usd:,.0f}",
                      f"{p.water_m3:,.1f}", mac, mark)
        console.print(t)
        console.print("wrote " + ", ".join(str(p) for p in written))
