"""Appendix blocks shared by both memos: assumptions, uncertainty ranges, accounting basis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from planner.memo import uncertainty as unc
from planner.memo.document import Bullets, Para, Section, Table
from planner.memo.planview import used_inputs


def _v(x: Any) -> str:
    return f"{x:,.6g}" if isinstance(x, int | float) else str(x)


def assumptions(memo_rows: Sequence[tuple[str, Any, str, str, str]],
                plans: Sequence[tuple[str, Mapping[str, Any]]]) -> Section:
    """Every input figure: the memo's own (name, value, unit, source, as-of), then each
    plan's figures for the regions it uses (from plan.json ``inputs``)."""
    rows = [(name, _v(val), unit, src, as_of) for name, val, unit, src, as_of in memo_rows]
    seen: set[tuple[str, str]] = set()
    for _label, plan in plans:
        stale = _stale_keys(plan)
        for f in used_inputs(plan):
            key = (str(f["figure"]), str(f["key"]))
            if key in seen:
                continue
            seen.add(key)
            as_of = str(f["as_of"]) + (f" ({STALE_NOTE})" if key in stale else "")
            rows.append((f"{f['figure']} [{f['key']}]", _v(f["value"]), str(f["unit"]),
                         str(f["source"]), as_of))
    n_all = sum(len(p.get("inputs", [])) for _, p in plans)
    return Section("Appendix A: Assumptions and sources", (
        Para("Every figure this memo uses, with its unit, source and as-of date. Memo "
             "parameters come first; then the planner's figures for the regions the plan(s) "
             f"use. The plan files hold all {n_all} figures the planner read, including "
             f"regions it did not choose. A date marked '{STALE_NOTE}' was more than 18 "
             "months old when the plan was made."),
        Table(("figure", "value", "unit", "source", "as of"), tuple(rows),
              numeric=(False, True, False, False, False)),
    ))


STALE_NOTE = "older than 18 months"


def _stale_keys(plan: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(figure, key) of the plan's figures flagged as older than 18 months."""
    stale = (plan.get("catalog") or {}).get("stale_figures") or []
    return {(str(s["figure"]), str(s["key"])) for s in stale}


def uncertainty_rows(inputs: Sequence[unc.Uncertain]) -> Table:
    """The ranges used by the tornado and the Monte Carlo (modelling assumptions)."""
    seen: dict[str, unc.Uncertain] = {}
    for u in inputs:
        seen.setdefault(u.group_key, u)
    rows = tuple((u.group or u.label, _v(u.low), _v(u.base), _v(u.high), u.unit,
                  "yes" if u.sampled else "no (policy)", u.basis) for u in seen.values())
    return Table(("input", "low", "base", "high", "unit", "in Monte Carlo", "basis"), rows,
                 caption="Triangular distributions (low, base, high), drawn independently; "
                 "grid intensity is drawn per region.",
                 numeric=(False, True, True, True, False, False, False))


def accounting(plan: Mapping[str, Any]) -> Section:
    """How the carbon figures are counted (basis, scope, what is in and out), and per
    region where a figure the basis needs is not published and what stands in for it."""
    basis = str(plan.get("accounting", "location"))
    scope = str(plan.get("grid_carbon_basis", "lifecycle"))
    blocks: list[Para | Bullets | Table] = [
        Para(f"Carbon figures use **{basis}-based** operational emissions on the **{scope}** "
             "grid-intensity basis plus embodied (manufacturing) emissions of the GPUs and "
             "their servers, as the plan does."),
        Bullets((
            "Operational tCO2e = GPU-hours × (GPU + host power) × PUE × grid intensity of the "
            f"hour and region ({scope} basis, location-based) or × (1 − carbon-free-energy "
            "share) where the provider publishes a regional share (market-based); where it "
            "publishes none, the market-based figure is the location-based one and the table "
            "below says so. Both bases are reported; the plan's "
            f"objective uses {basis}-based.",
            "Embodied tCO2e = GPU-hours × embodied kgCO2e per GPU ÷ lifetime hours ÷ 1000.",
            "Water m³ = IT kWh × site WUE + facility kWh × grid water intensity; a region "
            "without its own water figure uses its country's or its provider fleet's mean "
            "(listed below).",
            "GHG Protocol: the location/market split follows the Scope 2 Guidance "
            "(WRI/WBCSD, 2015). The cloud provider reports this electricity as its Scope 2; "
            "a cloud customer usually reports it under Scope 3 (purchased services), and "
            "should state which basis a figure uses.",
            "Not counted: networking beyond data egress, storage, idle capacity outside the "
            "plan, end-user devices.",
        )),
    ]
    rows = _data_gap_rows(plan)
    if rows:
        blocks.append(Table(("region", "figure", "what the plan used instead"), rows,
                            caption="Figures a region does not publish, and what stands in."))
    return Section("Appendix C: Accounting basis", tuple(blocks))


def _data_gap_rows(plan: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """(region, figure, stand-in) for the market-basis gaps, water fallbacks and other
    incomplete figures of the regions the plan uses, and each region left out for data."""
    rows = [(str(i.get("region", "")), str(i.get("figure", "")), str(i.get("effect", "")))
            for i in plan.get("incomplete", []) or []]
    rows += [(str(f["region"]), str(f["figure"]),
              f"{f['value']}: the {f['level']} mean ({f['source']})")
             for f in plan.get("fallbacks", []) or []]
    rows += [(str(e["region"]), str(e.get("figure", "")),
              f"left out: {e.get('reason', '')}; fix: {e.get('fix', '')}")
             for e in plan.get("excluded", []) or []]
    return tuple(rows)
