"""One runtime for both apps: apps/common/ is shared, never copied.

Both images build with apps/ as the context and copy apps/common/ to /app/common/;
the apps import it as ``common.runtime`` (tests/apps/test_dockerfiles.py checks the
Dockerfiles, tests/unit/test_images_stack.py the rebuild triggers).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from cdktf_cdktf_provider_docker.image import Image

from tests.synth import Synth

APPS_DIR = Path(__file__).resolve().parents[2] / "apps"
SHARED = APPS_DIR / "common"
APP_NAMES = ("backend", "frontend")
IMAGES_STACK = "dev-images"


def shared_modules() -> list[Path]:
    return sorted(SHARED.glob("*.py"))


def imported_modules(module: Path) -> set[str]:
    """Every module name ``module`` imports (``from a.b import c`` gives ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_shared_package_holds_the_runtime_and_the_healthcheck() -> None:
    assert {p.name for p in shared_modules()} >= {"runtime.py", "healthcheck.py"}


@pytest.mark.parametrize("app_name", APP_NAMES)
def test_no_app_carries_its_own_copy_of_a_shared_module(app_name: str) -> None:
    shared = {p.name: p.read_bytes() for p in shared_modules() if p.name != "__init__.py"}
    own = {p.name: p.read_bytes() for p in (APPS_DIR / app_name).rglob("*") if p.is_file()}

    assert not set(own) & set(shared), "same name as a module in apps/common/"
    assert not set(own.values()) & set(shared.values()), "same content as apps/common/"


@pytest.mark.parametrize("app_name", APP_NAMES)
def test_the_app_imports_the_runtime_from_the_shared_package(app_name: str) -> None:
    imports = {m: imported_modules(m) for m in (APPS_DIR / app_name).glob("*.py")}
    local_names = {p.stem for p in shared_modules()}

    assert "common.runtime" in imports[APPS_DIR / app_name / "app.py"]
    for module, names in imports.items():
        assert not names & local_names, f"{module.name} imports a shared module as its own"


@pytest.mark.parametrize("app_name", APP_NAMES)
def test_each_images_build_context_holds_the_shared_modules(synthed: Synth, app_name: str) -> None:
    # GIVEN the synthesized images stack (what Terraform's docker provider builds from)
    stack_dir = synthed.outdir / "stacks" / IMAGES_STACK
    builds = {
        image["name"].rsplit(":", 1)[1].split("-")[0]: image["build"]
        for image in synthed.resources(IMAGES_STACK, Image.TF_RESOURCE_TYPE)
    }

    # THEN the app's build context has apps/common/ as it is in the repository
    context = stack_dir / builds[app_name]["context"]
    for module in shared_modules():
        assert (context / "common" / module.name).read_bytes() == module.read_bytes()
