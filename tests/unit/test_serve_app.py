"""``make deploy``'s last step, serving the app, takes two settings and checks them first."""

import pytest

from tools.containers import harness


def test_serve_app_0_skips_serving(monkeypatch, capsys):
    monkeypatch.setenv("SERVE_APP", "0")
    monkeypatch.setattr(harness, "ensure_engine", lambda: pytest.fail("no engine is needed"))
    assert harness.serve_after_deploy("dev") == 0
    assert "not served locally: SERVE_APP=0" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SERVE_APP", "no", "invalid SERVE_APP='no': must be 1 (default) or 0"),
        ("CONTAINERS_PORT", "abc", "invalid CONTAINERS_PORT='abc': must be a port 1-65535"),
        ("CONTAINERS_PORT", "70000", "invalid CONTAINERS_PORT='70000'"),
    ],
)
def test_a_bad_setting_is_one_clear_error_before_any_engine(
    monkeypatch, capsys, name, value, message
):
    monkeypatch.setenv(name, value)
    monkeypatch.setattr(harness, "ensure_engine", lambda: pytest.fail("checked too late"))
    assert harness.serve_after_deploy("dev") == 2
    assert message in capsys.readouterr().out
