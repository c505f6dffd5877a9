"""Faults for the fault suite: for each source, where its data comes from on the fake
server and how to build its payload with any value in its numeric field; and the
faults themselves, each a way to answer that request.

Per-source differences are declared as data (:class:`SourceFaults`), like the shared
contract test: the suite runs every source against every fault the same way.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import conn_fakes as fakes
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

AZ_SKU = "Standard_ND96isr_H100_v5"
SLOW_S = 1.2  # a response slower than the suite's http.timeout_s (0.4 s)
HUGE = 1e12


@dataclass(frozen=True)
class SourceFaults:
    """How to fault one source.

    ``path``/``method``/``headers`` match its data request; ``payload(value)`` is its good
    JSON body with ``value`` in the figure the source delivers (a price, a cost, a
    carbon figure or an intensity); ``good`` the value of its happy path; ``as_text``
    what "a number sent as a string" is for this source (AWS sends prices as strings by
    design, so for it the fault is a string that is not a number).
    """

    name: str
    path: str | re.Pattern[str]
    payload: Callable[[Any], Any]
    good: float
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    as_text: Callable[[float], Any] = str


# ------------------------------------------------------------------ payload builders
def aws_payload(value: Any) -> dict[str, Any]:
    return {
        "FormatVersion": "aws_v1",
        "PriceList": [
            fakes.aws_item("p5.48xlarge", "us-east-1", _aws_text(value)),
            fakes.aws_item("p5.48xlarge", "eu-west-2", _aws_text(value)),
        ],
    }


def _aws_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)  # inf → "Infinity", nan → "NaN": how a broken feed spells them


def aws_carbon_payload(value: Any) -> dict[str, Any]:
    return {
        "Results": [
            {
                "TimePeriod": {"Start": "2026-10-01T00:00:00Z", "End": "2026-11-01T00:00:00Z"},
                "DimensionsValues": {"REGION": "us-east-1", "SERVICE": "AmazonEC2"},
                "ModelVersion": "v3.0.0",
                "EmissionsValues": {
                    "TOTAL_LBM_CARBON_EMISSIONS": {"Value": value, "Unit": "MTCO2e"},
                    "TOTAL_MBM_CARBON_EMISSIONS": {"Value": 0.5, "Unit": "MTCO2e"},
                },
            }
        ]
    }


def gcp_payload(value: Any) -> dict[str, Any]:
    """Every SKU of the a3 machine on one page; ``value`` is the GPU SKU's ``units``."""
    gpu = fakes.gcp_sku(
        "G1", "Nvidia H100 80GB GPU running in Americas", "GPU", ["us-central1"], 11, 60_000_000
    )
    rate = gpu["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["unitPrice"]
    rate["units"], rate["nanos"] = value, 0
    core = fakes.gcp_sku(
        "C1", "A3 Instance Core running in Americas", "CPU", ["us-central1"], 0, 25_000_000
    )
    ram = fakes.gcp_sku(
        "R1",
        "A3 Instance Ram running in Americas",
        "RAM",
        ["us-central1"],
        0,
        3_000_000,
        unit="GiBy.h",
    )
    return {"skus": [gpu, core, ram], "nextPageToken": ""}


def azure_payload(value: Any) -> dict[str, Any]:
    items = [fakes.az_item("eastus", AZ_SKU, value), fakes.az_item("westeurope", AZ_SKU, value)]
    return {"BillingCurrency": "USD", "Items": items, "NextPageLink": None, "Count": len(items)}


def azure_cost_payload(value: Any) -> dict[str, Any]:
    rows = [
        [value, "eastus", "ND96isr H100 v5", "USD"],
        [10.25, "East US", "Standard SSD", "USD"],
        [5.5, "westeurope", "NC24ads A100 v4", "USD"],
    ]
    return fakes.az_cost_body(rows, None)


def em_payload(value: Any) -> dict[str, Any]:
    return fakes.em_history("US-MIDA-PJM", value)


def wt_payload(value: Any) -> dict[str, Any]:
    points = fakes.wt_points(fakes.NOW - timedelta(hours=24), 24, value)
    return {"data": points, "meta": fakes.wt_meta("PJM_DC")}


def uk_payload(value: Any) -> dict[str, Any]:
    now = fakes.NOW
    past = [
        fakes.uk_period(now - timedelta(minutes=30 * (48 - i)), 180.0, value) for i in range(48)
    ]
    return {"data": past}


SOURCES: dict[str, SourceFaults] = {
    s.name: s
    for s in (
        SourceFaults(
            "aws",
            "/",
            aws_payload,
            55.04,
            method="POST",
            headers={"X-Amz-Target": "AWSPriceListService.GetProducts"},
            content_type="application/x-amz-json-1.1",
            as_text=lambda v: f"{v} USD",
        ),
        SourceFaults(  # botocore decodes "1.5" for a Double by the API model: a word then
            "aws-carbon",
            "/v1/estimated-carbon-emissions",
            aws_carbon_payload,
            1.5,
            method="POST",
            as_text=lambda v: f"{v} MTCO2e",
        ),
        SourceFaults(
            "gcp", "/v1/services/6F81-5844-456A/skus", gcp_payload, 11, as_text=lambda v: "lots"
        ),
        SourceFaults("azure", "/api/retail/prices", azure_payload, 98.32),
        SourceFaults("azure-cost", fakes.COST_PATH, azure_cost_payload, 1234.5, method="POST"),
        SourceFaults("electricitymaps", "/v3/carbon-intensity/history", em_payload, 300.0),
        SourceFaults("watttime", "/v3/historical", wt_payload, 1000.0),
        SourceFaults("ukci", re.compile(r"/intensity/[0-9T:-]+Z/pt24h"), uk_payload, 190.0),
    )
}


# ------------------------------------------------------------------ faults
Answer = Callable[[Request], Response]


def _raw(body: str | bytes, status: int = 200, ctype: str = "application/json") -> Answer:
    return lambda request: Response(body, status=status, content_type=ctype)


def _json(obj: Any, status: int = 200, ctype: str = "application/json", **headers: str) -> Answer:
    text = json.dumps(obj)  # allow_nan: Infinity and NaN as a broken server sends them
    return lambda request: Response(text, status=status, content_type=ctype, headers=headers)


def _slow(src: SourceFaults) -> Answer:
    def answer(request: Request) -> Response:
        time.sleep(SLOW_S)
        return _json(src.payload(src.good), ctype=src.content_type)(request)

    return answer


def _echo(status: int) -> Answer:
    """An error body that quotes the request back, headers and query included."""

    def answer(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items()}
        text = json.dumps(
            {
                "message": f"rejected {request.method} {request.full_path} with headers {headers}",
                "request": {"headers": headers, "args": dict(request.args)},
            }
        )
        raw = f"{text}\n" + "\n".join(f"{k}: {v}" for k, v in headers.items())
        return Response(raw, status=status, content_type="text/plain")

    return answer


def faults(src: SourceFaults) -> dict[str, Answer]:
    """Every fault of the suite for one source, by name."""
    good = json.dumps(src.payload(src.good))
    ctype = src.content_type
    out: dict[str, Answer] = {
        "truncated": _raw(good[: len(good) // 2], ctype=ctype),
        "html": _raw(
            "<!doctype html><html><head><title>Gateway</title></head><body>oops</body></html>",
            ctype="text/html",
        ),
        "empty": _raw("", ctype=ctype),
        "garbage": _raw(b"\x00\xff\xfe garbage {{{ ]]", ctype=ctype),
        "infinity": _json(src.payload(float("inf")), ctype=ctype),
        "negative": _json(src.payload(-src.good), ctype=ctype),
        "huge": _json(src.payload(HUGE), ctype=ctype),
        "nan": _json(src.payload(float("nan")), ctype=ctype),
        "string": _json(src.payload(src.as_text(src.good)), ctype=ctype),
        "shape-list": _json([1, 2, 3], ctype=ctype),
        "shape-object": _json({"unexpected": {"rows": "none"}}, ctype=ctype),
        "401": _json({"error": "unauthorized"}, status=401),
        "403": _json({"error": {"code": "Forbidden", "message": "no access"}}, status=403),
        "429": _json({"error": "slow down"}, status=429, **{"Retry-After": "100000"}),
        "500": _json({"error": "internal"}, status=500),
        "503": _json({"error": "maintenance"}, status=503),
        "slow": _slow(src),
        "echo": _echo(500),  # through the retry path, whose message quotes the body
    }
    if src.name == "gcp":
        out["gcp-error-string"] = _json({"error": "not found"}, status=404)
    if src.name == "azure":
        out["azure-lots"] = _json(src.payload("lots"))
    return out


def serve_fault(server: HTTPServer, src: SourceFaults, answer: Answer) -> None:
    """Register ``answer`` for the source's data request (before the happy paths)."""
    server.expect_request(src.path, method=src.method, headers=src.headers).respond_with_handler(
        answer
    )


def serve_value(server: HTTPServer, src: SourceFaults, value: Any) -> None:
    """Answer the source's data request with its good payload carrying ``value``."""
    serve_fault(server, src, _json(src.payload(value), ctype=src.content_type))
