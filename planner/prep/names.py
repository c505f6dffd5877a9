"""Resolve the names a scenario uses (GPU models, metros, regions) against the catalog."""

from __future__ import annotations

from connectors.catalog import Catalog
from planner.figures import region_ids
from planner.scenario import InferenceService, Scenario, ScenarioError, TrainingJob, suggest


def resolve_names(scenario: Scenario, catalog: Catalog) -> set[str]:
    """Check every name the scenario uses; return the GPU models the workloads accept.

    Raises :class:`ScenarioError` naming the field, the unknown value and the known ones.
    """
    gpus = _workload_gpus(scenario, catalog)
    _check_metros(scenario, catalog)
    _check_region_ids(scenario, catalog)
    _check_quota_gpus(scenario, catalog)
    return gpus


def _workload_gpus(scenario: Scenario, catalog: Catalog) -> set[str]:
    known = sorted(catalog.hardware["gpu_model"])
    gpus: set[str] = set()
    workloads: list[TrainingJob | InferenceService] = [*scenario.training, *scenario.inference]
    for w in workloads:
        for gpu in w.gpu_choices:
            if gpu not in known:
                raise ScenarioError(
                    f"workload '{w.name}': unknown gpu '{gpu}'{suggest(gpu, known)}; "
                    f"known models: {', '.join(known)}"
                )
            gpus.add(gpu)
    return gpus


def _check_metros(scenario: Scenario, catalog: Catalog) -> None:
    metro_names = sorted(catalog.metros["metro"])
    for s in scenario.inference:
        for d in s.demand:
            if d.metro not in metro_names:
                raise ScenarioError(
                    f"inference '{s.name}': unknown metro '{d.metro}'"
                    f"{suggest(d.metro, metro_names)}; known metros: {', '.join(metro_names)}"
                )


def _check_region_ids(scenario: Scenario, catalog: Catalog) -> None:
    all_ids = set(region_ids(catalog.regions))
    named = [(f"quotas.{k}", k) for k in scenario.quotas] + [
        ("exclude_regions", r) for r in scenario.exclude_regions
    ] + [(f"training '{j.name}' data.home", j.data.home) for j in scenario.training if j.data]
    for where, rid in named:
        if rid not in all_ids:
            raise ScenarioError(f"{where}: unknown region '{rid}'{suggest(rid, sorted(all_ids))}")


def _check_quota_gpus(scenario: Scenario, catalog: Catalog) -> None:
    known = sorted(catalog.hardware["gpu_model"])
    for rid, per_gpu in scenario.quotas.items():
        for gpu in per_gpu:
            if gpu not in known:
                raise ScenarioError(f"quotas.{rid}: unknown gpu '{gpu}'{suggest(gpu, known)}; "
                                    f"known models: {', '.join(known)}")
