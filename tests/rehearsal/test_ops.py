"""``make logs`` and ``make exec`` on their AWS code path, with the emulator standing in."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

import pytest

from config import load_environment, settings_from_env
from tests.rehearsal.conftest import Clients
from tools.deploy import ops

DEV = load_environment("dev", settings_from_env({"APP_VERSION": "0.1.0"}))
PROD = load_environment("prod", settings_from_env({"APP_VERSION": "0.1.0"}))
TASK_ID = "0123456789abcdef0123456789abcdef"


def _log_group(aws: Clients, lines: list[tuple[float, str]], task: str = TASK_ID) -> None:
    """The backend's log group, as the awslogs driver writes it: one stream per task."""
    logs = aws("logs")
    group = ops.log_group(DEV, "backend")
    stream = f"backend/backend/{task}"
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    events = [{"timestamp": int(t * 1000), "message": m} for t, m in lines]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def test_logs_show_each_line_with_its_time_and_task(aws: Clients) -> None:
    now = time.time()
    _log_group(aws, [(now - 30, '{"message": "request", "method": "GET"}')])
    lines = [str(x) for x in ops.aws_logs(aws("logs"), DEV, "backend", since="10m", follow=False)]
    assert any(
        line.endswith(f' {TASK_ID} {{"message": "request", "method": "GET"}}') for line in lines
    )
    assert all(line[:4].isdigit() and "T" in line.split(" ")[0] for line in lines)


def test_logs_leave_out_lines_older_than_since(aws: Clients) -> None:
    now = time.time()
    _log_group(aws, [(now - 7200, "two hours ago"), (now - 5, "just now")], task="f" * 32)
    messages = [
        x.message for x in ops.aws_logs(aws("logs"), DEV, "backend", since="1h", follow=False)
    ]
    assert "just now" in messages and "two hours ago" not in messages


def test_follow_prints_new_lines_as_they_come(aws: Clients) -> None:
    # GIVEN one line WHEN following and the app writes another THEN both are printed, once each
    now = time.time()
    task = "a" * 32
    _log_group(aws, [(now - 1, "first")], task=task)
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 1:
            _log_group(aws, [(time.time(), "second")], task=task)
        else:
            raise KeyboardInterrupt

    found: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        for line in ops.aws_logs(aws("logs"), DEV, "backend", since="1m", follow=True, sleep=sleep):
            if line.task == task:
                found.append(line.message)
    assert found == ["first", "second"]


def test_logs_of_an_undeployed_environment_say_so(aws: Clients) -> None:
    with pytest.raises(
        ops.OpsError, match=r"no log group /ecs/ecs-learn-prod/backend: is prod deployed\?"
    ):
        list(ops.aws_logs(aws("logs"), PROD, "backend", since="10m", follow=False))


@pytest.mark.parametrize(
    ("service", "since", "message"),
    [
        ("db", "10m", r"unknown SERVICE='db' for dev: one of frontend, backend"),
        ("backend", "ten", r"invalid SINCE='ten': a number and a unit"),
        ("backend", "0m", r"invalid SINCE='0m'"),
    ],
)
def test_a_bad_input_is_one_clear_error(
    aws: Clients, service: str, since: str, message: str
) -> None:
    with pytest.raises(ops.OpsError, match=message):
        list(ops.aws_logs(aws("logs"), DEV, service, since=since, follow=False))


def test_exec_is_refused_where_it_is_off(aws: Clients) -> None:
    with pytest.raises(ops.OpsError, match=r"ECS Exec is off for prod: set exec_enabled=True"):
        ops.aws_exec(aws("ecs"), PROD, "backend", "sh", which=lambda _: "/usr/bin/plugin")


def test_exec_without_the_plugin_says_how_to_install_it(aws: Clients) -> None:
    with pytest.raises(
        ops.OpsError, match=r"session-manager-plugin\) is not installed: see https://"
    ):
        ops.aws_exec(aws("ecs"), DEV, "backend", "sh", which=lambda _: None)


def test_exec_without_a_running_task_says_so(aws: Clients) -> None:
    aws("ecs").create_cluster(clusterName=DEV.name_prefix)
    with pytest.raises(ops.OpsError, match=r"no running task of backend in cluster ecs-learn-dev"):
        ops.aws_exec(aws("ecs"), DEV, "backend", "sh", which=lambda _: "/usr/bin/plugin")


def test_exec_hands_ecs_exec_s_session_to_the_plugin() -> None:
    # ECS Exec needs a real task and Session Manager: here ECS is a stand-in that records
    task_arn = f"arn:aws:ecs:ap-northeast-1:123456789012:task/ecs-learn-dev/{TASK_ID}"

    class Ecs:
        def list_tasks(self, **kw: Any) -> dict[str, Any]:
            return {"taskArns": [task_arn]}

        def describe_tasks(self, **kw: Any) -> dict[str, Any]:
            container = {"name": "backend", "runtimeId": f"{TASK_ID}-111"}
            return {
                "tasks": [{"taskArn": task_arn, "lastStatus": "RUNNING", "containers": [container]}]
            }

        def execute_command(self, **kw: Any) -> dict[str, Any]:
            assert kw == {
                "cluster": "ecs-learn-dev",
                "task": task_arn,
                "container": "backend",
                "interactive": True,
                "command": "id -u",
            }
            return {"session": {"sessionId": "s-1", "streamUrl": "wss://x", "tokenValue": "t"}}

    calls: list[list[str]] = []
    status = ops.aws_exec(
        Ecs(),
        DEV,
        "backend",
        "id -u",
        which=lambda _: "/p",
        call=lambda argv: calls.append(argv) or 0,
    )
    (argv,) = calls
    assert (
        status == 0
        and argv[0] == "session-manager-plugin"
        and argv[2:4] == ["ap-northeast-1", "StartSession"]
    )
    assert json.loads(argv[1])["sessionId"] == "s-1"
    assert json.loads(argv[5]) == {"Target": f"ecs:ecs-learn-dev_{TASK_ID}_{TASK_ID}-111"}


def test_a_docker_log_line_keeps_its_time_and_names_the_task() -> None:
    line = ops.docker_log_line(
        "ecs-learn-1a2b3c4d-backend-2", "2026-12-07T02:30:01.123456789Z hello\n"
    )
    assert str(line) == "2026-12-07T02:30:01+00:00 backend-2 hello"
    assert ops.docker_log_line("ecs-learn-x-backend-1", "not a line") is None
