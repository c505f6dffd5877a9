"""The Terraform stack root and modules, for writing next to the generated variables.

``regionplan tfvars --out DIR`` must give a directory Terraform can run in wherever DIR
is. :func:`stack_layout` decides how: a DIR that already holds a root module
(``main.tf`` not written by regionplan, e.g. ``terraform/stacks/fleet``) gets only the
generated files, with module sources resolved relative to DIR; any other DIR also gets
the stack root (``main.tf``, ``variables.tf``, ``outputs.tf``, ``versions.tf``) and a
copy of ``terraform/modules`` under ``DIR/modules`` so it is self-contained.
"""

from __future__ import annotations

import os
from pathlib import Path

from planner.emit.files import read_manifest

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "terraform"
"""``terraform/`` of the source tree regionplan runs from."""
STACK_DIR = TERRAFORM_DIR / "stacks" / "fleet"
MODULES_DIR = TERRAFORM_DIR / "modules"
STACK_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
COPIED_MODULES = "modules"
_SKIP_PARTS = {".terraform", "examples"}


class StackError(RuntimeError):
    """The Terraform sources are not available to copy or resolve."""


def own_root(out_dir: Path) -> bool:
    """True when ``out_dir`` holds a ``main.tf`` that regionplan did not write."""
    main = out_dir / "main.tf"
    return main.is_file() and "main.tf" not in read_manifest(out_dir)


def resolved_modules_source(out_dir: Path) -> str:
    """Path of ``terraform/modules`` relative to ``out_dir`` (POSIX separators)."""
    if not MODULES_DIR.is_dir():
        raise StackError(f"no Terraform modules at {MODULES_DIR}; pass --modules-path")
    rel = os.path.relpath(MODULES_DIR, out_dir.resolve())
    return Path(rel).as_posix()


def copied_files() -> dict[str, str]:
    """``{relative path: text}`` of the stack root and every module's ``*.tf``/README,
    with the stack's module source pointing at ``./modules``."""
    if not STACK_DIR.is_dir() or not MODULES_DIR.is_dir():
        raise StackError(f"no Terraform sources at {TERRAFORM_DIR}; pass --modules-path "
                         "and write into a directory holding the stack")
    files: dict[str, str] = {}
    for name in STACK_FILES:
        text = (STACK_DIR / name).read_text(encoding="utf-8")
        files[name] = text.replace('"../../modules/', f'"./{COPIED_MODULES}/')
    for path in sorted(MODULES_DIR.rglob("*")):
        rel = path.relative_to(MODULES_DIR)
        if path.is_file() and path.suffix in (".tf", ".md") and not (_SKIP_PARTS & set(rel.parts)):
            files[f"{COPIED_MODULES}/{rel.as_posix()}"] = path.read_text(encoding="utf-8")
    return files
