"""The ``regionplan`` command line (Typer + rich).

Each command group lives in its own module with a ``register(app)`` function.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="regionplan",
    help="Plan where and when to run AI training and inference across AWS, GCP and Azure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    from planner.cli import (
        app_cmd,
        data_cmd,
        memo_cmd,
        metros_cmd,
        model_cmd,
        pareto_cmd,
        plan_cmd,
        regions_cmd,
        schema_cmd,
        sweep_cmd,
        tf_cmd,
    )

    for module in (plan_cmd, pareto_cmd, tf_cmd, regions_cmd, metros_cmd, data_cmd, model_cmd,
                   sweep_cmd, app_cmd, memo_cmd, schema_cmd):
        module.register(app)


def main() -> None:
    """Console-script entry point."""
    _register_all()
    app()
