"""Memo parameters: every figure a memo uses beyond the plan, with its unit and source.

Defaults are published figures (source and as-of date in :data:`SOURCES`) or figures
derived from them by a formula stated here. A parameter without a defensible published
figure has **no default**: the user must give it (``input_tokens_per_request``).
Decision rules (horizon, payback limit, dual-running time) are choices, not facts; they
have defaults labelled as such and are shown in every memo's assumptions table.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.diff import DEFAULT_DUAL_RUN_HOURS

WH_PER_KWH = 1_000.0

# ---------------------------------------------------------------------------------------------
# Sourced figures


@dataclass(frozen=True)
class Source:
    """Where a default figure comes from."""

    text: str
    as_of: str


EPOCH_SHEET = (
    "Epoch AI, 'How much energy does ChatGPT use?' (Gradient Updates, "
    "https://epoch.ai/gradient-updates/how-much-energy-does-chatgpt-use), calculation sheet "
    "https://docs.google.com/spreadsheets/d/1Xe1WXNaZ0IZuuRAJP62xf_ufmwUhgRhtp446bTHnUOM"
)
OPENAI_PRICE = (
    "OpenAI API pricing for GPT-4o (platform.openai.com/docs/pricing), as quoted at "
    "https://aimodelcalc.pages.dev/guides/openai-api-pricing.html (May 2026) and "
    "https://www.chatgptpricing.com/api (March 2025); both list $2.50 input / $10.00 output "
    "per 1M tokens"
)
ECOLOGITS_MIX = (
    "EcoLogits electricity mix for USA (GWP from Our World in Data; off-site WUE per WRI "
    "method): genai-impact/ecologits@0adc8ab6f220:ecologits/data/electricity_mixes.csv "
    "(USA gwp 0.38355 kgCO2eq/kWh, wue 3.1321 L/kWh)"
)
ECOLOGITS_DC = (
    "EcoLogits methodology, data-center table (OpenAI → Microsoft, USA, PUE 1.20, WUE 0.569 "
    "L/kWh): genai-impact/ecologits@af96c0ffcb0d:docs/methodology/llm_inference.md"
)

SOURCES: dict[str, Source] = {
    "output_tokens_per_request": Source(
        f"{EPOCH_SHEET}: baseline GPT-4o query, 'Output tokens per query 500' (the sheet "
        "also cites Chiang et al.: average Chatbot Arena response 269 tokens; long output "
        "1500 tokens)", "2025-02"),
    "api_usd_per_m_input_tokens": Source(OPENAI_PRICE, "2026-05"),
    "api_usd_per_m_output_tokens": Source(OPENAI_PRICE, "2026-05"),
    "api_wh_per_1k_output_tokens": Source(
        f"derived: 0.301 Wh per 500-output-token GPT-4o query × 1000 / 500 from {EPOCH_SHEET} "
        "(baseline column: 100B active parameters, H100, 10 % FLOP utilization, 1275 W per "
        "GPU incl. node share, 0.7 power adjustment, PUE 1.2 included)", "2025-02"),
    "api_grid_gco2e_per_kwh": Source(ECOLOGITS_MIX, "2025"),
    "api_pue": Source(ECOLOGITS_DC, "2025"),
    "api_wue_onsite_l_per_kwh": Source(ECOLOGITS_DC, "2025"),
    "api_grid_water_l_per_kwh": Source(ECOLOGITS_MIX, "2025"),
}

# Sourced ranges (low, high) for the sensitivity and Monte Carlo analyses.
API_WH_PER_1K_OUTPUT_TOKENS_RANGE = (0.06 * 1000 / 500, 1.304 * 1000 / 500)
"""Wh per 1k output tokens: Epoch AI sheet's 'smaller model (e.g. 4o-mini)' column
(0.06 Wh per 500-token query) and 'pessimistic' column (1.304 Wh per 500-token query)."""
OUTPUT_TOKENS_RANGE = (269.0, 1500.0)
"""Output tokens per request: Chatbot Arena mean response (Chiang et al., cited in the Epoch
AI sheet) and the sheet's 'long output' column."""

# ---------------------------------------------------------------------------------------------
# Parameter models


class MemoError(ValueError):
    """A memo parameter or input is wrong; the message names it and how to fix it."""


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BuildVsBuyParams(_Params):
    """Inputs of the build-vs-buy memo beyond the plan (units in the names)."""

    input_tokens_per_request: float = Field(
        ge=0, description="Prompt tokens per request. Required: no published figure fits every "
        "workload (measure it from your traffic).")
    output_tokens_per_request: float = Field(default=500.0, gt=0)
    api_usd_per_m_input_tokens: float = Field(default=2.50, ge=0)
    api_usd_per_m_output_tokens: float = Field(default=10.00, ge=0)
    api_wh_per_1k_output_tokens: float = Field(default=0.301 * 1000 / 500, gt=0)
    api_grid_gco2e_per_kwh: float = Field(default=383.55, ge=0)
    api_pue: float = Field(default=1.20, ge=1)
    api_wue_onsite_l_per_kwh: float = Field(default=0.569, ge=0)
    api_grid_water_l_per_kwh: float = Field(default=3.1321, ge=0)
    api_region: str | None = Field(
        default=None, description="provider/region whose catalog grid intensity replaces "
        "api_grid_gco2e_per_kwh (where the API provider serves from, if you know it).")
    horizon_months: float = Field(default=12.0, gt=0, le=120)
    trainings_per_horizon: float = Field(default=1.0, ge=0)
    volume_m_requests_per_month: float | None = Field(
        default=None, gt=0, description="Volume the memo evaluates (default: the plan's).")
    volume_max_m_requests_per_month: float | None = Field(default=None, gt=0)
    training: str | None = None
    service: str | None = None
    carbon_price_usd_per_tco2e: float | None = Field(default=None, ge=0)


class MigrateParams(_Params):
    """Inputs of the migration memo beyond the two plans."""

    dual_run_hours: float = Field(default=DEFAULT_DUAL_RUN_HOURS, ge=0)
    max_payback_days: float = Field(default=365.0, gt=0)
    carbon_price_usd_per_tco2e: float | None = Field(default=None, ge=0)
    water_price_usd_per_m3: float | None = Field(default=None, ge=0)


CHOICES = {
    "horizon_months": "regionplan default (a choice, not a measurement): 12 months; "
                      "set with --horizon-months",
    "trainings_per_horizon": "regionplan default (a choice): the training job runs once "
                             "over the horizon; set with --trainings",
    "dual_run_hours": "regionplan default (a choice): old and new placements run side by "
                      "side for one week (168 h, the same default as regionplan diff); set with "
                      "--dual-run-hours",
    "max_payback_days": "regionplan decision rule (a choice): recommend only migrations "
                        "that pay back within 365 days; set with --max-payback-days",
    "input_tokens_per_request": "given by the user (--input-tokens); no published default",
}

def parse_params(cls: type[_Params], **values: Any) -> Any:
    """Validate memo parameters; raise :class:`MemoError` naming each bad one."""
    given = {k: v for k, v in values.items() if v is not None}
    try:
        return cls.model_validate(given)
    except ValidationError as err:
        lines = [f"{err.error_count()} problem(s) in the memo parameters"]
        for e in err.errors():
            name = ".".join(str(p) for p in e["loc"]) or "(parameters)"
            if e["type"] == "extra_forbidden":
                close = difflib.get_close_matches(name, list(cls.model_fields), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                lines.append(f"  - {name}: unknown parameter{hint}")
            elif e["type"] == "missing":
                desc = cls.model_fields[name].description or ""
                lines.append(f"  - {name}: required. {desc}".rstrip())
            else:
                msg = e["msg"].removeprefix("Value error, ")
                lines.append(f"  - {name}: {msg} (found {e.get('input')!r})")
        raise MemoError("\n".join(lines)) from None


def api_gco2e_per_1k_output_tokens(p: BuildVsBuyParams) -> float:
    """gCO2e per 1,000 output tokens = Wh/1k tokens ÷ 1000 Wh/kWh × gCO2e/kWh (operational)."""
    return p.api_wh_per_1k_output_tokens / WH_PER_KWH * p.api_grid_gco2e_per_kwh


def api_water_l_per_1k_output_tokens(p: BuildVsBuyParams) -> float:
    """Litres per 1,000 output tokens: server kWh × (on-site WUE + PUE × grid water), where
    server kWh = facility kWh ÷ PUE (the Epoch figure includes PUE)."""
    server_kwh = p.api_wh_per_1k_output_tokens / WH_PER_KWH / p.api_pue
    return server_kwh * (p.api_wue_onsite_l_per_kwh + p.api_pue * p.api_grid_water_l_per_kwh)
