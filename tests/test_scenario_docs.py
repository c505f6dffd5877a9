"""The scenario reference (docs/scenario.md) and JSON Schema match the models."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from planner import scenario_docs
from planner.cli import _register_all, app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
REGENERATE = "python -m planner.scenario_docs"


def test_reference_is_up_to_date() -> None:
    current = scenario_docs.DOC_PATH.read_text(encoding="utf-8")
    assert current == scenario_docs.markdown(), (
        f"docs/scenario.md is out of date with planner/scenario.py; regenerate it with "
        f"`{REGENERATE}` and commit the result")


def test_every_field_has_a_meaning_and_an_example() -> None:
    examples = scenario_docs.example_values()
    lacking = [f"{m.__name__}.{name}: {what}"
               for m in scenario_docs.models_in_order()
               for name, field in m.model_fields.items()
               for what, ok in (("description", bool(field.description)),
                                ("example", f"{m.__name__}.{name}" in examples))
               if not ok]
    assert not lacking, ("fields without a description (Field(description=...)) or an "
                         "example (in examples/*.yaml or scenario_docs.EXTRA_EXAMPLES): "
                         + ", ".join(lacking))


def test_reference_names_every_field() -> None:
    text = scenario_docs.markdown()
    for model in scenario_docs.models_in_order():
        assert f"## {model.__name__}" in text
        for name in model.model_fields:
            assert f"| `{name}` |" in text, f"{model.__name__}.{name}"


def test_units_and_bounds_are_shown() -> None:
    text = scenario_docs.markdown()
    row = next(line for line in text.splitlines() if line.startswith("| `gpu_hours` |"))
    assert "GPU-hours" in row and "> 0" in row and "≤ 1e9" in row and "required" in row
    row = next(line for line in text.splitlines()
               if line.startswith("| `carbon_price_usd_per_tco2e` |"))
    assert "USD/tCO2e" in row and "`0.0`" in row


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_schema_validates_every_example(example: Path) -> None:
    schema = scenario_docs.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(example.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))  # YAML timestamps → text, as editors see
    jsonschema.Draft202012Validator(schema).validate(data)


@pytest.mark.parametrize(("path", "value"), [
    (("training", 0, "gpu_hours"), True), (("training", 0, "gpu_hours"), -1),
    (("horizon", "start"), "soon"), (("clouds",), ["oracle"]), (("colour",), "blue")])
def test_schema_refuses_what_the_loader_refuses(path: tuple, value: object) -> None:
    data = yaml.safe_load((ROOT / "examples" / "llm-fleet.yaml").read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert list(jsonschema.Draft202012Validator(scenario_docs.json_schema()).iter_errors(data))


def test_schema_command_prints_json_and_markdown(tmp_path: Path) -> None:
    _register_all()
    runner = CliRunner()
    res = runner.invoke(app, ["schema"])
    assert res.exit_code == 0
    assert json.loads(res.output)["properties"]["training"]
    res = runner.invoke(app, ["schema", "--markdown", "--out", str(tmp_path / "s.md")])
    assert res.exit_code == 0
    assert (tmp_path / "s.md").read_text(encoding="utf-8") == scenario_docs.markdown()


def test_check_mode_reports_a_stale_reference(tmp_path: Path) -> None:
    stale = tmp_path / "scenario.md"
    stale.write_text("old\n", encoding="utf-8")
    assert scenario_docs.main(["--check", "--out", str(stale)]) == 1
    assert scenario_docs.main(["--out", str(stale)]) == 0
    assert scenario_docs.main(["--check", "--out", str(stale)]) == 0
