"""The --grid parser, point numbering and batching of points into tasks."""

from __future__ import annotations

import pytest
from sweep_fixtures import tiny_scenario

from planner.sweep.spec import NOMINAL_SAMPLE, PARAMS, SweepSpec, SweepSpecError, parse_grid
from planner.sweep.tasks import plan_tasks, structure_of


def test_values_ranges_none_and_aliases() -> None:
    g = parse_grid(["carbon_price=0,50,100:300:100", "carbon_cap_tco2e=none,2.5",
                    "clouds=gcp+aws,azure", "accounting=market"])
    assert [p.name for p in g.params] == ["carbon_price", "carbon_cap", "clouds", "accounting"]
    assert g.values[0] == (0.0, 50.0, 100.0, 200.0, 300.0)
    assert g.values[1] == (None, 2.5)
    assert g.values[2] == ("aws+gcp", "azure")  # canonical cloud order
    assert g.columns == ("carbon_price_usd_per_tco2e", "carbon_cap_tco2e", "clouds",
                         "accounting")


def test_decimal_range_prints_as_written() -> None:
    assert parse_grid(["demand_scale=0.8:1.2:0.1"]).values[0] == (0.8, 0.9, 1.0, 1.1, 1.2)


@pytest.mark.parametrize(("item", "needle"), [
    ("carbon_prize=0,50", "unknown parameter 'carbon_prize' (did you mean 'carbon_price'?)"),
    ("carbon_price=0,abc", "--grid carbon_price: 'abc' is not a number"),
    ("carbon_price=-5", "--grid carbon_price: -5 must be ≥ 0"),
    ("latency_slo=0", "--grid latency_slo: 0 must be > 0"),
    ("carbon_price=none", "'none' is only allowed for budgets"),
    ("carbon_price=0,50,0", "repeated value(s) 0"),
    ("carbon_price=0,,50", "empty value"),
    ("carbon_price", "write PARAM=VALUES"),
    ("carbon_price=0:100:30", "step 30 does not divide"),
    ("carbon_price=100:0:10", "stop < start"),
    ("clouds=aws+oracle", "unknown cloud 'oracle'"),
    ("accounting=hybrid", "'hybrid' is not one of location, market"),
])
def test_bad_grid_names_the_parameter(item: str, needle: str) -> None:
    with pytest.raises(SweepSpecError) as err:
        parse_grid([item])
    assert needle in str(err.value)


def test_unknown_parameter_lists_every_valid_name() -> None:
    with pytest.raises(SweepSpecError) as err:
        parse_grid(["price=1"])
    for name in PARAMS:
        assert name in str(err.value)


def test_parameter_given_twice() -> None:
    with pytest.raises(SweepSpecError, match="given twice"):
        parse_grid(["carbon_price=0", "carbon_price_usd_per_tco2e=50"])


def test_inference_parameter_needs_a_service() -> None:
    sc = tiny_scenario().with_overrides(inference=[])
    with pytest.raises(SweepSpecError, match="no inference services"):
        parse_grid(["latency_slo=30"]).check_against(sc)


def test_points_are_grid_major_then_sample() -> None:
    spec = SweepSpec(parse_grid(["carbon_price=0,50", "latency_slo=30,60,90"]), samples=4)
    pts = spec.points()
    assert len(pts) == 2 * 3 * 4
    assert [p.point_id for p in pts] == list(range(24))
    assert pts[5].values == (0.0, 60.0) and pts[5].sample == 1
    nominal = SweepSpec(parse_grid(["carbon_price=0,50"])).points()
    assert [p.sample for p in nominal] == [NOMINAL_SAMPLE, NOMINAL_SAMPLE]


def test_tasks_group_by_structure_and_cover_every_point_once() -> None:
    spec = SweepSpec(parse_grid(["carbon_price=0,50,100", "latency_slo=30,60",
                                 "water_price=0,1,2"]), samples=2)
    pts = spec.points()
    for workers, batch in ((1, None), (2, None), (64, None), (1, 1), (1, 5)):
        tasks = plan_tasks(spec, pts, workers, batch)
        ids = sorted(p.point_id for t in tasks for p in t.points)
        assert ids == list(range(len(pts)))
        for t in tasks:
            assert {structure_of(spec, p) for p in t.points} == {t.structure}
            if batch:
                assert len(t.points) <= batch
    # carbon price re-solves; latency (2) × sample (2) × water priced or not (2) rebuild
    assert len({structure_of(spec, p) for p in pts}) == 8
    assert len(plan_tasks(spec, pts, 1, 100)) == 8


def test_negative_samples_rejected() -> None:
    with pytest.raises(SweepSpecError, match="--samples"):
        SweepSpec(samples=-1)
