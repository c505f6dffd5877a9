"""Azure: GPU VM prices from the public Retail Prices API, and current spend from the
Cost Management query API (``azure-mgmt-costmanagement``).

Retail Prices: no auth; one OData query per VM size over all regions, ``NextPageLink``
followed verbatim until null. Rows for Windows, Spot and Low Priority are dropped and
primary meter regions preferred, leaving one Linux pay-as-you-go price per size/region.

Cost: ``query.usage`` on ``subscriptions/<AZURE_SUBSCRIPTION_ID>`` (or
``azure.cost_scope``), grouped by ResourceLocation and Meter over whole months;
``nextLink`` pages are POSTed with the same body. Credentials: ``DefaultAzureCredential``
(the SDK's standard chain: AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, managed
identity, ``az login``) or a bearer token in ``azure.access_token``. The SDK's retry
policy honours Retry-After on 429/5xx.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pandas as pd
from azure.core.credentials import AccessToken
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.policies import RetryPolicy
from azure.core.rest import HttpRequest

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
from connectors.http import HttpClient, field_of, number_of, time_left_s
from connectors.redact import brief
from connectors.settings import Settings

RETAIL = "azure"
COST = "azure-cost"
COST_ENV_HINT = (
    "set AZURE_SUBSCRIPTION_ID and sign in (AZURE_CLIENT_ID/AZURE_TENANT_ID/"
    "AZURE_CLIENT_SECRET, managed identity or `az login`), or REGIONPLAN_AZURE__ACCESS_TOKEN"
)
_EXCLUDED = ("Spot", "Low Priority")


def _linux_payg(item: dict[str, Any]) -> bool:
    names = (str(item.get("meterName", "")), str(item.get("skuName", "")))
    return (
        item.get("type") == "Consumption"
        and not str(item.get("productName", "")).endswith("Windows")
        and not any(n.endswith(x) for n in names for x in _EXCLUDED)
        and item.get("unitOfMeasure") == "1 Hour"
    )


class AzurePriceConnector:
    """``gpu_offers`` from the Azure Retail Prices API."""

    name = RETAIL
    tables = ("gpu_offers",)
    credential_env: tuple[str, ...] = ()

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.cfg = settings.azure
        self.http = HttpClient(RETAIL, settings.http, sleep=sleep, transport=transport)

    def missing_settings(self) -> list[str]:
        """Public API: always configured."""
        return []

    def items(self, arm_sku: str) -> list[dict[str, Any]]:
        """Every Consumption item for one VM size, all regions, all pages."""
        flt = (
            f"serviceName eq 'Virtual Machines' and priceType eq 'Consumption' "
            f"and armSkuName eq '{arm_sku}'"
        )
        url: str | None = self.cfg.retail_url
        params: dict[str, str] | None = {"api-version": self.cfg.retail_api_version, "$filter": flt}
        out: list[dict[str, Any]] = []
        page = 0
        while url:
            body = self.http.get_json(url, params=params)
            items = field_of(RETAIL, body, "Items", where=f"page {page}")
            if not isinstance(items, list):
                raise SourceDataError(RETAIL, f"page {page}: field 'Items' is not a list")
            out += items
            url, params, page = body.get("NextPageLink"), None, page + 1  # verbatim link
        return out

    def fetch(self, scope: Scope) -> ConnectorResult:
        """One Linux pay-as-you-go price per configured size and catalog region."""
        wanted = set(scope.regions_of("azure"))
        as_of = utc_now_iso(scope.now)
        rows: list[dict[str, object]] = []
        for size, shape in self.cfg.vm_sizes.items():
            best: dict[str, dict[str, Any]] = {}
            for it in self.items(size):
                region = it.get("armRegionName")
                if region not in wanted or not _linux_payg(it):
                    continue
                prev = best.get(region)
                if prev is None or (
                    it.get("isPrimaryMeterRegion") and not prev.get("isPrimaryMeterRegion")
                ):
                    best[region] = it
            for region, it in sorted(best.items()):
                price = number_of(
                    RETAIL,
                    field_of(RETAIL, it, "retailPrice", where=f"{size} {region}"),
                    f"{size} {region}.retailPrice",
                )
                if it.get("currencyCode", "USD") != "USD":
                    raise SourceDataError(
                        RETAIL,
                        f"{size} {region}: currencyCode {it.get('currencyCode')!r}, expected USD",
                    )
                rows.append(
                    {
                        "provider": "azure",
                        "region": region,
                        "gpu_model": shape.gpu_model,
                        "instance_type": size,
                        "gpus_per_instance": shape.gpus,
                        "usd_per_instance_hour": price,
                        "quota_gpus": None,
                        "source": "Azure Retail Prices API (Linux pay-as-you-go)",
                        "as_of": as_of,
                    }
                )
        return ConnectorResult(RETAIL, {"gpu_offers": offers_frame(rows, RETAIL)})


class StaticTokenCredential:
    """A ``TokenCredential`` over one bearer token (``azure.access_token``)."""

    def __init__(self, token: str, ttl_s: float = 3600.0) -> None:
        self._token = token
        self._ttl_s = ttl_s

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """The token, valid for ``ttl_s`` from now."""
        return AccessToken(self._token, int(time.time() + self._ttl_s))

    def __repr__(self) -> str:
        return "StaticTokenCredential(***)"


class RetryAfterTooLong(ServiceResponseTimeoutError):
    """The service asked to wait longer than ``http.retry_after_max_s`` (or the deadline)."""


class CappedRetryPolicy(RetryPolicy):
    """azure-core's retry policy with ``Retry-After`` honoured only up to a cap.

    azure-core sleeps for any ``Retry-After`` it is given (a 429 with ``Retry-After:
    100000`` would wait 28 hours); here a longer wait, or one past the refresh deadline,
    gives up at once with :class:`RetryAfterTooLong`.
    """

    def __init__(self, cap_s: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cap_s = cap_s

    def get_retry_after(self, response: Any) -> float | None:
        """The server's wait in seconds, or raise when it exceeds the cap or the deadline."""
        wait_s = super().get_retry_after(response)
        left = time_left_s()
        if wait_s is not None and (wait_s > self.cap_s or (left is not None and wait_s > left)):
            raise RetryAfterTooLong(
                f"Retry-After {wait_s:.0f} s exceeds http.retry_after_max_s={self.cap_s:g} "
                "or the refresh deadline"
            )
        return wait_s


def _months(now: datetime, n: int) -> tuple[datetime, datetime]:
    end = datetime(now.year, now.month, 1, tzinfo=UTC)
    y, m = end.year, end.month - n
    while m <= 0:
        y, m = y - 1, m + 12
    return datetime(y, m, 1, tzinfo=UTC), end


def sdk_error(source: str, exc: AzureError) -> SourceError:
    """An azure-core exception as a typed error naming the source (never the token)."""
    if isinstance(exc, ClientAuthenticationError):
        return SourceAuthError(source, f"{brief(exc.message)}; {COST_ENV_HINT}")
    if isinstance(exc, DecodeError):
        return SourceDataError(source, f"malformed response body: {brief(exc.message)}")
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        code = exc.error.code if exc.error else ""
        msg = f"HTTP {status} ({brief(f'{code} {exc.message}')})"
        if status in (401, 403):
            return SourceAuthError(source, f"{msg}; {COST_ENV_HINT} (needs Cost Management Reader)")
        if status == 429 or status >= 500:
            return SourceUnavailable(source, f"{msg} after retries")
        return SourceRequestError(source, msg)
    if isinstance(exc, RetryAfterTooLong):
        return SourceUnavailable(source, f"{exc.message}; retry later")
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return SourceUnavailable(source, f"{type(exc).__name__}: {brief(exc.message)}")
    return SourceUnavailable(source, f"{type(exc).__name__}: {brief(str(exc))}")


class AzureCostConnector:
    """``spend`` rows (cost) from Cost Management, by region and meter, per month."""

    name = COST
    tables = ("spend",)
    credential_env = (
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
    )

    def __init__(self, settings: Settings, *, client: Any = None, credential: Any = None) -> None:
        self.settings = settings
        self.cfg = settings.azure
        self._client = client
        self._credential = credential

    @property
    def scope(self) -> str | None:
        """The query scope, e.g. ``subscriptions/<id>``."""
        if self.cfg.cost_scope:
            return self.cfg.cost_scope.strip("/")
        return f"subscriptions/{self.cfg.subscription_id}" if self.cfg.subscription_id else None

    def missing_settings(self) -> list[str]:
        """Needs a scope (AZURE_SUBSCRIPTION_ID or azure.cost_scope)."""
        return [] if self.scope else ["AZURE_SUBSCRIPTION_ID (or REGIONPLAN_AZURE__COST_SCOPE)"]

    def client(self) -> Any:
        """The CostManagementClient, built on first use."""
        if self._client is None:
            from azure.mgmt.costmanagement import CostManagementClient

            cred = self._credential
            if cred is None and self.cfg.access_token is not None:
                cred = StaticTokenCredential(self.cfg.access_token.get_secret_value())
            if cred is None:
                from azure.identity import DefaultAzureCredential

                cred = DefaultAzureCredential()
            h = self.settings.http
            retry = CappedRetryPolicy(
                h.retry_after_max_s,
                retry_total=h.max_tries - 1,
                retry_backoff_factor=h.backoff_base_s,
                retry_backoff_max=h.backoff_max_s,
                timeout=h.retry_budget_s + h.timeout_s,  # whole operation, retries included
            )
            self._client = CostManagementClient(
                credential=cred,
                base_url=self.cfg.management_url.rstrip("/"),
                retry_policy=retry,
                connection_timeout=h.connect_timeout_s,
                read_timeout=h.timeout_s,
            )
        return self._client

    def _opts(self) -> dict[str, Any]:
        # azure-core refuses bearer tokens over plain http; only a local test server uses it.
        return {"enforce_https": False} if self.cfg.management_url.startswith("http://") else {}

    def fetch(self, scope: Scope) -> ConnectorResult:
        """Cost per region and meter for the last ``azure.cost_months`` whole months."""
        from azure.mgmt.costmanagement import models as m

        start, end = _months(scope.now, self.cfg.cost_months)
        definition = m.QueryDefinition(
            type="ActualCost",
            timeframe="Custom",
            time_period=m.QueryTimePeriod(from_property=start, to=end - timedelta(seconds=1)),
            dataset=m.QueryDataset(
                granularity="None",
                aggregation={"totalCost": m.QueryAggregation(name="PreTaxCost", function="Sum")},
                grouping=[
                    m.QueryGrouping(type="Dimension", name="ResourceLocation"),
                    m.QueryGrouping(type="Dimension", name="Meter"),
                ],
            ),
        )
        if self.scope is None:
            raise SourceNotConfigured(COST, self.missing_settings()[0])
        try:
            result = self.client().query.usage(
                scope=self.scope, parameters=definition, **self._opts()
            )
            if result is None:  # 204: no data
                return ConnectorResult(COST, {"spend": spend_frame([], COST)})
            columns = [c.name for c in result.columns]
            rows = list(result.rows)
            link = result.next_link
            while link:
                resp = self.client().send_request(
                    HttpRequest("POST", link, json=definition.as_dict()), **self._opts()
                )
                resp.raise_for_status()
                props = field_of(COST, resp.json(), "properties", where="nextLink page")
                rows += field_of(COST, props, "rows", where="nextLink page")
                link = props.get("nextLink")
        except AzureError as exc:
            raise sdk_error(COST, exc) from exc
        except ValueError as exc:  # resp.json() on a malformed page
            raise SourceDataError(COST, f"malformed nextLink page: {exc}") from exc
        return ConnectorResult(COST, {"spend": self._frame(columns, rows, start, end, scope)})

    def _frame(
        self, columns: list[str], rows: list[Any], start: datetime, end: datetime, scope: Scope
    ) -> pd.DataFrame:
        need = ("PreTaxCost", "ResourceLocation", "Meter", "Currency")
        missing = [c for c in need if c not in columns]
        if missing:
            raise SourceDataError(COST, f"query result lacks column(s) {missing}; got {columns}")
        idx = {c: columns.index(c) for c in need}
        as_of = utc_now_iso(scope.now)
        out: list[dict[str, object]] = []
        for i, r in enumerate(rows):
            if r[idx["Currency"]] != "USD":
                raise SourceDataError(
                    COST,
                    f"rows[{i}].Currency is {r[idx['Currency']]!r}; "
                    "only USD is stored (column cost_usd)",
                )
            out.append(
                {
                    "provider": "azure",
                    "region": str(r[idx["ResourceLocation"]] or "global").lower().replace(" ", ""),
                    "service_or_meter": str(r[idx["Meter"]] or "unassigned"),
                    "period_start": start.strftime("%Y-%m-%d"),
                    "period_end": end.strftime("%Y-%m-%d"),
                    "cost_usd": number_of(COST, r[idx["PreTaxCost"]], f"rows[{i}].PreTaxCost"),
                    "carbon_kgco2e": None,
                    "carbon_basis": None,
                    "source": "Azure Cost Management query (ActualCost)",
                    "as_of": as_of,
                }
            )
        return spend_frame(out, COST)
