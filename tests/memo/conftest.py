"""Plans of the bundled examples, solved once per test session (at the scenario's carbon
price and at 0, i.e. today's cost-only placement)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.catalog import Catalog, load_catalog
from planner.scenario import Scenario, load_scenario
from planner.session import Parameters, PlanSession

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_NAMES = ("llm-fleet", "eu-resident", "global-low-latency")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(Path("/nonexistent-regionplan-store"))


@pytest.fixture(scope="session")
def example_plans(catalog: Catalog) -> dict[str, tuple[Scenario, dict[str, Any], dict[str, Any]]]:
    """``{name: (scenario, optimum plan dict, cost-only plan dict)}``."""
    out = {}
    for name in EXAMPLE_NAMES:
        sc = load_scenario(EXAMPLES / f"{name}.yaml")
        session = PlanSession(sc, catalog)
        best = session.plan().to_dict()
        cost_only = session.plan(Parameters(carbon_price_usd_per_tco2e=0.0)).to_dict()
        out[name] = (sc, best, cost_only)
    return out
