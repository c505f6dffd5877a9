"""Read a plan.json for the emitters, with errors that name the file and the problem."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
"""The plan.json schema version the emitters read."""

REQUIRED_SECTIONS = ("scenario", "status", "horizon", "objective", "totals", "placements")


class PlanFileError(ValueError):
    """A file is missing, unreadable, or not a plan.json of a schema version we read."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def horizon_hours(plan: Mapping[str, Any], name: str,
                  error: type[ValueError] = ValueError) -> float:
    """The plan's horizon in hours (> 0); ``error`` (naming ``name``) if it has none."""
    try:
        hours = float(plan["horizon"]["hours"])
    except (KeyError, TypeError, ValueError) as exc:
        raise error(f"{name}: no horizon.hours; is it a plan.json?") from exc
    if not hours > 0:
        raise error(f"{name}: horizon.hours must be positive, got {hours}")
    return hours


def load_plan(path: Path) -> dict[str, Any]:
    """The plan dict in ``path``; :class:`PlanFileError` if it is not a readable plan.json.

    Checks that the file exists, is UTF-8 JSON, is an object with ``schema_version``
    equal to :data:`SCHEMA_VERSION` and has the sections the emitters read.
    """
    path = Path(path)
    if not path.exists():
        raise PlanFileError(path, "no such file")
    if not path.is_file():
        raise PlanFileError(path, "not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(path, f"cannot be read as UTF-8 text ({exc})") from exc
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(
            path, f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(doc, dict) or "schema_version" not in doc:
        raise PlanFileError(path, "not a plan.json (no schema_version; write one with "
                            "`regionplan plan`)")
    if doc["schema_version"] != SCHEMA_VERSION:
        raise PlanFileError(
            path,
            f"plan schema_version {doc['schema_version']!r}; this regionplan reads "
            f"version {SCHEMA_VERSION} (re-run `regionplan plan` with this version)",
        )
    missing = [s for s in REQUIRED_SECTIONS if s not in doc]
    if missing:
        raise PlanFileError(path, f"not a complete plan.json: lacks {', '.join(missing)}")
    if not isinstance(doc["placements"], list):
        raise PlanFileError(path, "'placements' is not a list")
    return doc
