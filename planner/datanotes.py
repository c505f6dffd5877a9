"""What a plan must say about its data: market-basis gaps, fallbacks, stale figures.

Kept apart from :mod:`planner.plan` so that extraction stays about the decision, and the
CLI, the app and the memos read the same notes from plan.json.
"""

from __future__ import annotations

from typing import Any

from planner.figures import InputFigure
from planner.freshness import STALE_AFTER_MONTHS, stale_figures, summarize_stale
from planner.prep.grid import MARKET_MISSING
from planner.problem import Problem

PROVIDERS = ("aws", "gcp", "azure")
ZONE_FIGURES = ("grid_profile", "grid_hourly")
# places do not go stale: coordinates are left out of the age check
AGELESS_FIGURES = ("metro_coordinates",)


def market_notes(problem: Problem, used: set[str]) -> list[dict[str, str]]:
    """``incomplete`` records for used regions with no published market-based figure.

    Only under ``accounting: market``, where the objective reads that figure; under
    location accounting the market total is informational and :func:`grid_basis` says it.
    """
    if problem.scenario.accounting != "market":
        return []
    return [{"region": rid, "figure": "market-based carbon intensity",
             "effect": problem.market_basis[rid]}
            for rid in sorted(used) if problem.market_basis.get(rid, "").startswith(MARKET_MISSING)]


def grid_basis(problem: Problem, used: set[str]) -> dict[str, str]:
    """Per used region: how its intensity is shaped, on which basis, and its market basis."""
    basis = problem.scenario.grid_carbon_basis
    return {rid: f"{problem.ci_basis[rid]}; {basis} basis; market: "
                 f"{problem.market_basis.get(rid, 'not computed')}" for rid in sorted(used)}


def bears_on(figure: InputFigure, used: set[str], zones: set[str]) -> bool:
    """Whether an input figure bears on a plan using ``used`` regions, whose grid zones
    are ``zones`` (figures of other regions and zones do not)."""
    first = figure.key.split(" ", 1)[0]
    if "/" in first and first.split("/", 1)[0] in PROVIDERS:
        return first in used
    if figure.figure in ZONE_FIGURES:
        return figure.key in zones
    return figure.figure not in AGELESS_FIGURES


def catalog_notes(problem: Problem, used: set[str]) -> dict[str, Any]:
    """plan.json ``catalog`` additions: table dates and the stale figures the plan uses."""
    if problem.reference_date is None:
        return {}
    basis = " ".join(problem.ci_basis.get(rid, "") for rid in used)
    zones = {f.key for f in problem.inputs
             if f.figure in ZONE_FIGURES and f"zone {f.key}" in basis}
    stale = stale_figures([f for f in problem.inputs if bears_on(f, used, zones)],
                          problem.reference_date)
    return {"reference_date": problem.reference_date.isoformat(),
            "stale_after_months": STALE_AFTER_MONTHS,
            "freshness": problem.freshness, "stale_figures": stale}


def left_out_lines(excluded: Any) -> list[str]:
    """One line per region left out for data: region, missing figure, reason and fix."""
    return [f"left out {e['region']}: {e.get('reason', '')}; fix: {e.get('fix', '')}".rstrip()
            if "fix" in e else f"left out {e['region']}: {e.get('reason', '')}"
            for e in excluded]


def data_lines(excluded: Any, fallbacks: Any, incomplete: Any,
               catalog: Any) -> list[str]:
    """What a reader of the plan must know about its data, one line each (CLI, app)."""
    lines = left_out_lines(excluded)
    lines += [f"fallback {f['region']}: {f['figure']} = {f['value']} from the {f['level']} "
              f"mean (the region publishes none)" for f in fallbacks]
    lines += [f"incomplete {i['region']}: {i['figure']}: {i['effect']}" for i in incomplete]
    stale = (catalog or {}).get("stale_figures") or []
    if stale:
        months = catalog.get("stale_after_months", STALE_AFTER_MONTHS)
        lines.append(f"{len(stale)} figure(s) the plan uses are older than {months} months "
                     f"(as of {catalog.get('reference_date')}):")
        lines += [f"  {s}" for s in summarize_stale(stale)]
    return lines


def market_stand_ins(grid_basis_by_region: dict[str, str]) -> list[str]:
    """Used regions whose market-based figure is the location-based one (none published)."""
    return sorted(r for r, text in grid_basis_by_region.items() if MARKET_MISSING in text)
