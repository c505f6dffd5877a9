"""The region-migration memo as a :class:`Document` (words for a non-engineer reader)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.memo import appendix, charts
from planner.memo import uncertainty as unc
from planner.memo.document import Bullets, Document, Para, Section, Table, days, num, usd
from planner.memo.migrate import Migration, uncertain_inputs
from planner.memo.params import CHOICES

CONFIDENT_SHARE = 0.9
"""Recommend without conditions when at least this share of samples saves money."""


def verdict(m: Migration, mc: unc.MonteCarlo) -> tuple[str, list[str]]:
    """Headline recommendation and the conditions it rests on."""
    s = mc.intervals[0]
    pb = mc.intervals[3]
    limit = m.params.max_payback_days
    conds: list[str] = []
    if not m.residency_ok:
        return ("**Do not migrate as proposed:** EU users' requests or EU-held data would "
                "leave the EU (see Residency).", ["Re-plan with residency constraints."])
    if m.saving_objective_usd_per_year <= 0:
        return ("**Stay:** the proposal does not lower cost plus carbon cost.", conds)
    if m.payback_days > limit:
        return (f"**Stay for now:** the one-time cost pays back in {days(m.payback_days)}, "
                f"beyond the {limit:g}-day limit.", conds)
    head = ("**Migrate.**" if m.changes_regions else
            "**Adopt the proposed schedule** (no region changes).")
    if s.share_positive < CONFIDENT_SHARE:
        head = head.replace(".**", ", with conditions.**")
        conds.append(f"Only {s.share_positive:.0%} of the Monte Carlo samples save money "
                     "once carbon is priced; confirm the grid and price figures first.")
    if pb.p90 > limit:
        conds.append(f"In the pessimistic case (P90) payback takes {days(pb.p90)}.")
    for lc in m.latency:
        if lc.current_ms is not None and lc.proposed_ms is not None \
                and lc.proposed_ms > lc.current_ms + 0.5:
            conds.append(f"{lc.service}: users accept {lc.proposed_ms:.0f} ms average round "
                         f"trip instead of {lc.current_ms:.0f} ms.")
    if any(r.startswith("Capacity") for r in m.risks):
        conds.append("GPU quota in the new regions is confirmed before moving.")
    conds.append(f"The internal carbon price stays at {usd(m.carbon_price_usd_per_tco2e)}"
                 f"/tCO2e (the tornado shows the effect of 0 … 2×).")
    return head, conds


def compose(m: Migration, tornado: unc.Tornado, mc: unc.MonteCarlo,
            current: Mapping[str, Any], proposed: Mapping[str, Any],
            labels: tuple[str, str]) -> Document:
    """All sections of the migration memo. ``labels`` describe current and proposed."""
    head, conds = verdict(m, mc)
    s = mc.intervals[0]
    basis = m.accounting
    d = m.diff
    summary = Section("Summary", (
        Para(f"{head} Against the baseline — **{labels[0]}** — the proposal "
             f"(**{labels[1]}**) changes yearly cost by {usd(-m.saving_usd_per_year, True)} "
             f"and emissions by {num(-m.saving_tco2e_per_year, 'tCO2e', signed=True)} "
             f"({basis}-based operational + embodied), water by "
             f"{num(-m.saving_water_m3_per_year, 'm³', signed=True)}. Valuing carbon at "
             f"{usd(m.carbon_price_usd_per_tco2e)}/tCO2e, it saves "
             f"**{usd(m.saving_objective_usd_per_year)} a year**, for a one-time cost of "
             f"{usd(m.one_time_usd)}: payback {days(m.payback_days)}."),
        Para(f"Monte Carlo ({mc.samples:,} samples, seed {mc.seed}): yearly saving incl. "
             f"carbon P10 {usd(s.p10)}, P50 {usd(s.p50)}, P90 {usd(s.p90)}."),
        *((Para("**This holds if:**"), Bullets(tuple(conds))) if conds else ()),
    ))
    move_rows = tuple((mv.workload, mv.from_id, mv.to_id, num(mv.gpus), usd(mv.one_time_usd),
                       usd(mv.saving_objective_usd_per_month * 12), days(mv.payback_days))
                      for mv in d.moves)
    changes: list[Any] = [Para(
        f"{len(d.moves)} move(s), {len(d.added)} region(s) gaining capacity without a "
        f"counterpart, {len(d.removed)} losing capacity."
        + ("" if m.changes_regions else " The regions stay the same: the difference "
           "comes from when work runs (time-shifting to cleaner hours)."))]
    if move_rows:
        changes.append(Table(("workload", "from", "to", "GPUs", "one-time $",
                              "saving/year incl. carbon", "payback"), move_rows,
                             numeric=(False, False, False, True, True, True, False)))
    extra = [(c.workload, c.region_id, num(c.gpus, "GPUs", signed=True))
             for c in (*d.added, *d.removed)]
    if extra:
        changes.append(Table(("workload", "region", "capacity change"), tuple(extra),
                             numeric=(False, False, True)))
    c, p = m.current, m.proposed
    rows = (("cost", "US$/year", c.cost_usd, p.cost_usd),
            (f"emissions ({basis}-based + embodied)", "tCO2e/year", c.tco2e, p.tco2e),
            ("— location-based + embodied", "tCO2e/year", c.location_tco2e, p.location_tco2e),
            ("— market-based + embodied", "tCO2e/year", c.market_tco2e, p.market_tco2e),
            ("water", "m³/year", c.water_m3, p.water_m3),
            ("energy", "MWh/year", c.energy_mwh, p.energy_mwh),
            ("internal carbon cost", "US$/year", m.carbon_price_usd_per_tco2e * c.tco2e,
             m.carbon_price_usd_per_tco2e * p.tco2e))
    deltas = Section("Yearly change", (
        Table(("", "unit", "current", "proposed", "change"),
              tuple((n, u, num(a), num(b), num(b - a, signed=True)) for n, u, a, b in rows),
              caption=f"Per year: each plan's horizon scaled by 8760 h ÷ its hours. Baseline: "
                      f"{labels[0]}.", numeric=(False, False, True, True, True)),
        charts.paired_bars("yearly", "Current vs proposed (current = 100)",
                           ["cost", "tCO2e", "water", "energy"],
                           [c.cost_usd, c.tco2e, c.water_m3, c.energy_mwh],
                           [p.cost_usd, p.tco2e, p.water_m3, p.energy_mwh],
                           ("current", "proposed"), "Yearly totals relative to today.",
                           ["US$", "tCO2e", "m³", "MWh"]),
    ))
    lat = Section("Latency", (Table(
        ("service", "current avg ms", "proposed avg ms", "current worst ms",
         "proposed worst ms", "limit ms"),
        tuple((lc.service, num(lc.current_ms), num(lc.proposed_ms), num(lc.current_worst_ms),
               num(lc.proposed_worst_ms), num(lc.slo_ms)) for lc in m.latency)
        or (("(no inference services)", "", "", "", "", ""),),
        caption="Demand-weighted average and worst user-to-region round trip (modelled from "
                "distance where not measured).", numeric=(False, True, True, True, True, True)),
    ))
    one_time = Section("One-time cost and payback", (Bullets((
        f"Data egress: {usd(m.egress_usd)} (workload data copied once to each new region).",
        f"Dual running: {usd(m.dual_run_usd)} and {num(m.dual_run_tco2e, 'tCO2e')} for "
        f"{m.params.dual_run_hours:g} h of old and new side by side.",
        f"Payback = one-time (cost + carbon price × dual-run tCO2e + water price × m³) ÷ "
        f"daily saving = {usd(m.one_time_objective_usd)} ÷ "
        f"{usd(m.saving_objective_usd_per_year / 365)} per day = {days(m.payback_days)}.",
    )),))
    loc, mkt = m.saving_location_tco2e_per_year, m.saving_market_tco2e_per_year
    residency = Section("Residency and reporting", (
        Bullets(m.residency_notes or (
            "EU data stays in the EU: no EU user's requests and no EU-held training data are "
            "placed outside the EU, today or in the proposal.",)),
        Para(f"**GHG Protocol scope 2 reading.** Location-based, the change saves "
             f"{num(loc, 'tCO2e/year')}; market-based (after the providers' carbon-free "
             f"energy), {num(mkt, 'tCO2e/year')}. "
             + ("Both bases agree on the direction." if (loc > 0) == (mkt > 0) else
                "The bases disagree on the direction: do not claim a saving without naming "
                "the basis.")
             + f" This memo's headline uses {basis}-based, as the plans do."),
    ))
    risks = Section("Risks", (Bullets(m.risks or ("None identified beyond the uncertainty "
                                                    "ranges below.",)),))
    sens = Section("Sensitivity", (
        Para("Each bar moves one input (or one group) to the ends of its range, all others at "
             "base. Bars right of the line mean a larger saving."),
        charts.tornado("tornado", tornado, "One-at-a-time sensitivity of the yearly saving "
                       "incl. carbon price."),
    ))
    unc_sec = Section("Uncertainty", (
        Para(f"{mc.samples:,} samples, seed {mc.seed}, from the ranges in Appendix D; payback "
             "is 'never' in samples without a saving."),
        charts.histogram("monte_carlo", mc, "Distribution of the yearly saving incl. carbon "
                         "price."),
    ))
    memo_rows = [
        ("dual_run_hours", m.params.dual_run_hours, "h", CHOICES["dual_run_hours"], "—"),
        ("max_payback_days", m.params.max_payback_days, "days", CHOICES["max_payback_days"],
         "—"),
        ("carbon_price_usd_per_tco2e", m.carbon_price_usd_per_tco2e, "US$/tCO2e",
         "internal carbon price: the proposed plan's objective (or --carbon-price)", "—"),
        ("water_price_usd_per_m3", m.water_price_usd_per_m3, "US$/m³",
         "the proposed plan's objective (or --water-price)", "—"),
        ("baseline (current)", labels[0], "", "how the current placement was obtained", "—"),
        ("proposal", labels[1], "", "how the proposed placement was obtained", "—"),
    ]
    formulas = Bullets((
        "Per-year figure = plan total × 8760 h ÷ plan horizon hours.",
        "Change = proposed − current; saving = current − proposed.",
        "Yearly saving incl. carbon = $ saving + carbon price × tCO2e saving + water price × "
        "m³ saving.",
        "Moves, egress and dual running: planner/diff.py (GPUs per region compared per "
        "workload; egress = data GB × source cloud $/GB, once per new region; dual running "
        "= moved share of the old placement's $/h × dual-run hours).",
        "Payback days = one-time (incl. carbon and water value) ÷ (yearly saving ÷ 365).",
        "Monte Carlo: each placement's compute $ × provider price factor, operational tCO2e "
        "× region grid factor, inference GPU-hours ÷ utilization; embodied and egress fixed.",
    ))
    return Document(
        "Region migration", f"{labels[0]} → {labels[1]}; {basis}-based carbon", (
            summary, Section("What changes", tuple(changes)), deltas, lat, one_time,
            residency, risks, sens, unc_sec,
            appendix.assumptions(memo_rows, [("current", current), ("proposed", proposed)]),
            Section("Appendix B: Formulas", (formulas,)),
            appendix.accounting(proposed),
            Section("Appendix D: Uncertainty ranges",
                    (appendix.uncertainty_rows(uncertain_inputs(m, current, proposed)),)),
        ))
