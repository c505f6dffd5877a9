"""Run a sweep: serially in this process or on Dask, through one driver loop.

The driver (:func:`run_sweep`) plans tasks, hands them to an executor, and writes each
task's rows to the result store the moment they arrive. The executors differ only in
where :func:`~planner.sweep.tasks.run_task` runs:

- ``local`` (:class:`SerialExecutor`): in this process, one task after another;
- ``dask`` (:class:`DaskExecutor`): on a Dask cluster — a ``LocalCluster`` on 127.0.0.1
  sized to the machine (one single-threaded worker process per core, no dashboard), or an
  existing cluster by scheduler address. The scenario, catalog and options are scattered
  to every worker once (``broadcast=True``); tasks carry only their points. A task whose
  worker dies is rescheduled by Dask (up to ``distributed.scheduler.allowed-failures``
  deaths); an exception escaping a task is retried (``retries=2``); a task that still
  cannot finish is recorded as ``lost`` and ``--resume`` computes it again.

Interrupting (Ctrl-C) stops the run with :class:`SweepInterrupted`; every finished task is
already on disk, so ``--resume`` continues from there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd

from connectors.catalog import Catalog
from planner.scenario import Scenario
from planner.solve import SolveOptions
from planner.sweep.results import ResultStore
from planner.sweep.spec import SweepSpec
from planner.sweep.tasks import SweepContext, Task, lost_rows, plan_tasks, run_task

Engine = Literal["local", "dask"]
ProgressFn = Callable[[int, int, list[dict[str, Any]]], None]
"""Called with (points done, points in the sweep, rows that just arrived)."""
SWEEP_SOLVE_OPTIONS = SolveOptions(threads=1)
"""One solver thread per worker: workers are processes, one per core."""
WORKER_WAIT_S = 60.0


class SweepInterrupted(RuntimeError):
    """The run was interrupted; finished points are saved and ``--resume`` continues."""

    def __init__(self, done: int, total: int, out_dir: Path):
        self.done, self.total, self.out_dir = done, total, out_dir
        super().__init__(f"interrupted with {done} of {total} points done (saved in "
                         f"{out_dir}); rerun with --resume to finish")


@dataclass(frozen=True)
class SweepReport:
    """What a finished run did. ``results`` holds one row per point, sorted by point id."""

    out_dir: Path
    results_path: Path
    total_points: int
    skipped_points: int
    computed_point_ids: tuple[int, ...]
    tasks: int
    engine: str
    workers: int
    wall_s: float
    results: pd.DataFrame = field(repr=False)
    written: tuple[Path, ...] = ()

    @property
    def status_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.results["status"].value_counts().items()}


class Executor(Protocol):
    """Runs tasks and yields each one's rows as it finishes (in any order)."""

    workers: int

    def run(self, ctx: SweepContext, tasks: list[Task]) -> Iterator[tuple[Task, list[dict]]]:
        ...

    def close(self) -> None:
        ...


class SerialExecutor:
    """Runs tasks in this process, in order."""

    workers = 1

    def run(self, ctx: SweepContext, tasks: list[Task]) -> Iterator[tuple[Task, list[dict]]]:
        for task in tasks:
            yield task, run_task(ctx, task)

    def close(self) -> None:
        pass


def machine_cores() -> int:
    """Cores this process may use (affinity-aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


class DaskExecutor:
    """Runs tasks on a Dask cluster: a new LocalCluster, or an existing one by address."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None):
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        if scheduler is None:
            n = workers or machine_cores()
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         host="127.0.0.1", dashboard_address=None,
                                         silence_logs=logging.ERROR)
            self.client = Client(self._cluster)
        else:
            self.client = Client(scheduler, timeout=f"{WORKER_WAIT_S:g}s")
        try:
            self.client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except TimeoutError:
            self.close()
            raise RuntimeError(f"no Dask worker joined scheduler {scheduler} within "
                               f"{WORKER_WAIT_S:g} s; start workers with `dask worker "
                               f"{scheduler}`") from None
        self.workers = len(self.client.scheduler_info(n_workers=-1)["workers"])

    def run(self, ctx: SweepContext, tasks: list[Task]) -> Iterator[tuple[Task, list[dict]]]:
        from distributed import KilledWorker, as_completed

        shared = self.client.scatter(ctx, broadcast=True, hash=False)
        run_id = uuid.uuid4().hex[:8]
        futures = {self.client.submit(run_task, shared, t, key=f"{t.key}-{run_id}",
                                      retries=2, pure=False): t for t in tasks}
        try:
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    rows = fut.result()
                except KilledWorker as err:
                    rows = lost_rows(ctx, task, f"KilledWorker: {err}")
                yield task, rows
        finally:
            self.client.cancel(list(futures))
            self.client.cancel([shared])

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(engine: Engine, scheduler: str | None = None,
                  workers: int | None = None) -> Executor:
    """The executor for ``--engine`` (``local`` = serial in this process)."""
    if engine == "local":
        if scheduler is not None:
            raise ValueError("--scheduler needs --engine dask")
        return SerialExecutor()
    if engine == "dask":
        return DaskExecutor(scheduler, workers)
    raise ValueError(f"unknown engine '{engine}'; use local or dask")


def sweep_id(manifest: dict[str, Any]) -> str:
    """Identity of a sweep (scenario, catalog and spec hashes)."""
    text = "|".join(str(manifest[k]) for k in ("scenario_sha256", "catalog_sha256",
                                              "spec_sha256"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_sweep(scenario: Scenario, catalog: Catalog, spec: SweepSpec, out_dir: Path, *,
              engine: Engine = "dask", scheduler: str | None = None,
              workers: int | None = None, resume: bool = False,
              options: SolveOptions = SWEEP_SOLVE_OPTIONS, batch_size: int | None = None,
              on_progress: ProgressFn | None = None, report: bool = True,
              executor: Executor | None = None) -> SweepReport:
    """Solve every point of ``spec`` and write ``out_dir`` (see :mod:`planner.sweep.results`).

    With ``resume`` the points already in ``out_dir`` are skipped. Raises
    :class:`SweepInterrupted` on Ctrl-C (or a KeyboardInterrupt from ``on_progress``),
    :class:`~planner.sweep.results.SweepStoreError` when ``out_dir`` holds another sweep,
    and :class:`~planner.sweep.spec.SweepSpecError` when the grid does not fit the scenario.
    An ``executor`` passed in stays open (the caller owns it); one made here is closed.
    """
    t0 = time.perf_counter()
    spec.grid.check_against(scenario)
    store = ResultStore(out_dir, spec)
    manifest = ResultStore.manifest(scenario, catalog, spec)
    store.open(manifest, resume)
    try:
        points = spec.points()
        finished = store.finished_ids() if resume else set()
        pending = [p for p in points if p.point_id not in finished]
        done = len(points) - len(pending)
        progress = on_progress or (lambda _d, _t, _r: None)
        ctx = SweepContext(sweep_id(manifest), scenario, catalog, spec, options)
        computed: list[int] = []
        n_tasks, n_workers = 0, 0
        try:
            progress(done, len(points), [])
            if pending:
                owned = executor is None
                executor = executor or make_executor(engine, scheduler, workers)
                n_workers = executor.workers
                try:
                    tasks = plan_tasks(spec, pending, n_workers, batch_size)
                    n_tasks = len(tasks)
                    for _task, rows in executor.run(ctx, tasks):
                        store.write_part(rows)
                        computed.extend(int(r["point_id"]) for r in rows)
                        done += len(rows)
                        progress(done, len(points), rows)
                finally:
                    if owned:
                        executor.close()
        except KeyboardInterrupt:
            raise SweepInterrupted(done, len(points), out_dir) from None
        results_path, df = store.consolidate()
        written: tuple[Path, ...] = (results_path,)
        if report:
            from planner.sweep.report import write_report

            written += tuple(write_report(out_dir, df, spec, scenario_name=scenario.name))
    finally:
        store.close()
    return SweepReport(out_dir, results_path, len(points), len(points) - len(pending),
                       tuple(computed), n_tasks, engine, n_workers,
                       time.perf_counter() - t0, df, written)
