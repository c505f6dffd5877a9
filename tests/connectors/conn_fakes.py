"""Fake API payloads written from the documented shapes (shared/notes/api-shapes.md),
and helpers that serve them from a real HTTP server on 127.0.0.1 (pytest-httpserver).

Values are chosen so results can be checked by hand: constant intensities per source,
round prices.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_httpserver import HTTPServer

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
EM_KEY = "em-test-key-0001"
WT_USER = "wt-user"
WT_PASS = "wt-pass-0001"
WT_TOKEN = "wt-token-0001"
GCP_KEY = "gcp-test-key-0001"
AZ_TOKEN = "az-test-token-0001"
AZ_SUB = "00000000-0000-0000-0000-000000000001"

EM_HIST_G = 300.0
EM_FC_G = 250.0
WT_LBS = 1000.0  # lbs/MWh → 453.592 g/kWh
UK_ACTUAL_G, UK_FORECAST_G = 190.0, 180.0


def iso(ts: datetime, z: str = ".000Z") -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S") + z


# ---------------------------------------------------------------- Electricity Maps v3
def em_row(zone: str, ts: datetime, value: float | None) -> dict[str, Any]:
    return {
        "zone": zone,
        "carbonIntensity": value,
        "datetime": iso(ts),
        "updatedAt": iso(NOW),
        "createdAt": iso(NOW - timedelta(days=3)),
        "emissionFactorType": "lifecycle",
        "isEstimated": False,
        "estimationMethod": None,
    }


def em_history(zone: str, value: float = EM_HIST_G) -> dict[str, Any]:
    return {
        "zone": zone,
        "history": [em_row(zone, NOW - timedelta(hours=23 - i), value) for i in range(24)],
    }


def em_forecast(zone: str, value: float = EM_FC_G, hours: int = 48) -> dict[str, Any]:
    return {
        "zone": zone,
        "updatedAt": iso(NOW),
        "forecast": [
            {"carbonIntensity": value, "datetime": iso(NOW + timedelta(hours=i))}
            for i in range(hours + 1)
        ],
    }


def serve_em(server: HTTPServer, zone: str, hist: float = EM_HIST_G, fc: float = EM_FC_G) -> None:
    q = {"zone": zone, "emissionFactorType": "lifecycle"}
    h = {"auth-token": EM_KEY}
    server.expect_request(
        "/v3/carbon-intensity/history", query_string=q, headers=h
    ).respond_with_json(em_history(zone, hist))
    server.expect_request(
        "/v3/carbon-intensity/forecast", query_string={**q, "horizonHours": "48"}, headers=h
    ).respond_with_json(em_forecast(zone, fc))
    server.expect_request(
        "/v3/carbon-intensity/latest", query_string=q, headers=h
    ).respond_with_json(em_row(zone, NOW, hist))


# ---------------------------------------------------------------- WattTime v3
def wt_meta(region: str, forecast: bool = False) -> dict[str, Any]:
    meta = {
        "data_point_period_seconds": 300,
        "region": region,
        "signal_type": "co2_moer",
        "units": "lbs_co2_per_mwh",
        "warnings": [],
        "model": {"date": "2023-03-01", "type": "binned_regression"},
    }
    if forecast:
        meta |= {"generated_at_period_seconds": 300, "generated_at": iso(NOW, "+00:00")}
    return meta


def wt_points(start: datetime, hours: int, value: float) -> list[dict[str, Any]]:
    return [
        {"point_time": iso(start + timedelta(minutes=5 * i), "+00:00"), "value": value}
        for i in range(hours * 12)
    ]


def serve_watttime(server: HTTPServer, region: str = "PJM_DC", value: float = WT_LBS) -> None:
    import base64

    basic = "Basic " + base64.b64encode(f"{WT_USER}:{WT_PASS}".encode()).decode()
    server.expect_request("/login", headers={"Authorization": basic}).respond_with_json(
        {"token": WT_TOKEN}
    )
    bearer = {"Authorization": f"Bearer {WT_TOKEN}"}
    server.expect_request("/v3/region-from-loc", headers=bearer).respond_with_json(
        {"region": region, "region_full_name": "PJM DC", "signal_type": "co2_moer"}
    )
    server.expect_request("/v3/historical", headers=bearer).respond_with_json(
        {"data": wt_points(NOW - timedelta(hours=24), 24, value), "meta": wt_meta(region)}
    )
    server.expect_request("/v3/forecast", headers=bearer).respond_with_json(
        {"data": wt_points(NOW, 48, value * 0.9), "meta": wt_meta(region, True)}
    )


# ---------------------------------------------------------------- UK Carbon Intensity
def uk_period(ts: datetime, forecast: float | None, actual: float | None) -> dict[str, Any]:
    return {
        "from": ts.strftime("%Y-%m-%dT%H:%MZ"),
        "to": (ts + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%MZ"),
        "intensity": {"forecast": forecast, "actual": actual, "index": "moderate"},
    }


def serve_ukci(server: HTTPServer, actual: float = UK_ACTUAL_G, fc: float = UK_FORECAST_G) -> None:
    stamp = NOW.strftime("%Y-%m-%dT%H:%MZ")
    past = [uk_period(NOW - timedelta(minutes=30 * (48 - i)), fc, actual) for i in range(48)]
    ahead = [uk_period(NOW + timedelta(minutes=30 * i), fc, None) for i in range(96)]
    _ = stamp  # any {from}: the CLI runs on the wall clock
    server.expect_request(re.compile(r"/intensity/[0-9T:-]+Z/pt24h")).respond_with_json(
        {"data": past}
    )
    server.expect_request(re.compile(r"/intensity/[0-9T:-]+Z/fw48h")).respond_with_json(
        {"data": ahead}
    )


# ---------------------------------------------------------------- Azure Retail Prices
def az_item(region: str, sku: str, price: float, **over: Any) -> dict[str, Any]:
    item = {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": region,
        "effectiveStartDate": "2025-01-01T00:00:00Z",
        "meterId": "m",
        "meterName": "ND96isr H100 v5",
        "productId": "p",
        "skuId": "s",
        "productName": "Virtual Machines NDisrH100v5 Series",
        "skuName": "Standard_ND96isr_H100_v5",
        "serviceName": "Virtual Machines",
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour",
        "type": "Consumption",
        "isPrimaryMeterRegion": True,
        "armSkuName": sku,
    }
    return item | over


def serve_azure_retail(server: HTTPServer, sku: str = "Standard_ND96isr_H100_v5") -> None:
    """Two pages: Linux eastus + noise on page 1, Linux westeurope on page 2."""
    page1 = [
        az_item("eastus", sku, 98.32),
        az_item("eastus", sku, 120.0, productName="Virtual Machines NDisrH100v5 Series Windows"),
        az_item("eastus", sku, 30.0, meterName="ND96isr H100 v5 Spot", skuName="X Spot"),
        az_item("eastus", sku, 50.0, meterName="ND96isr H100 v5 Low Priority"),
        az_item("eastus", sku, 2377.0, type="Reservation", reservationTerm="1 Year"),
    ]
    page2 = [az_item("westeurope", sku, 110.0), az_item("nowhere", sku, 1.0)]
    next_link = server.url_for("/api/retail/prices") + "?$skip=1000&page=2"
    server.expect_request(
        "/api/retail/prices", query_string={"$skip": "1000", "page": "2"}
    ).respond_with_json(
        {"BillingCurrency": "USD", "Items": page2, "NextPageLink": None, "Count": len(page2)}
    )
    server.expect_request("/api/retail/prices").respond_with_json(
        {
            "BillingCurrency": "USD",
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": page1,
            "NextPageLink": next_link,
            "Count": len(page1),
        }
    )


# ---------------------------------------------------------------- Azure Cost Management
COST_PATH = f"/subscriptions/{AZ_SUB}/providers/Microsoft.CostManagement/query"


def az_cost_body(rows: list[list[Any]], next_link: str | None) -> dict[str, Any]:
    return {
        "id": "q",
        "name": "q",
        "type": "microsoft.costmanagement/Query",
        "properties": {
            "nextLink": next_link,
            "columns": [
                {"name": "PreTaxCost", "type": "Number"},
                {"name": "ResourceLocation", "type": "String"},
                {"name": "Meter", "type": "String"},
                {"name": "Currency", "type": "String"},
            ],
            "rows": rows,
        },
    }


def serve_azure_cost(server: HTTPServer) -> None:
    link = server.url_for("/costpage2") + "?skiptoken=abc"
    server.expect_request("/costpage2", method="POST").respond_with_json(
        az_cost_body([[5.5, "westeurope", "NC24ads A100 v4", "USD"]], None)
    )
    server.expect_request(COST_PATH, method="POST").respond_with_json(
        az_cost_body(
            [
                [1234.5, "eastus", "ND96isr H100 v5", "USD"],
                [10.25, "East US", "Standard SSD", "USD"],
            ],
            link,
        )
    )


# ---------------------------------------------------------------- GCP Cloud Billing Catalog
def gcp_sku(
    sku_id: str,
    desc: str,
    group: str,
    regions: list[str],
    units: int,
    nanos: int,
    unit: str = "h",
    usage: str = "OnDemand",
) -> dict[str, Any]:
    return {
        "name": f"services/6F81-5844-456A/skus/{sku_id}",
        "skuId": sku_id,
        "description": desc,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": "Compute",
            "resourceGroup": group,
            "usageType": usage,
        },
        "serviceRegions": regions,
        "pricingInfo": [
            {
                "effectiveTime": "2026-11-01T00:00:00Z",
                "summary": "",
                "pricingExpression": {
                    "usageUnit": unit,
                    "usageUnitDescription": unit,
                    "baseUnit": "s",
                    "baseUnitConversionFactor": 3600,
                    "displayQuantity": 1,
                    "tieredRates": [
                        {
                            "startUsageAmount": 0,
                            "unitPrice": {
                                "currencyCode": "USD",
                                "units": str(units),
                                "nanos": nanos,
                            },
                        }
                    ],
                },
                "currencyConversionRate": 1,
            }
        ],
        "serviceProviderName": "Google",
    }


# a3-highgpu-8g in us-central1: 8 × 11.06 + 208 × 0.025 + 1872 × 0.003 = 88.48 + 5.2 + 5.616
GCP_A3_USD = 8 * 11.06 + 208 * 0.025 + 1872 * 0.003


def serve_gcp(server: HTTPServer) -> None:
    server.expect_request("/v1/services").respond_with_json(
        {
            "services": [
                {
                    "name": "services/AAAA-1111-BBBB",
                    "serviceId": "AAAA-1111-BBBB",
                    "displayName": "Cloud Storage",
                    "businessEntityName": "businessEntities/GCP",
                },
                {
                    "name": "services/6F81-5844-456A",
                    "serviceId": "6F81-5844-456A",
                    "displayName": "Compute Engine",
                    "businessEntityName": "businessEntities/GCP",
                },
            ],
            "nextPageToken": "",
        }
    )
    page1 = [
        gcp_sku(
            "G1", "Nvidia H100 80GB GPU running in Americas", "GPU", ["us-central1"], 11, 60_000_000
        ),
        gcp_sku(
            "G2",
            "Nvidia H100 80GB GPU attached to Spot Preemptible VMs running in Americas",
            "GPU",
            ["us-central1"],
            2,
            0,
            usage="Preemptible",
        ),
        gcp_sku(
            "C1", "A3 Instance Core running in Americas", "CPU", ["us-central1"], 0, 25_000_000
        ),
    ]
    page2 = [
        gcp_sku(
            "R1",
            "A3 Instance Ram running in Americas",
            "RAM",
            ["us-central1"],
            0,
            3_000_000,
            unit="GiBy.h",
        )
    ]
    base = "/v1/services/6F81-5844-456A/skus"
    server.expect_request(
        base, query_string={"pageToken": "p2", "$alt": "json;enum-encoding=int"}
    ).respond_with_json({"skus": page2, "nextPageToken": ""})
    server.expect_request(base).respond_with_json({"skus": page1, "nextPageToken": "p2"})


# ---------------------------------------------------------------- AWS Price List
def aws_item(itype: str, region: str, usd: str, gpus: str = "8") -> str:
    sku = f"SKU{abs(hash((itype, region))) % 10**8:08d}"
    return json.dumps(
        {
            "product": {
                "productFamily": "Compute Instance",
                "sku": sku,
                "attributes": {
                    "instanceType": itype,
                    "regionCode": region,
                    "location": "US East (N. Virginia)",
                    "gpu": gpus,
                    "gpuMemory": "640 GB",
                    "vcpu": "192",
                    "memory": "2,048 GiB",
                    "operatingSystem": "Linux",
                    "tenancy": "Shared",
                    "capacitystatus": "Used",
                    "preInstalledSw": "NA",
                    "licenseModel": "No License required",
                    "operation": "RunInstances",
                    "usagetype": f"BoxUsage:{itype}",
                },
            },
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "offerTermCode": "JRTCKXETXF",
                        "effectiveDate": "2025-06-01T00:00:00Z",
                        "termAttributes": {},
                        "sku": sku,
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "pricePerUnit": {"USD": usd},
                                "beginRange": "0",
                                "endRange": "Inf",
                                "description": f"${usd} per On Demand Linux {itype} Instance Hour",
                                "appliesTo": [],
                                "rateCode": f"{sku}.JRTCKXETXF.6YS6EN2CT7",
                            }
                        },
                    }
                }
            },
            "version": "20251101",
            "publicationDate": "2025-11-01T00:00:00Z",
        }
    )


def serve_aws_pricing(server: HTTPServer) -> None:
    """The Price List Query API over its JSON 1.1 wire protocol (for end-to-end runs)."""
    server.expect_request(
        "/", method="POST", headers={"X-Amz-Target": "AWSPriceListService.GetProducts"}
    ).respond_with_json(
        {
            "FormatVersion": "aws_v1",
            "PriceList": [
                aws_item("p5.48xlarge", "us-east-1", "55.0400000000"),
                aws_item("p5.48xlarge", "eu-west-2", "70.0000000000"),
            ],
        },
        content_type="application/x-amz-json-1.1",
    )


# ---------------------------------------------------------------- AWS Sustainability API
def serve_aws_carbon(server: HTTPServer) -> None:
    """``POST /v1/estimated-carbon-emissions`` (REST-JSON), one page."""
    server.expect_request("/v1/estimated-carbon-emissions", method="POST").respond_with_json(
        {
            "Results": [
                {
                    "TimePeriod": {"Start": "2026-10-01T00:00:00Z", "End": "2026-11-01T00:00:00Z"},
                    "DimensionsValues": {"REGION": "us-east-1", "SERVICE": "AmazonEC2"},
                    "ModelVersion": "v3.0.0",
                    "EmissionsValues": {
                        "TOTAL_LBM_CARBON_EMISSIONS": {"Value": 1.5, "Unit": "MTCO2e"},
                        "TOTAL_MBM_CARBON_EMISSIONS": {"Value": 0.5, "Unit": "MTCO2e"},
                    },
                }
            ]
        }
    )


GCP_CARBON_RECORD = {
    "usage_month": "2026-10-01",
    "billing_account_id": "007GD7-15C0E6-BDE6B3",
    "project": {"id": "p1", "number": "1"},
    "service": {"id": "6F81-5844-456A", "description": "Compute Engine"},
    "location": {"location": "us-central1-a", "region": "us-central1"},
    "carbon_model_version": 1,
    "carbon_footprint_total_kgCO2e": {"location_based": 1587.3, "market_based": 588.8},
}


def serve_all(server: HTTPServer, zones: tuple[str, ...] = ("US-MIDA-PJM",)) -> None:
    """Every source's happy path on one server (GB comes from UK CI)."""
    for z in zones:
        serve_em(server, z)
    serve_watttime(server)
    serve_ukci(server)
    serve_azure_retail(server)
    serve_azure_cost(server)
    serve_gcp(server)
    serve_aws_pricing(server)
    serve_aws_carbon(server)
