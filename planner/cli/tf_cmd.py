"""``regionplan tfvars`` (plan → Terraform files) and ``regionplan diff`` (plan → moves).

Bad input — a missing file, a file that is not a plan.json, a wrong schema version, a
plan the generator refuses — prints one short error naming the file and the problem and
exits with code 2; never a traceback.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner.diff import DEFAULT_DUAL_RUN_HOURS, HOURS_PER_MONTH, DiffError, PlanDiff, diff_plans
from planner.emit.files import OutputPathError
from planner.emit.planfile import PlanFileError, load_plan
from planner.emit.tfvars import (
    COST_REPORT,
    MANIFEST_FILE,
    OverwriteRefusedError,
    TfvarsError,
    atomic_write_text,
    write_tfvars,
)

_out = Console()
_err = Console(stderr=True)


class TfvarsFormat(StrEnum):
    """Which variables file(s) to write."""

    json = "json"
    hcl = "hcl"
    both = "both"


def _fail(path: Path | str | None, problem: str, hint: str | None = None) -> NoReturn:
    # Paths and problems may hold anything a scenario or file name holds: no markup.
    where = f"[bold]{escape(str(path))}[/bold]: " if path is not None else ""
    _err.print(f"[red]error:[/red] {where}{escape(problem)}", markup=True, highlight=False)
    if hint:
        _err.print(f"  {hint}", markup=False, highlight=False)
    raise typer.Exit(code=2)


def _load(path: Path) -> dict[str, Any]:
    try:
        return load_plan(path)
    except PlanFileError as exc:
        _fail(exc.path, exc.problem)


def tfvars(
    plan_path: Annotated[Path, typer.Argument(metavar="PLAN.json", help="A plan.json.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write into.")],
    fmt: Annotated[
        TfvarsFormat, typer.Option("--format", help="Variables file(s): json, hcl or both.")
    ] = TfvarsFormat.both,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files regionplan did not write.")
    ] = False,
    stack: Annotated[
        bool,
        typer.Option(
            "--stack/--no-stack",
            help="Also write providers.tf.json and fleet.tf.json (one aliased provider "
            "and one module call per cloud region).",
        ),
    ] = True,
    modules_path: Annotated[
        str | None,
        typer.Option(
            "--modules-path",
            help="Path of terraform/modules relative to --out (for fleet.tf.json). Default: "
            "resolved when --out holds its own main.tf, else the stack and modules are "
            "copied into --out.",
        ),
    ] = None,
    max_actions: Annotated[
        int | None,
        typer.Option("--max-actions", min=1,
                     help="Most scaling actions per placement (default: the cloud's limit: "
                     "AWS 125, GCP 128, Azure 19)."),
    ] = None,
    smooth: Annotated[
        bool,
        typer.Option("--smooth", help="Merge the smallest steps of a placement over the "
                     "limit (never below the plan; the deployed cost says what it adds)."),
    ] = False,
    validate: Annotated[
        bool,
        typer.Option("--validate", help="Run terraform init -backend=false and validate on "
                     "--out, and plan on the placement module, and print their messages."),
    ] = False,
) -> None:
    """Write Terraform variables (placement.auto.tfvars.json / placement.tfvars) for a plan."""
    plan = _load(plan_path)
    try:
        paths = write_tfvars(
            plan, out, fmt.value, force, stack=stack, modules_source=modules_path,
            max_actions=max_actions, smooth=smooth,
        )
    except TfvarsError as exc:
        _fail(plan_path, str(exc))
    except OverwriteRefusedError as exc:
        _fail(
            out,
            "refusing to overwrite " + ", ".join(p.name for p in exc.paths)
            + f": not written by regionplan, or edited since (see {MANIFEST_FILE})",
            "Move them away, or pass --force to overwrite.",
        )
    except OutputPathError as exc:
        _fail(out, str(exc))
    except OSError as exc:
        _fail(out, f"cannot write: {exc.strerror or exc}")
    regions = {(p["provider"], p["region"]) for p in plan["placements"]}
    clouds = sorted({c for c, _ in regions})
    _out.print(
        f"Wrote {len(paths)} file(s) to {out} for {len(plan['placements'])} placement(s) "
        f"in {len(regions)} region(s) on {len(clouds)} cloud(s) ({', '.join(clouds) or '-'}).",
        markup=False,
        highlight=False,
    )
    report = json.loads((out / COST_REPORT).read_text(encoding="utf-8"))
    render_cost(report, _out)
    if validate:
        _validate(out, _out)


def render_cost(report: dict[str, Any], console: Console) -> None:
    """Print the deployed cost per placement and in total against the plan's compute cost."""
    t = Table(title="Deployed cost over the plan horizon (scaling schedule x instance price)",
              title_justify="left")
    for col in ("placement", "purchase", "schedule", "actions", "peak inst", "inst-h",
                "$/inst-h", "planned $", "deployed $"):
        t.add_column(col, justify="left" if col in ("placement", "purchase", "schedule")
                     else "right")
    for p in report["placements"]:
        kind = p["schedule_kind"] + (f" (smoothed from {p['smoothed_from_actions']})"
                                     if p["smoothed_from_actions"] else "")
        t.add_row(escape(p["placement"]), p["purchase"], kind, str(p["scaling_actions"]),
                  str(p["peak_instances"]), _fmt(p["instance_hours"]),
                  f"{p['usd_per_instance_hour']:,.2f}", _fmt(p["planned_cost_usd"]),
                  _fmt(p["deployed_cost_usd"]))
    console.print(t)
    console.print(
        f"Deployed {_usd(report['deployed_cost_usd'])} vs planned compute "
        f"{_usd(report['planned_compute_usd'])} ({report['difference_fraction']:+.2%}); "
        f"written to {COST_REPORT}.", markup=False, highlight=False)
    for source in report["instances_sources"]:
        if source != "schedule_instances":
            console.print(f"note: instances per period {source}: the plan predates "
                          "whole-instance schedules; deployed cost is for whole instances.",
                          markup=False, highlight=False)
    for p in report["placements"]:
        for note in p["notes"]:
            console.print(f"note: {p['placement']}: {note}", markup=False, highlight=False)


def _validate(out: Path, console: Console) -> None:
    """``--validate``: Terraform's own verdict on the written directory (exit 2 if not)."""
    from planner.emit.tfrun import TerraformUnavailable, validate_out

    try:
        steps = validate_out(out)
    except TerraformUnavailable as exc:
        _fail(out, str(exc), "Install the test extra (pip install '.[test]') or put "
              "terraform on the PATH.")
    failed = False
    for step in steps:
        console.print(f"terraform {step.command} ({step.where}): "
                      + ("ok" if step.ok else "FAILED"), markup=False, highlight=False)
        text = (step.stdout + step.stderr).strip()
        if step.ok and step.show:  # the plan: only its deployed-cost outputs
            text = "\n".join(ln.strip() for ln in text.splitlines()
                              if ln.startswith("  + deployed_cost_usd "))
        if text and (not step.ok or step.show):
            console.print(text, markup=False, highlight=False)
        failed |= not step.ok
    if failed:
        raise typer.Exit(code=2)


def _load_transfer(transfer_csv: Path | None) -> pd.DataFrame:
    if transfer_csv is not None:
        try:
            df = pd.read_csv(transfer_csv)
        except FileNotFoundError:
            _fail(transfer_csv, "no such file")
        except (OSError, ValueError) as exc:
            _fail(transfer_csv, f"not a readable CSV ({exc})")
        missing = {"provider", "scope", "usd_per_gb"} - set(df.columns)
        if missing:
            _fail(transfer_csv, f"lacks column(s) {sorted(missing)} of the transfer table")
        return df
    from connectors.catalog import load_catalog

    try:
        return load_catalog().transfer
    except (OSError, ValueError) as exc:
        _fail(
            "catalog", f"cannot load the transfer table ({exc})",
            "Pass --transfer CSV with columns provider, scope, usd_per_gb.",
        )


def _fmt(x: float, digits: int = 0) -> str:
    if not math.isfinite(x):
        return "never"
    return f"{x:,.{digits}f}"


def _usd(x: float) -> str:
    """``$1,234`` / ``-$1,752``."""
    return ("-$" if x < 0 else "$") + _fmt(abs(x))


def render_diff(d: PlanDiff, console: Console) -> None:
    """Print ``d`` as tables: moves, capacity changes, plan totals and assumptions."""
    # Names come from plan files: escape them so they print as written, never as markup.
    title = f"Moves: {escape(d.current_scenario)} → {escape(d.proposed_scenario)}"
    if d.max_payback_days is not None:
        title += f" (paying back within {d.max_payback_days:g} days)"
    t = Table(title=title, title_justify="left")
    for col in ("workload", "from → to", "GPUs", "egress $", "dual-run $", "one-time $",
                "saving $/mo", "tCO2e/mo", "m³/mo", "payback days"):
        t.add_column(col, justify="left" if col in ("workload", "from → to") else "right")
    for m in d.moves:
        t.add_row(
            escape(m.workload), escape(f"{m.from_id} → {m.to_id}"), f"{round(m.gpus, 1):g}",
            _fmt(m.egress_usd), _fmt(m.dual_run_usd), _fmt(m.one_time_usd),
            _fmt(m.saving_usd_per_month), _fmt(m.saving_tco2e_per_month, 3),
            _fmt(m.saving_water_m3_per_month, 2), _fmt(m.payback_days, 1),
        )
    console.print(t)
    if not d.moves:
        console.print("No moves" + (" pay back in time." if d.max_payback_days is not None
                                    else "."))
    for label, changes in (("Added capacity", d.added), ("Released capacity", d.removed)):
        if changes:
            console.print(
                f"{label}: "
                + "; ".join(f"{c.workload} {c.region_id} {c.gpus:+.1f} GPUs" for c in changes),
                markup=False,
                highlight=False,
            )
    console.print(
        f"Whole plan, saving per month: {_usd(d.saving_usd_per_month)}, "
        f"{_fmt(d.saving_tco2e_per_month, 3)} tCO2e, {_fmt(d.saving_water_m3_per_month, 2)} m³ "
        f"(valued: {_usd(d.saving_objective_usd_per_month)}); one-time cost of the listed "
        f"moves: {_usd(d.one_time_usd)}.",
        highlight=False,
    )
    console.print(
        f"Assumptions: dual running {d.dual_run_hours:g} h at the old placement's $/h; "
        f"month = {HOURS_PER_MONTH:g} h; payback values carbon at "
        f"${d.carbon_price_usd_per_tco2e:g}/tCO2e and water at ${d.water_price_usd_per_m3:g}/m³; "
        "egress = the workload's data_size_gb at the source cloud's $/GB (transfer table), "
        "once per new region.",
        highlight=False,
    )
    if not d.same_scenario:
        console.print("[yellow]note:[/yellow] the two plans come from different scenarios.")


def diff(
    current: Annotated[Path, typer.Argument(metavar="CURRENT.json", help="Plan in force.")],
    proposed: Annotated[Path, typer.Argument(metavar="PROPOSED.json", help="Plan to move to.")],
    dual_run_hours: Annotated[
        float, typer.Option("--dual-run-hours", help="Hours old and new placements overlap "
                            "(default: one week, as in the migration memo).")
    ] = DEFAULT_DUAL_RUN_HOURS,
    min_payback_days: Annotated[
        float | None,
        typer.Option(
            "--min-payback-days",
            help="Keep only moves that pay back within this many days.",
        ),
    ] = None,
    carbon_price: Annotated[
        float | None,
        typer.Option("--carbon-price", help="$/tCO2e for payback (default: proposed plan's)."),
    ] = None,
    water_price: Annotated[
        float | None,
        typer.Option("--water-price", help="$/m³ for payback (default: proposed plan's)."),
    ] = None,
    transfer_csv: Annotated[
        Path | None,
        typer.Option("--transfer", help="Transfer table CSV (default: the catalog's)."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the diff as JSON here.")
    ] = None,
) -> None:
    """List the moves from CURRENT to PROPOSED with one-time cost, saving and payback."""
    cur = _load(current)
    new = _load(proposed)
    if not (math.isfinite(dual_run_hours) and dual_run_hours >= 0):
        _fail(None, f"--dual-run-hours must be a non-negative number, got {dual_run_hours}")
    transfer = _load_transfer(transfer_csv)
    try:
        d = diff_plans(
            cur, new, transfer, dual_run_hours,
            carbon_price_usd_per_tco2e=carbon_price, water_price_usd_per_m3=water_price,
        )
        if min_payback_days is not None:
            d = d.keep_payback_within(min_payback_days)
    except DiffError as exc:
        _fail(f"{current} → {proposed}", str(exc))
    render_diff(d, _out)
    if json_out is not None:
        try:
            atomic_write_text(json_out, json.dumps(d.to_dict(), indent=2) + "\n")
        except OSError as exc:
            _fail(json_out, f"cannot write: {exc.strerror or exc}")


def register(app: typer.Typer) -> None:
    """Add ``tfvars`` and ``diff`` to the ``regionplan`` app."""
    app.command("tfvars")(tfvars)
    app.command("diff")(diff)
