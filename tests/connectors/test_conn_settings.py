"""Settings: layering defaults → file → documented env → REGIONPLAN_ env → overrides,
unknown keys listing valid ones, secrets masked, default store path."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.settings import SettingsError, load_settings


def test_defaults_without_any_file_or_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    s = load_settings(environ={})
    assert s.store.path == tmp_path / "data" / "regionplan" / "store.duckdb"
    assert s.http.timeout_s == 20.0 and s.http.max_tries == 3
    assert s.electricitymaps.api_key is None
    assert s.grid.sources_for("GB")[0] == "ukci"
    assert s.grid.sources_for("DE") == ["electricitymaps", "watttime"]


def test_layers_file_then_env_then_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[http]\ntimeout_s = 7\nmax_tries = 5\n[store]\npath = "/from/file.duckdb"\n'
        '[grid]\nzones = ["DE"]\n'
    )
    env = {
        "REGIONPLAN_HTTP__TIMEOUT_S": "9",
        "ELECTRICITYMAPS_API_KEY": "documented",
        "REGIONPLAN_ELECTRICITYMAPS__API_KEY": "prefixed",
    }
    s = load_settings(cfg, environ=env, overrides={"store": {"path": Path("/override.duckdb")}})
    assert s.http.timeout_s == 9.0  # env beats file
    assert s.http.max_tries == 5  # file beats default
    assert s.store.path == Path("/override.duckdb")  # explicit override beats all
    assert s.grid.zones == ["DE"]
    assert s.electricitymaps.api_key is not None
    assert s.electricitymaps.api_key.get_secret_value() == "prefixed"


def test_yaml_file_via_env_variable(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("watttime:\n  signal_type: co2_aoer\n")
    s = load_settings(environ={"REGIONPLAN_CONFIG": str(cfg), "WATTTIME_USER": "u"})
    assert s.watttime.signal_type == "co2_aoer"
    assert s.watttime.username is not None and s.watttime.username.get_secret_value() == "u"


def test_unknown_key_in_file_lists_valid_keys(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[http]\ntimeout = 3\n")
    with pytest.raises(SettingsError) as info:
        load_settings(cfg, environ={})
    msg = str(info.value)
    assert "unknown setting 'http.timeout'" in msg and str(cfg) in msg
    assert "timeout_s" in msg and "max_tries" in msg


def test_unknown_env_section_lists_sections() -> None:
    with pytest.raises(SettingsError, match="unknown setting 'electricitymap'.*electricitymaps"):
        load_settings(environ={"REGIONPLAN_ELECTRICITYMAP__API_KEY": "x"})


def test_bad_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="REGIONPLAN_HTTP__MAX_TRIES"):
        load_settings(environ={"REGIONPLAN_HTTP__MAX_TRIES": "0"})


def test_unknown_grid_source_in_priority() -> None:
    with pytest.raises(SettingsError, match="unknown source.*valid: electricitymaps"):
        load_settings(environ={"REGIONPLAN_GRID__PRIORITY": '{"default": ["carbonapi"]}'})


def test_secrets_are_masked_everywhere_they_print() -> None:
    s = load_settings(environ={"WATTTIME_PASSWORD": "hunter2", "ELECTRICITYMAPS_API_KEY": "k9"})
    for text in (repr(s), str(s), s.model_dump_json()):
        assert "hunter2" not in text and "k9" not in text


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
