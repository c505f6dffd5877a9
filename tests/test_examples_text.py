"""The examples' comments state the values the scenarios actually use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.scenario import load_scenario

ROOTS = [Path(__file__).parents[1] / "examples", Path(__file__).parents[1] / "planner" / "examples"]
EXAMPLES = sorted(p for root in ROOTS for p in root.glob("*.yaml"))
MS_IN_COMMENT = re.compile(r"(\d+(?:\.\d+)?) ms")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_latency_in_comments_matches_the_slo(path: Path) -> None:
    comments = " ".join(line for line in path.read_text().splitlines()
                        if line.lstrip().startswith("#"))
    slos = {s.latency_slo_ms for s in load_scenario(path).inference}
    for said in MS_IN_COMMENT.findall(comments):
        assert float(said) in slos, f"{path.name}: comment says {said} ms, SLOs are {slos}"
