"""One contract every connector passes; per-source differences are declared as data.

Each case says how to serve good fixtures (HTTP server, Stubber or file), how to break
the source, which variables ``missing_settings`` must name, and one hand-checked figure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import conn_fakes as fakes
import pandas as pd
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from pytest_httpserver import HTTPServer

from connectors.base import (
    REGISTRY,
    Connector,
    ConnectorResult,
    Scope,
    SourceError,
    make_connector,
    utc_now_iso,
)
from connectors.schema import TABLES, validate_table
from connectors.settings import load_settings

Setup = Callable[[HTTPServer, Path, bool], dict[str, Any]]


def _http(
    serve: Callable[[HTTPServer], None], fail_path: str, status: int = 503, body: Any = None
) -> Setup:
    def setup(server: HTTPServer, tmp: Path, ok: bool) -> dict[str, Any]:
        if not ok:
            server.expect_request(fail_path).respond_with_json(
                body or {"error": "down"}, status=status
            )
        serve(server)
        return {}

    return setup


def _stub(service: str, op: str, pages: list[dict[str, Any]], error: str) -> Setup:
    def setup(server: HTTPServer, tmp: Path, ok: bool) -> dict[str, Any]:
        client = boto3.client(
            service,
            region_name="us-east-1",
            aws_access_key_id="AKID",
            aws_secret_access_key="stub-secret",
            config=Config(retries={"max_attempts": 1}),
        )
        stub = Stubber(client)
        if ok:
            for i, page in enumerate(pages):
                stub.add_response(op, page)
                _ = i
        else:
            stub.add_client_error(
                op, service_error_code=error, service_message="no", http_status_code=400
            )
        stub.activate()
        return {"client": client}

    return setup


def _gcp_carbon(server: HTTPServer, tmp: Path, ok: bool) -> dict[str, Any]:
    path = tmp / "carbon.jsonl"
    rec = {
        "usage_month": "2026-10-01",
        "billing_account_id": "007GD7-15C0E6-BDE6B3",
        "project": {"id": "p1", "number": "1"},
        "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
        "location": {"location": "us-central1-a", "region": "us-central1"},
        "carbon_model_version": 1,
        "carbon_footprint_total_kgCO2e": {"location_based": 1587.3, "market_based": 588.8},
        "carbon_footprint_kgCO2e": {
            "scope1": 10,
            "scope2": {"location_based": 400, "market_based": 105.8},
            "scope3": 986.8,
        },
    }
    second = rec | {
        "project": {"id": "p2", "number": "2"},
        "carbon_footprint_total_kgCO2e": {"location_based": 12.7, "market_based": 1.2},
    }
    text = "\n".join(json.dumps(r) for r in (rec, second))
    path.write_text(text if ok else text[:-25])  # truncated last line
    return {}


AWS_PAGES = [
    {
        "FormatVersion": "aws_v1",
        "NextToken": "t2",
        "PriceList": [
            fakes.aws_item("p5.48xlarge", "us-east-1", "55.0400000000"),
            fakes.aws_item("p5.48xlarge", "sa-east-1", "99.0000000000"),
        ],
    },
    {
        "FormatVersion": "aws_v1",
        "PriceList": [fakes.aws_item("p5.48xlarge", "eu-west-2", "70.0000000000")],
    },
]
CARBON_PAGES = [
    {
        "Results": [
            {
                "TimePeriod": {"Start": datetime(2026, 10, 1), "End": datetime(2026, 11, 1)},
                "DimensionsValues": {"REGION": "us-east-1", "SERVICE": "AmazonEC2"},
                "ModelVersion": "v3.0.0",
                "EmissionsValues": {
                    "TOTAL_LBM_CARBON_EMISSIONS": {"Value": 1.5, "Unit": "MTCO2e"},
                    "TOTAL_MBM_CARBON_EMISSIONS": {"Value": 0.5, "Unit": "MTCO2e"},
                },
            }
        ]
    }
]


def _value(res: ConnectorResult, table: str, **where: Any) -> float:
    df = res.tables[table]
    for k, v in where.items():
        df = df[df[k] == v]
    col = {"gpu_offers": "usd_per_gpu_hour", "grid_hourly": "ci_gco2e_per_kwh"}.get(table)
    if table == "spend":
        col = "cost_usd" if df["cost_usd"].notna().any() else "carbon_kgco2e"
    return float(df[col].sum()) if table == "spend" else float(df[col].iloc[0])


@dataclass(frozen=True)
class Case:
    name: str
    setup: Setup
    needs: tuple[str, ...]  # what missing_settings names when unconfigured (empty: public)
    figure: tuple[str, dict[str, Any], float]  # (table, row filter, expected value)
    rows: int  # expected total rows
    extra_env: tuple[tuple[str, str], ...] = ()


def _em(server: HTTPServer) -> None:
    for z in ("US-MIDA-PJM", "GB"):
        fakes.serve_em(server, z)


CASES = [
    Case(
        "electricitymaps",
        _http(_em, "/v3/carbon-intensity/history"),
        ("ELECTRICITYMAPS_API_KEY",),
        ("grid_hourly", {"grid_zone": "GB", "is_forecast": False}, fakes.EM_HIST_G),
        144,
    ),
    Case(
        "watttime",
        _http(fakes.serve_watttime, "/v3/historical"),
        ("WATTTIME_USERNAME", "WATTTIME_PASSWORD"),
        ("grid_hourly", {"grid_zone": "US-MIDA-PJM", "is_forecast": False}, 453.592),
        144,
    ),
    Case(
        "ukci",
        _http(fakes.serve_ukci, f"/intensity/{fakes.NOW:%Y-%m-%dT%H:%MZ}/pt24h"),
        (),
        ("grid_hourly", {"grid_zone": "GB", "is_forecast": False}, fakes.UK_ACTUAL_G),
        72,
    ),
    Case(
        "azure",
        _http(fakes.serve_azure_retail, "/api/retail/prices"),
        (),
        ("gpu_offers", {"region": "eastus"}, 98.32 / 8),
        2,
    ),
    Case(
        "azure-cost",
        _http(fakes.serve_azure_cost, fakes.COST_PATH, status=403),
        ("AZURE_SUBSCRIPTION_ID",),
        ("spend", {"provider": "azure"}, 1234.5 + 10.25 + 5.5),
        3,
    ),
    Case(
        "gcp",
        _http(
            fakes.serve_gcp,
            "/v1/services",
            status=403,
            body={
                "error": {
                    "code": 403,
                    "message": "Cloud Billing API has not been used",
                    "status": "PERMISSION_DENIED",
                }
            },
        ),
        ("REGIONPLAN_GCP__API_KEY", "GOOGLE_APPLICATION_CREDENTIALS"),
        ("gpu_offers", {"region": "us-central1"}, fakes.GCP_A3_USD / 8),
        1,
    ),
    Case(
        "aws",
        _stub("pricing", "get_products", AWS_PAGES, "ThrottlingException"),
        ("AWS_ACCESS_KEY_ID",),
        ("gpu_offers", {"region": "us-east-1"}, 55.04 / 8),
        2,
    ),
    Case(
        "aws-carbon",
        _stub(
            "sustainability",
            "get_estimated_carbon_emissions",
            CARBON_PAGES,
            "AccessDeniedException",
        ),
        ("REGIONPLAN_AWS__CARBON_ENABLED",),
        ("spend", {"carbon_basis": "location"}, 1500.0),
        2,
        (("REGIONPLAN_AWS__CARBON_ENABLED", "true"),),
    ),
    Case(
        "gcp-carbon",
        _gcp_carbon,
        ("REGIONPLAN_GCP__CARBON_EXPORT_FILE",),
        ("spend", {"carbon_basis": "location"}, 1587.3 + 12.7),
        2,
    ),
]


def test_every_registered_source_has_a_case() -> None:
    assert sorted(c.name for c in CASES) == sorted(REGISTRY)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
class TestConnectorContract:
    """The contract: Protocol, canonical tables with source/as_of, typed failures."""

    def _make(
        self, case: Case, env: Any, httpserver: HTTPServer, tmp_path: Path, ok: bool = True
    ) -> tuple[Connector, Scope]:
        extra = dict(case.extra_env)
        if case.name == "gcp-carbon":
            extra["REGIONPLAN_GCP__CARBON_EXPORT_FILE"] = str(tmp_path / "carbon.jsonl")
        settings = env(**extra)
        inject = case.setup(httpserver, tmp_path, ok)
        return make_connector(case.name, settings, **inject), None  # type: ignore[return-value]

    def test_satisfies_the_protocol(
        self, case: Case, env: Any, httpserver: HTTPServer, tmp_path: Path
    ) -> None:
        conn, _ = self._make(case, env, httpserver, tmp_path)
        assert isinstance(conn, Connector)
        assert conn.name == case.name
        assert set(conn.tables) <= set(TABLES)
        assert conn.missing_settings() == []

    def test_fetch_returns_canonical_tables(
        self, case: Case, env: Any, httpserver: HTTPServer, tmp_path: Path, regions: pd.DataFrame
    ) -> None:
        conn, _ = self._make(case, env, httpserver, tmp_path)
        scope = Scope(regions=regions, zones=("US-MIDA-PJM", "GB"), now=fakes.NOW)
        res = conn.fetch(scope)
        assert res.source == case.name
        assert set(res.tables) == set(conn.tables)
        for name, df in res.tables.items():
            assert list(df.columns) == list(TABLES[name].columns)  # units in names, no extras
            validate_table(name, df, origin=case.name)
            assert df["source"].str.len().min() > 0
            assert (df["as_of"] == utc_now_iso(fakes.NOW)).all()
        assert res.rows == case.rows
        table, where, expected = case.figure
        assert _value(res, table, **where) == pytest.approx(expected, rel=1e-9)

    def test_unconfigured_names_the_fix(
        self, case: Case, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        for var in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_PROFILE",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "AZURE_SUBSCRIPTION_ID",
        ):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "none"))
        conn = make_connector(case.name, load_settings(environ={}))
        missing = " ".join(conn.missing_settings())
        for var in case.needs:
            assert var in missing
        if not case.needs:
            assert missing == ""

    def test_failure_is_typed_and_names_the_source(
        self, case: Case, env: Any, httpserver: HTTPServer, tmp_path: Path, regions: pd.DataFrame
    ) -> None:
        conn, _ = self._make(case, env, httpserver, tmp_path, ok=False)
        scope = Scope(regions=regions, zones=("US-MIDA-PJM", "GB"), now=fakes.NOW)
        with pytest.raises(SourceError) as info:
            conn.fetch(scope)
        assert info.value.source == case.name
        assert str(info.value).startswith(f"{case.name}: ")


def test_import_builds_nothing_and_loads_no_sdk() -> None:
    """Importing the contract, registry, settings and CLI pulls in no cloud SDK."""
    code = (
        "import sys, connectors.base, connectors.settings, connectors.refresh, "
        "planner.cli.data_cmd; "
        "print(sorted(m for m in ('boto3','google.cloud.billing_v1','azure.mgmt.costmanagement')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={"PATH": ""}
    )
    assert out.stdout.strip() == "[]"
