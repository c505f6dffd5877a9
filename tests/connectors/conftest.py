"""Shared fixtures: a small regions table, and settings pointing every source at one
local HTTP server (127.0.0.1) with fast retries and a store in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import conn_fakes as fakes
import pandas as pd
import pytest
from pytest_httpserver import HTTPServer

from connectors.catalog import load_embedded
from connectors.settings import Settings, load_settings

REGION_KEYS = [
    ("aws", "us-east-1"),
    ("aws", "eu-west-2"),
    ("azure", "eastus"),
    ("azure", "westeurope"),
    ("azure", "uksouth"),
    ("gcp", "us-central1"),
]


@pytest.fixture(scope="session")
def regions() -> pd.DataFrame:
    df = load_embedded().regions
    keys = pd.MultiIndex.from_frame(df[["provider", "region"]])
    return df[keys.isin(REGION_KEYS)].reset_index(drop=True)


def base_env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "ELECTRICITYMAPS_API_KEY": fakes.EM_KEY,
        "WATTTIME_USERNAME": fakes.WT_USER,
        "WATTTIME_PASSWORD": fakes.WT_PASS,
        "AZURE_SUBSCRIPTION_ID": fakes.AZ_SUB,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "aws-test-secret-0001",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "REGIONPLAN_STORE__PATH": str(tmp_path / "store.duckdb"),
        "REGIONPLAN_HTTP__TIMEOUT_S": "2",
        "REGIONPLAN_HTTP__CONNECT_TIMEOUT_S": "1",
        "REGIONPLAN_HTTP__BACKOFF_BASE_S": "0.01",
        "REGIONPLAN_HTTP__BACKOFF_MAX_S": "0.05",
        "REGIONPLAN_ELECTRICITYMAPS__BASE_URL": f"{url}/v3",
        "REGIONPLAN_WATTTIME__BASE_URL": url,
        "REGIONPLAN_UKCI__BASE_URL": url,
        "REGIONPLAN_AZURE__RETAIL_URL": f"{url}/api/retail/prices",
        "REGIONPLAN_AZURE__MANAGEMENT_URL": url,
        "REGIONPLAN_AZURE__ACCESS_TOKEN": fakes.AZ_TOKEN,
        "REGIONPLAN_AZURE__VM_SIZES": json.dumps(
            {"Standard_ND96isr_H100_v5": {"gpu_model": "H100", "gpus": 8}}
        ),
        "REGIONPLAN_GCP__ENDPOINT": url,
        "REGIONPLAN_GCP__API_KEY": fakes.GCP_KEY,
        "REGIONPLAN_GCP__MACHINE_TYPES": json.dumps(
            {
                "a3-highgpu-8g": {
                    "gpu_model": "H100",
                    "gpus": 8,
                    "vcpus": 208,
                    "memory_gib": 1872,
                    "gpu_sku": "Nvidia H100 80GB GPU",
                    "core_sku": "A3 Instance Core",
                    "ram_sku": "A3 Instance Ram",
                }
            }
        ),
        "REGIONPLAN_AWS__PRICING_ENDPOINT_URL": url,
        "REGIONPLAN_AWS__INSTANCE_TYPES": json.dumps(
            {"p5.48xlarge": {"gpu_model": "H100", "gpus": 8}}
        ),
        "REGIONPLAN_GRID__ZONES": json.dumps(["US-MIDA-PJM", "GB"]),
        "REGIONPLAN_AWS__CARBON_ENABLED": "true",
        "REGIONPLAN_AWS__CARBON_ENDPOINT_URL": url,
        "REGIONPLAN_GCP__CARBON_EXPORT_FILE": str(carbon_file(tmp_path)),
    }


def carbon_file(tmp_path: Path) -> Path:
    path = tmp_path / "carbon_footprint.jsonl"
    if not path.exists():
        path.write_text(json.dumps(fakes.GCP_CARBON_RECORD) + "\n")
    return path


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, httpserver: HTTPServer
) -> Callable[..., Settings]:
    """Set the environment for every source → ``make(**extra_env)`` returns Settings."""
    for var in list(__import__("os").environ):
        if var.startswith(
            ("REGIONPLAN_", "AWS_", "AZURE_", "GOOGLE_", "WATTTIME_", "ELECTRICITYMAPS_")
        ):
            monkeypatch.delenv(var)
    default_url = httpserver.url_for("").rstrip("/")

    def make(url: str | None = None, **extra: str) -> Settings:
        for k, v in {**base_env(url or default_url, tmp_path), **extra}.items():
            monkeypatch.setenv(k, v)
        return load_settings()

    return make
