"""``regionplan export-model``: write a scenario's optimization model as an LP or MPS file.

The file comes from the same model the planner solves (its linopy matrices, written
through PuLP), so any LP/MIP solver can read and solve exactly what ``regionplan plan``
would. Variables are named ``x<label>``, constraints ``c<label>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from planner.cli.common import fail, load_catalog_or_fail, load_scenario_or_fail, make_console
from planner.problem import InfeasibleError, prepare
from planner.scenario import ScenarioError

console = make_console()


def register(app: typer.Typer) -> None:
    """Add ``export-model`` to the CLI."""

    @app.command("export-model")
    def export_model_cmd(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
        out: Annotated[Path, typer.Option("--out", "-o",
                                          help="Model file to write: *.lp or *.mps.")],
    ) -> None:
        """Write SCENARIO's optimization model to an LP or MPS file (by --out's suffix)."""
        from planner.backends.pulp_backend import write_model_file
        from planner.model import build

        if out.suffix.lower() not in (".lp", ".mps"):
            fail(f"--out {out}: the file name must end in .lp or .mps")
        sc = load_scenario_or_fail(scenario)
        catalog = load_catalog_or_fail()
        try:
            built = build(prepare(sc, catalog))
        except ScenarioError as err:
            fail(str(err))
        except InfeasibleError as err:
            fail(str(err), code=1)
        path = write_model_file(built, out)
        matrices = built.model.matrices
        console.print(f"wrote {escape(str(path))} ({matrices.vlabels.size:,} variables, "
                      f"{matrices.clabels.size:,} constraints)")
