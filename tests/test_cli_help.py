"""Every CLI option has help text, and at 80 columns the whole of it is shown (nothing cut
with '…', no bracketed text lost to Rich markup)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from planner.cli import _register_all, app

_register_all()
ROOT_COMMAND = typer.main.get_command(app)
runner = CliRunner()


def commands(cmd: Any = ROOT_COMMAND, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], Any]]:
    """``(path, click command)`` for every leaf command of the app."""
    subs = getattr(cmd, "commands", None)
    if subs is None:
        yield path, cmd
        return
    for name, sub in sorted(subs.items()):
        yield from commands(sub, (*path, name))


COMMANDS = list(commands())


def flat(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_the_walk_finds_the_commands() -> None:
    paths = {" ".join(p) for p, _ in COMMANDS}
    assert {"plan", "validate", "check", "schema", "memo migrate", "data refresh"} <= paths


def test_every_option_has_help() -> None:
    missing = [f"{' '.join(path)} {p.name}" for path, cmd in COMMANDS for p in cmd.params
               if not getattr(p, "help", None) and not getattr(p, "hidden", False)]
    assert not missing, "options without help text: " + ", ".join(missing)


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_help_is_whole_at_80_columns(path: tuple[str, ...], cmd: Any) -> None:
    res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert res.exit_code == 0, res.output
    assert "…" not in res.output, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    shown = flat(res.output)
    for p in cmd.params:
        if getattr(p, "help", None):
            assert flat(p.help) in shown, (p.name, p.help)
