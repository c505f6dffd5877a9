"""Sweeps end to end: results vs direct plans, failures as statuses, resume, Dask.

The Dask tests start real LocalClusters (worker processes on 127.0.0.1) and are marked
slow; the whole file runs in well under a minute on two cores.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_fixtures import deterministic, tiny_scenario
from tiny import tiny_catalog

from planner.session import Parameters, PlanSession
from planner.sweep import SweepInterrupted, SweepSpec, parse_grid, run_sweep
from planner.sweep.engine import DaskExecutor
from planner.sweep.results import ResultStore, SweepStoreError
from planner.sweep.tasks import TOTAL_COLUMNS, Status

# carbon price re-solves one model; the SLO rebuilds it; 2 samples → 4 structures, 8 points
SPEC = SweepSpec(parse_grid(["carbon_price=0,6000", "latency_slo=40,60"]), samples=2, seed=3)


@pytest.fixture(scope="module")
def catalog():
    return tiny_catalog()


@pytest.fixture(scope="module")
def serial(catalog, tmp_path_factory) -> pd.DataFrame:
    """The serial reference run of SPEC."""
    out = tmp_path_factory.mktemp("serial")
    return run_sweep(tiny_scenario(), catalog, SPEC, out, engine="local", report=False).results


def _part_hashes(out: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / "parts").glob("part-*.parquet"))}


def test_nominal_rows_equal_direct_plans(catalog, tmp_path) -> None:
    spec = SweepSpec(parse_grid(["carbon_price=0,6000", "latency_slo=40,60"]))
    rep = run_sweep(tiny_scenario(), catalog, spec, tmp_path, engine="local")
    df = rep.results
    assert list(df["point_id"]) == [0, 1, 2, 3] and (df["status"] == Status.OPTIMAL).all()
    for slo in (40.0, 60.0):
        svc = {**tiny_scenario().inference[0].model_dump(), "latency_slo_ms": slo}
        session = PlanSession(tiny_scenario().with_overrides(inference=[svc]), catalog)
        for row in df[df["latency_slo_ms"] == slo].itertuples(index=False):
            plan = session.plan(
                Parameters(carbon_price_usd_per_tco2e=row.carbon_price_usd_per_tco2e))
            for col in TOTAL_COLUMNS:
                assert getattr(row, col) == pytest.approx(plan.totals[col], rel=1e-9, abs=1e-9)
    # the carbon price moves the training job from azure/japaneast to gcp/europe-north1
    cheap, green = df.iloc[0], df.iloc[2]
    assert cheap["carbon_tco2e"] > green["carbon_tco2e"] and cheap["cost_usd"] < green["cost_usd"]
    assert {p.name for p in rep.written} == {"results.parquet", "summary.json", "summary.md",
                                             "charts.html"}
    assert pd.read_parquet(rep.results_path).equals(df)
    html = (tmp_path / "charts.html").read_text()
    assert "cost vs carbon" in html and "<script src=" not in html  # plotly inlined
    assert "carbon_price=6000, latency_slo=60" in (tmp_path / "summary.md").read_text()


def test_failed_points_are_recorded_not_raised(catalog, tmp_path) -> None:
    # 5 ms: no region is close enough to Dublin (RTT ≥ 10 ms) (prepare fails for those points);
    # a 0.01 t carbon cap is below the carbon of any plan (the solve is infeasible)
    spec = SweepSpec(parse_grid(["latency_slo=5,60", "carbon_cap=none,0.01"]))
    df = run_sweep(tiny_scenario(), catalog, spec, tmp_path, engine="local",
                   report=False).results
    assert list(df["status"]) == [Status.INFEASIBLE, Status.INFEASIBLE, Status.OPTIMAL,
                                  Status.INFEASIBLE]
    assert "Dublin" in df.loc[0, "message"] and "5 ms" in df.loc[0, "message"]
    assert df.loc[3, "message"] and pd.isna(df.loc[3, "cost_usd"])


def test_resume_after_interrupt_recomputes_nothing(catalog, serial, tmp_path) -> None:
    seen: list[int] = []

    def stop_after_two_tasks(done: int, total: int, rows: list[dict]) -> None:
        seen.extend(r["point_id"] for r in rows)
        if len(set(seen)) >= 3:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as err:
        run_sweep(tiny_scenario(), catalog, SPEC, tmp_path, engine="local", batch_size=2,
                  on_progress=stop_after_two_tasks, report=False)
    assert err.value.done == 4 and err.value.total == 8
    before = _part_hashes(tmp_path)
    assert len(before) == 2 and not (tmp_path / "results.parquet").exists()

    with pytest.raises(SweepStoreError, match="--resume"):
        run_sweep(tiny_scenario(), catalog, SPEC, tmp_path, engine="local", report=False)
    other = SweepSpec(SPEC.grid, samples=2, seed=4)
    with pytest.raises(SweepStoreError, match="differs in: spec"):
        run_sweep(tiny_scenario(), catalog, other, tmp_path, engine="local", resume=True)

    rep = run_sweep(tiny_scenario(), catalog, SPEC, tmp_path, engine="local", resume=True,
                    report=False)
    assert rep.skipped_points == 4
    assert sorted(rep.computed_point_ids) == sorted(set(range(8)) - set(seen))
    after = _part_hashes(tmp_path)
    assert {k: after[k] for k in before} == before  # finished parts untouched
    rows = sum(len(pd.read_parquet(tmp_path / "parts" / k)) for k in after)
    assert rows == 8  # every point solved exactly once over both runs
    pd.testing.assert_frame_equal(deterministic(rep.results), deterministic(serial))

    again = run_sweep(tiny_scenario(), catalog, SPEC, tmp_path, engine="local", resume=True,
                      report=False)
    assert again.computed_point_ids == () and _part_hashes(tmp_path) == after


def test_two_runs_never_write_one_directory(catalog, tmp_path) -> None:
    holder = ResultStore(tmp_path, SPEC)
    holder.open(ResultStore.manifest(tiny_scenario(), catalog, SPEC), resume=False)
    try:
        busy = rf"another regionplan sweep \(pid {os.getpid()}\)"
        with pytest.raises(SweepStoreError, match=busy):
            run_sweep(tiny_scenario(), catalog, SPEC, tmp_path, engine="local", resume=True)
    finally:
        holder.close()
    assert not list((tmp_path / "parts").glob("part-*"))


@pytest.fixture(scope="module")
def dask_executor():
    """A LocalCluster of 2 worker processes on 127.0.0.1, started the way the CLI does."""
    executor = DaskExecutor(workers=2)
    yield executor
    executor.close()


@pytest.mark.slow
def test_dask_local_cluster_equals_serial(catalog, serial, dask_executor, tmp_path) -> None:
    assert dask_executor.client.scheduler.address.startswith("tcp://127.0.0.1:")
    rep = run_sweep(tiny_scenario(), catalog, SPEC, tmp_path, engine="dask", batch_size=2,
                    executor=dask_executor, report=False)
    assert rep.workers == 2 and rep.engine == "dask" and rep.tasks == 4
    assert rep.results["worker"].nunique() == 2  # both workers did some of the work
    pd.testing.assert_frame_equal(deterministic(rep.results), deterministic(serial))


def _exit_soon() -> bool:
    """Runs on a worker: the process exits 50 ms later, whatever it is doing."""
    threading.Timer(0.05, os._exit, args=(1,)).start()
    return True


@pytest.mark.slow
def test_killing_a_worker_mid_sweep_still_completes(catalog, serial, dask_executor,
                                                     tmp_path) -> None:
    client = dask_executor.client
    killed: list[str] = []

    def executing(dask_worker) -> int:  # runs on each worker
        return len(dask_worker.state.executing)

    def kill_a_busy_worker(done: int, total: int, rows: list[dict]) -> None:
        if killed or not rows:
            return
        for _ in range(500):  # until some worker is inside a task
            busy = [w for w, n in client.run(executing).items() if n]
            if busy:
                killed.append(busy[0])
                client.run(_exit_soon, workers=busy[:1])
                return
            time.sleep(0.01)

    # connect by address, as `--scheduler` does for an existing cluster
    rep = run_sweep(tiny_scenario(), catalog, SPEC, tmp_path, engine="dask", batch_size=1,
                    scheduler=client.scheduler.address, on_progress=kill_a_busy_worker,
                    report=False)
    assert killed, "no worker was busy when the first result arrived"
    assert killed[0] not in client.scheduler_info(n_workers=-1)["workers"]  # it did die
    # the task that died with its worker was re-run elsewhere: every point, all optimal
    assert (rep.results["status"] == Status.OPTIMAL).all() and len(rep.results) == 8
    pd.testing.assert_frame_equal(deterministic(rep.results), deterministic(serial))


def test_a_point_stopped_at_its_time_limit_is_a_plan_that_says_so(tmp_path) -> None:
    # eu-resident's whole-instance plan needs ~1.5 s of branch and bound to be proven
    # within 0.1 % (its LPs ~0.2 s each): stopped at 0.5 s the row holds the best plan
    # found and says it stopped
    from connectors.catalog import load_catalog
    from planner.scenario import load_scenario
    from planner.solve import SolveOptions

    example = Path(__file__).parents[2] / "examples" / "eu-resident.yaml"
    spec = SweepSpec(parse_grid(["carbon_price=50"]))
    df = run_sweep(load_scenario(example), load_catalog(), spec, tmp_path, engine="local",
                   options=SolveOptions(threads=1, time_limit_s=0.5), report=False).results
    row = df.iloc[0]
    assert row["status"] == Status.OPTIMAL and row["cost_usd"] > 0
    assert "branch and bound stopped at 0.5 s" in row["message"]
