"""``regionplan schema``: the scenario's JSON Schema, or its Markdown reference."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``schema`` to the CLI."""

    @app.command("schema")
    def schema_cmd(
        markdown: Annotated[bool, typer.Option(
            "--markdown", help="Print the field reference (docs/scenario.md) instead.")] = False,
        out: Annotated[Path | None, typer.Option(
            "--out", help="Write to this file instead of printing.")] = None,
    ) -> None:
        """Print the scenario JSON Schema (for YAML editors) or the field reference."""
        from planner.cli.common import atomic_write_text, fail
        from planner.scenario_docs import json_schema
        from planner.scenario_docs import markdown as reference

        text = reference() if markdown else json.dumps(json_schema(), indent=2) + "\n"
        if out is None:
            sys.stdout.write(text)
            return
        try:
            atomic_write_text(out, text)
        except OSError as err:
            fail(f"--out {out}: cannot write ({err.strerror or err})")
