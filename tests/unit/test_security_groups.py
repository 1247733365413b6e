"""Security groups: each hop admits only the previous hop, every rule named and described."""

import itertools
import json
import re

from cdktf_cdktf_provider_aws.ecs_service import EcsService
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from tests.synth import ref_name

STACK = "dev-foundation"
SERVICES = "dev-services"
INGRESS = VpcSecurityGroupIngressRule.TF_RESOURCE_TYPE
EGRESS = VpcSecurityGroupEgressRule.TF_RESOURCE_TYPE


def sg_key(ref: str) -> str:
    """The security group a rule names: a reference in the same stack, or across stacks
    (``...outputs.cross-stack-output-aws_security_groupsecurity-groups_<key>_<HASH>id}``)."""
    across = re.search(r"security-groups_([a-z-]+)_[0-9A-F]{8}id\}$", ref)
    return across[1] if across else ref_name(ref)


def rules(synthed, tf_type, stack=STACK):
    return {r["tags"]["Name"]: r for r in synthed.resources(stack, tf_type)}


def test_five_security_groups_exist(synthed):
    groups = synthed.resources(STACK, SecurityGroup.TF_RESOURCE_TYPE)
    names = {sg["tags"]["Name"] for sg in groups}
    assert names == {
        f"ecs-learn-dev-{n}"
        for n in (
            "external-alb",
            "frontend-tasks",
            "internal-alb",
            "backend-tasks",
            "vpc-endpoints",
        )
    }


def test_alb_and_endpoint_groups_are_replacement_safe(synthed):
    # GIVEN a change that replaces a group (its description, say)
    # THEN the new group can be created beside the old one: a generated name, created first.
    groups = {
        g["tags"]["Name"]: g for g in synthed.resources(STACK, SecurityGroup.TF_RESOURCE_TYPE)
    }
    for key in ("external-alb", "internal-alb", "vpc-endpoints"):
        sg = groups[f"ecs-learn-dev-{key}"]
        assert "name" not in sg, key
        assert sg["name_prefix"] == f"ecs-learn-dev-{key}-"
        assert sg["lifecycle"] == {"create_before_destroy": True}


def test_task_groups_keep_fixed_names_as_the_services_stack_uses_them(synthed):
    # Their old group could not be deleted during the foundation apply while tasks use it.
    groups = {
        g["tags"]["Name"]: g for g in synthed.resources(STACK, SecurityGroup.TF_RESOURCE_TYPE)
    }
    for key in ("frontend-tasks", "backend-tasks"):
        sg = groups[f"ecs-learn-dev-{key}"]
        assert sg["name"] == f"ecs-learn-dev-{key}"
        assert "lifecycle" not in sg


def test_security_groups_have_no_inline_rules(synthed):
    for sg in synthed.resources(STACK, SecurityGroup.TF_RESOURCE_TYPE):
        assert "ingress" not in sg and "egress" not in sg


def test_every_rule_is_tcp_single_port_with_a_description(synthed):
    for tf_type, stack in itertools.product((INGRESS, EGRESS), (STACK, SERVICES)):
        for name, rule in rules(synthed, tf_type, stack).items():
            assert rule["ip_protocol"] == "tcp", name
            assert rule["from_port"] == rule["to_port"], name
            assert len(rule["description"]) > 10, name


def test_only_the_external_alb_is_open_to_the_internet(synthed):
    open_rules = [
        name for name, r in rules(synthed, INGRESS).items() if r.get("cidr_ipv4") == "0.0.0.0/0"
    ]
    assert open_rules == ["external-alb-http-from-internet"]
    assert rules(synthed, INGRESS)["external-alb-http-from-internet"]["from_port"] == 80


def test_frontend_tasks_accept_3000_only_from_external_alb(synthed):
    rule = rules(synthed, INGRESS, SERVICES)["frontend-tasks-from-external-alb"]
    assert (rule["from_port"], sg_key(rule["security_group_id"])) == (3000, "frontend-tasks")
    assert sg_key(rule["referenced_security_group_id"]) == "external-alb"


def test_internal_alb_accepts_80_only_from_frontend_tasks(synthed):
    rule = rules(synthed, INGRESS)["internal-alb-http-from-frontend-tasks"]
    assert (rule["from_port"], sg_key(rule["security_group_id"])) == (80, "internal-alb")
    assert sg_key(rule["referenced_security_group_id"]) == "frontend-tasks"


def test_backend_tasks_accept_8080_only_from_internal_alb(synthed):
    rule = rules(synthed, INGRESS, SERVICES)["backend-tasks-from-internal-alb"]
    assert (rule["from_port"], sg_key(rule["security_group_id"])) == (8080, "backend-tasks")
    assert sg_key(rule["referenced_security_group_id"]) == "internal-alb"


def test_albs_egress_only_to_their_targets(synthed):
    out = rules(synthed, EGRESS, SERVICES)
    assert sg_key(out["external-alb-to-frontend-tasks"]["referenced_security_group_id"]) == (
        "frontend-tasks"
    )
    assert out["external-alb-to-frontend-tasks"]["from_port"] == 3000
    assert sg_key(out["internal-alb-to-backend-tasks"]["referenced_security_group_id"]) == (
        "backend-tasks"
    )
    assert out["internal-alb-to-backend-tasks"]["from_port"] == 8080


def test_the_port_rules_live_beside_the_services_not_in_the_foundation(synthed):
    names = set(rules(synthed, INGRESS)) | set(rules(synthed, EGRESS))
    assert not names & {
        "frontend-tasks-from-external-alb",
        "external-alb-to-frontend-tasks",
        "backend-tasks-from-internal-alb",
        "internal-alb-to-backend-tasks",
    }


def test_a_port_change_replaces_the_port_rules_before_the_old_ones_go(synthed):
    # GIVEN a new port WHEN applied THEN each rule is re-created first (create-before-
    # destroy, triggered by the terraform_data that holds the port), so both ports are
    # open while the service rolls; the service waits for the rules.
    stack = json.loads(synthed.stacks[SERVICES])
    ports = {
        name: block["input"]["port"] for name, block in stack["resource"]["terraform_data"].items()
    }
    assert sorted(ports.values()) == [3000, 8080]
    for tf_type in (INGRESS, EGRESS):
        for name, rule in stack["resource"][tf_type].items():
            (trigger,) = rule["lifecycle"]["replace_triggered_by"]
            assert rule["lifecycle"]["create_before_destroy"] is True, name
            assert trigger.split(".")[0] == "terraform_data" and trigger.split(".")[1] in ports
    for service in synthed.resources(SERVICES, EcsService.TF_RESOURCE_TYPE):
        waits_for = {d.split(".")[0] for d in service["depends_on"]}
        assert waits_for == {INGRESS, EGRESS}, service["name"]


def test_a_port_change_moves_the_rules_to_the_new_port(synthed_ports):
    assert (
        rules(synthed_ports, INGRESS, SERVICES)["frontend-tasks-from-external-alb"]["from_port"]
        == 3001
    )
    assert (
        rules(synthed_ports, EGRESS, SERVICES)["internal-alb-to-backend-tasks"]["from_port"] == 8081
    )


def test_no_egress_rule_is_open_to_the_internet(synthed):
    for name, rule in {**rules(synthed, EGRESS), **rules(synthed, EGRESS, SERVICES)}.items():
        assert "cidr_ipv4" not in rule, name


def test_frontend_may_call_the_internal_alb_but_backend_may_not(synthed):
    out = rules(synthed, EGRESS)
    assert out["frontend-tasks-to-internal-alb"]["from_port"] == 80
    assert not any(n.startswith("backend-tasks-to-internal") for n in out)


def test_https_on_public_alb_only_with_certificate(synthed, synthed_tag_https):
    assert "external-alb-https-from-internet" not in rules(synthed, INGRESS)
    rule = rules(synthed_tag_https, INGRESS, "dev-foundation")["external-alb-https-from-internet"]
    assert (rule["from_port"], rule["cidr_ipv4"]) == (443, "0.0.0.0/0")
