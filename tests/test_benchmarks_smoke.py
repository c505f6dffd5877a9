"""Smoke run of the benchmark runner at its smallest sizes: JSON shape and sane numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import run as bench  # noqa: E402  (benchmarks/ is not an installed package)


def _positive(doc: dict, keys: tuple[str, ...]) -> None:
    for key in keys:
        assert isinstance(doc[key], int | float) and doc[key] > 0, (key, doc[key])


@pytest.fixture(scope="module")
def smoke_doc(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    bench.main(["--smoke", "--in-process", "--out", str(out),
                "--only", "lp_highs_vs_raw", "--only", "lp_pulp_build",
                "--only", "week_2m", "--only", "growth", "--only", "pareto"])
    files = list(out.glob("*.json"))
    assert len(files) == 1
    return json.loads(files[0].read_text())


def test_machine_and_versions(smoke_doc: dict) -> None:
    assert smoke_doc["kind"] == "smoke" and smoke_doc["schema"] == 1
    m = smoke_doc["machine"]
    assert m["cpu_count"] >= 1 and m["python"] and m["platform"]
    for pkg in ("linopy", "highspy", "pulp"):
        assert m["versions"][pkg]
    assert smoke_doc["date_utc"].startswith("20")


def test_lp_cases(smoke_doc: dict) -> None:
    lp = smoke_doc["cases"]["lp_highs_vs_raw"]
    _positive(lp, ("n_vars", "n_cons", "build_s", "solve_s", "total_s", "raw_highs_s",
                   "linopy_over_raw", "peak_rss_mb"))
    # The raw solve ran on the very matrices the planner solved (the LP: instances relaxed),
    # so both reach the same optimum.
    assert lp["raw_objective_usd"] == pytest.approx(lp["objective_usd"], rel=1e-6)
    assert isinstance(lp["met"], bool)
    pb = smoke_doc["cases"]["lp_pulp_build"]
    _positive(pb, ("pulp_matrix_build_s", "matrix_over_raw", "recorded_rowwise_baseline_s"))
    assert pb["n_vars"] == lp["n_vars"] and pb["n_cons"] == lp["n_cons"]
    small = pb["small"]
    _positive(small, ("rowwise_build_s", "pulp_matrix_build_s", "linopy_build_s"))
    # Row-by-row and matrix PuLP models have the same shape.
    assert (small["rowwise_n_vars"], small["rowwise_n_cons"]) == (small["n_vars"],
                                                                  small["n_cons"])


def test_week_and_growth(smoke_doc: dict) -> None:
    week = smoke_doc["cases"]["week_2m"]
    assert week["status"] == "optimal" and week["hours"] == 168
    assert week["whole_instances"] and 0.0 <= week["mip_gap"] <= 0.01 and week["met_gap"]
    relaxed = week["relaxed"]
    assert not relaxed["whole_instances"] and relaxed["n_vars"] == week["n_vars"]
    for point in (week, relaxed):
        _positive(point, ("n_vars", "n_cons", "prepare_s", "build_s", "solve_s", "total_s",
                          "peak_rss_mb"))
    growth = smoke_doc["cases"]["growth"]
    assert len(growth["points"]) >= 4
    sizes = [p["n_vars"] for p in growth["points"]]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)
    for p in growth["points"]:
        _positive(p, ("n_vars", "total_s", "peak_rss_mb"))
    assert growth["total_s_fit"]["exponent"] > 0


def test_power_law_fit_is_exact_on_a_power_law() -> None:
    fit = bench.fit_power_law([1e3, 1e4, 1e5, 1e6], [2.0 * n**1.5 for n in (1e3, 1e4, 1e5,
                                                                               1e6)])
    assert fit["exponent"] == pytest.approx(1.5, rel=1e-9)
    assert fit["coefficient"] == pytest.approx(2.0, rel=1e-6)


def test_child_process_measures_one_point() -> None:
    # The real runner measures each point in a fresh interpreter (per-case peak RSS).
    point = bench._child("end_to_end", target_vars=500)
    assert point["status"] == "optimal"
    _positive(point, ("n_vars", "total_s", "peak_rss_mb", "baseline_rss_mb"))
    assert point["peak_rss_mb"] >= point["baseline_rss_mb"]


def test_pareto(smoke_doc: dict) -> None:
    pareto = smoke_doc["cases"]["pareto"]
    _positive(pareto, ("n_vars", "single_solve_s", "frontier_s", "frontier_over_single"))
    assert pareto["points_returned"] >= 2
    week_ipm = smoke_doc["cases"]["week_2m"]["with_highs_ipm"]
    assert week_ipm["objective_usd"] > 0 and week_ipm["status"] == "optimal"


def test_instances_bench_with_the_frontier(tmp_path: Path) -> None:
    from benchmarks import instances_bench

    out = tmp_path / "instances.json"
    instances_bench.main(["--repeats", "1", "--only", "flex-fleet", "--frontier",
                          "--out", str(out)])
    doc = json.loads(out.read_text())
    (row,) = doc["examples"]
    assert row["example"] == "flex-fleet" and 0 <= row["whole_mip_gap"] <= 0.005
    assert row["compute_usd"] == pytest.approx(row["sum_instance_hours_x_price_usd"], rel=1e-3)
    assert row["whole_objective_usd"] >= row["relaxed_objective_usd"] * (1 - 1e-9)
    frontier = doc["frontier"]
    assert frontier["points"] == 21 and len(frontier["frontier_s"]) == 1
    _positive(frontier, ("frontier_median_s", "one_solve_median_s", "frontier_over_single"))
    assert frontier["frontier_over_single"] == pytest.approx(
        frontier["frontier_median_s"] / frontier["one_solve_median_s"])
    assert 0 <= frontier["max_point_gap"] <= 0.005  # the frontier's default proven gap
    assert sum(frontier["points_by_method"].values()) == 21
