"""``regionplan pareto``: trace the cost–carbon frontier (or one per grid value)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape
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
from planner.datanotes import left_out_lines
from planner.options import SolveOptions
from planner.problem import InfeasibleError
from planner.scenario import Scenario, ScenarioError
from planner.session import PlanSession, SolverError

console = make_console()
# The frontier prices carbon at 0 and caps it itself: these grid parameters would be moot.
NOT_VARIED = ("carbon_price", "carbon_cap")


def register(app: typer.Typer) -> None:
    """Add ``pareto`` to the CLI."""

    @app.command("pareto")
    def pareto_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML.")],
        points: Annotated[int, typer.Option("--points", min=2, max=201,
                                            help="Plans on the frontier.")] = 21,
        grid: Annotated[list[str] | None, typer.Option(
            "--grid", help="One frontier per value, e.g. latency_slo=60,90,120 or "
                           "water_price=0,2,10 (repeatable: every combination). Parameters "
                           "as in 'regionplan sweep', except carbon_price and carbon_cap.")
        ] = None,
        out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("out"),
        png: Annotated[bool, typer.Option("--png/--no-png", help="Also write frontier.png "
                                          "(needs Chromium for plotly's image export).")] = True,
        relaxed: Annotated[bool, typer.Option(
            "--relaxed", help="Fractional instance counts (faster; each point's cost is a "
            "lower bound on a deployable plan's).")] = False,
        gap: Annotated[float, typer.Option(
            "--gap",
            help="Proven relative gap each whole-instance point must reach (a plan's "
                 "default is 0.001); each point states the gap it reached.")
        ] = SolveOptions.frontier_mip_rel_gap,
    ) -> None:
        """Trace cost vs carbon (ε-constraint), mark the knee and the $/tCO2e between points."""
        from planner.charts import family_figure, write_figure
        from planner.pareto import Frontier

        if not 0.0 < gap < 1.0:
            fail(f"--gap {gap:g}: give the gap as a fraction between 0 and 1, e.g. 0.005 "
                 "for 0.5 %")
        sc = load_scenario_or_fail(scenario)
        variants = _variants(sc, grid or [])
        catalog = load_catalog_or_fail()
        traced: list[tuple[dict[str, Any], Frontier]] = []
        for values, variant in variants:
            label = _label(values)
            try:
                session = PlanSession(variant, catalog,
                                      SolveOptions(frontier_mip_rel_gap=gap),
                                      scenario_path=str(scenario), relaxed=relaxed)
                for line in left_out_lines(session.problem.excluded):
                    console.print(f"! {label + ': ' if values else ''}{line}", markup=False,
                                  highlight=False)
                frontier = _trace(session, points, label)
            except ScenarioError as err:
                fail(str(err))
            except InfeasibleError as err:
                if not values:
                    fail_infeasible(console, str(scenario), err)
                console.print(f"[yellow]no frontier[/] for {escape(label)}: "
                              + escape("; ".join(err.reasons[:2])))
                continue
            except SolverError as err:
                fail(f"{label + ': ' if values else ''}{err}", code=1)
            traced.append((values, frontier))
        if not traced:
            fail("no grid value has a feasible plan; see the reasons above", code=1)
        out.mkdir(parents=True, exist_ok=True)
        frame = pd.concat([_frame(values, f) for values, f in traced], ignore_index=True)
        atomic_write_text(out / "frontier.csv", frame.to_csv(index=False))
        doc: dict[str, Any] = (traced[0][1].to_dict() if not grid else
                               {"grid": {k: [v[k] for v, _ in traced] for k in traced[0][0]},
                                "frontiers": [{"values": v, **f.to_dict()} for v, f in traced]})
        atomic_write_text(out / "frontier.json", json.dumps(doc, indent=2) + "\n")
        fig = family_figure([(_label(v) or "efficient plans", f) for v, f in traced],
                            f"Cost vs carbon — {sc.name}")
        written = [out / "frontier.csv", out / "frontier.json"]
        written += write_figure(fig, out / "frontier.html", out / "frontier.png" if png else None)
        for values, frontier in traced:
            _print_table(sc, frontier, _label(values))
        if relaxed:
            console.print("instances: relaxed (fractional; --relaxed): costs are lower bounds")
        elif any(f.mip_rel_gap is not None for _, f in traced):
            console.print(f"whole instances: each point solved to a proven {gap:.2%} of its "
                          "least cost (--gap); column 'gap' states what each reached")
        console.print("wrote " + escape(", ".join(str(p) for p in written)))


def _variants(sc: Scenario, grid: list[str]) -> list[tuple[dict[str, Any], Scenario]]:
    """The scenario once per grid combination (just itself without a grid)."""
    from planner.sweep.spec import SweepSpecError, apply_values, parse_grid

    if not grid:
        return [({}, sc)]
    try:
        g = parse_grid(grid)
        g.check_against(sc)
    except SweepSpecError as err:
        fail(str(err))
    moot = [p.name for p in g.params if p.name in NOT_VARIED]
    if moot:
        fail(f"--grid {moot[0]}: the frontier sets carbon itself (priced at 0, capped point "
             f"by point); vary it with 'regionplan sweep' instead")
    out = []
    for combo in g.combinations():
        values = {p.column: v for p, v in zip(g.params, combo, strict=True)}
        try:
            variant = apply_values(sc, {p.name: v for p, v in zip(g.params, combo,
                                                                  strict=True)})
        except ScenarioError as err:
            fail(f"--grid {_label(values)}: {err}")
        out.append((values, variant))
    return out


def _label(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def _trace(session: PlanSession, points: int, label: str) -> Any:
    from planner.pareto import trace_frontier

    with Progress(TextColumn(f"frontier {label}".strip()), BarColumn(),
                  TextColumn("{task.completed}/{task.total} points"), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("points", total=points)
        return trace_frontier(session, points,
                              progress=lambda d, t: bar.update(task, completed=d, total=t))


def _frame(values: dict[str, Any], frontier: Any) -> pd.DataFrame:
    frame = frontier.to_frame()
    for i, (column, value) in enumerate(values.items()):
        frame.insert(i, column, value)
    return frame


def _print_table(sc: Scenario, frontier: Any, label: str) -> None:
    title = f"Pareto frontier — {sc.name} ({frontier.accounting}-based carbon)"
    t = Table(title=f"{title}, {label}" if label else title)
    gaps = frontier.mip_rel_gap is not None
    for col in ("#", "tCO2e", "cost $", "water m³", "$/tCO2e vs previous") + (
            ("gap",) if gaps else ()) + ("",):
        t.add_column(col, justify="right")
    for i, p in enumerate(frontier.points):
        mark = "knee" if p.knee else ("dominated" if p.dominated else "")
        mac = "" if p.mac_usd_per_tco2e is None else f"{p.mac_usd_per_tco2e:,.0f}"
        gap = ("" if p.mip_gap is None else f"{p.mip_gap:.2%}",) if gaps else ()
        t.add_row(str(i), f"{p.carbon_tco2e:,.3f}", f"{p.cost_usd:,.0f}",
                  f"{p.water_m3:,.1f}", mac, *gap, mark)
    console.print(t)
