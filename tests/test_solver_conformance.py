"""One conformance suite for every solver backend.

Every backend (linopy → HiGHS directly, and the PuLP matrix backend with CBC and, where
installed, PuLP's HiGHS interface) solves the same scenarios: a handful of the tiny
hand-checked ones (optimum derived by hand, see tests/test_planner_hand.py) and every
``examples/*.yaml`` on the real embedded catalog (optimum from the reference backend,
HiGHS). Per-backend differences are declared as data in :data:`BACKENDS`, the way PuLP's
own solver test-suite declares what each solver supports.

Each plan is also checked from its outputs: placements add up to the totals, every
training job gets exactly its GPU-hours, every metro's demand is routed, and no region
runs more GPUs than its quota in any hour.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np
import pulp
import pytest
import typer
from test_planner_hand import job_scenario, service_scenario
from tiny import tiny_catalog
from typer.testing import CliRunner

from connectors.catalog import Catalog, load_catalog
from planner.backends.pulp_backend import to_pulp, write_model_file
from planner.cli import model_cmd
from planner.plan import Plan, totals_check
from planner.problem import InfeasibleError, Problem
from planner.scenario import Scenario, load_scenario, load_scenario_text
from planner.session import PlanSession
from planner.solve import SolveOptions

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))
# a bundled example whose MPS file PuLP reads back in seconds (the round trip is the point)
SMALL = Path(__file__).parent.parent / "examples" / "eu-resident.yaml"
MIP_REL_GAP = 1e-7  # well inside the rel=1e-6 the objectives are compared at


@dataclass(frozen=True)
class Backend:
    """A backend under test and what it is expected to support."""

    id: str
    options: SolveOptions
    lp_duals: bool  # reports row duals (shadow prices) for LPs
    pulp_solver: str | None = None  # PuLP solver that must be installed, if any

    @property
    def available(self) -> bool:
        return (self.pulp_solver is None
                or self.pulp_solver in pulp.listSolvers(onlyAvailable=True))


BACKENDS = (
    Backend("highs", SolveOptions(backend="highs", mip_rel_gap=MIP_REL_GAP), lp_duals=True),
    Backend("pulp-cbc", SolveOptions(backend="pulp", mip_rel_gap=MIP_REL_GAP), lp_duals=True,
            pulp_solver="PULP_CBC_CMD"),
    Backend("pulp-highs", SolveOptions(backend="pulp", solver_name="HiGHS",
                                       mip_rel_gap=MIP_REL_GAP), lp_duals=True,
            pulp_solver="HiGHS"),
)
REFERENCE = BACKENDS[0]

SINGLE_100 = ", single_region: true, data: {home: aws/us-east-1, size_gb: 100.0}"
MAX_SHARE = service_scenario(50, min_regions=2).replace(
    "min_regions: 2", "min_regions: 2\n    max_region_share: 0.75")

# (id, scenario text, catalog quotas, hand-derived optimum in USD) — derivations in
# tests/test_planner_hand.py next to the same scenarios.
TINY_CASES = (
    ("cheapest-region", job_scenario(), None, 200.0),
    ("carbon-price-moves-job", job_scenario(price=3000.0), None, 300.0 + 3000.0 * 0.011),
    ("capacity-split", job_scenario(clouds="[aws]"), {"aws/us-east-1": 2}, 48 * 2 + 52 * 2.5),
    ("single-region-under-quota", job_scenario(clouds="[aws]", extra=", single_region: true"),
     {"aws/us-east-1": 2}, 250.0),
    ("data-gravity-moves", job_scenario(price=3000.0, extra=SINGLE_100), None, 342.03),
    ("min-regions-warm", service_scenario(50, min_regions=2), None, 612.0),
    ("max-region-share", MAX_SHARE, None, 636.0),
    ("carbon-budget-binds", job_scenario() + "limits: {carbon_tco2e: 0.031}\n", None, 250.0),
)


@pytest.fixture(scope="module")
def real_catalog() -> Catalog:
    return load_catalog()


_reference_objectives: dict[str, float] = {}


def _plan(scenario: Scenario, catalog: Catalog, backend: Backend, *, relaxed: bool = False
          ) -> tuple[Plan, Problem]:
    session = PlanSession(scenario, catalog, backend.options, relaxed=relaxed)
    return session.plan(), session.problem


def _check_invariants(plan: Plan, problem: Problem) -> None:
    """Recompute the plan's promises from its outputs."""
    parts = totals_check(plan)
    for key in ("cost_usd", "carbon_tco2e", "water_m3", "energy_mwh"):
        assert parts[key] == pytest.approx(plan.totals[key], rel=1e-6, abs=1e-6), key
    done: dict[str, float] = defaultdict(float)
    for p in plan.placements:
        done[p.workload] += p.gpu_hours
    for job in problem.scenario.training:
        # whole instances may do a little more work than asked, never less
        assert done[job.name] >= job.gpu_hours * (1 - 1e-9), job.name
    routed: dict[tuple[str, str], float] = defaultdict(float)
    for f in plan.flows:
        routed[(f.service, f.metro)] += f.rps
    mean_demand = problem.demand_rps.mean("hour")
    for s in problem.services:
        for metro in problem.metros:
            want = float(mean_demand.sel(service=s, metro=metro))
            assert routed[(str(s), str(metro))] == pytest.approx(want, rel=1e-6, abs=1e-6)
    # Hourly GPUs per (region, GPU model) stay within the quota.
    use: dict[tuple[str, str], np.ndarray] = {}
    for p in plan.placements:
        rid, gpu = f"{p.provider}/{p.region}", p.gpu_model
        gpus = np.asarray(p.schedule_instances, float) * p.gpus_per_instance
        use[(rid, gpu)] = use.get((rid, gpu), 0.0) + gpus
    for (rid, gpu), hourly in use.items():
        quota = float(problem.quota_gpus.sel(region=rid, gpu=gpu))
        if not np.isnan(quota):
            assert hourly.max() <= quota + 1e-3, (rid, gpu)


@pytest.mark.parametrize("backend", [pytest.param(b, id=b.id, marks=pytest.mark.skipif(
    not b.available, reason=f"PuLP solver {b.pulp_solver} not installed")) for b in BACKENDS])
class TestBackendConformance:
    """The same scenarios, the same answers, on every backend."""

    @pytest.mark.parametrize(("scenario", "quotas", "optimum_usd"),
                             [pytest.param(t, q, o, id=i) for i, t, q, o in TINY_CASES])
    def test_tiny_hand_optimum(self, backend: Backend, scenario: str,
                               quotas: dict[str, float] | None, optimum_usd: float) -> None:
        plan, problem = _plan(load_scenario_text(scenario), tiny_catalog(quotas=quotas), backend)
        assert plan.status == "optimal"
        assert plan.solver["backend"] == backend.options.backend
        assert plan.totals["objective_usd"] == pytest.approx(optimum_usd, rel=1e-6)
        _check_invariants(plan, problem)

    def test_lp_shadow_price(self, backend: Backend) -> None:
        # Budget 0.031 t binds; the hand-derived shadow price is 100 $ / 0.04 t = 2500 $/t.
        # The LP (instances relaxed): with whole instances fixed, the budget's dual is
        # degenerate (0 and 2500 are both optimal duals), so solvers may differ.
        text = job_scenario() + "limits: {carbon_tco2e: 0.031}\n"
        session = PlanSession(load_scenario_text(text), tiny_catalog(), backend.options,
                              relaxed=True)
        plan = session.plan()
        duals = session.built.model.constraints["Budget-carbon"].dual
        if not backend.lp_duals:
            pytest.skip(f"{backend.id} reports no duals")
        assert abs(float(duals)) == pytest.approx(2500.0, rel=1e-6)
        assert any("Budget-carbon" in e and "2,500" in e for e in plan.explanations)

    def test_infeasible_is_explained(self, backend: Backend) -> None:
        # The least carbon possible is 0.011 t (all in north1); 0.005 t cannot be met, and
        # the elastic re-solve (through the same backend) says by how much.
        text = job_scenario() + "limits: {carbon_tco2e: 0.005}\n"
        with pytest.raises(InfeasibleError) as err:
            _plan(load_scenario_text(text), tiny_catalog(), backend)
        assert "limits.carbon_tco2e" in str(err.value) and "0.011" in str(err.value)

    def test_resolve_in_session(self, backend: Backend) -> None:
        # A session re-solves after swapping the objective: price 3000 moves the job north.
        from planner.session import Parameters

        session = PlanSession(load_scenario_text(job_scenario()), tiny_catalog(),
                              backend.options)
        assert session.plan().totals["objective_usd"] == pytest.approx(200.0, rel=1e-6)
        moved = session.plan(Parameters(carbon_price_usd_per_tco2e=3000.0))
        assert moved.totals["objective_usd"] == pytest.approx(333.0, rel=1e-6)

    @pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
    def test_example_matches_reference(self, backend: Backend, path: Path,
                                       real_catalog: Catalog) -> None:
        # Fractional instances: the examples' site choices at a 1e-7 gap on every backend;
        # whole instances are checked on the tiny cases and in tests/test_instances.py.
        scenario = load_scenario(path)
        if path.stem not in _reference_objectives:
            ref, _ = _plan(scenario, real_catalog, REFERENCE, relaxed=True)
            _reference_objectives[path.stem] = ref.totals["objective_usd"]
        plan, problem = _plan(scenario, real_catalog, backend, relaxed=True)
        assert plan.status == "optimal"
        # Both MILP solves stop within MIP_REL_GAP of their bound, so the two optima agree
        # to within 2 × MIP_REL_GAP < 1e-6.
        assert plan.totals["objective_usd"] == pytest.approx(
            _reference_objectives[path.stem], rel=1e-6)
        _check_invariants(plan, problem)


def _built(text: str, catalog: Catalog):
    return PlanSession(load_scenario_text(text), catalog).built


@pytest.mark.parametrize("which", ["tiny", "example"])
def test_mps_export_reads_back(tmp_path: Path, which: str, real_catalog: Catalog) -> None:
    if which == "tiny":
        text = job_scenario(price=3000.0, extra=SINGLE_100) + service_scenario(
            50, min_regions=2).split("time_shifting: false", 1)[1]
        built = _built(text, tiny_catalog())
    else:
        built = PlanSession(load_scenario(SMALL), real_catalog).built
    matrices = built.model.matrices
    n_vars, n_cons = matrices.vlabels.size, matrices.clabels.size
    path = write_model_file(built, tmp_path / "model.mps")
    variables, problem = pulp.LpProblem.fromMPS(str(path))
    assert len(variables) == n_vars
    assert problem.numConstraints() == n_cons
    assert problem.isMIP() == bool(built.model.variables.binaries)
    # The file is the model: HiGHS solving it finds the planner's optimum.
    reference = PlanSession(built.problem.scenario, real_catalog if which == "example"
                            else tiny_catalog()).plan().totals["objective_usd"]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", MIP_REL_GAP)
    h.readModel(str(path))
    h.run()
    assert h.getObjectiveValue() == pytest.approx(reference, rel=1e-6)


def test_lp_export_has_same_size(tmp_path: Path) -> None:
    built = _built(job_scenario(price=3000.0, extra=SINGLE_100), tiny_catalog())
    path = write_model_file(built, tmp_path / "model.lp")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    lp = h.getLp()
    assert (lp.num_col_, lp.num_row_) == (built.model.matrices.vlabels.size,
                                          built.model.matrices.clabels.size)
    h.run()
    assert h.getObjectiveValue() == pytest.approx(342.03, rel=1e-6)
    with pytest.raises(ValueError, match=r"\.lp or \.mps"):
        write_model_file(built, tmp_path / "model.txt")


def test_pulp_rows_match_the_matrix() -> None:
    """The PuLP problem is the matrix: same rows, columns, coefficients and senses."""
    built = _built(job_scenario(price=3000.0, extra=SINGLE_100), tiny_catalog())
    pm = to_pulp(built.model)
    A = built.model.matrices.A
    assert len(pm.constraints) == A.shape[0] and len(pm.variables) == A.shape[1]
    col = {v.name: j for j, v in enumerate(pm.variables)}
    dense = np.zeros(A.shape)
    for i, con in enumerate(pm.constraints):
        for var, coef in con.items():
            dense[i, col[var.name]] = coef
    np.testing.assert_array_equal(dense, A.toarray())
    assert pm.is_mip


def test_export_model_cli(tmp_path: Path) -> None:
    app = typer.Typer()
    model_cmd.register(app)
    app.command("noop")(lambda: None)  # two commands, so Typer keeps the command name
    out = tmp_path / "fleet.mps"
    result = CliRunner().invoke(app, ["export-model", str(EXAMPLES[0]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and "variables" in result.output
    bad = CliRunner().invoke(app, ["export-model", str(EXAMPLES[0]), "--out",
                                   str(tmp_path / "m.txt")])
    assert bad.exit_code == 2


def test_unknown_pulp_solver_lists_available() -> None:
    built = _built(job_scenario(), tiny_catalog())
    with pytest.raises(ValueError, match="PULP_CBC_CMD"):
        from planner.solve import solve

        solve(built, SolveOptions(backend="pulp", solver_name="NO_SUCH_SOLVER"))
