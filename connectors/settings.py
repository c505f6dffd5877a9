"""One typed settings object for every connector, layered defaults → file → environment.

Layers, lowest priority first:

1. defaults in this module;
2. a TOML or YAML file: ``config_file`` argument, else ``$REGIONPLAN_CONFIG``, else
   ``<user config dir>/regionplan/config.toml`` (or ``config.yaml``) when it exists;
3. the documented variables of each source (``ELECTRICITYMAPS_API_KEY``,
   ``WATTTIME_USERNAME`` / ``WATTTIME_PASSWORD``, ``AZURE_SUBSCRIPTION_ID``);
4. ``REGIONPLAN_<SECTION>__<KEY>`` environment variables (JSON for lists and maps);
5. explicit keyword overrides (the CLI's ``--store``).

Unknown keys fail and list the valid ones. Secrets are :class:`~pydantic.SecretStr`:
they print as ``**********`` and are unwrapped only at the moment a request is made.
Nothing is read at import time; :func:`load_settings` reads the environment when called.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

ENV_PREFIX = "REGIONPLAN_"
CONFIG_ENV = "REGIONPLAN_CONFIG"
GRID_SOURCE_NAMES = ("electricitymaps", "watttime", "ukci")

# Documented variables of the sources themselves → (section, key).
DOCUMENTED_ENV: dict[str, tuple[str, str]] = {
    "ELECTRICITYMAPS_API_KEY": ("electricitymaps", "api_key"),
    "WATTTIME_USERNAME": ("watttime", "username"),
    "WATTTIME_USER": ("watttime", "username"),  # the official watttime SDK's spelling
    "WATTTIME_PASSWORD": ("watttime", "password"),
    "AZURE_SUBSCRIPTION_ID": ("azure", "subscription_id"),
}


class SettingsError(ValueError):
    """Settings are invalid; the message names the key, its origin and the valid keys."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuShape(_Section):
    """One priced instance shape: which GPU and how many per instance."""

    gpu_model: str
    gpus: int = Field(gt=0)


class GcpMachine(_Section):
    """A GCP machine type priced from SKUs: GPUs × GPU SKU + vCPUs × core + GiB × RAM."""

    gpu_model: str
    gpus: int = Field(gt=0)
    vcpus: int = Field(ge=0)
    memory_gib: float = Field(ge=0)
    gpu_sku: str  # description prefix, e.g. "Nvidia H100 80GB GPU"
    core_sku: str  # e.g. "A3 Instance Core"
    ram_sku: str  # e.g. "A3 Instance Ram"


class StoreSettings(_Section):
    """The local DuckDB store."""

    path: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("regionplan")) / "store.duckdb"
    )


class HttpSettings(_Section):
    """Timeouts (seconds) and retry policy shared by every HTTP request and SDK client."""

    timeout_s: float = Field(default=20.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    max_tries: int = Field(default=3, ge=1)
    backoff_base_s: float = Field(default=0.5, ge=0)  # wait before try n+1: base · 2^(n-1)
    backoff_max_s: float = Field(default=30.0, ge=0)
    retry_after_max_s: float = Field(default=120.0, ge=0)  # a longer Retry-After fails fast
    # Per source and run: seconds spent on failed tries (their own duration, timeouts
    # included) plus waits before retrying. Once spent, the source gives up for this run.
    retry_budget_s: float = Field(default=60.0, ge=0)


class RefreshSettings(_Section):
    """Bounds of one ``regionplan data refresh`` run and the acceptance of fetched batches."""

    deadline_s: float = Field(default=600.0, gt=0)  # whole run; later sources give up
    max_concurrency: int = Field(default=4, ge=1, le=16)  # sources/zones fetched at once
    # A batch with fewer rows than this share of the last good batch is rejected whole.
    min_row_share: float = Field(default=0.5, ge=0, le=1)


class AwsSettings(_Section):
    """AWS Price List (prices) and Sustainability API (carbon baseline)."""

    pricing_region: str = "us-east-1"  # one of us-east-1, eu-central-1, ap-south-1
    pricing_endpoint_url: str | None = None  # tests: http://127.0.0.1:<port>
    carbon_enabled: bool = False  # needs sustainability:GetEstimatedCarbonEmissions
    carbon_endpoint_url: str | None = None
    carbon_months: int = Field(default=12, ge=1, le=38)
    instance_types: dict[str, GpuShape] = Field(
        default_factory=lambda: {
            "p5.48xlarge": GpuShape(gpu_model="H100", gpus=8),
            "p5en.48xlarge": GpuShape(gpu_model="H200", gpus=8),
            "p4d.24xlarge": GpuShape(gpu_model="A100-40GB", gpus=8),
            "p4de.24xlarge": GpuShape(gpu_model="A100-80GB", gpus=8),
            "g6.xlarge": GpuShape(gpu_model="L4", gpus=1),
        }
    )


class GcpSettings(_Section):
    """GCP Cloud Billing Catalog (prices) and the Carbon Footprint export (baseline)."""

    endpoint: str | None = None  # REST endpoint; tests: http://127.0.0.1:<port>
    api_key: SecretStr | None = None  # else Application Default Credentials
    use_adc: bool = False  # treat ADC (e.g. GCE metadata) as configured
    compute_service_name: str = "Compute Engine"
    carbon_export_file: Path | None = None  # JSON lines of the carbon_footprint table
    machine_types: dict[str, GcpMachine] = Field(
        default_factory=lambda: {
            "a3-highgpu-8g": GcpMachine(
                gpu_model="H100",
                gpus=8,
                vcpus=208,
                memory_gib=1872,
                gpu_sku="Nvidia H100 80GB GPU",
                core_sku="A3 Instance Core",
                ram_sku="A3 Instance Ram",
            ),
            "a2-highgpu-1g": GcpMachine(
                gpu_model="A100-40GB",
                gpus=1,
                vcpus=12,
                memory_gib=85,
                gpu_sku="Nvidia Tesla A100 GPU",
                core_sku="A2 Instance Core",
                ram_sku="A2 Instance Ram",
            ),
            "g2-standard-4": GcpMachine(
                gpu_model="L4",
                gpus=1,
                vcpus=4,
                memory_gib=16,
                gpu_sku="Nvidia L4 GPU",
                core_sku="G2 Instance Core",
                ram_sku="G2 Instance Ram",
            ),
        }
    )


class AzureSettings(_Section):
    """Azure Retail Prices (public) and Cost Management query (spend baseline)."""

    retail_url: str = "https://prices.azure.com/api/retail/prices"
    retail_api_version: str = "2023-01-01-preview"
    management_url: str = "https://management.azure.com"
    subscription_id: str | None = None
    cost_scope: str | None = None  # default: subscriptions/<subscription_id>
    cost_months: int = Field(default=1, ge=1, le=12)
    access_token: SecretStr | None = None  # a bearer token; else DefaultAzureCredential
    vm_sizes: dict[str, GpuShape] = Field(
        default_factory=lambda: {
            "Standard_ND96isr_H100_v5": GpuShape(gpu_model="H100", gpus=8),
            "Standard_NC40ads_H100_v5": GpuShape(gpu_model="H100", gpus=1),
            "Standard_ND96amsr_A100_v4": GpuShape(gpu_model="A100-80GB", gpus=8),
            "Standard_NC24ads_A100_v4": GpuShape(gpu_model="A100-80GB", gpus=1),
        }
    )


class ElectricityMapsSettings(_Section):
    """Electricity Maps API v3."""

    base_url: str = "https://api.electricitymaps.com/v3"
    api_key: SecretStr | None = None
    emission_factor_type: str = "lifecycle"  # lifecycle | direct


class WattTimeSettings(_Section):
    """WattTime API v3 (marginal intensity, lbs/MWh → gCO2e/kWh)."""

    base_url: str = "https://api.watttime.org"
    username: SecretStr | None = None
    password: SecretStr | None = None
    signal_type: str = "co2_moer"
    token_ttl_s: float = Field(default=1800.0, gt=0)  # tokens expire after 30 min
    token_margin_s: float = Field(default=60.0, ge=0)  # log in again this long before expiry


class UkciSettings(_Section):
    """UK Carbon Intensity API (no auth)."""

    base_url: str = "https://api.carbonintensity.org.uk"


class GridSettings(_Section):
    """Which zones to refresh and which source to try first for each."""

    zones: list[str] | None = None  # default: every grid_zone of the catalog regions
    history_hours: int = Field(default=24, ge=0, le=240)
    forecast_hours: int = Field(default=48, ge=0, le=72)
    priority: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "default": ["electricitymaps", "watttime"],
            "GB": ["ukci", "electricitymaps", "watttime"],
        }
    )

    @field_validator("priority")
    @classmethod
    def _known_sources(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for zone, names in value.items():
            bad = [n for n in names if n not in GRID_SOURCE_NAMES]
            if bad:
                raise ValueError(
                    f"grid.priority[{zone!r}] names unknown source(s) {bad}; "
                    f"valid: {', '.join(GRID_SOURCE_NAMES)}"
                )
        if "default" not in value:
            raise ValueError("grid.priority needs a 'default' entry")
        return value

    def sources_for(self, zone: str) -> list[str]:
        """Sources to try for ``zone``, best first."""
        return list(self.priority.get(zone, self.priority["default"]))


class Settings(BaseSettings):
    """Every connector setting. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only explicit values: :func:`load_settings` has already merged the layers."""
        return (init_settings,)

    store: StoreSettings = Field(default_factory=StoreSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)
    gcp: GcpSettings = Field(default_factory=GcpSettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    electricitymaps: ElectricityMapsSettings = Field(default_factory=ElectricityMapsSettings)
    watttime: WattTimeSettings = Field(default_factory=WattTimeSettings)
    ukci: UkciSettings = Field(default_factory=UkciSettings)
    grid: GridSettings = Field(default_factory=GridSettings)
    refresh: RefreshSettings = Field(default_factory=RefreshSettings)


def _documented_env(environ: dict[str, str]) -> dict[str, Any]:
    out: dict[str, dict[str, str]] = {}
    for var, (section, key) in DOCUMENTED_ENV.items():
        if environ.get(var):
            out.setdefault(section, {}).setdefault(key, environ[var])
    return out


def _find_config_file(config_file: Path | None, environ: dict[str, str]) -> Path | None:
    if config_file is not None:
        if not config_file.is_file():
            raise SettingsError(f"config file {config_file} does not exist")
        return config_file
    if environ.get(CONFIG_ENV):
        path = Path(environ[CONFIG_ENV])
        if not path.is_file():
            raise SettingsError(f"{CONFIG_ENV}={path} does not exist")
        return path
    base = Path(platformdirs.user_config_dir("regionplan"))
    for name in ("config.toml", "config.yaml", "config.yml"):
        if (base / name).is_file():
            return base / name
    return None


def _read_config_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text) or {}
        else:
            raise SettingsError(f"config file {path}: use a .toml, .yaml or .yml file")
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message names the position only, never the offending text
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"config file {path} is not valid YAML: {_yaml_where(exc)}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"config file {path}: the top level must be a table of sections")
    return data


def _yaml_where(exc: yaml.YAMLError) -> str:
    """What and where a YAML error is, without quoting the file (a line may hold a secret)."""
    problem = getattr(exc, "problem", None) or type(exc).__name__
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def _check_keys(data: dict[str, Any], model: type[BaseModel], where: str, origin: str) -> None:
    """Fail on unknown keys, naming the key, where it came from and the valid keys."""
    fields = model.model_fields
    for key, value in data.items():
        if key not in fields:
            valid = ", ".join(fields)
            raise SettingsError(
                f"unknown setting '{where}{key}' in {origin}; valid keys here: {valid}"
            )
        ann = fields[key].annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(value, dict):
            _check_keys(value, ann, f"{where}{key}.", origin)


def _decode(var: str, value: str) -> Any:
    """Lists and maps come as JSON (``'["DE","FR"]'``); everything else stays a string.

    A value that starts like JSON but is not valid JSON is an error naming the variable
    and the position only: the value itself may be a secret, so it is never quoted.
    """
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingsError(
                f"{var} is not valid JSON ({exc.msg} at character {exc.pos}); lists and maps "
                'are JSON, e.g. \'["DE", "FR"]\''
            ) from None
    return value


def _env_layer(environ: dict[str, str]) -> dict[str, Any]:
    """REGIONPLAN_<SECTION>__<KEY> variables as a nested dict (keys lower-cased)."""
    out: dict[str, Any] = {}
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or var == CONFIG_ENV:
            continue
        parts = var[len(ENV_PREFIX) :].lower().split("__")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _decode(var, value)
    return out


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings from defaults, file, environment and ``overrides``.

    ``environ`` defaults to :data:`os.environ` (read now, not at import). ``overrides`` is
    a nested dict per section, e.g. ``{"store": {"path": Path("x.duckdb")}}``.
    Raises :class:`SettingsError` with the offending key and the valid ones.
    """
    env = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    path = _find_config_file(config_file, env)
    file_data = _read_config_file(path) if path else {}
    env_data = _env_layer(env)
    _check_keys(file_data, Settings, "", f"config file {path}")
    _check_keys(env_data, Settings, "", f"environment ({ENV_PREFIX}<SECTION>__<KEY>)")
    _check_keys(overrides, Settings, "", "overrides")
    merged = _deep_merge(
        _deep_merge(_deep_merge(file_data, _documented_env(env)), env_data), overrides
    )
    try:
        return Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise SettingsError(
            f"invalid setting {loc!r}: {first['msg']} (set it in {path or 'a config file'} "
            f"or as {ENV_PREFIX}{loc.upper().replace('.', '__')})"
        ) from None  # the chained error would quote the input value
