"""Read a plan.json for the emitters, with errors that name the file and the problem."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
"""The plan.json schema version the emitters read."""

REQUIRED_SECTIONS = ("scenario", "status", "horizon", "objective", "totals", "placements")
MAX_PLAN_NUMBER = 1e15
"""Largest magnitude of a number in a plan.json read by the emitters (far above any fleet's
dollars, tonnes or GPU-hours; products of such numbers stay finite)."""
HORIZON_HOURS_RANGE = (1.0, 1e6)
"""``horizon.hours`` of a plan.json must lie in this range (hours)."""


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


def _refuse_constant(name: str) -> float:
    raise ValueError(f"holds {name}, which is not a JSON number")


def load_plan(path: Path) -> dict[str, Any]:
    """The plan dict in ``path``; :class:`PlanFileError` if it is not a readable plan.json.

    Checks that the file exists, is UTF-8 JSON, is an object with ``schema_version``
    equal to :data:`SCHEMA_VERSION` and has the sections the emitters read; that every
    string is valid Unicode and every number finite, of magnitude ≤ :data:`MAX_PLAN_NUMBER`
    and not subnormal; that ``horizon.hours`` lies in :data:`HORIZON_HOURS_RANGE` and the
    objective's prices are ≥ 0.
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
        doc = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as exc:
        if not isinstance(exc, json.JSONDecodeError):
            raise PlanFileError(path, str(exc)) from None
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
    problem = _first_bad_value(doc)
    if problem is not None:
        raise PlanFileError(path, problem)
    missing = [s for s in REQUIRED_SECTIONS if s not in doc]
    if missing:
        raise PlanFileError(path, f"not a complete plan.json: lacks {', '.join(missing)}")
    if not isinstance(doc["placements"], list):
        raise PlanFileError(path, "'placements' is not a list")
    hours = doc["horizon"].get("hours") if isinstance(doc["horizon"], dict) else None
    low, high = HORIZON_HOURS_RANGE
    if not isinstance(hours, int | float) or isinstance(hours, bool) or not low <= hours <= high:
        raise PlanFileError(path, f"horizon.hours must be a number of hours in {low:g}–"
                            f"{high:g}, found {str(hours)[:40]}")
    objective = doc["objective"] if isinstance(doc["objective"], dict) else {}
    for key in ("carbon_price_usd_per_tco2e", "water_price_usd_per_m3"):
        price = objective.get(key, 0.0)
        if not isinstance(price, int | float) or isinstance(price, bool) or price < 0:
            raise PlanFileError(path, f"objective.{key} must be a number ≥ 0, found "
                                f"{str(price)[:40]}")
    return doc


def _walk(value: object, where: str = "") -> Iterator[tuple[str, object]]:
    """Every scalar of a JSON document with its path (``placements[0].instances``)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(k, f"{where} (a key)")
            yield from _walk(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{where}[{i}]")
    else:
        yield where or "(top level)", value


def _first_bad_value(doc: object) -> str | None:
    """Why the document cannot be emitted (a lone surrogate in a string, a non-finite,
    huge or subnormal number), or None."""
    for where, value in _walk(doc):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where[:200]}: text holds an invalid character (a lone surrogate)"
        elif isinstance(value, int | float) and not isinstance(value, bool):
            x = abs(float(value)) if abs(value) <= MAX_PLAN_NUMBER else float("inf")
            if not x <= MAX_PLAN_NUMBER or 0 < x < sys.float_info.min:
                return (f"{where[:200]}: {str(value)[:40]} is not a usable number (finite, "
                        f"magnitude ≤ {MAX_PLAN_NUMBER:g}, not subnormal)")
    return None
