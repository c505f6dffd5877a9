"""Compile the embedded catalog (``connectors/data/*.csv``) from the shared reference data.

Maintainer tool, run as::

    .venv/bin/python -m connectors.compile_catalog \\
        --reference ../shared/data/reference --hourly ../shared/data/hourly --out connectors/data

It reads the sourced reference CSVs (see ``shared/data/reference/README.md``) and the
hourly Electricity Maps series (``shared/data/hourly/README.md``) and writes the canonical
tables of :mod:`connectors.schema` plus ``SOURCES.md``. Every figure keeps a source;
anything computed here says ``derived: <formula> from <source>``. Missing figures stay
empty. The output is deterministic: same inputs, byte-identical files (rows sorted,
fixed float formatting, no timestamps).

The few figures that are not in ``shared/data`` (GPU datasheet power, DGX system power,
data-transfer prices, coordinates of metros without a cloud region) are constants in
:mod:`connectors.compile_catalog_figures`, each with the URL it was read from.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from connectors.compile_catalog_figures import (
    AWS_LATENCY_AS_OF,
    AWS_LATENCY_SOURCE,
    AZURE_LATENCY_AS_OF,
    AZURE_LATENCY_SOURCE,
    CCF_GPU_NAMES,
    CIM_AS_OF,
    DATASHEET_POWER,
    EU27,
    FIT_MIN_KM,
    GPU_COUNT_CORRECTIONS,
    GPU_MODEL_MAP,
    HOST_GPUS_BY_MODEL,
    HOURS_PER_YEAR,
    KM_PER_100,
    METROS,
    REF,
    SINGLE_ZONE_COUNTRIES,
    SKYPILOT_INDICATIVE,
    SOURCES_HEAD,
    SYSTEM_POWER,
    TRANSFER_PRICES,
)
from connectors.compile_latency import compile_latency
from connectors.schema import TABLES, validate_table


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------
def _read(ref: Path, name: str) -> pd.DataFrame:
    """Read one reference CSV with empty cells as missing (NaN)."""
    return pd.read_csv(ref / name, keep_default_na=False, na_values=[""])


def _jurisdiction(country: str) -> str:
    """ "EU" for EU-27 members, otherwise the country name (same rule as region_locations)."""
    return "EU" if country in EU27 else country


def _num(value: Any) -> float:
    """A float, or NaN for missing."""
    return float(value) if pd.notna(value) else math.nan


# --------------------------------------------------------------------------------------
# regions
# --------------------------------------------------------------------------------------
def _ccf_grid(ref: Path) -> pd.DataFrame:
    """CCF grid factors (g/kWh) for AWS and Azure, keyed by provider/region."""
    ccf = _read(ref, "ccf_grid_emission_factors.csv")
    ccf = ccf[(ccf.factor_variant == "grid") & ccf.provider.isin(["aws", "azure"])].copy()
    ccf["g"] = (ccf.emission_factor_tco2e_per_kwh * 1e6).round(3)
    ccf["src"] = "CCF grid factor (" + ccf.factor_basis + "), tCO2e/kWh x 1e6: " + ccf.source
    return ccf.set_index(["provider", "region"])[["g", "src"]]


def _gcp_2024(ref: Path) -> pd.DataFrame:
    """Google's 2024 grid intensity and CFE per GCP region."""
    gcp = _read(ref, "gcp_region_carbon_cfe.csv")
    return gcp[gcp.year == 2024].set_index("region")


def _pue(ref: Path) -> dict[str, tuple[float, str, dict[str, float]]]:
    """Per-provider PUE: (fleet value, source, per-region overrides)."""
    facts = _read(ref, "water_pue_provider_facts.csv")
    coef = _read(ref, "ccf_coefficients.csv")
    aws = facts[(facts.provider == "aws") & (facts.metric == "PUE")].iloc[0]
    gcp_avg = coef[(coef.provider == "gcp") & (coef.parameter == "pue_avg")].iloc[0]
    gcp_ttm = coef[(coef.provider == "gcp") & (coef.parameter == "pue_trailing_twelve_month")]
    az = coef[(coef.provider == "azure") & (coef.parameter == "pue_avg")].iloc[0]
    return {
        "aws": (float(aws.value), f"AWS fleet PUE {aws.year} ({aws.source_quality}): "
                f"{aws.source}", {}),
        "gcp": (float(gcp_avg.value), f"CCF GCP fleet PUE: {gcp_avg.source}",
                dict(zip(gcp_ttm.key, gcp_ttm.value.astype(float), strict=True))),
        "azure": (float(az.value), f"CCF Azure fleet PUE (Microsoft statement): {az.source}", {}),
    }  # fmt: skip


def _wue(ref: Path) -> dict[str, tuple[float, str]]:
    """Per-provider site WUE (L/kWh) and its source label."""
    facts = _read(ref, "water_pue_provider_facts.csv")
    wue = facts[facts.metric == "WUE"].dropna(subset=["value"])
    aws = wue[wue.provider == "aws"].sort_values("year").iloc[-1]
    az = wue[(wue.provider == "azure") & ~wue.source_quality.str.startswith("tertiary")]
    az_row = az.iloc[[az.year.str.extract(r"(\d{4})")[0].astype(int).argmax()]].iloc[0]
    eco = facts[facts.metric == "WUE on-site (EcoLogits assumption)"]
    g = eco[eco.provider.str.startswith("gcp")].iloc[0]
    return {
        "aws": (float(aws.value), f"AWS fleet WUE {aws.year} ({aws.source_quality}): "
                f"{aws.source}"),
        "azure": (float(az_row.value), f"Microsoft fleet WUE {az_row.year} "
                  f"({az_row.source_quality}): {az_row.source}"),
        "gcp": (float(g.value), "EcoLogits per-provider assumption (Google-hosted, USA; "
                f"Google publishes no fleet WUE): {g.source}"),
    }  # fmt: skip


def build_regions(ref: Path) -> pd.DataFrame:
    """One row per region (164): location, grid, facility and water figures."""
    loc = _read(ref, "region_locations.csv")
    summ = _read(ref, "region_summary.csv").set_index(["provider", "region"])
    ccf, gcp = _ccf_grid(ref), _gcp_2024(ref)
    pue, wue = _pue(ref), _wue(ref)
    eco = _read(ref, "country_electricity_impacts_ecologits.csv").set_index("country_iso3")
    stress = _read(ref, "water_stress_country_partial.csv").set_index("country")
    rows = []
    for r in loc.itertuples(index=False):
        s = summ.loc[(r.provider, r.region)]
        row: dict[str, object] = {
            "provider": r.provider, "region": r.region, "display_name": r.display_name,
            "country": r.country, "jurisdiction": r.jurisdiction,
            "lat_deg": _num(r.latitude), "lon_deg": _num(r.longitude),
            "coord_source": r.coord_source, "in_service": r.in_service, "source": r.source,
        }  # fmt: skip
        row.update(_grid_fields(r, s, ccf, gcp))
        row.update(_facility_fields(r, pue, wue))
        row.update(_water_fields(r, s, eco, stress))
        rows.append(row)
    return pd.DataFrame(rows)


def _grid_fields(r: Any, s: pd.Series, ccf: pd.DataFrame, gcp: pd.DataFrame) -> dict:
    """grid_zone, grid CI (g/kWh), CFE and the row's as_of for one region."""
    out: dict[str, object] = {}
    zone = s["electricity_maps_zone"]
    country = r.country
    if pd.notna(zone):
        out["grid_zone"], out["grid_zone_source"] = (
            zone,
            (f"CCF mapping to Electricity Maps zone ({REF}/ccf_grid_emission_factors.csv)"),
        )
    elif country in SINGLE_ZONE_COUNTRIES:
        out["grid_zone"] = SINGLE_ZONE_COUNTRIES[country]
        out["grid_zone_source"] = f"derived: single-zone country ({country})"
    else:
        out["grid_zone"] = out["grid_zone_source"] = math.nan
    key = (r.provider, r.region)
    out["cfe_fraction"] = out["cfe_source"] = math.nan
    out["grid_ci_gco2e_per_kwh"] = out["grid_ci_source"] = math.nan
    out["as_of"] = CIM_AS_OF
    if key[0] == "gcp" and key[1] in gcp.index:
        g = gcp.loc[key[1]]
        out["grid_ci_gco2e_per_kwh"] = float(g.grid_carbon_intensity_gco2e_per_kwh)
        out["grid_ci_source"] = f"Google 2024 grid carbon intensity: {g.source}"
        if pd.notna(g.google_cfe_fraction):
            out["cfe_fraction"] = float(g.google_cfe_fraction)
            out["cfe_source"] = f"Google 2024 CFE%: {g.source}"
        out["as_of"] = "2024"
    elif key in ccf.index:
        c = ccf.loc[key]
        out["grid_ci_gco2e_per_kwh"], out["grid_ci_source"] = float(c.g), c.src
        out["as_of"] = _ccf_year(c.src)
    return out


def _ccf_year(src: str) -> str:
    """Data year of a CCF factor: eGRID2020 -> 2020, carbonfootprint.com 2021 -> 2021."""
    if "eGRID2020" in src:
        return "2020"
    if "2021" in src:
        return "2021"
    return "2024-03-25"  # EEA factors: no year stated; the CCF commit date


def _facility_fields(r: Any, pue: dict, wue: dict) -> dict:
    """PUE and site WUE for one region."""
    prov, region = r.provider, r.region
    fleet, src, per_region = pue[prov]
    if region in per_region:
        p, psrc = (
            per_region[region],
            f"CCF GCP trailing-twelve-month PUE for {region}: "
            + (
                "cloud-carbon-footprint/cloud-carbon-footprint@b7a049c7d25c:packages/gcp/src/"
                "domain/GcpFootprintEstimationConstants.ts"
            ),
        )
    else:
        p, psrc = fleet, src
    w, wsrc = wue[prov]
    return {"pue": p, "pue_source": psrc, "wue_l_per_kwh": w, "wue_source": wsrc}


def _water_fields(r: Any, s: pd.Series, eco: pd.DataFrame, stress: pd.DataFrame) -> dict:
    """Grid water intensity (L/kWh, by country) and Aqueduct water stress (0-5)."""
    iso3, country = s["country_iso3"], r.country
    out: dict[str, object] = {"grid_water_l_per_kwh": math.nan, "grid_water_source": math.nan}
    if pd.notna(iso3) and iso3 in eco.index:
        e = eco.loc[iso3]
        out["grid_water_l_per_kwh"] = float(e.wue_offsite_l_per_kwh)
        out["grid_water_source"] = f"EcoLogits country wue_offsite ({iso3}): {e.source}"
    out["water_stress_0_5"] = out["water_stress_source"] = math.nan
    if pd.notna(country) and country in stress.index:
        w = stress.loc[country]
        out["water_stress_0_5"] = float(w.bws_total_score_0_5)
        out["water_stress_source"] = f"WRI Aqueduct 4.0 BWS ({w.year}): {w.source}"
    return out


# --------------------------------------------------------------------------------------
# gpu_offers
# --------------------------------------------------------------------------------------
def build_gpu_offers(ref: Path) -> pd.DataFrame:
    """On-demand offers: AWS/Azure full instances, GCP derived host+accelerator totals."""
    p = _read(ref, "gpu_instance_prices_ondemand.csv")
    keep = ((p.provider.isin(["aws", "azure"]) & (p.price_component == "full_instance"))
            | ((p.provider == "gcp") & (p.price_component == "derived_total")))  # fmt: skip
    rows = []
    for r in p[keep].itertuples(index=False):
        n, extra = int(r.gpu_count), ""
        fix = GPU_COUNT_CORRECTIONS.get((r.provider, r.instance_type))
        if fix:
            n, extra = fix[0], "; " + fix[1]
        commit = re.search(r"@([0-9a-f]+):", r.source)
        snap = f"skypilot-catalog@{commit.group(1) if commit else '?'}"
        note = {
            "aws": " (pre-June-2025 prices)",
            "azure": " (US regions only)",
            "gcp": " (host + accelerator totals)",
        }[r.provider]
        src = f"{r.source}; {r.note}{extra}"
        if r.provider == "gcp":
            src = (f"derived: gcp_host_only + gcp_accelerator_only (same region) from "
                   f"{r.source}; {SKYPILOT_INDICATIVE}")  # fmt: skip
        price = float(r.price_usd_per_hour)
        rows.append({
            "provider": r.provider, "region": r.region,
            "gpu_model": GPU_MODEL_MAP[(r.provider, r.gpu_model)],
            "instance_type": r.instance_type, "gpus_per_instance": n,
            "usd_per_instance_hour": price, "usd_per_gpu_hour": round(price / n, 6),
            "quota_gpus": math.nan, "source": src, "as_of": snap + note,
        })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# hardware
# --------------------------------------------------------------------------------------
def build_hardware(ref: Path, models: Iterable[str]) -> pd.DataFrame:
    """Per-GPU power and embodied carbon for every canonical model that has an offer."""
    coef = _read(ref, "ccf_coefficients.csv")
    emb = _read(ref, "embodied_gpu_servers.csv")
    rows = []
    for model in sorted(set(models)):
        row: dict[str, object] = {"gpu_model": model}
        row.update(_power(coef, model))
        row.update(_host_power(model, row["power_w"]))
        row.update(_embodied(emb, model))
        row["source"] = "see power_source, host_power_source and embodied_source"
        rows.append(row)
    return pd.DataFrame(rows)


def _power(coef: pd.DataFrame, model: str) -> dict:
    """Board power and idle power (W): CCF where CCF lists the chip, else the datasheet."""
    name = CCF_GPU_NAMES.get(model)
    if name:
        aws = coef[(coef.provider == "aws") & (coef.key == name)]
        mx = aws[aws.parameter == "max_watts_gpu"].iloc[0]
        mn = aws[aws.parameter == "min_watts_gpu"].iloc[0]
        return {
            "power_w": float(mx.value), "idle_w": float(mn.value),
            "power_source": f"CCF max/min_watts_gpu for {name} (100 % / idle): {mx.source}",
            "as_of": "2024-03-25",
        }  # fmt: skip
    fig = DATASHEET_POWER[model]
    return {"power_w": fig.power_w, "idle_w": math.nan, "power_source": fig.source,
            "as_of": fig.as_of}  # fmt: skip


def _host_power(model: str, power_w: object) -> dict:
    """Host share per GPU (W) = (8-GPU system max - 8 x board power) / 8, where sourced."""
    sp = SYSTEM_POWER.get(model)
    if sp is None or pd.isna(power_w):
        return {"host_power_w_per_gpu": math.nan, "host_power_source": math.nan}
    gpu_w = float(power_w)  # type: ignore[arg-type]
    host = (sp.max_w - sp.gpus * gpu_w) / sp.gpus
    src = (f"derived: ({sp.system} max system power {sp.max_w:g} W - {sp.gpus} x "
           f"{gpu_w:g} W board power) / {sp.gpus}; upper bound (PSU maximum, not measured "
           f"draw) from {sp.source}")  # fmt: skip
    return {"host_power_w_per_gpu": round(host, 3), "host_power_source": src}


EMB_FILE = f"{REF}/embodied_gpu_servers.csv"


def _embodied(emb: pd.DataFrame, model: str) -> dict:
    """Embodied kgCO2e per GPU (card + server share) and the lifetime it is spread over."""
    life = emb[(emb.record_type == "boavizta_archetype") & (emb.gpu_model == "Large GPU")]
    life_h = int(round(float(life.lifetime_years.iloc[0]) * HOURS_PER_YEAR))
    life_src = (f"lifetime {life_h} h = 3 y (EcoLogits HARDWARE_LIFESPAN; BoaviztAPI GPU "
                f"component hours_life_time=26280), same for all models")  # fmt: skip
    if model == "H100":
        server = emb[(emb.record_type == "model_constant") & emb.embodied_kgco2e_server_excl_gpu
                     .eq(5700.0)].iloc[0]  # fmt: skip
        card = emb[(emb.record_type == "model_constant")
                   & emb.embodied_kgco2e_per_gpu.eq(164.0)].iloc[0]  # fmt: skip
        n = int(server.gpus_per_server)
        kg = float(server.embodied_kgco2e_server_excl_gpu) / n + float(card.embodied_kgco2e_per_gpu)
        src = (f"derived: {server.embodied_kgco2e_server_excl_gpu:g}/{n} kg (p5.48xlarge "
               f"server excl. GPUs) + {card.embodied_kgco2e_per_gpu:g} kg (H100 card) from "
               f"EcoLogits ({server.source}) via {EMB_FILE}; {life_src}")  # fmt: skip
        return {"embodied_kgco2e_per_gpu": round(kg, 3), "lifetime_h": life_h,
                "embodied_source": src}  # fmt: skip
    if model not in HOST_GPUS_BY_MODEL:
        return {"embodied_kgco2e_per_gpu": math.nan, "lifetime_h": math.nan,
                "embodied_source": math.nan}  # fmt: skip
    bloom = emb[(emb.record_type == "model_constant")
                & emb.embodied_kgco2e_server_excl_gpu.eq(2500.0)].iloc[0]  # fmt: skip
    n, why = HOST_GPUS_BY_MODEL[model]
    server_kg, per_gpu = (
        float(bloom.embodied_kgco2e_server_excl_gpu),
        float(bloom.embodied_kgco2e_per_gpu),
    )
    kg = server_kg / n + per_gpu
    src = (
        f"derived: {server_kg:g}/{n} kg (server excl. GPUs; {why}) + {per_gpu:g} kg per "
        f"GPU from BLOOM/e-footprint constants ({bloom.source}) via {EMB_FILE}; {life_src}"
    )
    return {"embodied_kgco2e_per_gpu": round(kg, 3), "lifetime_h": life_h,
            "embodied_source": src}  # fmt: skip


# --------------------------------------------------------------------------------------
# latency and latency_model
# --------------------------------------------------------------------------------------
def _matrix(ref: Path, name: str, provider: str, source: str, as_of: str) -> pd.DataFrame:
    """One measured P50 matrix as latency rows (non-numeric cells dropped)."""
    m = _read(ref, name)
    rtt = pd.to_numeric(m.rtt_p50_ms, errors="coerce")
    m = m.assign(rtt_ms=rtt)[rtt.notna()]
    return pd.DataFrame({
        "from_id": provider + "/" + m.source_region, "to_id": provider + "/" + m.dest_region,
        "rtt_ms": m.rtt_ms.astype(float), "kind": "measured", "source": source, "as_of": as_of,
        "great_circle_km": m.great_circle_km.astype(float),
    })  # fmt: skip


def build_latency(ref: Path) -> pd.DataFrame:
    """Measured RTTs: Azure's published matrix and the AWS cloudping snapshot, directed."""
    az = _matrix(
        ref, "azure_interregion_rtt_p50.csv", "azure", AZURE_LATENCY_SOURCE, AZURE_LATENCY_AS_OF
    )
    aws = _matrix(
        ref, "aws_interregion_rtt_p50_cloudping.csv", "aws", AWS_LATENCY_SOURCE, AWS_LATENCY_AS_OF
    )
    return pd.concat([az, aws], ignore_index=True)


def fit_rtt(km: Iterable[float], rtt_ms: Iterable[float]) -> tuple[float, float]:
    """Ordinary least squares RTT = a + b * km/100; returns (a ms, b ms per 100 km).

    Uses exact (``math.fsum``) sums so the result does not depend on the BLAS build.
    """
    xs = [k / KM_PER_100 for k in km]
    ys = list(rtt_ms)
    n = len(xs)
    sx, sy = math.fsum(xs), math.fsum(ys)
    sxx = math.fsum(x * x for x in xs)
    sxy = math.fsum(x * y for x, y in zip(xs, ys, strict=True))
    b = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    return (sy - b * sx) / n, b


def build_latency_model(ref: Path, latency: pd.DataFrame) -> pd.DataFrame:
    """RTT-from-distance fits: Azure and AWS as published, and a pooled default fit."""
    params = _read(ref, "rtt_model_parameters.csv").set_index("parameter")
    rows = []
    for scope, key, as_of in (
        ("azure", "azure_linear_fit_rtt_ms", AZURE_LATENCY_AS_OF),
        ("aws", "aws_linear_fit_rtt_ms", AWS_LATENCY_AS_OF),
    ):
        a, b = re.findall(r"[\d.]+", params.loc[key, "value"])[:2]
        rows.append(
            {
                "scope": scope,
                "intercept_ms": float(a),
                "ms_per_100km": float(b),
                "source": f"{params.loc[key, 'source']} ({REF}/rtt_model_parameters.csv, "
                f"OLS over pairs > {FIT_MIN_KM:g} km)",
                "as_of": as_of,
            }
        )
    far = latency[latency.great_circle_km > FIT_MIN_KM]
    a, b = fit_rtt(far.great_circle_km, far.rtt_ms)
    rows.append({
        "scope": "default", "intercept_ms": round(a, 2), "ms_per_100km": round(b, 4),
        "source": (f"derived: OLS rtt_ms = a + b * great_circle_km/100 over {len(far)} "
                   f"directed pairs > {FIT_MIN_KM:g} km pooled from the Azure and AWS measured "
                   f"matrices ({REF}/azure_interregion_rtt_p50.csv, "
                   f"aws_interregion_rtt_p50_cloudping.csv; distances from their "
                   f"great_circle_km column)"),
        "as_of": f"{AWS_LATENCY_AS_OF}/{AZURE_LATENCY_AS_OF}",
    })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# metros, transfer
# --------------------------------------------------------------------------------------
def build_metros(ref: Path) -> pd.DataFrame:
    """User metros: CIM metro points from region_locations.csv, else a cited coordinate."""
    loc = _read(ref, "region_locations.csv")
    cim = loc[loc.coord_source == "CIM metro"]
    rows = []
    for m in METROS:
        if m.location is not None:
            hit = cim[cim.metro_or_location == m.location].sort_values(["provider", "region"])
            if hit.empty:
                raise ValueError(f"metro {m.metro!r}: no CIM point {m.location!r} in {REF}")
            h = hit.iloc[0]
            lat, lon = float(h.latitude), float(h.longitude)
            src, as_of = (
                f"CIM metro point '{m.location}' ({h.provider}/{h.region}): {h.source}",
                CIM_AS_OF,
            )
        else:
            if m.lat_deg is None or m.lon_deg is None or m.source is None or m.as_of is None:
                raise ValueError(f"metro {m.metro!r}: needs a location or cited coordinates")
            lat, lon, src, as_of = m.lat_deg, m.lon_deg, m.source, m.as_of
        rows.append(
            {
                "metro": m.metro,
                "country": m.country,
                "jurisdiction": _jurisdiction(m.country)
                if m.country != "Hong Kong (China)"
                else "Hong Kong",
                "lat_deg": lat,
                "lon_deg": lon,
                "source": src,
                "as_of": as_of,
            }
        )
    return pd.DataFrame(rows)


def build_transfer(ref: Path) -> pd.DataFrame:
    """Per-provider transfer price (USD/GB) and energy (kWh/GB, CCF networking coefficient)."""
    coef = _read(ref, "ccf_coefficients.csv")
    net = coef[coef.parameter == "networking_coefficient"].set_index("provider")
    rows = []
    for t in TRANSFER_PRICES:
        n = net.loc[t.provider]
        rows.append({
            "provider": t.provider, "scope": t.scope, "usd_per_gb": t.usd_per_gb,
            "kwh_per_gb": float(n.value),
            "source": f"price: {t.source}; energy: CCF networking coefficient {float(n.value):g} "
                      f"kWh/GB ({n.source})",
            "as_of": t.as_of,
        })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# grid_profiles
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HourlyFile:
    """One row of the hourly README's file table."""

    file: str
    zone: str
    year: int
    origin: str  # "<repo>@<commit> : <path ...>"


def read_hourly_index(hourly: Path) -> list[HourlyFile]:
    """Parse the file table of ``hourly/README.md`` (file, zone, year, source repo)."""
    out = []
    for line in (hourly / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].startswith("`") and cells[0].endswith(".csv`"):
            out.append(HourlyFile(cells[0].strip("`"), cells[1], int(cells[2]), cells[4]))
    return sorted(out, key=lambda f: f.file)


def hourly_source(origin: str, *, with_path: bool = True) -> str:
    """'Electricity Maps (ODbL) via <repo>@<commit>:<path>' from a README table cell.

    ``with_path=False`` drops the path (kept in SOURCES.md) to keep the CSV small.
    """
    repo, _, rest = origin.partition(" : ")
    label = f"Electricity Maps (ODbL) via {repo.strip()}"
    if not with_path:
        return label
    path = re.search(r"`([^`]+)`", rest)
    return f"{label}:{path.group(1) if path else rest}"


def profile_of(csv: Path) -> pd.DataFrame:
    """Mean LCA carbon intensity (g/kWh) by (month, UTC hour), rounded to 0.1 g."""
    df = pd.read_csv(csv, usecols=["datetime_utc", "carbon_intensity_lca_gco2_per_kwh"])
    ts = pd.to_datetime(df.datetime_utc, utc=True, format="%Y-%m-%dT%H:%M:%SZ")
    g = df.carbon_intensity_lca_gco2_per_kwh.groupby([ts.dt.month, ts.dt.hour]).mean()
    g.index.names = ["month", "hour_utc"]
    return g.round(1).rename("ci_gco2e_per_kwh").reset_index()


def build_grid_profiles(hourly: Path) -> pd.DataFrame:
    """Typical lifecycle CI per zone by month x UTC hour, from one year of hourly data."""
    frames = []
    for f in read_hourly_index(hourly):
        p = profile_of(hourly / f.file)
        frames.append(
            p.assign(
                grid_zone=f.zone,
                basis="lifecycle",
                year=f.year,
                source=hourly_source(f.origin, with_path=False),
                as_of=str(f.year),
            )
        )
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------
SORT_KEYS: dict[str, list[str]] = {
    "regions": ["provider", "region"],
    "gpu_offers": ["provider", "region", "gpu_model", "instance_type"],
    "hardware": ["gpu_model"],
    "latency": ["from_id", "to_id"],
    "latency_model": ["scope"],
    "metros": ["metro"],
    "transfer": ["provider", "scope"],
    "grid_profiles": ["grid_zone", "month", "hour_utc"],
}


INT_COLUMNS: dict[str, tuple[str, ...]] = {
    "hardware": ("lifetime_h",),
    "gpu_offers": ("gpus_per_instance", "quota_gpus"),
    "grid_profiles": ("month", "hour_utc", "year"),
}


def write_table(name: str, df: pd.DataFrame, out: Path) -> Path:
    """Validate, sort and write one table as CSV (LF line ends, shortest float repr)."""
    spec = TABLES[name]
    df = validate_table(name, df, origin=f"compile_catalog {name}")
    df = df.sort_values(SORT_KEYS[name], kind="mergesort").reset_index(drop=True)
    for col in INT_COLUMNS.get(name, ()):
        df[col] = df[col].astype("Int64")
    path = out / f"{name}.csv"
    df.loc[:, list(spec.columns)].to_csv(path, index=False, lineterminator="\n")
    return path


def compile_catalog(reference: Path, hourly: Path, out: Path) -> dict[str, pd.DataFrame]:
    """Build every embedded table from ``reference`` and ``hourly``; write them to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    offers = build_gpu_offers(reference)
    latency = build_latency(reference)
    tables = {
        "regions": build_regions(reference),
        "gpu_offers": offers,
        "hardware": build_hardware(reference, offers.gpu_model),
        "latency": latency.drop(columns="great_circle_km"),
        "latency_model": build_latency_model(reference, latency),
        "metros": build_metros(reference),
        "transfer": build_transfer(reference),
        "grid_profiles": build_grid_profiles(hourly),
    }
    for name, df in tables.items():
        write_table(name, df, out)
    tables.update(compile_latency(reference, out, tables))  # 3-cloud RTT, RTT model, metros
    (out / "SOURCES.md").write_text(sources_md(hourly), encoding="utf-8")
    return tables


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(
        prog="python -m connectors.compile_catalog", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--reference", type=Path, required=True, help="shared/data/reference")
    ap.add_argument("--hourly", type=Path, required=True, help="shared/data/hourly")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    args = ap.parse_args(argv)
    tables = compile_catalog(args.reference, args.hourly, args.out)
    for name, df in tables.items():
        print(f"{name}: {len(df)} rows")


def sources_md(hourly: Path) -> str:
    """The SOURCES.md text: licences, caveats and the hourly file table."""
    rows = [
        f"| {f.zone} | {f.year} | {hourly_source(f.origin)} |" for f in read_hourly_index(hourly)
    ]
    return SOURCES_HEAD + "\n".join(rows) + "\n"


if __name__ == "__main__":
    main()
