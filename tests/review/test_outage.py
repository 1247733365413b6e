"""tools/review/outage.py: which planned changes stop traffic (one behaviour per test)."""

from __future__ import annotations

from typing import Any

import pytest

from tools.review.outage import traffic_breaks
from tools.review.plan_summary import summarize, summarize_many


def plan(*entries: tuple[str, list[str], dict[str, Any]]) -> dict[str, Any]:
    """A minimal ``terraform show -json`` plan: (address, actions, before) per change."""
    return {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": address,
                "type": address.split(".")[0],
                "name": address.split(".")[1],
                "change": {"actions": actions, "before": before, "after": {}},
            }
            for address, actions, before in entries
        ],
    }


GROUP = ("aws_lb_target_group.tg", ["create", "delete"], {"name": "ecs-learn-dev-frontend-5fc6c8"})
RULE = "aws_vpc_security_group_ingress_rule.r"


def test_a_replaced_target_group_stops_its_listener_until_the_services_apply() -> None:
    (line,) = traffic_breaks(plan(GROUP))
    assert line.startswith("aws_lb_target_group.tg (ecs-learn-dev-frontend-5fc6c8): ")
    assert "new, empty target group" in line and "2-5 minutes" in line


@pytest.mark.parametrize("actions", [["delete", "create"], ["delete"]])
def test_a_replaced_or_deleted_service_stops_its_tasks(actions: list[str]) -> None:
    (line,) = traffic_breaks(plan(("aws_ecs_service.s", actions, {"name": "frontend"})))
    assert "the old service's tasks stop" in line


def test_a_port_rule_replaced_create_before_destroy_keeps_serving() -> None:
    port_rule = (RULE, ["create", "delete"], {"tags": {"Name": "frontend-tasks-from-external-alb"}})
    assert traffic_breaks(plan(port_rule)) == []


@pytest.mark.parametrize(
    "name", ["frontend-tasks-from-external-alb", "internal-alb-to-backend-tasks"]
)
def test_a_port_rule_deleted_first_stops_the_load_balancer_reaching_the_tasks(name: str) -> None:
    (line,) = traffic_breaks(plan((RULE, ["delete"], {"tags": {"Name": name}})))
    assert f"({name}): the load balancer cannot reach the tasks" in line


def test_other_rules_and_updates_are_no_break() -> None:
    found = traffic_breaks(
        plan(
            (RULE, ["delete"], {"tags": {"Name": "endpoints-https-from-backend-tasks"}}),
            ("aws_ecs_service.s", ["update"], {"name": "frontend"}),
            ("aws_ecs_task_definition.t", ["create", "delete"], {"family": "f"}),
        )
    )
    assert found == []


def test_the_plan_summary_shows_downtime_first() -> None:
    text = summarize(plan(GROUP), "dev-foundation")
    assert text.index("#### ⛔ Downtime") < text.index("#### ⚠️ Replacements and destroys")
    assert "- aws_lb_target_group.tg (ecs-learn-dev-frontend-5fc6c8): " in text


def test_the_pull_request_comment_names_the_stack_of_each_break() -> None:
    text = summarize_many({"dev-foundation": plan(GROUP), "dev-services": plan()})
    assert "### ⛔ Downtime" in text
    assert "- `dev-foundation` aws_lb_target_group.tg" in text


def test_a_release_without_breaks_has_no_downtime_section() -> None:
    port_rule = (RULE, ["create", "delete"], {"tags": {"Name": "frontend-tasks-from-external-alb"}})
    assert "Downtime" not in summarize(plan(port_rule), "dev-services")
