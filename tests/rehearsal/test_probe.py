"""The availability probe, against the patched emulator: tasks are targets there."""

from __future__ import annotations

import time

from tests.rehearsal.conftest import Clients
from tests.rehearsal.fargate import balanced_service, from_group, unique_name
from tools.rehearsal.probe import AvailabilityProbe, serving_problem


def _balancer_name(aws: Clients, ids: dict[str, str]) -> str:
    (lb,) = aws("elbv2").describe_load_balancers(LoadBalancerArns=[ids["alb"]])["LoadBalancers"]
    return str(lb["LoadBalancerName"])


def test_a_steady_service_shows_no_outage(aws: Clients) -> None:
    ids = balanced_service(aws)
    with AvailabilityProbe(lambda: aws("elbv2"), _balancer_name(aws, ids), 0.1) as probe:
        time.sleep(0.6)
    result = probe.result
    assert result.problems() == []
    (record,) = result.listeners.values()
    assert record.samples >= 2 and record.outage == 0


def test_a_release_that_empties_a_listener_s_target_groups_is_an_outage(aws: Clients) -> None:
    # GIVEN a listener forwarding to a service's healthy tasks
    ids = balanced_service(aws)
    elbv2 = aws("elbv2")
    empty = elbv2.create_target_group(
        Name=unique_name(), Protocol="HTTP", Port=80, VpcId=ids["vpc"], TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    probe = AvailabilityProbe(lambda: aws("elbv2"), _balancer_name(aws, ids), 0.1).start()
    time.sleep(0.3)
    # WHEN a release points the listener at a group with no target for a second
    forward = [{"Type": "forward", "TargetGroupArn": empty}]
    elbv2.modify_listener(ListenerArn=ids["listener"], DefaultActions=forward)
    time.sleep(1.0)
    back = [{"Type": "forward", "TargetGroupArn": ids["group"]}]
    elbv2.modify_listener(ListenerArn=ids["listener"], DefaultActions=back)
    time.sleep(0.3)
    result = probe.stop()
    # THEN the probe counts that second as outage, and says why
    (line,) = result.problems()
    (record,) = result.listeners.values()
    assert 0.7 <= record.outage <= 2.5
    assert "without a healthy target (no targets)" in line


def test_tasks_the_security_groups_shut_out_are_an_outage(aws: Clients) -> None:
    ids = balanced_service(aws, port=3000)
    probe = AvailabilityProbe(lambda: aws("elbv2"), _balancer_name(aws, ids), 0.1).start()
    time.sleep(0.3)
    aws("ec2").revoke_security_group_ingress(
        GroupId=ids["task_sg"],
        IpPermissions=from_group(3000, ids["alb_sg"]),
    )
    time.sleep(0.4)
    (line,) = probe.stop().problems()
    assert "unhealthy" in line


def test_a_redirecting_listener_is_not_judged() -> None:
    redirect = {"DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Port": "443"}}]}
    assert serving_problem(object(), redirect) is None


def test_a_probe_that_saw_no_listener_fails() -> None:
    class NoBalancers:
        def describe_load_balancers(self) -> dict[str, list[object]]:
            return {"LoadBalancers": []}

    probe = AvailabilityProbe(NoBalancers, "ecs-learn-dev-", 0.05).start()
    time.sleep(0.15)
    assert probe.stop().problems()[0].startswith("no listener was seen")
