"""tools/synthesize.py: the tools' one way to run main.py, with pinned settings."""

import re
from pathlib import Path

import pytest

from tools.synthesize import SETTINGS_VARS, SynthError, synth_environ, synth_settings, synthesize


def test_failed_synth_raises_with_main_py_error(tmp_path):
    with pytest.raises(SynthError, match=r"ENVS='staging': unknown environment"):
        synthesize(tmp_path / "out", {"ENVS": "staging", "APP_VERSION": "1.0.0"})


def test_caller_shell_settings_do_not_leak(tmp_path, monkeypatch):
    # GIVEN a shell whose STATE_BACKEND main.py would reject before it checks the version
    monkeypatch.setenv("STATE_BACKEND", "bogus")
    pinned = {"ENVS": "dev", "TARGET": "aws", "TF_STATE_BUCKET": "b", "APP_VERSION": "latest"}
    # WHEN a tool synthesizes with its own settings
    with pytest.raises(SynthError) as failure:
        synthesize(tmp_path / "out", pinned)
    # THEN main.py got past STATE_BACKEND: the shell's value was not passed on
    assert "APP_VERSION='latest'" in str(failure.value)
    assert "bogus" not in str(failure.value)


def test_synth_settings_cover_every_stack_for_real_aws_with_overrides():
    settings = synth_settings(ENVS="dev", APP_VERSION="1.2.3")
    assert settings == {
        "ENVS": "dev",
        "TARGET": "aws",
        "TF_STATE_BUCKET": "synth-only-state",
        "IMAGE_SOURCE": "build",
        "APP_VERSION": "1.2.3",
    }


def test_synth_environ_drops_shell_settings_the_caller_did_not_pin(tmp_path, monkeypatch):
    # GIVEN a shell exporting two settings and an unrelated variable
    monkeypatch.setenv("STATE_BACKEND", "local")
    monkeypatch.setenv("ENVS", "prod")
    monkeypatch.setenv("UNRELATED", "kept")
    # WHEN a tool builds main.py's environment with its own settings
    env = synth_environ(tmp_path, {"ENVS": "dev"})
    # THEN only its settings remain, with the output directory
    assert (env["ENVS"], env["CDKTF_OUTDIR"], env["UNRELATED"]) == ("dev", str(tmp_path), "kept")
    assert "STATE_BACKEND" not in env


def test_every_setting_the_config_reads_is_one_the_shell_cannot_leak():
    # GIVEN every environment variable config/loader.py reads
    loader = (Path(__file__).resolve().parents[2] / "config" / "loader.py").read_text()
    read = set(re.findall(r'environ(?:\.get\(|\[|, )"([A-Z][A-Z_]+)"', loader))
    # THEN each is dropped from the shell before a tool's synth
    assert read and read <= set(SETTINGS_VARS)
