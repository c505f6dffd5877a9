"""The malformed-scenario corpus on the CLI: exit 2, no traceback, the field named.

In-process (Typer's CliRunner) for ``validate`` and ``plan``; a few cases through a real
``regionplan`` subprocess, with a time bound (an alias bomb or a 10 MB file must be
refused in seconds, not minutes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from malformed_corpus import all_cases
from typer.testing import CliRunner

from planner.cli import _register_all, app

CASES = all_cases()
runner = CliRunner()
_register_all()
SUBPROCESS_CASES = ("alias-bomb", "deep-list", "huge-file", "horizon-year-9999",
                    "max_gpus=huge", "markup-name", "duplicate-key")
SUBPROCESS_LIMIT_S = 30.0


def flat(text: str) -> str:
    """Whitespace collapsed (the console wraps long lines)."""
    return " ".join(text.split())


def write_case(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    return path


def assert_refused(output: str, code: int, expected: list[str]) -> None:
    assert code == 2, output[-2000:]
    assert "Traceback" not in output, output[-2000:]
    assert len(output) < 6_000, f"message of {len(output):,} characters"
    for piece in expected:
        assert flat(piece) in flat(output), (piece, output[-2000:])


def test_the_corpus_is_large_and_unique() -> None:
    ids = [c[0] for c in CASES]
    assert len(ids) >= 100
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_refused_in_process(command: str, case: str, text: str, expected: list[str],
                            tmp_path: Path) -> None:
    path = write_case(tmp_path, text)
    args = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "plan" else [])
    t0 = time.perf_counter()
    res = runner.invoke(app, args)
    assert time.perf_counter() - t0 < SUBPROCESS_LIMIT_S
    assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert_refused(res.output, res.exit_code, expected)
    assert not (tmp_path / "out" / "plan.json").exists()


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_refused_by_the_real_command(case: str, tmp_path: Path) -> None:
    _, text, expected = next(c for c in CASES if c[0] == case)
    path = write_case(tmp_path, text)
    t0 = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).with_name("regionplan")), "validate",
                           str(path)], capture_output=True, text=True,
                          timeout=SUBPROCESS_LIMIT_S, env={**os.environ, "COLUMNS": "80"})
    wall_s = time.perf_counter() - t0
    assert_refused(proc.stdout + proc.stderr, proc.returncode, expected)
    assert wall_s < SUBPROCESS_LIMIT_S


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "eu-resident.yaml"


@pytest.mark.parametrize(("grid", "field"), [
    ("carbon_price=1e308", "carbon_price"), ("water_price=1e308", "water_price_usd_per_m3"),
    ("latency_slo=1e300", "latency_slo_ms"), ("demand_scale=1e300", "rps"),
    ("carbon_cap=1e300", "carbon_cap")])
def test_sweep_grid_values_are_checked_before_solving(grid: str, field: str,
                                                      tmp_path: Path) -> None:
    res = runner.invoke(app, ["sweep", str(EXAMPLE), "--grid", grid, "--out",
                              str(tmp_path / "sweep")])
    assert_refused(res.output, res.exit_code, [field])
    assert not (tmp_path / "sweep" / "results.parquet").exists()
