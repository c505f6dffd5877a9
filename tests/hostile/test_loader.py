"""The guarded YAML reader: limits hold on both parsers, legitimate YAML still loads."""

from __future__ import annotations

import re
import time

import pytest
import yaml

from planner import loader
from planner.scenario import load_scenario_text

LEGIT = """
base: &base {gpu: H100, max_gpus: 8}
jobs:
  - {<<: *base, name: a, gpu_hours: 10}
  - {<<: *base, name: b, gpu_hours: 20, max_gpus: 4}
eu: &eu [EU, United Kingdom]
again: *eu
"""


def parsers() -> list[type]:
    found: list[type] = [loader._GuardedLoader]
    if loader._CParser is not None:
        found.append(loader._FastGuardedLoader)
    return found


@pytest.fixture(params=parsers(), ids=lambda c: c.__name__)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setattr(loader, "_loader", request.param)
    return request.param


def test_merge_keys_and_aliases_load(parser: type) -> None:
    data = loader.load_yaml(LEGIT, "f.yaml")
    assert data["jobs"][1] == {"gpu": "H100", "max_gpus": 4, "name": "b", "gpu_hours": 20}
    assert data["again"] == ["EU", "United Kingdom"]


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\nb: 2\na: 3\n", "line 3: duplicate key 'a' (first at line 1)"),
    ("{a: 1, a: 2}", "duplicate key 'a'"),
    ("a: " + "[" * 40 + "]" * 40, "nested more than 32 levels"),
    ("a: &a [*a]\n", "refers to a value that contains it"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join(['*a' if i == 0 else f'*a{i - 1}'] * 10)}]\n"
        for i in range(6)), "expand to more than 200,000 values"),
    ("k: *z\n", "undefined alias"),
])
def test_limits(parser: type, text: str, message: str) -> None:
    with pytest.raises(loader.InputLimitError, match=re.escape(message)):
        loader.load_yaml(text, "f.yaml")


def test_alias_count_limit(parser: type) -> None:
    text = "x: &x 1\nl: [" + ", ".join(["*x"] * (loader.MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(loader.InputLimitError, match="more than 1,000 YAML aliases"):
        loader.load_yaml(text, "f.yaml")


def test_size_limit_counts_bytes() -> None:
    with pytest.raises(loader.InputLimitError, match="limited to 256 kB"):
        loader.load_yaml("é" * (loader.MAX_INPUT_BYTES // 2 + 1), "f.yaml")


def test_short_repr_never_expands() -> None:
    nested: list[object] = ["lol"] * 9
    for _ in range(9):
        nested = [nested] * 9  # 9**10 leaves when expanded
    t0 = time.perf_counter()
    text = loader.short_repr(nested)
    assert time.perf_counter() - t0 < 0.1 and len(text) < 120
    assert len(loader.short_repr("x" * 10_000_000)) < 120


def test_a_large_legitimate_scenario_loads_in_seconds() -> None:
    jobs = [{"name": f"j{i}", "gpu": "H100", "gpu_hours": 100 + i, "max_gpus": 8,
             "allowed_jurisdictions": ["EU", "United States"]} for i in range(2_000)]
    text = yaml.safe_dump({"name": "big", "horizon": {"start": "2027-01-04T00:00Z",
                                                      "hours": 24}, "training": jobs})
    assert 150_000 < len(text) < loader.MAX_INPUT_BYTES
    t0 = time.perf_counter()
    assert len(load_scenario_text(text).training) == 2_000
    assert time.perf_counter() - t0 < 20
