"""The one contract every connector follows, its result type, its errors and the registry.

A connector turns one external source into canonical tables (see :mod:`connectors.schema`):
pandas DataFrames with units in their column names and ``source`` + ``as_of`` on every
row. Connectors never decide anything and never touch the store; :mod:`connectors.refresh`
does that. Nothing here runs at import time: the registry maps names to dotted paths and
imports a connector module only when it is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pandas as pd

from connectors.redact import redact

if TYPE_CHECKING:
    from connectors.settings import Settings


class SourceError(Exception):
    """A source could not deliver. The message names the source (and field / variable).

    The message is redacted at birth (:func:`connectors.redact.redact`): SDK and server
    texts quoted into it can carry credentials.
    """

    def __init__(self, source: str, message: str) -> None:
        message = redact(message)
        self.source = source
        self.detail = message
        super().__init__(f"{source}: {message}")


class SourceNotConfigured(SourceError):
    """A setting or credential the source needs is missing; the message names it."""


class SourceAuthError(SourceError):
    """The source refused our credentials (HTTP 401/403 or the SDK's equivalent)."""


class SourceUnavailable(SourceError):
    """Network failure, timeout, 429 or 5xx that persisted after every retry."""


class SourceRequestError(SourceError):
    """The source rejected the request itself (HTTP 400/404/422: bad zone, no coverage)."""


class SourceDataError(SourceError):
    """The source answered, but the body is malformed, truncated or lacks a field."""


@dataclass(frozen=True)
class Scope:
    """What to fetch.

    ``regions`` is the catalog's regions table (or a subset); ``zones`` the grid zones
    (Electricity Maps ids) to cover; ``now`` the reference time (UTC) for history and
    forecast windows, so tests are reproducible.
    """

    regions: pd.DataFrame
    zones: tuple[str, ...] = ()
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def regions_of(self, provider: str) -> list[str]:
        """Region codes of one provider, in catalog order."""
        df = self.regions
        return [str(r) for r in df.loc[df["provider"] == provider, "region"]]


@dataclass(frozen=True)
class ConnectorResult:
    """Canonical tables from one source, plus notes for the refresh log.

    ``tables`` maps a table name (``gpu_offers``, ``grid_hourly``, ``spend``) to rows that
    have the canonical columns; :func:`connectors.validate.validate_batch` judges the values.
    """

    source: str
    tables: Mapping[str, pd.DataFrame]
    notes: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Total rows over all tables."""
        return sum(len(df) for df in self.tables.values())


@runtime_checkable
class Connector(Protocol):
    """One external source.

    ``name`` is the registry name; ``tables`` the canonical tables it produces;
    ``credential_env`` the environment variables that configure it (for messages).
    """

    name: str
    tables: tuple[str, ...]
    credential_env: tuple[str, ...]

    def missing_settings(self) -> list[str]:
        """What is missing before this source can run (empty when configured).

        Each entry names the exact environment variable or setting that fixes it.
        """
        ...

    def fetch(self, scope: Scope) -> ConnectorResult:
        """Fetch and normalise. Raises a :class:`SourceError` subclass on failure."""
        ...


@runtime_checkable
class GridConnector(Connector, Protocol):
    """A grid-carbon source that can be asked for one zone at a time (for fallback)."""

    def fetch_zone(self, zone: str, scope: Scope) -> pd.DataFrame:
        """``grid_hourly`` rows for one Electricity Maps zone id."""
        ...

    def covers(self, zone: str, scope: Scope) -> bool:
        """Whether this source can serve ``zone`` at all (without a request)."""
        ...


# name -> "module:Class". Lazy on purpose: importing connectors.base imports no SDK.
REGISTRY: dict[str, str] = {
    "aws": "connectors.cloud.aws:AwsPriceConnector",
    "gcp": "connectors.cloud.gcp:GcpPriceConnector",
    "azure": "connectors.cloud.azure:AzurePriceConnector",
    "azure-cost": "connectors.cloud.azure:AzureCostConnector",
    "aws-carbon": "connectors.cloud.aws:AwsCarbonConnector",
    "gcp-carbon": "connectors.cloud.gcp:GcpCarbonExportConnector",
    "electricitymaps": "connectors.grid.electricitymaps:ElectricityMapsConnector",
    "watttime": "connectors.grid.watttime:WattTimeConnector",
    "ukci": "connectors.grid.ukci:UkCarbonIntensityConnector",
}

GRID_SOURCES = ("electricitymaps", "watttime", "ukci")


class UnknownSourceError(KeyError):
    """A source name that is not in the registry; the message lists the valid ones."""

    def __str__(self) -> str:
        return f"unknown source {self.args[0]!r}; valid sources: {', '.join(REGISTRY)}"


def connector_class(name: str) -> type[Any]:
    """Import and return the connector class registered under ``name``."""
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UnknownSourceError(name) from None
    module_name, _, cls_name = target.partition(":")
    return getattr(importlib.import_module(module_name), cls_name)  # type: ignore[no-any-return]


def make_connector(name: str, settings: Settings, **kwargs: Any) -> Connector:
    """Build the connector ``name`` from settings; ``kwargs`` inject clients (tests)."""
    conn: Connector = connector_class(name)(settings, **kwargs)
    return conn


def utc_now_iso(now: datetime) -> str:
    """``now`` as ISO-8601 UTC with a trailing ``Z`` (the ``as_of`` format), second precision."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
