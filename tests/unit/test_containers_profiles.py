"""The container checks use what the machine has, and say plainly what it lacks.

Fast: no engine is needed. Browsers and drivers are small scripts on a private PATH that
print what the real ones print; the no-engine profile runs the real ``scripts/check``
and ``python -m tools.containers up`` against a DOCKER_HOST where nothing listens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools import not_run
from tools.containers import browser, packages, registry
from tools.containers.common import EngineError, MissingError
from tools.containers.engine import Engine, ensure_engine

ROOT = Path(__file__).resolve().parents[2]
DEAD_ENGINE = "unix:///nonexistent/docker.sock"


def fake(bin_dir: Path, name: str, prints: str) -> Path:
    """An executable ``name`` that prints ``prints`` for ``--version``."""
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\necho '{prints}'\n")
    path.chmod(0o755)
    return path


def only(bin_dir: Path) -> dict[str, str]:
    return {"PATH": str(bin_dir)}


# --- browser -------------------------------------------------------------------------


def test_google_chrome_pairs_with_the_driver_of_its_major_version(tmp_path: Path) -> None:
    # GIVEN Google Chrome 131 and chromedriver 131, as on GitHub's runners
    chrome = fake(tmp_path, "google-chrome", "Google Chrome 131.0.6778.85")
    driver = fake(tmp_path, "chromedriver", "ChromeDriver 131.0.6778.85 (abc-refs/heads/131)")

    found = browser.find(only(tmp_path))

    assert found == browser.Browser(str(chrome), str(driver), "Google Chrome 131.0.6778.85")


def test_the_runner_images_chromewebdriver_directory_is_used(tmp_path: Path) -> None:
    bins, drivers = tmp_path / "bin", tmp_path / "chromedriver-linux64"
    bins.mkdir(), drivers.mkdir()
    fake(bins, "google-chrome", "Google Chrome 131.0.6778.85")
    driver = fake(drivers, "chromedriver", "ChromeDriver 131.0.6778.85 (abc)")

    found = browser.find({"PATH": str(bins), "CHROMEWEBDRIVER": str(drivers)})

    assert found.driver == str(driver)


def test_a_driver_of_another_major_version_is_no_browser(tmp_path: Path) -> None:
    fake(tmp_path, "chromium", "Chromium 156.0.8078.129 built on Debian GNU/Linux 12")
    fake(tmp_path, "chromedriver", "ChromeDriver 155.0.1.2 (abc)")

    with pytest.raises(MissingError, match=r"Chromium 156\.0\.8078\.129 .*ChromeDriver 155"):
        browser.find(only(tmp_path))


def test_no_browser_at_all_says_none_was_found(tmp_path: Path) -> None:
    with pytest.raises(MissingError, match=r"same version \(found: none\)$"):
        browser.find(only(tmp_path))


def test_a_missing_browser_is_not_installed_when_installing_is_forbidden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CONTAINERS_INSTALL", "0")
    monkeypatch.setattr(packages, "apt_install", lambda names: pytest.fail("apt-get ran"))

    with pytest.raises(MissingError, match="CONTAINERS_INSTALL=0 forbids installing packages"):
        browser.ensure()


# --- engine --------------------------------------------------------------------------


def test_a_dead_docker_host_is_no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", DEAD_ENGINE)

    with pytest.raises(
        EngineError, match=f"^no Docker engine answers at DOCKER_HOST={DEAD_ENGINE}"
    ):
        ensure_engine()


def test_no_dockerd_and_installing_forbidden_is_no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("CONTAINERS_INSTALL", "0")
    monkeypatch.setattr(packages, "which", lambda binary: None)

    with pytest.raises(EngineError, match=r"^no Docker engine answers, and dockerd .*CONTAINERS"):
        ensure_engine()


# --- registry ------------------------------------------------------------------------


class NoPullEngine(Engine):
    """An engine whose image store lacks the registry image, which cannot be pulled."""

    def docker(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        assert args[0] in ("image", "pull"), args
        return subprocess.CompletedProcess(["docker", *args], 1, "Error: no such host")


def no_debian_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTAINERS_INSTALL", "0")
    real = packages.which
    monkeypatch.setattr(packages, "which", lambda b: None if b == "docker-registry" else real(b))


def test_without_any_registry_the_push_is_listed_as_not_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_debian_registry(monkeypatch)
    monkeypatch.setenv("REQUIRE_ALL", "0")
    monkeypatch.setenv("CHECKS_NOT_RUN", str(tmp_path / "not-run"))

    with registry.local_registry(NoPullEngine(host=None)) as found:
        assert found is None

    line = "containers: registry push: neither registry:3.1.1 can be pulled nor Debian's"
    assert (tmp_path / "not-run").read_text().startswith(line)
    assert capsys.readouterr().out.count("registry push") == 1


def test_without_any_registry_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    no_debian_registry(monkeypatch)
    monkeypatch.delenv("REQUIRE_ALL", raising=False)
    monkeypatch.setenv("CI", "true")

    no_registry = r"^no registry: neither registry:3\.1\.1 can be pulled"
    with (
        pytest.raises(MissingError, match=no_registry),
        registry.local_registry(NoPullEngine(None)),
    ):
        pass


def test_the_registry_image_is_pinned_by_digest() -> None:
    assert registry.IMAGE.startswith("registry:3.1.1@sha256:")
    assert len(registry.IMAGE.split("@sha256:")[1]) == 64


# --- the policy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"CI": "true"}, True),
        ({"REQUIRE_ALL": "1"}, True),
        ({"CI": "true", "REQUIRE_ALL": "0"}, False),
        ({"CI": "false"}, False),
    ],
)
def test_which_settings_require_every_check(environ: dict[str, str], expected: bool) -> None:
    assert not_run.required(environ) is expected


def test_require_all_takes_only_0_or_1() -> None:
    with pytest.raises(not_run.InvalidSetting, match="invalid REQUIRE_ALL='yes': must be 1 or 0"):
        not_run.required({"REQUIRE_ALL": "yes"})


# --- the no-engine profile, end to end -----------------------------------------------


def no_engine_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "REQUIRE_ALL", "CHECKS_NOT_RUN")}
    return {**env, "DOCKER_HOST": DEAD_ENGINE, "CONTAINERS_INSTALL": "0", **extra}


def check_containers(**extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["scripts/check", "containers"], cwd=ROOT, env=no_engine_env(**extra),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_no_engine_locally_the_containers_checks_are_listed_as_not_run() -> None:
    result = check_containers()

    assert result.returncode == 0, result.stdout + result.stderr
    listed = result.stdout.split("== checks not run\n")[1].splitlines()
    assert listed == [f"  containers: no Docker engine answers at DOCKER_HOST={DEAD_ENGINE}: "
                      "start that engine or unset it"]  # fmt: skip
    assert " passed" not in result.stdout


def test_no_engine_with_require_all_the_containers_checks_fail_with_the_same_line() -> None:
    result = check_containers(REQUIRE_ALL="1")

    assert result.returncode != 0
    assert f"containers: no Docker engine answers at DOCKER_HOST={DEAD_ENGINE}" in result.stdout
    assert "== checks not run\n" in result.stdout


def test_no_engine_deploy_serves_nothing_and_says_why_in_one_line() -> None:
    # `make deploy` calls this after the stacks are applied (tools/deploy/cli.py)
    result = subprocess.run(
        [sys.executable, "-m", "tools.containers", "up", "--env", "dev"], cwd=ROOT,
        env=no_engine_env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"the app is not served locally: no Docker engine answers at DOCKER_HOST={DEAD_ENGINE}: "
        "start that engine or unset it"
    ]
