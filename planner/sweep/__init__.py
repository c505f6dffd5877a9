"""Parameter sweeps and Monte Carlo over a scenario, serially or on Dask.

- :mod:`planner.sweep.spec`: the typed parameter grid (``--grid carbon_price=0,50,100``).
- :mod:`planner.sweep.sampling`: Monte Carlo perturbations with stated uncertainty ranges.
- :mod:`planner.sweep.tasks`: points, batches of points that share one built model, and the
  function a worker runs on a batch.
- :mod:`planner.sweep.engine`: serial and Dask execution through one driver loop.
- :mod:`planner.sweep.results`: the append-only Parquet result store (resumable).
- :mod:`planner.sweep.report`: summary (P10/P50/P90 per grid point) and charts.
"""

from __future__ import annotations

from planner.sweep.engine import SweepInterrupted, SweepReport, run_sweep
from planner.sweep.sampling import Uncertainty
from planner.sweep.spec import Grid, SweepSpec, SweepSpecError, parse_grid

__all__ = ["Grid", "SweepInterrupted", "SweepReport", "SweepSpec", "SweepSpecError",
           "Uncertainty", "parse_grid", "run_sweep"]
