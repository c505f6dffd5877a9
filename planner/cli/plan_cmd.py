"""``regionplan plan``, ``validate`` and ``check``."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner.baselines import BaselineResult
from planner.baselines import compare as compare_baselines
from planner.cli.common import (
    fail,
    fail_infeasible,
    load_catalog_or_fail,
    load_scenario_or_fail,
    make_console,
)
from planner.datanotes import data_lines, left_out_lines, market_stand_ins
from planner.plan import Plan
from planner.problem import InfeasibleError
from planner.scenario import ScenarioError
from planner.session import PlanSession, SolverError
from planner.solve import SolveOptions

console = make_console()
DEFAULT_EXAMPLE = "llm-fleet.yaml"


def default_scenario_path() -> Path:
    """The bundled example planned when no scenario is given."""
    with resources.as_file(resources.files("planner") / "examples" / DEFAULT_EXAMPLE) as p:
        return Path(p)


def render_plan(plan: Plan, out: Console) -> None:
    """Print a plan as tables: placements, then totals."""
    h = plan.horizon["hours"]
    t = Table(title=f"Plan for '{plan.scenario['name']}' — {h} h from {plan.horizon['start_utc']}"
              f" ({plan.accounting}-based carbon)")
    for col, just in (("workload", "left"), ("region", "left"), ("peak instances", "right"),
                      ("GPU-h", "right"), ("cost $", "right"), ("tCO2e", "right"),
                      ("water m³", "right"), ("RTT ms", "right")):
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for p in plan.placements:
        bought = "" if p.purchase == "on_demand" else f" {p.purchase}"
        t.add_row(p.workload, f"{p.provider}/{p.region}",
                  f"{p.instances:,}×{p.instance_type} ({p.gpus_per_instance}×{p.gpu_model}"
                  f"{bought})",
                  f"{p.gpu_hours:,.0f}", f"{p.cost_usd:,.0f}", f"{p.carbon_tco2e:,.2f}",
                  f"{p.water_m3:,.1f}", "" if p.latency_ms is None else f"{p.latency_ms:.0f}")
    out.print(t)
    tot = plan.totals
    out.print(
        f"[bold]Total[/]: ${tot['cost_usd']:,.0f} (compute ${tot['compute_usd']:,.0f}, "
        f"data egress ${tot['egress_usd']:,.0f}) · {tot['carbon_tco2e']:,.3f} tCO2e "
        f"({tot['carbon_operational_tco2e']:,.3f} operational {plan.accounting}-based + "
        f"{tot['carbon_embodied_tco2e']:,.3f} embodied; location-based operational "
        f"{tot['carbon_location_tco2e']:,.3f}, market-based {tot['carbon_market_tco2e']:,.3f}"
        f"{_market_caveat(plan)}) · "
        f"{tot['water_m3']:,.1f} m³ water · {tot['energy_mwh']:,.2f} MWh")
    out.print(
        f"Objective ${tot['objective_usd']:,.0f} = cost + carbon at "
        f"${plan.objective['carbon_price_usd_per_tco2e']:g}/tCO2e + water at "
        f"${plan.objective['water_price_usd_per_m3']:g}/m³ · solver {plan.solver['backend']} "
        f"{_verdict(plan)} in {plan.solver['solve_s']:.2f} s (build "
        f"{plan.solver['build_s']:.2f} s)"
        + ("" if plan.solver.get("mip_gap") is None
           else f", proven within {plan.solver['mip_gap']:.2%}")
        + f" · instances: {plan.solver.get('instances', 'whole')}")
    for note in plan.explanations:
        out.print(f"• {escape(note)}")
    for line in failover_lines(plan) + gang_lines(plan):
        out.print(f"• {line}")
    render_data_notes(plan, out)


def _verdict(plan: Plan) -> str:
    """'optimal', or, for a plan branch and bound stopped at its time limit, that it
    stopped: such a plan is the best one found, not one proven within the gap asked."""
    if plan.solver.get("stopped_at_time_limit"):
        return "stopped at its time limit with the best plan found"
    return plan.status


def _market_caveat(plan: Plan) -> str:
    """Says how many used regions have no published market-based figure (their market
    figure is the location-based one), so equal totals are never left unexplained."""
    missing = market_stand_ins(plan.grid_basis)
    if not missing:
        return ""
    return (f", of which location-based stands in for {len(missing)} of "
            f"{len(plan.grid_basis)} region(s): no market-based figure published")


def render_data_notes(plan: Plan, out: Console) -> None:
    """Regions left out (named, with the figure and the fix), fallbacks, data gaps and
    stale figures: what the plan's numbers rest on."""
    for line in data_lines(plan.excluded, plan.fallbacks, plan.incomplete, plan.catalog):
        out.print(f"! {line}", markup=False, highlight=False)


QUIET_TOTALS = ("cost_usd", "carbon_tco2e", "water_m3", "objective_usd")


def print_totals(plan: Plan) -> None:
    """``plan -q``: the totals alone on stdout, one ``key<TAB>value`` line each (USD, tCO2e
    on the plan's accounting basis, m³); regions left out for data go to stderr."""
    for key in QUIET_TOTALS:
        value = f"{plan.totals[key]:.6f}".rstrip("0").rstrip(".")
        basis = f"\t{plan.accounting}-based" if key == "carbon_tco2e" else ""
        typer.echo(f"{key}\t{value}{basis}")
    for line in left_out_lines(plan.excluded):
        typer.echo(f"! {line}", err=True)


def gang_lines(plan: Plan) -> list[str]:
    """One line per job whose starts are modelled: how many runs the plan starts."""
    return [f"{w['name']} starts {w['starts']} run(s) (each (re)start pays its restart "
            f"overhead; see workloads[].starts)" for w in plan.workloads
            if w.get("starts") is not None]


def failover_lines(plan: Plan) -> list[str]:
    """One line per service with survive_region_loss: does every region's loss leave enough?"""
    out = []
    for service in sorted({f["service"] for f in plan.failover}):
        mine = [f for f in plan.failover if f["service"] == service]
        short = [f for f in mine if not f["survives"]]
        head = (f"{service} survives the loss of any one of its {len(mine)} region(s) within "
                f"{mine[0]['failover_latency_slo_ms']:g} ms (re-checked in all "
                f"{mine[0]['periods_checked']} periods)")
        if short:
            worst = max(short, key=lambda f: f["worst_unserved_rps"])
            head = (f"[red]{service} does NOT survive[/] the loss of "
                    f"{', '.join(f['lost_region'] for f in short)}: up to "
                    f"{worst['worst_unserved_rps']:,.1f} rps unserved")
        out.append(head)
    return out


def _with_slo_values(plan: Plan, session: PlanSession, catalog: Any) -> Plan:
    """``plan`` with each service's SLO value among its explanations. A re-plan that fails
    (time limit) is said, and the plan itself is still written."""
    from planner.slo_value import slo_values

    try:
        notes = tuple(v.describe() for v in slo_values(session, catalog, plan))
    except (ScenarioError, InfeasibleError, SolverError) as err:
        console.print(f"[yellow]--slo-value[/]: not priced: {escape(str(err))}")
        return plan
    return replace(plan, explanations=plan.explanations + notes)


def render_baselines(plan: Plan, results: tuple[BaselineResult, ...], out: Console) -> None:
    """The optimum next to each baseline, same data and accounting."""
    t = Table(title=f"Optimum vs baselines ({plan.accounting}-based carbon; same catalog)")
    for col in ("placement", "objective $", "Δ vs optimum", "cost $", "tCO2e", "water m³",
                "RTT ms", "beyond SLO", "rules broken"):
        t.add_column(col, justify="left" if col in ("placement", "rules broken") else "right",
                     overflow="fold")

    def row(name: str, p: Plan, share: float, broken: str) -> None:
        lat = p.latency_ms_weighted
        delta = p.totals["objective_usd"] - plan.totals["objective_usd"]
        t.add_row(name, f"{p.totals['objective_usd']:,.0f}",
                  "" if p is plan else f"{delta:+,.0f}", f"{p.totals['cost_usd']:,.0f}",
                  f"{p.totals['carbon_tco2e']:,.2f}", f"{p.totals['water_m3']:,.1f}",
                  "" if lat is None else f"{lat:.0f}", f"{share:.0%}", broken)

    row("optimum (regionplan)", plan, 0.0, "none")
    for r in results:
        row(r.name, r.plan, r.slo_violation_share, "; ".join(r.violations) or "none")
    out.print(t)
    out.print("[dim]A baseline that breaks rules can look cheaper: it is not a valid plan.[/]")


def baselines_json(results: tuple[BaselineResult, ...]) -> list[dict[str, Any]]:
    return [{"name": r.name, "description": r.description, "totals": r.plan.totals,
             "latency_ms_weighted": r.plan.latency_ms_weighted,
             "slo_violation_share": r.slo_violation_share,
             "capacity_violations": r.capacity_violations, "violations": list(r.violations)}
            for r in results]


PLAN_FILES = ("plan.json", "plan.csv")


def plan_files(plan: Plan, baselines: tuple[BaselineResult, ...] | None = None
               ) -> dict[str, str]:
    """``{file name: text}`` of plan.json (with the baselines when compared) and plan.csv.

    Raises ValueError when the plan holds a non-finite number: JSON has no NaN/Infinity,
    and a reader would take them for figures."""
    doc = plan.to_dict()
    if baselines is not None:
        doc["baselines"] = baselines_json(baselines)
    try:
        text = json.dumps(doc, indent=2, sort_keys=False, allow_nan=False) + "\n"
    except ValueError:
        raise ValueError("the plan holds a non-finite number (NaN or Infinity); "
                         "plan.json was not written") from None
    return {"plan.json": text, "plan.csv": plan.placements_csv()}


def write_plan(plan: Plan, out_dir: Path,
               baselines: tuple[BaselineResult, ...] | None = None) -> list[Path]:
    """Write plan.json and plan.csv into ``out_dir`` together (one file set)."""
    from planner.emit.files import write_file_set

    return write_file_set(out_dir, plan_files(plan, baselines))


def _write_outputs(plan: Plan, out: Path, results: tuple[BaselineResult, ...] | None,
                   tfvars: Path | None, max_actions: int | None = None,
                   smooth: bool = False) -> list[Path]:
    """plan.json + plan.csv in ``out`` and, with ``tfvars``, the Terraform files (scaling
    actions limited by ``max_actions`` and ``smooth`` as in ``regionplan tfvars``): staged
    first, then put in place together (a failure leaves every old file as it was)."""
    from planner.emit.files import (
        OutputPathError,
        OverwriteRefusedError,
        commit_file_sets,
        stage_files,
    )
    from planner.emit.tfvars import TfvarsError, stage_tfvars

    sets = []
    try:
        files = plan_files(plan, results)
        sets.append(stage_files(out, files, manifest=False))
        if tfvars is not None:
            try:
                sets.extend(stage_tfvars(plan.to_dict(), tfvars, max_actions=max_actions,
                                         smooth=smooth))
            except (TfvarsError, OverwriteRefusedError, OutputPathError) as err:
                fail(f"--tfvars {tfvars}: {err} (nothing was written)")
        return commit_file_sets(sets)
    except OutputPathError as err:
        fail(str(err))
    except ValueError as err:
        fail(str(err), code=1)
    except OSError as err:
        fail(f"cannot write to {out}: {err.strerror or err}")
    finally:
        for staged in sets:
            if staged.staging.exists() and not (staged.staging / "COMMITTED").exists():
                staged.abandon()


def _check_out_dirs(out: Path, tfvars: Path | None) -> None:
    """Fail before solving when an output directory cannot be written."""
    from planner.emit.files import OutputPathError, check_out_dir

    try:
        check_out_dir(out, PLAN_FILES)
        if tfvars is not None:
            check_out_dir(tfvars, ())
    except OutputPathError as err:
        fail(str(err))


def register(app: typer.Typer) -> None:
    """Add plan, validate and check to the CLI."""

    @app.command("plan")
    def plan_cmd(
        scenario: Annotated[Path | None, typer.Argument(
            help="Scenario YAML; defaults to the bundled example.")] = None,
        carbon_price: Annotated[float | None, typer.Option(
            "--carbon-price", min=0, help="Carbon price, $/tCO2e (overrides the scenario's).")
        ] = None,
        water_price: Annotated[float | None, typer.Option(
            "--water-price", min=0, help="Water price, $/m³ (overrides the scenario's).")] = None,
        out: Annotated[Path, typer.Option("--out", help="Directory for plan.json and plan.csv."
                                          )] = Path("out"),
        backend: Annotated[str, typer.Option("--backend", help="highs (default) or pulp.")
                           ] = "highs",
        time_limit: Annotated[float | None, typer.Option("--time-limit", min=0,
                                                         help="Solver time limit (s).")] = None,
        tfvars: Annotated[Path | None, typer.Option(
            "--tfvars", help="Also write Terraform variables into this directory.")] = None,
        max_actions: Annotated[int | None, typer.Option(
            "--max-actions", min=1, help="With --tfvars: most scaling actions per placement "
            "(default: the cloud's limit: AWS 125, GCP 128, Azure 19).")] = None,
        smooth: Annotated[bool, typer.Option(
            "--smooth", help="With --tfvars: merge the smallest steps of a placement over "
            "the limit (never below the plan; the deployed cost says what it adds).")
        ] = False,
        compare: Annotated[bool, typer.Option(
            "--compare", help="Also score the baselines (weighted score, greedy lowest-carbon, "
            "cheapest region) with the same data.")] = False,
        slo_value: Annotated[bool, typer.Option(
            "--slo-value", help="Also price each inference service's latency SLO: the "
            "objective saved by relaxing it to the next round trip that opens a route "
            "(one re-plan per service).")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print totals only.")] = False,
        relaxed: Annotated[bool, typer.Option(
            "--relaxed", help="Fractional instance counts (faster; the cost is then a lower "
            "bound on a deployable plan's, and plan.json says so).")] = False,
    ) -> None:
        """Plan a scenario and write DIR/plan.json and DIR/plan.csv."""
        path = scenario or default_scenario_path()
        if tfvars is None and (max_actions is not None or smooth):
            fail("--max-actions and --smooth shape the Terraform schedules: add --tfvars DIR")
        _check_out_dirs(out, tfvars)
        sc = load_scenario_or_fail(path)
        overrides: dict[str, Any] = {}
        if carbon_price is not None:
            overrides["objective.carbon_price_usd_per_tco2e"] = carbon_price
        if water_price is not None:
            overrides["objective.water_price_usd_per_m3"] = water_price
        if overrides:
            try:
                sc = sc.with_overrides(**overrides)
            except ScenarioError as err:  # pragma: no cover - options are range-checked
                fail(str(err))
        if backend not in ("highs", "pulp"):
            fail(f"--backend {backend!r}: use highs or pulp")
        catalog = load_catalog_or_fail()
        try:
            session = PlanSession(sc, catalog, SolveOptions(backend=backend,
                                                            time_limit_s=time_limit),
                                  scenario_path=str(path), relaxed=relaxed)
            plan = session.plan()
            results = compare_baselines(session) if compare else None
        except ScenarioError as err:
            fail(str(err))
        except InfeasibleError as err:
            fail_infeasible(console, str(path), err)
        except SolverError as err:
            fail(str(err), code=1)
        if slo_value:
            plan = _with_slo_values(plan, session, catalog)
        if not quiet:
            render_plan(plan, console)
        if results is not None and not quiet:
            render_baselines(plan, results, console)
        written = _write_outputs(plan, out, results, tfvars, max_actions, smooth)
        if quiet:
            print_totals(plan)
        else:
            console.print("wrote " + escape(", ".join(str(p) for p in written)))

    @app.command("validate")
    def validate_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML to check.")],
    ) -> None:
        """Check a scenario file (schema and catalog names) without solving."""
        from planner.problem import prepare

        sc = load_scenario_or_fail(scenario)
        catalog = load_catalog_or_fail()
        try:
            problem = prepare(sc, catalog)
        except ScenarioError as err:
            fail(str(err))
        except InfeasibleError as err:
            fail_infeasible(console, f"{scenario} is valid but cannot be planned:", err)
        n_t, n_i = len(sc.training), len(sc.inference)
        console.print(f"[green]ok[/]: {escape(str(scenario))} — {n_t} training job(s), "
                      f"{n_i} inference service(s), {sc.horizon.hours} h from "
                      f"{sc.horizon.start:%Y-%m-%dT%H:%MZ}; {len(problem.regions)} candidate "
                      f"region(s)")
        for line in left_out_lines(problem.excluded):
            console.print(f"! {line}", markup=False, highlight=False)
        for f in problem.fallbacks:
            console.print(f"! fallback {f['region']}: {f['figure']} = {f['value']} from the "
                          f"{f['level']} mean", markup=False, highlight=False)

    @app.command("check")
    def check_cmd(
        plan_json: Annotated[Path, typer.Argument(help="A plan.json written by regionplan plan.")],
        max_carbon_tco2e: Annotated[float | None, typer.Option(
            min=0, help="Carbon budget, tCO2e (the plan's accounting basis).")] = None,
        max_cost_usd: Annotated[float | None, typer.Option(
            min=0, help="Cost budget, USD.")] = None,
        max_water_m3: Annotated[float | None, typer.Option(
            min=0, help="Water budget, m³.")] = None,
    ) -> None:
        """CI gate: exit 1 with a reason when a plan breaks a budget."""
        from planner.cli.common import read_plan_json

        doc = read_plan_json(plan_json)
        totals = doc["totals"]
        broken = []
        for key, limit, unit in (("carbon_tco2e", max_carbon_tco2e, "tCO2e"),
                                 ("cost_usd", max_cost_usd, "USD"),
                                 ("water_m3", max_water_m3, "m³")):
            if limit is not None and float(totals[key]) > limit:
                broken.append(f"{key} = {float(totals[key]):,.3f} {unit} exceeds the budget "
                              f"{limit:,.3f} {unit} by {float(totals[key]) - limit:,.3f} {unit}")
        if broken:
            for b in broken:
                console.print(f"[bold red]over budget[/]: {escape(b)}")
            raise typer.Exit(code=1)
        console.print(f"[green]within budget[/]: {escape(str(plan_json))} (carbon "
                      f"{float(totals['carbon_tco2e']):,.3f} tCO2e {doc.get('accounting', '')}"
                      f"-based, cost ${float(totals['cost_usd']):,.0f}, water "
                      f"{float(totals['water_m3']):,.1f} m³)")
