"""Whole instances vs fractional instances (``--relaxed``) on the bundled examples.

For each example: the median solve time of each mode (build excluded), the proven gap of
the whole-instance plan, and the cost of integrality (objective and compute, whole vs
relaxed). With ``--frontier``: a 21-point cost–carbon frontier of llm-fleet with whole
instances against one whole-instance solve. Writes JSON to ``--out``::

    python -m benchmarks.instances_bench --repeats 3 --out benchmarks/results/instances.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def _solve_times(path: Path, relaxed: bool, repeats: int) -> tuple[list[float], Any]:
    from connectors.catalog import load_catalog
    from planner.scenario import load_scenario
    from planner.session import PlanSession

    times, plan = [], None
    for _ in range(repeats):
        session = PlanSession(load_scenario(path), load_catalog(), persistent=False,
                              relaxed=relaxed)
        t0 = time.perf_counter()
        plan = session.plan()
        times.append(time.perf_counter() - t0)
    return times, plan


def example_row(path: Path, repeats: int) -> dict[str, Any]:
    """Relaxed and whole solve times (medians, s), gaps and the cost of integrality."""
    t_rel, rel = _solve_times(path, True, repeats)
    t_whole, whole = _solve_times(path, False, repeats)
    parts = sum(p.instance_hours * p.usd_per_instance_hour for p in whole.placements)
    return {
        "example": path.stem, "repeats": repeats,
        "relaxed_solve_s": statistics.median(t_rel),
        "whole_solve_s": statistics.median(t_whole),
        "whole_over_relaxed": statistics.median(t_whole) / statistics.median(t_rel),
        "whole_mip_gap": whole.solver["mip_gap"],
        "whole_termination": whole.solver["termination"],
        "relaxed_objective_usd": rel.totals["objective_usd"],
        "whole_objective_usd": whole.totals["objective_usd"],
        "integrality_cost_objective": (whole.totals["objective_usd"]
                                       / rel.totals["objective_usd"] - 1),
        "integrality_cost_compute": (whole.totals["compute_usd"]
                                     / rel.totals["compute_usd"] - 1),
        "compute_usd": whole.totals["compute_usd"], "sum_instance_hours_x_price_usd": parts,
    }


def frontier_row(points: int, repeats: int) -> dict[str, Any]:
    """A whole-instance frontier of llm-fleet against one whole-instance solve (medians of
    ``repeats`` runs each, build excluded from both)."""
    from connectors.catalog import load_catalog
    from planner.pareto import trace_frontier
    from planner.scenario import load_scenario
    from planner.session import PlanSession

    path = REPO / "examples" / "llm-fleet.yaml"
    one, _ = _solve_times(path, False, repeats)
    times, frontier = [], None
    for _ in range(repeats):
        session = PlanSession(load_scenario(path), load_catalog())
        session.built  # noqa: B018 - the build is timed apart, as for the one solve
        t0 = time.perf_counter()
        frontier = trace_frontier(session, points)
        times.append(time.perf_counter() - t0)
    assert frontier is not None
    frame = frontier.to_frame()
    gaps = [g for g in frame.get("mip_gap", []) if g == g]
    return {"points": points, "repeats": repeats, "frontier_s": times,
            "one_solve_s": one, "frontier_median_s": statistics.median(times),
            "one_solve_median_s": statistics.median(one),
            "frontier_over_single": statistics.median(times) / statistics.median(one),
            "max_point_gap": max(gaps, default=None),
            "points_by_method": frame["method"].value_counts().to_dict()
            if "method" in frame else None}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instances_bench",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", action="append", help="example stem (repeatable)")
    parser.add_argument("--frontier", action="store_true")
    parser.add_argument("--out", type=Path,
                        default=REPO / "benchmarks" / "results" / "instances.json")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    rows = [example_row(p, args.repeats) for p in EXAMPLES
            if not args.only or p.stem in args.only]
    doc: dict[str, Any] = {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "load_average_1_5_15": os.getloadavg(), "cpus": os.cpu_count(),
                           "examples": rows}
    if args.frontier:
        doc["frontier"] = frontier_row(21, args.repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
