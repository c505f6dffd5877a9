"""The embedded catalog (connectors/data) and ``regionplan regions``.

Spot checks recompute figures from the shared reference files with the csv module, not
with the compiler's code, so a compiler bug cannot hide behind itself. Tests that need
``/work/shared`` (the repository's sibling ``shared/``) skip with a reason when it is
absent.
"""

from __future__ import annotations

import calendar
import csv
import filecmp
import io
import json
import math
import statistics
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from connectors.catalog import EMBEDDED_TABLES, Catalog, load_embedded
from connectors.compile_catalog import compile_catalog, fit_rtt
from connectors.schema import TABLES, validate_table
from planner.cli import regions_cmd

REPO = Path(__file__).parents[1]
DATA = REPO / "connectors" / "data"
# the repository's sibling shared/ (a worktree sits one level deeper)
SHARED = next(
    (p / "shared" for p in Path(__file__).parents[2:4] if (p / "shared").is_dir()),
    Path(__file__).parents[2] / "shared",
)
REFERENCE = SHARED / "data" / "reference"
HOURLY = SHARED / "data" / "hourly"
needs_shared = pytest.mark.skipif(
    not REFERENCE.is_dir() or not HOURLY.is_dir(),
    reason=f"shared reference data not found at {SHARED} (sibling of the repository)",
)

REQUIRED_METROS = (
    "Frankfurt", "London", "Paris", "Amsterdam", "Dublin", "Stockholm", "Madrid", "Milan",
    "Warsaw", "New York", "Washington DC", "Chicago", "Dallas", "Los Angeles",
    "San Francisco", "Seattle", "Toronto", "Montreal", "Mexico City", "São Paulo", "Tokyo",
    "Osaka", "Seoul", "Singapore", "Hong Kong", "Mumbai", "Sydney", "Melbourne",
    "Johannesburg", "Dubai", "Tel Aviv", "Jakarta",
)  # fmt: skip


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_embedded()


def _ref_rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------- loading and contract
def test_embedded_catalog_loads_and_validates(cat: Catalog) -> None:
    for name in EMBEDDED_TABLES:
        df = getattr(cat, name)
        assert len(df) > 0, name
        validate_table(name, df, origin=f"test {name}")
        assert list(df.columns) == list(TABLES[name].columns)
        assert cat.origins[name] == "embedded"


def test_embedded_data_is_small() -> None:
    total = sum(p.stat().st_size for p in DATA.glob("*.csv"))
    # 1,157 priced offers (was 146) and 167 regions with both carbon bases
    assert total < 2_200_000, f"connectors/data/*.csv is {total} bytes"


# ---------------------------------------------------------------- coverage
def test_region_coverage_per_provider(cat: Catalog) -> None:
    counts = cat.regions.provider.value_counts()
    assert counts["aws"] >= 35
    assert counts["gcp"] >= 40
    assert counts["azure"] >= 80
    assert len(cat.regions) == 167


def test_every_offer_joins_a_region_and_a_hardware_row(cat: Catalog) -> None:
    regions = set(zip(cat.regions.provider, cat.regions.region, strict=True))
    offers = cat.gpu_offers
    assert set(zip(offers.provider, offers.region, strict=True)) <= regions
    assert set(offers.gpu_model) == set(cat.hardware.gpu_model)
    assert set(offers.provider) == {"aws", "azure", "gcp"}


def test_latency_ids_are_catalog_regions(cat: Catalog) -> None:
    ids = set(cat.regions.provider + "/" + cat.regions.region)
    assert set(cat.latency.from_id) <= ids
    assert set(cat.latency.to_id) <= ids
    assert (cat.latency.rtt_ms > 0).all()
    assert set(cat.latency.kind) == {"measured"}


def test_metros_cover_the_required_list(cat: Catalog) -> None:
    metros = cat.metros.set_index("metro")
    assert set(REQUIRED_METROS) <= set(metros.index)
    assert metros.lat_deg.between(-90, 90).all() and metros.lon_deg.between(-180, 180).all()
    assert metros.loc["Frankfurt", "jurisdiction"] == "EU"
    assert metros.loc["London", "jurisdiction"] == "United Kingdom"


def test_grid_profiles_are_complete_per_zone(cat: Catalog) -> None:
    g = cat.grid_profiles
    assert (g.groupby("grid_zone").size() == 12 * 24).all()
    assert g.source.str.startswith("Electricity Maps (ODbL) via ").all()
    assert set(g.basis) == {"lifecycle"}


def test_transfer_rows_have_prices_and_energy(cat: Catalog) -> None:
    t = cat.transfer.set_index(["provider", "scope"])
    assert t.loc[("aws", "internet"), "usd_per_gb"] == pytest.approx(0.09, rel=1e-6)
    assert (t.kwh_per_gb == 0.001).all()


# ---------------------------------------------------------------- provenance rules
FIGURE_SOURCES = {
    "regions": {
        "lat_deg": "coord_source",
        "grid_zone": "grid_zone_source",
        "grid_ci_gco2e_per_kwh": "grid_ci_source",
        "grid_ci_direct_gco2e_per_kwh": "grid_ci_source",
        "grid_ci_year": "grid_ci_source",
        "grid_cfe_fraction": "grid_ci_source",
        "cfe_fraction": "cfe_source",
        "pue": "pue_source",
        "wue_l_per_kwh": "wue_source",
        "grid_water_l_per_kwh": "grid_water_source",
        "water_stress_0_5": "water_stress_source",
    },
    "hardware": {
        "power_w": "power_source",
        "host_power_w_per_gpu": "host_power_source",
        "embodied_kgco2e_per_gpu": "embodied_source",
    },
}


@pytest.mark.parametrize("table", sorted(FIGURE_SOURCES))
def test_every_figure_has_a_source(cat: Catalog, table: str) -> None:
    df = getattr(cat, table)
    for figure, source in FIGURE_SOURCES[table].items():
        has_figure = df[figure].notna()
        assert df.loc[has_figure, source].notna().all(), f"{table}.{figure} without {source}"
        assert df.loc[~has_figure, source].isna().all(), f"{table}.{source} without {figure}"


def test_derived_values_say_so(cat: Catalog) -> None:
    assert cat.hardware.host_power_source.dropna().str.startswith("derived: ").all()
    assert cat.hardware.embodied_source.dropna().str.startswith("derived: ").all()
    assert cat.latency_model.set_index("scope").loc["default", "source"].startswith("derived: ")
    h200 = cat.gpu_offers[cat.gpu_offers.instance_type == "a3-ultragpu-8g"]
    assert len(h200) and h200.source.str.contains("per-GPU instance share x 8").all()


def test_usd_per_gpu_hour_is_instance_price_over_gpus(cat: Catalog) -> None:
    o = cat.gpu_offers
    expected = o.usd_per_instance_hour / o.gpus_per_instance
    assert (o.usd_per_gpu_hour - expected).abs().max() < 1e-6
    assert (o.usd_per_gpu_hour.isna() == o.usd_per_instance_hour.isna()).all()
    spot = o.usd_per_instance_hour_spot / o.gpus_per_instance
    assert (o.usd_per_gpu_hour_spot - spot).abs().max() < 1e-6
    nd = o[o.instance_type == "Standard_ND96isr_H100_v5"]
    assert len(nd) and (nd.gpus_per_instance == 8).all()
    skypilot = nd[nd.source.str.startswith("skypilot-org/")]  # the catalog that said 12
    assert len(skypilot)
    assert skypilot.source.str.contains("AcceleratorCount 12 corrected to 8").all()


def test_h100_embodied_follows_ecologits(cat: Catalog) -> None:
    h = cat.hardware.set_index("gpu_model")
    assert h.loc["H100", "embodied_kgco2e_per_gpu"] == pytest.approx(5700 / 8 + 164, rel=1e-9)
    assert h.loc["H100", "lifetime_h"] == 3 * 8760
    assert h.loc["A100-40GB", "power_w"] == 407  # CCF max_watts_gpu


def test_missing_figures_stay_missing(cat: Catalog) -> None:
    r = cat.regions.set_index(["provider", "region"])
    # a logical region with no location has no zone and no intensity: blank, not an average
    assert math.isnan(r.loc[("azure", "brazilus"), "grid_ci_gco2e_per_kwh"])
    assert math.isnan(r.loc[("azure", "brazilus"), "grid_ci_direct_gco2e_per_kwh"])
    assert math.isnan(r.loc[("aws", "cn-northwest-1"), "lat_deg"])
    assert math.isnan(r.loc[("azure", "eastus"), "cfe_fraction"])  # no provider CFE
    assert math.isnan(r.loc[("aws", "us-east-1"), "water_stress_0_5"])  # not captured
    assert math.isnan(r.loc[("aws", "us-east-1"), "cfe_fraction"])


# ---------------------------------------------------------------- spot checks
@needs_shared
def test_p5_us_east_1_price_matches_reference(cat: Catalog) -> None:
    row = next(
        r
        for r in _ref_rows("gpu_prices_v2.csv")
        if r["instance_type"] == "p5.48xlarge" and r["region"] == "us-east-1"
    )
    o = cat.gpu_offers.set_index(["provider", "region", "instance_type"])
    got = o.loc[("aws", "us-east-1", "p5.48xlarge")]
    assert got.usd_per_gpu_hour == pytest.approx(
        float(row["usd_per_instance_hour_ondemand"]) / 8, rel=1e-6)
    assert got.usd_per_gpu_hour == pytest.approx(55.04 / 8, rel=1e-9)  # AWS list, 2026
    assert got.multi_node and got.as_of == "2026-01-21"


@needs_shared
def test_azure_rtt_cell_matches_reference(cat: Catalog) -> None:
    row = next(
        r
        for r in _ref_rows("azure_interregion_rtt_p50.csv")
        if r["source_region"] == "westeurope" and r["dest_region"] == "eastus"
    )
    lat = cat.latency.set_index(["from_id", "to_id"])
    assert lat.loc[("azure/westeurope", "azure/eastus"), "rtt_ms"] == float(row["rtt_p50_ms"])


@needs_shared
def test_grid_ci_is_electricity_maps_2024_and_cfe_is_google(cat: Catalog) -> None:
    row = next(
        r
        for r in _ref_rows("grid_carbon_2024.csv")
        if r["provider"] == "gcp" and r["region"] == "europe-west1"
    )
    r = cat.regions.set_index(["provider", "region"]).loc[("gcp", "europe-west1")]
    assert r.grid_zone == row["grid_zone"] == "BE"
    assert r.grid_ci_gco2e_per_kwh == pytest.approx(float(row["ci_lifecycle_gco2e_per_kwh_2024"]))
    assert r.grid_ci_direct_gco2e_per_kwh == pytest.approx(
        float(row["ci_direct_gco2e_per_kwh_2024"]))
    assert r.grid_ci_year == 2024
    assert r.cfe_fraction == pytest.approx(float(row["google_cfe_fraction_2024"]))
    assert r.grid_cfe_fraction == pytest.approx(float(row["cfe_fraction"]))
    # the audit's example: one basis moves ca-central-1 from 120 to CA-QC's 35.04 g/kWh
    aws = cat.regions.set_index(["provider", "region"]).loc[("aws", "ca-central-1")]
    assert (aws.grid_zone, aws.grid_ci_gco2e_per_kwh) == ("CA-QC", pytest.approx(35.04))


@needs_shared
@pytest.mark.parametrize(
    ("zone", "file", "month", "hour"), [("DE", "DE_2024.csv", 6, 12), ("HK", "HK_2022.csv", 1, 0)]
)
def test_grid_profile_cell_recomputed_from_hourly(
    cat: Catalog, zone: str, file: str, month: int, hour: int
) -> None:
    with (HOURLY / file).open(newline="", encoding="utf-8") as f:
        values = [
            float(r["carbon_intensity_lca_gco2_per_kwh"])
            for r in csv.DictReader(f)
            if int(r["datetime_utc"][5:7]) == month and int(r["datetime_utc"][11:13]) == hour
        ]
    year = int(file.split("_")[1][:4])
    assert len(values) == calendar.monthrange(year, month)[1]  # one value per day
    g = cat.grid_profiles.set_index(["grid_zone", "month", "hour_utc"])
    assert g.loc[(zone, month, hour), "ci_gco2e_per_kwh"] == pytest.approx(
        round(statistics.fmean(values), 1), abs=1e-9
    )


@needs_shared
def test_latency_model_scopes(cat: Catalog) -> None:
    m = cat.latency_model.set_index("scope")
    assert m.loc["azure", "intercept_ms"] == pytest.approx(21.86)
    assert m.loc["aws", "ms_per_100km"] == pytest.approx(1.5353)
    # default: LAD two-segment fit (tests/test_latency.py checks it against a refit)
    assert 0 < m.loc["default", "intercept_ms"] < 5
    assert 1.3 < m.loc["default", "ms_per_100km_beyond_knot"] < 1.7
    assert m.loc["previous_default", "intercept_ms"] == pytest.approx(23.2)


def test_fit_rtt_recovers_a_line() -> None:
    km = [600.0, 1000.0, 5000.0, 9000.0]
    a, b = fit_rtt(km, [10 + 2 * k / 100 for k in km])
    assert a == pytest.approx(10, rel=1e-9)
    assert b == pytest.approx(2, rel=1e-9)


# ---------------------------------------------------------------- reproducibility
@needs_shared
def test_compiler_reproduces_embedded_data_byte_for_byte(tmp_path: Path) -> None:
    compile_catalog(REFERENCE, HOURLY, tmp_path)
    names = sorted(p.name for p in DATA.iterdir() if p.suffix in {".csv", ".md"})
    assert names == sorted(p.name for p in tmp_path.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(DATA, tmp_path, names, shallow=False)
    assert not mismatch and not errors, f"re-run the compiler: {mismatch + errors} differ"


# ---------------------------------------------------------------- regionplan regions
@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """Test root (keeps 'regions' a subcommand)."""

    regions_cmd.register(app)
    return app


def _run(cli: typer.Typer, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, ["regions", *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.output


def test_regions_default_table(cli: typer.Typer, cat: Catalog) -> None:
    code, out = _run(cli, "--cloud", "gcp")
    assert code == 0
    n = int((cat.regions.provider == "gcp").sum())
    assert f"{n} region(s)" in out


def test_regions_csv_filters_by_cloud_and_jurisdiction(cli: typer.Typer) -> None:
    code, out = _run(cli, "--cloud", "aws", "--cloud", "AZURE", "--jurisdiction", "eu",
                     "--format", "csv")  # fmt: skip
    assert code == 0
    df = pd.read_csv(io.StringIO(out))
    assert len(df) > 0
    assert set(df.provider) == {"aws", "azure"}
    assert set(df.jurisdiction) == {"EU"}
    assert list(df.columns) == list(regions_cmd.LISTING_COLUMNS)


def test_regions_json_gpu_filter_gives_cheapest_price(cli: typer.Typer, cat: Catalog) -> None:
    code, out = _run(cli, "--gpu", "H100", "--format", "json")
    assert code == 0
    records = json.loads(out)
    offers = cat.gpu_offers[cat.gpu_offers.gpu_model == "H100"]
    expected = offers.groupby(["provider", "region"]).usd_per_gpu_hour.min()
    assert len(records) == len(expected)
    for rec in records:
        assert rec["min_usd_per_gpu_hour"] == pytest.approx(
            expected[(rec["provider"], rec["region"])], rel=1e-9
        )


def test_regions_json_keeps_missing_as_null(cli: typer.Typer) -> None:
    code, out = _run(cli, "--cloud", "aws", "--cloud", "azure", "--format", "json")
    assert code == 0
    rec = {r["region"]: r for r in json.loads(out)}
    assert rec["brazilus"]["grid_ci_gco2e_per_kwh"] is None
    assert rec["cn-northwest-1"]["has_coords"] is False


@pytest.mark.parametrize(
    ("args", "valid"),
    [
        (("--cloud", "ibm"), "aws, azure, gcp"),
        (("--gpu", "TPU-v5"), "H100"),
        (("--jurisdiction", "Atlantis"), "United States"),
    ],
)
def test_regions_bad_filter_is_a_one_line_error(
    cli: typer.Typer, args: tuple[str, ...], valid: str
) -> None:
    code, out = _run(cli, *args)
    assert code == 2
    assert "valid:" in out and valid in out
    assert "Traceback" not in out


# ---------------------------------------------------------------- figures a decision rests on
def test_regions_aws_h100_shows_the_2026_list_price(cli: typer.Typer) -> None:
    code, out = _run(cli, "--cloud", "aws", "--gpu", "H100", "--format", "json")
    assert code == 0
    rec = {r["region"]: r for r in json.loads(out)}
    assert rec["us-east-1"]["min_usd_per_gpu_hour"] == pytest.approx(6.88, abs=1e-9)
    assert rec["us-east-1"]["min_usd_per_gpu_hour_spot"] is None  # no sourced AWS spot
    assert rec["us-east-1"]["in_service"] is True


@pytest.mark.parametrize(("gpu", "at_least"), [("L4", 20), ("A10G", 10)])
def test_regions_small_gpus_are_widely_offered(cli: typer.Typer, gpu: str, at_least: int) -> None:
    code, out = _run(cli, "--cloud", "aws", "--gpu", gpu, "--format", "csv")
    assert code == 0
    assert len(pd.read_csv(io.StringIO(out))) >= at_least


def test_regions_table_shows_on_demand_and_spot(cli: typer.Typer) -> None:
    res = CliRunner().invoke(cli, ["regions", "--cloud", "gcp", "--gpu", "h100"],
                             env={"COLUMNS": "300"})
    assert res.exit_code == 0, res.output
    assert "H100 on-demand $/GPU-h" in res.output and "H100 spot $/GPU-h" in res.output
    assert "│ gcp      │ us-central1 " in res.output


def test_training_with_data_in_a_gcp_region_plans(tmp_path: Path) -> None:
    from planner.cli import _register_all, app

    _register_all()
    scenario = tmp_path / "gcp-home.yaml"
    scenario.write_text(
        "name: gcp-home\n"
        "horizon: {start: 2027-01-04T00:00Z, hours: 24}\n"
        "clouds: [gcp]\n"
        "objective: {carbon_price_usd_per_tco2e: 100, water_price_usd_per_m3: 0}\n"
        "training:\n"
        "  - name: finetune\n"
        "    gpu: H100\n"
        "    gpu_hours: 800\n"
        "    max_gpus: 64\n"
        "    single_region: true\n"
        "    data: {home: gcp/us-central1, size_gb: 1000}\n"
    )
    res = CliRunner().invoke(app, ["plan", str(scenario), "--out", str(tmp_path / "out"), "-q"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    plan = json.loads((tmp_path / "out" / "plan.json").read_text())
    placed = {p["provider"] for p in plan["placements"]}
    assert placed == {"gcp"}
    price = {(i["figure"], i["key"]): i["value"] for i in plan["inputs"]}
    # moving the data within GCP is priced at Google's inter-region rate
    assert price[("transfer_usd_per_gb", "gcp inter_region")] == pytest.approx(0.02)


def test_gcp_commitment_discount_is_the_h100_machine_rate(cat: Catalog) -> None:
    p = cat.purchase_options.set_index(["provider", "purchase"]).discount_fraction
    # Cyclenerd pricing.yml @fd66b26f, a3-highgpu-8g us-central1: month 64597.69992888,
    # month_1y 44810.08066464, month_3y 28370.99821392 (USD)
    assert p[("gcp", "committed_1y")] == pytest.approx(1 - 44810.08066464 / 64597.69992888,
                                                       abs=1e-3)
    assert p[("gcp", "committed_3y")] == pytest.approx(1 - 28370.99821392 / 64597.69992888,
                                                       abs=1e-3)


def test_aws_one_year_commitment_is_the_lowest_gpu_reserved_rate(cat: Catalog) -> None:
    p = cat.purchase_options.set_index(["provider", "purchase"]).discount_fraction
    # instances.vantage.sh data (2026-01-21), g6.xlarge us-east-1: on-demand 0.8048,
    # 1-year no-upfront RI 0.52392 USD/h (the g6 family's rate is the same everywhere)
    assert p[("aws", "committed_1y")] == pytest.approx(1 - 0.52392 / 0.8048, abs=1e-3)
    assert p[("aws", "committed_1y")] < p[("aws", "committed_3y")]
