"""Cloud sources beyond the contract: request shapes, paging, errors, malformed bodies."""

from __future__ import annotations

import json
from typing import Any

import boto3
import conn_fakes as fakes
import pandas as pd
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from pytest_httpserver import HTTPServer

from connectors.base import (
    Scope,
    SourceAuthError,
    SourceDataError,
    SourceUnavailable,
)
from connectors.cloud.aws import LINUX_ON_DEMAND, AwsPriceConnector, parse_price_item
from connectors.cloud.azure import AzureCostConnector, AzurePriceConnector
from connectors.cloud.gcp import GcpPriceConnector


def scope(regions: pd.DataFrame) -> Scope:
    return Scope(regions=regions, zones=(), now=fakes.NOW)


def pricing_stub() -> tuple[Any, Stubber]:
    client = boto3.client(
        "pricing",
        region_name="us-east-1",
        aws_access_key_id="AKID",
        aws_secret_access_key="stub-secret",
        config=Config(retries={"max_attempts": 1}),
    )
    return client, Stubber(client)


# ---------------------------------------------------------------- AWS
def test_aws_sends_the_linux_on_demand_filters_and_follows_next_token(
    env: Any, regions: pd.DataFrame
) -> None:
    client, stub = pricing_stub()
    filters = [{"Type": "TERM_MATCH", "Field": "instanceType", "Value": "p5.48xlarge"}] + [
        {"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in LINUX_ON_DEMAND.items()
    ]
    base = {"ServiceCode": "AmazonEC2", "Filters": filters, "FormatVersion": "aws_v1"}
    stub.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "NextToken": "tok2",
            "PriceList": [fakes.aws_item("p5.48xlarge", "us-east-1", "55.04")],
        },
        base,
    )
    stub.add_response(
        "get_products",
        {
            "FormatVersion": "aws_v1",
            "PriceList": [fakes.aws_item("p5.48xlarge", "eu-west-2", "70.00")],
        },
        {**base, "NextToken": "tok2"},
    )
    stub.activate()
    df = AwsPriceConnector(env(), client=client).fetch(scope(regions)).tables["gpu_offers"]
    stub.assert_no_pending_responses()
    assert dict(zip(df["region"], df["usd_per_gpu_hour"], strict=True)) == {
        "us-east-1": pytest.approx(6.88),
        "eu-west-2": pytest.approx(8.75),
    }
    assert {"operatingSystem", "tenancy", "capacitystatus", "preInstalledSw"} <= set(
        LINUX_ON_DEMAND
    )


def test_aws_two_on_demand_prices_is_an_error_not_a_guess() -> None:
    item = json.loads(fakes.aws_item("p5.48xlarge", "us-east-1", "55.04"))
    term = next(iter(item["terms"]["OnDemand"].values()))
    dim = next(iter(term["priceDimensions"].values()))
    term["priceDimensions"]["other"] = dim | {"pricePerUnit": {"USD": "1.0"}}
    with pytest.raises(SourceDataError, match="2 on-demand prices, expected 1"):
        parse_price_item("aws", json.dumps(item))


def test_aws_price_list_entry_must_be_json() -> None:
    with pytest.raises(SourceDataError, match="aws: PriceList entry is not JSON"):
        parse_price_item("aws", '{"product": {"attributes": ')


def test_aws_access_denied_names_the_variables(env: Any, regions: pd.DataFrame) -> None:
    client, stub = pricing_stub()
    stub.add_client_error(
        "get_products",
        service_error_code="UnrecognizedClientException",
        service_message="The security token included is invalid.",
        http_status_code=403,
    )
    stub.activate()
    with pytest.raises(SourceAuthError, match="aws: UnrecognizedClientException.*AWS_ACCESS_KEY"):
        AwsPriceConnector(env(), client=client).fetch(scope(regions))


# ---------------------------------------------------------------- GCP
def test_gcp_500_is_retried_then_unavailable(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    httpserver.expect_request("/v1/services").respond_with_json(
        {"error": {"code": 500, "message": "backend error", "status": "INTERNAL"}}, status=500
    )
    with pytest.raises(SourceUnavailable, match="gcp: .*backend error"):
        GcpPriceConnector(env(REGIONPLAN_HTTP__TIMEOUT_S="0.3")).fetch(scope(regions))
    assert len(httpserver.log) >= 2


def test_gcp_malformed_json_is_data_error(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    httpserver.expect_request("/v1/services").respond_with_data(
        '{"services": [{"name": "services/6F81', content_type="application/json"
    )
    with pytest.raises(SourceDataError, match="gcp: "):
        GcpPriceConnector(env()).fetch(scope(regions))


def test_gcp_sends_the_api_key_header_not_a_query_parameter(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    fakes.serve_gcp(httpserver)
    GcpPriceConnector(env()).fetch(scope(regions))
    req = httpserver.log[0][0]
    assert req.headers["X-Goog-Api-Key"] == fakes.GCP_KEY
    assert fakes.GCP_KEY not in req.url


# ---------------------------------------------------------------- Azure
def test_azure_retail_429_waits_retry_after_and_pages(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    httpserver.expect_oneshot_request("/api/retail/prices").respond_with_json(
        {"error": "Too many requests"}, status=429, headers={"Retry-After": "3"}
    )
    fakes.serve_azure_retail(httpserver)
    sleeps: list[float] = []
    conn = AzurePriceConnector(env(), sleep=sleeps.append)
    df = conn.fetch(scope(regions)).tables["gpu_offers"]
    assert sleeps == [3.0]
    assert sorted(df["region"]) == ["eastus", "westeurope"]  # page 2 followed
    filt = httpserver.log[1][0].args["$filter"]
    assert "armSkuName eq 'Standard_ND96isr_H100_v5'" in filt and "Consumption" in filt


def test_azure_cost_sends_the_documented_query(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    fakes.serve_azure_cost(httpserver)
    df = AzureCostConnector(env()).fetch(scope(regions)).tables["spend"]
    req = httpserver.log[0][0]
    body = json.loads(req.get_data())
    assert req.headers["Authorization"] == f"Bearer {fakes.AZ_TOKEN}"
    assert body["timeframe"] == "Custom" and body["timePeriod"]["from"].startswith("2026-10-01")
    assert [g["name"] for g in body["dataset"]["grouping"]] == ["ResourceLocation", "Meter"]
    assert json.loads(httpserver.log[1][0].get_data()) == body  # nextLink: same body POSTed
    assert (df["period_start"] == "2026-10-01").all() and (df["period_end"] == "2026-11-01").all()
    assert sorted(df["region"].unique()) == ["eastus", "westeurope"]


def test_azure_cost_429_then_ok(env: Any, httpserver: HTTPServer, regions: pd.DataFrame) -> None:
    httpserver.expect_oneshot_request(fakes.COST_PATH, method="POST").respond_with_json(
        {"error": {"code": "429", "message": "Too many requests. Please retry."}},
        status=429,
        headers={"Retry-After": "0"},
    )
    fakes.serve_azure_cost(httpserver)
    df = AzureCostConnector(env()).fetch(scope(regions)).tables["spend"]
    assert df["cost_usd"].sum() == pytest.approx(1250.25)


def test_azure_cost_401_names_the_fix(
    env: Any, httpserver: HTTPServer, regions: pd.DataFrame
) -> None:
    httpserver.expect_request(fakes.COST_PATH, method="POST").respond_with_json(
        {
            "error": {
                "code": "InvalidAuthenticationToken",
                "message": "The access token is invalid.",
            }
        },
        status=401,
    )
    with pytest.raises(SourceAuthError) as info:
        AzureCostConnector(env()).fetch(scope(regions))
    assert "AZURE_SUBSCRIPTION_ID" in str(info.value) and fakes.AZ_TOKEN not in str(info.value)


def test_azure_cost_malformed_body(env: Any, httpserver: HTTPServer, regions: pd.DataFrame) -> None:
    httpserver.expect_request(fakes.COST_PATH, method="POST").respond_with_data(
        '{"properties": {"rows": [[1.0, "eastus"', content_type="application/json"
    )
    with pytest.raises(SourceDataError, match="azure-cost: malformed"):
        AzureCostConnector(env()).fetch(scope(regions))
