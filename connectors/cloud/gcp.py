"""GCP: GPU VM prices from the Cloud Billing Catalog API, and the carbon baseline from the
Carbon Footprint BigQuery export (as a JSON-lines file).

Prices: ``list_services`` finds Compute Engine, ``list_skus`` lists its SKUs (the pager
follows page tokens). A VM's hourly price is GPUs × GPU SKU + vCPUs × core SKU + GiB ×
RAM SKU, each the OnDemand SKU whose description starts with the configured prefix and
whose ``service_regions`` include the region; Money is ``units + nanos·1e-9`` USD.
Credentials: ``gcp.api_key`` (REGIONPLAN_GCP__API_KEY) or Application Default
Credentials (``GOOGLE_APPLICATION_CREDENTIALS`` / ``gcloud auth application-default
login``). ``gcp.endpoint`` points the client's own REST transport elsewhere (tests).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import requests
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.api_core.client_options import ClientOptions
from google.auth.exceptions import GoogleAuthError
from google.protobuf.json_format import ParseError

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

CRED_VARS = "REGIONPLAN_GCP__API_KEY or GOOGLE_APPLICATION_CREDENTIALS"
ENV_HINT = f"set {CRED_VARS}"
NANOS_PER_UNIT = 1e9
UNITS = {"core": "h", "gpu": "h", "ram": "GiBy.h"}


def _adc_file() -> Path:
    base = os.environ.get("CLOUDSDK_CONFIG") or str(Path.home() / ".config" / "gcloud")
    return Path(base) / "application_default_credentials.json"


def sdk_error(source: str, exc: Exception) -> SourceError:
    """A google-api-core/google-auth exception as a typed error naming the source."""
    text = f"{type(exc).__name__}: {brief(str(exc))}"  # the SDK quotes whole error bodies
    if isinstance(exc, gexc.Unauthenticated | gexc.PermissionDenied | GoogleAuthError):
        return SourceAuthError(source, f"{text}; {ENV_HINT}")
    if isinstance(exc, gexc.TooManyRequests | gexc.ServerError | gexc.RetryError):
        return SourceUnavailable(source, f"{text} after retries")
    if isinstance(exc, ParseError):
        return SourceDataError(source, f"malformed catalog response: {brief(str(exc))}")
    return SourceRequestError(source, text)


def money_usd(money: Any) -> float:
    """``google.type.Money`` → USD (units + nanos · 1e-9)."""
    return float(money.units) + float(money.nanos) / NANOS_PER_UNIT


class GcpPriceConnector:
    """``gpu_offers`` for the configured GCP machine types in every catalog region."""

    name = "gcp"
    tables = ("gpu_offers",)
    credential_env = ("REGIONPLAN_GCP__API_KEY", "GOOGLE_APPLICATION_CREDENTIALS")

    def __init__(self, settings: Settings, *, client: Any = None) -> None:
        self.settings = settings
        self.cfg = settings.gcp
        self._client = client

    def client(self) -> Any:
        """The CloudCatalogClient (REST transport), built on first use."""
        if self._client is None:
            from google.cloud import billing_v1

            opts: dict[str, Any] = {}
            if self.cfg.endpoint:
                opts["api_endpoint"] = self.cfg.endpoint.rstrip("/")
            if self.cfg.api_key is not None:
                opts["api_key"] = self.cfg.api_key.get_secret_value()
            self._client = billing_v1.CloudCatalogClient(
                transport="rest", client_options=ClientOptions(**opts)
            )
        return self._client

    def missing_settings(self) -> list[str]:
        """Empty with an API key, ADC or an injected client."""
        ok = (
            self._client is not None
            or self.cfg.api_key is not None
            or self.cfg.use_adc
            or bool(os.environ.get("GOOGLE_APPLICATION_CREDENTIALS"))
            or _adc_file().is_file()
        )
        return [] if ok else [CRED_VARS]

    def _call_opts(self) -> dict[str, Any]:
        h = self.settings.http
        retry = gretry.Retry(
            predicate=gretry.if_exception_type(gexc.TooManyRequests, gexc.ServerError),
            initial=max(h.backoff_base_s, 0.01),
            maximum=max(h.backoff_max_s, 0.01),
            multiplier=2.0,
            timeout=h.timeout_s * h.max_tries,
        )
        return {"retry": retry, "timeout": h.timeout_s}

    def _skus(self) -> list[Any]:
        opts = self._call_opts()
        services = [
            s
            for s in self.client().list_services(**opts)
            if s.display_name == self.cfg.compute_service_name
        ]
        if not services:
            raise SourceDataError(
                self.name, f"no service with display_name {self.cfg.compute_service_name!r}"
            )
        return list(self.client().list_skus(parent=services[0].name, **opts))

    def _price(self, skus: list[Any], prefix: str, region: str, kind: str) -> float | None:
        for sku in skus:
            if (
                sku.category.usage_type == "OnDemand"
                and sku.description.startswith(prefix)
                and region in sku.service_regions
            ):
                if not sku.pricing_info:
                    raise SourceDataError(self.name, f"SKU {sku.sku_id}: empty pricing_info")
                expr = sku.pricing_info[-1].pricing_expression
                if expr.usage_unit != UNITS[kind]:
                    raise SourceDataError(
                        self.name,
                        f"SKU {sku.sku_id}: usage_unit {expr.usage_unit!r}, "
                        f"expected {UNITS[kind]!r}",
                    )
                base = [t for t in expr.tiered_rates if t.start_usage_amount == 0]
                if not base:
                    raise SourceDataError(self.name, f"SKU {sku.sku_id}: no tier starting at 0")
                return money_usd(base[0].unit_price)
        return None

    def fetch(self, scope: Scope) -> ConnectorResult:
        """Every configured machine type in every catalog GCP region that offers it."""
        try:
            skus = self._skus()
        except (gexc.GoogleAPIError, GoogleAuthError, ParseError) as exc:
            raise sdk_error(self.name, exc) from exc
        except requests.RequestException as exc:  # the REST transport does not wrap these
            raise SourceUnavailable(
                self.name, f"{type(exc).__name__} from the Cloud Billing Catalog API"
            ) from exc
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # google-api-core reading an error body of an unexpected shape, e.g.
            # {"error": "not found"} where it expects {"error": {"message": ...}}
            raise SourceDataError(
                self.name,
                f"unreadable response from the Cloud Billing Catalog API ({type(exc).__name__})",
            ) from exc
        as_of = utc_now_iso(scope.now)
        rows: list[dict[str, object]] = []
        notes: list[str] = []
        for mtype, m in self.cfg.machine_types.items():
            for region in scope.regions_of("gcp"):
                gpu = self._price(skus, m.gpu_sku, region, "gpu")
                if gpu is None:
                    continue  # this GPU is not offered in this region
                core = self._price(skus, m.core_sku, region, "core")
                ram = self._price(skus, m.ram_sku, region, "ram")
                if core is None or ram is None:
                    notes.append(f"{mtype} {region}: GPU SKU found but no core/RAM SKU")
                    continue
                rows.append(
                    {
                        "provider": "gcp",
                        "region": region,
                        "gpu_model": m.gpu_model,
                        "instance_type": mtype,
                        "gpus_per_instance": m.gpus,
                        "usd_per_instance_hour": m.gpus * gpu + m.vcpus * core + m.memory_gib * ram,
                        "quota_gpus": None,
                        "source": "GCP Cloud Billing Catalog API (Compute Engine OnDemand SKUs)",
                        "as_of": as_of,
                    }
                )
        return ConnectorResult(
            self.name, {"gpu_offers": offers_frame(rows, self.name)}, tuple(notes)
        )


def carbon_export_rows(records: list[dict[str, Any]], as_of: str, origin: str) -> pd.DataFrame:
    """Carbon Footprint export rows (BigQuery JSON shape) → ``spend`` (kgCO2e, monthly).

    Projects and billing accounts are summed per region, service and month.
    """
    rows: list[dict[str, object]] = []
    for i, rec in enumerate(records):
        try:
            month = pd.Timestamp(rec["usage_month"])
            service = rec["service"]["description"]
            totals = rec["carbon_footprint_total_kgCO2e"]
            region = (rec.get("location") or {}).get("region") or "global"
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceDataError("gcp-carbon", f"{origin} row {i} lacks field {exc}") from None
        if not isinstance(totals, dict):
            raise SourceDataError("gcp-carbon", f"{origin} row {i}: totals are not an object")
        for basis in ("location_based", "market_based"):
            if totals.get(basis) is None:
                continue
            rows.append(
                {
                    "provider": "gcp",
                    "region": region,
                    "service_or_meter": service,
                    "period_start": month.strftime("%Y-%m-%d"),
                    "period_end": (month + pd.offsets.MonthBegin(1)).strftime("%Y-%m-%d"),
                    "cost_usd": None,
                    "carbon_kgco2e": number_of(
                        "gcp-carbon", totals[basis], f"{origin} row {i} {basis}"
                    ),
                    "carbon_basis": basis.removesuffix("_based"),
                    "source": "GCP Carbon Footprint export (model "
                    f"{rec.get('carbon_model_version')})",
                    "as_of": as_of,
                }
            )
    return spend_frame(rows, origin)


class GcpCarbonExportConnector:
    """``spend`` rows from a JSON-lines dump of the ``carbon_footprint`` export table."""

    name = "gcp-carbon"
    tables = ("spend",)
    credential_env: tuple[str, ...] = ()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def missing_settings(self) -> list[str]:
        """Needs ``gcp.carbon_export_file``."""
        if self.settings.gcp.carbon_export_file is None:
            return [
                "REGIONPLAN_GCP__CARBON_EXPORT_FILE (JSON lines from `bq query --format=json`"
                " or a BigQuery export of the carbon_footprint table)"
            ]
        return []

    def fetch(self, scope: Scope) -> ConnectorResult:
        """Read and normalise the file."""
        path = self.settings.gcp.carbon_export_file
        if path is None:
            raise SourceNotConfigured(self.name, self.missing_settings()[0])
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise SourceUnavailable(self.name, f"cannot read {path}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise SourceDataError(self.name, f"{path} is not UTF-8 text") from exc
        try:
            stripped = text.strip()
            if stripped.startswith("["):
                records = json.loads(stripped)
            else:
                records = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise SourceDataError(self.name, f"{path} is not JSON lines: {exc}") from exc
        df = carbon_export_rows(records, utc_now_iso(scope.now), str(path))
        return ConnectorResult(self.name, {"spend": df})
