"""Names in scenarios and on the CLI: case-insensitive, with aliases, errors that list the
valid values — and the short-range latency a user in Tokyo now sees.

Plans here run on the embedded catalog; expected regions are read off it by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from connectors.catalog import Catalog, load_embedded
from planner.cli import _register_all, app
from planner.names import NameResolver, fold_name, resolve_scenario_names
from planner.problem import InfeasibleError
from planner.scenario import ScenarioError, load_scenario_text
from planner.session import make_plan

runner = CliRunner()
_register_all()
HEAD = """
name: names
horizon: {start: 2027-01-04T00:00Z, hours: 24}
time_shifting: false
"""
TOKYO_REGIONS = {"aws/ap-northeast-1", "gcp/asia-northeast1", "azure/japaneast"}


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_embedded()


@pytest.fixture(scope="module")
def res(cat: Catalog) -> NameResolver:
    return NameResolver(cat)


# ---------------------------------------------------------------- the resolver
def test_fold_name_ignores_case_accents_and_punctuation() -> None:
    assert fold_name("São-Paulo ") == "sao paulo"
    assert fold_name("WASHINGTON, D.C.") == "washington d c"


@pytest.mark.parametrize(("typed", "expected"), [
    ("h100", "H100"), ("H100", "H100"), ("a100 80gb", "A100-80GB"), ("A100-40gb", "A100-40GB"),
])
def test_gpu_names(res: NameResolver, typed: str, expected: str) -> None:
    assert res.gpu(typed, "gpu") == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("uk", "United Kingdom"), ("UK", "United Kingdom"), ("united kingdom", "United Kingdom"),
    ("GB", "United Kingdom"), ("eu", "EU"), ("European Union", "EU"), ("US", "United States"),
    ("usa", "United States"), ("japan", "Japan"), ("UAE", "United Arab Emirates"),
])
def test_jurisdiction_names(res: NameResolver, typed: str, expected: str) -> None:
    assert res.jurisdiction(typed, "allowed_jurisdictions[0]") == expected


@pytest.mark.parametrize(("typed", "expected"), [
    ("tokyo", "Tokyo"), ("NYC", "New York"), ("new york city", "New York"),
    ("sao paulo", "São Paulo"), ("BOSTON", "Boston"), ("dc", "Washington DC"),
])
def test_metro_names(res: NameResolver, typed: str, expected: str) -> None:
    assert res.metro(typed, "demand[0].metro") == expected


def test_region_ids_any_case(res: NameResolver) -> None:
    assert res.region("AWS/US-EAST-1", "exclude_regions") == "aws/us-east-1"


def test_unknown_jurisdiction_lists_valid_values_and_suggests(res: NameResolver) -> None:
    with pytest.raises(ScenarioError) as err:
        res.jurisdiction("Untied Kingdom", "training[0] 'j' allowed_jurisdictions[0]")
    msg = str(err.value)
    assert msg.startswith("training[0] 'j' allowed_jurisdictions[0]: unknown jurisdiction")
    assert "did you mean 'United Kingdom'" in msg
    assert "valid: " in msg and "EU" in msg and "Japan" in msg and "UK" in msg


def test_unknown_gpu_and_metro_suggest(res: NameResolver) -> None:
    with pytest.raises(ScenarioError, match=r"unknown gpu 'H1000' \(did you mean 'H100'\?\)"):
        res.gpu("H1000", "gpu")
    with pytest.raises(ScenarioError, match=r"unknown metro 'Tokio' \(did you mean 'Tokyo'\?\)"):
        res.metro("Tokio", "metro")


def test_scenario_names_resolved_to_catalog_spelling(cat: Catalog) -> None:
    sc = load_scenario_text(HEAD + """
exclude_regions: [AWS/US-West-2]
quotas: {GCP/US-CENTRAL1: {h100: 16}}
training:
  - {name: j, gpu: h100, gpu_hours: 10, max_gpus: 8, allowed_jurisdictions: [us, eu],
     data: {home: AWS/us-east-1, size_gb: 1}}
inference:
  - name: s
    gpu: a100-80GB
    requests_per_gpu_s: 1
    latency_slo_ms: 100
    demand: [{metro: nyc, rps: 1, residency: usa}]
""")
    out = resolve_scenario_names(sc, cat)
    job, svc = out.training[0], out.inference[0]
    assert (job.gpu, job.allowed_jurisdictions, job.data.home) == (
        "H100", ["United States", "EU"], "aws/us-east-1")
    assert (svc.gpu, svc.demand[0].metro, svc.demand[0].residency) == (
        "A100-80GB", "New York", "United States")
    assert out.exclude_regions == ["aws/us-west-2"]
    assert out.quotas == {"gcp/us-central1": {"H100": 16}}


# ---------------------------------------------------------------- plans (done-when checks)
def _job(jurisdictions: str) -> str:
    return HEAD + f"""
training:
  - {{name: j, gpu: h100, gpu_hours: 16, max_gpus: 8, allowed_jurisdictions: {jurisdictions}}}
"""


def test_gpu_h100_lowercase_plans(cat: Catalog) -> None:
    plan = make_plan(load_scenario_text(_job("null")), cat)
    assert sum(p.gpu_hours for p in plan.placements) == pytest.approx(16)


def test_allowed_jurisdictions_uk_plans_in_uk_regions(cat: Catalog) -> None:
    plan = make_plan(load_scenario_text(_job("[uk]")), cat)
    reg = cat.regions.set_index(["provider", "region"])
    used = {(p.provider, p.region) for p in plan.placements if p.gpu_hours > 0}
    assert used and all(reg.loc[u, "jurisdiction"] == "United Kingdom" for u in used)
    # by hand: the cheapest on-demand H100 GPU-hour among the UK regions' offers
    offers = cat.gpu_offers
    uk = cat.regions[cat.regions.jurisdiction == "United Kingdom"]
    uk_h100 = offers[(offers.gpu_model == "H100") & offers.usd_per_gpu_hour.notna()
                     & (offers.provider + "/" + offers.region).isin(uk.provider + "/" + uk.region)]
    cheapest = uk_h100.sort_values("usd_per_gpu_hour").iloc[0]
    assert used == {(cheapest.provider, cheapest.region)}


def test_residency_eu_lowercase_serves_from_eu(cat: Catalog) -> None:
    sc = load_scenario_text(HEAD + """
inference:
  - name: s
    gpu: h100
    requests_per_gpu_s: 1
    latency_slo_ms: 60
    demand: [{metro: paris, rps: 4, residency: eu}]
""")
    plan = make_plan(sc, cat)
    reg = cat.regions.set_index(["provider", "region"])
    assert plan.flows and all(reg.loc[(f.provider, f.region), "jurisdiction"] == "EU"
                              for f in plan.flows)


def _tokyo(slo_ms: float) -> str:
    return HEAD + f"""
inference:
  - name: chat
    gpu: h100
    requests_per_gpu_s: 1
    latency_slo_ms: {slo_ms}
    demand: [{{metro: tokyo, rps: 4}}]
"""


def test_tokyo_users_with_a_15_ms_slo_are_served_from_tokyo(cat: Catalog) -> None:
    plan = make_plan(load_scenario_text(_tokyo(15)), cat)
    served = {f"{f.provider}/{f.region}": f.rtt_ms for f in plan.flows if f.rps > 0}
    assert served and set(served) <= TOKYO_REGIONS
    # by hand: the metro point of Tokyo is aws/ap-northeast-1's, 0 km → RTT = the intercept
    model = cat.latency_model.set_index("scope").loc["default"]
    assert all(rtt <= 15 for rtt in served.values())
    assert min(served.values()) <= float(model.intercept_ms) + 0.6  # ≤ 25 km away


def test_the_old_model_could_not_serve_tokyo_within_15_ms(cat: Catalog) -> None:
    old = pd.DataFrame([{"scope": "default", "intercept_ms": 23.2, "ms_per_100km": 1.4745,
                         "source": "old straight-line OLS fit", "as_of": "2025-05-29"}])
    with pytest.raises(InfeasibleError, match="Tokyo"):
        make_plan(load_scenario_text(_tokyo(15)), cat.with_tables("old rtt model",
                                                                   latency_model=old))


# ---------------------------------------------------------------- CLI
def test_unknown_jurisdiction_exits_2_naming_valid_values(tmp_path) -> None:
    bad = tmp_path / "atlantis.yaml"
    bad.write_text(_job("[Atlantis]"))
    out = runner.invoke(app, ["validate", str(bad)])
    assert out.exit_code == 2
    assert "unknown jurisdiction 'Atlantis'" in out.output
    assert "United Kingdom" in out.output and "EU" in out.output
    assert "Traceback" not in out.output


def test_unknown_residency_exits_2(tmp_path) -> None:
    bad = tmp_path / "res.yaml"
    bad.write_text(_tokyo(15).replace("rps: 4}", "rps: 4, residency: Narnia}"))
    out = runner.invoke(app, ["plan", str(bad), "--out", str(tmp_path)])
    assert out.exit_code == 2
    assert "demand[0].residency: unknown jurisdiction 'Narnia'" in out.output
    assert "Traceback" not in out.output


def test_metros_command_lists_boston_and_filters_by_alias() -> None:
    out = runner.invoke(app, ["metros", "--format", "csv"])
    assert out.exit_code == 0
    assert "\nBoston,United States,United States," in out.output
    assert len(out.output.strip().splitlines()) - 1 >= 150
    uk = runner.invoke(app, ["metros", "--jurisdiction", "uk", "--format", "csv"])
    rows = uk.output.strip().splitlines()[1:]
    assert rows and all(",United Kingdom,United Kingdom," in r for r in rows)


def test_regions_gpu_and_jurisdiction_accept_aliases() -> None:
    out = runner.invoke(app, ["regions", "--gpu", "h100", "--jurisdiction", "UK",
                              "--format", "csv"])
    assert out.exit_code == 0
    rows = out.output.strip().splitlines()[1:]
    assert rows and all(",United Kingdom," in r for r in rows)
