"""``regionplan memo build-vs-buy`` and ``regionplan memo migrate``.

Inputs may be scenarios (solved here) or plan.json files (read as they are).
``memo migrate --scenario S`` compares today's cost-only placement (S planned with an
internal carbon price of 0, as ``regionplan plan S --carbon-price 0`` writes it) with
S's optimum at its own carbon price; no scenario field is needed for "today".
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from planner.cli.common import (
    fail,
    load_catalog_or_fail,
    load_scenario_or_fail,
    make_console,
    read_plan_json,
)

console = make_console()

OutOpt = Annotated[Path, typer.Option("--out", help="Directory for the memo files.")]
FormatOpt = Annotated[str, typer.Option("--format", help="Comma-separated: md, html.")]
PdfOpt = Annotated[bool, typer.Option("--pdf", help="Also print a PDF with headless Chromium.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Monte Carlo seed (same seed, same "
                                      "intervals).")]
SamplesOpt = Annotated[int, typer.Option("--samples", help="Monte Carlo samples.")]


def _solve(path: Path, carbon_price: float | None = None) -> tuple[dict[str, Any], Any]:
    """Plan a scenario file (optionally at another carbon price); exit cleanly on errors."""
    from planner.problem import InfeasibleError
    from planner.scenario import ScenarioError
    from planner.session import Parameters, PlanSession, SolverError

    sc = load_scenario_or_fail(path)
    catalog = load_catalog_or_fail()
    try:
        session = PlanSession(sc, catalog, scenario_path=str(path))
        plan = session.plan(Parameters(carbon_price_usd_per_tco2e=carbon_price))
    except ScenarioError as err:
        fail(str(err))
    except InfeasibleError as err:
        fail(f"{path} has no feasible plan:\n" + "\n".join(f"  - {r}" for r in err.reasons), 1)
    except SolverError as err:
        fail(str(err), 1)
    return plan.to_dict(), sc


def _load(path: Path) -> tuple[dict[str, Any], Any, str]:
    """A plan dict from a plan.json or a scenario YAML, its scenario (or None), a label."""
    if path.suffix.lower() == ".json":
        doc = read_plan_json(path)
        return doc, None, f"plan {path.name} (scenario '{doc.get('scenario', {}).get('name')}')"
    plan, sc = _solve(path)
    return plan, sc, (f"'{sc.name}' as planned at "
                      f"${sc.objective.carbon_price_usd_per_tco2e:g}/tCO2e")


def _formats(value: str) -> list[str]:
    return [f.strip().lower() for f in value.split(",") if f.strip()]


def _write(doc: Any, out: Path, stem: str, fmt: str, pdf: bool) -> None:
    from planner.memo import MemoError, write_memo
    from planner.memo.pdf import PdfError

    try:
        paths = write_memo(doc, out, stem, _formats(fmt), pdf)
    except (MemoError, PdfError) as err:
        fail(str(err))
    console.print("wrote " + escape(", ".join(str(p) for p in paths)))


def register(app: typer.Typer) -> None:
    """Add the ``memo`` sub-app."""
    memo = typer.Typer(help="Decision memos (Markdown, HTML, PDF) from plans or scenarios.",
                       no_args_is_help=True)
    app.add_typer(memo, name="memo")

    @memo.command("build-vs-buy")
    def build_vs_buy_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML (or a plan.json).")],
        input_tokens: Annotated[float | None, typer.Option(
            "--input-tokens", help="Prompt tokens per request (required: no published "
            "default fits every workload).")] = None,
        output_tokens: Annotated[float | None, typer.Option(
            "--output-tokens", help="Output tokens per request [500, Epoch AI].")] = None,
        api_in: Annotated[float | None, typer.Option(
            "--api-usd-per-m-input", help="API $ per 1M input tokens [2.50, GPT-4o].")] = None,
        api_out: Annotated[float | None, typer.Option(
            "--api-usd-per-m-output", help="API $ per 1M output tokens [10.00].")] = None,
        api_wh: Annotated[float | None, typer.Option(
            "--api-wh-per-1k-output", help="API Wh per 1k output tokens [0.602].")] = None,
        api_grid: Annotated[float | None, typer.Option(
            "--api-grid-gco2e-per-kwh", help="Grid intensity where the API runs [383.55].")
        ] = None,
        api_region: Annotated[str | None, typer.Option(
            "--api-region", help="provider/region whose catalog grid intensity to use.")] = None,
        months: Annotated[float | None, typer.Option(
            "--horizon-months", help="Months the comparison covers [12].")] = None,
        trainings: Annotated[float | None, typer.Option(
            "--trainings", help="Training runs over those months [1].")] = None,
        volume: Annotated[float | None, typer.Option(
            "--volume", help="Million requests per month to evaluate (default: the "
            "plan's).")] = None,
        volume_max: Annotated[float | None, typer.Option(
            "--volume-max", help="Right end of the volume axis, million requests/month "
            "(default: past the break-even).")] = None,
        training: Annotated[str | None, typer.Option(
            "--training", help="Training job to count (default: the plan's only one).")
        ] = None,
        service: Annotated[str | None, typer.Option(
            "--service", help="Inference service to compare (default: the plan's only "
            "one).")] = None,
        carbon_price: Annotated[float | None, typer.Option(
            "--carbon-price", help="$/tCO2e to price carbon in the memo (default: the "
            "plan's).")
        ] = None,
        out: OutOpt = Path("out"), fmt: FormatOpt = "md,html", pdf: PdfOpt = False,
        seed: SeedOpt = 20270104, samples: SamplesOpt = 2000,
    ) -> None:
        """Train and self-host (the planner's placement) or buy an API: TCO, break-even."""
        from planner.memo import MemoError, build_vs_buy_memo
        from planner.memo.params import BuildVsBuyParams, parse_params

        try:
            params = parse_params(
                BuildVsBuyParams, input_tokens_per_request=input_tokens,
                output_tokens_per_request=output_tokens, api_usd_per_m_input_tokens=api_in,
                api_usd_per_m_output_tokens=api_out, api_wh_per_1k_output_tokens=api_wh,
                api_grid_gco2e_per_kwh=api_grid, api_region=api_region, horizon_months=months,
                trainings_per_horizon=trainings, volume_m_requests_per_month=volume,
                volume_max_m_requests_per_month=volume_max, training=training, service=service,
                carbon_price_usd_per_tco2e=carbon_price)
            if samples < 1:
                raise MemoError(f"--samples must be at least 1, got {samples}")
        except MemoError as err:
            fail(f"{err}\n(input tokens: --input-tokens N)" if input_tokens is None else str(err))
        plan, sc, _ = _load(scenario)
        floor = basis = None
        if sc is not None:
            svc = next((s for s in sc.inference if s.name == (service or s.name)), None)
            if svc is not None:
                floor = svc.min_regions * svc.warm_gpus_per_region
                basis = (f"the scenario's min_regions {svc.min_regions} × "
                         f"min_gpus_per_region {svc.warm_gpus_per_region:g}")
        try:
            res = build_vs_buy_memo(plan, params, load_catalog_or_fail(), floor_gpus=floor,
                                    floor_basis=basis, samples=samples, seed=seed)
        except MemoError as err:
            fail(str(err))
        _write(res.document, out, f"build-vs-buy-{res.result.scenario}", fmt, pdf)

    @memo.command("migrate")
    def migrate_cmd(
        current: Annotated[Path | None, typer.Option(
            "--current", help="Today's placement: plan.json or scenario YAML.")] = None,
        proposed: Annotated[Path | None, typer.Option(
            "--proposed", help="The proposal: plan.json or scenario YAML.")] = None,
        scenario: Annotated[Path | None, typer.Option(
            "--scenario", help="Alone: compare the scenario's cost-only placement (carbon "
            "price 0) with its optimum.")] = None,
        dual_run_hours: Annotated[float | None, typer.Option(
            "--dual-run-hours", help="Hours old and new run side by side [168].")] = None,
        max_payback_days: Annotated[float | None, typer.Option(
            "--max-payback-days", help="Recommend only moves that pay back within this "
            "many days [365].")] = None,
        carbon_price: Annotated[float | None, typer.Option(
            "--carbon-price", help="$/tCO2e to price carbon in the memo (default: the plans').")
        ] = None,
        water_price: Annotated[float | None, typer.Option(
            "--water-price", help="$/m³ to price water in the memo (default: the plans').")] = None,
        out: OutOpt = Path("out"), fmt: FormatOpt = "md,html", pdf: PdfOpt = False,
        seed: SeedOpt = 20270104, samples: SamplesOpt = 2000,
    ) -> None:
        """Moving from the current placement to the proposed one: deltas, payback, risks."""
        from planner.memo import MemoError, migrate_memo
        from planner.memo.params import MigrateParams, parse_params

        try:
            params = parse_params(MigrateParams, dual_run_hours=dual_run_hours,
                                  max_payback_days=max_payback_days,
                                  carbon_price_usd_per_tco2e=carbon_price,
                                  water_price_usd_per_m3=water_price)
            if samples < 1:
                raise MemoError(f"--samples must be at least 1, got {samples}")
        except MemoError as err:
            fail(str(err))
        if scenario is not None and (current or proposed):
            fail("give either --scenario alone, or --current and --proposed")
        if scenario is not None:
            cur, sc = _solve(scenario, carbon_price=0.0)
            new, _ = _solve(scenario)
            price = sc.objective.carbon_price_usd_per_tco2e
            labels = (f"today's cost-only placement ('{sc.name}' planned at $0/tCO2e, as "
                      f"`regionplan plan {scenario.name} --carbon-price 0` writes it)",
                      f"the optimum of '{sc.name}' at ${price:g}/tCO2e")
            stem = f"migrate-{sc.name}"
        elif current is not None and proposed is not None:
            cur, _, l_cur = _load(current)
            new, _, l_new = _load(proposed)
            labels = (l_cur, l_new)
            stem = f"migrate-{new.get('scenario', {}).get('name', 'plan')}"
        else:
            fail("give --current and --proposed (plan.json or scenario YAML), or --scenario")
        try:
            res = migrate_memo(cur, new, load_catalog_or_fail(), params, labels,
                               samples=samples, seed=seed)
        except MemoError as err:
            fail(str(err))
        _write(res.document, out, stem, fmt, pdf)
