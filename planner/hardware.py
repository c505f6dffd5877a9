"""Sourced defaults for hardware choice and purchase options.

- Relative training throughput per GPU model (GPU-hours of work per GPU-hour), used when a
  training job lists acceptable GPUs without giving every ratio (``gpus: [H100, A100-80GB]``).
  Only pairs a public benchmark compares on the same system are given; any other GPU needs
  an explicit value in the scenario.
- The interruption overhead of spot capacity (extra work fraction) when the scenario gives
  none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """A value with where it came from."""

    value: float
    source: str
    as_of: str


# Throughput relative to an H100 SXM (1.0). MLPerf Training v3.0 (June 2023), Dell
# submissions with the same host and GPU count, H100-SXM5-80GB vs A100-SXM-80GB: ResNet-50
# 7.8 vs 14.4 min (1.8x), 3D U-Net 7.6 vs 11.0 min (1.4x), DLRM 4.3 vs 8.4 min (2.0x);
# the median speed-up 1.8x gives A100-80GB = 1 / 1.8 of an H100.
MLPERF_V30 = ("MLPerf Training v3.0 closed division, Dell H100-SXM5-80GB vs A100-SXM-80GB "
              "submissions, median speed-up of ResNet-50 / 3D U-Net / DLRM (1.8x), as compared "
              "in https://silvertonconsulting.com/2023/07/12/"
              "mlperf-results-show-h100-v-a100-and-v-habana-gaudi2-gpus/")
TRAINING_THROUGHPUT_VS_H100: dict[str, Figure] = {
    "H100": Figure(1.0, "reference GPU", "2023-07-12"),
    "A100-80GB": Figure(1.0 / 1.8, MLPERF_V30, "2023-07-12"),
}

# AWS states that fewer than 5 % of Spot Instances are interrupted in a month (quoted with
# its data by nOps, https://www.nops.io/blog/aws-spot-facts/, read 2026-12-03). A job that
# checkpoints loses at most the work since its last checkpoint plus a restart per
# interruption; 5 % extra work is taken as the default allowance, to be replaced by the
# team's own figure (``spot_overhead_fraction``) where it has one.
SPOT_OVERHEAD_FRACTION = Figure(
    0.05, "default allowance: < 5 % of AWS Spot Instances interrupted per month "
          "(https://www.nops.io/blog/aws-spot-facts/)", "2026-12-03")


def default_throughput(gpu: str, reference: str) -> float | None:
    """Throughput of ``gpu`` relative to ``reference`` from the table, or None if unsourced."""
    a, b = TRAINING_THROUGHPUT_VS_H100.get(gpu), TRAINING_THROUGHPUT_VS_H100.get(reference)
    if a is None or b is None:
        return None
    return a.value / b.value
