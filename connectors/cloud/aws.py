"""AWS: Linux on-demand GPU prices (Price List Query API) and the carbon baseline
(Sustainability API ``get_estimated_carbon_emissions``).

Credentials come from boto3's standard chain (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, SSO, instance roles). Every client gets
connect/read timeouts and botocore's standard retry mode (exponential backoff on
throttling and 5xx). ``PriceList`` items are JSON strings; the on-demand term and price
dimension keys are opaque codes, so they are iterated, never hard-coded.
"""

from __future__ import annotations

import json
import math
import threading
from datetime import UTC, datetime
from typing import Any

import boto3
import pandas as pd
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from connectors.base import (
    ConnectorResult,
    Scope,
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceNotConfigured,
    SourceRequestError,
    SourceUnavailable,
    utc_now_iso,
)
from connectors.cloud import offers_frame, spend_frame
from connectors.http import number_of
from connectors.redact import brief
from connectors.settings import Settings

CRED_VARS = "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE"
ENV_HINT = f"set {CRED_VARS}"
AUTH_CODES = {
    "AccessDeniedException",
    "UnrecognizedClientException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
}
RETRY_CODES = {"ThrottlingException", "InternalErrorException", "InternalServerException"}
KG_PER_METRIC_TON = 1000.0  # MTCO2e → kgCO2e

# The filters that leave one Linux, shared-tenancy, on-demand price per instance and region.
LINUX_ON_DEMAND = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "capacitystatus": "Used",
    "preInstalledSw": "NA",
    "licenseModel": "No License required",
    "operation": "RunInstances",
}


def _boto_config(settings: Settings) -> Config:
    h = settings.http
    return Config(
        connect_timeout=h.connect_timeout_s,
        read_timeout=h.timeout_s,
        retries={"max_attempts": h.max_tries, "mode": "standard"},
    )


_CLIENT_LOCK = threading.Lock()


def _make_client(service: str, **kwargs: Any) -> Any:
    """A boto3 client from the default session, one at a time: creating clients on a shared
    session is not thread-safe, and the session's loader caches the service models."""
    with _CLIENT_LOCK:
        return boto3.client(service, **kwargs)  # type: ignore[call-overload]


def _has_credentials() -> bool:
    return boto3.session.Session().get_credentials() is not None


def sdk_error(source: str, exc: BotoCoreError | ClientError) -> SourceError:
    """A botocore exception as a typed error naming the source (never the credentials)."""
    if isinstance(exc, NoCredentialsError):
        return SourceNotConfigured(source, f"no AWS credentials; {ENV_HINT}")
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code, msg = err.get("Code", "?"), brief(err.get("Message", ""))
        if code in AUTH_CODES:
            return SourceAuthError(source, f"{code}: {msg}; {ENV_HINT} (and check IAM permissions)")
        if code in RETRY_CODES:
            return SourceUnavailable(source, f"{code}: {msg} after retries")
        return SourceRequestError(source, f"{code}: {msg}")
    return SourceUnavailable(source, f"{type(exc).__name__}: {brief(str(exc))}")


def parse_price_item(source: str, raw: str) -> tuple[dict[str, str], float]:
    """One ``PriceList`` entry → (product attributes, USD per hour of its on-demand term)."""
    try:
        item = json.loads(raw)
    except (json.JSONDecodeError, TypeError) as exc:
        raise SourceDataError(source, f"PriceList entry is not JSON: {exc}") from exc
    try:
        attrs = item["product"]["attributes"]
        terms = item["terms"]["OnDemand"]
    except (KeyError, TypeError) as exc:
        raise SourceDataError(source, f"PriceList entry lacks field {exc}") from None
    prices: list[float] = []
    for term in terms.values():
        for dim in term.get("priceDimensions", {}).values():
            if dim.get("unit") != "Hrs":
                raise SourceDataError(
                    source, f"priceDimensions.unit is {dim.get('unit')!r}, not 'Hrs'"
                )
            text = dim.get("pricePerUnit", {}).get("USD")
            try:  # a decimal string by design ("55.0400000000")
                usd = float(text)
            except (TypeError, ValueError):
                raise SourceDataError(
                    source, "priceDimensions.pricePerUnit.USD is not a decimal number"
                ) from None
            if math.isnan(usd):
                raise SourceDataError(source, "priceDimensions.pricePerUnit.USD is NaN")
            prices.append(usd)
    if len(prices) != 1:
        raise SourceDataError(
            source,
            f"{attrs.get('instanceType')} in {attrs.get('regionCode')}: "
            f"{len(prices)} on-demand prices, expected 1",
        )
    return attrs, prices[0]


class AwsPriceConnector:
    """``gpu_offers`` from ``pricing.get_products`` on AmazonEC2."""

    name = "aws"
    tables = ("gpu_offers",)
    credential_env = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE")

    def __init__(self, settings: Settings, *, client: Any = None) -> None:
        self.settings = settings
        self._client = client

    def client(self) -> Any:
        """The pricing client (built on first use, never at import)."""
        if self._client is None:
            cfg = self.settings.aws
            self._client = _make_client(
                "pricing",
                region_name=cfg.pricing_region,
                endpoint_url=cfg.pricing_endpoint_url,
                config=_boto_config(self.settings),
            )
        return self._client

    def missing_settings(self) -> list[str]:
        """Empty when boto3's chain finds credentials (or a client was injected)."""
        return [] if self._client is not None or _has_credentials() else [CRED_VARS]

    def fetch(self, scope: Scope) -> ConnectorResult:
        """One query per configured instance type, every region; keep catalog regions."""
        wanted = set(scope.regions_of("aws"))
        as_of = utc_now_iso(scope.now)
        rows: list[dict[str, object]] = []
        seen: set[tuple[str, str]] = set()
        for itype, shape in self.settings.aws.instance_types.items():
            filters = [{"Type": "TERM_MATCH", "Field": "instanceType", "Value": itype}]
            filters += [
                {"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in LINUX_ON_DEMAND.items()
            ]
            try:
                pages = (
                    self.client()
                    .get_paginator("get_products")
                    .paginate(ServiceCode="AmazonEC2", Filters=filters, FormatVersion="aws_v1")
                )
                for page in pages:
                    for raw in page.get("PriceList", []):
                        attrs, usd = parse_price_item(self.name, raw)
                        region = attrs.get("regionCode")
                        if region not in wanted or (itype, region) in seen:
                            continue
                        if attrs.get("gpu", str(shape.gpus)) != str(shape.gpus):
                            raise SourceDataError(
                                self.name,
                                f"{itype}: attribute gpu={attrs.get('gpu')!r}, "
                                f"settings say {shape.gpus} (aws.instance_types)",
                            )
                        seen.add((itype, region))
                        rows.append(
                            {
                                "provider": "aws",
                                "region": region,
                                "gpu_model": shape.gpu_model,
                                "instance_type": itype,
                                "gpus_per_instance": shape.gpus,
                                "usd_per_instance_hour": usd,
                                "quota_gpus": None,
                                "source": "AWS Price List API (AmazonEC2 Linux on-demand)",
                                "as_of": as_of,
                            }
                        )
            except (BotoCoreError, ClientError) as exc:
                raise sdk_error(self.name, exc) from exc
        return ConnectorResult(self.name, {"gpu_offers": offers_frame(rows, self.name)})


def _month_start(ts: datetime, back: int) -> datetime:
    y, m = ts.year, ts.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    return datetime(y, m, 1, tzinfo=UTC)


class AwsCarbonConnector:
    """``spend`` rows (carbon only) from the Sustainability API, by region and service."""

    name = "aws-carbon"
    tables = ("spend",)
    credential_env = AwsPriceConnector.credential_env

    def __init__(self, settings: Settings, *, client: Any = None) -> None:
        self.settings = settings
        self._client = client

    def client(self) -> Any:
        """The sustainability client (built on first use)."""
        if self._client is None:
            self._client = _make_client(
                "sustainability",
                region_name="us-east-1",
                endpoint_url=self.settings.aws.carbon_endpoint_url,
                config=_boto_config(self.settings),
            )
        return self._client

    def missing_settings(self) -> list[str]:
        """Opt-in (``aws.carbon_enabled``) and credentials."""
        if not self.settings.aws.carbon_enabled:
            return ["REGIONPLAN_AWS__CARBON_ENABLED=true (needs the Sustainability API permission)"]
        return [] if self._client is not None or _has_credentials() else [CRED_VARS]

    def fetch(self, scope: Scope) -> ConnectorResult:
        """The last ``aws.carbon_months`` full months, monthly, location- and market-based."""
        end = _month_start(scope.now, 0)
        start = _month_start(scope.now, self.settings.aws.carbon_months)
        as_of = utc_now_iso(scope.now)
        rows: list[dict[str, object]] = []
        bases = {"TOTAL_LBM_CARBON_EMISSIONS": "location", "TOTAL_MBM_CARBON_EMISSIONS": "market"}
        try:
            pages = (
                self.client()
                .get_paginator("get_estimated_carbon_emissions")
                .paginate(
                    TimePeriod={"Start": start, "End": end},
                    GroupBy=["REGION", "SERVICE"],
                    EmissionsTypes=list(bases),
                    Granularity="MONTHLY",
                )
            )
            for page in pages:
                for i, res in enumerate(page.get("Results", [])):
                    rows += self._rows(res, i, bases, as_of)
        except (BotoCoreError, ClientError) as exc:
            raise sdk_error(self.name, exc) from exc
        return ConnectorResult(self.name, {"spend": spend_frame(rows, self.name)})

    def _rows(
        self, res: dict[str, Any], i: int, bases: dict[str, str], as_of: str
    ) -> list[dict[str, object]]:
        try:
            period, dims, values = (
                res["TimePeriod"],
                res["DimensionsValues"],
                res["EmissionsValues"],
            )
            start, end = pd.Timestamp(period["Start"]), pd.Timestamp(period["End"])
        except KeyError as exc:
            raise SourceDataError(self.name, f"Results[{i}] lacks field {exc}") from None
        out = []
        for etype, basis in bases.items():
            if etype not in values:
                continue
            v = values[etype]
            if v.get("Unit") != "MTCO2e":
                raise SourceDataError(self.name, f"Results[{i}].{etype}.Unit is {v.get('Unit')!r}")
            out.append(
                {
                    "provider": "aws",
                    "region": dims.get("REGION") or "global",
                    "service_or_meter": dims.get("SERVICE") or "all",
                    "period_start": start.strftime("%Y-%m-%d"),
                    "period_end": end.strftime("%Y-%m-%d"),
                    "cost_usd": None,
                    "carbon_kgco2e": number_of(self.name, v.get("Value"), f"Results[{i}].{etype}")
                    * KG_PER_METRIC_TON,
                    "carbon_basis": basis,
                    "source": f"AWS Sustainability API ({res.get('ModelVersion', '?')})",
                    "as_of": as_of,
                }
            )
        return out
