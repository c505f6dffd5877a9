"""Names a user types, resolved to the catalog's names: GPU models, metros, regions and
jurisdictions, case- and accent-insensitive, with a few common aliases.

An unknown name is a :class:`~planner.scenario.ScenarioError` (exit 2 on the CLI) that
names the field, the valid values and the closest match; it never silently matches
nothing. :func:`resolve_scenario_names` returns the scenario with every name in its
catalog spelling, so the rest of the planner compares names exactly.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from planner.scenario import (
    DataHome,
    Demand,
    InferenceService,
    Scenario,
    ScenarioError,
    TrainingJob,
)

if TYPE_CHECKING:
    from connectors.catalog import Catalog

# Aliases (folded form → catalog name). Jurisdictions: ISO 3166-1 alpha-2/alpha-3 codes
# and common short names of the jurisdictions that host regions; "EU" is the European
# Union (EU-27). Metros: IATA city codes and common short or former names.
JURISDICTION_ALIASES: dict[str, str] = {
    "uk": "United Kingdom", "gb": "United Kingdom", "gbr": "United Kingdom",
    "great britain": "United Kingdom", "britain": "United Kingdom",
    "us": "United States", "usa": "United States", "united states of america": "United States",
    "america": "United States", "eu": "EU", "european union": "EU", "eu27": "EU",
    "uae": "United Arab Emirates", "ae": "United Arab Emirates", "hk": "Hong Kong",
    "korea": "South Korea", "kr": "South Korea", "republic of korea": "South Korea",
    "jp": "Japan", "in": "India", "au": "Australia", "ca": "Canada", "br": "Brazil",
    "ch": "Switzerland", "sg": "Singapore", "za": "South Africa", "il": "Israel",
    "cn": "China", "tw": "Taiwan", "nz": "New Zealand", "no": "Norway", "mx": "Mexico",
    "ksa": "Saudi Arabia", "sa": "Saudi Arabia", "qa": "Qatar", "bh": "Bahrain",
    "my": "Malaysia", "id": "Indonesia", "th": "Thailand", "cl": "Chile",
}  # fmt: skip
NAMED_JURISDICTION_ALIASES = ("EU", "UK", "US", "USA", "UAE", "KSA", "HK")
METRO_ALIASES: dict[str, str] = {
    "nyc": "New York", "new york city": "New York", "sf": "San Francisco",
    "sfo": "San Francisco", "bay area": "San Francisco", "la": "Los Angeles",
    "lax": "Los Angeles", "dc": "Washington DC", "washington": "Washington DC",
    "washington d c": "Washington DC", "chi": "Chicago", "bos": "Boston",
    "sea": "Seattle", "lon": "London", "par": "Paris", "fra": "Frankfurt",
    "ams": "Amsterdam", "tyo": "Tokyo", "osa": "Osaka", "sin": "Singapore",
    "syd": "Sydney", "bom": "Mumbai", "bombay": "Mumbai", "delhi": "New Delhi",
    "sao paulo": "São Paulo", "sp": "São Paulo", "bengaluru": "Bangalore",
    "saigon": "Ho Chi Minh City", "kiev": "Kyiv", "peking": "Beijing",
}  # fmt: skip


def fold_name(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form: 'São-Paulo ' → 'sao paulo'."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]+", " ", plain.casefold()).strip()


def _gpu_key(name: str) -> str:
    """GPU names also ignore spaces and dashes: 'h100 nvl' = 'H100-NVL'."""
    return fold_name(name).replace(" ", "")


def _close(value: str, valid: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest valid name by folded spelling, else ''."""
    by_fold = {fold_name(v): v for v in valid}
    hit = difflib.get_close_matches(fold_name(value), list(by_fold), n=1, cutoff=0.6)
    return f" (did you mean '{by_fold[hit[0]]}'?)" if hit else ""


class NameResolver:
    """Look-ups from what a user types to the catalog's spelling (built from one catalog)."""

    def __init__(self, catalog: Catalog, extra_jurisdictions: Iterable[str] = ()) -> None:
        """Index ``catalog``'s names; ``extra_jurisdictions`` are valid jurisdictions too."""
        self.gpus = sorted(str(g) for g in catalog.hardware["gpu_model"])
        self.metros = sorted(str(m) for m in catalog.metros["metro"])
        reg = catalog.regions
        self.regions = sorted(f"{p}/{r}" for p, r in zip(reg["provider"], reg["region"],
                                                          strict=True))
        self.jurisdictions = sorted({str(j) for j in reg["jurisdiction"].dropna()}
                                    | set(extra_jurisdictions))
        self._gpu = {_gpu_key(g): g for g in self.gpus}
        self._metro = {fold_name(m): m for m in self.metros}
        self._metro.update({k: v for k, v in METRO_ALIASES.items() if v in self.metros
                            and k not in self._metro})
        self._region = {r.casefold(): r for r in self.regions}
        self._jur = {fold_name(j): j for j in self.jurisdictions}
        self._jur.update({k: v for k, v in JURISDICTION_ALIASES.items()
                          if v in self.jurisdictions and k not in self._jur})

    def gpu(self, name: str, where: str) -> str:
        """The catalog's GPU model for ``name``."""
        hit = self._gpu.get(_gpu_key(name))
        if hit is None:
            raise ScenarioError(f"{where}: unknown gpu '{name}'{_close(name, self.gpus)}; "
                                f"valid: {', '.join(self.gpus)}")
        return hit

    def metro(self, name: str, where: str) -> str:
        """The catalog's metro for ``name`` (or an alias such as NYC)."""
        hit = self._metro.get(fold_name(name))
        if hit is None:
            raise ScenarioError(
                f"{where}: unknown metro '{name}'{_close(name, self.metros)}; "
                f"`regionplan metros` lists the {len(self.metros)} known metros")
        return hit

    def region(self, rid: str, where: str) -> str:
        """The catalog's ``provider/region`` id for ``rid``."""
        hit = self._region.get(rid.casefold())
        if hit is None:
            raise ScenarioError(f"{where}: unknown region '{rid}'{_close(rid, self.regions)}; "
                                "`regionplan regions` lists them")
        return hit

    def jurisdiction(self, name: str, where: str) -> str:
        """The catalog's jurisdiction for ``name`` (or an alias such as UK, US, EU)."""
        hit = self._jur.get(fold_name(name))
        if hit is None:
            raise ScenarioError(
                f"{where}: unknown jurisdiction '{name}'{_close(name, self.jurisdictions)}; "
                f"valid: {', '.join(self.jurisdictions)} (also accepted: "
                f"{', '.join(NAMED_JURISDICTION_ALIASES)} and two-letter country codes such as "
                "JP, IN, AU; any case)")
        return hit

    def jurisdictions_of(self, names: list[str] | None, where: str) -> list[str] | None:
        """Each of ``names`` resolved (None stays None: no restriction)."""
        if names is None:
            return None
        return [self.jurisdiction(n, f"{where}[{i}]") for i, n in enumerate(names)]


def _gpu_fields(w: TrainingJob | InferenceService, where: str,
                res: NameResolver) -> dict[str, object]:
    """The catalog spelling of ``gpu`` and of every model named under ``gpus``."""
    gpus = w.gpus
    if isinstance(gpus, dict):
        gpus = {res.gpu(g, f"{where} gpus"): v for g, v in gpus.items()}
    elif isinstance(gpus, list):
        gpus = [res.gpu(g, f"{where} gpus") for g in gpus]
    gpu = None if w.gpu is None else res.gpu(w.gpu, f"{where} gpu")
    return {"gpu": gpu, "gpus": gpus}


def _job(job: TrainingJob, i: int, res: NameResolver) -> TrainingJob:
    where = f"training[{i}] '{job.name}'"
    data: DataHome | None = job.data
    if data is not None:
        data = data.model_copy(update={"home": res.region(data.home, f"{where} data.home")})
    return job.model_copy(update={
        **_gpu_fields(job, where, res), "data": data,
        "allowed_jurisdictions": res.jurisdictions_of(job.allowed_jurisdictions,
                                                      f"{where} allowed_jurisdictions"),
    })  # fmt: skip


def _service(svc: InferenceService, i: int, res: NameResolver) -> InferenceService:
    where = f"inference[{i}] '{svc.name}'"
    demand: list[Demand] = []
    for k, d in enumerate(svc.demand):
        at = f"{where} demand[{k}]"
        residency = None if d.residency is None else res.jurisdiction(d.residency,
                                                                      f"{at}.residency")
        demand.append(d.model_copy(update={"metro": res.metro(d.metro, f"{at}.metro"),
                                           "residency": residency}))
    return svc.model_copy(update={
        **_gpu_fields(svc, where, res), "demand": demand,
        "allowed_jurisdictions": res.jurisdictions_of(svc.allowed_jurisdictions,
                                                      f"{where} allowed_jurisdictions"),
    })  # fmt: skip


def resolve_scenario_names(scenario: Scenario, catalog: Catalog) -> Scenario:
    """``scenario`` with every GPU, metro, region and jurisdiction in catalog spelling.

    Raises ScenarioError naming the field, the valid values and a suggestion.
    """
    res = NameResolver(catalog)
    quotas = {
        res.region(rid, f"quotas.{rid}"): {res.gpu(g, f"quotas.{rid}.{g}"): q
                                           for g, q in per_gpu.items()}
        for rid, per_gpu in scenario.quotas.items()
    }
    return scenario.model_copy(update={
        "training": [_job(j, i, res) for i, j in enumerate(scenario.training)],
        "inference": [_service(s, i, res) for i, s in enumerate(scenario.inference)],
        "quotas": quotas,
        "exclude_regions": [res.region(r, "exclude_regions") for r in scenario.exclude_regions],
    })  # fmt: skip
