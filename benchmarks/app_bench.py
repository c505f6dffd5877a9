"""What-if latency of the Streamlit app: re-solve + redraw after a carbon-price change.

Drives ``app/streamlit_app.py`` through ``streamlit.testing.v1.AppTest`` on the default
example: one warm-up (first load: catalog, prepare, build, first solve), then ``--changes``
carbon prices never seen before (each a real re-solve of the built model), then the same
prices again (served from the app's plan cache). Each sample is the wall time from setting
the slider to ``AppTest.run()`` returning, i.e. the whole script rerun with every figure.

    python -m benchmarks.app_bench --out benchmarks/results/
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py"
TARGET_MEDIAN_S = 0.5
TIMEOUT_S = 600
SOLVED = re.compile(r"re-solved in ([0-9.]+) s")


def _set_carbon_price(at: AppTest, value: float) -> float:
    """Set the slider, rerun, return the wall time (s) of the rerun."""
    slider = next(s for s in at.slider if s.label.startswith("Carbon price"))
    t0 = time.perf_counter()
    slider.set_value(value)
    at.run()
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"the app raised: {[e.value for e in at.exception]}")
    return elapsed


def _solver_s(at: AppTest) -> float | None:
    """The planner's own re-solve time, as the page's caption states it."""
    for c in at.caption:
        m = SOLVED.search(str(c.value))
        if m:
            return float(m.group(1))
    return None


def run(changes: int) -> dict[str, Any]:
    """Measure; returns the JSON document."""
    t0 = time.perf_counter()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    first_load_s = time.perf_counter() - t0
    warm_up_s = _set_carbon_price(at, 110.0)
    prices = [120.0 + 10.0 * k for k in range(changes)]
    fresh, solver = [], []
    for p in prices:
        fresh.append(_set_carbon_price(at, p))
        solver.append(_solver_s(at))
    cached = [_set_carbon_price(at, p) for p in prices]
    med = statistics.median(fresh)
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "benchmark": "app what-if: carbon price change → re-solve + redraw (AppTest)",
        "scenario": "bundled example llm-fleet.yaml (MILP: single-region job, min_regions)",
        "date_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "load_average_1_5_15": load},
        "versions": {pkg: metadata.version(pkg) for pkg in
                     ("regionplan", "streamlit", "linopy", "highspy", "plotly")},
        "first_load_s": round(first_load_s, 3),
        "warm_up_change_s": round(warm_up_s, 3),
        "changes": len(prices),
        "carbon_prices_usd_per_tco2e": prices,
        "resolve_redraw_s": [round(x, 3) for x in fresh],
        "resolve_redraw_median_s": round(med, 3),
        "planner_resolve_s": solver,
        "planner_resolve_median_s": (round(statistics.median([s for s in solver if s]), 3)
                                     if any(solver) else None),
        "revisit_cached_s": [round(x, 3) for x in cached],
        "revisit_cached_median_s": round(statistics.median(cached), 3),
        "target_median_s": TARGET_MEDIAN_S,
        "meets_target": med <= TARGET_MEDIAN_S,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args(argv)
    doc = run(args.changes)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "app_bench.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"re-solve + redraw median {doc['resolve_redraw_median_s']:.3f} s over "
          f"{doc['changes']} changes (planner solve median {doc['planner_resolve_median_s']} s; "
          f"cached revisit median {doc['revisit_cached_median_s']:.3f} s; target "
          f"{TARGET_MEDIAN_S} s) → {path}")


if __name__ == "__main__":
    main()
