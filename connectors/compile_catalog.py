"""Compile the embedded catalog (``connectors/data/*.csv``) from the shared reference data.

Maintainer tool, run as::

    .venv/bin/python -m connectors.compile_catalog \\
        --reference ../shared/data/reference --hourly ../shared/data/hourly --out connectors/data

It reads the sourced reference CSVs (see ``shared/data/reference/README.md`` and
``UPDATE-2026-12.md``) and the hourly Electricity Maps series
(``shared/data/hourly/README.md``) and writes the canonical tables of
:mod:`connectors.schema` plus ``SOURCES.md``. Tables are built by
:mod:`connectors.compile_catalog_regions` (``regions``),
:mod:`connectors.compile_catalog_offers` (``gpu_offers``),
:mod:`connectors.compile_catalog_hardware` (``hardware``, ``purchase_options``) and this
module (latency, metros, transfer, grid profiles). Every figure keeps a source;
anything computed here says ``derived: <formula> from <source>``. Missing figures stay
empty. The output is deterministic: same inputs, byte-identical files (rows sorted,
fixed float formatting, no timestamps).

The few figures that are not in ``shared/data`` (GPU datasheet power, DGX system power,
data-transfer prices, committed-use discounts, coordinates of metros without a cloud
region) are constants in :mod:`connectors.compile_catalog_figures` and
:mod:`connectors.compile_catalog_hardware`, each with the URL it was read from.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from connectors.compile_catalog_figures import (
    AWS_LATENCY_AS_OF,
    AWS_LATENCY_SOURCE,
    AZURE_LATENCY_AS_OF,
    AZURE_LATENCY_SOURCE,
    CIM_AS_OF,
    FIT_MIN_KM,
    KM_PER_100,
    METROS,
    REF,
    TRANSFER_PRICES,
    read_ref,
)
from connectors.compile_catalog_hardware import build_hardware, build_purchase_options
from connectors.compile_catalog_offers import build_gpu_offers
from connectors.compile_catalog_regions import build_regions, jurisdiction
from connectors.compile_catalog_sources import SOURCES_HEAD
from connectors.compile_latency import compile_latency
from connectors.schema import TABLES, validate_table


# --------------------------------------------------------------------------------------
# latency and latency_model
# --------------------------------------------------------------------------------------
def _matrix(ref: Path, name: str, provider: str, source: str, as_of: str) -> pd.DataFrame:
    """One measured P50 matrix as latency rows (non-numeric cells dropped)."""
    m = read_ref(ref, name)
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
    params = read_ref(ref, "rtt_model_parameters.csv").set_index("parameter")
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
    loc = read_ref(ref, "region_locations.csv")
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
                "jurisdiction": jurisdiction(m.country),
                "lat_deg": lat,
                "lon_deg": lon,
                "source": src,
                "as_of": as_of,
            }
        )
    return pd.DataFrame(rows)


def build_transfer(ref: Path) -> pd.DataFrame:
    """Per-provider transfer price (USD/GB) and energy (kWh/GB, CCF networking coefficient)."""
    coef = read_ref(ref, "ccf_coefficients.csv")
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
    "purchase_options": ["provider", "purchase"],
    "hardware": ["gpu_model"],
    "latency": ["from_id", "to_id"],
    "latency_model": ["scope"],
    "metros": ["metro"],
    "transfer": ["provider", "scope"],
    "grid_profiles": ["grid_zone", "month", "hour_utc"],
}


INT_COLUMNS: dict[str, tuple[str, ...]] = {
    "hardware": ("lifetime_h",),
    "regions": ("grid_ci_year",),
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
        "purchase_options": build_purchase_options(),
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
