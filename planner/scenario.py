"""The scenario: what the user asks regionplan to plan (YAML, validated with pydantic).

A wrong file never produces a traceback: :func:`load_scenario` raises
:class:`ScenarioError`, whose message names each bad field (as a path such as
``training[0].gpu_hours``), the value found and how to fix it.
"""

from __future__ import annotations

import difflib
import hashlib
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from planner.loader import (
    InputLimitError,
    check_size,
    decode_utf8,
    load_yaml,
    read_capped,
    short_repr,
)

Cloud = Literal["aws", "gcp", "azure"]
FillableFigure = Literal["grid_ci_gco2e_per_kwh", "grid_ci_direct_gco2e_per_kwh", "pue",
                         "wue_l_per_kwh", "grid_water_l_per_kwh"]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
REGION_ID_PATTERN = r"(?i)^(aws|gcp|azure)/[a-z0-9-]+$"  # any case; planner.names resolves it
MAX_HORIZON_HOURS = 8_784
# Default failover SLO = 1.5 × the service's SLO: a degraded but usable latency while one
# region is lost (a planning convention of this project, stated in the field's description).
FAILOVER_SLO_FACTOR = 1.5


BOOL_NUMBER_ERROR = "bool_number"
EARLIEST_YEAR = 2000
"""Dates before this year are refused (the catalog describes grids from 2019 on)."""
LATEST_YEAR = 2100
"""Dates after this year are refused (and every date plus the horizon stays representable)."""

# Upper bounds of figures: far above any real fleet, low enough that sums and products of
# them stay finite in float64 (a value of 1e308 would overflow to inf in the model).
MAX_GPU_HOURS = 1e9
MAX_GPUS = 1e6
MAX_DATA_GB = 1e9
MAX_RPS = 1e9
MAX_LATENCY_MS = 100_000.0
MAX_PRICE_USD = 1e6
MAX_BUDGET = 1e15
MAX_CI_GCO2E_PER_KWH = 5_000.0
MAX_PUE = 10.0
MAX_WATER_L_PER_KWH = 1_000.0


class ScenarioError(ValueError):
    """A scenario file or value is wrong; the message says where and how to fix it."""


def _takes_number(annotation: Any) -> bool:
    """The type accepts numbers but not booleans (``float``, ``int | None``, …)."""
    if get_origin(annotation) is Annotated:
        return _takes_number(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        args = get_args(annotation)
        return bool not in args and any(_takes_number(a) for a in args)
    return annotation in (float, int)


def _bool_inside(annotation: Any, value: Any) -> bool:
    """``value`` holds a boolean where ``annotation`` wants a number (also inside lists
    and dict values)."""
    if isinstance(value, bool):
        return _takes_number(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _bool_inside(args[0], value)
    if origin in (Union, types.UnionType):
        return any(_bool_inside(a, value) for a in args if a is not type(None))
    if origin is list and isinstance(value, list):
        return any(_bool_inside(args[0], v) for v in value)
    if origin is dict and isinstance(value, dict):
        return any(_bool_inside(args[1], v) for v in value.values())
    return False


class _Strict(BaseModel):
    """Base of every scenario model: unknown fields, inf/NaN and true/false as numbers
    are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, field in cls.model_fields.items():
                if name in data and _bool_inside(field.annotation, data[name]):
                    raise PydanticCustomError(
                        BOOL_NUMBER_ERROR, "true/false is not a number",
                        {"field": name, "value": data[name]})
        return data


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a timezone; write it in UTC, e.g. 2027-01-04T00:00Z")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"year {value.year} is outside {EARLIEST_YEAR}–{LATEST_YEAR}")
    return value.astimezone(UTC)


class Horizon(_Strict):
    """The planning period: ``hours`` hours from ``start`` (UTC), planned hour by hour or in
    representative periods."""

    start: datetime = Field(description="First hour, ISO 8601 with timezone (UTC).")
    hours: int = Field(gt=0, le=MAX_HORIZON_HOURS, description="Number of hours planned.")
    representative: Literal["month-hour"] | None = Field(
        default=None,
        description=(
            "Aggregate the hours into representative periods (one per month × UTC hour of "
            "day, weighted by the hours each stands for) to plan long horizons quickly."
        ),
    )

    _start_utc = field_validator("start")(_utc)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.hours)


class Window(_Strict):
    """When a training job may run: from ``start`` to ``deadline`` (UTC)."""

    start: datetime = Field(description="Earliest start, ISO 8601 with timezone (UTC).")
    deadline: datetime = Field(
        description="The job must be done by then, ISO 8601 with timezone (UTC).")

    _utc_start = field_validator("start")(_utc)
    _utc_deadline = field_validator("deadline")(_utc)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.deadline <= self.start:
            raise ValueError("deadline must be after start")
        return self


class DataHome(_Strict):
    """Where a job's data lives and how big it is."""

    home: str = Field(pattern=REGION_ID_PATTERN, description="provider/region, e.g. aws/us-east-1")
    size_gb: float = Field(ge=0, le=MAX_DATA_GB,
                           description="Data copied to the region that runs the job (GB).")


class TrainingJob(_Strict):
    """A deferrable batch job measured in GPU-hours."""

    name: str = Field(pattern=NAME_PATTERN,
                      description="Unique workload name (letters, digits, '-', '_', '.').")
    gpu: str = Field(description="GPU model, e.g. H100 (see `regionplan regions --gpu`).")
    gpu_hours: float = Field(gt=0, le=MAX_GPU_HOURS, description="Work to do, in GPU-hours.")
    max_gpus: float = Field(gt=0, le=MAX_GPUS,
                            description="Largest number of GPUs the job can use at once.")
    window: Window | None = Field(
        default=None, description="When the job may run; defaults to the whole horizon.")
    single_region: bool = Field(default=False, description="Run the whole job in one region.")
    data: DataHome | None = Field(
        default=None,
        description="Where the job's data lives; running elsewhere pays one copy of it.")
    checkpoint_gb: float = Field(
        default=0.0,
        ge=0,
        le=MAX_DATA_GB,
        description=(
            "Checkpoint size (GB). With checkpoint_gb > 0 a job that is not single_region runs "
            "in one region at a time and pays a checkpoint copy for every move; with 0 it may "
            "run in several regions at once and move for free."
        ),
    )
    allowed_jurisdictions: list[str] | None = Field(
        default=None, description="Jurisdictions the job may run in (EU or a country name)."
    )
    min_run_hours: int = Field(
        default=1,
        ge=1,
        le=MAX_HORIZON_HOURS,
        description=(
            "Shortest run (hours): once the job starts in a region it keeps running there for "
            "at least this many consecutive hours. Default 1 (no constraint beyond one hour). "
            "Hourly horizons only."
        ),
    )
    restart_overhead_gpu_hours: float = Field(
        default=0.0,
        ge=0,
        le=MAX_GPU_HOURS,
        description=(
            "GPU-hours lost at every start or restart of the job in a region (loading the "
            "checkpoint, starting the cluster, redoing the steps since the last checkpoint); "
            "added to the work to do, so on/off cycles cost what they waste. Default 0 (not "
            "modelled). A typical figure is the gang size × the restart time, e.g. 256 GPUs × "
            "0.5 h = 128 GPU-hours. Hourly horizons only."
        ),
    )
    min_gpus: float | None = Field(
        default=None,
        gt=0,
        le=MAX_GPUS,
        description=(
            "Fewest GPUs the job runs on in an hour it runs (the gang's smallest size); used "
            "with min_run_hours or restart_overhead_gpu_hours, where a job that runs must hold "
            "at least this many GPUs (default: 1 GPU)."
        ),
    )

    @property
    def migrates(self) -> bool:
        """Moves between regions are tracked and paid for."""
        return self.checkpoint_gb > 0 and not self.single_region

    @property
    def tracks_runs(self) -> bool:
        """Starts and run lengths are modelled (binary run per region and hour)."""
        return self.min_run_hours > 1 or self.restart_overhead_gpu_hours > 0

    @property
    def gang_min_gpus(self) -> float:
        """GPUs the job holds at least in an hour it runs (``min_gpus``, default 1 GPU)."""
        return self.min_gpus if self.min_gpus is not None else min(1.0, self.max_gpus)

    @model_validator(mode="after")
    def _gang_fits(self) -> TrainingJob:
        if self.min_gpus is not None and self.min_gpus > self.max_gpus:
            raise ValueError(f"min_gpus {self.min_gpus:g} exceeds max_gpus {self.max_gpus:g}; "
                             f"lower min_gpus or raise max_gpus")
        return self


class Demand(_Strict):
    """Requests per second from one user metro."""

    metro: str = Field(description="User metro, e.g. London (the catalog's metro list).")
    rps: float = Field(gt=0, le=MAX_RPS, description="Mean requests per second from this metro.")
    residency: str | None = Field(
        default=None, description="Jurisdiction the requests must be served in (EU or a country)."
    )


class InferenceService(_Strict):
    """An always-on service with a latency SLO per user metro."""

    name: str = Field(pattern=NAME_PATTERN,
                      description="Unique workload name (letters, digits, '-', '_', '.').")
    gpu: str = Field(description="GPU model, e.g. L4 (see `regionplan regions --gpu`).")
    requests_per_gpu_s: float = Field(gt=0, le=MAX_RPS,
                                      description="Throughput of one GPU (requests/s).")
    latency_slo_ms: float = Field(gt=0, le=MAX_LATENCY_MS,
                                  description="Round-trip time limit, user metro → region (ms).")
    min_regions: int = Field(default=1, ge=1, description="Deploy in at least this many regions.")
    min_gpus_per_region: float | None = Field(
        default=None,
        gt=0,
        le=MAX_GPUS,
        description=(
            "GPUs kept running in every deployed region, every hour (warm capacity). Applied "
            "whenever it is set; when unset, 1 GPU where deployed regions are tracked "
            "(min_regions > 1 or survive_region_loss) and no floor otherwise."
        ),
    )
    survive_region_loss: bool = Field(
        default=False,
        description=(
            "For every deployed region, the other deployed regions can serve all of the demand "
            "within failover_latency_slo_ms if that region is lost (N+1 capacity, checked in "
            "every planning period)."
        ),
    )
    failover_latency_slo_ms: float | None = Field(
        default=None,
        gt=0,
        le=MAX_LATENCY_MS,
        description=(
            "Round-trip limit (ms) while one region is lost (survive_region_loss); default "
            "1.5 × latency_slo_ms. Residency still applies during a failover."
        ),
    )
    max_region_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description=(
            "Largest share (0–1] of the service's traffic any one region may carry; null "
            "means no cap. E.g. 0.6 with two regions keeps at least 40 % elsewhere."),
    )
    demand: list[Demand] = Field(
        min_length=1, description="Requests per second from each user metro (at least one).")
    hourly_profile: list[Annotated[float, Field(ge=0, le=24)]] | None = Field(
        default=None,
        min_length=24,
        max_length=24,
        description="Demand multiplier per UTC hour of day (24 values, mean 1).",
    )
    allowed_jurisdictions: list[str] | None = Field(
        default=None,
        description="Jurisdictions the service may run in (EU or a country name); null: any.")

    @field_validator("hourly_profile")
    @classmethod
    def _profile_mean_one(cls, v: list[float] | None) -> list[float] | None:
        if v is None:
            return v
        if any(x < 0 for x in v):
            raise ValueError("multipliers must be ≥ 0")
        mean = sum(v) / 24
        if abs(mean - 1.0) > 1e-3:
            raise ValueError(f"the 24 multipliers must average 1 (they average {mean:.4f})")
        return v

    @property
    def tracks_sites(self) -> bool:
        """Deployed regions are binary decisions (for min_regions, the warm floor, failover)."""
        return (self.min_regions > 1 or self.survive_region_loss
                or self.min_gpus_per_region is not None)

    @property
    def warm_gpus_per_region(self) -> float:
        """The warm floor in GPUs of a deployed region (``min_gpus_per_region``, default 1)."""
        return 1.0 if self.min_gpus_per_region is None else self.min_gpus_per_region

    @property
    def failover_slo_ms(self) -> float:
        """Round-trip limit (ms) while a region is lost: the field, or 1.5 × the SLO."""
        if self.failover_latency_slo_ms is not None:
            return self.failover_latency_slo_ms
        return FAILOVER_SLO_FACTOR * self.latency_slo_ms

    @model_validator(mode="after")
    def _failover_slo(self) -> InferenceService:
        f = self.failover_latency_slo_ms
        if f is not None and f < self.latency_slo_ms:
            raise ValueError(f"failover_latency_slo_ms {f:g} is below latency_slo_ms "
                             f"{self.latency_slo_ms:g}; a failover SLO is at least the SLO")
        if f is not None and not self.survive_region_loss:
            raise ValueError("failover_latency_slo_ms is set but survive_region_loss is not "
                             "true; set survive_region_loss: true or remove it")
        return self


class Objective(_Strict):
    """Prices that turn carbon and water into dollars in the objective."""

    carbon_price_usd_per_tco2e: float = Field(
        default=0.0, ge=0, le=MAX_PRICE_USD,
        description="Internal carbon price added to the objective, per tonne CO2e.")
    water_price_usd_per_m3: float = Field(
        default=0.0, ge=0, le=MAX_PRICE_USD,
        description="Internal water price added to the objective, per m³ consumed.")
    water_scarcity_weighted: bool = Field(
        default=False,
        description="Multiply water by (1 + water stress score 0–5) in the objective.",
    )


class Limits(_Strict):
    """Hard budgets over the horizon; null means no limit."""

    carbon_tco2e: float | None = Field(
        default=None, ge=0, le=MAX_BUDGET,
        description="Most carbon (the scenario's accounting basis, with embodied), tCO2e.")
    cost_usd: float | None = Field(default=None, ge=0, le=MAX_BUDGET,
                                   description="Most cost (compute and data egress), USD.")
    water_m3: float | None = Field(default=None, ge=0, le=MAX_BUDGET,
                                   description="Most water consumed (site and grid), m³.")


_FILL_RANGES: dict[str, tuple[float, float]] = {
    "grid_ci_gco2e_per_kwh": (0.0, MAX_CI_GCO2E_PER_KWH),
    "pue": (1.0, MAX_PUE),
    "wue_l_per_kwh": (0.0, MAX_WATER_L_PER_KWH),
    "grid_water_l_per_kwh": (0.0, MAX_WATER_L_PER_KWH),
}


class Scenario(_Strict):
    """A planning question: workloads, where they may run, and what matters."""

    name: str = Field(pattern=NAME_PATTERN,
                      description="Scenario name (letters, digits, '-', '_', '.'; ≤ 63).")
    description: str | None = Field(default=None, max_length=2_000,
                                    description="Free text shown with the plan.")
    horizon: Horizon = Field(description="The period planned.")
    clouds: list[Cloud] = Field(default=["aws", "gcp", "azure"], min_length=1,
                                description="Clouds whose regions may be used.")
    objective: Objective = Field(default=Objective(),
                                 description="Prices of carbon and water in the objective.")
    accounting: Literal["location", "market"] = Field(
        default="location",
        description=(
            "Operational carbon basis of the objective and totals: location (grid intensity) "
            "or market (× (1 − carbon-free-energy share) where the provider publishes a "
            "regional share; elsewhere the plan says that none is published and uses "
            "location-based)."
        ),
    )
    grid_carbon_basis: Literal["lifecycle", "direct"] = Field(
        default="lifecycle",
        description=(
            "Grid intensity scope, gCO2e/kWh: lifecycle (Electricity Maps yearly zone mean "
            "including upstream emissions of the generators; the default) or direct "
            "(combustion only). Shaped hourly by the zone profiles either way."
        ),
    )
    time_shifting: bool = Field(
        default=True,
        description=(
            "Use hourly grid carbon (month × hour profiles, or a refreshed hourly series); "
            "false uses each region's annual figure for every hour."))
    training: list[TrainingJob] = Field(default=[], description="Deferrable training jobs.")
    inference: list[InferenceService] = Field(default=[],
                                              description="Always-on inference services.")
    limits: Limits = Field(default=Limits(), description="Hard budgets over the horizon.")
    quotas: dict[
        Annotated[str, Field(pattern=REGION_ID_PATTERN)],
        dict[str, Annotated[float, Field(ge=0, le=MAX_GPUS)]],
    ] = Field(default={}, description=(
        "GPU quota per region and GPU model (GPUs at once), replacing the catalog's: "
        "{provider/region: {GPU model: GPUs}}."))
    exclude_regions: list[Annotated[str, Field(pattern=REGION_ID_PATTERN)]] = Field(
        default=[], description="Regions never used (provider/region).")
    fill_missing: dict[FillableFigure, Annotated[float, Field(ge=0)]] = Field(
        default={},
        description=(
            "Values to use where the catalog has no figure for a region (recorded as "
            "provenance). Without a fill, a region missing a needed figure is left out. "
            "Units: grid_ci_gco2e_per_kwh g/kWh (≤ 5000), pue ratio (1–10), wue_l_per_kwh "
            "and grid_water_l_per_kwh L/kWh (≤ 1000)."
        ),
    )
    water_fallback: bool = Field(
        default=True,
        description=(
            "Where a region has no water figure of its own (site WUE or grid water, L/kWh), "
            "use the mean of the catalog's regions in the same country, else the provider's "
            "fleet mean, recorded as provenance. false is the strict behaviour: such a "
            "region is left out when water is priced or limited, and its water is counted "
            "as 0 (listed under incomplete) otherwise."
        ),
    )

    @field_validator("fill_missing")
    @classmethod
    def _fill_in_range(cls, v: dict[str, float]) -> dict[str, float]:
        for figure, value in v.items():
            low, high = _FILL_RANGES[figure]
            if not low <= value <= high:
                raise ValueError(f"{figure}: {value:g} is outside {low:g}–{high:g}")
        return v

    @property
    def water_matters(self) -> bool:
        """Water is priced or limited, so missing water figures exclude a region."""
        return self.objective.water_price_usd_per_m3 > 0 or self.limits.water_m3 is not None

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if not self.training and not self.inference:
            raise ValueError("add at least one workload under 'training' or 'inference'")
        names = [w.name for w in self.training] + [s.name for s in self.inference]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"workload names must be unique; repeated: {dup}")
        if self.horizon.representative is not None:
            for job in self.training:
                if job.window is not None or job.migrates or job.tracks_runs:
                    raise ValueError(
                        f"training job '{job.name}': with horizon.representative, jobs run over "
                        f"the whole horizon (no window, no checkpoint_gb moves, no "
                        f"min_run_hours or restart_overhead_gpu_hours: periods are not "
                        f"consecutive hours); remove them or plan hourly")
        for job in self.training:
            w = job.window
            if w is not None and (w.start < self.horizon.start or w.deadline > self.horizon.end):
                raise ValueError(
                    f"training job '{job.name}': window {w.start:%Y-%m-%dT%H:%MZ} → "
                    f"{w.deadline:%Y-%m-%dT%H:%MZ} must lie inside the horizon "
                    f"{self.horizon.start:%Y-%m-%dT%H:%MZ} → {self.horizon.end:%Y-%m-%dT%H:%MZ}"
                )
        return self

    def with_overrides(self, **changes: Any) -> Scenario:
        """A validated copy with top-level or dotted-path fields changed.

        ``with_overrides(**{"objective.carbon_price_usd_per_tco2e": 200})``; list items by
        index: ``"inference.0.latency_slo_ms"``.
        """
        data = self.model_dump(mode="python")
        for path, value in changes.items():
            target: Any = data
            *parents, leaf = path.split(".")
            for p in parents:
                target = target[int(p)] if isinstance(target, list) else target[p]
            target[leaf] = value
        try:
            return Scenario.model_validate(data)
        except ValidationError as err:
            raise ScenarioError(format_validation_error(err, "override")) from None

    def sha256(self) -> str:
        """Content hash of the validated scenario (stable across formatting)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Loading and error formatting


def _path_of(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at ``loc`` (for field-name hints)."""
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return model
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


_FIXES = {
    "greater_than": "use a positive number",
    "greater_than_equal": "use a number ≥ {ge}",
    "less_than_equal": "use a number ≤ {le}",
    "string_pattern_mismatch": "use letters, digits, '-', '_' or '.' (regions as provider/region)",
    "literal_error": "use one of: {expected}",
    "missing": "add this field",
    "datetime_from_date_parsing": "write a date-time such as 2027-01-04T00:00Z",
    "datetime_parsing": "write a date-time such as 2027-01-04T00:00Z",
    "float_parsing": "write a number",
    "int_parsing": "write a whole number",
    BOOL_NUMBER_ERROR: "write a number (true and false are not numbers)",
    "finite_number": "write a finite number (not .inf or .nan)",
    "too_short": "give at least {min_length} item(s)",
    "too_long": "give at most {max_length} item(s)",
}


def format_validation_error(err: ValidationError, origin: str) -> str:
    """Turn a pydantic error into lines naming field, value and fix."""
    lines = [f"{origin}: {err.error_count()} problem(s) in the scenario"]
    for e in err.errors():
        loc = tuple(e["loc"])
        where = _path_of(loc)
        kind = e["type"]
        if kind == "extra_forbidden":
            parent = _model_at(loc[:-1])
            valid = sorted(parent.model_fields) if parent else []
            bad = str(loc[-1])
            close = difflib.get_close_matches(bad, valid, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            lines.append(
                f"  - {where}: unknown field {short_repr(bad)}; {hint}valid fields here: "
                f"{', '.join(valid)}")
            continue
        if kind == BOOL_NUMBER_ERROR:  # raised by the model, about one of its fields
            ctx = e.get("ctx") or {}
            where = _path_of((*loc, str(ctx.get("field"))))
            e = {**e, "input": ctx.get("value")}
        msg = e["msg"].removeprefix("Value error, ")
        fix = _FIXES.get(kind, "")
        if fix:
            try:
                fix = fix.format(**{k: f"{v:g}" if isinstance(v, int | float) else v
                                    for k, v in (e.get("ctx") or {}).items()})
            except (KeyError, IndexError):
                pass
        value = "" if kind == "missing" else f" (found {short_repr(e.get('input'))})"
        lines.append(f"  - {where}: {msg}{value}" + (f"; fix: {fix}" if fix else ""))
    return "\n".join(lines)


def parse_scenario(data: Any, origin: str = "scenario") -> Scenario:
    """Validate already-parsed YAML/JSON data."""
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{origin}: expected a mapping of fields (name, horizon, training, …), "
            f"found {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(format_validation_error(err, origin)) from None


def load_scenario_text(text: str, origin: str = "scenario") -> Scenario:
    """Parse (:func:`planner.loader.load_yaml`: size, depth, alias and duplicate-key
    limits) and validate scenario YAML text."""
    try:
        data = load_yaml(text, origin)
    except InputLimitError as err:
        raise ScenarioError(str(err)) from None
    return parse_scenario(data, origin)


def load_scenario_bytes(data: bytes, origin: str = "scenario") -> Scenario:
    """Validate the bytes of a scenario file (an upload), size-checked before decoding."""
    try:
        check_size(len(data), origin)
        text = decode_utf8(data, origin)
    except InputLimitError as err:
        raise ScenarioError(str(err)) from None
    return load_scenario_text(text, origin)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file (at most :data:`planner.loader.MAX_INPUT_BYTES`)."""
    try:
        data = read_capped(path)
    except InputLimitError as err:
        raise ScenarioError(str(err)) from None
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except (IsADirectoryError, PermissionError, OSError) as err:
        raise ScenarioError(f"{path}: cannot read it ({err.__class__.__name__})") from None
    return load_scenario_bytes(data, origin=str(path))


def suggest(value: str, valid: list[str]) -> str:
    """' (did you mean X?)' for a near miss, else ''."""
    close = difflib.get_close_matches(value, valid, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
