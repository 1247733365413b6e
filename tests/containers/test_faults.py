"""Bad input and faults: each is one clear error, and nothing of ours is left running.

Broken variants of the backend are built from copies of apps/ in a temp dir.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from tests.containers.conftest import assert_nothing_left
from tools.containers.build import BuildError
from tools.containers.common import PortTakenError
from tools.containers.engine import Engine
from tools.containers.harness import up
from tools.containers.run import NotHealthyError
from tools.containers.taskdefs import TaskDefinition

APPS = Path(__file__).resolve().parents[2] / "apps"


def variant(tmp_path: Path, edit: dict[str, tuple[str, str]]) -> Path:
    """A copy of apps/ where ``edit[path] = (old, new)`` is applied (paths inside apps/)."""
    apps = tmp_path / "apps"
    shutil.copytree(APPS, apps)
    for name, (old, new) in edit.items():
        text = (apps / name).read_text()
        assert old in text
        (apps / name).write_text(text.replace(old, new, 1))
    return apps


def test_port_already_taken(engine: Engine, tasks: dict[str, TaskDefinition]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortTakenError, match=rf"127.0.0.1:{port} is already taken"):
            up(engine, tasks=tasks, port=port)
    assert_nothing_left(engine)


def test_failed_build(engine: Engine, tasks: dict[str, TaskDefinition], tmp_path: Path) -> None:
    apps = variant(tmp_path, {"backend/Dockerfile": ("WORKDIR /app", "RUN exit 3\nWORKDIR /app")})

    with pytest.raises(BuildError, match=r"docker build of backend .* failed") as failure:
        up(engine, tasks=tasks, port=0, apps=apps)
    assert "exit 3" in str(failure.value)
    assert_nothing_left(engine)


def test_image_without_the_numeric_user_disagrees_with_the_task_definition(
    engine: Engine, tasks: dict[str, TaskDefinition], tmp_path: Path
) -> None:
    apps = variant(tmp_path, {"backend/Dockerfile": ("USER 10001:10001\n", "")})

    with pytest.raises(BuildError, match="disagrees with its task definition") as failure:
        up(engine, tasks=tasks, port=0, apps=apps)
    assert "USER: the image runs as 'root (no USER)', the task definition as '10001'" in str(
        failure.value
    )
    assert_nothing_left(engine)


def test_app_writing_to_its_root_filesystem_never_turns_healthy(
    engine: Engine, tasks: dict[str, TaskDefinition], tmp_path: Path
) -> None:
    write = 'def main() -> None:\n    open("/app/state.json", "w").close()\n'
    apps = variant(tmp_path, {"backend/app.py": ("def main() -> None:\n", write)})

    with pytest.raises(NotHealthyError, match=r"backend-1 exited with code 1") as failure:
        up(engine, tasks=tasks, port=0, apps=apps)
    assert "Read-only file system: '/app/state.json'" in str(failure.value)
    assert "its last log lines:" in str(failure.value)
    assert_nothing_left(engine)
