"""The build-vs-buy memo as a :class:`Document` (words for a non-engineer reader)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.memo import appendix, charts
from planner.memo import uncertainty as unc
from planner.memo.buildvsbuy import BuildVsBuy, uncertain_inputs
from planner.memo.document import Bullets, Document, Para, Section, Table, num, usd
from planner.memo.params import CHOICES, SOURCES, api_water_l_per_1k_output_tokens

CONFIDENT_SHARE = 0.9
"""Recommend without hedging when at least this share of Monte Carlo samples agrees."""


def _verdict(r: BuildVsBuy, mc: unc.MonteCarlo) -> tuple[str, list[str]]:
    adv = mc.intervals[0]
    vol = num(r.volume_m_requests_per_month, "million requests/month")
    be = r.breakeven_adjusted_m_requests_per_month
    conds = []
    if adv.p50 > 0:
        what = "train and self-host" if r.training_name else "self-host"
        head = (f"**Build: {what}.**" if adv.share_positive >= CONFIDENT_SHARE
                else "**Lean towards building, but the case is not settled.**")
        if be is not None:
            conds.append(f"Volume stays above the break-even of "
                         f"{num(be, 'million requests/month')} (planned: {vol}).")
        conds.append(f"The fleet reaches at least {unc.SERVING_UTILIZATION_LOW:.0%} of the "
                     "planned requests per GPU per second.")
        conds.append("The self-hosted model is good enough for the task: this memo compares "
                     "cost and footprint, not answer quality.")
        if r.training_name:
            conds.append(f"The model is retrained no more than {r.trainings:g} time(s) in "
                         f"{r.months:g} months.")
    else:
        head = ("**Buy: use the API.**" if adv.share_positive <= 1 - CONFIDENT_SHARE
                else "**Lean towards the API, but the case is not settled.**")
        if be is not None:
            conds.append(f"Volume stays below the break-even of "
                         f"{num(be, 'million requests/month')} (planned: {vol}).")
        conds.append("The API provider meets your data-residency and retention needs.")
        conds.append("API prices do not rise by more than the tested range "
                     f"(±{unc.API_PRICE_REL_RANGE:.0%}).")
    return head, conds


def compose(r: BuildVsBuy, tornado: unc.Tornado, mc: unc.MonteCarlo,
            plan: Mapping[str, Any]) -> Document:
    """All sections of the build-vs-buy memo."""
    p = r.params
    mo = f"{r.months:g} months"
    head, conds = _verdict(r, mc)
    adv = mc.intervals[0]
    train_txt = (f"the fine-tune **{r.training_name}** ({num(r.training.gpu_hours, 'GPU-hours')}"
                 f" in {', '.join(r.training.regions)})" if r.training_name
                 else "no training job (this scenario self-hosts an existing model)")
    summary = Section("Summary", (
        Para(f"{head} At {num(r.volume_m_requests_per_month, 'million requests')} a month over "
             f"{mo}, building costs {usd(r.build_usd)} against {usd(r.buy_usd)} for the API; "
             f"with the internal carbon price of {usd(r.carbon_price_usd_per_tco2e)}/tCO2e the "
             f"totals are {usd(r.build_adjusted_usd)} and {usd(r.buy_adjusted_usd)}. The "
             f"footprint is {num(r.build_tco2e, 'tCO2e')} (build) against "
             f"{num(r.buy_tco2e, 'tCO2e')} (API, estimated)."),
        Para(f"Across {mc.samples:,} Monte Carlo samples the carbon-priced advantage of "
             f"building is {usd(adv.p10)} (P10) … {usd(adv.p50)} (P50) … {usd(adv.p90)} "
             f"(P90); building comes out ahead in {adv.share_positive:.0%} of them."),
        Para("**This holds if:**"), Bullets(tuple(conds)),
    ))
    compared = Section("What is compared", (
        Bullets((
            f"**Build**: {train_txt}, then serve **{r.service_name}** on "
            f"{num(r.serving.gpu_hours / r.plan_hours, 'GPUs')} on average in "
            f"{', '.join(r.serving.regions)} — the planner's cost-and-carbon optimal placement "
            f"for scenario '{r.scenario}'.",
            f"**Buy**: call a frontier-model API at {usd(p.api_usd_per_m_input_tokens)} per "
            f"million input tokens and {usd(p.api_usd_per_m_output_tokens)} per million output "
            f"tokens, {p.input_tokens_per_request:g} input + {p.output_tokens_per_request:g} "
            "output tokens per request.",
            f"Horizon {mo}"
            + (f"; training runs {r.trainings:g} time(s) in it" if r.training_name else "")
            + ". Volumes are requests per month; the plan serves "
            f"{num(r.planned_m_requests_per_month, 'million requests/month')} "
            f"({num(r.service_rps, 'requests/s')}).",
        )),
    ))
    per_req = Section("Cost and footprint per unit", (Table(
        ("", "build (self-hosted)", "buy (API)"),
        (("$ per million tokens (input + output)", usd(r.self_usd_per_m_tokens),
          usd(r.api_usd_per_m_tokens)),
         ("$ per 1,000 requests", usd(r.self_usd_per_request * 1000),
          usd(r.api_usd_per_request * 1000)),
         ("gCO2e per 1,000 output tokens", num(r.self_gco2e_per_1k_output_tokens),
          num(r.api_gco2e_per_1k_output_tokens)),
         ("litres of water per 1,000 output tokens",
          num(r.self_water_m3_per_request * 1000 / p.output_tokens_per_request * 1000),
          num(api_water_l_per_1k_output_tokens(p))),
         ("one-time training", f"{usd(r.training.usd)}, {num(r.training.tco2e, 'tCO2e')} "
          f"({num(r.training.operational_tco2e)} operational + "
          f"{num(r.training.embodied_tco2e)} embodied), {num(r.training.water_m3, 'm³')}",
          "none (included in the price)")),
        caption="Self-hosted figures divide the plan's serving cost and footprint by the "
                "requests it serves; the API footprint is an outside estimate (operational "
                "only, no embodied share), so it is not measured the same way.",
        numeric=(False, True, True)),
        Para(f"Self-hosting keeps at least {num(r.floor_gpus, 'GPUs')} running whatever the "
             f"volume ({r.floor_basis}); below "
             f"{num(r.floor_m_requests_per_month, 'million requests/month')} you pay for "
             "that floor, not per request."),
    ))
    cv = r.curve
    xs = [c.m_requests_per_month for c in cv]
    # each chart marks the break-even where its own two curves cross (charts.curves)
    marks = [("planned", r.volume_m_requests_per_month)]
    cost_chart = charts.curves(
        "tco", f"Total cost over {mo}", xs,
        [("build", [c.build_usd for c in cv], charts.BUILD, "solid"),
         ("buy (API)", [c.buy_usd for c in cv], charts.BUY, "solid")],
        "million requests per month", "US$", marks,
        "Total cost of ownership over the horizon against monthly volume (log scales).", True)
    tco = Section(f"Total cost of ownership over {mo}", (
        Table(("", "build", "buy (API)", "difference (buy − build)"),
              (("cost", usd(r.build_usd), usd(r.buy_usd), usd(r.buy_usd - r.build_usd)),
               ("footprint", num(r.build_tco2e, "tCO2e"), num(r.buy_tco2e, "tCO2e"),
                num(r.buy_tco2e - r.build_tco2e, "tCO2e")),
               ("water", num(r.build_water_m3, "m³"), num(r.buy_water_m3, "m³"),
                num(r.buy_water_m3 - r.build_water_m3, "m³"))),
              caption=f"At {num(r.volume_m_requests_per_month, 'million requests/month')}.",
              numeric=(False, True, True, True)),
        cost_chart,
    ))

    def be_text(v: float | None, what: str) -> str:
        if v is None:
            return f"{what}: no break-even — the API is lower at every volume."
        return f"{what}: **{num(v, 'million requests/month')}**; above it building is lower."

    carbon_chart = charts.curves(
        "footprint", f"Footprint over {mo}", xs,
        [("build", [c.build_tco2e for c in cv], charts.BUILD, "solid"),
         ("buy (API, estimate)", [c.buy_tco2e for c in cv], charts.BUY, "solid")],
        "million requests per month", "tCO2e", marks,
        "Footprint against monthly volume (log scales).", False)
    breakeven = Section("Break-even volume", (
        Bullets((be_text(r.breakeven_m_requests_per_month, "Cost"),
                 be_text(r.breakeven_adjusted_m_requests_per_month,
                         "Cost including the internal carbon price"),
                 be_text(r.breakeven_carbon_m_requests_per_month, "Footprint"))),
        carbon_chart,
    ))
    adj_chart = charts.curves(
        "tco_adjusted", f"Cost incl. carbon at {usd(r.carbon_price_usd_per_tco2e)}/tCO2e", xs,
        [("build", [c.build_adjusted_usd for c in cv], charts.BUILD, "dash"),
         ("buy (API)", [c.buy_adjusted_usd for c in cv], charts.BUY, "dash")],
        "million requests per month", "US$ incl. carbon", marks,
        "Total cost plus internal carbon price × tCO2e (log scales).", True)
    adjusted = Section("With the internal carbon price", (
        Para(f"Pricing carbon at {usd(r.carbon_price_usd_per_tco2e)} per tonne adds "
             f"{usd(r.carbon_price_usd_per_tco2e * r.build_tco2e)} to building and "
             f"{usd(r.carbon_price_usd_per_tco2e * r.buy_tco2e)} to the API over {mo}."),
        adj_chart,
    ))
    sens = Section("Sensitivity", (
        Para("Each bar moves one input to the low and high end of its range, all others at "
             "their base value. Bars right of the line favour building more."),
        charts.tornado("tornado", tornado, "One-at-a-time sensitivity of the carbon-priced "
                       "build advantage at the evaluated volume."),
    ))
    unc_sec = Section("Uncertainty", (
        Para(f"{mc.samples:,} samples drawn with seed {mc.seed} from the ranges in Appendix "
             "D; the same seed reproduces these figures exactly."),
        charts.histogram("monte_carlo", mc, "Distribution of the carbon-priced build "
                         "advantage (buy − build) at the evaluated volume."),
    ))
    return Document(
        f"Build vs buy: {r.service_name}", f"Scenario '{r.scenario}', {r.accounting}-based "
        f"carbon, {mo} horizon", (
            summary, compared, per_req, tco, breakeven, adjusted, sens, unc_sec,
            appendix.assumptions(_memo_rows(r), [("plan", plan)]),
            Section("Appendix B: Formulas", _formulas(r)),
            appendix.accounting(plan),
            Section("Appendix D: Uncertainty ranges", (appendix.uncertainty_rows(
                uncertain_inputs(r)),)),
        ))


def _memo_rows(r: BuildVsBuy) -> list[tuple[str, Any, str, str, str]]:
    p = r.params
    rows: list[tuple[str, Any, str, str, str]] = []
    units = {"input_tokens_per_request": "tokens", "output_tokens_per_request": "tokens",
             "api_usd_per_m_input_tokens": "US$/1M tokens",
             "api_usd_per_m_output_tokens": "US$/1M tokens",
             "api_wh_per_1k_output_tokens": "Wh/1k output tokens",
             "api_grid_gco2e_per_kwh": "gCO2e/kWh", "api_pue": "ratio",
             "api_wue_onsite_l_per_kwh": "L/kWh", "api_grid_water_l_per_kwh": "L/kWh",
             "horizon_months": "months", "trainings_per_horizon": "runs"}
    for name, unit in units.items():
        val = getattr(p, name)
        default = type(p).model_fields[name].default
        if name == "api_grid_gco2e_per_kwh":
            src, as_of = r.api_grid_source.text, r.api_grid_source.as_of
        elif name in SOURCES and val == default:
            src, as_of = SOURCES[name].text, SOURCES[name].as_of
        elif name in CHOICES and val == default:
            src, as_of = CHOICES[name], "—"
        else:
            src, as_of = "given by the user on the command line", "—"
        rows.append((name, val, unit, src, as_of))
    rows.append(("carbon_price_usd_per_tco2e", r.carbon_price_usd_per_tco2e, "US$/tCO2e",
                 "internal carbon price: the scenario's objective (or --carbon-price)", "—"))
    rows.append(("warm floor", r.floor_gpus, "GPUs", r.floor_basis, "—"))
    return rows


def _formulas(r: BuildVsBuy) -> tuple[Para | Bullets, ...]:
    return (Bullets((
        f"Requests in the plan R = {num(r.service_rps)} requests/s × 3600 s/h × "
        f"{r.plan_hours:g} h = {num(r.requests_in_plan)}.",
        f"Self-hosted $ per request = serving cost {usd(r.serving.usd)} ÷ R = "
        f"{usd(r.self_usd_per_request)}; tCO2e likewise ({num(r.serving.tco2e)} ÷ R).",
        "API $ per request = (input tokens × $/1M input + output tokens × $/1M output) ÷ 10⁶ "
        f"= {usd(r.api_usd_per_request)}.",
        "API gCO2e per 1k output tokens = Wh per 1k output tokens ÷ 1000 × grid gCO2e/kWh "
        f"= {num(r.params.api_wh_per_1k_output_tokens)} ÷ 1000 × "
        f"{num(r.params.api_grid_gco2e_per_kwh)} = {num(r.api_gco2e_per_1k_output_tokens)}.",
        "API litres per 1k output tokens = Wh ÷ 1000 ÷ PUE × (on-site WUE + PUE × grid water).",
        "$ per million tokens = $ per request ÷ (input + output tokens) × 10⁶.",
        "Warm floor V_f = floor GPUs × (R ÷ serving GPU-hours) × 730 h ÷ 10⁶.",
        "Build TCO(V) = trainings × training $ + max(V, V_f) × 10⁶ × months × self $ per "
        "request; buy TCO(V) = V × 10⁶ × months × API $ per request (same for tCO2e).",
        "Carbon-priced TCO = TCO + carbon price × tCO2e.",
        "Break-even: the V where build TCO = buy TCO (closed form in planner/memo/"
        "buildvsbuy.py).",
        "Monte Carlo outcome: buy − build at the evaluated volume with each input's factor; "
        "self-hosted GPU-hours scale with output tokens ÷ utilization (fixed tokens/s per GPU).",
    )),)
